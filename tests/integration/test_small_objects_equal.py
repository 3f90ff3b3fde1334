"""Small objects and --by age-class end to end: listing (0 and 2 worker processes, with and without
--versions) and inventory (CSV, Parquet, ORC) against moto over HTTP, each equal to a brute-force count.

The truth is counted here from boto3's paginators (``list_objects_v2``, ``list_object_versions``) with
the documented rules written out plainly: an object is small when its size is under 131072 bytes, and
its age band is how many of 30/90/365/730/1825 days it is at least as old as. Objects are aged far from
those edges, so the seconds between the test's clock and the scan's cannot move one. The stored snapshot
(``--save``) is read back for the small counts, which no report format shows: this also runs the codec.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from s3_storage_analyser.aggregate import AGE_EDGES_DAYS, AGE_LABELS
from s3_storage_analyser.demo.seed import ACCOUNT_ID
from s3_storage_analyser.model import Usage
from s3_storage_analyser.storage_classes import SMALL_OBJECT_BYTES, sort_classes
from s3_storage_analyser.store import Store
from support.aws import make_bucket
from support.inventory import by_name, publish, run, truth_rows

pytestmark = pytest.mark.slow

EDGE = SMALL_OBJECT_BYTES
FLAT, VERSIONED = "smalls-flat", "smalls-versioned"
CLASSES = ("STANDARD", "STANDARD_IA", "ONEZONE_IA", "GLACIER_IR", "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE")
AGES = (1, 45, 200, 500, 1000, 2500)  # days: one per band, each at least 15 days from an edge
EDGE_SIZES = (0, 1, EDGE - 1, EDGE, EDGE + 1)


def size_of(i: int) -> int:
    """Mostly sizes well under the edge; every 13th key one of the sizes at it."""
    return EDGE_SIZES[i // 13 % len(EDGE_SIZES)] if i % 13 == 0 else (i * 37) % 5000


def backend() -> Any:
    from moto.s3.models import s3_backends

    return s3_backends[ACCOUNT_ID]["aws"]


def age(key_bucket: str, key: str, days: int) -> None:
    """Set the current version's LastModified (moto's in-process backend, as the demo seed does)."""
    stored = backend().get_object(key_bucket, key)
    assert stored is not None
    stored.last_modified = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=days)


def seed(aws_url: str) -> None:
    """A flat bucket of 1,050 keys and a versioned one of 1,050 versions (both over two listing pages of
    1,000), with every class, sizes on both sides of the edge, every age band, noncurrent versions, markers.
    moto reads the whole bucket for each list request, so more keys cost seconds, not coverage."""
    make_bucket(aws_url, FLAT)
    s3 = make_bucket(aws_url, VERSIONED)
    s3.put_bucket_versioning(Bucket=VERSIONED, VersioningConfiguration={"Status": "Enabled"})
    store = backend()
    for i in range(1050):
        key = f"{i % 7} dir/obj {i:05d}.bin"
        store.put_object(FLAT, key, b"\0" * size_of(i), storage=CLASSES[i % len(CLASSES)])
        age(FLAT, key, AGES[i % len(AGES)])
    for i in range(525):
        key = f"v/{i % 5}/doc {i:04d}"
        # the older version: another class and size (noncurrent once overwritten)
        store.put_object(VERSIONED, key, b"\0" * size_of(i + 1), storage=CLASSES[(i + 2) % len(CLASSES)])
        store.put_object(VERSIONED, key, b"\0" * size_of(i), storage=CLASSES[i % len(CLASSES)])
        age(VERSIONED, key, AGES[i % len(AGES)])
    for i in range(0, 525, 50):  # delete markers on some keys: their versions all become noncurrent
        s3.delete_object(Bucket=VERSIONED, Key=f"v/{i % 5}/doc {i:04d}")


def band(modified: datetime, now: datetime) -> int:
    days = (now - modified).total_seconds() / 86400
    return sum(1 for edge in AGE_EDGES_DAYS if days >= edge)


def truth(aws_url: str, bucket: str, *, versions: bool) -> dict[str, Any]:
    """Small counts per class (current, noncurrent) and age-class rows, counted from boto3's listing."""
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=aws_url)
    now = datetime.now(UTC)
    counts: dict[str, dict[str, int]] = {
        "small_objects_by_class": {},
        "small_bytes_by_class": {},
        "noncurrent_small_objects_by_class": {},
        "noncurrent_small_bytes_by_class": {},
    }
    cells: dict[tuple[int, str], list[int]] = {}

    def count(size: int, storage: str, modified: datetime, current: bool) -> None:
        storage = storage or "STANDARD"
        prefix = "" if current else "noncurrent_"
        if size < SMALL_OBJECT_BYTES:
            objects, sizes = counts[f"{prefix}small_objects_by_class"], counts[f"{prefix}small_bytes_by_class"]
            objects[storage] = objects.get(storage, 0) + 1
            sizes[storage] = sizes.get(storage, 0) + size
        if current:
            cell = cells.setdefault((band(modified, now), storage), [0, 0])
            cell[0] += 1
            cell[1] += size

    if versions:
        for listed in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for v in listed.get("Versions", []):
                count(v["Size"], v.get("StorageClass", ""), v["LastModified"], v["IsLatest"])
    else:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for o in page.get("Contents", []):
                count(o["Size"], o.get("StorageClass", ""), o["LastModified"], True)
    order = {c: i for i, c in enumerate(sort_classes({c for _, c in cells}))}
    rows = [
        {"Key": AGE_LABELS[b], "StorageClass": c, "Files": n, "Bytes": s}
        for (b, c), (n, s) in sorted(cells.items(), key=lambda item: (item[0][0], order[item[0][1]]))
    ]
    return {**counts, "rows": rows}


