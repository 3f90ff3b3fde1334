"""The ``history`` listing: one line per stored snapshot."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from rich.table import Table

from ..errors import UsageError
from ..store import SnapshotSummary
from ..units import humanise
from .columns import format_instant
from .delimited import write_rows
from .jsonfmt import dumps
from .table import literal, strip_trailing


def summary_dict(s: SnapshotSummary) -> dict[str, Any]:
    return {
        "Id": s.id,
        "TakenAt": format_instant(s.taken_at),
        "Strategy": s.strategy,
        "Buckets": s.buckets,
        "Files": s.objects,
        "Bytes": s.bytes,
        "Failures": s.failures,
    }


def render_history(rows: list[SnapshotSummary], fmt: str) -> str:
    dicts = [summary_dict(s) for s in rows]
    if fmt in ("json", "json_pretty"):
        return dumps({"Snapshots": dicts}, indent=2 if fmt == "json_pretty" else None) + "\n"
    if fmt == "ndjson":
        return "".join(dumps(d) + "\n" for d in dicts)
    if fmt in ("tsv", "csv"):
        names = ["Id", "TakenAt", "Strategy", "Buckets", "Files", "Bytes", "Failures"]
        return write_rows([names, *(list(d.values()) for d in dicts)], fmt)
    if fmt != "table":
        raise UsageError(
            f"history cannot be shown as {fmt!r}.", hint="Use table, tsv, csv, json, json_pretty or ndjson."
        )
    table = Table(box=None, header_style="bold", pad_edge=False)
    for header in ("Id", "Taken (UTC)", "Strategy", "Buckets", "Files", "Size", "Failures"):
        table.add_column(header, justify="left" if header in ("Taken (UTC)", "Strategy") else "right")
    for s in rows:
        table.add_row(
            str(s.id),
            f"{s.taken_at:%Y-%m-%d %H:%M:%S}",
            literal(s.strategy),
            f"{s.buckets:,}",
            f"{s.objects:,}",
            humanise(s.bytes),
            str(s.failures),
        )
    buffer = io.StringIO()
    Console(file=buffer, width=100_000, no_color=True, highlight=False).print(table)
    return strip_trailing(buffer.getvalue())
