"""The CloudWatch strategy: S3's daily storage metrics, batched 500 queries per call.

Per region: ListMetrics says which (bucket, StorageType) series exist, so we ask
GetMetricData only for those, 500 at a time. 1,200 buckets cost about a dozen
calls, not one per metric as the seed did. Storage types that AWS adds later
show up in ListMetrics and are counted, never dropped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ..aws import Aws
from ..errors import AccessDeniedError, AnalyserError, AwsError
from ..model import Bucket, BucketReport, Failure, Notice, Usage
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
# Errors that concern the buckets of one region; anything else (no credentials,
# endpoint down) stops the whole run.
_PER_BUCKET_ERRORS = (AccessDeniedError, AwsError)


@dataclass(frozen=True)
class Series:
    """One metric series: which bucket, which metric, which StorageType."""

    bucket: str
    metric: str
    storage_type: str


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
        days: int = 3,
        concurrency: int = 4,
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
                pool.submit(self._region, region, members, start, end): members for region, members in by_region.items()
            }
            for future in as_completed(futures):
                yield from future.result()

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
        except AnalyserError as exc:
            if not isinstance(exc, _PER_BUCKET_ERRORS):
                raise
            return [Failure(b.name, region, "metrics", exc.code, str(exc)) for b in buckets]
        return notices + [self._report(b, values.get(b.name, {})) for b in buckets]

    def _series(self, region: str, names: set[str]) -> tuple[list[Series], bool]:
        """The series to query (what ListMetrics reveals, or the documented set) and
        whether ListMetrics answered."""
        documented = [s for name in sorted(names) for s in documented_series(name)]
        try:
            listed = self._list_metrics(region, names)
        except AccessDeniedError:
            return documented, False  # whatever --days is: ListMetrics is an optimisation, not a requirement
        if self.days > LIST_METRICS_HORIZON_DAYS:
            return sorted(set(documented) | set(listed), key=_series_key), True
        return sorted(set(listed), key=_series_key), True

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
                    dims = {d["Name"]: d["Value"] for d in entry.get("Dimensions", [])}
                    if set(dims) == {"BucketName", "StorageType"} and dims["BucketName"] in names:
                        found.append(Series(dims["BucketName"], metric, dims["StorageType"]))
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
                    item = batch[int(result["Id"][1:])]
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
            value = next((round(v) for ts, v in points if ts == newest), None)
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


def _query(query_id: str, series: Series) -> dict[str, Any]:
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {
                "Namespace": NAMESPACE,
                "MetricName": series.metric,
                "Dimensions": [
                    {"Name": "BucketName", "Value": series.bucket},
                    {"Name": "StorageType", "Value": series.storage_type},
                ],
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
