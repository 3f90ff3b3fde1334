"""One account's work as a task on a Dask cluster (``--executor dask`` with several accounts).

The task assumes the account's role on the worker, with the worker's own credential chain (its instance or
pod role), or with the caller's STS session credentials when ``--forward-credentials`` sends them; then it
finds the account's buckets and collects their CloudWatch metrics (``--strategy cloudwatch``). What it returns is
plain data (buckets, reports, failures, notices), checked here before it is merged, once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .accounts import STAGE_ACCOUNT, STAGE_ASSUME_ROLE
from .aws import Aws, AwsOptions, RoleRequest
from .discovery import Discovery, discover
from .errors import AnalyserError
from .listing.worker import Credentials
from .model import Bucket, BucketReport, Failure, Notice
from .safetext import printable
from .selection import Selection

Collected = BucketReport | Failure | Notice  # what an account's task may answer
_MAX_MESSAGE = 300


@dataclass(frozen=True)
class AccountWork:
    """Everything a worker needs for one account: picklable, no live objects, no key unless forwarded."""

    aws: AwsOptions  # this process's endpoint and region; no profile (the worker has its own chain)
    credentials: Credentials | None  # --forward-credentials: this process's STS session ones; None: the worker's
    role: RoleRequest | None  # None: ``credentials`` are the account's own (forwarded, assumed by this process)
    selection: Selection
    concurrency: int
    days: int | None  # --strategy cloudwatch's window; None: discovery only (what benchmarks/dask_fanout.py times)


@dataclass(frozen=True)
class AccountOutcome:
    """What a worker found for one account: its discovery and collected results, or the failure that stopped it
    (``stage``: assume-role or account)."""

    discovery: Discovery | None = None
    results: tuple[Collected, ...] = ()
    stage: str | None = None
    code: str = ""
    message: str = ""

    def checked(self) -> AccountOutcome:
        """This outcome if every part is of the types it names (a task's answer is untrusted); else TypeError."""
        if self.stage is not None:
            if not (isinstance(self.stage, str) and isinstance(self.code, str) and isinstance(self.message, str)):
                raise TypeError("an account task's failure is not text")
            return self
        found = self.discovery
        if not isinstance(found, Discovery) or not isinstance(found.buckets, tuple):
            raise TypeError("an account task answered no discovery")
        if not all(isinstance(b, Bucket) for b in found.buckets) or not all(
            isinstance(f, Failure) for f in found.failures
        ):
            raise TypeError("an account task's discovery holds something else than buckets and failures")
        if not isinstance(self.results, tuple) or not all(isinstance(r, Collected) for r in self.results):
            raise TypeError("an account task's results hold something else than reports, failures and notices")
        return self


def worker_options(options: AwsOptions, endpoint: str | None, region: str) -> AwsOptions:
    """The options a worker signs with: the endpoint and region this process resolved (they may come from its
    environment or profile), not the profile's name (a worker has its own chain)."""
    return replace(options, endpoint_url=endpoint, region=region, profile=None)


def run_account(work: AccountWork) -> AccountOutcome:
    """A Dask task: assume ``work.role`` here, on the worker, find the account's buckets and (``days``) collect
    their CloudWatch metrics. Whatever stops it is the account's failure, returned, never raised."""
    from .executors.remote import leave_thread_pool  # distributed: imported on workers only
    from .strategies.cloudwatch import CloudWatchStrategy

    leave_thread_pool()  # it waits on AWS, not on a core
    try:
        own = Aws.with_credentials(work.aws, work.credentials)
        if work.role is not None:
            own = own.assume_role(work.role)
    except AnalyserError as exc:
        arn = work.role.arn if work.role is not None else "forwarded"
        return AccountOutcome(
            stage=STAGE_ASSUME_ROLE,
            code=exc.code,
            message=f"The role {arn} could not be assumed (on a Dask worker): {exc}",
        )
    try:
        found = discover(own, work.selection, work.concurrency)
        results: tuple[Collected, ...] = ()
        if work.days is not None:
            strategy = CloudWatchStrategy(own, days=work.days, concurrency=work.concurrency)
            results = tuple(strategy.collect(found.buckets))
    except AnalyserError as exc:
        return AccountOutcome(stage=STAGE_ACCOUNT, code=exc.code, message=str(exc))
    except Exception as exc:  # any surprise is this account's failure, named, on a worker as here
        return AccountOutcome(
            stage=STAGE_ACCOUNT,
            code=type(exc).__name__,
            message=printable(f"Unexpected {type(exc).__name__} on a Dask worker: {exc}")[:_MAX_MESSAGE],
        )
    return AccountOutcome(discovery=found, results=results)
