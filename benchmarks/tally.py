"""The listing's hot loop alone: ``Tally.add_objects`` over parsed 1,000-key pages, no network.

    .venv/bin/python benchmarks/tally.py [--pages 200] [--repeat 7] [--small-share 1.0] [--one-class] [--by age]

The pages are FakeS3's (``FlatHexKeys``: 16 storage classes, sizes 1 B-64 KiB, so every object is
under 128 KiB by default, the worst case for the small-object counts), parsed once by the listing's
own parser; the timing is the best of ``--repeat`` runs of tallying all of them into a fresh
``Tally``. ``--small-share`` scales sizes so that about that share stays under 128 KiB.
To compare two trees, run it with ``PYTHONPATH=/tmp/snap/src`` for the other one (see README.md).
"""

from __future__ import annotations

import argparse
import time

import s3_storage_analyser
import testkit  # noqa: F401  (puts tests/ on sys.path: support.* is the test kit)
from s3_storage_analyser.aggregate import BreakdownSpec
from s3_storage_analyser.listing.pages import ObjectPage, parse_objects
from s3_storage_analyser.listing.tally import Tally
from support.fakes3 import FlatHexKeys

PAGE = 1000


def pages(count: int, small_share: float, one_class: bool) -> list[ObjectPage]:
    source = FlatHexKeys(count * PAGE, seed=7)
    made = []
    for n in range(count):
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult>'
            + source.contents_xml(n * PAGE, (n + 1) * PAGE, False)
            + "</ListBucketResult>"
        )
        page = parse_objects(body)
        if small_share < 1.0:
            # sizes are uniform in 1..65536: scale so that about ``small_share`` of them stay under 128 KiB
            factor = 2 / max(small_share, 1e-6)
            page.entries = [(k, m, int(s * factor), c) for k, m, s, c in page.entries]
        if one_class:
            page.entries = [(k, m, s, "STANDARD") for k, m, s, _c in page.entries]
        made.append(page)
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--small-share", type=float, default=1.0)
    parser.add_argument("--one-class", action="store_true", help="every object in STANDARD (as most pages are)")
    parser.add_argument("--by", action="append", default=[], help="breakdown dimensions (default: none)")
    args = parser.parse_args()
    made = pages(args.pages, args.small_share, args.one_class)
    spec = BreakdownSpec(dimensions=tuple(args.by))
    best = float("inf")
    for _ in range(args.repeat):
        tally = Tally.for_spec(spec)
        start = time.perf_counter()
        for page in made:
            tally.add_objects(page, len(page.entries))
        best = min(best, time.perf_counter() - start)
    keys = args.pages * PAGE
    print(f"{s3_storage_analyser.__file__}")
    shape = f"{'1 class' if args.one_class else '16 classes'}, {args.small_share:.0%} small"
    rate = f"{keys / best / 1e6:.2f} M keys/s ({best * 1e9 / keys:.0f} ns/key)"
    print(f"add_objects, {shape}, by={args.by or 'none'}: {rate}")


if __name__ == "__main__":
    main()
