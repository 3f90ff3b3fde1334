"""Bearer-token authentication (0.1's ``?token=`` still accepted), compared in constant time."""

from __future__ import annotations

import hmac
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request

from ..errors import UnauthorizedError, UsageError


@dataclass(frozen=True)
class AuthConfig:
    """The expected token; ``None`` means authentication is off (loopback only)."""

    token: str | None

    def check(self, request: Request) -> None:
        if self.token is None:
            return
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        offered = value.strip() if scheme.lower() == "bearer" else request.query_params.get("token", "")
        if not offered or not hmac.compare_digest(offered.encode(), self.token.encode()):
            raise UnauthorizedError(
                "Missing or wrong token.",
                hint="Send `Authorization: Bearer <token>` (or ?token=<token>, as 0.1 did).",
            )


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
