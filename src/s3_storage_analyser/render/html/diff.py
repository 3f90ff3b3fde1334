"""Growth between two stored snapshots as one self-contained HTML page: ``diff --fmt html``.

The page is built like the report page (``render/html/__init__.py``): one file that opens offline, its CSS,
script, Apache ECharts and data inlined. Its data block is exactly ``diff --fmt json`` (``render_diff``'s
JSON, parsed back), so a program reads the same numbers from the file; the header, totals and per-class
sums are rendered here with the shared autoescaping Jinja2 setup, the bar chart and the table of every row
by ``assets/diff.js`` from the data block (``textContent`` only: bucket names are untrusted).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from jinja2 import Environment

from ... import __version__
from ...diff import ALL_CLASSES, DiffRow
from ...model import Snapshot
from ...pricing.cost import SnapshotCost
from ...safetext import printable
from ...storage_classes import class_info, sort_classes
from ...units import humanise
from ..costs import fraction, humanise_money, signed_money
from ..diff import render_diff
from . import asset, environment, script_json

CostPair = tuple[SnapshotCost, SnapshotCost]
LEFT_OUT_SHOWN = 100


def signed_bytes(value: int) -> str:
    """``+1.2 GiB``, ``-512 B``, ``0 B``: a change in bytes, humanised (as the diff table shows it)."""
    return ("+" if value > 0 else "-" if value < 0 else "") + humanise(abs(value))


def signed_count(value: int) -> str:
    return f"{value:+,}" if value else "0"


def share(before: int, after: int) -> str:
    """The change as a percentage of ``before``, as the diff table shows it: ``new`` when it was empty."""
    if not before:
        return "new" if after else "-"
    return f"{100 * (after - before) / before:+.1f}%"


def _money(text: str | None) -> str:
    return "unknown" if text is None else humanise_money(Decimal(text))


def _signed_money(text: str | None) -> str:
    return "unknown" if text is None else signed_money(Decimal(text))


@cache
def diff_environment() -> Environment:
    """The report pages' environment (autoescape, unsafe characters as references) with the diff's filters;
    ``printable`` shows a name's controls and bidi marks as visible escapes, as the page's script does.

    An overlay with its own filter dict and template cache: the shared environment is not changed."""
    base = environment()
    env = base.overlay(cache_size=50)
    env.filters = {
        **base.filters,
        "signed_bytes": signed_bytes,
        "signed_count": signed_count,
        "money_or_unknown": _money,
        "signed_money": _signed_money,
        "printable": printable,
    }
    return env


def _sum_money(values: Iterable[str | None]) -> str | None:
    """Exact sum of decimal strings; None (unknown) as soon as one part is unknown."""
    total = Decimal(0)
    for value in values:
        if value is None:
            return None
        total += Decimal(value)
    return str(total)


def _change(before: str | None, after: str | None) -> str | None:
    return None if before is None or after is None else str(Decimal(after) - Decimal(before))


def _apart(first: datetime, second: datetime) -> str:
    """How far apart two snapshots were taken: days and hours, minutes under an hour, seconds under a minute."""
    seconds = int(abs((second - first).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if not days and not hours:
        return f"{rest // 60} min" if rest >= 60 else f"{rest} s"
    return (f"{days} d " if days else "") + f"{hours} h"


def _side(side: dict[str, Any], snapshot: Snapshot) -> dict[str, Any]:
    """The JSON's side (Id, TakenAt, Strategy, Bytes, cost) and what the page adds from the snapshot."""
    return {
        **side,
        "Files": snapshot.total.objects,
        "Buckets": len(snapshot.buckets),
        "Failed": len(snapshot.failures),
    }


def class_sums(changes: list[dict[str, Any]], priced: bool) -> list[dict[str, Any]]:
    """Before, after and change per storage class over every bucket, from the JSON's class rows."""
    by_class: dict[str, list[dict[str, Any]]] = {}
    for row in changes:
        if row["StorageClass"] != ALL_CLASSES:
            by_class.setdefault(row["StorageClass"], []).append(row)
    out = []
    for code in sort_classes(list(by_class)):
        rows = by_class[code]
        before = sum(int(r["BytesBefore"]) for r in rows)
        after = sum(int(r["BytesAfter"]) for r in rows)
        entry: dict[str, Any] = {
            "Code": code,
            "Name": class_info(code).name,
            "Before": before,
            "After": after,
            "Change": after - before,
            "Share": share(before, after),
        }
        if priced:
            entry["CostBefore"] = _sum_money(r["CostBefore"] for r in rows)
            entry["CostAfter"] = _sum_money(r["CostAfter"] for r in rows)
            entry["CostChange"] = _change(entry["CostBefore"], entry["CostAfter"])
        out.append(entry)
    return out


def summary(data: dict[str, Any], before: Snapshot, after: Snapshot, cost: CostPair | None) -> dict[str, Any]:
    """What the page's header, totals and class table show: the JSON's numbers and the snapshots' totals."""
    old, new = _side(data["Before"], before), _side(data["After"], after)
    buckets = [r for r in data["Changes"] if r["StorageClass"] == ALL_CLASSES]
    failed = sorted({f.bucket for f in (*before.failures, *after.failures)})
    priced = cost is not None
    discount = (cost[1].discount or cost[0].discount) if cost is not None else Decimal(0)
    return {
        "before": old,
        "after": new,
        "strategies_differ": old["Strategy"] != new["Strategy"],
        "backwards": after.taken_at < before.taken_at,
        "apart": _apart(before.taken_at, after.taken_at),
        "bytes_change": new["Bytes"] - old["Bytes"],
        "bytes_share": share(old["Bytes"], new["Bytes"]),
        "files_change": new["Files"] - old["Files"],
        "cost_change": _change(old.get("CostPerMonth"), new.get("CostPerMonth")) if priced else None,
        "compared": len(buckets),
        "grew": sum(1 for r in buckets if r["BytesChange"] > 0),
        "shrank": sum(1 for r in buckets if r["BytesChange"] < 0),
        "unchanged": sum(1 for r in buckets if r["BytesChange"] == 0),
        "left_out": failed[:LEFT_OUT_SHOWN],
        "left_out_more": max(0, len(failed) - LEFT_OUT_SHOWN),
        "classes": class_sums(data["Changes"], priced),
        "discount": fraction(discount) if discount else None,
    }


def render(
    rows: list[DiffRow],
    before: tuple[int, Snapshot],
    after: tuple[int, Snapshot],
    *,
    cost: CostPair | None = None,
) -> str:
    """The page for ``diff(before, after)``; ``cost`` (both priced with one price book) adds the money."""
    data: dict[str, Any] = json.loads(render_diff(rows, before, after, "json", None, cost=cost))
    s = summary(data, before[1], after[1], cost)
    names = {c["Code"]: c["Name"] for c in s["classes"]}
    template = diff_environment().get_template("diff.html.j2")
    return template.render(
        data=data,
        data_json=script_json(data),
        classes_json=script_json(names),
        s=s,
        priced=cost is not None,
        version=__version__,
        css=asset("report.css"),
        diff_css=asset("diff.css"),  # after report.css: only the diff page's own rules
        common=asset("common.js"),  # the helpers diff.js shares with the report's scripts, ahead of it
        script=asset("diff.js"),
        echarts=asset("echarts.min.js"),
    )
