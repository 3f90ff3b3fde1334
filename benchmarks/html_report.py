"""How big ``--fmt html`` is, how long it takes to render, and how long Chromium takes to show it.

    .venv/bin/python benchmarks/html_report.py [--buckets 2000] [--repeat 3] [--no-browser]

Builds a listing-shaped snapshot of ``--buckets`` buckets x 8 storage classes (seeded, as the browser
tests do), renders it as HTML without and with the shipped prices, and prints the file's size, gzipped
(``gzip -9``: as it would travel by mail or HTTP) and the render time (median of ``--repeat``). With
Chromium (/usr/bin/chromium) and Playwright installed it also opens each file from file:// and prints the
first contentful paint and the time until the treemap is drawn (medians). The demo account's file:
``s3-storage-analyser demo --fmt html --output demo.html``.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import tempfile
import time
from pathlib import Path

from s3_storage_analyser.pricing.book import book
from s3_storage_analyser.pricing.cost import cost_snapshot
from s3_storage_analyser.pricing.shipped import shipped_table
from s3_storage_analyser.render import render

sys.path[:0] = [str(Path(__file__).parent.parent / "tests"), str(Path(__file__).parent.parent / "tests" / "browser")]

from page_times import browser_times  # noqa: E402
from support.browser import chromium_missing  # noqa: E402
from support.snapshots import big_snapshot  # noqa: E402

DRAWN = "#treemap[data-drawn='true']"  # the treemap, once report.js has drawn it


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buckets", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    snapshot = big_snapshot(args.buckets)
    cost = cost_snapshot(snapshot, book([shipped_table()]))
    print(f"{args.buckets:,} buckets x 8 classes, medians of {args.repeat}")
    print(f"{'prices':<8} {'bytes':>11} {'gzipped':>11} {'render s':>9} {'paint s':>8} {'drawn s':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for name, priced in (("none", None), ("shipped", cost)):
            took = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                text = render(snapshot, "html", cost=priced)
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
