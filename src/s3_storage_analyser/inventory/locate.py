"""Find a bucket's newest complete inventory report: configurations -> destination -> manifest."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from ..aws import Aws
from ..discovery import bucket_region
from ..errors import InventoryError

_STAMP = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}Z)/$", re.ASCII)  # folder names are untrusted: ASCII digits
_BUCKET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}")


@dataclass(frozen=True)
class ReportLocation:
    """Where one report's manifest lives."""

    bucket: str
    region: str
    manifest_key: str
    config_id: str
    written: datetime
    filter_prefix: str = ""  # the configuration covers only these keys
    whole_versions: bool = True  # the configuration includes noncurrent versions

    @property
    def checksum_key(self) -> str:
        return self.manifest_key[: -len("manifest.json")] + "manifest.checksum"

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.manifest_key}"


def configurations(aws: Aws, bucket: str, region: str) -> list[dict[str, Any]]:
    s3 = aws.client("s3", region)
    found: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        params: dict[str, Any] = {"Bucket": bucket}
        if token:
            params["ContinuationToken"] = token
        page = aws.call(
            "s3:ListBucketInventoryConfigurations", s3.list_bucket_inventory_configurations, bucket=bucket, **params
        )
        found.extend(cast(list[dict[str, Any]], page.get("InventoryConfigurationList", [])))  # as sent
        token = page.get("NextContinuationToken") if page.get("IsTruncated") else None
        if not token:
            return found


def choose(configs: list[dict[str, Any]], prefer_versions: bool) -> list[dict[str, Any]]:
    """Usable configurations, best first: whole bucket, then versions as asked, then daily."""
    usable = [c for c in configs if c.get("IsEnabled") and c.get("Destination", {}).get("S3BucketDestination")]

    def rank(config: dict[str, Any]) -> tuple[int, int, int]:
        whole = 0 if not config.get("Filter", {}).get("Prefix") else 1
        versions = config.get("IncludedObjectVersions") == "All"
        return (
            whole,
            0 if versions == prefer_versions else 1,
            0 if config.get("Schedule", {}).get("Frequency") == "Daily" else 1,
        )

    return sorted(usable, key=rank)


def newest_report(aws: Aws, source: str, config: dict[str, Any]) -> ReportLocation | None:
    """The newest ``<prefix>/<source>/<id>/<stamp>/`` folder holding both manifest files."""
    destination = config["Destination"]["S3BucketDestination"]
    bucket = str(destination["Bucket"]).rsplit(":", 1)[-1]
    if not _BUCKET.fullmatch(bucket):
        raise InventoryError(f"Bucket {source}: inventory destination {bucket[:80]!r} is not a bucket name.")
    prefix = str(destination.get("Prefix") or "").strip("/")
    base = f"{prefix}/{source}/{config['Id']}/" if prefix else f"{source}/{config['Id']}/"
    region = bucket_region(aws, bucket)
    s3 = aws.client("s3", region)
    stamps: list[str] = []
    with aws.translating(f"s3:ListBucket {base}", bucket=bucket):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=base, Delimiter="/"):
            for entry in page.get("CommonPrefixes", []):
                match = _STAMP.search(entry["Prefix"])
                if match:
                    stamps.append(match.group(1))
    for stamp in sorted(stamps, reverse=True):
        folder = f"{base}{stamp}/"
        listed = aws.call(
            f"s3:ListBucket {folder}", s3.list_objects_v2, bucket=bucket, Bucket=bucket, Prefix=folder, Delimiter="/"
        )
        names = {obj["Key"][len(folder) :] for obj in listed.get("Contents", [])}
        if {"manifest.json", "manifest.checksum"} <= names:  # S3 writes the checksum last
            written = datetime.strptime(stamp, "%Y-%m-%dT%H-%MZ").replace(tzinfo=UTC)
            return ReportLocation(
                bucket,
                region,
                folder + "manifest.json",
                str(config["Id"]),
                written,
                str(config.get("Filter", {}).get("Prefix") or ""),
                config.get("IncludedObjectVersions") == "All",
            )
    return None


def find_report(aws: Aws, source: str, region: str, prefer_versions: bool) -> ReportLocation:
    configs = choose(configurations(aws, source, region), prefer_versions)
    if not configs:
        raise InventoryError(
            f"Bucket {source} has no enabled S3 Inventory configuration.",
            hint="Configure S3 Inventory (it takes up to 48 h for the first report), "
            "or use --strategy list (exact, live) or --strategy cloudwatch (daily totals).",
        )
    for config in configs:
        found = newest_report(aws, source, config)
        if found is not None:
            return found
    ids = ", ".join(str(c["Id"]) for c in configs)
    raise InventoryError(
        f"Bucket {source} has inventory configurations ({ids}) but no complete report yet.",
        hint="The first report can take up to 48 h; meanwhile use --strategy list or --strategy cloudwatch.",
    )
