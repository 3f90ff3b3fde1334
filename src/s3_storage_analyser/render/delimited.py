"""TSV and CSV: a header line, then one row per bucket, exact bytes unless a unit is asked."""

from __future__ import annotations

import csv
import io

from ..model import Snapshot
from ..units import in_unit
from .columns import breakdown_rows, report_columns


def render(snapshot: Snapshot, *, delimiter: str, unit: str | None) -> str:
    if snapshot.breakdowns:
        return render_breakdowns(snapshot, delimiter=delimiter, unit=unit)
    columns = report_columns(snapshot)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(f"{c.header}({unit})" if c.kind == "bytes" and unit else c.header for c in columns)
    for report in snapshot.buckets:
        row: list[str] = []
        for column in columns:
            value = column.value(report)
            if column.kind == "bytes" and unit and isinstance(value, int):
                row.append(in_unit(value, unit))
            else:
                row.append(str(value))
        writer.writerow(row)
    return buffer.getvalue()


def render_breakdowns(snapshot: Snapshot, *, delimiter: str, unit: str | None) -> str:
    """The long table: one row per (bucket, dimension, key)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    size_header = f"Bytes({unit})" if unit else "Bytes"
    writer.writerow(["Bucket", "Dimension", "Key", "Files", size_header, "StorageClass", "LastModified"])
    for report in snapshot.buckets:
        for dimension, rows in breakdown_rows(report, snapshot.breakdowns).items():
            for row in rows:
                size = in_unit(row.bytes, unit) if unit else str(row.bytes)
                writer.writerow(
                    [report.bucket.name, dimension, row.key, row.objects, size, row.storage_class, row.last_modified]
                )
    return buffer.getvalue()
