"""The CloudWatch strategy: S3's daily storage metrics, batched 500 queries per call.

Per region: ListMetrics says which (bucket, StorageType) series exist, so we ask
GetMetricData only for those, 500 at a time. 1,200 buckets cost about a dozen
calls, not one per metric as 0.1 did. Storage types that AWS adds later
show up in ListMetrics and are counted, never dropped.

Each query names the dimensions exactly as ListMetrics returned them: AWS matches
them in any order, but emulators (moto) match them in the stored order and answer
nothing, which would read as an empty bucket. Whatever goes wrong in a region (an
endpoint without CloudWatch, a garbled answer, a value that is not a byte count)
becomes a failure of that region's buckets, never the end of the run.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ..aws import Aws
from ..errors import (
    AccessDeniedError,
    AnalyserError,
    AwsError,
    CloudWatchUnavailableError,
    EndpointUnreachableError,
)
from ..model import Bucket, BucketReport, Failure, Notice, Usage
from ..safetext import printable
from ..storage_classes import (
    CLOUDWATCH_STORAGE_TYPES,
    OBJECT_COUNT_STORAGE_TYPE,
    class_for_storage_type,
)

NAMESPACE = "AWS/S3"
SIZE_METRIC = "BucketSizeBytes"
COUNT_METRIC = "NumberOfObjects"
MAX_QUERIES_PER_CALL = 500
LIST_METRICS_HORIZON_DAYS = 14  # ListMetrics only returns series with data in the last two weeks
DAY = 86400
# The default order of the two dimensions, for series ListMetrics did not name.
DEFAULT_DIMENSIONS = ("BucketName", "StorageType")
# What an endpoint without CloudWatch answers: S3-compatible servers reject the unknown call
# (NotImplemented, 404, 405, an unknown action) or send an S3 error body botocore cannot read.
_NO_CLOUDWATCH_CODES = {
    "NotImplemented",
    "501",
    "404",
    "NotFound",
    "405",
    "MethodNotAllowed",
    "InvalidAction",
    "UnknownOperation",
    "UnknownOperationException",
    "InvalidRequest",
    "InvalidArgument",
    "InvalidURI",
    "NoSuchBucket",
    "NoSuchKey",
    "ResponseParserError",
}
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Series:
    """One metric series: which bucket, which metric, which StorageType; ``dimensions`` is the
    order ListMetrics named them in (not part of the identity: one series whatever the order)."""

    bucket: str
    metric: str
    storage_type: str
    dimensions: tuple[str, ...] = field(default=DEFAULT_DIMENSIONS, compare=False)


def documented_series(bucket: str) -> list[Series]:
    """Every series AWS documents for a bucket: the fallback when ListMetrics is not allowed."""
    return [Series(bucket, COUNT_METRIC, OBJECT_COUNT_STORAGE_TYPE)] + [
        Series(bucket, SIZE_METRIC, storage_type) for storage_type in CLOUDWATCH_STORAGE_TYPES
    ]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class CloudWatchStrategy:
    """Reads the newest daily datapoint within ``days`` for every bucket."""

    name = "cloudwatch"

    def __init__(
        self,
        aws: Aws,
        *,
        days: int,
        concurrency: int,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.aws = aws
        self.days = days
        self.concurrency = max(1, concurrency)
        self.now = now

    def collect(self, buckets: Sequence[Bucket]) -> Iterator[BucketReport | Failure | Notice]:
        by_region: dict[str, list[Bucket]] = defaultdict(list)
        for bucket in buckets:
            by_region[bucket.region].append(bucket)
        end = self.now()
        start = end.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=self.days)
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            futures = {
                pool.submit(self._region, region, members, start, end): (region, members)
                for region, members in by_region.items()
            }
            for future in as_completed(futures):
                try:
                    yield from future.result()
                except Exception as exc:  # _region turns errors into failures; this is the last guard
                    region, members = futures[future]
                    yield from self._failures(region, members, exc)

    def _region(
        self,
        region: str,
        buckets: list[Bucket],
        start: datetime,
        end: datetime,
    ) -> list[BucketReport | Failure | Notice]:
        notices: list[BucketReport | Failure | Notice] = []
        try:
            series, listed = self._series(region, {b.name for b in buckets})
            if not listed:
                notices += [
                    Notice(
                        b.name,
                        f"cloudwatch:ListMetrics was denied in {region}: only the storage types AWS documents "
                        "were queried; grant it to count types AWS adds later",
                    )
                    for b in buckets
                ]
            values = self._fetch(region, series, start, end)
        except Exception as exc:
            return list(self._failures(region, buckets, exc))
        return notices + [self._measured(b, values.get(b.name, {})) for b in buckets]

    def _failures(self, region: str, buckets: Sequence[Bucket], exc: Exception) -> Iterator[Failure]:
        """The same failure for each bucket of ``region``; an unexpected error keeps its traceback for --debug."""
        error = self._explain(region, exc)
        for bucket in buckets:
            yield Failure(bucket.name, region, "metrics", error.code, str(error))

    def _explain(self, region: str, exc: Exception) -> AnalyserError:
        """An ``AnalyserError`` that says what went wrong; "no CloudWatch here" gets its own, with the way out."""
        endpoint = self.aws.endpoint_for("cloudwatch")
        code = exc.code if isinstance(exc, AnalyserError) else ""
        if endpoint and (isinstance(exc, EndpointUnreachableError) or code in _NO_CLOUDWATCH_CODES):
            detail = exc.message if isinstance(exc, AnalyserError) else str(exc)
            detail = detail.replace(f"The endpoint {printable(endpoint)} answered", "it answered", 1)
            return CloudWatchUnavailableError(
                f"The endpoint {printable(endpoint)} does not serve CloudWatch (region {region}): {detail}",
                hint="S3-compatible servers have no CloudWatch metrics: use --strategy list "
                "(or --strategy inventory where S3 Inventory reports are configured).",
            )
        if isinstance(exc, AnalyserError):
            return exc
        log.debug("unexpected error reading CloudWatch metrics in %s", region, exc_info=exc)
        return AwsError(
            f"Unexpected {type(exc).__name__} reading CloudWatch metrics in {region}: {printable(str(exc))[:300]}",
            code=type(exc).__name__,
            hint="Rerun with --debug for the traceback, and report it if the endpoint is AWS.",
        )

    def _measured(self, bucket: Bucket, values: dict[Series, list[tuple[datetime, float]]]) -> BucketReport | Failure:
        """The bucket's report, or its failure when the endpoint's figures are not byte or object counts."""
        try:
            return self._report(bucket, values)
        except ValueError as exc:
            error = AwsError(str(exc), code="BadMetricValue", hint="The endpoint's CloudWatch figures are broken.")
            return Failure(bucket.name, bucket.region, "metrics", error.code, str(error))

    def _series(self, region: str, names: set[str]) -> tuple[list[Series], bool]:
        """The series to query (what ListMetrics reveals, or the documented set) and
        whether ListMetrics answered."""
        documented = [s for name in sorted(names) for s in documented_series(name)]
        try:
            listed = self._list_metrics(region, names)
        except AccessDeniedError:
            return documented, False  # whatever --days is: ListMetrics is an optimisation, not a requirement
        # One query per series; a listed series keeps the dimension order ListMetrics gave it.
        chosen = {s: s for s in documented} if self.days > LIST_METRICS_HORIZON_DAYS else {}
        chosen.update({s: s for s in listed})
        return sorted(chosen.values(), key=_series_key), True

    def _list_metrics(self, region: str, names: set[str]) -> list[Series]:
        cw = self.aws.client("cloudwatch", region)
        found: list[Series] = []
        for metric in (SIZE_METRIC, COUNT_METRIC):
            token: str | None = None
            while True:
                kwargs: dict[str, Any] = {"Namespace": NAMESPACE, "MetricName": metric}
                if token:
                    kwargs["NextToken"] = token
                page = self.aws.call("cloudwatch:ListMetrics", cw.list_metrics, **kwargs)
                for entry in page.get("Metrics", []):
                    pairs = [(d["Name"], d["Value"]) for d in entry.get("Dimensions", [])]
                    dims = dict(pairs)
                    if len(pairs) == 2 and set(dims) == set(DEFAULT_DIMENSIONS) and dims["BucketName"] in names:
                        order = tuple(name for name, _ in pairs)
                        found.append(Series(dims["BucketName"], metric, dims["StorageType"], order))
                token = page.get("NextToken")
                if not token:
                    break
        return found

    def _fetch(
        self, region: str, series: list[Series], start: datetime, end: datetime
    ) -> dict[str, dict[Series, list[tuple[datetime, float]]]]:
        """GetMetricData in batches of 500; returns bucket -> series -> datapoints."""
        cw = self.aws.client("cloudwatch", region)
        out: dict[str, dict[Series, list[tuple[datetime, float]]]] = defaultdict(dict)
        for offset in range(0, len(series), MAX_QUERIES_PER_CALL):
            batch = series[offset : offset + MAX_QUERIES_PER_CALL]
            queries = [_query(f"m{i}", s) for i, s in enumerate(batch)]
            token: str | None = None
            while True:
                kwargs: dict[str, Any] = {
                    "MetricDataQueries": queries,
                    "StartTime": start,
                    "EndTime": end,
                    "ScanBy": "TimestampDescending",
                }
                if token:
                    kwargs["NextToken"] = token
                page = self.aws.call("cloudwatch:GetMetricData", cw.get_metric_data, **kwargs)
                for result in page.get("MetricDataResults", []):
                    item = _answered(batch, result.get("Id"))
                    if result.get("StatusCode") == "InternalError":
                        raise AwsError(
                            f"CloudWatch could not compute {item.metric}/{item.storage_type} for {item.bucket}.",
                            code="InternalError",
                        )
                    points = out[item.bucket].setdefault(item, [])
                    points.extend(zip(result.get("Timestamps", []), result.get("Values", []), strict=True))
                token = page.get("NextToken")
                if not token:
                    break
        return out

    def _report(self, bucket: Bucket, values: dict[Series, list[tuple[datetime, float]]]) -> BucketReport:
        """The figures of the newest day that has data; series silent that day count 0."""
        newest = max((ts for points in values.values() for ts, _ in points), default=None)
        if newest is None:
            return BucketReport(bucket, Usage(), None)
        objects = 0
        storage_types: dict[str, int] = {}
        for item, points in values.items():
            value = next((_count(item, v) for ts, v in points if ts == newest), None)
            if value is None:
                continue
            if item.metric == COUNT_METRIC:
                objects += value
            else:
                storage_types[item.storage_type] = storage_types.get(item.storage_type, 0) + value
        by_class: dict[str, int] = {}
        for storage_type, value in storage_types.items():
            code = class_for_storage_type(storage_type)
            by_class[code] = by_class.get(code, 0) + value
        usage = Usage(objects=objects, bytes_by_class=by_class, storage_types=storage_types)
        return BucketReport(bucket, usage, _as_date(newest))


def _answered(batch: list[Series], query_id: Any) -> Series:
    """The series a GetMetricData result answers; an Id this run never sent is a broken answer."""
    text = str(query_id)
    if text[:1] == "m" and text[1:].isascii() and text[1:].isdigit() and int(text[1:]) < len(batch):
        return batch[int(text[1:])]
    raise AwsError(
        f"GetMetricData answered a query that was not asked (Id {printable(text)[:40]!r}).",
        code="BadMetricAnswer",
    )


def _count(series: Series, value: Any) -> int:
    """A datapoint as a whole count of bytes or objects: finite and not negative, or the bucket fails."""
    if isinstance(value, int | float) and math.isfinite(value) and value >= 0:
        return round(value)
    raise ValueError(
        f"CloudWatch gave {series.metric}/{series.storage_type} of bucket {series.bucket!r} the value "
        f"{printable(repr(value))[:40]}, not a count."
    )


def _query(query_id: str, series: Series) -> dict[str, Any]:
    values = {"BucketName": series.bucket, "StorageType": series.storage_type}
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {
                "Namespace": NAMESPACE,
                "MetricName": series.metric,
                "Dimensions": [{"Name": name, "Value": values[name]} for name in series.dimensions],
            },
            "Period": DAY,
            "Stat": "Average",
        },
        "ReturnData": True,
    }


def _series_key(series: Series) -> tuple[str, str, str]:
    return (series.bucket, series.metric, series.storage_type)


def _as_date(ts: datetime) -> date:
    return (ts.astimezone(UTC) if ts.tzinfo else ts).date()
