"""TSV and CSV: a header line, then one row per bucket, exact bytes unless a unit is asked.

Keys are outside text, so each format escapes them in its own way (README,
"Output formats"): TSV with backslash escapes (``safetext.escape_tsv``, exact and
reversible, no quoting), CSV with RFC 4180 quoting, characters that could drive a
terminal shown as in the table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ..model import Snapshot
from ..pricing.cost import SnapshotCost
from ..safetext import UNSAFE, escape_tsv, printable
from ..units import in_unit
from .accounts import names
from .columns import breakdown_rows, report_columns

# What CSV cannot carry safely: the unsafe characters but tab and line breaks, which quoting carries exactly.
_CSV_UNSAFE = re.compile(f"(?![\t\n\r]){UNSAFE.pattern}")


def csv_field(text: str) -> str:
    """A CSV field: exact, but for controls, bidi marks and surrogates, which read as ``printable`` shows them."""
    return _CSV_UNSAFE.sub(lambda m: printable(m.group()), text) if _CSV_UNSAFE.search(text) else text


def _csv_cell(value: object) -> str:
    """The csv module's minimal quoting, but also for a lone carriage return.

    With ``lineterminator="\\n"`` the csv module leaves a field holding ``\\r``
    unquoted, and every reader takes that ``\\r`` for the end of the row.
    """
    text = csv_field(str(value))
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\r\n') else text


def write_rows(rows: Iterable[Sequence[object]], fmt: str) -> str:
    """Rows as TSV (``fmt`` "tsv") or CSV (otherwise), every field escaped for its format."""
    if fmt == "tsv":
        return "".join("\t".join(escape_tsv(str(v)) for v in row) + "\n" for row in rows)
    return "".join(",".join(_csv_cell(v) for v in row) + "\n" for row in rows)


def render(snapshot: Snapshot, *, fmt: str, unit: str | None, cost: SnapshotCost | None = None) -> str:
    """With ``cost``, ``Cost/month`` (exact USD, empty when unknown) and ``Prices`` after the class columns.

    A scan of several accounts has ``Account`` and ``AccountName`` (exact) after ``Bucket``; rows stay in the
    report's order (``--sort``), one per bucket: a reader groups or sums by account itself.
    """
    if snapshot.breakdowns:
        return render_breakdowns(snapshot, fmt=fmt, unit=unit)
    columns = report_columns(snapshot, cost, prices=True)
    table: list[list[object]] = [[f"{c.header}({unit})" if c.kind == "bytes" and unit else c.header for c in columns]]
    for report in snapshot.buckets:
        row: list[object] = []
        for column in columns:
            value = column.value(report)
            row.append(in_unit(value, unit) if column.kind == "bytes" and unit and isinstance(value, int) else value)
        table.append(row)
    return write_rows(table, fmt)


def render_breakdowns(snapshot: Snapshot, *, fmt: str, unit: str | None) -> str:
    """The long table: one row per (bucket, dimension, key)."""
    size_header = f"Bytes({unit})" if unit else "Bytes"
    known = names(snapshot) if snapshot.accounts else None  # a scan of several accounts: Account, AccountName
    who = ["Account", "AccountName"] if known is not None else []
    table: list[list[object]] = [
        ["Bucket", *who, "Dimension", "Key", "Files", size_header, "StorageClass", "LastModified"]
    ]
    for report in snapshot.buckets:
        account = [report.bucket.account, known.get(report.bucket.account, "")] if known is not None else []
        for dimension, rows in breakdown_rows(report, snapshot.breakdowns).items():
            for row in rows:
                size = in_unit(row.bytes, unit) if unit else row.bytes
                table.append(
                    [
                        report.bucket.name,
                        *account,
                        dimension,
                        row.key,
                        row.objects,
                        size,
                        row.storage_class,
                        row.last_modified,
                    ]
                )
    return write_rows(table, fmt)
