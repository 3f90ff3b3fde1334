"""Prometheus exposition text of a snapshot, through prometheus_client's own encoder.

Conventions: base units (bytes, seconds), no ``_total`` on gauges, no sample
timestamps (the data date is its own gauge instead).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

from ..model import Snapshot
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
            name, region = report.bucket.name, report.bucket.region
            usage = report.usage
            for code in sort_classes(list(usage.bytes_by_class)):
                size.add_metric([name, region, code], usage.bytes_by_class[code])
            if usage.objects_by_class:
                for code in sort_classes(list(usage.objects_by_class)):
                    objects.add_metric([name, region, code], usage.objects_by_class[code])
            else:
                objects.add_metric([name, region, ALL_CLASSES], usage.objects)
            if report.data_date is not None:
                start = datetime.combine(report.data_date, time(0), tzinfo=UTC)
                data_time.add_metric([name, region], start.timestamp())
        failed = GaugeMetricFamily(
            "s3_bucket_scan_failed",
            "1 for each bucket the last scan could not measure.",
            labels=["bucket", "stage", "error"],
        )
        for failure in self.snapshot.failures:
            failed.add_metric([failure.bucket, failure.stage, failure.error], 1)
        yield from (size, objects, data_time, failed)


def render(snapshot: Snapshot) -> str:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(snapshot))
    return generate_latest(registry).decode("utf-8")
