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
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parent.parent / "tests")]

from page_times import measure_pages  # noqa: E402
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
    renders = [
        ("none", lambda: render_pair(pair, "html", priced=False)),
        ("shipped", lambda: render_pair(pair, "html", priced=True)),
    ]
    measure_pages(renders, args.repeat, DRAWN, browser=not args.no_browser)


if __name__ == "__main__":
    main()
