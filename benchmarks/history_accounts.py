"""``history --account`` (``/api/v1/snapshots?account=``) over 100 snapshots x 2,000 buckets of 4 accounts, as a
ratio to ``store.history(50)`` (the plain ``history`` query) in the same process.

    .venv/bin/python benchmarks/history_accounts.py [--snapshots 100] [--buckets 2000] [--repeat 5] [--db PATH]

It builds (or reuses, with ``--db`` naming a file this script built) the history, checks each account's sums
against the snapshots it saved (so a fast wrong answer cannot pass), then times, medians of ``--repeat``:

* the baseline: ``store.history(50)``;
* ``store.account_history`` of one account and of two, 50 lines;
* ``store.unknown_accounts`` of a known and of an unknown id (every ``--account`` / ``?account=`` check);
* ``store.account_ids`` (what the unknown-account message lists);
* ``only_accounts`` + the cost of one account's share on one loaded snapshot (what ``show --account`` adds).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from s3_storage_analyser.account_filter import account_cost, only_accounts
from s3_storage_analyser.model import Account, Bucket, BucketReport, Snapshot, Usage
from s3_storage_analyser.pricing.book import book
from s3_storage_analyser.pricing.cost import cost_snapshot
from s3_storage_analyser.pricing.shipped import shipped_table
from s3_storage_analyser.store import Store

ACCOUNTS = tuple(f"{i:012d}" for i in range(1, 5))
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def snapshot(i: int, buckets: int) -> Snapshot:
    reports = tuple(
        BucketReport(
            Bucket(f"bucket-{b:05d}", "us-east-1", None, ACCOUNTS[b % len(ACCOUNTS)]),
            Usage(objects=b + i, bytes_by_class={"STANDARD": (b + 1) * (i + 1), "GLACIER": b}),
        )
        for b in range(buckets)
    )
    return Snapshot("cloudwatch", T0 + timedelta(days=i), reports, accounts=tuple(Account(a) for a in ACCOUNTS))


def timed(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--snapshots", type=int, default=100)
    parser.add_argument("--buckets", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = args.db or Path(scratch) / "history.sqlite3"
        if not path.exists():
            writer = Store(path)
            for i in range(args.snapshots):
                writer.save(snapshot(i, args.buckets))
            writer.close()
        store = Store(path, read_only=True)
        try:
            newest = store.latest_ids(1)[0]
            one = store.account_history([ACCOUNTS[1]], 50)
            expected = only_accounts(store.load(newest), [ACCOUNTS[1]])
            assert (one[0].buckets, one[0].objects, one[0].bytes) == (
                len(expected.buckets),
                expected.total.objects,
                expected.total.bytes,
            ), one[0]
            prices = book([shipped_table()])
            whole = store.load(newest)
            base = timed(args.repeat, lambda: store.history(50))
            rows = [
                ("history(50)", base),
                ("account_history, 1 account", timed(args.repeat, lambda: store.account_history(ACCOUNTS[:1], 50))),
                ("account_history, 2 accounts", timed(args.repeat, lambda: store.account_history(ACCOUNTS[:2], 50))),
                ("unknown_accounts, known", timed(args.repeat, lambda: store.unknown_accounts(ACCOUNTS[:1]))),
                ("unknown_accounts, unknown", timed(args.repeat, lambda: store.unknown_accounts(["999999999999"]))),
                ("account_ids", timed(args.repeat, store.account_ids)),
                (
                    "only_accounts + share of the whole cost",
                    timed(
                        args.repeat,
                        lambda: account_cost(cost_snapshot(whole, prices), only_accounts(whole, ACCOUNTS[:1])),
                    ),
                ),
            ]
        finally:
            store.close()
    print(f"{args.snapshots} snapshots x {args.buckets} buckets of {len(ACCOUNTS)} accounts (median of {args.repeat})")
    for name, seconds in rows:
        print(f"{name:42} {seconds * 1000:9.1f} ms  {seconds / base:8.0f}x history(50)")


if __name__ == "__main__":
    main()
