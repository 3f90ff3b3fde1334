"""The history view's data: bytes (and cost) over stored snapshots, in total, per class and per top bucket.

``history_data`` reads one window of the history (the newest ``limit`` snapshots up to ``upto``) with the
store's summing queries, never loading a snapshot, and returns a JSON-able dict for the page's data block
(``<script type="application/json" id="s3sa-history">``) and for ``history.html.j2``'s tables. Every series
is a list aligned with ``Snapshots``; each snapshot carries its strategy, and the page draws one line per
strategy, so a CloudWatch point is never joined to a listing point. Integers are exact; money is a decimal
string (``null`` where part of it has no price); ``null`` bytes mean the snapshot does not have the bucket.

The shape (keys in PascalCase, as the JSON report's)::

    {"Bucket": null | name, "Limit": 100, "Top": 20, "Shown": n, "Stored": N, "Priced": bool,
     "Currency": "USD" (when priced), "Prices": [{"Source", "Date", "Kind"}] (when priced),
     "Strategies": [strategy, ...],                       # in order of first appearance
     "Snapshots": [{"Id": int | null, "TakenAt", "Strategy", "Files", "Bytes", "CostPerMonth"?}],
     "Classes": [{"Code", "Name", "Bytes": [...], "CostPerMonth": [...]?}],
     "Buckets": [{"Bucket", "Files": [...], "Bytes": [...], "CostPerMonth": [...]?}]}   # top N, bucket None

``Id`` is null only for ``current``: the snapshot a report has just taken and not (yet) saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ...model import Snapshot
from ...pricing.book import PriceBook
from ...storage_classes import class_info, sort_classes
from ...store import SnapshotSummary, Store
from ..columns import format_instant
from ..costs import CURRENCY, CostSummary, money_or_none, price_history, sources_list

HISTORY_LIMIT = 100
HISTORY_TOP = 20
ZERO = Decimal(0)


def history_data(
    store: Store,
    *,
    bucket: str | None = None,
    upto: int | None = None,
    limit: int = HISTORY_LIMIT,
    top: int = HISTORY_TOP,
    costs: Mapping[int, CostSummary] | None = None,
    current: Snapshot | None = None,
    current_cost: CostSummary | None = None,
) -> dict[str, Any]:
    """The history of the whole account (``bucket`` None) or of one bucket, oldest snapshot first.

    ``costs``: each stored snapshot's cost by id (``costs.price_history`` with one price book), or None for
    bytes only. ``current`` (with ``current_cost`` when priced) is appended as the newest point: a report's
    own snapshot, before it is saved. ``top``: how many buckets get a line (the largest in the newest point).
    """
    window = store.window(max(limit - (current is not None), 0), upto)
    stored = store.count_upto(upto) + (current is not None)
    # Every query reads the same window, bounded by its ids, even if a snapshot is saved meanwhile.
    span, last = len(window), window[-1].id if window else None
    by_class = store.class_series(limit=span, upto=last, bucket=bucket) if last is not None else {}
    if bucket is not None:
        names = [bucket]
    elif current is not None:
        largest = sorted(current.buckets, key=lambda r: (-r.usage.bytes, r.bucket.name))
        names = [r.bucket.name for r in largest][: max(top, 0)]
    else:
        names = store.top_buckets(last, top) if last is not None else []
    per_bucket = store.bucket_series(names, limit=span, upto=last) if last is not None else {n: {} for n in names}

    points: list[_Point] = [_stored_point(s, by_class.get(s.id, {}), per_bucket) for s in window]
    if current is not None:
        points.append(_current_point(current, bucket, names))
    priced = costs is not None or current_cost is not None
    summaries: list[CostSummary | None] = [None if costs is None else costs.get(s.id) for s in window]
    if current is not None:
        summaries.append(current_cost)

    snapshots = []
    for point, cost in zip(points, summaries, strict=True):
        row = {**point.head, "Files": point.files, "Bytes": point.bytes}
        if bucket is not None:  # the bucket's own numbers; null where the snapshot does not have it
            size, objects = point.buckets.get(bucket, (None, None))
            row["Files"], row["Bytes"] = objects, size
        if priced:
            row["CostPerMonth"] = _total(cost, bucket, row["Bytes"] is not None)
        snapshots.append(row)

    codes = sort_classes(list(dict.fromkeys(code for p in points for code in p.classes)))
    classes = []
    for code in codes:
        present = [bucket is None or bucket in p.buckets for p in points]
        entry: dict[str, Any] = {
            "Code": code,
            "Name": class_info(code).name,
            "Bytes": [p.classes.get(code, 0) if here else None for p, here in zip(points, present, strict=True)],
        }
        if priced and bucket is None:  # a summary keeps cost per class of the account, not of each bucket
            entry["CostPerMonth"] = [_class_cost(c, code) for c in summaries]
        classes.append(entry)

    out: dict[str, Any] = {
        "Bucket": bucket,
        "Limit": limit,
        "Top": top,
        "Shown": len(points),
        "Stored": stored,
        "Priced": priced,
    }
    if priced:
        found = [c for c in summaries if c is not None]
        out["Currency"] = CURRENCY
        out["Prices"] = sources_list(dict.fromkeys(s for c in found for s in c.sources))
    out["Strategies"] = list(dict.fromkeys(p.head["Strategy"] for p in points))
    out["Snapshots"] = snapshots
    out["Classes"] = classes
    if bucket is None:
        out["Buckets"] = [_bucket_series(name, points, summaries if priced else None) for name in names]
    return out


def export_history(
    store: Store,
    book: PriceBook | None,
    *,
    upto: int | None = None,
    current: Snapshot | None = None,
    current_cost: CostSummary | None = None,
    limit: int = HISTORY_LIMIT,
) -> dict[str, Any] | None:
    """The history an HTML export shows (``report``/``show --fmt html``): every stored snapshot of the window
    priced with the report's own ``book``; None when the history would show one snapshot or none."""
    costs = None
    if book is not None:
        ids = [s.id for s in store.window(max(limit - (current is not None), 0), upto)]
        costs = price_history(ids, store.load, book)
    data = history_data(store, upto=upto, limit=limit, costs=costs, current=current, current_cost=current_cost)
    return data if data["Shown"] > 1 else None


