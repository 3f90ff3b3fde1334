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

from ..model import BucketReport, Snapshot
from ..pricing.cost import SnapshotCost
from ..safetext import printable
from ..storage_classes import sort_classes
from .accounts import covered_count, groups
from .costs import bucket_cost, fraction

ALL_CLASSES = "all"


class SnapshotCollector(Collector):
    """Exposes one snapshot; a Collector, so registries stay injected, never global."""

    def __init__(self, snapshot: Snapshot, cost: SnapshotCost | None = None) -> None:
        self.snapshot = snapshot
        self.cost = cost
        # A scan of several accounts: an ``account`` label after ``bucket`` on every per-bucket gauge (all of
        # them or none, so one run's label sets never differ); a one-account scan exposes what it did.
        self.by_account = bool(snapshot.accounts)

    def _labels(self, *rest: str) -> list[str]:
        return ["bucket", *(["account"] if self.by_account else []), *rest]

    def _who(self, report: BucketReport) -> list[str]:
        """The bucket's leading label values: its name (and account), then its region."""
        account = [printable(report.bucket.account)] if self.by_account else []
        return [printable(report.bucket.name), *account, printable(report.bucket.region)]

    def collect(self) -> Iterator[Metric]:
        labels = self._labels("region", "storage_class")
        size = GaugeMetricFamily("s3_bucket_size_bytes", "Bytes stored per bucket and storage class.", labels=labels)
        objects = GaugeMetricFamily(
            "s3_bucket_objects",
            'Objects per bucket and storage class (storage_class="all" where the source gives no split).',
            labels=labels,
        )
        data_time = GaugeMetricFamily(
            "s3_bucket_data_timestamp_seconds",
            "Start (UTC) of the day the bucket's figures describe.",
            labels=self._labels("region"),
        )
        for report in self.snapshot.buckets:
            who = self._who(report)
            usage = report.usage
            # An empty bucket still gets a sample, so dashboards see 0 rather than a missing series.
            for code in sort_classes(list(usage.bytes_by_class)) or ["STANDARD"]:
                size.add_metric([*who, printable(code)], usage.bytes_by_class.get(code, 0))
            if usage.objects_by_class:
                for code in sort_classes(list(usage.objects_by_class)):
                    objects.add_metric([*who, printable(code)], usage.objects_by_class[code])
            else:
                objects.add_metric([*who, ALL_CLASSES], usage.objects)
            if report.data_date is not None:
                start = datetime.combine(report.data_date, time(0), tzinfo=UTC)
                data_time.add_metric(who, start.timestamp())
        yield from self._hidden_costs()
        failed = GaugeMetricFamily(
            "s3_bucket_scan_failed",
            "1 for each bucket the last scan could not measure"
            + (' (bucket="" for a whole account not covered).' if self.by_account else "."),
            labels=self._labels("stage", "error"),
        )
        for failure in self.snapshot.failures:
            account = [printable(failure.account)] if self.by_account else []
            failed.add_metric(
                [printable(failure.bucket), *account, printable(failure.stage), printable(failure.error)], 1
            )
        yield from (size, objects, data_time, failed)
        if self.by_account:
            yield from self._accounts()
        if self.cost is not None:
            yield from self._costs(self.cost)

    def _accounts(self) -> Iterator[Metric]:
        """How many accounts were covered, and which (per-account totals are ``sum by (account)`` of the bucket
        gauges: the exposition has no totals of its own)."""
        covered, found = covered_count(self.snapshot)
        states = GaugeMetricFamily("s3_accounts", "Accounts the scan set out to cover, by state.", labels=["state"])
        states.add_metric(["covered"], covered)
        states.add_metric(["not_covered"], found - covered)
        info = GaugeMetricFamily(
            "s3_account_covered",
            "1 for each account the scan covered, 0 for one it could not (s3_bucket_scan_failed says why).",
            labels=["account", "name"],
        )
        for group in groups(self.snapshot):
            info.add_metric([printable(group.id), printable(group.name)], 1 if group.covered else 0)
        yield from (states, info)

    def _hidden_costs(self) -> Iterator[Metric]:
        labels = self._labels("region", "storage_class")
        nc_size = GaugeMetricFamily("s3_bucket_noncurrent_size_bytes", "Bytes in noncurrent versions.", labels=labels)
        nc_objects = GaugeMetricFamily("s3_bucket_noncurrent_objects", "Noncurrent versions.", labels=labels)
        markers = GaugeMetricFamily("s3_bucket_delete_markers", "Delete markers.", labels=self._labels("region"))
        uploads = GaugeMetricFamily(
            "s3_bucket_incomplete_uploads", "Incomplete multipart uploads.", labels=self._labels("region")
        )
        upload_size = GaugeMetricFamily(
            "s3_bucket_incomplete_upload_size_bytes",
            "Bytes of the parts of incomplete multipart uploads.",
            labels=self._labels("region"),
        )
        for report in self.snapshot.buckets:
            who, usage = self._who(report), report.usage
            if "versions" in usage.measured:
                for code in sort_classes(list(usage.noncurrent_bytes_by_class)):
                    label = printable(code)
                    nc_size.add_metric([*who, label], usage.noncurrent_bytes_by_class[code])
                    nc_objects.add_metric([*who, label], usage.noncurrent_objects_by_class.get(code, 0))
                markers.add_metric(who, usage.delete_markers)
            if "uploads" in usage.measured:
                uploads.add_metric(who, usage.incomplete_uploads)
                upload_size.add_metric(who, usage.incomplete_upload_bytes)
        measured = self.snapshot.measured
        if "versions" in measured:
            yield from (nc_size, nc_objects, markers)
        if "uploads" in measured:
            yield from (uploads, upload_size)

    def _costs(self, cost: SnapshotCost) -> Iterator[Metric]:
        """Dollars per month per bucket and class (no sample where part of a class has no price), the classes
        without a price, and the price sources."""
        labels = self._labels("region", "storage_class")
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
            who = self._who(report)
            bucket = bucket_cost(cost, report)
            missing = sorted({u.storage_class for u in bucket.unpriced})
            for code in missing:
                unpriced.add_metric([*who, printable(code) or ALL_CLASSES], 1)
            by_class = bucket.by_class
            codes = sort_classes(list(by_class)) or ([] if missing else ["STANDARD"])  # an empty bucket costs $0
            for code in codes:
                if code not in missing and "" not in missing:
                    dollars.add_metric([*who, printable(code)], float(by_class.get(code, Decimal(0))))
        for source in cost.sources:
            discount = fraction(cost.discount)
            sources.add_metric([printable(source.name), source.date.isoformat(), printable(source.kind), discount], 1)
        yield from (dollars, unpriced, sources)


def render(snapshot: Snapshot, cost: SnapshotCost | None = None) -> str:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(snapshot, cost))
    return generate_latest(registry).decode("utf-8")
