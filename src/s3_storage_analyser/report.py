"""One scan, start to finish: discover buckets, run a strategy, assemble a Snapshot."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .aws import Aws
from .config import ScanOptions
from .discovery import Discovery, discover
from .errors import UsageError
from .model import BucketReport, Failure, Notice, Progress, Snapshot
from .strategies import STRATEGY_NAMES, Strategy
from .strategies.cloudwatch import CloudWatchStrategy
from .strategies.listing import ListingStrategy

if TYPE_CHECKING:
    from .accounts import AccountOptions, AccountsScan
    from .aws import RoleRequest
    from .executors.dask import DaskCluster

__all__ = ["ScanOptions", "make_strategy", "scan", "scan_all", "scan_all_detailed"]


def cluster_for(options: ScanOptions) -> DaskCluster | None:
    """The Dask cluster ``--executor dask`` names, connected and its workers checked (once per address), or None.

    Called before any AWS call: a missing extra, an unreachable scheduler or workers without this package end
    the run here (exit 2)."""
    if not options.on_dask:
        return None
    from .extras import needs

    with needs("dask", "--executor dask"):
        from .executors.dask import connect  # dask and distributed: only when asked for

    return connect(options.executor)


def check_forwarding(aws: Aws, options: ScanOptions) -> None:
    """--forward-credentials sends STS session credentials only: long-term keys are refused before the scan."""
    if not (options.on_dask and options.executor.forward_credentials):
        return
    from .executors.base import check_forwardable

    check_forwardable(aws.frozen_credentials())


def make_strategy(
    aws: Aws,
    options: ScanOptions,
    on_progress: Callable[[Progress], None] | None = None,
    role: RoleRequest | None = None,
) -> Strategy:
    """``role``: the role ``aws`` signs as (a many-account scan), for Dask workers to assume themselves."""
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
            cluster=cluster_for(options),
            role=role,
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
    role: RoleRequest | None = None,
) -> Snapshot:
    """Run one scan; per-bucket failures are data in the snapshot, not exceptions."""
    strategy = make_strategy(aws, options, on_progress, role)
    taken_at = datetime.now(UTC)
    # A given inventory report names its own bucket: no discovery then.
    found = Discovery((), ()) if options.inventory_manifest else discover(aws, options.selection, options.concurrency)
    return assemble(strategy.name, options, taken_at, found, strategy.collect(found.buckets), on_result)


def assemble(
    strategy: str,
    options: ScanOptions,
    taken_at: datetime,
    found: Discovery,
    results: Iterable[BucketReport | Failure | Notice],
    on_result: Callable[[BucketReport | Failure], None] | None = None,
) -> Snapshot:
    """One account's snapshot from its discovery and a strategy's results (collected here or on a worker)."""
    reports: list[BucketReport] = []
    failures: list[Failure] = list(found.failures)
    notices: list[Notice] = []
    for result in results:
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
        strategy=strategy,
        taken_at=taken_at,
        buckets=tuple(sorted(reports, key=lambda r: r.bucket.name)),
        breakdowns=options.breakdowns.dimensions + (("top",) if options.breakdowns.top_objects else ()),
        failures=tuple(sorted(failures, key=lambda f: f.bucket)),
        notices=tuple(notices),
    )


def scan_all(
    aws: Aws,
    options: ScanOptions,
    accounts: AccountOptions | None = None,
    *,
    on_result: Callable[[BucketReport | Failure], None] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> Snapshot:
    """The one entry point of every command: ``scan`` itself without account flags, else every account
    they name (``accounts.scan_accounts``) in one snapshot."""
    return scan_all_detailed(aws, options, accounts, on_result=on_result, on_progress=on_progress).snapshot


def scan_all_detailed(
    aws: Aws,
    options: ScanOptions,
    accounts: AccountOptions | None = None,
    *,
    on_result: Callable[[BucketReport | Failure], None] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> AccountsScan:
    """As ``scan_all``, with the client factory of each account (the current one, keyed "", without accounts)."""
    from .accounts import AccountsScan, scan_accounts

    if accounts is None or not accounts.active:
        check_forwarding(aws, options)
    cluster_for(options)  # connected (and kept) before any account is scanned: its problems are the run's
    if accounts is None or not accounts.active:
        return AccountsScan(scan(aws, options, on_result=on_result, on_progress=on_progress), {"": aws})
    return scan_accounts(aws, options, accounts, on_result=on_result, on_progress=on_progress)
