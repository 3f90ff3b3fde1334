"""``?account=ID`` (repeatable) on the service's read endpoints: only those accounts' buckets, as ``--account``.

The parameter is declared with its pattern (OpenAPI documents it; a bad id is a 400 naming ``account``). An
id the history has no bucket or account entry of is a 404, listing (a few of) those it has. The history never
loses an account (snapshots are not deleted), so an id once found is not looked up again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated

from fastapi import Query

from ..account_filter import ACCOUNT_ID_PATTERN, MAX_ACCOUNTS, account_cost, only_accounts, require_known
from ..errors import NotFoundError, UsageError
from ..model import Snapshot
from ..pricing.cost import SnapshotCost
from ..render.costs import CostSummary
from ..store import Store
from .caches import CostCache

AccountParam = Annotated[
    list[Annotated[str, Query(pattern=ACCOUNT_ID_PATTERN)]] | None,
    Query(
        max_length=MAX_ACCOUNTS,
        description="Only this AWS account (12 digits); repeat for several. Default: every account.",
    ),
]


def filtered(
    snapshot: Snapshot, cost: SnapshotCost | None, ids: tuple[str, ...]
) -> tuple[Snapshot, SnapshotCost | None]:
    """The snapshot and its cost as ``ids`` see them (all of it when no id is asked for)."""
    if not ids:
        return snapshot, cost
    shown = only_accounts(snapshot, ids)
    return shown, account_cost(cost, shown)


def cache_key(fmt: str, ids: tuple[str, ...]) -> str:
    """A rendered body's key: its format, and the accounts it shows (none: all of them)."""
    return f"{fmt}?account={','.join(ids)}" if ids else fmt


class KnownAccounts:
    """Checks ``?account=`` ids against the history; those found once are remembered (bounded)."""

    def __init__(self, store: Store, size: int = 10_000) -> None:
        self.store = store
        self._size = size
        self._known: set[str] = set()
        self._lock = threading.Lock()

    def check(self, account: list[str] | None) -> tuple[str, ...]:
        """The ids asked for, sorted and unique (the cache key's order); an unknown one is a usage error."""
        ids = tuple(sorted(set(account or ())))
        with self._lock:
            missing = [i for i in ids if i not in self._known]
        if missing:
            try:
                require_known(self.store, missing)
            except UsageError as exc:  # a well-formed id the history lacks: not found, as a snapshot id would be
                raise NotFoundError(exc.message, hint=exc.hint) from exc
            with self._lock:
                if len(self._known) + len(missing) <= self._size:
                    self._known.update(missing)
        return ids


class AccountSummaries:
    """``/api/v1/snapshots?account=``'s costs: each snapshot priced whole (``CostCache``), those accounts'
    lines summed; kept per (snapshot, accounts), bounded, as a stored snapshot never changes.

    A snapshot whose whole cost the service already keeps per bucket (it prices the newest 100 at start) is
    summed from those bucket totals, without loading it again, when every bucket of those accounts is priced.
    """

    def __init__(self, costs: CostCache, store: Store, size: int = 2_000) -> None:
        self.costs = costs
        self.store = store
        self._size = size
        self._items: OrderedDict[tuple[int, tuple[str, ...]], CostSummary] = OrderedDict()
        self._lock = threading.Lock()

    def of(
        self, snapshot_ids: list[int], load: Callable[[int], Snapshot], ids: tuple[str, ...]
    ) -> dict[int, CostSummary] | None:
        if self.costs.book is None:
            return None
        out: dict[int, CostSummary] = {}
        for snapshot_id in snapshot_ids:
            key = (snapshot_id, ids)
            with self._lock:
                found = self._items.get(key)
            if found is None:
                found = self._from_bucket_totals(snapshot_id, ids)
            if found is None:
                whole = load(snapshot_id)
                cost = account_cost(self.costs.of(snapshot_id, whole), only_accounts(whole, ids))
                assert cost is not None  # the book is set
                found = CostSummary.of(cost)
                with self._lock:
                    self._items[key] = found
                    while len(self._items) > self._size:
                        self._items.popitem(last=False)
            out[snapshot_id] = found
        return out

    def _from_bucket_totals(self, snapshot_id: int, ids: tuple[str, ...]) -> CostSummary | None:
        """Those accounts' share of a kept whole cost: the sum of their buckets' totals (exact: each bucket's total
        is the sum of its lines). None when the whole is not kept per bucket or a bucket of theirs is unpriced."""
        whole = self.costs.known([snapshot_id]).get(snapshot_id)
        if whole is None or not whole.by_bucket:
            return None
        names = self.store.account_buckets(snapshot_id, ids)
        amounts = [whole.by_bucket.get(name) for name in names]
        if any(amount is None for amount in amounts):
            return None
        total = sum((a for a in amounts if a is not None), Decimal(0))
        by_bucket: dict[str, Decimal | None] = dict(zip(names, amounts, strict=True))
        return CostSummary(total, total, whole.sources, whole.discount, {}, by_bucket)
