"""The report's columns, shared by the table and the delimited formats.

0.1's order: ``Bucket Region Files Total STD RR IA`` (in a scan of several accounts, ``Account`` and
``AccountName`` after ``Bucket``: one ``Account`` column in the table), then one column per other
storage class present, the hidden-cost columns when measured, ``Cost/month`` (and,
in TSV/CSV, ``Prices``) when the report is priced, then ``Creation(UTC)`` and the
date of the data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

from ..aggregate import DIMENSIONS
from ..model import BreakdownRow, BucketReport, Snapshot
from ..pricing.cost import SnapshotCost
from ..storage_classes import class_info, sort_classes
from .accounts import label, names
from .costs import bucket_cost, money_or_none, shown_amount

CLASSIC_CLASSES: tuple[str, ...] = ("STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA")
Kind = Literal["text", "count", "bytes", "money"]


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind
    value: Callable[[BucketReport], int | str]
    shown: Callable[[BucketReport], str] | None = None  # the table's humanised form (money)


def format_created(value: datetime | None) -> str:
    """0.1's timestamp shape: ``2017-11-18T08:12:38`` (UTC, no suffix)."""
    return value.strftime("%Y-%m-%dT%H:%M:%S") if value else ""


def format_instant(value: datetime) -> str:
    """An instant in the JSON outputs (``GeneratedAt``, ``TakenAt``...): UTC, whole seconds, ``Z``."""
    return (value.astimezone(UTC) if value.tzinfo else value).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_date(value: date | None) -> str:
    return value.isoformat() if value else ""


def class_codes(snapshot: Snapshot) -> list[str]:
    """0.1's three classes always, then every other class holding bytes."""
    extra = snapshot.classes_present - set(CLASSIC_CLASSES)
    return [*CLASSIC_CLASSES, *sort_classes(extra)]


def _class_bytes(code: str) -> Callable[[BucketReport], int | str]:
    return lambda r: r.usage.bytes_by_class.get(code, 0)


def report_columns(
    snapshot: Snapshot, cost: SnapshotCost | None = None, *, prices: bool = False, shown_account: bool = False
) -> list[Column]:
    """The columns of the report; ``cost`` adds ``Cost/month`` (and ``Prices`` with ``prices``).

    A snapshot with accounts adds ``Account`` and ``AccountName`` (exact) after ``Bucket``, or with
    ``shown_account`` one ``Account`` column as a person reads it (``111111111111 (prod)``).
    """
    columns = [Column("Bucket", "text", lambda r: r.bucket.name)]
    if snapshot.accounts:
        known = names(snapshot)
        if shown_account:
            columns.append(Column("Account", "text", lambda r: label(r.bucket.account, known.get(r.bucket.account))))
        else:
            columns.append(Column("Account", "text", lambda r: r.bucket.account))
            columns.append(Column("AccountName", "text", lambda r: known.get(r.bucket.account, "")))
    columns += [
        Column("Region", "text", lambda r: r.bucket.region),
        Column("Files", "count", lambda r: r.usage.objects),
        Column("Total", "bytes", lambda r: r.usage.bytes),
    ]
    columns += [Column(class_info(c).column, "bytes", _class_bytes(c)) for c in class_codes(snapshot)]
    measured = snapshot.measured
    if "versions" in measured:
        columns += [
            Column("Noncurrent", "bytes", lambda r: r.usage.noncurrent_bytes),
            Column("NoncurrentFiles", "count", lambda r: r.usage.noncurrent_objects),
            Column("DeleteMarkers", "count", lambda r: r.usage.delete_markers),
        ]
    if "uploads" in measured:
        columns += [
            Column("Uploads", "count", lambda r: r.usage.incomplete_uploads),
            Column("UploadBytes", "bytes", lambda r: r.usage.incomplete_upload_bytes),
        ]
    if cost is not None:
        columns += _cost_columns(cost, prices=prices)
    columns += [
        Column("Creation(UTC)", "text", lambda r: format_created(r.bucket.created)),
        Column("DataDate(UTC)", "text", lambda r: format_date(r.data_date)),
    ]
    return columns


def _cost_columns(cost: SnapshotCost, *, prices: bool) -> list[Column]:
    """``Cost/month``: exact (empty when unknown) for TSV/CSV, humanised (``≥`` the priced part) in the table."""

    def exact(report: BucketReport) -> str:
        return money_or_none(bucket_cost(cost, report).total) or ""

    def shown(report: BucketReport) -> str:
        bucket = bucket_cost(cost, report)
        return shown_amount(bucket.total, bucket.priced)

    columns = [Column("Cost/month", "money", exact, shown)]
    if prices:
        sources = cost.describe_sources()
        columns.append(Column("Prices", "text", lambda _r: sources))
    return columns


def breakdown_rows(report: BucketReport, dimensions: tuple[str, ...]) -> dict[str, list[BreakdownRow]]:
    """Each asked-for breakdown's rows for one bucket, in the order asked."""
    rows: dict[str, list[BreakdownRow]] = {d: [] for d in dimensions}
    for row in report.usage.breakdowns:
        if row.dimension in rows:
            rows[row.dimension].append(row)
    for name in rows:
        dimension = DIMENSIONS.get(name)  # None: "top", or a dimension of a newer version in the history
        if dimension is not None and dimension.derive is not None:  # made from the totals (storage class)
            rows[name] = dimension.derive(report.usage)
    return rows


def breakdown_title(bucket: str, dimension: str) -> str:
    """A breakdown section's title: "logs by prefix", "logs: largest objects"."""
    if dimension == "top":
        return f"{bucket}: largest objects"
    known = DIMENSIONS.get(dimension)  # None: a dimension of a newer version, read from the history
    return f"{bucket} {known.heading if known is not None else f'by {dimension}'}"
