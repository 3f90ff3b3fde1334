"""``s3sa advise``: scan, read each bucket's lifecycle rules, print the savings and the rules that get them.

It changes nothing in the account: it reads (lists, GetBucketLifecycleConfiguration) and prints. Its scan
settings are the report's, but by default it lists every version and unfinished upload with the
``age-class`` breakdown, so that every finding carries its evidence.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .aggregate import DIMENSIONS, BreakdownSpec
from .aws import check_endpoint_url
from .config import (
    EVERYWHERE,
    PRICES_SETTING,
    REPORT_SETTINGS,
    AppliesTo,
    ScanOptions,
    Setting,
    accounts_from_flags,
    aws_from_flags,
    check_applicable,
    default_concurrency,
    scan_from_flags,
)
from .errors import EXIT_FAILURE, EXIT_OK, EXIT_PARTIAL, AccessDeniedError, AnalyserError, UsageError
from .pricing.advise import AGE_CLASS, DEFAULT_OLDER_THAN
from .render.advice import ADVICE_FORMATS
from .safetext import printable

if TYPE_CHECKING:  # the scan, the pricing and the display are imported when advise runs, not with the CLI
    from .aws import Aws, AwsOptions
    from .model import Failure, Snapshot
    from .pricing.advise import Advice
    from .pricing.lifecycle import Lifecycle

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("s3_storage_analyser")

_SCAN_DESTS = (
    "strategy",
    "prefixes",
    "buckets",
    "conc",
    "days",
    "endpoint_url",
    "profile",
    "region",
    "ca_bundle",
    "no_verify_ssl",
    "organization",
    "role_arns",
    "role_arns_file",
    "role_name",
    "accounts",
    "external_id",
    "role_duration",
    "account_conc",
    "processes",
    "executor",
    "scheduler",
    "forward_credentials",
    "inventory_manifest",
    "max_age",
    "quiet",
    "verbose",
    "debug",
)
# The report's settings that mean something else here, or apply to more commands than the report's say.
_OWN_HELP = {
    "strategy": "Where the figures come from: list (the default here) lists every object, version and unfinished "
    "upload: every finding, at the cost of a full listing (one LIST request per 1,000 keys, $0.005 per 1,000 "
    "requests in us-east-1); inventory reads S3 Inventory reports (no unfinished uploads); cloudwatch gives the "
    "findings S3's daily metrics support (small and archive objects' overheads, missing rules) and names the rest.",
    "endpoint_url": "S3 and CloudWatch endpoint, for S3-compatible services (botocore also reads AWS_ENDPOINT_URL).",
    "profile": "AWS profile from ~/.aws/config (else AWS_PROFILE / the default chain).",
    "ca_bundle": "PEM file of the CA certificates to trust for TLS (botocore also reads AWS_CA_BUNDLE).",
    "no_verify_ssl": "Do not verify TLS certificates (a test endpoint only).",
}


def _setting(dest: str) -> Setting:
    found = next(s for s in REPORT_SETTINGS if s.dest == dest)
    if dest == "strategy":
        return dataclasses.replace(found, default="list", help=_OWN_HELP[dest])
    if dest in _OWN_HELP:
        return dataclasses.replace(found, help=_OWN_HELP[dest], applies=EVERYWHERE)
    return found


ADVISE_SETTINGS: tuple[Setting, ...] = (
    *(_setting(dest) for dest in _SCAN_DESTS),
    Setting(
        "--cache-dir",
        "cache_dir",
        "Where inventory data files and `s3sa prices update`'s prices are cached "
        "(default $XDG_CACHE_HOME/s3-storage-analyser).",
        type=click.Path(file_okay=False),
        metavar="DIR",
        envvar="S3SA_CACHE_DIR",
        example="~/.cache/s3sa",
    ),
    Setting(
        "--older-than",
        "older_than",
        "Price moving Standard objects at least this many days old (to the nearest age band: 30, 90, 365, 730, "
        "1825) into Standard-IA, Intelligent-Tiering or Glacier Instant Retrieval.",
        type=click.IntRange(1, 1825),
        default=DEFAULT_OLDER_THAN,
        metavar="DAYS",
        applies=AppliesTo(strategies=("list", "inventory")),
    ),
    dataclasses.replace(
        PRICES_SETTING,
        help="Price with this JSON or CSV price file first, then "
        "`s3sa prices update`'s cache, then the prices shipped in the package.",
    ),
    Setting(
        "--fmt",
        "fmt",
        f"Output format: {', '.join(ADVICE_FORMATS)}.",
        type=click.Choice(ADVICE_FORMATS, case_sensitive=False),
        default="table",
        metavar="|".join(ADVICE_FORMATS),
        group="output",
        example="json",
    ),
)


def advise_options(fn: F) -> F:
    for setting in reversed(ADVISE_SETTINGS):
        fn = setting.option()(fn)
    return fn


def scan_settings(flags: Mapping[str, Any]) -> tuple[ScanOptions, AwsOptions]:
    """What advise measures: the report's scan, with versions, uploads and ages where the strategy has them."""
    strategy = str(flags["strategy"]).lower()
    if flags.get("endpoint_url") is not None:
        check_endpoint_url(flags["endpoint_url"])
    conc = flags["conc"] or default_concurrency(strategy)
    per_object = strategy in ("list", "inventory")
    ages = AGE_CLASS in DIMENSIONS and (strategy == "list" or DIMENSIONS[AGE_CLASS].sql is not None)
    options = scan_from_flags(
        flags,
        strategy,
        conc,
        versions=per_object,
        uploads=strategy == "list",
        breakdowns=BreakdownSpec(dimensions=(AGE_CLASS,) if per_object and ages else ()),
    )
    return options, aws_from_flags(flags, conc)


