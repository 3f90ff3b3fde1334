"""Several AWS accounts in one scan: roles to assume (--role-arn, --role-arns-file) or every account of an
Organization (--organization, --role-name), filtered by --account, scanned concurrently (bounded).

Each account is scanned as a one-account run (``report.scan``) with its own credentials, which are refreshed
before they expire; its buckets and failures are then tagged with its id. A role that cannot be assumed, a
suspended account, Organizations refusing to list: each is a named failure of that account, and the others
go on. Bucket names are global: a name two accounts list is counted once (the first account's), with a notice.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .accounts_org import ACCOUNT_ID, OrgAccount, list_accounts
from .aws import MAX_ROLE_SECONDS, MIN_ROLE_SECONDS, Aws, RoleRequest
from .errors import AnalyserError, UsageError
from .model import Account, BucketReport, Failure, Notice, Progress, Snapshot
from .safetext import printable

if TYPE_CHECKING:  # config imports this module for the flags' checks
    from .config import ScanOptions
    from .executors.dask import DaskCluster

log = logging.getLogger(__name__)

DEFAULT_ROLE_NAME = "s3-storage-analyser-reader"  # the role the StackSet template (deploy/) creates
DEFAULT_ACCOUNT_CONCURRENCY = 4
DEFAULT_ROLE_DURATION = 3600
SESSION_PREFIX = "s3-storage-analyser-"  # + 8 hex digits: 28 characters of STS's 64, all in [\w+=,.@-]
MAX_ROLE_ARNS = 10000  # in a --role-arns-file
MAX_FILE_BYTES = 4 * 1024 * 1024

# Stages and codes of a whole account's failure (model.Failure with bucket "").
STAGE_ORGANIZATIONS = "organizations"
STAGE_ASSUME_ROLE = "assume-role"
STAGE_ACCOUNT = "account"
ACCOUNT_SUSPENDED = "AccountSuspended"
ACCOUNT_NOT_FOUND = "AccountNotFound"

_ROLE_ARN = re.compile(
    r"^arn:(?P<partition>aws(?:-[a-z]+)*):iam::(?P<account>[0-9]{12}):role/"
    r"(?:[\w+=,.@/-]{0,510}/)?[\w+=,.@-]{1,64}$",
    re.ASCII,
)
_ROLE_NAME = re.compile(r"^(?:[\w+=,.@-]{1,128}/){0,8}[\w+=,.@-]{1,64}$", re.ASCII)
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$", re.ASCII)
_ROLE_ARN_SHAPE = "arn:aws:iam::123456789012:role/NAME (or role/PATH/NAME)"


@dataclass(frozen=True)
class AccountOptions:
    """Which accounts a scan covers and how it reaches them; inactive (empty) means the current account only."""

    role_arns: tuple[str, ...] = ()
    organization: bool = False
    role_name: str = DEFAULT_ROLE_NAME
    accounts: tuple[str, ...] = ()  # --account: keep only these
    external_id: str | None = None
    duration: int = DEFAULT_ROLE_DURATION
    concurrency: int = DEFAULT_ACCOUNT_CONCURRENCY
    refresh_window: int | None = None  # seconds before expiry to assume again (None: RoleRequest's default)
    session_name: str = field(default_factory=lambda: SESSION_PREFIX + secrets.token_hex(4))

    @property
    def active(self) -> bool:
        return bool(self.role_arns or self.organization)

    def validate(self) -> None:
        """Refuse what cannot be asked of STS or Organizations, before any call."""
        if self.organization and self.role_arns:
            raise UsageError(
                "--organization and --role-arn/--role-arns-file both choose the accounts.",
                hint="Keep one: --organization assumes --role-name in every member account.",
            )
        if self.accounts and not self.active:
            raise UsageError(
                "--account filters the accounts of --organization or --role-arn.",
                hint="Add --organization (or --role-arn), or drop --account.",
            )
        for account in self.accounts:
            check_account_id(account)
        for arn in self.role_arns:
            parse_role_arn(arn, "--role-arn")
        if not _ROLE_NAME.match(self.role_name):
            raise UsageError(
                f"--role-name {printable(self.role_name)!r} is not an IAM role name.",
                hint=f"Letters, digits and +=,.@_- (at most 64), optionally after a path: e.g. {DEFAULT_ROLE_NAME}.",
            )
        if self.external_id is not None and not _EXTERNAL_ID.match(self.external_id):
            raise UsageError(
                "--external-id must be 2 to 1224 characters of letters, digits and +=,.@:/_-.",
                hint="Give the external id the role's trust policy asks for.",
            )
        if not MIN_ROLE_SECONDS <= self.duration <= MAX_ROLE_SECONDS:
            raise UsageError(
                f"--role-duration {self.duration} is outside STS's {MIN_ROLE_SECONDS} to {MAX_ROLE_SECONDS} seconds.",
                hint="The default, 3600, suits most scans: credentials are refreshed before they expire.",
            )


def check_account_id(raw: str) -> str:
    if not ACCOUNT_ID.match(raw):
        raise UsageError(f"--account {printable(raw)!r} is not an AWS account id.", hint="Give its 12 digits.")
    return raw


def parse_role_arn(raw: str, source: str) -> tuple[str, str]:
    """(partition, account id) of a role ARN; anything else is a usage error naming ``source``."""
    found = _ROLE_ARN.match(raw) if len(raw) <= 2048 else None
    if found is None:
        raise UsageError(f"{source}: {printable(raw[:200])!r} is not an IAM role ARN.", hint=f"Use {_ROLE_ARN_SHAPE}.")
    return found["partition"], found["account"]


def read_role_arns_file(path: str) -> tuple[str, ...]:
    """One role ARN a line; ``#`` comments and blank lines skipped; a bad line is refused, named by number."""
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"--role-arns-file {printable(path)!r} cannot be read: {exc.strerror}.") from None
    if len(data) > MAX_FILE_BYTES:
        raise UsageError(f"--role-arns-file {printable(path)!r} is larger than {MAX_FILE_BYTES} bytes.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"--role-arns-file {printable(path)!r} is not UTF-8 text.") from None
    arns: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parse_role_arn(line, f"--role-arns-file {printable(path)} line {number}")
        arns.append(line)
        if len(arns) > MAX_ROLE_ARNS:
            raise UsageError(f"--role-arns-file {printable(path)!r} lists more than {MAX_ROLE_ARNS} roles.")
    if not arns:
        raise UsageError(
            f"--role-arns-file {printable(path)!r} lists no role ARN.", hint=f"One {_ROLE_ARN_SHAPE} a line."
        )
    return tuple(arns)


@dataclass(frozen=True)
class Target:
    """One account to scan: its id, name when known, and the role to assume (None: the current credentials)."""

    account: str
    name: str = ""
    role_arn: str | None = None


@dataclass
class Plan:
    """What a scan of several accounts sets out to do: targets, every account found, failures and notices."""

    targets: list[Target] = field(default_factory=list)
    found: list[Account] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


def _account_failure(account: str, stage: str, error: str, message: str) -> Failure:
    return Failure("", None, stage, error, message, account=account)


def caller_identity(aws: Aws) -> tuple[str, str]:
    """(account id, partition) of the current credentials (sts:GetCallerIdentity)."""
    sts = aws.client("sts")
    answer = aws.call("sts:GetCallerIdentity", sts.get_caller_identity)
    account, arn = answer.get("Account"), answer.get("Arn")
    if not isinstance(account, str) or not ACCOUNT_ID.match(account):
        raise UsageError("sts:GetCallerIdentity answered no account id.", hint="Check the credentials and endpoint.")
    partition = arn.split(":")[1] if isinstance(arn, str) and arn.count(":") >= 5 else "aws"
    return account, partition if re.fullmatch(r"aws(?:-[a-z]+)*", partition) else "aws"


def plan_roles(options: AccountOptions) -> Plan:
    """--role-arn: one target per account (the first ARN into an account wins; a second is a notice)."""
    plan = Plan()
    chosen: dict[str, str] = {}
    for arn in options.role_arns:
        _partition, account = parse_role_arn(arn, "--role-arn")
        if account in chosen:
            plan.notices.append(
                Notice(
                    "", f"account {account}: role {arn} skipped, the account is scanned once (as {chosen[account]})."
                )
            )
            continue
        chosen[account] = arn
        plan.targets.append(Target(account, role_arn=arn))
        plan.found.append(Account(account))
    return plan


def plan_organization(aws: Aws, options: AccountOptions) -> Plan:
    """--organization: every ACTIVE account with --role-name, the caller's own with its current credentials;
    the others found and named. Organizations refusing is the caller's account's failure (no account listed)."""
    plan = Plan()
    caller, partition = caller_identity(aws)
    try:
        members = list_accounts(aws)
    except AnalyserError as exc:
        plan.found.append(Account(caller, covered=False))
        plan.failures.append(
            _account_failure(
                caller,
                STAGE_ORGANIZATIONS,
                exc.code,
                f"The accounts of the organisation could not be listed from account {caller}: {exc}",
            )
        )
        return plan
    if not any(m.id == caller for m in members):  # an endpoint that omits the caller: it is still scanned
        members.insert(0, OrgAccount(caller, "", "ACTIVE"))
    for member in members:
        if not member.active:
            plan.found.append(Account(member.id, member.name, covered=False))
            plan.failures.append(
                _account_failure(
                    member.id,
                    STAGE_ACCOUNT,
                    ACCOUNT_SUSPENDED,
                    f"Account {member.id} is {printable(member.state)} in the organisation: not scanned.",
                )
            )
            continue
        plan.found.append(Account(member.id, member.name))
        role = None if member.id == caller else f"arn:{partition}:iam::{member.id}:role/{options.role_name}"
        plan.targets.append(Target(member.id, member.name, role))
    return plan


def keep_accounts(plan: Plan, wanted: Sequence[str]) -> Plan:
    """--account: only those accounts; one asked for and not found is its own failure. When Organizations
    listed nothing, nothing is known to filter: the plan (its failure) stands."""
    if not wanted or any(f.stage == STAGE_ORGANIZATIONS for f in plan.failures):
        return plan
    keep = set(wanted)
    known = {a.id for a in plan.found}
    missing = [a for a in dict.fromkeys(wanted) if a not in known]
    return Plan(
        targets=[t for t in plan.targets if t.account in keep],
        found=[a for a in plan.found if a.id in keep] + [Account(a, covered=False) for a in missing],
        failures=[f for f in plan.failures if f.account in keep]
        + [
            _account_failure(a, STAGE_ACCOUNT, ACCOUNT_NOT_FOUND, f"Account {a} (--account) was not found.")
            for a in missing
        ],
        notices=plan.notices,
    )


def make_plan(aws: Aws, options: AccountOptions) -> Plan:
    options.validate()
    plan = plan_organization(aws, options) if options.organization else plan_roles(options)
    return keep_accounts(plan, options.accounts)


class _Progress:
    """Each account's running figures, summed for one display."""

    def __init__(self, forward: Callable[[Progress], None] | None) -> None:
        self._forward = forward
        self._lock = threading.Lock()
        self._parts: dict[str, Progress] = {}

    def for_account(self, account: str) -> Callable[[Progress], None] | None:
        if self._forward is None:
            return None
        forward = self._forward

        def update(progress: Progress) -> None:
            with self._lock:
                self._parts[account] = dataclasses.replace(progress)
                parts = list(self._parts.values())
            total = Progress()
            for part in parts:
                total.keys += part.keys
                total.bytes += part.bytes
                total.pages += part.pages
                total.targets_done += part.targets_done
                total.targets += part.targets
            forward(total)

        return update


@dataclass
class AccountResult:
    """One account's scan: its snapshot, or the failure that stopped it; and the client factory it used (or,
    scanned on a Dask worker, the role to assume here if one is asked for later)."""

    target: Target
    snapshot: Snapshot | None = None
    failure: Failure | None = None
    aws: Aws | None = None
    role: RoleRequest | None = None


def _tag(result: BucketReport | Failure, account: str) -> BucketReport | Failure:
    if isinstance(result, Failure):
        return dataclasses.replace(result, account=account)
    return dataclasses.replace(result, bucket=dataclasses.replace(result.bucket, account=account))


def _role_request(target: Target, accounts: AccountOptions) -> RoleRequest | None:
    if target.role_arn is None:
        return None
    return RoleRequest(
        target.role_arn, accounts.session_name, accounts.external_id, accounts.duration, accounts.refresh_window
    )


def _assumed(aws: Aws, target: Target, role: RoleRequest) -> Aws | AccountResult:
    """``aws`` signing as the target's role, or the account's assume-role failure."""
    try:
        return aws.assume_role(role)
    except AnalyserError as exc:
        message = f"The role {target.role_arn} could not be assumed: {exc}"
        return AccountResult(target, failure=_account_failure(target.account, STAGE_ASSUME_ROLE, exc.code, message))


def scan_account(
    aws: Aws,
    target: Target,
    options: ScanOptions,
    accounts: AccountOptions,
    *,
    on_result: Callable[[BucketReport | Failure], None] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    cluster: DaskCluster | None = None,
    stop: threading.Event | None = None,
) -> AccountResult:
    """Assume the target's role (or not) and run a one-account scan; whatever stops it is the account's failure.

    ``cluster`` (``--executor dask``): for ``--strategy cloudwatch``, a member account's discovery and metrics
    run as one task on a worker, which assumes the role itself (``accounts_remote``). A listing's discovery
    stays here: this process assumes the role anyway for each bucket's first page, and discovery as a task
    measured 1.25-1.45x slower (docs/dask.md, "What runs where")."""
    role = _role_request(target, accounts)
    if cluster is not None and role is not None and options.strategy == "cloudwatch":
        return _scan_on_cluster(aws, target, options, role, cluster, on_result=on_result, stop=stop)
    own = aws if role is None else _assumed(aws, target, role)
    if isinstance(own, AccountResult):
        return own
    return _scan_here(own, target, options, role, on_result=on_result, on_progress=on_progress)


def _scan_here(
    own: Aws,
    target: Target,
    options: ScanOptions,
    role: RoleRequest | None,
    *,
    on_result: Callable[[BucketReport | Failure], None] | None,
    on_progress: Callable[[Progress], None] | None,
) -> AccountResult:
    """A one-account scan with ``own``."""
    from .report import scan

    forward = None if on_result is None else (lambda r: on_result(_tag(r, target.account)))
    try:
        snapshot = scan(own, options, on_result=forward, on_progress=on_progress, role=role)
    except AnalyserError as exc:
        message = f"Account {target.account} could not be scanned: {exc}"
        return AccountResult(
            target, failure=_account_failure(target.account, STAGE_ACCOUNT, exc.code, message), aws=own
        )
    except Exception as exc:  # any one account's surprise is its failure, never the end of the run
        log.debug("scanning account %s failed unexpectedly", target.account, exc_info=exc)
        message = f"Unexpected {type(exc).__name__} scanning account {target.account}: {printable(str(exc))[:300]}"
        return AccountResult(
            target, failure=_account_failure(target.account, STAGE_ACCOUNT, type(exc).__name__, message), aws=own
        )
    return AccountResult(target, snapshot=snapshot, aws=own)


def _scan_on_cluster(
    aws: Aws,
    target: Target,
    options: ScanOptions,
    role: RoleRequest,
    cluster: DaskCluster,
    *,
    on_result: Callable[[BucketReport | Failure], None] | None,
    stop: threading.Event | None,
) -> AccountResult:
    """The account's discovery and CloudWatch collection as one task on a worker (cancelled once ``stop`` is set).

    Without --forward-credentials the worker assumes the role with its own chain and no key is sent; with it,
    the role is assumed here and its STS session credentials go with the task (as the listing sends them)."""
    from .accounts_remote import AccountOutcome, AccountWork, run_account, worker_options
    from .executors.remote import RemoteFailure, run_remote
    from .report import assemble

    own: Aws | None = None
    credentials = None
    if cluster.forward_credentials:
        assumed = _assumed(aws, target, role)
        if isinstance(assumed, AccountResult):
            return assumed
        own = assumed
        try:
            credentials = own.frozen_credentials()
        except AnalyserError as exc:
            message = f"The role {target.role_arn} could not be assumed: {exc}"
            return AccountResult(target, failure=_account_failure(target.account, STAGE_ASSUME_ROLE, exc.code, message))
    work = AccountWork(
        aws=worker_options(aws.options, aws.endpoint_for("s3"), aws.options.region or aws.default_region),
        credentials=credentials,
        role=None if credentials is not None else role,
        selection=options.selection,
        concurrency=options.concurrency,
        days=options.days,
    )
    taken_at = datetime.now(UTC)
    answer = run_remote(cluster, "account", AccountOutcome, run_account, work, stop=stop)
    try:
        outcome = answer if isinstance(answer, RemoteFailure) else answer.checked()
    except TypeError as exc:
        outcome = RemoteFailure("BadTaskResult", str(exc))
    if isinstance(outcome, RemoteFailure):
        message = f"Account {target.account} could not be scanned on the Dask cluster: {outcome.message}"
        return AccountResult(target, failure=_account_failure(target.account, STAGE_ACCOUNT, outcome.code, message))
    if outcome.stage == STAGE_ASSUME_ROLE:
        return AccountResult(
            target, failure=_account_failure(target.account, STAGE_ASSUME_ROLE, outcome.code, outcome.message)
        )
    if outcome.stage is not None:
        message = f"Account {target.account} could not be scanned: {outcome.message}"
        return AccountResult(target, failure=_account_failure(target.account, STAGE_ACCOUNT, outcome.code, message))
    assert outcome.discovery is not None  # checked()
    forward = None if on_result is None else (lambda r: on_result(_tag(r, target.account)))
    snapshot = assemble("cloudwatch", options, taken_at, outcome.discovery, outcome.results, forward)
    return AccountResult(target, snapshot=snapshot, aws=own, role=None if own is not None else role)


class _Clients(Mapping[str, Aws]):
    """Each covered account's client factory; those scanned on a Dask worker are assumed here only when asked
    for (advise reads lifecycle rules with them), and an account whose role is then refused is left out."""

    def __init__(self, ready: Mapping[str, Aws], deferred: Mapping[str, RoleRequest], aws: Aws) -> None:
        self._ready = dict(ready)
        self._deferred = dict(deferred)
        self._aws = aws
        self._lock = threading.Lock()

    def _resolve(self) -> dict[str, Aws]:
        with self._lock:
            for account, role in list(self._deferred.items()):
                del self._deferred[account]
                try:
                    self._ready[account] = self._aws.assume_role(role)
                except AnalyserError as exc:
                    log.warning("account %s: the role %s could not be assumed again: %s", account, role.arn, exc)
            return self._ready

    def __getitem__(self, account: str) -> Aws:
        return self._resolve()[account]

    def __iter__(self) -> Iterator[str]:
        return iter(self._resolve())

    def __len__(self) -> int:
        return len(self._resolve())


@dataclass(frozen=True)
class AccountsScan:
    """The merged snapshot, and each covered account's client factory (advise reads lifecycle rules with it)."""

    snapshot: Snapshot
    clients: Mapping[str, Aws]


def merge(options: ScanOptions, taken_at: datetime, plan: Plan, results: Iterable[AccountResult]) -> Snapshot:
    """One snapshot of every account, in the plan's order; a bucket name seen twice is kept once."""
    reports: dict[str, BucketReport] = {}
    failures = list(plan.failures)
    notices = list(plan.notices)
    failed_accounts: set[str] = set()
    for result in results:
        account = result.target.account
        if result.failure is not None:
            failures.append(result.failure)
            failed_accounts.add(account)
            continue
        assert result.snapshot is not None
        for report in result.snapshot.buckets:
            name = report.bucket.name
            if name in reports:
                notices.append(
                    Notice(
                        name,
                        f"also listed by account {account}: counted once, in account {reports[name].bucket.account}.",
                    )
                )
                continue
            tagged = _tag(report, account)
            assert isinstance(tagged, BucketReport)
            reports[name] = tagged
        failures.extend(dataclasses.replace(f, account=account) for f in result.snapshot.failures)
        notices.extend(result.snapshot.notices)
    found = [dataclasses.replace(a, covered=False) if a.id in failed_accounts else a for a in plan.found]
    return Snapshot(
        strategy=options.strategy,
        taken_at=taken_at,
        buckets=tuple(sorted(reports.values(), key=lambda r: (r.bucket.account, r.bucket.name))),
        breakdowns=options.breakdowns.dimensions + (("top",) if options.breakdowns.top_objects else ()),
        failures=tuple(sorted(failures, key=lambda f: (f.account, f.bucket))),
        notices=tuple(notices),
        accounts=tuple(found),
    )


def scan_accounts(
    aws: Aws,
    options: ScanOptions,
    accounts: AccountOptions,
    *,
    on_result: Callable[[BucketReport | Failure], None] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> AccountsScan:
    """Every account the options name, ``accounts.concurrency`` at a time, regions within each as one scan does.

    ``on_result`` sees each account's results tagged with the account, as they come (a bucket name two
    accounts list may be seen twice there; the snapshot keeps it once)."""
    if options.inventory_manifest:
        raise UsageError(
            "--inventory-manifest names one report of one bucket: it cannot cover several accounts.",
            hint="Drop --inventory-manifest (each bucket's newest report is found), or the account flags.",
        )
    from .report import cluster_for

    options.validate()
    taken_at = datetime.now(UTC)
    plan = make_plan(aws, accounts)
    progress = _Progress(on_progress)
    workers = max(1, min(accounts.concurrency, len(plan.targets)))
    cluster = cluster_for(options)  # connected once (report.scan_all_detailed), shared by the accounts
    stop = threading.Event()  # set when the run ends early (Ctrl-C): the accounts' tasks are cancelled
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="account")
    try:
        results = list(
            pool.map(
                lambda t: scan_account(
                    aws,
                    t,
                    options,
                    accounts,
                    on_result=on_result,
                    on_progress=progress.for_account(t.account),
                    cluster=cluster,
                    stop=stop,
                ),
                plan.targets,
            )
        )
    except BaseException:
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    snapshot = merge(options, taken_at, plan, results)
    ready = {r.target.account: r.aws for r in results if r.aws is not None and r.snapshot}
    deferred = {r.target.account: r.role for r in results if r.aws is None and r.role is not None and r.snapshot}
    return AccountsScan(snapshot, _Clients(ready, deferred, aws))
