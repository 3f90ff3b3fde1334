"""Diff output: table (humanised), TSV/CSV and JSON (exact integers), and the HTML page (``html.diff``).

With ``cost`` (both snapshots priced with the same price book, so a change is a change of usage, not of
prices) each row carries its monthly cost before and after and the change; unknown when part of it has no
price, never 0.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..diff import ALL_CLASSES, DiffRow
from ..errors import UsageError
from ..model import Snapshot
from ..pricing.book import PriceSource
from ..pricing.cost import SnapshotCost
from ..units import humanise, in_unit
from .accounts import label, names
from .columns import format_instant
from .costs import (
    CURRENCY,
    ZERO,
    class_cost,
    describe,
    humanise_money,
    money_or_none,
    shown_amount,
    signed_money,
    sources_list,
)
from .delimited import write_rows
from .jsonfmt import dumps
from .table import literal, strip_trailing


def _signed(value: int) -> str:
    return ("+" if value > 0 else "-" if value < 0 else "") + humanise(abs(value))


def _share(row: DiffRow) -> str:
    if not row.bytes_before:
        return "new" if row.bytes_after else "-"
    return f"{100 * row.bytes_change / row.bytes_before:+.1f}%"


CostPair = tuple[SnapshotCost, SnapshotCost]


def row_costs(row: DiffRow, cost: CostPair) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """The row's monthly cost before, after, and the change (None when unknown; 0 where the bucket is absent)."""
    sides: list[Decimal | None] = []
    for side in cost:
        bucket = side.buckets.get(row.bucket)
        if row.storage_class == ALL_CLASSES:
            sides.append(bucket.total if bucket is not None else ZERO)
        else:
            sides.append(class_cost(bucket, row.storage_class))
    old, new = sides
    return old, new, (new - old if old is not None and new is not None else None)


def _sources(cost: CostPair) -> tuple[PriceSource, ...]:
    return tuple(dict.fromkeys((*cost[0].sources, *cost[1].sources)))


def _prices_line(cost: CostPair) -> str:
    discount = cost[1].discount or cost[0].discount
    return f"Both snapshots priced with the same prices: {describe(_sources(cost), discount)}."


def _cost_change_line(cost: CostPair) -> str:
    old, new = cost
    shown = f"{shown_amount(old.total, old.priced)} -> {shown_amount(new.total, new.priced)} per month"
    if old.total is None or new.total is None:
        return f"Cost change: unknown (some usage has no price); {shown}."
    return f"Cost change: {signed_money(new.total - old.total)} per month ({shown})."


