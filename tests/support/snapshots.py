"""Snapshots to save, load and serve: a rich one, small ones, and a version-1 history database."""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

from s3_storage_analyser.aggregate import BreakdownRow
from s3_storage_analyser.model import Bucket, BucketReport, Failure, Snapshot, Usage
from s3_storage_analyser.store import MIGRATIONS

T0 = datetime(2024, 5, 1, 6, 30, 15, tzinfo=UTC)


def rich_snapshot(taken_at: datetime = T0, *, alpha_standard: int = 1000) -> Snapshot:
    """A snapshot using every field: hidden costs, breakdown rows, storage types, data dates, failures."""
    alpha = BucketReport(
        Bucket("alpha", "eu-west-1", datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)),
        Usage(
            objects=3,
            bytes_by_class={"STANDARD": alpha_standard, "GLACIER": 5000},
            objects_by_class={"STANDARD": 2, "GLACIER": 1},
            noncurrent_objects_by_class={"STANDARD": 4},
            noncurrent_bytes_by_class={"STANDARD": 400},
            delete_markers=2,
            incomplete_uploads=1,
            incomplete_upload_parts=3,
            incomplete_upload_bytes=15_000_000,
            oldest_incomplete_upload=datetime(2024, 4, 1, 12, 0, tzinfo=UTC),
            measured=frozenset({"versions", "uploads"}),
            breakdowns=(
                BreakdownRow("prefix", "logs/", 2, alpha_standard),
                BreakdownRow("prefix", "archive/", 1, 5000),
                BreakdownRow("top", "archive/big.tar", 1, 5000, "GLACIER", "2023-12-31T00:00:00Z"),
            ),
        ),
        None,
    )
    beta = BucketReport(
        Bucket("beta", "us-east-1", None),
        Usage(
            objects=10,
            bytes_by_class={"STANDARD": 123_456, "STANDARD_IA": 7},
            storage_types={"StandardStorage": 123_456, "StandardIAStorage": 7, "StandardIASizeOverhead": 131_065},
        ),
        date(2024, 4, 30),
    )
    return Snapshot(
        strategy="list",
        taken_at=taken_at,
        buckets=(alpha, beta),
        failures=(
            Failure("gamma", "ap-south-1", "measure", "AccessDenied", "Access Denied"),
            Failure("delta", None, "discover", "NoSuchBucket", "gone"),
        ),
        breakdowns=("prefix", "top"),
    )


def small_snapshot(taken_at: datetime, standard: int, objects: int = 1) -> Snapshot:
    report = BucketReport(
        Bucket("solo", "us-east-1"), Usage(objects=objects, bytes_by_class={"STANDARD": standard}), date(2024, 4, 30)
    )
    return Snapshot("cloudwatch", taken_at, (report,))


def _build_v1(path: Path) -> None:
    """A database as the first release left it: only migration 1, one snapshot in v1's columns."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in MIGRATIONS[0].statements:
            db.execute(statement)
        db.execute("PRAGMA user_version = 1")
        db.execute(
            "INSERT INTO snapshots (id, taken_at, strategy, buckets, objects, bytes, failures)"
            " VALUES (1, '2023-01-02T03:04:05+00:00', 'cloudwatch', 1, 5, 2048, 1)"
        )
        detail = {
            "bucket": "legacy",
            "region": "eu-central-1",
            "created": "2019-06-01T00:00:00+00:00",
            "data_date": "2023-01-01",
            "usage": {"objects": 5, "bytes_by_class": {"STANDARD": 2000, "GLACIER": 48}},
        }
        db.execute(
            "INSERT INTO bucket_usage (snapshot_id, bucket, region, objects, bytes, detail)"
            " VALUES (1, ?, ?, 5, 2048, ?)",
            ("legacy", "eu-central-1", json.dumps(detail)),
        )
        db.executemany(
            "INSERT INTO class_usage (snapshot_id, bucket, storage_class, bytes) VALUES (1, 'legacy', ?, ?)",
            [("STANDARD", 2000), ("GLACIER", 48)],
        )
        failure = {"bucket": "locked", "region": None, "stage": "measure", "error": "AccessDenied", "message": "no"}
        db.execute("INSERT INTO failures (snapshot_id, detail) VALUES (1, ?)", (json.dumps(failure),))
    finally:
        db.close()


# Many buckets x 8 classes: the size the HTML report and the service's pages are measured and tested at.
# CLASSES and REGIONS are the ones every seeded builder uses (support.diff_pages, support.listing, benchmarks).
T_BIG = datetime(2026, 11, 29, tzinfo=UTC)
CLASSES = (
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER_IR",
    "GLACIER",
    "DEEP_ARCHIVE",
)
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1")


def big_snapshot(buckets: int = 2000, taken_at: datetime = T_BIG, *, seed: int = 12) -> Snapshot:
    """Buckets x 8 classes, as benchmarks/cost.py builds them: seeded, so every run sees the same numbers."""
    rng = random.Random(seed)
    reports = []
    for i in range(buckets):
        objects = {c: rng.randint(1, 10**6) for c in CLASSES}
        usage = Usage(
            objects=sum(objects.values()),
            bytes_by_class={c: n * rng.randint(1000, 10**6) for c, n in objects.items()},
            objects_by_class=objects,
        )
        reports.append(BucketReport(Bucket(f"bucket-{i:05d}", REGIONS[i % len(REGIONS)]), usage))
    return Snapshot("list", taken_at, tuple(reports))
