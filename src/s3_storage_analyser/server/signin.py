"""Signing in and out with the token, in a form: the session cookie, and the small forms' reader.

The token is typed once and posted (never put in a URL); a wrong one is answered after a pause. The
forms of the pages (sign-in, sign-out, start a scan) are read here, bounded, and checked for the
session's CSRF token.
"""

from __future__ import annotations

import asyncio
import re
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from ..render.html.pages import render_page
from .auth import Access, refuse_cross_site
from .page_headers import page
from .session import COOKIE, CSRF_FIELD, Session, csrf_matches

FORM_LIMIT = 4096  # bytes of a sign-in or button form
SIGNIN_FAILURE_DELAY = 1.0  # seconds before a wrong token is answered: guessing stays slow
_LOCAL_PATH = re.compile(r"/(?![/\\])[^\x00-\x20\x7f\\]*")


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (no scheme, host, ``//``, ``\\`` or control)."""
    return target if target and _LOCAL_PATH.fullmatch(target) else "/"


def start_session(response: Response, request: Request, access: Access) -> Response:
    """Open a session and set its cookie on ``response``: HttpOnly, SameSite=Strict, Secure over HTTPS."""
    session = access.sessions.open()
    response.set_cookie(
        COOKIE,
        session.id,
        max_age=int(access.sessions.ttl),
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


async def read_form(request: Request) -> dict[str, str]:
    """A small urlencoded form; a longer body is cut off (nothing this service asks for is long)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_LIMIT:
            break
    try:
        fields = parse_qs(body[:FORM_LIMIT].decode("utf-8", "replace"), max_num_fields=8)
    except ValueError:  # more fields than any form here has: an empty form, refused as such
        return {}
    return {name: values[0] for name, values in fields.items()}


def form_session(access: Access, request: Request, fields: dict[str, str]) -> Session | None:
    """The signed-in session, when the form carries its CSRF token."""
    session = access.session(request)
    return session if session is not None and csrf_matches(session.csrf, fields.get(CSRF_FIELD)) else None


def add_signin(app: FastAPI, access: Access) -> None:
    """GET and POST /signin, POST /signout."""

    @app.get("/signin", include_in_schema=False)
    def signin_form(request: Request) -> Response:
        if access.auth.token is None:
            return RedirectResponse("/", status_code=303)
        html = render_page(
            "signin",
            next=safe_next(request.query_params.get("next")),
            hours=int(access.sessions.ttl // 3600),
            error=None,
        )
        return page(html)

    @app.post("/signin", include_in_schema=False)
    async def signin(request: Request) -> Response:
        refuse_cross_site(request)
        fields = await read_form(request)
        target = safe_next(fields.get("next"))
        if access.auth.token is None:
            return RedirectResponse(target, status_code=303)
        if access.auth.matches(fields.get("token", "")):
            return start_session(RedirectResponse(target, status_code=303), request, access)
        await asyncio.sleep(SIGNIN_FAILURE_DELAY)
        html = render_page(
            "signin",
            next=target,
            hours=int(access.sessions.ttl // 3600),
            error="That is not the service's token. Check TOKEN or --token-file where the service runs.",
        )
        return page(html, 401)

    @app.post("/signout", include_in_schema=False)
    async def signout(request: Request) -> Response:
        refuse_cross_site(request)
        fields = await read_form(request)
        session = form_session(access, request, fields)
        if session is not None:
            access.sessions.close(session.id)
        response = RedirectResponse("/signin" if access.auth.token is not None else "/", status_code=303)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return response
