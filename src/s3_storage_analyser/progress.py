"""A one-line progress display on stderr while a listing runs (terminals only)."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.live import Live
from rich.text import Text

from .model import Progress
from .units import humanise


class ProgressDisplay:
    """Shows objects, bytes, keys/s and buckets done; does nothing when disabled."""

    def __init__(self, *, enabled: bool, refresh_per_second: float = 8.0) -> None:
        self.enabled = enabled
        self._live: Live | None = None
        self._started = time.monotonic()
        self._last = 0.0
        self._interval = 1.0 / refresh_per_second

    def __enter__(self) -> ProgressDisplay:
        if self.enabled:
            self._live = Live(Text(""), console=Console(stderr=True), transient=True, auto_refresh=False)
            self._live.__enter__()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._live is not None:
            self._live.__exit__(exc_type, exc, tb)

    def update(self, progress: Progress) -> None:
        if self._live is None:
            return
        now = time.monotonic()
        if now - self._last < self._interval and progress.targets_done < progress.targets:
            return
        self._last = now
        elapsed = max(now - self._started, 1e-6)
        line = (
            f"listing: {progress.keys:,} objects, {humanise(progress.bytes)}, "
            f"{progress.keys / elapsed:,.0f} keys/s, {progress.targets_done}/{progress.targets} buckets"
        )
        self._live.update(Text(line), refresh=True)
