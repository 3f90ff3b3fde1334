"""What naming the account costs the renderers: each format of a scan of several accounts, as a ratio to
the same buckets rendered as one account.

    .venv/bin/python benchmarks/render_accounts.py [--accounts 1000] [--per-account 20] [--repeat 3]

One snapshot of ``--accounts`` x ``--per-account`` buckets (a tenth of the accounts not covered, each with
its assume-role failure) is rendered in every text format priced with the shipped table, with its accounts
and with ``accounts=()`` (the one-account output). It checks the result before timing (the JSON's
per-account bytes add up to the total), so a fast wrong answer cannot pass. Medians of ``--repeat``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime

from s3_storage_analyser.model import Account, Bucket, BucketReport, Failure, Snapshot, Usage
from s3_storage_analyser.pricing.book import book
from s3_storage_analyser.pricing.cost import SnapshotCost, cost_snapshot
from s3_storage_analyser.pricing.shipped import shipped_table
from s3_storage_analyser.render import render

FORMATS = ("table", "tsv", "json", "ndjson", "prometheus")


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
            usage = Usage(objects=b + 1, bytes_by_class={"STANDARD": 10**9 * (b + 1), "STANDARD_IA": 10**8})
            reports.append(BucketReport(Bucket(f"b-{n}-{b}", "us-east-1", None, account_id), usage))
    return Snapshot(
        "cloudwatch", datetime(2026, 11, 29, tzinfo=UTC), tuple(reports), tuple(failures), (), (), tuple(found)
    )


def timed(snap: Snapshot, fmt: str, cost: SnapshotCost, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        render(snap, fmt, cost=cost)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--per-account", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    multi = snapshot(args.accounts, args.per_account)
    one = replace(multi, accounts=())
    cost = cost_snapshot(multi, book([shipped_table()]))
    data = json.loads(render(multi, "json", cost=cost))
    assert sum(a["Bytes"] or 0 for a in data["Accounts"]) == multi.total.bytes, "per-account bytes do not add up"
    print(f"{len(multi.buckets):,} buckets in {args.accounts:,} accounts; medians of {args.repeat}")
    for fmt in FORMATS:
        base, with_accounts = timed(one, fmt, cost, args.repeat), timed(multi, fmt, cost, args.repeat)
        print(f"{fmt:<11} one account {base:7.3f} s  with accounts {with_accounts:7.3f} s  x{with_accounts / base:.2f}")


if __name__ == "__main__":
    main()
