"""The service on a loopback port, in this process: uvicorn with the project's own config, on a thread.

For tests that need a real HTTP server (a browser cannot talk to an in-process TestClient): the app is
``create_app`` around a real Store and Scanner, served by ``uvicorn.Server`` with ``run.uvicorn_config``
(the read deadlines and the connection cap of ``serve``), so the browser sees what users see.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from s3_storage_analyser.model import Snapshot
from s3_storage_analyser.pricing.book import PriceBook
from s3_storage_analyser.server.app import create_app
from s3_storage_analyser.server.auth import AuthConfig
from s3_storage_analyser.server.guard import Limits
from s3_storage_analyser.server.run import uvicorn_config
from s3_storage_analyser.server.scanner import Scanner
from s3_storage_analyser.store import Store


@dataclass(frozen=True)
class LiveService:
    url: str  # http://127.0.0.1:PORT
    scanner: Scanner
    store: Store


@contextmanager
def live_service(
    store: Store,
    run_scan: Callable[[], Snapshot],
    *,
    token: str | None,
    book: PriceBook | None = None,
    warm: bool = False,
) -> Iterator[LiveService]:
    """Serve until the block ends; the scanner thread runs (scanning only when asked)."""
    scanner = Scanner(run_scan, store, None)
    app = create_app(store, scanner, AuthConfig(token), book=book)
    if warm:
        app.state.warm_costs()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn_config(app, Limits()))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, name="live-service", daemon=True)
    scanner.start(scan_now=False)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the service did not start")
        time.sleep(0.02)
    try:
        yield LiveService(f"http://127.0.0.1:{port}", scanner, store)
    finally:
        server.should_exit = True
        thread.join(15)
        scanner.stop()
        listener.close()
