"""One scan, start to finish: discover buckets, run a strategy, assemble a Snapshot."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .aws import Aws
from .discovery import discover
from .errors import UsageError
from .model import BucketReport, Failure, Snapshot
from .selection import Selection
from .strategies import STRATEGY_NAMES, Strategy
from .strategies.cloudwatch import CloudWatchStrategy


@dataclass(frozen=True)
class ScanOptions:
    """What to measure and how; independent of how the result is shown."""

    strategy: str = "cloudwatch"
    selection: Selection = field(default_factory=Selection)
    concurrency: int = 4
    days: int = 3


def make_strategy(aws: Aws, options: ScanOptions) -> Strategy:
    if options.strategy == "cloudwatch":
        return CloudWatchStrategy(aws, days=options.days, concurrency=options.concurrency)
    raise UsageError(
        f"Unknown strategy {options.strategy!r}.",
        hint=f"Use one of: {', '.join(STRATEGY_NAMES)}.",
    )


def scan(
    aws: Aws,
    options: ScanOptions,
    *,
    on_result: Callable[[BucketReport | Failure], None] | None = None,
) -> Snapshot:
    """Run one scan; per-bucket failures are data in the snapshot, not exceptions."""
    strategy = make_strategy(aws, options)
    taken_at = datetime.now(UTC)
    found = discover(aws, options.selection, options.concurrency)
    reports: list[BucketReport] = []
    failures: list[Failure] = list(found.failures)
    for result in strategy.collect(found.buckets):
        if on_result is not None:
            on_result(result)
        if isinstance(result, Failure):
            failures.append(result)
        else:
            reports.append(result)
    return Snapshot(
        strategy=strategy.name,
        taken_at=taken_at,
        buckets=tuple(sorted(reports, key=lambda r: r.bucket.name)),
        failures=tuple(sorted(failures, key=lambda f: f.bucket)),
    )
