"""The ``history`` listing: one line per stored snapshot, with its monthly cost when priced.

Every snapshot is priced with the same price book (``costs.price_history``), so the costs compare usage.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..errors import UsageError
from ..store import SnapshotSummary
from ..units import humanise
from .columns import format_instant
from .costs import CostSummary, PricedTotal, describe, money_or_none, price_history, shown_amount, sources_list
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


__all__ = ["CostSummary", "price_history", "render_history", "summary_dict"]


def _cost_keys(cost: PricedTotal | None) -> dict[str, Any]:
    if cost is None:  # a snapshot the caller did not price
        return {"CostPerMonth": None, "PricedPerMonth": None, "Prices": []}
    return {
        "CostPerMonth": money_or_none(cost.total),
        "PricedPerMonth": money_or_none(cost.priced),
        "Prices": sources_list(cost.sources),
    }


def render_history(rows: list[SnapshotSummary], fmt: str, *, cost: Mapping[int, PricedTotal] | None = None) -> str:
    """``cost``: each snapshot's cost by id (``price_history``); None leaves the listing without cost."""
    dicts = [summary_dict(s) for s in rows]
    if cost is not None:
        dicts = [{**d, **_cost_keys(cost.get(s.id))} for d, s in zip(dicts, rows, strict=True)]
    if fmt in ("json", "json_pretty"):
        return dumps({"Snapshots": dicts}, indent=2 if fmt == "json_pretty" else None) + "\n"
    if fmt == "ndjson":
        return "".join(dumps(d) + "\n" for d in dicts)
    if fmt in ("tsv", "csv"):
        names = ["Id", "TakenAt", "Strategy", "Buckets", "Files", "Bytes", "Failures"]
        if cost is None:
            return write_rows([names, *(list(d.values()) for d in dicts)], fmt)
        table_rows = [
            [*(d[n] for n in names), d["CostPerMonth"] or "", _describe(cost.get(s.id))]
            for d, s in zip(dicts, rows, strict=True)
        ]
        return write_rows([[*names, "Cost/month", "Prices"], *table_rows], fmt)
    if fmt != "table":
        raise UsageError(
            f"history cannot be shown as {fmt!r}.", hint="Use table, tsv, csv, json, json_pretty or ndjson."
        )
    table = Table(box=None, header_style="bold", pad_edge=False)
    headers = ["Id", "Taken (UTC)", "Strategy", "Buckets", "Files", "Size", "Failures"]
    if cost is not None:
        headers.append("Cost/month")
    for header in headers:
        table.add_column(header, justify="left" if header in ("Taken (UTC)", "Strategy") else "right")
    for s in rows:
        cells: list[Text | str] = [
            str(s.id),
            f"{s.taken_at:%Y-%m-%d %H:%M:%S}",
            literal(s.strategy),
            f"{s.buckets:,}",
            f"{s.objects:,}",
            humanise(s.bytes),
            str(s.failures),
        ]
        if cost is not None:
            priced = cost.get(s.id)
            cells.append(shown_amount(priced.total, priced.priced) if priced is not None else "")
        table.add_row(*cells)
    buffer = io.StringIO()
    console = Console(file=buffer, width=100_000, no_color=True, highlight=False)
    console.print(table)
    if cost is not None:
        costs = [c for c in (cost.get(s.id) for s in rows) if c is not None]
        sources = tuple(dict.fromkeys(source for c in costs for source in c.sources))
        discount = next((c.discount for c in costs if c.discount), Decimal(0))
        console.print(literal(f"Prices (the same for every snapshot): {describe(sources, discount)}."))
    return strip_trailing(buffer.getvalue())


def _describe(cost: PricedTotal | None) -> str:
    return describe(cost.sources, cost.discount) if cost is not None else ""
