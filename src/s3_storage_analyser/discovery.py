"""Find the buckets a run covers and the region each one lives in.

Whatever goes wrong while learning one bucket's region (an error, a garbled answer,
a region name no client can be made for) is that bucket's failure; the rest go on.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from .aws import Aws
from .errors import AnalyserError, AwsError
from .model import Bucket, Failure
from .safetext import printable
from .selection import Selection

log = logging.getLogger(__name__)
# A region name botocore can build a client for (one DNS label); anything else an endpoint answers is garbage.
_REGION = re.compile(r"^(?![0-9]+$)(?!-)[a-zA-Z0-9-]{1,63}(?<!-)$")


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


def checked_region(name: str, region: Any, source: str) -> str:
    """``region`` when a client can be made for it; otherwise an error naming the bucket and the answer."""
    if isinstance(region, str) and _REGION.match(region):
        return region
    raise AwsError(
        f"{source} answered a region that is not a region name for bucket {name!r}: {printable(repr(region))[:80]}",
        code="BadRegion",
        hint="The endpoint's answer is broken; --region does not change a bucket's own region.",
    )


def list_bucket_entries(aws: Aws) -> list[dict[str, Any]]:
    """Every bucket ListBuckets returns, following continuation tokens."""
    s3 = aws.client("s3")
    entries: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"ContinuationToken": token} if token else {}
        page = aws.call("s3:ListBuckets", s3.list_buckets, **kwargs)
        entries.extend(cast(list[dict[str, Any]], page.get("Buckets", [])))  # as sent: checked as used
        token = page.get("ContinuationToken")
        if not token:
            return entries


def bucket_region(aws: Aws, name: str) -> str:
    """GetBucketLocation, falling back to HeadBucket's ``x-amz-bucket-region`` header (``Aws.locate_bucket``)."""
    operation, found = aws.locate_bucket(name)
    region = region_from_location(found) if operation == "GetBucketLocation" else str(found)
    return checked_region(name, region, operation)


def discover(aws: Aws, selection: Selection, concurrency: int) -> Discovery:
    """ListBuckets, filter by the selection, then look regions up concurrently."""
    entries = {e["Name"]: e for e in list_bucket_entries(aws)}
    chosen = selection.apply(sorted(entries))

    def resolve(name: str) -> Bucket | Failure:
        entry = entries[name]
        try:
            listed = entry.get("BucketRegion")
            region = checked_region(name, listed, "ListBuckets") if listed else bucket_region(aws, name)
            return Bucket(name, region, _as_utc(entry.get("CreationDate")))
        except AnalyserError as exc:
            return Failure(name, None, "region", exc.code, str(exc))
        except Exception as exc:  # anything else is this bucket's failure too; the traceback under --debug
            log.debug("unexpected error finding the region of %r", name, exc_info=exc)
            return Failure(
                name,
                None,
                "region",
                type(exc).__name__,
                f"Unexpected {type(exc).__name__} finding the region of bucket {name!r}: "
                f"{printable(str(exc))[:300]}\n  hint: rerun with --debug for the traceback.",
            )

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
