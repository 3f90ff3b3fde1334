"""The pages' scripts and styles at /static/: public code, no data, cached a year, compressed once."""

from __future__ import annotations

from functools import cache

from fastapi import FastAPI, Request
from fastapi.responses import Response

from ..render.html import ASSETS, asset
from .spliced import SplicedPage, accepts_gzip

STATIC_MEDIA = {"css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8"}


@cache
def _static_gzipped(name: str) -> bytes:
    return SplicedPage.of(str(asset(name))).gzipped("")


def add_static(app: FastAPI) -> None:
    @app.get("/static/{name}", include_in_schema=False)
    def static(request: Request, name: str) -> Response:
        """The pages' scripts and styles (public code, no data): cached for a year, the URL has the version;
        compressed once (ECharts: 1.1 MB to 0.37 MB), not per request."""
        if name not in ASSETS:
            return Response(b"Not found.\n", status_code=404, media_type="text/plain")
        media = STATIC_MEDIA[name.rsplit(".", 1)[-1]]
        headers = {"Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"}
        if accepts_gzip(request.headers.get("accept-encoding", "")):
            headers |= {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
            return Response(_static_gzipped(name), media_type=media, headers=headers)
        return Response(str(asset(name)), media_type=media, headers=headers)
