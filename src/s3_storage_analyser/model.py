"""The data every strategy produces and every renderer reads: plain frozen dataclasses.

Raw integers and UTC datetimes only; nothing here formats, fetches or prints.
``Usage`` is a monoid (``Usage()`` is empty, ``merge`` is associative), so partial
results from parallel workers, regions or resumed scans combine with one call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the data model imports nothing of the package at run time (tests/unit/test_layers.py)
    from .tree.model import FolderTree


@dataclass(frozen=True)
class BreakdownRow:
    """One line of a breakdown: (dimension, key) -> objects and bytes."""

    dimension: str
    key: str
    objects: int
    bytes: int
    storage_class: str = ""
    last_modified: str = ""


def _add(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    out = dict(a)
    for key, value in b.items():
        out[key] = out.get(key, 0) + value
    return out


def _merge_rows(a: tuple[BreakdownRow, ...], b: tuple[BreakdownRow, ...]) -> tuple[BreakdownRow, ...]:
    """Rows with the same identity add up; order of first appearance is kept."""
    if not b:
        return a
    if not a:
        return b
    merged: dict[tuple[str, str, str, str], BreakdownRow] = {}
    for row in (*a, *b):
        ident = (row.dimension, row.key, row.storage_class, row.last_modified)
        seen = merged.get(ident)
        merged[ident] = (
            row
            if seen is None
            else BreakdownRow(
                row.dimension,
                row.key,
                seen.objects + row.objects,
                seen.bytes + row.bytes,
                row.storage_class,
                row.last_modified,
            )
        )
    return tuple(merged.values())


@dataclass(frozen=True)
class Bucket:
    """A bucket as discovered: name, home region, creation time (UTC)."""

    name: str
    region: str
    created: datetime | None = None
    account: str = ""  # the AWS account that owns it, in a scan of several accounts ("" in a one-account scan)


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
    # Hidden costs, measured by listing with --versions / --uploads (see ``measured``).
    noncurrent_objects_by_class: Mapping[str, int] = field(default_factory=dict)
    noncurrent_bytes_by_class: Mapping[str, int] = field(default_factory=dict)
    delete_markers: int = 0
    incomplete_uploads: int = 0
    incomplete_upload_parts: int = 0
    incomplete_upload_bytes: int = 0
    oldest_incomplete_upload: datetime | None = None
    measured: frozenset[str] = frozenset()  # subset of {"versions", "uploads", "small-objects"}
    breakdowns: tuple[BreakdownRow, ...] = ()
    # Objects under 128 KiB (``storage_classes.SMALL_OBJECT_BYTES``), counted by listing and inventory: some
    # classes bill them as 128 KiB, and Intelligent-Tiering neither monitors nor tiers them. Empty from
    # CloudWatch, whose StorageTypes carry the billed overheads instead.
    small_objects_by_class: Mapping[str, int] = field(default_factory=dict)
    small_bytes_by_class: Mapping[str, int] = field(default_factory=dict)
    noncurrent_small_objects_by_class: Mapping[str, int] = field(default_factory=dict)
    noncurrent_small_bytes_by_class: Mapping[str, int] = field(default_factory=dict)
    # The bucket's folder tree (``--by tree``). Kept apart from the JSON the history stores of a bucket (the
    # store keeps it compressed, in its own table) and from equality; a merge of two usages has none (a
    # total of several buckets has no folder tree).
    tree: FolderTree | None = field(default=None, compare=False, repr=False)

    @property
    def bytes(self) -> int:
        return sum(self.bytes_by_class.values())

    @property
    def noncurrent_objects(self) -> int:
        return sum(self.noncurrent_objects_by_class.values())

    @property
    def noncurrent_bytes(self) -> int:
        return sum(self.noncurrent_bytes_by_class.values())

    def merge(self, other: Usage) -> Usage:
        oldest = [d for d in (self.oldest_incomplete_upload, other.oldest_incomplete_upload) if d]
        return Usage(
            objects=self.objects + other.objects,
            bytes_by_class=_add(self.bytes_by_class, other.bytes_by_class),
            objects_by_class=_add(self.objects_by_class, other.objects_by_class),
            storage_types=_add(self.storage_types, other.storage_types),
            noncurrent_objects_by_class=_add(self.noncurrent_objects_by_class, other.noncurrent_objects_by_class),
            noncurrent_bytes_by_class=_add(self.noncurrent_bytes_by_class, other.noncurrent_bytes_by_class),
            delete_markers=self.delete_markers + other.delete_markers,
            incomplete_uploads=self.incomplete_uploads + other.incomplete_uploads,
            incomplete_upload_parts=self.incomplete_upload_parts + other.incomplete_upload_parts,
            incomplete_upload_bytes=self.incomplete_upload_bytes + other.incomplete_upload_bytes,
            oldest_incomplete_upload=min(oldest) if oldest else None,
            measured=self.measured | other.measured,
            breakdowns=_merge_rows(self.breakdowns, other.breakdowns),
            small_objects_by_class=_add(self.small_objects_by_class, other.small_objects_by_class),
            small_bytes_by_class=_add(self.small_bytes_by_class, other.small_bytes_by_class),
            noncurrent_small_objects_by_class=_add(
                self.noncurrent_small_objects_by_class, other.noncurrent_small_objects_by_class
            ),
            noncurrent_small_bytes_by_class=_add(
                self.noncurrent_small_bytes_by_class, other.noncurrent_small_bytes_by_class
            ),
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

    bucket: str  # "" for a failure of a whole account (its role could not be assumed, ...)
    region: str | None
    stage: str
    error: str
    message: str
    account: str = ""  # as Bucket.account


@dataclass(frozen=True)
class Notice:
    """Something the user should know about a bucket whose figures are still reported (e.g. stale data)."""

    bucket: str
    message: str


@dataclass(frozen=True)
class Account:
    """An account a scan of several accounts set out to cover, and whether it was covered."""

    id: str
    name: str = ""
    covered: bool = True  # False: the account's failure (in ``Snapshot.failures``) says why


@dataclass(frozen=True)
class Snapshot:
    """The result of one scan: what renderers, the history store and the API read."""

    strategy: str
    taken_at: datetime
    buckets: tuple[BucketReport, ...]
    failures: tuple[Failure, ...] = ()
    breakdowns: tuple[str, ...] = ()  # dimensions asked for, in the order asked
    notices: tuple[Notice, ...] = ()
    accounts: tuple[Account, ...] = ()  # empty: a one-account scan, and no output names an account

    @property
    def total(self) -> Usage:
        return Usage.sum(report.usage for report in self.buckets)

    @property
    def classes_present(self) -> set[str]:
        """Storage classes holding any bytes in any bucket."""
        return {code for report in self.buckets for code, value in report.usage.bytes_by_class.items() if value}

    @property
    def measured(self) -> frozenset[str]:
        """What was measured for at least one bucket ("versions", "uploads", "small-objects")."""
        return frozenset().union(*(r.usage.measured for r in self.buckets))

    @property
    def data_dates(self) -> set[date]:
        return {r.data_date for r in self.buckets if r.data_date is not None}


@dataclass
class Progress:
    """Running figures of a scan, for a progress display (the listing strategy reports them)."""

    keys: int = 0
    bytes: int = 0
    pages: int = 0
    targets_done: int = 0
    targets: int = 0
