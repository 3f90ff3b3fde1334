"""S3 Inventory reports for the demo account, so ``demo --strategy inventory`` has reports to read.

S3 writes a report per configured bucket every day; here one is written per
demo bucket, from what the bucket holds, laid out as S3 lays it out, into a
destination bucket of its own: every version for versioned buckets, the
formats taking turns. The destination bucket reports on itself too (its report
lists the other reports' files), so every bucket of the account has one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from .inventory_writer import ALL_FIELDS, CURRENT_FIELDS, InventoryRow, configure, upload, write_report
from .seed import DEMO_BUCKETS

DESTINATION = "acme-inventory"
DESTINATION_REGION = "us-east-1"
FORMATS = ("Parquet", "CSV", "ORC")


def frequent_tier(key: str, storage: str) -> str | None:
    """Every Intelligent-Tiering object in the frequent access tier."""
    return "FREQUENT" if storage == "INTELLIGENT_TIERING" else None


def bucket_rows(
    s3: Any, bucket: str, *, versions: bool, tier: Callable[[str, str], str | None] = frequent_tier
) -> list[InventoryRow]:
    """The report's rows: what S3 lists in the bucket; ``tier(key, storage class)`` is the access tier."""
    rows: list[InventoryRow] = []
    if not versions:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for obj in page.get("Contents", []):
                storage = obj.get("StorageClass") or "STANDARD"
                rows.append(
                    InventoryRow(
                        obj["Key"], obj["Size"], storage, obj["LastModified"], it_tier=tier(obj["Key"], storage)
                    )
                )
        return rows
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for v in page.get("Versions", []):
            storage = v.get("StorageClass") or "STANDARD"
            rows.append(
                InventoryRow(
                    v["Key"],
                    v["Size"],
                    storage,
                    v["LastModified"],
                    v["VersionId"],
                    v["IsLatest"],
                    False,
                    tier(v["Key"], storage),
                )
            )
        for m in page.get("DeleteMarkers", []):
            marker = InventoryRow(m["Key"], None, "STANDARD", m["LastModified"], m["VersionId"], m["IsLatest"], True)
            rows.append(marker)
    return rows


def publish_demo_inventories(endpoint_url: str) -> int:
    """Create the destination bucket, write and configure a report per bucket; returns how many."""
    written = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=6)
    destination = boto3.client("s3", region_name=DESTINATION_REGION, endpoint_url=endpoint_url)
    destination.create_bucket(Bucket=DESTINATION)
    sources = [(spec.name, spec.region, spec.versioned) for spec in DEMO_BUCKETS]
    for index, (name, region, versioned) in enumerate([*sources, (DESTINATION, DESTINATION_REGION, False)]):
        s3 = boto3.client("s3", region_name=region, endpoint_url=endpoint_url)
        fmt = FORMATS[index % len(FORMATS)]
        rows = bucket_rows(s3, name, versions=versioned)
        # A current-versions configuration has no version fields, as S3 writes it.
        fields = ALL_FIELDS if versioned else (*CURRENT_FIELDS, "IntelligentTieringAccessTier")
        report = write_report(
            rows, source_bucket=name, destination_bucket=DESTINATION, fmt=fmt, fields=fields, written=written,
            rows_per_file=1000,
        )  # fmt: skip
        upload(report, destination, DESTINATION)
        configure(s3, name, DESTINATION, fmt=fmt, versions=versioned)
    return len(sources) + 1
