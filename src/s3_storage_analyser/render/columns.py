"""The report's columns, shared by the table and the delimited formats.

Seed order: ``Bucket Region Files Total STD RR IA``, then one column per other
storage class present, then ``Creation(UTC)`` and the date of the data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from ..model import BucketReport, Snapshot
from ..storage_classes import class_info, sort_classes

SEED_CLASSES: tuple[str, ...] = ("STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA")
Kind = Literal["text", "count", "bytes"]


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind
    value: Callable[[BucketReport], int | str]


def format_created(value: datetime | None) -> str:
    """The seed's timestamp shape: ``2017-11-18T08:12:38`` (UTC, no suffix)."""
    return value.strftime("%Y-%m-%dT%H:%M:%S") if value else ""


def format_date(value: date | None) -> str:
    return value.isoformat() if value else ""


def class_codes(snapshot: Snapshot) -> list[str]:
    """The seed's three classes always, then every other class holding bytes."""
    extra = snapshot.classes_present - set(SEED_CLASSES)
    return [*SEED_CLASSES, *sort_classes(extra)]


def _class_bytes(code: str) -> Callable[[BucketReport], int | str]:
    return lambda r: r.usage.bytes_by_class.get(code, 0)


def report_columns(snapshot: Snapshot) -> list[Column]:
    columns = [
        Column("Bucket", "text", lambda r: r.bucket.name),
        Column("Region", "text", lambda r: r.bucket.region),
        Column("Files", "count", lambda r: r.usage.objects),
        Column("Total", "bytes", lambda r: r.usage.bytes),
    ]
    columns += [Column(class_info(c).column, "bytes", _class_bytes(c)) for c in class_codes(snapshot)]
    columns += [
        Column("Creation(UTC)", "text", lambda r: format_created(r.bucket.created)),
        Column("DataDate(UTC)", "text", lambda r: format_date(r.data_date)),
    ]
    return columns
