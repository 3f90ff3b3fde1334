"""Read deadlines and a connection cap for uvicorn's h11 protocol.

uvicorn (0.29 to at least 0.54) arms no timer while it reads a request: its
keep-alive timer runs only *between* requests (armed after a response,
cancelled by any byte received), so a client that sends half its headers, or
its headers and half a body, holds its connection, its file descriptor and
its buffers for ever. ``limit_concurrency`` does not help: it answers 503 to
a *complete* request when too many connections are open, and refuses none.

``guarded_protocol`` returns a subclass of ``H11Protocol`` that adds exactly
what is missing:

- a header deadline, started when the connection is made (or when the first
  byte of a next request arrives on a kept-alive connection) and cancelled
  when h11 has the whole head;
- a body deadline, started when the head is complete and cancelled when the
  whole body has arrived;
- a cap on open connections: one over the cap is answered ``503`` and closed
  at once (before uvicorn counts it), so a flood of idle sockets cannot
  exhaust the file descriptors.

When a deadline passes the connection is closed (an idle, never-answered
client gets no response; one whose body stalls makes its handler see a
disconnect).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("s3_storage_analyser.server")

_BUSY_BODY = b'{"Error":{"Code":"TooManyConnections","Message":"Too many open connections.","Hint":"Retry later."}}'
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nconnection: close\r\n"
    b"content-length: %d\r\n\r\n%s" % (len(_BUSY_BODY), _BUSY_BODY)
)
_REFUSAL_LOG_EVERY = 10.0  # seconds: a flood of refused connections logs one line per period, not one each


@dataclass(frozen=True)
class Limits:
    """How long a request may take to arrive, and how many connections may be open at once."""

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_connections: int = 1000
    keep_alive: float = 5.0  # uvicorn's timeout_keep_alive: idle time allowed between requests
    max_head_bytes: int = 16 * 1024  # uvicorn's h11_max_incomplete_event_size: a longer head is a 400

    def __post_init__(self) -> None:
        for name in ("header_timeout", "body_timeout", "keep_alive"):
            value = getattr(self, name)
            if not 0 < value < 86400:
                raise ValueError(f"{name} must be above 0 and below a day, not {value!r}")
        if self.max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, not {self.max_connections!r}")


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with read deadlines and a connection cap (``limits`` set by ``guarded_protocol``)."""

    limits: ClassVar[Limits] = Limits()
    _last_refusal_log: ClassVar[float] = float("-inf")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._phase: str | None = None  # "head" | "body" while a deadline runs

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if len(self.connections) >= self.limits.max_connections:
            # Refused before uvicorn counts it: answered, closed, its descriptor freed at once.
            self.transport = transport
            self._log_refusal()
            transport.write(_BUSY)
            transport.close()
            return
        super().connection_made(transport)
        self._arm("head", self.limits.header_timeout)

    def data_received(self, data: bytes) -> None:
        if self._phase is None and self.conn.their_state is h11.IDLE:
            self._arm("head", self.limits.header_timeout)  # a next request on a kept-alive connection
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow()  # pipelined requests may have been read in there

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _follow(self) -> None:
        """Move the deadline along with h11's view of the client's side."""
        state = self.conn.their_state
        if state is h11.IDLE:
            if self._phase is None and self.conn.trailing_data[0]:
                self._arm("head", self.limits.header_timeout)  # part of a pipelined head is waiting
            return  # still waiting for (the rest of) a head: the head deadline keeps running
        if state is h11.SEND_BODY:
            if self._phase != "body":
                self._arm("body", self.limits.body_timeout)
            return
        self._disarm()  # DONE, MUST_CLOSE, CLOSED, ERROR: nothing more to read for this request

    def _log_refusal(self) -> None:
        cls = type(self)
        now = self.loop.time()
        if now - cls._last_refusal_log >= _REFUSAL_LOG_EVERY:
            cls._last_refusal_log = now
            open_now, limit = len(self.connections), self.limits.max_connections
            log.warning("refusing connections: %d open, the limit is %d", open_now, limit)

    def _arm(self, phase: str, seconds: float) -> None:
        self._disarm()
        self._phase = phase
        self._deadline = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = None
        self._phase = None

    def _expired(self) -> None:
        phase, self._deadline, self._phase = self._phase, None, None
        if self.transport.is_closing():
            return
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
        log.warning("closed the connection of %s: its request %s did not arrive in time", client, phase)
        self.transport.close()


def guarded_protocol(limits: Limits) -> type[GuardedH11Protocol]:
    """A protocol class bound to ``limits``, for ``uvicorn.Config(http=...)``."""
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {"limits": limits})
