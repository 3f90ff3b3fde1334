"""A realistic small account: several regions and classes, versions, an empty bucket.

Buckets and settings are created over HTTP like any client would; the ~10k
objects, and the versions and delete markers of the versioned bucket, are written
straight into the in-process moto backend (over HTTP that alone would take most
of a minute).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

ACCOUNT_ID = "123456789012"


@dataclass(frozen=True)
class DemoBucket:
    name: str
    region: str
    objects: int
    make_key: Callable[[random.Random, int], tuple[str, int, str, int]]
    versioned: bool = False


def _web(rng: random.Random, i: int) -> tuple[str, int, str, int]:
    ext = rng.choice(["png", "jpg", "css", "js", "html", "svg", "woff2"])
    return (
        f"static/{rng.choice(['img', 'css', 'js', 'fonts'])}/{i:05d}.{ext}",
        rng.randint(200, 9000),
        "STANDARD",
        rng.randint(0, 400),
    )


def _logs(rng: random.Random, i: int) -> tuple[str, int, str, int]:
    age = rng.randint(0, 900)
    day = datetime(2026, 11, 25) - timedelta(days=age)
    storage = "STANDARD" if age < 30 else "STANDARD_IA" if age < 180 else "GLACIER"
    key = f"app/{day:%Y/%m/%d}/host-{rng.randint(1, 8)}-{i:05d}.log.gz"
    return key, rng.randint(500, 6000), storage, age


def _lake(rng: random.Random, i: int) -> tuple[str, int, str, int]:
    table = rng.choice(["events", "orders", "users"])
    storage = rng.choice(["INTELLIGENT_TIERING", "INTELLIGENT_TIERING", "GLACIER_IR"])
    return f"warehouse/{table}/part-{i:05d}.parquet", rng.randint(2000, 20000), storage, rng.randint(0, 700)


def _backups(rng: random.Random, i: int) -> tuple[str, int, str, int]:
    storage = "DEEP_ARCHIVE" if i % 3 else "GLACIER"
    return (
        f"db/{2020 + i % 6}/dump-{i:04d}.sql.zst",
        rng.randint(5000, 30000),
        storage,
        rng.randint(100, 2000),
    )


def _docs(rng: random.Random, i: int) -> tuple[str, int, str, int]:
    return f"contracts/{i % 40:02d}/doc-{i:04d}.pdf", rng.randint(1000, 8000), "STANDARD", rng.randint(0, 300)


def _ml(rng: random.Random, i: int) -> tuple[str, int, str, int]:
    return (
        f"datasets/v{i % 3}/shard-{i:05d}.tfrecord",
        rng.randint(1000, 12000),
        "ONEZONE_IA",
        rng.randint(0, 120),
    )


DEMO_BUCKETS: tuple[DemoBucket, ...] = (
    DemoBucket("acme-web-assets", "us-east-1", 2500, _web),
    DemoBucket("acme-app-logs", "us-east-1", 4000, _logs),
    DemoBucket("acme-data-lake", "eu-west-1", 1800, _lake),
    DemoBucket("acme-db-backups", "eu-west-1", 300, _backups),
    DemoBucket("acme-contracts", "ap-southeast-1", 800, _docs, versioned=True),
    DemoBucket("acme-ml-datasets", "us-west-2", 600, _ml),
    DemoBucket("acme-empty", "ap-southeast-1", 0, _web),
)


def _create_bucket(s3: Any, name: str, region: str) -> None:
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})


def seed_account(endpoint_url: str, *, scale: float = 1.0, seed: int = 7) -> int:
    """Create the demo account; returns the number of objects written."""
    from moto.s3.models import s3_backends

    rng = random.Random(seed)
    now = datetime.now(UTC).replace(tzinfo=None)
    backend = s3_backends[ACCOUNT_ID]["aws"]
    written = 0
    for spec in DEMO_BUCKETS:
        s3 = boto3.client("s3", region_name=spec.region, endpoint_url=endpoint_url)
        _create_bucket(s3, spec.name, spec.region)
        if spec.versioned:
            s3.put_bucket_versioning(Bucket=spec.name, VersioningConfiguration={"Status": "Enabled"})
        for i in range(int(spec.objects * scale)):
            key, size, storage, age_days = spec.make_key(rng, i)
            obj = backend.put_object(spec.name, key, b"\0" * size, storage=storage)
            obj.last_modified = now - timedelta(days=age_days, seconds=rng.randint(0, 86399))
            written += 1
        if spec.versioned:
            written += _add_history(backend, spec.name, rng)
    written += _add_unfinished_upload(endpoint_url)
    return written


def _add_history(backend: Any, bucket: str, rng: random.Random) -> int:
    """Overwrites and deletes, leaving noncurrent versions and delete markers behind.

    Written into the backend like the objects (the bucket's versioning was set over HTTP): the same
    versions and markers as 125 requests, which took ~2 s of every demo run and of every test that seeds it."""
    writes = 0
    for i in range(0, 200, 2):
        key = f"contracts/{i % 40:02d}/doc-{i:04d}.pdf"
        backend.put_object(bucket, key, b"\1" * rng.randint(1000, 8000))
        writes += 1
    for i in range(1, 100, 4):
        backend.delete_object(bucket, f"contracts/{i % 40:02d}/doc-{i:04d}.pdf")
    return writes


def _add_unfinished_upload(endpoint_url: str) -> int:
    """An upload started and never completed: billed, invisible to plain listings."""
    s3 = boto3.client("s3", region_name="us-west-2", endpoint_url=endpoint_url)
    upload = s3.create_multipart_upload(Bucket="acme-ml-datasets", Key="datasets/v3/huge.tar")
    for number in (1, 2):
        s3.upload_part(
            Bucket="acme-ml-datasets",
            Key="datasets/v3/huge.tar",
            UploadId=upload["UploadId"],
            PartNumber=number,
            Body=b"\2" * (5 * 1024 * 1024),
        )
    return 0
