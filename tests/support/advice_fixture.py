"""Advice over hand-built snapshots: one account (the golden files) and the same buckets in three accounts.

Round test prices (USD per GB-month), so every saving can be worked out by hand.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from s3_storage_analyser.model import Account, Bucket, BucketReport, Failure, Snapshot, Usage
from s3_storage_analyser.pricing.advise import AGE_CLASS, Advice, advise
from s3_storage_analyser.pricing.book import PriceBook, PriceSource, book, rows_to_table
from s3_storage_analyser.pricing.cost import cost_snapshot
from s3_storage_analyser.pricing.lifecycle import Lifecycle

GIB = 2**30
NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)
SOURCE = PriceSource("test prices", date(2026, 11, 1), "file")
BOOK: PriceBook = book(
    [
        rows_to_table(
            [
                {"region": "*", "item": item, "from_gb": "0", "usd": usd}
                for item, usd in (
                    ("storage/STANDARD", "0.02"),
                    ("storage/STANDARD_IA", "0.01"),
                    ("storage/GLACIER_IR", "0.004"),
                    ("requests/LIST", "0.005"),
                )
            ],
            SOURCE,
            "test",
        )
    ]
)
LISTED = frozenset({"versions", "uploads", "small-objects"})
PROD, DEV, AUDIT = "111111111111", "222222222222", "333333333333"
# Markup, a terminal escape, a bidi override, a quote, a backslash and a line break.
HOSTILE = 'dev [bold]<script>alert(1)</script>\x1b[31m\u202e"\\\nx'

UPLOADS = Usage(  # 10 GiB of parts 10 days old: saves 10 x 0.02 = 0.2
    incomplete_uploads=2,
    incomplete_upload_parts=3,
    incomplete_upload_bytes=10 * GIB,
    oldest_incomplete_upload=NOW - timedelta(days=10),
    measured=LISTED,
)
VERSIONS = Usage(  # 4 GiB of noncurrent Standard: saves 4 x 0.02 = 0.08; 3 markers (not priced)
    noncurrent_objects_by_class={"STANDARD": 5},
    noncurrent_bytes_by_class={"STANDARD": 4 * GIB},
    delete_markers=3,
    measured=LISTED,
)
SMALL = Usage(  # 8,192 objects of 0.25 GiB in Standard-IA billed as 1 GiB: saves 0.005
    objects=8192,
    bytes_by_class={"STANDARD_IA": GIB // 4},
    objects_by_class={"STANDARD_IA": 8192},
    small_objects_by_class={"STANDARD_IA": 8192},
    small_bytes_by_class={"STANDARD_IA": GIB // 4},
    measured=LISTED,
)
EXPIRE = {"ID": "old", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 9}}

# (bucket, region, account, usage, lifecycle)
_BUCKETS = (
    ("prod-logs", "us-east-1", PROD, UPLOADS, Lifecycle("none")),
    ("prod-media", "us-east-1", PROD, SMALL, Lifecycle("rules", (EXPIRE,))),
    ("dev-versions", "eu-west-1", DEV, VERSIONS, Lifecycle("denied", message="Access Denied")),
    ("dev-empty", "us-east-1", DEV, Usage(measured=LISTED), Lifecycle("rules", (EXPIRE,))),
)
LIFECYCLES = {name: lifecycle for name, _, _, _, lifecycle in _BUCKETS}
SAVINGS = {PROD: Decimal("0.205"), DEV: Decimal("0.08")}  # the buckets' known savings, by hand

ONE = Snapshot(
    "list",
    NOW,
    tuple(
        BucketReport(Bucket(name, region, NOW - timedelta(days=400)), usage) for name, region, _, usage, _ in _BUCKETS
    ),
    failures=(Failure("locked", "eu-west-1", "region", "AccessDenied", "Access Denied"),),
    breakdowns=(AGE_CLASS,),
)
MULTI = dataclasses.replace(
    ONE,
    buckets=tuple(
        BucketReport(Bucket(name, region, NOW - timedelta(days=400), account), usage)
        for name, region, account, usage, _ in _BUCKETS
    ),
    failures=(
        Failure("locked", "eu-west-1", "region", "AccessDenied", "Access Denied", DEV),
        Failure("", None, "assume-role", "AccessDenied", "User is not authorized to perform: sts:AssumeRole", AUDIT),
    ),
    accounts=(Account(PROD, "prod"), Account(DEV, HOSTILE), Account(AUDIT, "audit", covered=False)),
)


def advice_of(snapshot: Snapshot) -> Advice:
    return advise(snapshot, cost_snapshot(snapshot, BOOK), BOOK, LIFECYCLES)