Truth = Callable[[str, bool], dict[str, Any]]


@pytest.fixture
def truths(aws_url: str) -> Truth:
    """``truth`` once per bucket and view in a test: the fixture's checks and the test share each count."""
    counted: dict[tuple[str, bool], dict[str, Any]] = {}

    def get(bucket: str, versions: bool) -> dict[str, Any]:
        if (bucket, versions) not in counted:
            counted[bucket, versions] = truth(aws_url, bucket, versions=versions)
        return counted[bucket, versions]

    return get


@pytest.fixture
def seeded(aws_url: str, truths: Truth) -> Iterator[str]:
    seed(aws_url)
    flat = truths(FLAT, False)
    # the seed reaches what it is for: both sides of the edge in several classes, every band, noncurrent ones
    assert len(flat["small_objects_by_class"]) == len(CLASSES)
    assert {row["Key"] for row in flat["rows"]} == set(AGE_LABELS)
    versioned = truths(VERSIONED, True)
    assert sum(versioned["noncurrent_small_objects_by_class"].values()) > 500
    yield aws_url


def saved_usage(db: Path) -> dict[str, Usage]:
    store = Store(db, read_only=True)
    try:
        latest = store.latest()
    finally:
        store.close()
    assert latest is not None
    return {report.bucket.name: report.usage for report in latest[1].buckets}


def check(data: dict[str, Any], db: Path, expected: dict[str, dict[str, Any]], *, versions: bool) -> None:
    stored = saved_usage(db)
    for bucket, want in expected.items():
        usage = stored[bucket]
        assert "small-objects" in usage.measured
        for name in (
            "small_objects_by_class",
            "small_bytes_by_class",
            "noncurrent_small_objects_by_class",
            "noncurrent_small_bytes_by_class",
        ):
            wanted = want[name] if versions or not name.startswith("noncurrent") else {}
            assert dict(getattr(usage, name)) == wanted, (bucket, name)
        assert by_name(data)[bucket]["Breakdowns"]["age-class"] == want["rows"], bucket


@pytest.mark.parametrize("versions", [False, True], ids=["current", "versions"])
@pytest.mark.parametrize("processes", ["0", "2"])
def test_listing_counts_small_objects_and_age_class_exactly(
    seeded: str, truths: Truth, cli: Any, tmp_path: Path, processes: str, versions: bool
) -> None:
    flags = ("--versions",) if versions else ()
    expected = {bucket: truths(bucket, versions) for bucket in (FLAT, VERSIONED)}
    db = tmp_path / "history.sqlite3"
    data, _ = run(
        cli, seeded, "--strategy", "list", "--processes", processes, "--conc", "4", "--by", "age-class",
        "--save", "--db", str(db), *flags,
    )  # fmt: skip
    assert data["Failures"] == []
    check(data, db, expected, versions=versions)


@pytest.mark.parametrize("versions", [False, True], ids=["current", "versions"])
def test_inventory_counts_small_objects_and_age_class_exactly(
    seeded: str, truths: Truth, cli: Any, tmp_path: Path, versions: bool
) -> None:
    """Every format of report, each a newer one of the same configuration, gives the brute-force figures."""
    bucket = VERSIONED if versions else FLAT
    expected = {bucket: truths(bucket, versions)}
    rows = truth_rows(seeded, bucket, versions=versions)
    base = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=1, minutes=10)
    flags = ("--versions",) if versions else ()
    for step, fmt in enumerate(("CSV", "Parquet", "ORC")):
        # Files of 400 rows: the report still spans several files, not the ~190 that 7 rows a file would make.
        written = base + timedelta(minutes=step)
        publish(seeded, rows, fmt=fmt, source=bucket, versions=versions, written=written, rows_per_file=400)
        db = tmp_path / f"{fmt}.sqlite3"
        data, _ = run(
            cli, seeded, "--strategy", "inventory", "--cache-dir", str(tmp_path / "cache"), "--bucket", bucket,
            "--by", "age-class", "--save", "--db", str(db), *flags,
        )  # fmt: skip
        assert data["Failures"] == [], fmt
        check(data, db, expected, versions=versions)
