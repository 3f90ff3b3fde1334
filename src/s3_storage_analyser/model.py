"""The data every strategy produces and every renderer reads: plain frozen dataclasses.

Raw integers and UTC datetimes only; nothing here formats, fetches or prints.
``Usage`` is a monoid (``Usage()`` is empty, ``merge`` is associative), so partial
results from parallel workers, regions or resumed scans combine with one call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime


def _add(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    out = dict(a)
    for key, value in b.items():
        out[key] = out.get(key, 0) + value
    return out


@dataclass(frozen=True)
class Bucket:
    """A bucket as discovered: name, home region, creation time (UTC)."""

    name: str
    region: str
    created: datetime | None = None


@dataclass(frozen=True)
class Usage:
    """What a bucket holds.

    ``bytes_by_class`` is keyed by storage class code (``STANDARD``, ``GLACIER``...),
    ``objects_by_class`` likewise where the source splits counts by class
    (listing does, CloudWatch does not). ``storage_types`` keeps CloudWatch's finer
    ``StorageType`` detail (overheads, Intelligent-Tiering tiers) as reported.
    """

    objects: int = 0
    bytes_by_class: Mapping[str, int] = field(default_factory=dict)
    objects_by_class: Mapping[str, int] = field(default_factory=dict)
    storage_types: Mapping[str, int] = field(default_factory=dict)

    @property
    def bytes(self) -> int:
        return sum(self.bytes_by_class.values())

    def merge(self, other: Usage) -> Usage:
        return Usage(
            objects=self.objects + other.objects,
            bytes_by_class=_add(self.bytes_by_class, other.bytes_by_class),
            objects_by_class=_add(self.objects_by_class, other.objects_by_class),
            storage_types=_add(self.storage_types, other.storage_types),
        )

    @staticmethod
    def sum(parts: Iterable[Usage]) -> Usage:
        total = Usage()
        for part in parts:
            total = total.merge(part)
        return total


@dataclass(frozen=True)
class BucketReport:
    """One bucket's figures and the day they describe (None when live)."""

    bucket: Bucket
    usage: Usage
    data_date: date | None = None


@dataclass(frozen=True)
class Failure:
    """A bucket the scan could not measure: reported, never counted as zero."""

    bucket: str
    region: str | None
    stage: str
    error: str
    message: str


@dataclass(frozen=True)
class Snapshot:
    """The result of one scan: what renderers, the history store and the API read."""

    strategy: str
    taken_at: datetime
    buckets: tuple[BucketReport, ...]
    failures: tuple[Failure, ...] = ()

    @property
    def total(self) -> Usage:
        return Usage.sum(report.usage for report in self.buckets)

    @property
    def classes_present(self) -> set[str]:
        """Storage classes holding any bytes in any bucket."""
        return {code for report in self.buckets for code, value in report.usage.bytes_by_class.items() if value}

    @property
    def data_dates(self) -> set[date]:
        return {r.data_date for r in self.buckets if r.data_date is not None}
