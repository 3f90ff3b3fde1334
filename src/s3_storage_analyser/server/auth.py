"""Who may ask: the bearer token (0.1's ``?token=`` still accepted, compared in constant time) or a browser
signed in with it (``session``), and which browser requests are refused as cross-site."""

from __future__ import annotations

import hmac
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import Request

from ..errors import ForbiddenError, UnauthorizedError, UsageError
from .session import COOKIE, CSRF_HEADER, Session, Sessions, csrf_matches

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class AuthConfig:
    """The expected token; ``None`` means authentication is off (loopback only)."""

    token: str | None

    def check(self, request: Request) -> None:
        if self.token is None:
            return
        if not self.matches(offered_token(request)):
            raise UnauthorizedError(
                "Missing or wrong token.",
                hint="Send `Authorization: Bearer <token>` (or ?token=<token>, as 0.1 did).",
            )

    def matches(self, offered: str) -> bool:
        """Whether ``offered`` is the token (always, when authentication is off)."""
        if self.token is None:
            return True
        return bool(offered) and hmac.compare_digest(offered.encode(), self.token.encode())


def offered_token(request: Request) -> str:
    """The token a request carries: ``Authorization: Bearer``, else ``?token=``; empty when none."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else request.query_params.get("token", "")


@dataclass(frozen=True)
class Access:
    """The token or a signed-in browser: what every route but /healthz asks for."""

    auth: AuthConfig
    sessions: Sessions

    def session(self, request: Request) -> Session | None:
        return self.sessions.get(request.cookies.get(COOKIE))

    def check(self, request: Request) -> None:
        """The token, or a session cookie, which on an unsafe method must come with its CSRF token."""
        if self.auth.token is None or offered_token(request):
            self.auth.check(request)
            return
        session = self.session(request)
        if session is None:
            self.auth.check(request)  # raises: neither a token nor a live session
            return
        if request.method not in SAFE_METHODS and not csrf_matches(session.csrf, request.headers.get(CSRF_HEADER)):
            raise ForbiddenError(
                "A signed-in browser's request that changes something must carry the page's CSRF token.",
                hint="Send the X-CSRF-Token header with the value of the page's csrf field.",
            )

    def allowed(self, request: Request) -> bool:
        """Whether a page may be shown: authentication off, the token sent, or a live session."""
        if self.auth.token is None:
            return True
        offered = offered_token(request)
        return self.auth.matches(offered) if offered else self.session(request) is not None


def refuse_cross_site(request: Request) -> None:
    """Unsafe requests a browser sends from another site (or a page at another origin) are refused.

    Browsers send ``Sec-Fetch-Site`` and ``Origin`` on every POST; tools such as curl send neither, so
    the API's scripted clients are not affected. With ``--no-auth`` this is the only CSRF defence.
    """
    if request.method in SAFE_METHODS:
        return
    site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    # The host only: behind a proxy that ends TLS the page's scheme is not the one this server sees.
    if site in ("cross-site", "same-site") or (
        origin is not None and urlsplit(origin).netloc != request.headers.get("host", "")
    ):
        raise ForbiddenError(
            "Refused: a browser sent this request from another site.",
            hint="Use the service's own pages, or call the API with its token from a script.",
        )


def host_is_loopback(request: Request) -> bool:
    """Whether the Host header names this machine (with --no-auth, anything else may be DNS rebinding)."""
    host = request.headers.get("host", "")
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return is_loopback(name.strip("[]"))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_auth(host: str, token_file: Path | None, no_auth: bool) -> AuthConfig:
    """The token from --token-file or $TOKEN; refuse to serve without one, except on loopback with --no-auth."""
    if no_auth:
        if not is_loopback(host):
            raise UsageError(
                f"--no-auth is only allowed on a loopback address, not {host}.",
                hint="Bind to 127.0.0.1, or set TOKEN / --token-file.",
            )
        return AuthConfig(None)
    token = None
    if token_file is not None:
        try:
            token = token_file.read_text().strip()
        except OSError as exc:
            raise UsageError(f"Cannot read --token-file {token_file}: {exc.strerror}.") from exc
    else:
        token = os.environ.get("TOKEN", "").strip() or None
    if not token:
        raise UsageError(
            "No API token: the server refuses to start without one.",
            hint="Set TOKEN=<secret> or --token-file PATH (or --no-auth on 127.0.0.1 for local use).",
        )
    return AuthConfig(token)
