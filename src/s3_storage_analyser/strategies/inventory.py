"""The inventory strategy: S3 Inventory reports, verified, fetched and counted by DuckDB.

Same figures and breakdowns as listing, for buckets too big to list. A report
that is missing, corrupt or unreadable fails that bucket (never half-counted);
a stale one is still counted, with a notice giving its date.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..aggregate import BreakdownSpec
from ..aws import Aws
from ..config import default
from ..discovery import bucket_region
from ..errors import AccessDeniedError, AwsError, BucketNotFoundError, InventoryError, ObjectNotFoundError
from ..inventory.analyse import analyse, open_source, session
from ..inventory.fetch import Fetcher, read_local_manifest, split_s3_url
from ..inventory.locate import find_report
from ..inventory.manifest import Manifest, parse_manifest, verify_checksum
from ..model import Bucket, BucketReport, Failure, Notice

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_PER_BUCKET = (InventoryError, AccessDeniedError, BucketNotFoundError, AwsError)
log = logging.getLogger("s3_storage_analyser.inventory")


def _unexpected(bucket: str, region: str | None, exc: Exception) -> Failure:
    """Anything else that goes wrong measuring one bucket is that bucket's failure, not the run's end."""
    log.debug("inventory of bucket %s failed unexpectedly", bucket, exc_info=exc)
    message = f"unexpected {type(exc).__name__} while counting the inventory report: {str(exc)[:600]}"
    return Failure(bucket, region, "inventory", "InternalError", message + " (--debug shows the traceback)")


class InventoryStrategy:
    """Reads each bucket's newest complete inventory report (or one given report)."""

    name = "inventory"

    def __init__(
        self,
        aws: Aws,
        *,
        concurrency: int,
        spec: BreakdownSpec | None = None,
        versions: bool = False,
        manifest: str | None = None,
        max_age_days: int = default("max_age"),
        cache_dir: str | None = None,
        scopes: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.scopes = scopes or {}
        self.aws = aws
        self.spec = spec or BreakdownSpec()
        self.versions = versions
        self.manifest = manifest
        self.max_age_days = max_age_days
        self.fetcher = Fetcher(aws, Path(cache_dir) if cache_dir else None, concurrency=concurrency)

    def collect(self, buckets: Sequence[Bucket]) -> Iterator[BucketReport | Failure | Notice]:
        if self.manifest:
            yield from self._given(self.manifest)
            return
        for bucket in buckets:
            try:
                yield from self._bucket(bucket)
            except _PER_BUCKET as exc:
                yield Failure(bucket.name, bucket.region, "inventory", exc.code, str(exc))
            except Exception as exc:  # one bucket never ends the run
                yield _unexpected(bucket.name, bucket.region, exc)

    def _bucket(self, bucket: Bucket) -> Iterator[BucketReport | Notice]:
        location = find_report(self.aws, bucket.name, bucket.region, self.versions)
        s3 = self.aws.client("s3", location.region)
        raw = self._get(s3, location.bucket, location.manifest_key)
        checksum = self._get(s3, location.bucket, location.checksum_key).decode("ascii", "replace")
        verify_checksum(raw, checksum, location.url)
        manifest = parse_manifest(raw, location.url)
        if location.filter_prefix:
            yield Notice(
                bucket.name,
                f"the only inventory report found (configuration {location.config_id}) covers keys under "
                f"{location.filter_prefix!r} only: figures are for those keys",
            )
        if self.versions and not location.whole_versions:
            yield Notice(bucket.name, "the inventory report lists current versions only: no noncurrent figures")
        paths = self.fetcher.remote(manifest, location.bucket, location.region)
        shown = [f"s3://{location.bucket}/{item.key}" for item in manifest.files]
        yield from self._count(bucket, manifest, paths, manifest.created or location.written, shown)

    def _given(self, where: str) -> Iterator[BucketReport | Failure | Notice]:
        """--inventory-manifest: an s3:// URL or a local manifest.json (for other accounts, offline work)."""
        source = where
        try:
            if where.startswith("s3://"):
                bucket, key = split_s3_url(where)
                region = bucket_region(self.aws, bucket)
                s3 = self.aws.client("s3", region)
                raw = self._get(s3, bucket, key)
                checksum_key = key.rsplit("/", 1)[0] + "/manifest.checksum" if "/" in key else "manifest.checksum"
                verify_checksum(raw, self._get(s3, bucket, checksum_key).decode("ascii", "replace"), where)
                manifest = parse_manifest(raw, where)
                source = manifest.source_bucket
                paths = self.fetcher.remote(manifest, bucket, region)
                shown = [f"s3://{bucket}/{item.key}" for item in manifest.files]
            else:
                path = Path(where).expanduser()
                raw, checksum = read_local_manifest(path)
                if checksum is None:
                    yield Notice(where, "no manifest.checksum beside the manifest: manifest.json itself is unverified")
                else:
                    verify_checksum(raw, checksum, str(path))
                manifest = parse_manifest(raw, str(path))
                source = manifest.source_bucket
                paths = self.fetcher.local(manifest, path)
                shown = [str(p) for p in paths]
            yield from self._count(Bucket(manifest.source_bucket, "-"), manifest, paths, manifest.created, shown)
        except _PER_BUCKET as exc:
            yield Failure(source, None, "inventory", exc.code, str(exc))
        except Exception as exc:  # one bucket never ends the run
            yield _unexpected(source, None, exc)

    def _count(
        self, bucket: Bucket, manifest: Manifest, paths: list[Path], written: datetime | None, shown: list[str]
    ) -> Iterator[BucketReport | Notice]:
        if written is not None:
            age = (datetime.now(UTC) - written).days
            if age > self.max_age_days:
                yield Notice(
                    bucket.name,
                    f"the inventory report is from {written:%Y-%m-%d} ({age} days old, over --max-age "
                    f"{self.max_age_days}): figures are as of that day",
                )
        day = written.date() if written else None
        # Every scope is counted before any is yielded: a check that fails late fails the bucket, whole.
        reports = []
        with session(paths) as con:
            source = open_source(con, manifest, paths, shown)
            for prefix in self.scopes.get(bucket.name) or ("",):
                usage = analyse(con, source, self.spec, key_prefix=prefix)
                label = replace(bucket, name=f"{bucket.name}/{prefix}") if prefix else bucket
                reports.append(BucketReport(label, usage, day))
        yield from reports

    def _get(self, s3: S3Client, bucket: str, key: str) -> bytes:
        try:
            with self.aws.translating("s3:GetObject", bucket=bucket, key=key):
                return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except ObjectNotFoundError as exc:
            raise InventoryError(f"s3://{bucket}/{key} does not exist.") from exc
