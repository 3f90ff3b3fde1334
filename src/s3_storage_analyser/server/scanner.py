"""Scans in the background: at start, every interval, and on request; never inside a request.

One scan runs at a time; asking for a scan while one runs joins it. A failed
scan keeps the last good snapshot and is counted in the health metrics. The
thread never dies silently: anything its loop raises is logged and the loop
goes on; should it end anyway, ``alive`` says so and /healthz reports it.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from ..model import Snapshot
from ..store import Store

log = logging.getLogger("s3_storage_analyser.server")


@dataclass(frozen=True)
class ScanStatus:
    """What a client sees of one scan."""

    id: int
    status: str  # "running" | "succeeded" | "failed"
    started_at: datetime
    finished_at: datetime | None = None
    snapshot_id: int | None = None
    error: str | None = None


@dataclass
class ScanHealth:
    """Figures for /metrics."""

    last_success: float | None = None
    last_duration: float | None = None
    failures: int = 0
    scans: int = 0
    consecutive_failures: int = 0  # failed scans since the last success (0 after a success)


class Scanner:
    """Owns the scan thread; thread-safe."""

    def __init__(
        self, run_scan: Callable[[], Snapshot], store: Store, interval: float | None, *, keep: int = 100
    ) -> None:
        if interval is not None and not (math.isfinite(interval) and interval > 0):
            raise ValueError(f"interval must be a positive finite number of seconds or None, not {interval!r}")
        self._run_scan = run_scan
        self._store = store
        self.interval = interval
        self.health = ScanHealth()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._scans: dict[int, ScanStatus] = {}
        self._current: ScanStatus | None = None
        self._requested: ScanStatus | None = None
        self._next_id = 1
        self._keep = keep
        self._thread = threading.Thread(target=self._guarded_loop, name="scanner", daemon=True)

    @property
    def alive(self) -> bool:
        """Whether the scan thread runs (False before ``start`` and after ``stop``)."""
        return self._thread.is_alive()

    def start(self, scan_now: bool = True) -> None:
        if scan_now:
            self.trigger()
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def trigger(self) -> ScanStatus:
        """Ask for a scan; returns the running or already-requested one if there is one."""
        with self._lock:
            if self._current is not None:
                return self._current
            if self._requested is not None:
                return self._requested
            status = ScanStatus(self._next_id, "running", datetime.now(UTC))
            self._next_id += 1
            self._requested = status
            self._remember(status)
        self._wake.set()
        return status

    def get(self, scan_id: int) -> ScanStatus | None:
        with self._lock:
            return self._scans.get(scan_id)

    def recent(self) -> list[ScanStatus]:
        """The scans kept (the last ``keep``), newest first."""
        with self._lock:
            return [self._scans[i] for i in sorted(self._scans, reverse=True)]

    @property
    def running(self) -> bool:
        with self._lock:
            return self._current is not None or self._requested is not None

    def _remember(self, status: ScanStatus) -> None:
        self._scans[status.id] = status
        for old in sorted(self._scans)[: -self._keep]:
            del self._scans[old]

    def _guarded_loop(self) -> None:
        """The thread's body: an error in the loop itself is logged and the loop resumes after a pause."""
        while not self._stop.is_set():
            try:
                self._loop()
            except Exception:
                log.exception("the scanner loop failed; it resumes in 60 s")
                with self._lock:
                    self._current = None
                self._stop.wait(60)
        log.info("scanner stopped")

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=self.interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            with self._lock:
                status = self._requested or ScanStatus(self._next_id, "running", datetime.now(UTC))
                if self._requested is None:
                    self._next_id += 1
                self._requested = None
                self._current = replace(status, started_at=datetime.now(UTC))
                self._remember(self._current)
            self._run(self._current)

    def _run(self, status: ScanStatus) -> None:
        started = time.monotonic()
        try:
            snapshot = self._run_scan()
            snapshot_id = self._store.save(snapshot)
            done = replace(status, status="succeeded", finished_at=datetime.now(UTC), snapshot_id=snapshot_id)
            self.health.last_success = time.time()
            self.health.consecutive_failures = 0
            log.info("scan %d stored as snapshot %d", status.id, snapshot_id)
        except Exception as exc:  # a failed scan must not stop the service
            done = replace(status, status="failed", finished_at=datetime.now(UTC), error=str(exc))
            self.health.failures += 1
            self.health.consecutive_failures += 1
            log.warning("scan %d failed: %s", status.id, exc)
        self.health.last_duration = time.monotonic() - started
        self.health.scans += 1
        with self._lock:
            self._current = None
            self._remember(done)
