"""Diff output: table (humanised), TSV/CSV and JSON (exact integers)."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from rich.table import Table

from ..diff import DiffRow
from ..errors import UsageError
from ..model import Snapshot
from ..units import humanise, in_unit
from .columns import format_instant
from .delimited import write_rows
from .jsonfmt import dumps
from .table import literal, strip_trailing


def _signed(value: int) -> str:
    return ("+" if value > 0 else "-" if value < 0 else "") + humanise(abs(value))


def _share(row: DiffRow) -> str:
    if not row.bytes_before:
        return "new" if row.bytes_after else "-"
    return f"{100 * row.bytes_change / row.bytes_before:+.1f}%"


def render_diff(
    rows: list[DiffRow], before: tuple[int, Snapshot], after: tuple[int, Snapshot], fmt: str, unit: str | None
) -> str:
    (a_id, a), (b_id, b) = before, after
    if fmt == "table":
        table = Table(box=None, header_style="bold", pad_edge=False)
        for header in ("Bucket", "Class", "Before", "After", "Change", "Change%"):
            table.add_column(header, justify="left" if header in ("Bucket", "Class") else "right")

        def shown(value: int) -> str:
            return humanise(value) if (unit or "auto") == "auto" else in_unit(value, unit or "B")

        for row in rows:
            table.add_row(
                literal(row.bucket),
                literal(row.storage_class),
                shown(row.bytes_before),
                shown(row.bytes_after),
                _signed(row.bytes_change),
                _share(row),
            )
        buffer = io.StringIO()
        console = Console(file=buffer, width=100_000, no_color=True, highlight=False)
        console.print(f"Snapshot {a_id} ({a.taken_at:%Y-%m-%d %H:%M} UTC) -> {b_id} ({b.taken_at:%Y-%m-%d %H:%M} UTC)")
        console.print(table)
        change = b.total.bytes - a.total.bytes
        console.print(f"Total change: {_signed(change)} ({change:+,} bytes).")
        return strip_trailing(buffer.getvalue())
    if fmt in ("tsv", "csv"):
        suffix = f"({unit})" if unit else ""
        lines: list[list[object]] = [
            [
                "Bucket",
                "StorageClass",
                f"Before{suffix}",
                f"After{suffix}",
                f"Change{suffix}",
                "FilesBefore",
                "FilesAfter",
            ]
        ]
        for row in rows:
            values = [row.bytes_before, row.bytes_after, row.bytes_change]
            lines.append(
                [
                    row.bucket,
                    row.storage_class,
                    *(in_unit(v, unit) if unit else v for v in values),
                    "" if row.objects_before is None else row.objects_before,
                    "" if row.objects_after is None else row.objects_after,
                ]
            )
        return write_rows(lines, fmt)
    if fmt in ("json", "json_pretty", "ndjson"):
        changes = [diff_row_dict(r) for r in rows]
        if fmt == "ndjson":
            return "".join(dumps(c) + "\n" for c in changes)
        doc = {"Before": _side(a_id, a), "After": _side(b_id, b), "Changes": changes}
        return dumps(doc, indent=2 if fmt == "json_pretty" else None) + "\n"
    raise UsageError(f"diff cannot be shown as {fmt!r}.", hint="Use table, tsv, csv, json, json_pretty or ndjson.")


def _side(snapshot_id: int, snapshot: Snapshot) -> dict[str, Any]:
    return {
        "Id": snapshot_id,
        "TakenAt": format_instant(snapshot.taken_at),
        "Strategy": snapshot.strategy,
        "Bytes": snapshot.total.bytes,
    }


def diff_row_dict(row: DiffRow) -> dict[str, Any]:
    return {
        "Bucket": row.bucket,
        "StorageClass": row.storage_class,
        "BytesBefore": row.bytes_before,
        "BytesAfter": row.bytes_after,
        "BytesChange": row.bytes_change,
        "FilesBefore": row.objects_before,
        "FilesAfter": row.objects_after,
    }
