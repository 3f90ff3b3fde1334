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
import sys
from pathlib import Path

from s3_storage_analyser.pricing.book import book
from s3_storage_analyser.pricing.cost import cost_snapshot
from s3_storage_analyser.pricing.shipped import shipped_table
from s3_storage_analyser.render import render

sys.path[:0] = [str(Path(__file__).parent.parent / "tests"), str(Path(__file__).parent.parent / "tests" / "browser")]

from page_times import measure_pages  # noqa: E402
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
    renders = [
        ("none", lambda: render(snapshot, "html", cost=None)),
        ("shipped", lambda: render(snapshot, "html", cost=cost)),
    ]
    measure_pages(renders, args.repeat, DRAWN, browser=not args.no_browser)


if __name__ == "__main__":
    main()
