"""/metrics: the latest snapshot's gauges plus the scanner's health, in one exposition."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

from ..model import Snapshot
from ..pricing.cost import SnapshotCost
from ..render.prometheus import SnapshotCollector
from .scanner import ScanHealth


class HealthCollector(Collector):
    """Scan health: last success, duration, failures."""

    def __init__(self, health: ScanHealth) -> None:
        self.health = health

    def collect(self) -> Iterator[Metric]:
        if self.health.last_success is not None:
            yield GaugeMetricFamily(
                "s3_analyser_last_scan_timestamp_seconds",
                "Unix time of the last successful scan.",
                value=self.health.last_success,
            )
        if self.health.last_duration is not None:
            yield GaugeMetricFamily(
                "s3_analyser_scan_duration_seconds", "Duration of the last scan.", value=self.health.last_duration
            )
        yield CounterMetricFamily("s3_analyser_scan_failures", "Scans that failed.", value=self.health.failures)
        yield CounterMetricFamily("s3_analyser_scans", "Scans run, failed or not.", value=self.health.scans)


def snapshot_exposition(snapshot: Snapshot, cost: SnapshotCost | None = None) -> bytes:
    """The snapshot's gauges (and cost gauges when priced): built once per snapshot (2,000 buckets take ~150 ms)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(snapshot, cost))
    return generate_latest(registry)


def health_exposition(health: ScanHealth) -> bytes:
    """The scanner's health, which changes between snapshots: built on every scrape (tiny)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HealthCollector(health))
    return generate_latest(registry)
