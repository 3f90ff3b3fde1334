"""Cost as every renderer shows it: the shown buckets' amounts, humanised dollars for the table, exact
decimal strings (``pricing.cost.money``) for the machine formats.

A renderer gets the ``SnapshotCost`` of the snapshot it renders, or None (then nothing about cost is shown
and every output is as it was before costs existed). Totals are summed over the buckets the report shows
(``--min-size`` may leave some out), so a total always equals the sum of the rows above it. A bucket the
cost does not cover, or whose usage is partly without a price, has an unknown cost: shown as unknown (empty,
``null``, ``≥$priced part``), never as 0.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Protocol

from ..model import BucketReport, Snapshot
from ..pricing.book import PriceBook, PriceSource
from ..pricing.cost import BucketCost, SnapshotCost, Unpriced, cost_snapshot, format_percent, money
from ..storage_classes import sort_classes

CURRENCY = "USD"
CENT = Decimal("0.01")
ZERO = Decimal(0)
NOT_PRICED = "this bucket was not priced"


class PricedTotal(Protocol):
    """What a line of ``history`` needs of a snapshot's cost: a ``SnapshotCost`` or a ``CostSummary``."""

    @property
    def priced(self) -> Decimal: ...

    @property
    def total(self) -> Decimal | None: ...

    @property
    def sources(self) -> tuple[PriceSource, ...]: ...

    @property
    def discount(self) -> Decimal: ...


@dataclass(frozen=True)
class CostSummary:
    """A snapshot's cost without its per-bucket lines: what ``history`` shows, small enough to keep many.

    ``by_class`` and ``by_bucket`` (monthly totals per storage class and per bucket, for the HTML history's
    lines) hold None where some of that class's or bucket's usage has no price: unknown, never 0.
    """

    priced: Decimal
    total: Decimal | None
    sources: tuple[PriceSource, ...]
    discount: Decimal = ZERO
    by_class: Mapping[str, Decimal | None] = field(default_factory=dict)
    by_bucket: Mapping[str, Decimal | None] = field(default_factory=dict)

    @classmethod
    def of(cls, cost: SnapshotCost) -> CostSummary:
        amounts = cost.by_class
        unknown = {u.storage_class for u in cost.unpriced if u.storage_class}
        codes = sort_classes(list(set(amounts) | unknown))
        by_class = {code: None if code in unknown else amounts.get(code, ZERO) for code in codes}
        by_bucket = {name: bucket.total for name, bucket in cost.buckets.items()}
        return cls(cost.priced, cost.total, cost.sources, cost.discount, by_class, by_bucket)


def bucket_cost(cost: SnapshotCost, report: BucketReport) -> BucketCost:
    """The bucket's cost; one the cost does not cover is unknown (never 0)."""
    found = cost.buckets.get(report.bucket.name)
    if found is not None:
        return found
    region = report.bucket.region
    return BucketCost(report.bucket.name, region, {}, (Unpriced(region, "", "", ZERO, NOT_PRICED),))


