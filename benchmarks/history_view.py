"""The HTML history view's data: ``history_data`` over 100 snapshots x 2,000 buckets x 8 classes, as a ratio
to ``store.history(100)`` (the ``history`` command's query) in the same process.

    .venv/bin/python benchmarks/history_view.py [--snapshots 100] [--buckets 2000] [--repeat 5] [--db PATH]

It builds (or reuses, with ``--db`` naming an existing file built by this script) a history of
``--snapshots`` saved snapshots of ``--buckets`` buckets in 8 storage classes, checks the view's sums
against the snapshots it saved (so a fast wrong answer cannot pass), then times, medians of ``--repeat``:

* the baseline: ``store.history(100)``;
* ``history_data`` for the account (the snapshots, 8 class series, the 20 largest buckets' series);
* ``history_data`` for one bucket;
* ``export_history`` with the shipped prices: what ``show --fmt html`` adds, which loads and prices every
  snapshot of the window (the costs come from ``CostSummary``, as the ``history`` command's do).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from s3_storage_analyser.model import Bucket, BucketReport, Snapshot, Usage
from s3_storage_analyser.pricing.book import book
from s3_storage_analyser.pricing.shipped import shipped_table
from s3_storage_analyser.render.html.history import export_history, history_data
from s3_storage_analyser.store import Store

sys.path[:0] = [str(Path(__file__).parent.parent / "tests")]

from common import median_seconds  # noqa: E402
from support.snapshots import CLASSES  # noqa: E402

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def snapshot(i: int, buckets: int) -> Snapshot:
    rng = random.Random(i)
    reports = tuple(
        BucketReport(
            Bucket(f"bucket-{b:05d}", "us-east-1"),
            Usage(objects=rng.randint(1, 10**6), bytes_by_class={c: rng.randint(0, 10**12) for c in CLASSES}),
        )
        for b in range(buckets)
    )
    return Snapshot("cloudwatch" if i % 4 == 0 else "list", T0 + timedelta(days=i), reports)


def build(path: Path, snapshots: int, buckets: int) -> None:
    store = Store(path)
    if store.count_upto() == snapshots:
        store.close()
        return
    started = time.perf_counter()
    for i in range(snapshots):
        store.save(snapshot(i, buckets))
    store.close()
    print(f"built {snapshots} snapshots x {buckets} buckets in {time.perf_counter() - started:.1f} s: {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshots", type=int, default=100)
    parser.add_argument("--buckets", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    path = args.db or Path(tempfile.mkdtemp()) / "history.sqlite3"
    build(path, args.snapshots, args.buckets)
    store = Store(path, read_only=True)

    data = history_data(store)
    newest = snapshot(args.snapshots - 1, args.buckets)
    assert data["Shown"] == min(100, args.snapshots)
    assert data["Snapshots"][-1]["Bytes"] == newest.total.bytes
    for entry in data["Classes"]:
        assert entry["Bytes"][-1] == sum(r.usage.bytes_by_class.get(entry["Code"], 0) for r in newest.buckets)
    largest = sorted(newest.buckets, key=lambda r: (-r.usage.bytes, r.bucket.name))[:20]
    assert [b["Bucket"] for b in data["Buckets"]] == [r.bucket.name for r in largest]

    prices = book([shipped_table()])
    base = median_seconds(lambda: store.history(100), args.repeat)
    account = median_seconds(lambda: history_data(store), args.repeat)
    one = median_seconds(lambda: history_data(store, bucket="bucket-00007"), args.repeat)
    priced = median_seconds(lambda: export_history(store, prices), max(1, args.repeat // 2))
    print(f"{args.snapshots} snapshots x {args.buckets} buckets x {len(CLASSES)} classes, medians:")
    print(f"  store.history(100)                 {base * 1000:9.2f} ms  (1x)")
    print(f"  history_data (account, top 20)     {account * 1000:9.2f} ms  ({account / base:,.0f}x)")
    print(f"  history_data (one bucket)          {one * 1000:9.2f} ms  ({one / base:,.0f}x)")
    print(f"  export_history (priced, loads all) {priced * 1000:9.2f} ms  ({priced / base:,.0f}x)")
    store.close()


if __name__ == "__main__":
    main()
