"""The service's cost cache: bounded in number and in per-bucket detail, warmed newest first, over a real Store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from s3_storage_analyser.model import Bucket, BucketReport, Snapshot, Usage
from s3_storage_analyser.pricing.book import book
from s3_storage_analyser.pricing.shipped import shipped_table
from s3_storage_analyser.server.caches import CostCache
from s3_storage_analyser.store import Store
from support.snapshots import T0

BOOK = book([shipped_table()])


def _history(path: Path, count: int) -> Store:
    store = Store(path)
    for day in range(count):
        usage = Usage(objects=1, bytes_by_class={"STANDARD": 2**30 * (day + 1)})
        reports = (BucketReport(Bucket("alpha", "us-east-1"), usage), BucketReport(Bucket("beta", "us-east-1"), usage))
        store.save(Snapshot("list", T0 + timedelta(days=day), reports))
    return store


def test_warm_prices_the_newest_first_and_only_as_many_as_asked(tmp_path: Path) -> None:
    store = _history(tmp_path / "h.sqlite3", 5)
    cache = CostCache(BOOK)
    assert cache.known([1, 2, 3, 4, 5]) == {}
    assert cache.warm(store, limit=3) == 3
    known = cache.known([1, 2, 3, 4, 5])
    assert sorted(known) == [3, 4, 5]
    # Each is what pricing that snapshot alone gives.
    for snapshot_id, summary in known.items():
        alone = CostCache(BOOK).summaries([snapshot_id], store.load)
        assert alone is not None and alone[snapshot_id].total == summary.total
        assert summary.by_bucket["alpha"] is not None
    store.close()


def test_per_bucket_detail_is_kept_for_the_last_summaries_only(tmp_path: Path) -> None:
    store = _history(tmp_path / "h.sqlite3", 5)
    cache = CostCache(BOOK, detailed=2)
    priced = cache.summaries([1, 2, 3, 4, 5], store.load)
    assert priced is not None and all(s.by_bucket for s in priced.values())  # what was asked for is whole
    kept = cache.known([1, 2, 3, 4, 5])
    assert [i for i, s in sorted(kept.items()) if s.by_bucket] == [4, 5]
    for snapshot_id, summary in kept.items():  # stripped of buckets, the totals stay
        assert summary.total == priced[snapshot_id].total and summary.by_class == priced[snapshot_id].by_class
    store.close()


def test_summaries_are_bounded(tmp_path: Path) -> None:
    store = _history(tmp_path / "h.sqlite3", 4)
    cache = CostCache(BOOK, summaries=2)
    cache.summaries([1, 2, 3, 4], store.load)
    assert sorted(cache.known([1, 2, 3, 4])) == [3, 4]
    store.close()


def test_without_prices_nothing_is_priced(tmp_path: Path) -> None:
    store = _history(tmp_path / "h.sqlite3", 2)
    cache = CostCache(None)
    assert cache.warm(store) == 0 and cache.summaries([1], store.load) is None and cache.known([1, 2]) == {}
    store.close()
