"""A scan of three accounts (one not covered, one with a hostile name), built from the model directly."""

from __future__ import annotations

from datetime import UTC, date, datetime

from s3_storage_analyser.model import Account, Bucket, BucketReport, Failure, Snapshot, Usage

GIB = 1024**3
DATA_DATE = date(2024, 5, 5)
PROD, DEV, AUDIT = "111111111111", "222222222222", "333333333333"
# Markup, a script, a terminal escape, a bidi override, a quote, a backslash and a line break.
HOSTILE = 'dev [bold]<script>alert(1)</script>\x1b[31m\u202e"\\\nx'


def _usage(standard: int, ia: int = 0, objects: int = 1) -> Usage:
    by_class = {"STANDARD": standard, **({"STANDARD_IA": ia} if ia else {})}
    return Usage(objects=objects, bytes_by_class=by_class, objects_by_class=dict.fromkeys(by_class, 1))


def _report(name: str, region: str, account: str, usage: Usage) -> BucketReport:
    return BucketReport(Bucket(name, region, datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC), account), usage, DATA_DATE)


BUCKETS = (
    _report("prod-logs", "us-east-1", PROD, _usage(40 * GIB + 7, 5 * GIB, objects=1_000)),
    _report("dev-scratch", "eu-west-1", DEV, _usage(3 * GIB + 1, objects=12)),
    _report("prod-media", "us-east-1", PROD, _usage(700 * GIB, 100 * GIB + 3, objects=250_000)),
    _report("dev-empty", "us-east-1", DEV, Usage()),
)
FAILURES = (
    Failure("dev-locked", "eu-west-1", "region", "AccessDenied", "Access Denied", DEV),
    Failure("", None, "assume-role", "AccessDenied", "User is not authorized to perform: sts:AssumeRole", AUDIT),
)
ACCOUNTS = (Account(PROD, "prod"), Account(DEV, HOSTILE), Account(AUDIT, "audit", covered=False))
MULTI = Snapshot(
    strategy="list",
    taken_at=datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
    buckets=BUCKETS,
    failures=FAILURES,
    accounts=ACCOUNTS,
)
