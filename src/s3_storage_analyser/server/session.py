"""Browser sign-in: server-side sessions behind an HttpOnly, SameSite=Strict cookie, and CSRF tokens.

The token is typed once into the sign-in form (a POST, so it is never in a URL the browser keeps or a
log writes) and traded for a random session id. The id lives only in the cookie, which scripts cannot
read and other sites cannot send; sessions live in memory, so signing out (or restarting the service)
ends them for good. Each session has a CSRF secret: every page carries it masked with a fresh random
pad, so a compressed page never repeats the same secret bytes (BREACH), and every unsafe request made
with the cookie must send it back (form field ``csrf`` or header ``X-CSRF-Token``).
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

COOKIE = "s3sa_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf"
SESSION_HOURS = 12
_SECRET_BYTES = 32


@dataclass(frozen=True)
class Session:
    id: str
    csrf: bytes
    expires: float


class Sessions:
    """The signed-in browsers, bounded: past ``limit`` the oldest session is ended first. Thread-safe."""

    def __init__(
        self, ttl: float = SESSION_HOURS * 3600, limit: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self._limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def open(self) -> Session:
        session = Session(
            secrets.token_urlsafe(_SECRET_BYTES), secrets.token_bytes(_SECRET_BYTES), self._clock() + self.ttl
        )
        with self._lock:
            self._sessions[session.id] = session
            while len(self._sessions) > self._limit:
                self._sessions.popitem(last=False)
        return session

    def get(self, session_id: str | None) -> Session | None:
        """The live session of that id; an unknown, expired or malformed id is none."""
        if not session_id or len(session_id) > 128:
            return None
        with self._lock:
            session = self._sessions.get(session_id)
            if session is not None and session.expires <= self._clock():
                del self._sessions[session_id]
                return None
        return session

    def close(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)


def masked(secret: bytes) -> str:
    """The CSRF secret as a page carries it: a random pad, then the secret XOR the pad (hex)."""
    pad = secrets.token_bytes(len(secret))
    return (pad + bytes(a ^ b for a, b in zip(secret, pad, strict=True))).hex()


def csrf_matches(secret: bytes, offered: str | None) -> bool:
    """Whether ``offered`` is any masking of ``secret`` (compared in constant time)."""
    if not offered or len(offered) != 4 * len(secret):
        return False
    try:
        raw = bytes.fromhex(offered)
    except ValueError:
        return False
    if len(raw) != 2 * len(secret):  # fromhex skips whitespace: fewer bytes than characters / 2
        return False
    pad, body = raw[: len(secret)], raw[len(secret) :]
    return hmac.compare_digest(bytes(a ^ b for a, b in zip(body, pad, strict=True)), secret)
