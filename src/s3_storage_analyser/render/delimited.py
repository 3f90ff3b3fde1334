"""TSV and CSV: a header line, then one row per bucket, exact bytes unless a unit is asked."""

from __future__ import annotations

import csv
import io

from ..model import Snapshot
from ..units import in_unit
from .columns import report_columns


def render(snapshot: Snapshot, *, delimiter: str, unit: str | None) -> str:
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
