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

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

from ..model import Snapshot
from ..safetext import printable
from ..storage_classes import sort_classes

ALL_CLASSES = "all"


class SnapshotCollector(Collector):
    """Exposes one snapshot; a Collector, so registries stay injected, never global."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

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


def render(snapshot: Snapshot) -> str:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(snapshot))
    return generate_latest(registry).decode("utf-8")
