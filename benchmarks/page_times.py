"""How big a page file is, how long it takes to render and Chromium to show it: benchmarks/html_report.py and
html_diff.py, which differ only in the page they render.

The caller puts ``tests/`` on ``sys.path`` first (for ``support.browser``: Debian's Chromium and its flags).
"""

from __future__ import annotations

import gzip
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from support.browser import CHROMIUM, CHROMIUM_ARGS, chromium_missing

FIRST_PAINT = "performance.getEntriesByType('paint').find(p => p.name === 'first-contentful-paint').startTime"


def browser_times(paths: list[Path], repeat: int, drawn: str) -> dict[Path, tuple[float, float]]:
    """Per file, medians of ``repeat`` fresh pages: the first contentful paint, and the time from navigation
    until ``drawn`` (a CSS selector, e.g. the chart marked ``data-drawn``) is on the page, in seconds."""
    from playwright.sync_api import sync_playwright

    out: dict[Path, tuple[float, float]] = {}
    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
        for path in paths:
            paints, shown = [], []
            for _ in range(repeat):
                page = chromium.new_page()
                started = time.perf_counter()
                page.goto(path.as_uri(), wait_until="load")
                page.wait_for_selector(drawn)
                shown.append(time.perf_counter() - started)
                paints.append(page.evaluate(FIRST_PAINT) / 1000)
                page.close()
            out[path] = (statistics.median(paints), statistics.median(shown))
        chromium.close()
    return out


def measure_pages(renders: Sequence[tuple[str, Callable[[], str]]], repeat: int, drawn: str, browser: bool) -> None:
    """Print a row per named render: the file's bytes, gzipped (``gzip -9``), the render's median seconds, and
    with ``browser`` (and Chromium installed) ``browser_times``'s paint and drawn medians, else nan."""
    print(f"{'prices':<8} {'bytes':>11} {'gzipped':>11} {'render s':>9} {'paint s':>8} {'drawn s':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for name, render in renders:
            took = []
            for _ in range(repeat):
                started = time.perf_counter()
                text = render()
                took.append(time.perf_counter() - started)
            data = text.encode()
            path = Path(tmp) / f"{name}.html"
            path.write_bytes(data)
            rows.append((name, path, len(data), len(gzip.compress(data, 9)), statistics.median(took)))
        times = browser_times([r[1] for r in rows], repeat, drawn) if browser and not chromium_missing() else {}
        for name, path, size, packed, render_s in rows:
            paint, shown = times.get(path, (float("nan"), float("nan")))
            print(f"{name:<8} {size:>11,} {packed:>11,} {render_s:>9.2f} {paint:>8.2f} {shown:>8.2f}")
