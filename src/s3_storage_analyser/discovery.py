"""Find the buckets a run covers and the region each one lives in."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import botocore.exceptions as bex

from .aws import Aws, translate
from .errors import AccessDeniedError, AwsError, BucketNotFoundError
from .model import Bucket, Failure
from .selection import Selection


@dataclass(frozen=True)
class Discovery:
    """The buckets found (with regions) and those whose region could not be learned."""

    buckets: tuple[Bucket, ...]
    failures: tuple[Failure, ...]


def region_from_location(constraint: str | None) -> str:
    """GetBucketLocation's quirks: ``None``/``""`` is us-east-1, ``EU`` is eu-west-1."""
    if not constraint:
        return "us-east-1"
    if constraint == "EU":
        return "eu-west-1"
    return constraint


def list_bucket_entries(aws: Aws) -> list[dict[str, Any]]:
    """Every bucket ListBuckets returns, following continuation tokens."""
    s3 = aws.client("s3")
    entries: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"ContinuationToken": token} if token else {}
        page = aws.call("s3:ListBuckets", s3.list_buckets, **kwargs)
        entries.extend(page.get("Buckets", []))
        token = page.get("ContinuationToken")
        if not token:
            return entries


def bucket_region(aws: Aws, name: str) -> str:
    """GetBucketLocation, falling back to HeadBucket's ``x-amz-bucket-region`` header."""
    s3 = aws.client("s3")
    try:
        location = s3.get_bucket_location(Bucket=name)
        return region_from_location(location.get("LocationConstraint"))
    except bex.ClientError as first:
        try:
            head = s3.head_bucket(Bucket=name)
            region = head["ResponseMetadata"]["HTTPHeaders"].get("x-amz-bucket-region")
        except bex.ClientError as second:
            region = second.response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("x-amz-bucket-region")
        except bex.BotoCoreError as second:
            raise translate(second, what="s3:HeadBucket", bucket=name, endpoint=aws.endpoint_url) from second
        if region:
            return str(region)
        raise translate(first, what="s3:GetBucketLocation", bucket=name) from first
    except bex.BotoCoreError as exc:
        raise translate(exc, what="s3:GetBucketLocation", bucket=name, endpoint=aws.endpoint_url) from exc


def discover(aws: Aws, selection: Selection, concurrency: int) -> Discovery:
    """ListBuckets, filter by the selection, then look regions up concurrently."""
    entries = {e["Name"]: e for e in list_bucket_entries(aws)}
    chosen = selection.apply(sorted(entries))

    def resolve(name: str) -> Bucket | Failure:
        entry = entries[name]
        created = _as_utc(entry.get("CreationDate"))
        try:
            region = entry.get("BucketRegion") or bucket_region(aws, name)
        except (AccessDeniedError, BucketNotFoundError, AwsError) as exc:
            return Failure(name, None, "region", exc.code, str(exc))
        return Bucket(name, region, created)

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        results: Sequence[Bucket | Failure] = list(pool.map(resolve, chosen))
    return Discovery(
        buckets=tuple(r for r in results if isinstance(r, Bucket)),
        failures=tuple(r for r in results if isinstance(r, Failure)),
    )


def _as_utc(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
