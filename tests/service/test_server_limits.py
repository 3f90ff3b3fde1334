"""The service under abuse, over real sockets: slow clients are dropped at the read deadlines, a flood of
connections is capped, and a normal client is served all along.

uvicorn runs in a thread on a loopback socket bound by ``bind_listener``, with the same config ``serve``
uses (``uvicorn_config``) and short deadlines. Socket timeouts below are hang guards, not assertions on
time: each test asserts *what* happens (closed, served, refused), never how fast.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn

from s3_storage_analyser.server.app import create_app
from s3_storage_analyser.server.auth import AuthConfig
from s3_storage_analyser.server.bind import bind_listener, bound_port
from s3_storage_analyser.server.guard import Limits
from s3_storage_analyser.server.run import uvicorn_config
from s3_storage_analyser.server.scanner import Scanner
from s3_storage_analyser.store import Store
from support.snapshots import T0, rich_snapshot

TOKEN = "limits-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
GUARD = 30.0  # seconds: how long a test waits for what must happen before calling it a hang


class LiveServer:
    """uvicorn on a loopback port in a thread, serving the real app over a real store."""

    def __init__(self, tmp_path: Path, limits: Limits) -> None:
        self.store = Store(tmp_path / "limits.sqlite3")
        self.store.save(rich_snapshot(T0))
        self.scanner = Scanner(lambda: rich_snapshot(T0 + timedelta(days=1)), self.store, None)
        self.scanner.start(scan_now=False)
        app = create_app(self.store, self.scanner, AuthConfig(TOKEN))
        self.listener = bind_listener("127.0.0.1", 0)
        self.port = bound_port(self.listener)
        self.server = uvicorn.Server(uvicorn_config(app, limits))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.listener]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + GUARD
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=GUARD)
        return sock

    def open_connections(self) -> int:
        return len(self.server.server_state.connections)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(GUARD)
        self.scanner.stop()
        self.store.close()


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Callable[[Limits], LiveServer]]:
    made: list[LiveServer] = []

    def make(limits: Limits) -> LiveServer:
        server = LiveServer(tmp_path, limits)
        made.append(server)
        return server

    yield make
    for server in made:
        server.stop()


def served(server: LiveServer) -> bool:
    """A normal client gets a normal answer."""
    response = httpx.get(f"{server.base}/api/v1/report?fmt=tsv", headers=AUTH, timeout=GUARD)
    return response.status_code == 200 and response.text.startswith("Bucket\t")


def closed_by_server(sock: socket.socket) -> bytes:
    """Read until the server closes the connection; returns what it sent. A recv timeout is a hang."""
    received = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + GUARD
    while not condition():
        assert time.monotonic() < deadline, f"not within {GUARD} s: {what}"
        time.sleep(0.02)


def test_half_a_head_is_dropped_at_the_deadline_while_others_are_served(live: Callable[..., LiveServer]) -> None:
    server = live(Limits(header_timeout=1.0, body_timeout=1.0))
    with closing(server.connect()) as slow:
        slow.sendall(b"GET /api/v1/report HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ")  # no end of head
        assert served(server)  # the slow client holds no one up
        assert closed_by_server(slow) == b""  # dropped, and never answered
    assert served(server)


def test_a_head_sent_one_byte_at_a_time_is_dropped(live: Callable[..., LiveServer]) -> None:
    """Each byte would reset an idle timer: the head deadline counts from the connection, not the last byte."""
    server = live(Limits(header_timeout=1.0, body_timeout=1.0))
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: " + b"a" * 500  # longer than the deadline allows
    with closing(server.connect()) as slow:
        sent = 0
        with pytest.raises(OSError):  # the server closed it: the next send or recv fails
            for byte in head:
                slow.sendall(bytes([byte]))
                sent += 1
                time.sleep(0.05)
            slow.sendall(b"\r\n\r\n")
            if closed_by_server(slow) == b"":
                raise ConnectionResetError("closed without an answer")
        assert sent < len(head)  # it was closed before the head was complete
    assert served(server)


def test_a_body_that_trickles_is_dropped_at_the_body_deadline(live: Callable[..., LiveServer]) -> None:
    server = live(Limits(header_timeout=1.0, body_timeout=1.0))
    with closing(server.connect()) as slow:
        slow.sendall(b"POST /api/v1/scans HTTP/1.1\r\nHost: x\r\nContent-Length: 400\r\n\r\n")
        sent = 0
        with pytest.raises(OSError):
            for _ in range(400):
                slow.sendall(b"x")
                sent += 1
                time.sleep(0.05)
        assert sent < 400
    assert server.scanner.get(1) is None  # the unauthenticated POST started nothing
    assert served(server)


def test_the_next_request_on_a_kept_alive_connection_has_a_deadline_too(live: Callable[..., LiveServer]) -> None:
    server = live(Limits(header_timeout=1.0, body_timeout=1.0, keep_alive=5.0))
    with closing(server.connect()) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        first = b""
        while not first.endswith(b"}"):
            first += sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200 ")
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHo")  # the next head, half of it: cancels the keep-alive timer
        assert closed_by_server(sock) == b""


def test_connections_beyond_the_limit_are_refused_and_the_service_recovers(live: Callable[..., LiveServer]) -> None:
    server = live(Limits(header_timeout=60.0, body_timeout=60.0, max_connections=5))
    idle = [server.connect() for _ in range(5)]
    try:
        wait_until(lambda: server.open_connections() == 5, "5 open connections")
        with closing(server.connect()) as extra:
            extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = closed_by_server(extra)
        assert answer.startswith(b"HTTP/1.1 503 ")
        assert b'"Code":"TooManyConnections"' in answer
        assert server.open_connections() == 5
    finally:
        for sock in idle:
            sock.close()
    wait_until(lambda: server.open_connections() == 0, "the idle connections to be gone")
    assert served(server)


def test_a_flood_of_half_requests_stays_within_the_limit(live: Callable[..., LiveServer]) -> None:
    """Many more half-open clients than the cap: the server's open connections never pass it, and once the
    deadline has dropped the flood a normal client is served (file descriptors were never exhausted)."""
    server = live(Limits(header_timeout=1.0, body_timeout=1.0, max_connections=50))
    flood: list[socket.socket] = []
    peak = 0
    try:
        for _ in range(300):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=GUARD)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            flood.append(sock)
            peak = max(peak, server.open_connections())
        assert peak <= 50
        wait_until(lambda: server.open_connections() == 0, "the flood to be dropped")
        # Flood connections still in the kernel's backlog are accepted after that and fill the cap again for
        # up to the header deadline (under load, CI saw a 503 here): the claim is that a client gets served.
        wait_until(lambda: served(server), "a normal client to be served")
    finally:
        for sock in flood:
            sock.close()


def test_an_unfinished_head_longer_than_the_limit_is_a_400(live: Callable[..., LiveServer]) -> None:
    """uvicorn's h11_max_incomplete_event_size: a client cannot make the server buffer an endless head."""
    server = live(Limits(header_timeout=60.0, max_head_bytes=4096))
    with closing(server.connect()) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 8192)  # and no end of head
        assert closed_by_server(sock).startswith(b"HTTP/1.1 400 ")


@pytest.mark.parametrize(
    "bad",
    [
        {"header_timeout": 0.0},
        {"body_timeout": float("inf")},
        {"keep_alive": float("nan")},
        {"max_connections": 0},
    ],
)
def test_limits_refuse_values_that_disable_them(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Limits(**bad)  # type: ignore[arg-type]
