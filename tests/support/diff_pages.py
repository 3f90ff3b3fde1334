"""Pairs of snapshots for the diff page's tests (unit, browser) and benchmark: small, hostile, 2,000 buckets.

Each builder returns ``(before, after)`` snapshots; ``page`` and ``as_json`` render them the way
``s3sa diff A B --fmt html|json`` does (ids 1 and 2, priced with the shipped prices when asked).
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from s3_storage_analyser.diff import diff
from s3_storage_analyser.model import Bucket, BucketReport, Failure, Snapshot, Usage
from s3_storage_analyser.pricing.book import PriceBook, book
from s3_storage_analyser.pricing.cost import cost_snapshot
from s3_storage_analyser.pricing.shipped import shipped_table
from s3_storage_analyser.render.diff import render_diff
from support.snapshots import CLASSES, REGIONS

BOOK: PriceBook = book([shipped_table()])
T = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
GIB = 1024**3
Pair = tuple[Snapshot, Snapshot]


def _report(name: str, by_class: dict[str, int], objects: dict[str, int] | None = None) -> BucketReport:
    counts = objects if objects is not None else {c: max(1, n // 1000) for c, n in by_class.items()}
    usage = Usage(objects=sum(counts.values()), bytes_by_class=by_class, objects_by_class=counts)
    return BucketReport(Bucket(name, "us-east-1"), usage)


def small_pair(*, strategies: tuple[str, str] = ("list", "list")) -> Pair:
    """Four buckets: one grows, one shrinks, one is new, one is gone; a fifth fails in the second."""
    before = Snapshot(
        strategies[0],
        T,
        (
            _report("growing", {"STANDARD": 10 * GIB, "GLACIER": 5 * GIB}),
            _report("shrinking", {"STANDARD": 8 * GIB, "STANDARD_IA": 3 * GIB}),
            _report("deleted", {"STANDARD": 1000}),
            _report("flaky", {"STANDARD": 77}),
        ),
    )
    after = Snapshot(
        strategies[1],
        T + timedelta(days=7, hours=2),
        (
            _report("growing", {"STANDARD": 12 * GIB + 123, "GLACIER": 5 * GIB}),
            _report("shrinking", {"STANDARD": 2 * GIB, "STANDARD_IA": 3 * GIB}),
            _report("created", {"DEEP_ARCHIVE": 40 * GIB}),
        ),
        failures=(Failure("flaky", "us-east-1", "list", "AccessDenied", "Access Denied"),),
    )
    return before, after


def big_pair(buckets: int = 2000) -> Pair:
    """``buckets`` x 8 classes in both (seeded): each class grows or shrinks by up to half, or stays."""
    rng = random.Random(12)
    old, new = [], []
    for i in range(buckets):
        name = f"bucket-{i:05d}"
        objects = {c: rng.randint(1, 10**6) for c in CLASSES}
        sizes = {c: n * rng.randint(1000, 10**6) for c, n in objects.items()}
        later = {c: max(0, v + rng.choice((0, 1, -1)) * rng.randint(0, v // 2)) for c, v in sizes.items()}
        later_objects = {c: max(1, n + rng.randint(-1000, 1000)) for c, n in objects.items()}
        region = REGIONS[i % len(REGIONS)]
        old.append(BucketReport(Bucket(name, region), Usage(sum(objects.values()), sizes, objects_by_class=objects)))
        usage = Usage(sum(later_objects.values()), later, objects_by_class=later_objects)
        new.append(BucketReport(Bucket(name, region), usage))
    return Snapshot("list", T, tuple(old)), Snapshot("list", T + timedelta(days=30), tuple(new))


HOSTILE = [
    "</script><script>window.__pwned = 1</script>",
    '<img src=x onerror="window.__pwned = 2">',
    "\"'><svg onload=window.__pwned=3>",
    "\u202eevil\u2066bidi\u200f",
    "<!--<script>window.__pwned = 4</script>",
    "{{ 7*7 }}",
]


def hostile_pair() -> Pair:
    """Each hostile name grows by a different amount; one fails in the second snapshot, by name."""
    before = Snapshot("list", T, tuple(_report(n, {"STANDARD": GIB * (i + 1)}) for i, n in enumerate(HOSTILE)))
    after = Snapshot(
        "cloudwatch",
        T + timedelta(days=1),
        tuple(_report(n, {"STANDARD": GIB * (i + 1) * 2, f"NEW{n}": 7}) for i, n in enumerate(HOSTILE[:-1])),
        failures=(Failure(HOSTILE[-1], None, "list", HOSTILE[-1], f"message {HOSTILE[-1]}"),),
    )
    return before, after


def render_pair(pair: Pair, fmt: str, *, priced: bool = False) -> str:
    before, after = pair
    cost = (cost_snapshot(before, BOOK), cost_snapshot(after, BOOK)) if priced else None
    return render_diff(diff(before, after), (1, before), (2, after), fmt, None, cost=cost)


def as_json(pair: Pair, *, priced: bool = False) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(render_pair(pair, "json", priced=priced))
    return parsed
