"""Run the service on uvicorn: scanner thread + ASGI app, graceful shutdown on SIGINT/SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import TYPE_CHECKING

import uvicorn

from ..aws import Aws
from ..report import scan
from ..store import Store
from .app import create_app
from .auth import AuthConfig
from .scanner import Scanner

if TYPE_CHECKING:
    from ..cli import ReportArgs

log = logging.getLogger("s3_storage_analyser.server")


def serve(
    args: ReportArgs,
    store: Store,
    auth: AuthConfig,
    *,
    host: str,
    port: int,
    interval: float | None,
    metrics_auth: bool = True,
    initial_scan: bool = True,
) -> None:
    args.scan.validate()
    aws = Aws(args.aws)
    scanner = Scanner(lambda: scan(aws, args.scan), store, interval)
    app = create_app(store, scanner, auth, metrics_auth=metrics_auth)
    # Uvicorn's access log would print query strings, which may carry ?token=: ours logs paths only.
    config = uvicorn.Config(app, host=host, port=port, access_log=False, log_config=None, lifespan="off")
    server = uvicorn.Server(config)
    log.info(
        "serving on http://%s:%d (auth %s, %s, history %s)",
        host,
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
        server.run()
    finally:
        scanner.stop()
        store.close()


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)
