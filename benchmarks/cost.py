"""What pricing adds to a report: cost_snapshot and the cost columns, as ratios to the same report unpriced.

    .venv/bin/python benchmarks/cost.py [--buckets 2000] [--repeat 5]

One run builds two snapshots of ``--buckets`` buckets in 12 regions, one listing-shaped (8 classes with
object counts, objects under 128 KiB, old versions and uploads measured) and one CloudWatch-shaped (its
storage types, overheads and Intelligent-Tiering tiers), prices them with the shipped table under a
``*``-region file (so every region is priced), and times, in this process:

* the baseline: rendering the snapshot as JSON and as the table without cost;
* ``cost_snapshot`` alone;
* rendering JSON and the table with the cost.

It checks the result before timing (every bucket priced, the total equal to the sum of the rounded
lines), so a fast wrong answer cannot pass. Medians of ``--repeat``.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

from common import median_seconds
from s3_storage_analyser.model import Bucket, BucketReport, Snapshot, Usage
from s3_storage_analyser.pricing.book import PriceBook, PriceSource, book, rows_to_table
from s3_storage_analyser.pricing.cost import cost_snapshot
from s3_storage_analyser.pricing.shipped import shipped_table
from s3_storage_analyser.render import render

REGIONS = [f"{area}-{side}-{n}" for area in ("us", "eu", "ap") for side in ("east", "west") for n in (1, 2)]
CLASSES = ("STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE")
STORAGE_TYPES = (
    "StandardStorage",
    "StandardIAStorage",
    "StandardIASizeOverhead",
    "IntelligentTieringFAStorage",
    "IntelligentTieringIAStorage",
    "GlacierStorage",
    "GlacierObjectOverhead",
    "GlacierS3ObjectOverhead",
)


def _listing_usage(rng: random.Random) -> Usage:
    objects = {c: rng.randint(1, 10**7) for c in CLASSES}
    sizes = {c: n * rng.randint(1000, 10**7) for c, n in objects.items()}
    small = {c: n // 3 for c, n in objects.items()}
    return Usage(
        objects=sum(objects.values()),
        bytes_by_class=sizes,
        objects_by_class=objects,
        small_objects_by_class=small,
        small_bytes_by_class={c: n * 1000 for c, n in small.items()},
        noncurrent_objects_by_class={"STANDARD": 1000},
        noncurrent_bytes_by_class={"STANDARD": 10**9},
        incomplete_uploads=2,
        incomplete_upload_bytes=10**8,
        measured=frozenset({"versions", "uploads", "small-objects"}),
    )


def _cloudwatch_usage(rng: random.Random) -> Usage:
    types = {t: rng.randint(1, 10**13) for t in STORAGE_TYPES}
    return Usage(objects=rng.randint(1, 10**9), storage_types=types)


def snapshots(buckets: int) -> tuple[Snapshot, Snapshot]:
    rng = random.Random(11)
    taken = datetime(2026, 11, 29, tzinfo=UTC)
    made = [Bucket(f"bucket-{i:05d}", REGIONS[i % len(REGIONS)]) for i in range(buckets)]
    listed = Snapshot("list", taken, tuple(BucketReport(b, _listing_usage(rng)) for b in made))
    watched = Snapshot("cloudwatch", taken, tuple(BucketReport(b, _cloudwatch_usage(rng)) for b in made))
    return listed, watched


def prices() -> PriceBook:
    everywhere = rows_to_table(
        [
            {"region": "*", "item": row_item, "from_gb": start, "usd": usd}
            for (region, row_item), tiers in shipped_table().prices.items()
            if region == "us-east-1"
            for start, usd in ((str(t.from_gb), str(t.usd)) for t in tiers)
        ],
        PriceSource("us-east-1 prices everywhere", date(2026, 7, 1), "file"),
        "benchmark",
    )
    return book([everywhere, shipped_table()])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buckets", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    price_book = prices()
    print(f"{args.buckets:,} buckets, medians of {args.repeat}")
    print(f"{'snapshot':<11} {'step':<22} {'ms':>9} {'vs baseline':>12}")
    for snapshot in snapshots(args.buckets):
        cost = cost_snapshot(snapshot, price_book)
        assert cost.total is not None, "every bucket must be priced"
        assert cost.total == sum((sum(b.lines.values(), Decimal(0)) for b in cost.buckets.values()), Decimal(0))
        baseline = median_seconds(lambda s=snapshot: (render(s, "json"), render(s, "table")), args.repeat)
        steps: dict[str, Callable[[], object]] = {
            "cost_snapshot": lambda s=snapshot: cost_snapshot(s, price_book),
            "json+table with cost": lambda s=snapshot, c=cost: (
                render(s, "json", cost=c),
                render(s, "table", cost=c),
            ),
        }
        print(f"{snapshot.strategy:<11} {'json+table, no cost':<22} {baseline * 1000:9.1f} {1.0:12.2f}")
        for name, step in steps.items():
            took = median_seconds(step, args.repeat)
            print(f"{snapshot.strategy:<11} {name:<22} {took * 1000:9.1f} {took / baseline:12.2f}")


if __name__ == "__main__":
    main()