def render_diff(
    rows: list[DiffRow],
    before: tuple[int, Snapshot],
    after: tuple[int, Snapshot],
    fmt: str,
    unit: str | None,
    *,
    cost: CostPair | None = None,
) -> str:
    """``cost`` is (before's, after's) cost, both under one price book; None leaves the output without cost."""
    (a_id, a), (b_id, b) = before, after
    # Either snapshot of several accounts: each row names its bucket's account (``Account``, after ``Bucket``).
    known = {**names(a), **names(b)} if a.accounts or b.accounts else None
    if fmt == "table":
        table = Table(box=None, header_style="bold", pad_edge=False)
        headers = [
            "Bucket",
            *(["Account"] if known is not None else []),
            "Class",
            "Before",
            "After",
            "Change",
            "Change%",
        ]
        if cost is not None:
            headers += ["Cost/month", "Cost change"]
        for header in headers:
            table.add_column(header, justify="left" if header in ("Bucket", "Account", "Class") else "right")

        def shown(value: int) -> str:
            return humanise(value) if (unit or "auto") == "auto" else in_unit(value, unit or "B")

        for row in rows:
            cells: list[Text | str] = [
                literal(row.bucket),
                *([literal(label(row.account, known.get(row.account)))] if known is not None else []),
                literal(row.storage_class),
                shown(row.bytes_before),
                shown(row.bytes_after),
                _signed(row.bytes_change),
                _share(row),
            ]
            if cost is not None:
                _old, new, cost_change = row_costs(row, cost)
                cells.append(humanise_money(new) if new is not None else "unknown")
                cells.append(signed_money(cost_change) if cost_change is not None else "unknown")
            table.add_row(*cells)
        buffer = io.StringIO()
        console = Console(file=buffer, width=100_000, no_color=True, highlight=False)
        console.print(f"Snapshot {a_id} ({a.taken_at:%Y-%m-%d %H:%M} UTC) -> {b_id} ({b.taken_at:%Y-%m-%d %H:%M} UTC)")
        console.print(table)
        change = b.total.bytes - a.total.bytes
        console.print(f"Total change: {_signed(change)} ({change:+,} bytes).")
        if cost is not None:
            console.print(literal(_cost_change_line(cost)))
            console.print(literal(_prices_line(cost)))
        return strip_trailing(buffer.getvalue())
    if fmt in ("tsv", "csv"):
        suffix = f"({unit})" if unit else ""
        lines: list[list[object]] = [
            [
                "Bucket",
                *(["Account"] if known is not None else []),
                "StorageClass",
                f"Before{suffix}",
                f"After{suffix}",
                f"Change{suffix}",
                "FilesBefore",
                "FilesAfter",
            ]
        ]
        if cost is not None:
            lines[0] += ["CostBefore", "CostAfter", "CostChange", "Prices"]
        for row in rows:
            values = [row.bytes_before, row.bytes_after, row.bytes_change]
            line: list[object] = [
                row.bucket,
                *([row.account] if known is not None else []),
                row.storage_class,
                *(in_unit(v, unit) if unit else v for v in values),
                "" if row.objects_before is None else row.objects_before,
                "" if row.objects_after is None else row.objects_after,
            ]
            if cost is not None:
                line += [money_or_none(v) or "" for v in row_costs(row, cost)]
                line.append(describe(_sources(cost), cost[1].discount or cost[0].discount))
            lines.append(line)
        return write_rows(lines, fmt)
    if fmt in ("json", "json_pretty", "ndjson"):
        changes = [diff_row_dict(r, cost, accounts=known is not None) for r in rows]
        if fmt == "ndjson":
            if cost is not None:
                prices = sources_list(_sources(cost))
                changes = [{**c, "Prices": prices} for c in changes]
            return "".join(dumps(c) + "\n" for c in changes)
        doc: dict[str, Any] = {
            "Before": _side(a_id, a, cost[0] if cost else None),
            "After": _side(b_id, b, cost[1] if cost else None),
            "Changes": changes,
        }
        if cost is not None:
            doc["Currency"] = CURRENCY
            doc["Prices"] = sources_list(_sources(cost))
        return dumps(doc, indent=2 if fmt == "json_pretty" else None) + "\n"
    if fmt == "html":
        from .html.diff import render as render_page  # Jinja2 and the page's assets only when asked

        return render_page(rows, before, after, cost=cost)
    raise UsageError(
        f"diff cannot be shown as {fmt!r}.", hint="Use table, tsv, csv, json, json_pretty, ndjson or html."
    )


def _side(snapshot_id: int, snapshot: Snapshot, cost: SnapshotCost | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Id": snapshot_id,
        "TakenAt": format_instant(snapshot.taken_at),
        "Strategy": snapshot.strategy,
        "Bytes": snapshot.total.bytes,
    }
    if cost is not None:
        out["CostPerMonth"] = money_or_none(cost.total)
        out["PricedPerMonth"] = money_or_none(cost.priced)
    return out


def diff_row_dict(row: DiffRow, cost: CostPair | None = None, *, accounts: bool = False) -> dict[str, Any]:
    """One row; ``accounts`` (either snapshot of several accounts) adds the bucket's ``Account``."""
    out: dict[str, Any] = {"Bucket": row.bucket}
    if accounts:
        out["Account"] = row.account
    out |= {
        "StorageClass": row.storage_class,
        "BytesBefore": row.bytes_before,
        "BytesAfter": row.bytes_after,
        "BytesChange": row.bytes_change,
        "FilesBefore": row.objects_before,
        "FilesAfter": row.objects_after,
    }
    if cost is not None:
        old, new, change = row_costs(row, cost)
        out.update(CostBefore=money_or_none(old), CostAfter=money_or_none(new), CostChange=money_or_none(change))
    return out
