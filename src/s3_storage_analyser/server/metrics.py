"""/metrics: the latest snapshot's gauges plus the scanner's health, in one exposition."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

from ..model import Snapshot
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


class LatestSnapshotCollector(Collector):
    """Delegates to the newest stored snapshot at scrape time (no AWS call)."""

    def __init__(self, latest: Callable[[], Snapshot | None]) -> None:
        self.latest = latest

    def collect(self) -> Iterator[Metric]:
        snapshot = self.latest()
        if snapshot is not None:
            yield from SnapshotCollector(snapshot).collect()


def build_registry(latest: Callable[[], Snapshot | None], health: ScanHealth) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LatestSnapshotCollector(latest))
    registry.register(HealthCollector(health))
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
