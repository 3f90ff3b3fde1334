"""What the service keeps between requests: the newest snapshot, rendered bodies and costs.

A stored snapshot never changes, and neither does the service's price book, so anything computed from
one is kept (bounded) rather than computed again for the next request.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace

from ..model import Snapshot
from ..pricing.book import PriceBook
from ..pricing.cost import SnapshotCost, cost_snapshot
from ..render.costs import CostSummary
from ..store import Store

log = logging.getLogger("s3_storage_analyser.server")


class LatestSnapshot:
    """The newest snapshot, re-read from the store only when a newer one exists."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._id: int | None = None
        self._snapshot: Snapshot | None = None

    def get(self) -> tuple[int, Snapshot] | None:
        ids = self.store.latest_ids(1)
        if not ids:
            return None
        with self._lock:
            if self._id != ids[0] or self._snapshot is None:
                self._snapshot = self.store.load(ids[0])
                self._id = ids[0]
            return self._id, self._snapshot

    def snapshot(self) -> Snapshot | None:
        latest = self.get()
        return latest[1] if latest else None


class RenderCache:
    """Rendered bodies per (snapshot id, format): a stored snapshot never changes, so neither do they."""

    def __init__(self, size: int = 32) -> None:
        self._size = size
        self._items: OrderedDict[tuple[int, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[int, str], build: Callable[[], bytes]) -> bytes:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        body = build()  # outside the lock: a slow render must not block cached answers
        with self._lock:
            self._items[key] = body
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return body


class CostCache:
    """Each stored snapshot's cost under the service's one price book: neither ever changes, so it is kept.

    Whole costs (per bucket) for the few snapshots being rendered, small summaries for the history.
    """

    def __init__(self, book: PriceBook | None, size: int = 8, summaries: int = 10_000, detailed: int = 200) -> None:
        self.book = book
        self._size = size
        self._max_summaries = summaries
        # A summary's per-bucket totals (the history's bucket lines) are ~120 KB at 2,000 buckets: only the
        # last ``detailed`` summaries kept keep them, the others their totals per class and in all.
        self._max_detailed = detailed
        self._detailed: OrderedDict[int, None] = OrderedDict()
        self._costs: OrderedDict[int, SnapshotCost] = OrderedDict()
        self._summaries: OrderedDict[int, CostSummary] = OrderedDict()
        self._lock = threading.Lock()

    def of(self, snapshot_id: int, snapshot: Snapshot) -> SnapshotCost | None:
        if self.book is None:
            return None
        with self._lock:
            if snapshot_id in self._costs:
                self._costs.move_to_end(snapshot_id)
                return self._costs[snapshot_id]
        cost = cost_snapshot(snapshot, self.book)  # outside the lock: pure arithmetic on the snapshot
        with self._lock:
            self._costs[snapshot_id] = cost
            while len(self._costs) > self._size:
                self._costs.popitem(last=False)
            self._keep(snapshot_id, CostSummary.of(cost))
        return cost

    def summaries(self, ids: list[int], load: Callable[[int], Snapshot]) -> dict[int, CostSummary] | None:
        """The history's costs; a snapshot not yet priced is loaded and priced once."""
        if self.book is None:
            return None
        out: dict[int, CostSummary] = {}
        for snapshot_id in ids:
            with self._lock:
                found = self._summaries.get(snapshot_id)
            if found is None:
                found = CostSummary.of(cost_snapshot(load(snapshot_id), self.book))
                with self._lock:
                    self._keep(snapshot_id, found)
            out[snapshot_id] = found
        return out

    def _keep(self, snapshot_id: int, summary: CostSummary) -> None:
        """Store a summary (the lock held), bounded in number and in per-bucket detail."""
        self._summaries[snapshot_id] = summary
        while len(self._summaries) > self._max_summaries:
            self._summaries.popitem(last=False)
        self._detailed[snapshot_id] = None
        while len(self._detailed) > self._max_detailed:
            old, _ = self._detailed.popitem(last=False)
            if old in self._summaries:
                self._summaries[old] = replace(self._summaries[old], by_bucket={})

    def known(self, ids: list[int]) -> dict[int, CostSummary]:
        """The costs already worked out among ``ids``: a page never waits to price the history."""
        with self._lock:
            return {i: self._summaries[i] for i in ids if i in self._summaries}

    def warm(self, store: Store, limit: int = 100) -> int:
        """Price the newest ``limit`` snapshots (newest first), so pages and the history find them ready.

        Run on a thread when the service starts: 2,000 buckets take about 0.35 s a snapshot to load
        and price. A snapshot that cannot be loaded is logged and skipped. Returns how many it priced.
        """
        if self.book is None:
            return 0
        priced = failed = 0
        for snapshot_id in store.latest_ids(limit):
            try:
                self.summaries([snapshot_id], store.load)
            except Exception as exc:  # one bad snapshot must not stop the rest, nor the thread's caller
                log.warning("could not price snapshot %d: %s", snapshot_id, exc)
                failed += 1
                if failed >= 3:  # the store itself is gone (the service is stopping): nothing more to do
                    break
                continue
            priced += 1
        return priced
