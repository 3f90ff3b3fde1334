"""One scan, start to finish: discover buckets, run a strategy, assemble a Snapshot."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .aggregate import BreakdownSpec
from .aws import Aws
from .discovery import Discovery, discover
from .errors import UsageError
from .listing.engine import Progress
from .model import BucketReport, Failure, Notice, Snapshot
from .selection import Selection
from .strategies import STRATEGY_NAMES, Strategy
from .strategies.cloudwatch import CloudWatchStrategy
from .strategies.listing import ListingStrategy


@dataclass(frozen=True)
class ScanOptions:
    """What to measure and how; independent of how the result is shown."""

    strategy: str = "cloudwatch"
    selection: Selection = field(default_factory=Selection)
    concurrency: int = 4
    days: int = 3
    processes: int | None = None
    versions: bool = False
    uploads: bool = False
    breakdowns: BreakdownSpec = field(default_factory=BreakdownSpec)
    inventory_manifest: str | None = None
    max_age_days: int = 8
    cache_dir: str | None = None

    def validate(self) -> None:
        """Refuse combinations a strategy cannot answer, before any AWS call."""
        if self.inventory_manifest and self.strategy != "inventory":
            raise UsageError("--inventory-manifest needs --strategy inventory.", hint="Add --strategy inventory.")
        if self.strategy == "inventory" and self.uploads:
            raise UsageError(
                "S3 Inventory reports do not list incomplete multipart uploads.",
                hint="Use --strategy list --uploads for those.",
            )
        if self.strategy in ("list", "inventory"):
            return
        asked = [
            flag
            for flag, wanted in (
                ("--versions", self.versions),
                ("--uploads", self.uploads),
                ("--by", bool(self.breakdowns.dimensions)),
                ("--top", bool(self.breakdowns.top_objects)),
                ("s3://bucket/prefix", bool(self.selection.prefixes())),
            )
            if wanted
        ]
        if asked:
            raise UsageError(
                f"{', '.join(asked)} need(s) per-object data, which --strategy {self.strategy} does not have.",
                hint="Add --strategy list.",
            )


def make_strategy(aws: Aws, options: ScanOptions, on_progress: Callable[[Progress], None] | None = None) -> Strategy:
    options.validate()
    if options.strategy == "cloudwatch":
        return CloudWatchStrategy(aws, days=options.days, concurrency=options.concurrency)
    if options.strategy == "list":
        return ListingStrategy(
            aws,
            concurrency=options.concurrency,
            processes=options.processes,
            spec=options.breakdowns,
            versions=options.versions,
            uploads=options.uploads,
            scopes=options.selection.prefixes(),
            on_progress=on_progress,
        )
    if options.strategy == "inventory":
        from .extras import needs

        with needs("inventory", "--strategy inventory"):
            from .strategies.inventory import InventoryStrategy  # DuckDB and pyarrow: only when asked for

        return InventoryStrategy(
            aws,
            concurrency=options.concurrency,
            spec=options.breakdowns,
            versions=options.versions,
            manifest=options.inventory_manifest,
            max_age_days=options.max_age_days,
            cache_dir=options.cache_dir,
            scopes=options.selection.prefixes(),
        )
    raise UsageError(
        f"Unknown strategy {options.strategy!r}.",
        hint=f"Use one of: {', '.join(STRATEGY_NAMES)}.",
    )


def scan(
    aws: Aws,
    options: ScanOptions,
    *,
    on_result: Callable[[BucketReport | Failure], None] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> Snapshot:
    """Run one scan; per-bucket failures are data in the snapshot, not exceptions."""
    strategy = make_strategy(aws, options, on_progress)
    taken_at = datetime.now(UTC)
    # A given inventory report names its own bucket: no discovery then.
    found = Discovery((), ()) if options.inventory_manifest else discover(aws, options.selection, options.concurrency)
    reports: list[BucketReport] = []
    failures: list[Failure] = list(found.failures)
    notices: list[Notice] = []
    for result in strategy.collect(found.buckets):
        if isinstance(result, Notice):
            notices.append(result)
            continue
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
        breakdowns=options.breakdowns.dimensions + (("top",) if options.breakdowns.top_objects else ()),
        failures=tuple(sorted(failures, key=lambda f: f.bucket)),
        notices=tuple(notices),
    )
