"""The terminal table: humanised sizes, a totals row, and the exact grand total.

Every piece of outside text (bucket names, keys, storage classes from the server)
reaches rich as a ``Text`` of its ``printable`` form: shown literally, never read
as rich markup (``[bold]``, ``[link=...]``) or emoji codes, and with no control,
bidi or surrogate character left to act on the terminal.
"""

from __future__ import annotations

import io
import re

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..model import BreakdownRow, BucketReport, Snapshot
from ..pricing.cost import SnapshotCost
from ..safetext import printable
from ..units import SI_PREFIX, humanise, humanise_si, in_unit, plural, unit_label
from .accounts import account_failures, coverage_line, groups, label
from .columns import Column, breakdown_rows, breakdown_title, format_date, report_columns
from .costs import shown_amount, shown_cost, table_notes


def literal(value: object) -> Text:
    """Outside text as rich shows it: literally (no markup), escaped by ``printable``."""
    return Text(printable(str(value)))


def _cell(value: int | str, kind: str, unit: str) -> Text:
    if kind == "bytes" and isinstance(value, int):
        return literal(humanise(value) if unit == "auto" else in_unit(value, unit))  # in_unit humanises si:auto
    if kind == "count" and isinstance(value, int):
        return literal(f"{value:,}")
    return literal(value)


def render(
    snapshot: Snapshot, *, unit: str, color: bool = False, width: int = 100_000, cost: SnapshotCost | None = None
) -> str:
    """The table never truncates: a row as wide as it needs (a terminal wraps it, a file keeps it).

    With ``cost``: a ``Cost/month`` column, its total in the ``TOTAL`` row, and under the table the prices
    used, what has no price (and why) and what the figures rely on.

    A scan of several accounts (``snapshot.accounts``): an ``Account`` column, buckets grouped by account
    with a subtotal row each, and a line saying how many accounts were covered (and why not the others).
    """
    columns = report_columns(snapshot, cost, shown_account=True)
    shown = shown_cost(snapshot, cost) if cost is not None else None
    human = humanise_si if unit.startswith(SI_PREFIX) else humanise
    table = Table(box=None, show_footer=True, header_style="bold", pad_edge=False)
    total = snapshot.total
    totals: dict[str, int | str] = {
        "Bucket": f"TOTAL ({plural(len(snapshot.buckets), 'bucket')})",
        "Files": total.objects,
        "Total": total.bytes,
    }
    if shown is not None:
        totals["Cost/month"] = shown_amount(shown.total, shown.priced)
    for column in columns:
        shown_unit = unit_label(unit)
        fixed = column.kind == "bytes" and unit.removeprefix(SI_PREFIX) != "auto"
        header = f"{column.header}({shown_unit})" if fixed else column.header
        footer = totals.get(column.header)
        if footer is None and column.kind in ("bytes", "count"):
            footer = sum(int(column.value(r)) for r in snapshot.buckets)
        table.add_column(
            literal(header),
            footer=_cell(footer, column.kind, unit) if footer is not None else "",
            justify="left" if column.kind == "text" else "right",
            no_wrap=True,
        )
    if snapshot.accounts:
        _account_rows(table, snapshot, columns, unit, cost)
    else:
        for report in snapshot.buckets:
            table.add_row(*_row(report, columns, unit))

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
        literal(
            f"Total: {human(total.bytes)} ({total.bytes:,} bytes) in {total.objects:,} objects, "
            f"{plural(len(snapshot.buckets), 'bucket')}, "
            f"strategy {snapshot.strategy}{when}."
        )
    )
    if shown is not None:
        for line in table_notes(shown):
            console.print(literal(line))
    if snapshot.accounts:
        console.print(literal(coverage_line(snapshot)))
        lost = len(account_failures(snapshot))
        failed = len(snapshot.failures) - lost
        parts = ([f"{plural(failed, 'bucket')} failed"] if failed else []) + (
            [f"{plural(lost, 'account failure')}"] if lost else []
        )
        if parts:
            console.print(f"{', '.join(parts)}: listed on stderr.")
    elif snapshot.failures:
        console.print(f"{plural(len(snapshot.failures), 'bucket')} failed: listed on stderr.")
    for report in snapshot.buckets:
        for dimension, rows in breakdown_rows(report, snapshot.breakdowns).items():
            if rows:
                title = literal(breakdown_title(report.bucket.name, dimension))
                console.print()
                console.print(title, style="bold", soft_wrap=True)
                console.print(_breakdown_table(dimension, rows, report.usage.bytes, unit))
    return strip_trailing(buffer.getvalue())


def _row(report: BucketReport, columns: list[Column], unit: str) -> list[Text]:
    return [literal(c.shown(report)) if c.shown else _cell(c.value(report), c.kind, unit) for c in columns]


def _account_rows(
    table: Table, snapshot: Snapshot, columns: list[Column], unit: str, cost: SnapshotCost | None
) -> None:
    """Buckets account by account (ids in order, the report's order within each), each account's subtotal
    (exact sums of the rows above it) after its buckets; an account with no bucket shown has no rows."""
    for group in groups(snapshot):
        if not group.buckets:
            continue
        for report in group.buckets:
            table.add_row(*_row(report, columns, unit))
        cells: list[Text] = []
        for column in columns:
            value: int | str = ""
            if column.header == "Bucket":
                value = f"Subtotal ({plural(len(group.buckets), 'bucket')})"
            elif column.header == "Account":
                value = label(group.id, group.name)
            elif column.header == "Cost/month" and cost is not None:
                shown = group.cost(cost)
                value = shown_amount(shown.total, shown.priced)
            elif column.kind in ("bytes", "count"):
                value = sum(int(column.value(r)) for r in group.buckets)
            cell = _cell(value, column.kind, unit) if value != "" else Text("")
            cell.stylize("bold")  # the cells, not the row: a styled row pads with styled spaces at its end
            cells.append(cell)
        table.add_row(*cells, end_section=True)


# Spaces at the end of a line, before any colour codes that close it.
_TRAILING = re.compile(r" +((?:\x1b\[[0-9;]*m)*)$", re.MULTILINE)


def strip_trailing(text: str) -> str:
    """rich pads every cell to its column's width, the last one too: no line ends in spaces (diffs, copy-paste)."""
    return _TRAILING.sub(r"\1", text)


def _breakdown_table(dimension: str, rows: list[BreakdownRow], total: int, unit: str) -> Table:
    """One section: a bucket's rows for one dimension, with each row's share of the bytes."""
    table = Table(box=None, header_style="bold", pad_edge=False)
    if dimension == "top":
        for header in ("Key", "Size", "Class", "LastModified"):
            table.add_column(header, justify="right" if header == "Size" else "left", overflow="fold")
        for row in rows:
            table.add_row(
                literal(row.key),
                _cell(row.bytes, "bytes", unit),
                literal(row.storage_class),
                literal(row.last_modified),
            )
        return table
    classed = any(row.storage_class for row in rows)  # a row per (key, class): age-class
    for header in ("Key", "Class", "Files", "Size", "Share") if classed else ("Key", "Files", "Size", "Share"):
        table.add_column(header, justify="left" if header in ("Key", "Class") else "right", overflow="fold")
    for row in rows:
        share = f"{100 * row.bytes / total:.1f}%" if total else "-"
        cells = (_cell(row.objects, "count", unit), _cell(row.bytes, "bytes", unit), share)
        table.add_row(literal(row.key), *((literal(row.storage_class),) if classed else ()), *cells)
    return table
