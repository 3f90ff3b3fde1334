"""The terminal table: humanised sizes, a totals row, and the exact grand total."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from ..model import Snapshot
from ..units import humanise, in_unit
from .columns import format_date, report_columns


def _cell(value: int | str, kind: str, unit: str) -> str:
    if kind == "bytes" and isinstance(value, int):
        return humanise(value) if unit == "auto" else in_unit(value, unit)
    if kind == "count" and isinstance(value, int):
        return f"{value:,}"
    return str(value)


def render(snapshot: Snapshot, *, unit: str, color: bool = False, width: int = 200) -> str:
    columns = report_columns(snapshot)
    table = Table(box=None, show_footer=True, header_style="bold", pad_edge=False)
    total = snapshot.total
    totals: dict[str, int | str] = {
        "Bucket": f"TOTAL ({len(snapshot.buckets)} buckets)",
        "Files": total.objects,
        "Total": total.bytes,
    }
    for column in columns:
        header = f"{column.header}({unit})" if column.kind == "bytes" and unit != "auto" else column.header
        footer = totals.get(column.header)
        if footer is None and column.kind == "bytes":
            footer = sum(int(column.value(r)) for r in snapshot.buckets)
        table.add_column(
            header,
            footer=_cell(footer, column.kind, unit) if footer is not None else "",
            justify="left" if column.kind == "text" else "right",
            no_wrap=True,
        )
    for report in snapshot.buckets:
        table.add_row(*(_cell(c.value(report), c.kind, unit) for c in columns))

    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=color, no_color=not color, highlight=False)
    console.print(table)
    dates = sorted(snapshot.data_dates)
    when = (
        f"; data of {format_date(dates[0])}" + (f" to {format_date(dates[-1])}" if len(dates) > 1 else "")
        if dates
        else ""
    )
    console.print(
        f"Total: {humanise(total.bytes)} ({total.bytes:,} bytes) in {total.objects:,} objects, "
        f"{len(snapshot.buckets)} buckets, strategy {snapshot.strategy}{when}."
    )
    if snapshot.failures:
        console.print(f"{len(snapshot.failures)} bucket(s) failed: listed on stderr.")
    return buffer.getvalue()
