"""How long Chromium takes to show a page file, shared by benchmarks/html_report.py and html_diff.py.

The caller puts ``tests/`` on ``sys.path`` first (for ``support.browser``: Debian's Chromium and its flags).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from support.browser import CHROMIUM, CHROMIUM_ARGS

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
