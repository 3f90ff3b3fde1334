"""Prometheus exposition text of a snapshot, through prometheus_client's own encoder.

Conventions: base units (bytes, seconds), no ``_total`` on gauges, no sample
timestamps (the data date is its own gauge instead). Label values come from the
server (bucket names, storage classes, error codes): the exposition format escapes
only ``\\``, ``"`` and line feeds, so each value passes through ``printable`` first
and no control, bidi mark or lone surrogate reaches a scraper or a terminal.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time
from decimal import Decimal

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

from ..model import Snapshot
from ..pricing.cost import SnapshotCost
from ..safetext import printable
from ..storage_classes import sort_classes
from .costs import bucket_cost, fraction

ALL_CLASSES = "all"


class SnapshotCollector(Collector):
    """Exposes one snapshot; a Collector, so registries stay injected, never global."""

    def __init__(self, snapshot: Snapshot, cost: SnapshotCost | None = None) -> None:
        self.snapshot = snapshot
        self.cost = cost

    def collect(self) -> Iterator[Metric]:
        labels = ["bucket", "region", "storage_class"]
        size = GaugeMetricFamily("s3_bucket_size_bytes", "Bytes stored per bucket and storage class.", labels=labels)
        objects = GaugeMetricFamily(
            "s3_bucket_objects",
            'Objects per bucket and storage class (storage_class="all" where the source gives no split).',
            labels=labels,
        )
        data_time = GaugeMetricFamily(
            "s3_bucket_data_timestamp_seconds",
            "Start (UTC) of the day the bucket's figures describe.",
            labels=["bucket", "region"],
        )
        for report in self.snapshot.buckets:
            name, region = printable(report.bucket.name), printable(report.bucket.region)
            usage = report.usage
            # An empty bucket still gets a sample, so dashboards see 0 rather than a missing series.
            for code in sort_classes(list(usage.bytes_by_class)) or ["STANDARD"]:
                size.add_metric([name, region, printable(code)], usage.bytes_by_class.get(code, 0))
            if usage.objects_by_class:
                for code in sort_classes(list(usage.objects_by_class)):
                    objects.add_metric([name, region, printable(code)], usage.objects_by_class[code])
            else:
                objects.add_metric([name, region, ALL_CLASSES], usage.objects)
            if report.data_date is not None:
                start = datetime.combine(report.data_date, time(0), tzinfo=UTC)
                data_time.add_metric([name, region], start.timestamp())
        yield from self._hidden_costs()
        failed = GaugeMetricFamily(
            "s3_bucket_scan_failed",
            "1 for each bucket the last scan could not measure.",
            labels=["bucket", "stage", "error"],
        )
        for failure in self.snapshot.failures:
            failed.add_metric([printable(failure.bucket), printable(failure.stage), printable(failure.error)], 1)
        yield from (size, objects, data_time, failed)
        if self.cost is not None:
            yield from self._costs(self.cost)

    def _hidden_costs(self) -> Iterator[Metric]:
        labels = ["bucket", "region", "storage_class"]
        nc_size = GaugeMetricFamily("s3_bucket_noncurrent_size_bytes", "Bytes in noncurrent versions.", labels=labels)
        nc_objects = GaugeMetricFamily("s3_bucket_noncurrent_objects", "Noncurrent versions.", labels=labels)
        markers = GaugeMetricFamily("s3_bucket_delete_markers", "Delete markers.", labels=["bucket", "region"])
        uploads = GaugeMetricFamily(
            "s3_bucket_incomplete_uploads", "Incomplete multipart uploads.", labels=["bucket", "region"]
        )
        upload_size = GaugeMetricFamily(
            "s3_bucket_incomplete_upload_size_bytes",
            "Bytes of the parts of incomplete multipart uploads.",
            labels=["bucket", "region"],
        )
        for report in self.snapshot.buckets:
            name, region, usage = printable(report.bucket.name), printable(report.bucket.region), report.usage
            if "versions" in usage.measured:
                for code in sort_classes(list(usage.noncurrent_bytes_by_class)):
                    label = printable(code)
                    nc_size.add_metric([name, region, label], usage.noncurrent_bytes_by_class[code])
                    nc_objects.add_metric([name, region, label], usage.noncurrent_objects_by_class.get(code, 0))
                markers.add_metric([name, region], usage.delete_markers)
            if "uploads" in usage.measured:
                uploads.add_metric([name, region], usage.incomplete_uploads)
                upload_size.add_metric([name, region], usage.incomplete_upload_bytes)
        measured = self.snapshot.measured
        if "versions" in measured:
            yield from (nc_size, nc_objects, markers)
        if "uploads" in measured:
            yield from (uploads, upload_size)

    def _costs(self, cost: SnapshotCost) -> Iterator[Metric]:
        """Dollars per month per bucket and class (no sample where part of a class has no price), the classes
        without a price, and the price sources."""
        labels = ["bucket", "region", "storage_class"]
        dollars = GaugeMetricFamily(
            "s3_bucket_cost_dollars_per_month",
            "Monthly storage cost in US dollars per bucket and storage class (absent where unpriced).",
            labels=labels,
        )
        unpriced = GaugeMetricFamily(
            "s3_bucket_cost_unpriced",
            "1 for each bucket and storage class with usage no price covers (its cost is unknown).",
            labels=labels,
        )
        sources = GaugeMetricFamily(
            "s3_cost_prices_info",
            "The prices the cost gauges use: source, the date they describe, kind (file, pricelist, shipped).",
            labels=["source", "date", "kind", "discount"],
        )
        for report in self.snapshot.buckets:
            name, region = printable(report.bucket.name), printable(report.bucket.region)
            bucket = bucket_cost(cost, report)
            missing = sorted({u.storage_class for u in bucket.unpriced})
            for code in missing:
                unpriced.add_metric([name, region, printable(code) or ALL_CLASSES], 1)
            by_class = bucket.by_class
            codes = sort_classes(list(by_class)) or ([] if missing else ["STANDARD"])  # an empty bucket costs $0
            for code in codes:
                if code not in missing and "" not in missing:
                    dollars.add_metric([name, region, printable(code)], float(by_class.get(code, Decimal(0))))
        for source in cost.sources:
            discount = fraction(cost.discount)
            sources.add_metric([printable(source.name), source.date.isoformat(), printable(source.kind), discount], 1)
        yield from (dollars, unpriced, sources)


def render(snapshot: Snapshot, cost: SnapshotCost | None = None) -> str:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(snapshot, cost))
    return generate_latest(registry).decode("utf-8")