def read_lifecycles(aws: Aws, buckets: Sequence[tuple[str, str]], concurrency: int) -> dict[str, Lifecycle]:
    """Each bucket's lifecycle rules, read in parallel (bounded); a refusal or an error is that bucket's."""
    from concurrent.futures import ThreadPoolExecutor

    from .pricing.lifecycle import Lifecycle

    def read(bucket: str, region: str) -> Lifecycle:
        try:
            rules = aws.lifecycle_rules(bucket, region)
        except AccessDeniedError as exc:
            return Lifecycle("denied", message=exc.message)
        except AnalyserError as exc:
            return Lifecycle("error", message=exc.message)
        return Lifecycle("none") if rules is None else Lifecycle("rules", tuple(rules))

    if not buckets:
        return {}
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(buckets)))) as pool:
        found = list(pool.map(lambda b: read(*b), buckets))
    return {name: lifecycle for (name, _region), lifecycle in zip(buckets, found, strict=True)}


def _failure_line(failure: Failure) -> str:
    where = f" ({printable(failure.region)})" if failure.region else ""
    what = f"[{failure.stage}: {printable(failure.error)}]: {printable(failure.message)}"
    if not failure.bucket and failure.account:  # a whole account: its role, its state, Organizations
        return f"warning: account {printable(failure.account)} not covered {what}"
    owner = f" in account {printable(failure.account)}" if failure.account else ""
    return f"warning: bucket {printable(failure.bucket)}{where}{owner} not measured {what}"


def exit_code(snapshot: Snapshot, advice: Advice) -> int:
    """0; 3 when a bucket was not measured or its lifecycle rules not read; 1 when nothing was measured."""
    whole_account = any(not f.bucket and f.account for f in snapshot.failures)  # 3, as the report's
    if snapshot.failures and not snapshot.buckets and not whole_account:
        return EXIT_FAILURE
    unread = any(b.lifecycle.status in ("denied", "error") for b in advice.buckets)
    return EXIT_PARTIAL if snapshot.failures or unread else EXIT_OK


@click.command("advise")
@advise_options
def advise_command(**flags: Any) -> None:
    """Savings, with the lifecycle rules that get them (estimates; nothing is changed in the account).

    By default it lists every object, version and unfinished upload (--strategy list): exact findings, at
    the cost of a full listing (about $0.005 per 1,000 requests of 1,000 keys in us-east-1). With
    --strategy cloudwatch it gives the findings S3's daily metrics support and names the others.
    """
    ctx = click.get_current_context()
    check_applicable("advise", flags, ctx.get_parameter_source, ADVISE_SETTINGS)
    if flags.get("verbose") and flags.get("quiet"):
        raise UsageError("-q/--quiet and -v/--verbose contradict each other.", hint="Keep one of them.")
    if flags["debug"]:
        logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(name)s: %(message)s")
        log.setLevel(logging.DEBUG)
    from .aws import Aws
    from .pricing.advise import advise
    from .pricing.cost import cost_snapshot
    from .pricing.sources import load_book
    from .progress import ProgressDisplay
    from .render.advice import render_advice
    from .report import scan_all_detailed

    book = load_book(flags.get("prices"), flags.get("cache_dir"))  # a bad --prices file: before any AWS call
    options, aws_options = scan_settings(flags)
    options.validate()
    accounts = accounts_from_flags(flags)
    aws = Aws(aws_options)
    with ProgressDisplay(enabled=not flags["quiet"] and sys.stderr.isatty()) as progress:
        scanned = scan_all_detailed(aws, options, accounts, on_progress=progress.update)
        snapshot = scanned.snapshot
        lifecycles: dict[str, Lifecycle] = {}
        for account, client in scanned.clients.items():  # each bucket's rules, read as its own account
            owned = [(r.bucket.name, r.bucket.region) for r in snapshot.buckets if r.bucket.account == account]
            lifecycles.update(read_lifecycles(client, owned, options.concurrency))
    for failure in snapshot.failures:
        click.echo(_failure_line(failure), err=True)
    if snapshot.accounts:
        covered = sum(a.covered for a in snapshot.accounts)
        click.echo(f"s3sa: covered {covered} of {len(snapshot.accounts)} accounts.", err=True)
    owners = {r.bucket.name: r.bucket.account for r in snapshot.buckets}
    for name, lifecycle in lifecycles.items():
        if lifecycle.status in ("denied", "error"):
            owner = f" in account {printable(owners[name])}" if owners.get(name) else ""
            click.echo(
                f"warning: bucket {printable(name)}{owner}: lifecycle rules not read: {printable(lifecycle.message)}",
                err=True,
            )
    advice = advise(snapshot, cost_snapshot(snapshot, book), book, lifecycles, older_than=flags["older_than"])
    fmt = str(flags["fmt"]).lower()
    click.echo(render_advice(advice, fmt), nl=False)
    raise SystemExit(exit_code(snapshot, advice))