@dataclass(frozen=True)
class ShownCost:
    """The cost of the buckets a report shows, in the report's order."""

    buckets: tuple[BucketCost, ...]
    cost: SnapshotCost

    @property
    def priced(self) -> Decimal:
        return sum((b.priced for b in self.buckets), ZERO)

    @property
    def total(self) -> Decimal | None:
        return None if any(b.unpriced for b in self.buckets) else self.priced

    @property
    def by_class(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = defaultdict(Decimal)
        for bucket in self.buckets:
            for code, amount in bucket.by_class.items():
                out[code] += amount
        return {code: out[code] for code in sort_classes(list(out))}

    @property
    def unpriced(self) -> tuple[tuple[str, Unpriced], ...]:
        return tuple((b.bucket, u) for b in self.buckets for u in b.unpriced)


def shown_cost(snapshot: Snapshot, cost: SnapshotCost) -> ShownCost:
    return ShownCost(tuple(bucket_cost(cost, r) for r in snapshot.buckets), cost)


def class_cost(bucket: BucketCost | None, code: str) -> Decimal | None:
    """One class's monthly cost in a bucket (0 when the bucket is absent), None when some of it has no price."""
    if bucket is None:
        return ZERO
    if any(u.storage_class in (code, "") for u in bucket.unpriced):
        return None
    return bucket.by_class.get(code, ZERO)


# --- the table: humanised dollars ----------------------------------------------------------------


def humanise_money(amount: Decimal) -> str:
    """``$1,234.57``; under a cent two significant digits (``$0.0021``); ``$0`` for exactly zero."""
    if not amount:
        return "$0"
    sign = "-" if amount < 0 else ""
    size = abs(amount)
    if size >= CENT:
        return f"{sign}${size.quantize(CENT, rounding=ROUND_HALF_EVEN):,.2f}"
    step = Decimal(1).scaleb(size.adjusted() - 1)
    rounded = size.quantize(step, rounding=ROUND_HALF_EVEN)
    return f"{sign}${CENT:f}" if rounded >= CENT else f"{sign}${rounded:f}"


def signed_money(amount: Decimal) -> str:
    """A change: ``+$1.23``, ``-$0.0021``, ``$0``."""
    return ("+" if amount > 0 else "") + humanise_money(amount)


def shown_amount(total: Decimal | None, priced: Decimal) -> str:
    """A cost in the table: the amount, or ``≥$priced`` when part of it has no price."""
    return humanise_money(total) if total is not None else f"≥{humanise_money(priced)}"


def table_notes(shown: ShownCost) -> list[str]:
    """The lines under a table: the prices used, what is not priced and why, the notes (each once)."""
    used = shown.cost.describe_sources() if shown.cost.sources or not shown.unpriced else "none found (below)"
    lines = [f"Prices: {used}."]
    for bucket, unpriced in shown.unpriced:
        what = f" ({unpriced.storage_class})" if unpriced.storage_class else ""
        lines.append(f"Not priced in {bucket}{what}: {unpriced.reason}.")
    lines += shown.cost.notes
    return list(dict.fromkeys(lines))


# --- the machine formats: exact decimal strings --------------------------------------------------


def money_or_none(amount: Decimal | None) -> str | None:
    return None if amount is None else money(amount)


def fraction(value: Decimal) -> str:
    """A discount as an exact fraction string: ``"0.1"`` for 10 %, ``"0"`` for none."""
    return f"{value.normalize():f}" if value else "0"


def sources_list(sources: Iterable[PriceSource]) -> list[dict[str, str]]:
    return [{"Source": s.name, "Date": s.date.isoformat(), "Kind": s.kind} for s in sources]


def describe(sources: tuple[PriceSource, ...], discount: Decimal) -> str:
    """As ``SnapshotCost.describe_sources``, for a cost given as its sources and discount."""
    text = "; ".join(s.describe() for s in sources) or "none needed"
    return text + (f"; {format_percent(discount)} discount" if discount else "")


def bucket_keys(bucket: BucketCost) -> dict[str, Any]:
    """A bucket's cost keys in JSON: total (``null`` when unknown), per class, per part, what is unpriced."""
    out: dict[str, Any] = {
        "CostPerMonth": money_or_none(bucket.total),
        "CostByClass": {code: money(a) for code, a in sorted_classes(bucket.by_class)},
        "CostByPart": {part: money(a) for part, a in bucket.by_part.items()},
    }
    if bucket.unpriced:
        out["Unpriced"] = [
            {"Region": u.region, "StorageClass": u.storage_class, "Item": u.item, "Reason": u.reason}
            for u in bucket.unpriced
        ]
    return out


def sorted_classes(amounts: Mapping[str, Decimal]) -> list[tuple[str, Decimal]]:
    return [(code, amounts[code]) for code in sort_classes(list(amounts))]


def snapshot_keys(shown: ShownCost) -> dict[str, Any]:
    """The top-level ``Cost`` object of the JSON report."""
    cost = shown.cost
    return {
        "Currency": CURRENCY,
        "PerMonth": money_or_none(shown.total),
        "PricedPerMonth": money(shown.priced),
        "ByClass": {code: money(a) for code, a in shown.by_class.items()},
        "Prices": sources_list(cost.sources),
        "Discount": fraction(cost.discount),
        "Notes": list(dict.fromkeys(cost.notes)),
    }


def price_history(ids: Iterable[int], load: Callable[[int], Snapshot], book: PriceBook) -> dict[int, CostSummary]:
    """Each snapshot's cost under one book, for ``history``: ``load`` is ``Store.load``."""
    return {i: CostSummary.of(cost_snapshot(load(i), book)) for i in ids}