class _Point:
    """One snapshot of the window: its head, its totals, its bytes per class, the named buckets' numbers."""

    __slots__ = ("buckets", "bytes", "classes", "files", "head")

    def __init__(
        self,
        head: dict[str, Any],
        files: int,
        size: int,
        classes: dict[str, int],
        buckets: dict[str, tuple[int, int]],
    ) -> None:
        self.head, self.files, self.bytes, self.classes, self.buckets = head, files, size, classes, buckets


def _stored_point(
    summary: SnapshotSummary, classes: dict[str, int], per_bucket: Mapping[str, Mapping[int, tuple[int, int]]]
) -> _Point:
    head = {"Id": summary.id, "TakenAt": format_instant(summary.taken_at), "Strategy": summary.strategy}
    found = {name: rows[summary.id] for name, rows in per_bucket.items() if summary.id in rows}
    return _Point(head, summary.objects, summary.bytes, classes, found)


def _current_point(snapshot: Snapshot, bucket: str | None, names: list[str]) -> _Point:
    head = {"Id": None, "TakenAt": format_instant(snapshot.taken_at), "Strategy": snapshot.strategy}
    classes: dict[str, int] = {}
    for report in snapshot.buckets:
        if bucket is None or report.bucket.name == bucket:
            for code, size in report.usage.bytes_by_class.items():
                classes[code] = classes.get(code, 0) + size
    wanted = set(names)
    found = {r.bucket.name: (r.usage.bytes, r.usage.objects) for r in snapshot.buckets if r.bucket.name in wanted}
    total = snapshot.total
    return _Point(head, total.objects, total.bytes, classes, found)


def _total(cost: CostSummary | None, bucket: str | None, present: bool) -> str | None:
    if cost is None or not present:
        return None
    if bucket is None:
        return money_or_none(cost.total)
    return money_or_none(cost.by_bucket.get(bucket))


def _class_cost(cost: CostSummary | None, code: str) -> str | None:
    if cost is None:
        return None
    return money_or_none(cost.by_class.get(code, ZERO))


def _bucket_series(name: str, points: list[_Point], summaries: list[CostSummary | None] | None) -> dict[str, Any]:
    numbers = [p.buckets.get(name) for p in points]
    entry: dict[str, Any] = {
        "Bucket": name,
        "Files": [None if n is None else n[1] for n in numbers],
        "Bytes": [None if n is None else n[0] for n in numbers],
    }
    if summaries is not None:
        entry["CostPerMonth"] = [_total(c, name, n is not None) for c, n in zip(summaries, numbers, strict=True)]
    return entry
