"""What every page response carries: a CSP that allows nothing from elsewhere, no framing, no caching."""

from __future__ import annotations

from fastapi.responses import HTMLResponse

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # "no-referrer" would make a form's POST send `Origin: null`
    "Cache-Control": "no-store",  # pages hold the data and a CSRF token: never kept by a shared cache
}


def page(html: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)
