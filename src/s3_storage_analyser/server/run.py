"""Run the service on uvicorn: scanner thread + ASGI app, graceful shutdown on SIGINT/SIGTERM.

The caller binds the socket first (``bind.bind_listener``), so a busy port
fails before any scan; uvicorn is handed that socket and a protocol class
with read deadlines and a connection cap (``guard``).
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from types import FrameType

import uvicorn
from fastapi import FastAPI

from ..accounts import AccountOptions
from ..aws import Aws, AwsOptions
from ..pricing.book import PriceBook
from ..report import ScanOptions, scan_all
from ..store import Store
from .app import create_app
from .auth import AuthConfig
from .bind import BACKLOG
from .guard import Limits, guarded_protocol
from .scanner import Scanner

log = logging.getLogger("s3_storage_analyser.server")


def uvicorn_config(app: FastAPI, limits: Limits) -> uvicorn.Config:
    """uvicorn's own limits where they do the job, our protocol for the read deadlines and the cap."""
    return uvicorn.Config(
        app,
        http=guarded_protocol(limits),
        ws="none",  # no WebSocket route: an Upgrade is answered as plain HTTP
        lifespan="off",
        # Uvicorn's access log would print query strings, which may carry ?token=: ours logs paths only.
        access_log=False,
        log_config=None,
        timeout_keep_alive=int(limits.keep_alive),
        h11_max_incomplete_event_size=limits.max_head_bytes,
        timeout_graceful_shutdown=10,
        backlog=BACKLOG,
    )


def serve(
    options: ScanOptions,
    aws_options: AwsOptions,
    store: Store,
    auth: AuthConfig,
    *,
    listener: socket.socket,
    interval: float | None,
    metrics_auth: bool = True,
    initial_scan: bool = True,
    limits: Limits | None = None,
    book: PriceBook | None = None,
    accounts: AccountOptions | None = None,
) -> None:
    """Serve on an already bound ``listener`` until SIGINT/SIGTERM; the scanner starts only once it is bound.

    With a price ``book`` the answers carry each snapshot's monthly cost; with ``accounts`` each scan covers
    every account they name (assumed again for each scan, refreshed within one).
    """
    aws = Aws(aws_options)
    scanner = Scanner(lambda: scan_all(aws, options, accounts), store, interval)
    app = create_app(store, scanner, auth, metrics_auth=metrics_auth, book=book)
    server = uvicorn.Server(uvicorn_config(app, limits or Limits()))
    # The history's costs, priced before anyone asks (2,000 buckets take ~0.35 s a snapshot).
    threading.Thread(target=app.state.warm_costs, name="price-history", daemon=True).start()
    host, port = listener.getsockname()[:2]
    log.info(
        "serving on http://%s:%d (auth %s, %s, history %s)",
        f"[{host}]" if ":" in host else host,
        port,
        "on" if auth.token else "off",
        f"scans every {interval:.0f}s and on POST" if interval else "scans only at start and on POST",
        store.path,
    )
    # uvicorn replays the signal that stopped it once it has shut down; SIGTERM's default action would
    # then kill the process (status -15) before the scanner stops and the store closes: exit 0 instead.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    scanner.start(scan_now=initial_scan)
    try:
        server.run(sockets=[listener])
    finally:
        scanner.stop()
        store.close()
        listener.close()


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)
