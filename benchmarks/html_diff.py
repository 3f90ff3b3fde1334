"""How big ``diff --fmt html`` is, how long it takes to render, and how long Chromium takes to show it.

    .venv/bin/python benchmarks/html_diff.py [--buckets 2000] [--repeat 3] [--no-browser]

Builds two listing-shaped snapshots of ``--buckets`` buckets x 8 storage classes (seeded, as the browser
tests do: ``tests/support/diff_pages.big_pair``), renders their diff as HTML without and with the shipped
prices, and prints the file's size, gzipped (``gzip -9``: as it would travel by mail) and the render time
(median of ``--repeat``). With Chromium (/usr/bin/chromium) and Playwright installed it also opens each
file from file:// and prints the first contentful paint and the time until the table and chart are drawn.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parent.parent / "tests")]

from page_times import browser_times  # noqa: E402
from support.browser import chromium_missing  # noqa: E402
from support.diff_pages import big_pair, render_pair  # noqa: E402

DRAWN = "#chart[data-drawn='true']"  # the chart, once diff.js has drawn it


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--buckets", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    pair = big_pair(args.buckets)
    print(f"diff of {args.buckets:,} buckets x 8 classes ({args.buckets * 9:,} rows), medians of {args.repeat}")
    print(f"{'prices':<8} {'bytes':>11} {'gzipped':>11} {'render s':>9} {'paint s':>8} {'drawn s':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for name, priced in (("none", False), ("shipped", True)):
            took = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                text = render_pair(pair, "html", priced=priced)
                took.append(time.perf_counter() - started)
            data = text.encode()
            path = Path(tmp) / f"{name}.html"
            path.write_bytes(data)
            rows.append((name, path, len(data), len(gzip.compress(data, 9)), statistics.median(took)))
        times = {} if args.no_browser or chromium_missing() else browser_times([r[1] for r in rows], args.repeat, DRAWN)
        for name, path, size, packed, render_s in rows:
            paint, drawn = times.get(path, (float("nan"), float("nan")))
            print(f"{name:<8} {size:>11,} {packed:>11,} {render_s:>9.2f} {paint:>8.2f} {drawn:>8.2f}")


if __name__ == "__main__":
    main()
