"""What naming the account costs ``advise``: its findings and each output of a scan of several accounts, as
a ratio to the same buckets as one account.

    .venv/bin/python benchmarks/advise_accounts.py [--accounts 1000] [--per-account 20] [--repeat 3]

One snapshot of ``--accounts`` x ``--per-account`` buckets (a tenth of the accounts not covered), each bucket
with unfinished uploads and noncurrent versions (two findings with savings), advised with the shipped prices
and its lifecycle rules not read, then rendered as the text and the JSON, with its accounts and with
``accounts=()``. It checks the result before timing (the per-account savings add up to the total), so a
fast wrong answer cannot pass. Medians of ``--repeat``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial

from s3_storage_analyser.model import Account, Bucket, BucketReport, Failure, Snapshot, Usage
from s3_storage_analyser.pricing.advise import advise
from s3_storage_analyser.pricing.book import book
from s3_storage_analyser.pricing.cost import cost_snapshot
from s3_storage_analyser.pricing.shipped import shipped_table
from s3_storage_analyser.render.advice import render_advice

NOW = datetime(2026, 11, 29, tzinfo=UTC)
BOOK = book([shipped_table()])


def snapshot(accounts: int, per_account: int) -> Snapshot:
    found, reports, failures = [], [], []
    for n in range(accounts):
        account_id = f"{100000000000 + n:012d}"
        covered = n % 10 != 9
        found.append(Account(account_id, f"team-{n}", covered))
        if not covered:
            failures.append(Failure("", None, "assume-role", "AccessDenied", "not authorized", account_id))
            continue
        for b in range(per_account):
            usage = Usage(
                objects=b + 1,
                bytes_by_class={"STANDARD": 10**9 * (b + 1)},
                objects_by_class={"STANDARD": b + 1},
                noncurrent_objects_by_class={"STANDARD": 3},
                noncurrent_bytes_by_class={"STANDARD": 10**9},
                incomplete_uploads=1,
                incomplete_upload_parts=2,
                incomplete_upload_bytes=10**8,
                oldest_incomplete_upload=NOW - timedelta(days=30),
                measured=frozenset({"versions", "uploads"}),
            )
            reports.append(BucketReport(Bucket(f"b-{n}-{b}", "us-east-1", None, account_id), usage))
    return Snapshot("list", NOW, tuple(reports), tuple(failures), accounts=tuple(found))


def timed(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--per-account", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    multi = snapshot(args.accounts, args.per_account)
    one = replace(multi, accounts=(), failures=tuple(f for f in multi.failures if f.bucket))
    cost = cost_snapshot(multi, BOOK)
    advice = advise(multi, cost, BOOK, {})
    data = json.loads(render_advice(advice, "json"))
    total = sum(Decimal(a["EstimatedMonthlySaving"]) for a in data["Accounts"] if a["EstimatedMonthlySaving"])
    assert total == Decimal(data["EstimatedMonthlySaving"]) > 0, (total, data["EstimatedMonthlySaving"])
    print(f"{len(multi.buckets):,} buckets in {args.accounts:,} accounts")
    for label, work in (
        ("advise", lambda s: advise(s, cost, BOOK, {})),
        ("table", lambda s: render_advice(advise(s, cost, BOOK, {}), "table")),
        ("json", lambda s: render_advice(advise(s, cost, BOOK, {}), "json")),
    ):
        several = timed(partial(work, multi), args.repeat)
        single = timed(partial(work, one), args.repeat)
        print(f"{label:7} several accounts {several:6.2f} s, one account {single:6.2f} s, x{several / single:.2f}")


if __name__ == "__main__":
    main()
