"""Inventory reports for tests.

Buckets seeded in moto, reports written and published with AWS's layout, doctored
reports, and the CLI runs that read them.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3

from s3_storage_analyser.aws import Aws, AwsOptions
from s3_storage_analyser.demo.inventories import bucket_rows
from s3_storage_analyser.demo.inventory_writer import (
    ALL_FIELDS,
    InventoryRow,
    WrittenReport,
    configure,
    upload,
    write_report,
)
from s3_storage_analyser.errors import EXIT_OK
from support.cli import CliResult

SRC = "inv-source"


DEST = "inv-reports"


TIERS = {"é/naïve.Txt": "FREQUENT", "日本/語.txt": "ARCHIVE", "edge/at-128k": "INFREQUENT"}


@functools.cache
def client(aws_url: str, region: str = "us-east-1") -> Any:
    """One boto3 client per endpoint and region for the whole session (loading botocore's models is slow)."""
    return boto3.client("s3", region_name=region, endpoint_url=aws_url)


def new_bucket(aws_url: str, name: str, region: str = "us-east-1") -> Any:
    s3 = client(aws_url, region)
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    return s3


def truth_rows(aws_url: str, bucket: str, *, versions: bool = False) -> list[InventoryRow]:
    """Inventory rows for what boto3's paginators see in the bucket (tiers from TIERS; ARCHIVE for versions)."""

    def tier(key: str, storage: str) -> str | None:
        if storage != "INTELLIGENT_TIERING":
            return None
        return "ARCHIVE" if versions else TIERS.get(key, "FREQUENT")

    return bucket_rows(client(aws_url), bucket, versions=versions, tier=tier)


def publish(
    aws_url: str,
    rows: list[InventoryRow],
    *,
    fmt: str = "CSV",
    fields: tuple[str, ...] = ALL_FIELDS,
    source: str = SRC,
    destination: str = DEST,
    prefix: str = "inventory",
    config_id: str = "all-objects",
    written: datetime | None = None,
    versions: bool = False,
    rows_per_file: int = 7,
    dest_region: str = "us-east-1",
    setup: bool = True,
) -> WrittenReport:
    """Write one report, upload it to the destination (created if needed) and configure the source."""
    report = write_report(
        rows,
        source_bucket=source,
        destination_bucket=destination,
        fmt=fmt,
        fields=fields,
        prefix=prefix,
        config_id=config_id,
        written=written or datetime.now(UTC) - timedelta(days=2),
        rows_per_file=rows_per_file,
    )
    dest = client(aws_url, dest_region)
    if destination not in {b["Name"] for b in dest.list_buckets()["Buckets"]}:
        new_bucket(aws_url, destination, dest_region)
    upload(report, dest, destination)
    if setup:
        configure(client(aws_url), source, destination, fmt=fmt, config_id=config_id, prefix=prefix, versions=versions)
    return report


def md5(body: bytes) -> str:
    return hashlib.md5(body, usedforsecurity=False).hexdigest()


def data_keys(report: WrittenReport) -> list[str]:
    return [k for k in report.files if "/data/" in k]


def checksum_key(report: WrittenReport) -> str:
    return report.manifest_key.rsplit("/", 1)[0] + "/manifest.checksum"


def doctored(
    report: WrittenReport,
    *,
    edit: Callable[[dict[str, Any]], None] | None = None,
    replace: dict[str, bytes] | None = None,
    fix_md5: bool = True,
) -> WrittenReport:
    """The report with data files replaced (their MD5 updated in the manifest unless ``fix_md5``
    is false) and the manifest edited, manifest.checksum matching the new manifest."""
    files = dict(report.files)
    doc = json.loads(files[report.manifest_key])
    for key, body in (replace or {}).items():
        files[key] = body
        if fix_md5:
            for entry in doc["files"]:
                if entry["key"] == key:
                    entry["MD5checksum"], entry["size"] = md5(body), len(body)
    if edit is not None:
        edit(doc)
    raw = json.dumps(doc, indent=2).encode()
    files[report.manifest_key] = raw
    files[checksum_key(report)] = md5(raw).encode()
    return WrittenReport(files, report.manifest_key)


def run(cli: Any, aws_url: str, *args: str, expect: int = EXIT_OK) -> tuple[dict[str, Any], CliResult]:
    result: CliResult = cli("--endpoint-url", aws_url, "--fmt", "json", "--quiet", *args)
    assert result.code == expect, result.stderr
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    return json.loads(result.stdout), result


def inventory(
    cli: Any, aws_url: str, cache: Path, *args: str, expect: int = EXIT_OK
) -> tuple[dict[str, Any], CliResult]:
    data, result = run(cli, aws_url, "--strategy", "inventory", "--cache-dir", str(cache), *args, expect=expect)
    assert data["Strategy"] == "inventory"
    return data, result


def by_name(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["Bucket"]: b for b in data["Buckets"]}


def failure_of(data: dict[str, Any], bucket: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [f for f in data["Failures"] if f["Bucket"] == bucket]
    assert len(found) == 1, data["Failures"]
    assert bucket not in by_name(data)
    return found[0]


def aws_for(aws_url: str) -> Aws:
    return Aws(AwsOptions(endpoint_url=aws_url))


GOOD = "inv-good"


def seed_good(aws_url: str) -> None:
    new_bucket(aws_url, GOOD).put_object(Bucket=GOOD, Key="ok.txt", Body=b"fine")
    publish(aws_url, truth_rows(aws_url, GOOD), source=GOOD)
