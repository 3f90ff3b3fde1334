"""HEAD on every GET route: the GET runs, its status and headers are sent, its body is not.

FastAPI's ``@app.get`` routes answer HEAD with 405 (unlike Starlette's own
routes); declaring ``methods=["GET", "HEAD"]`` on each would also duplicate
every operation in the OpenAPI document. One ASGI middleware does it for all
routes, the ones added later included. ``Content-Length`` stays that of the
GET, as RFC 9110 allows.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """ASGI middleware: a HEAD request is handled as a GET whose body is dropped."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # only the last (empty) body message is sent
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_without_body)
