"""Snapshots of a scan of several accounts (two accounts, a failed third), for the history and the service."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from s3_storage_analyser.model import Account, Bucket, BucketReport, Failure, Notice, Snapshot, Usage

A1 = "111111111111"
A2 = "222222222222"
A3 = "333333333333"  # found, its role could not be assumed: covered=False, a failure, no bucket
ONE = datetime(2025, 3, 1, 6, 0, tzinfo=UTC)

GiB = 2**30


def bucket(name: str, account: str, region: str, standard: int, objects: int, glacier: int = 0) -> BucketReport:
    classes = {"STANDARD": standard, **({"GLACIER": glacier} if glacier else {})}
    counts = {"STANDARD": objects - (1 if glacier else 0), **({"GLACIER": 1} if glacier else {})}
    return BucketReport(
        Bucket(name, region, datetime(2021, 1, 1, tzinfo=UTC), account),
        Usage(objects=objects, bytes_by_class=classes, objects_by_class=counts),
        date(2025, 2, 28),
    )


def two_accounts(step: int = 0) -> Snapshot:
    """Accounts A1 (two buckets in us-east-1/eu-west-1) and A2 (one bucket in us-east-1, growing by ``step`` GiB),
    and A3 found but not covered. The us-east-1 buckets of A1 and A2 share Standard's volume tier."""
    return Snapshot(
        strategy="cloudwatch",
        taken_at=ONE + timedelta(days=step),
        buckets=(
            bucket("a1-data", A1, "us-east-1", 60 * 1024 * GiB, 10),
            bucket("a1-logs", A1, "eu-west-1", 3 * GiB, 4, glacier=5 * GiB),
            bucket("a2-media", A2, "us-east-1", (7 + step) * GiB, 5 + step),
        ),
        failures=(
            Failure("", None, "assume-role", "AccessDenied", "not authorised to assume the role", A3),
            Failure("a2-locked", "us-east-1", "measure", "AccessDenied", "Access Denied", A2),
        ),
        notices=(Notice("a1-logs", "stale data"), Notice("a2-media", "stale too")),
        accounts=(Account(A1, "prod"), Account(A2, "media"), Account(A3, "sandbox", covered=False)),
    )


def one_account(taken_at: datetime = ONE - timedelta(days=1)) -> Snapshot:
    """A scan of one account, as before issue 13: no account anywhere."""
    return Snapshot(
        "cloudwatch", taken_at, (bucket("solo", "", "us-east-1", 5 * GiB, 2),), failures=(), notices=(), accounts=()
    )
