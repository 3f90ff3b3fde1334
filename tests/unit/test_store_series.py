"""The store's series queries (the HTML history view) on a real SQLite file: each sum equals the one
computed from the loaded snapshots, the window is the newest ``limit`` ids up to ``upto``, and names stored
as BLOBs (lone surrogates) or written to look like SQL come back exactly."""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from s3_storage_analyser.errors import StoreError
from s3_storage_analyser.model import Bucket, BucketReport, Snapshot, Usage
from s3_storage_analyser.store import Store

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HOSTILE = (
    "lone-\udc80-surrogate",  # not UTF-8: stored as a BLOB
    "x' OR 1=1; DROP TABLE snapshots; --",
    "<script>alert(1)</script>",
    "bidi-\u202e-gnp.exe",
    "plain",
)
CLASSES = ("STANDARD", "GLACIER", "STANDARD_IA", "WEIRD-\udcff-CLASS")


def snapshot(i: int, rng: random.Random, names: tuple[str, ...] = HOSTILE, strategy: str = "list") -> Snapshot:
    reports = []
    for name in names:
        if rng.random() < 0.2:
            continue  # some snapshots lack some buckets
        by_class = {c: rng.randint(0, 10**15) for c in CLASSES if rng.random() < 0.7}
        reports.append(
            BucketReport(Bucket(name, "eu-west-1"), Usage(objects=rng.randint(0, 10**9), bytes_by_class=by_class))
        )
    return Snapshot(strategy, T0 + timedelta(days=i), tuple(reports))


@pytest.fixture
def filled(tmp_path: Path) -> tuple[Store, dict[int, Snapshot]]:
    store = Store(tmp_path / "history.sqlite3")
    rng = random.Random(7)
    saved = {}
    for i in range(12):
        snap = snapshot(i, rng, strategy="cloudwatch" if i % 3 == 0 else "list\udc80")
        saved[store.save(snap)] = snap
    store.close()
    return Store(tmp_path / "history.sqlite3", read_only=True), saved


def class_sums(snap: Snapshot, bucket: str | None = None) -> dict[str, int]:
    out: dict[str, int] = {}
    for report in snap.buckets:
        if bucket is None or report.bucket.name == bucket:
            for code, size in report.usage.bytes_by_class.items():
                out[code] = out.get(code, 0) + size
    return out


def test_the_window_is_the_newest_limit_ids_up_to_upto_oldest_first(filled: tuple[Store, dict[int, Snapshot]]) -> None:
    store, saved = filled
    ids = sorted(saved)
    assert [s.id for s in store.window(100)] == ids
    assert [s.id for s in store.window(5)] == ids[-5:]
    assert [s.id for s in store.window(5, upto=ids[6])] == ids[2:7]
    assert [s.id for s in store.window(100, upto=ids[0] - 1)] == []
    assert [s.id for s in store.window(0)] == [] and [s.id for s in store.window(-1)] == []  # never "no limit"
    assert [s.id for s in store.window(3, upto=2**70)] == ids[-3:] and store.window(3, upto=-(2**70)) == []
    assert store.count_upto() == 12 and store.count_upto(ids[6]) == 7 and store.count_upto(-(2**70)) == 0
    head = store.window(100)
    for summary in head:
        snap = saved[summary.id]
        assert (summary.taken_at, summary.strategy) == (snap.taken_at, snap.strategy)  # the BLOB strategy, as text
        assert (summary.bytes, summary.objects) == (snap.total.bytes, snap.total.objects)


def test_class_sums_equal_the_loaded_snapshots(filled: tuple[Store, dict[int, Snapshot]]) -> None:
    store, saved = filled
    ids = sorted(saved)
    series = store.class_series()
    assert list(series) == [i for i in ids if class_sums(saved[i])]
    for i in ids:
        assert series.get(i, {}) == class_sums(store.load(i)) == class_sums(saved[i])
    assert list(store.class_series(limit=4, upto=ids[8])) == [i for i in ids[5:9] if class_sums(saved[i])]
    for name in HOSTILE:
        one = store.class_series(bucket=name)
        for i in ids:
            assert one.get(i, {}) == class_sums(saved[i], name), (name, i)
    assert store.class_series(bucket="plain\x00") == {} and store.class_series(bucket="nothing") == {}


def test_bucket_series_and_top_buckets(filled: tuple[Store, dict[int, Snapshot]]) -> None:
    store, saved = filled
    ids = sorted(saved)
    series = store.bucket_series([*HOSTILE, "absent", "plain"], limit=6, upto=ids[9])
    assert list(series) == [*HOSTILE, "absent"]  # each name once
    assert series["absent"] == {}
    for name in HOSTILE:
        expected = {
            i: (r.usage.bytes, r.usage.objects) for i in ids[4:10] for r in saved[i].buckets if r.bucket.name == name
        }
        assert series[name] == expected
    for i in ids:
        sizes = {r.bucket.name: r.usage.bytes for r in saved[i].buckets}
        top = store.top_buckets(i, 3)
        assert len(set(top)) == min(3, len(sizes))
        assert [sizes[n] for n in top] == sorted(sizes.values(), reverse=True)[:3]
    assert store.top_buckets(ids[0], 0) == [] and store.top_buckets(2**80, 3) == [] and store.top_buckets(-5, 3) == []


def test_a_sum_sqlite_cannot_hold_is_a_named_store_error(tmp_path: Path) -> None:
    """A forged version-3 file: two class rows near 2^63 overflow the class totals migration 4 fills in;
    opening it names the history and the cause rather than crashing."""
    path = tmp_path / "forged.sqlite3"
    store = Store(path)
    big = Usage(objects=1, bytes_by_class={"STANDARD": 1})
    store.save(Snapshot("list", T0, (BucketReport(Bucket("a", "r"), big), BucketReport(Bucket("b", "r"), big))))
    store.close()
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE class_totals")
        db.execute("UPDATE class_usage SET bytes = ?", (2**63 - 1,))
        db.execute("PRAGMA user_version = 3")
    db.close()
    with pytest.raises(StoreError, match="overflow"):
        Store(path)
