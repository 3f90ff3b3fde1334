"""Report settings, declared once: flag, type, default, environment variable, help.

The CLI builds its options from this table, README documents every entry (a test
checks), and the server reuses the same declarations. Every default is written
here once and read from here (``default``): ``ScanOptions`` and the strategies
take theirs from the table. The breakdown shape's defaults (``--depth``,
``--delimiter``, ``--limit``, ``--top``) are ``BreakdownSpec``'s, read from it,
because listing worker processes build that spec without importing the CLI.

Imports run one way: ``cli`` -> ``config`` (this module: the table,
``ScanOptions``, ``ReportArgs``) <- ``report`` <- ``server``; nothing here
imports ``report``, ``cli`` or ``server``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from .accounts import (
    DEFAULT_ACCOUNT_CONCURRENCY,
    DEFAULT_ROLE_DURATION,
    DEFAULT_ROLE_NAME,
    AccountOptions,
    read_role_arns_file,
)
from .aggregate import DIMENSIONS, BreakdownSpec, dimensions_shaped_by
from .aws import AwsOptions, check_ca_bundle, check_endpoint_url
from .errors import UsageError
from .executors.base import EXECUTORS, ExecutorOptions
from .render import FORMATS, TREE_FORMATS, check_tree_format, parse_format
from .selection import Selection
from .strategies import STRATEGY_NAMES
from .units import UNIT_CHOICES, parse_size, parse_unit, si_unit

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class AppliesTo:
    """Where a setting means something. A flag given on the command line elsewhere is refused
    (exit 2), never silently ignored; an empty field means "everywhere"."""

    strategies: tuple[str, ...] = ()
    by: tuple[str, ...] = ()  # only with --by naming one of these dimensions
    shapes: bool = False  # only with --by naming a dimension this setting shapes (the registry's settings)
    formats: tuple[str, ...] = ()  # only with these --fmt values
    needs: tuple[str, ...] = ()  # only with these on/off flags on (dest names)
    commands: tuple[str, ...] = ()  # only in these sub-commands
    why: str = ""  # why not elsewhere, for the command-restricted ones


EVERYWHERE = AppliesTo()


def _refuse_empty(flag: str, example: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A click callback: an empty value is a mistake (an unset shell variable), not a request for the default."""

    def check(_ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
        values = value if isinstance(value, tuple) else (value,)
        if any(isinstance(v, str) and v == "" for v in values):
            raise UsageError(
                f"{flag} was given an empty value.",
                hint=f"Give a value, e.g. {flag} {example}, or leave {flag} out for its default.",
            )
        return value

    return check


@dataclass(frozen=True)
class Setting:
    """One command-line option of the report."""

    flag: str
    dest: str
    help: str
    type: Any = str
    default: Any = None
    envvar: str | None = None
    multiple: bool = False
    metavar: str | None = None
    is_flag: bool = False
    group: str = "scan"  # "scan": what to measure (report and serve); "output": how to show it (report)
    applies: AppliesTo = field(default=EVERYWHERE)
    example: str = ""  # a valid value, for the hint when an empty one is given
    short: str | None = None  # a one-letter alias (-q, -v), as aws-cli, rclone and s5cmd users expect

    def option(self) -> Callable[[F], F]:
        return click.option(
            self.flag,
            *((self.short,) if self.short else ()),
            self.dest,
            callback=None if self.is_flag else _refuse_empty(self.flag, self.example or "VALUE"),
            type=None if self.is_flag else self.type,
            default=self.default,
            envvar=self.envvar,
            multiple=self.multiple,
            metavar=self.metavar,
            is_flag=self.is_flag,
            help=self.help,
            show_default=self.default not in (None, False, ()),
            show_envvar=self.envvar is not None,
        )


class DimensionChoice(click.Choice[str]):
    """``--by``'s choices: the breakdown registry's names, read when a command line is parsed (so a
    dimension registered later is a choice too)."""

    def __init__(self) -> None:
        super().__init__((), case_sensitive=False)

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(DIMENSIONS)

    @choices.setter
    def choices(self, _given: object) -> None:
        """click's own __init__ sets the choices; the registry's are the ones."""


LISTING_CONCURRENCY = 32
SORT_KEYS: tuple[str, ...] = ("name", "region", "size", "objects")
_SPEC = BreakdownSpec()  # the breakdown shape's defaults


def default_concurrency(strategy: str = "cloudwatch") -> int:
    """The --conc default: as in 0.1, one worker per CPU for CloudWatch (a few calls per region);
    listing waits on the network for every page, so it keeps 32 requests in flight by default."""
    if strategy == "list":
        return LISTING_CONCURRENCY
    return os.cpu_count() or 2


_EXECUTOR_APPLY = AppliesTo(
    strategies=("list", "cloudwatch"),
    commands=("report", "serve", "advise"),
    why="the demo lists its own small account here",
)
_ACCOUNTS_APPLY = AppliesTo(commands=("report", "serve", "advise"), why="the demo is one account of its own")
# Several accounts in one scan (accounts.py): in REPORT_SETTINGS after the AWS flags; one group in --help.
ACCOUNT_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "--organization",
        "organization",
        "Scan every active account of the AWS Organization, listed from its management or a delegated "
        "administrator account: --role-name is assumed in each member, the caller's own account is read "
        "with the current credentials.",
        is_flag=True,
        default=False,
        applies=_ACCOUNTS_APPLY,
    ),
    Setting(
        "--role-arn",
        "role_arns",
        "Scan the account of this IAM role, assumed from the current credentials (repeatable): "
        "one report of every account.",
        multiple=True,
        metavar="ARN",
        applies=_ACCOUNTS_APPLY,
        example=f"arn:aws:iam::123456789012:role/{DEFAULT_ROLE_NAME}",
    ),
    Setting(
        "--role-arns-file",
        "role_arns_file",
        "File of role ARNs to assume as --role-arn, one a line (# comments and blank lines ignored).",
        type=click.Path(dir_okay=False),
        metavar="FILE",
        applies=_ACCOUNTS_APPLY,
        example="roles.txt",
    ),
    Setting(
        "--role-name",
        "role_name",
        "The role --organization assumes in each member account (the StackSet template creates it).",
        default=DEFAULT_ROLE_NAME,
        metavar="NAME",
        applies=AppliesTo(needs=("organization",), commands=_ACCOUNTS_APPLY.commands, why=_ACCOUNTS_APPLY.why),
        example=DEFAULT_ROLE_NAME,
    ),
    Setting(
        "--account",
        "accounts",
        "Only this account of --organization or --role-arn (12 digits, repeatable).",
        multiple=True,
        metavar="ID",
        applies=_ACCOUNTS_APPLY,
        example="123456789012",
    ),
    Setting(
        "--external-id",
        "external_id",
        "The external id the roles' trust policy asks for (sts:ExternalId), with --role-arn or --organization.",
        metavar="ID",
        applies=_ACCOUNTS_APPLY,
        example="my-external-id",
    ),
    Setting(
        "--role-duration",
        "role_duration",
        "Seconds an assumed role's credentials last (900 to 43200, within the role's maximum); "
        "they are renewed before they expire.",
        type=click.IntRange(900, 43200),
        default=DEFAULT_ROLE_DURATION,
        metavar="SECONDS",
        applies=_ACCOUNTS_APPLY,
    ),
    Setting(
        "--account-conc",
        "account_conc",
        "Accounts scanned at once (each with --conc requests in parallel).",
        type=click.IntRange(1, 64),
        default=DEFAULT_ACCOUNT_CONCURRENCY,
        metavar="N",
        applies=_ACCOUNTS_APPLY,
    ),
)

REPORT_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "--strategy",
        "strategy",
        "Where the figures come from: cloudwatch = S3's daily storage metrics (fast); "
        "list = list every object (exact, live, breakdowns); inventory = S3 Inventory reports (huge buckets).",
        type=click.Choice(STRATEGY_NAMES, case_sensitive=False),
        default="cloudwatch",
        envvar="S3SA_STRATEGY",
        example="list",
    ),
    Setting(
        "--prefix",
        "prefixes",
        "Bucket name glob, with or without s3:// (repeatable), e.g. 'logs-*'.",
        multiple=True,
        metavar="GLOB",
        example="'logs-*'",
    ),
    Setting(
        "--bucket",
        "buckets",
        "Exact bucket name (repeatable); with --strategy list or inventory also s3://name/key-prefix/ "
        "to count part of it.",
        multiple=True,
        metavar="NAME",
        example="my-bucket",
    ),
    Setting(
        "--unit",
        "unit",
        "Size unit, 1024-based: B, KB, MB, GB, TB, PB or auto (the table humanises by default; "
        "TSV/CSV carry exact bytes unless a unit is given).",
        metavar="|".join(UNIT_CHOICES),
        envvar="S3SA_UNIT",
        group="output",
        applies=AppliesTo(formats=("table", "tsv", "csv")),
        example="GB",
    ),
    Setting(
        "--si",
        "si",
        "Sizes in powers of 1000 (kB, MB, GB: as disks and bills count) instead of 1024, "
        "for the humanised table and --unit.",
        is_flag=True,
        default=False,
        group="output",
        applies=AppliesTo(formats=("table", "tsv", "csv")),
    ),
    Setting(
        "--sort",
        "sort",
        "Bucket order of the report, in every format: name, region (then name), size or objects "
        "(largest first). Default: the order found (by name).",
        type=click.Choice(SORT_KEYS, case_sensitive=False),
        metavar="|".join(SORT_KEYS),
        group="output",
        example="size",
    ),
    Setting(
        "--min-size",
        "min_size",
        "Show only buckets holding at least this much (e.g. 500MB, 1GB, 1.5TiB; powers of 1000 with --si); "
        "totals are of the buckets shown, --save and --pushgateway keep them all.",
        metavar="SIZE",
        group="output",
        example="1GB",
    ),
    Setting(
        "--fmt",
        "fmt",
        f"Output format: {', '.join(FORMATS)}; with --by tree, {' or '.join(TREE_FORMATS)} (the folder tree).",
        default="table",
        metavar="FORMAT",
        envvar="S3SA_FMT",
        group="output",
        example="json",
    ),
    Setting(
        "--conc",
        "conc",
        "Parallel requests: regions and buckets, and key ranges when listing "
        f"(default: the CPU count; {LISTING_CONCURRENCY} with --strategy list).",
        type=click.IntRange(1, 512),
        metavar="N",
        envvar="S3SA_CONC",
    ),
    Setting(
        "--days",
        "days",
        "CloudWatch look-back window in days: the newest daily datapoint inside it is used.",
        type=click.IntRange(1, 455),
        default=3,  # the only place: ScanOptions.days reads it
        metavar="N",
        envvar="S3SA_DAYS",
        applies=AppliesTo(strategies=("cloudwatch",)),
    ),
    Setting(
        "--endpoint-url",
        "endpoint_url",
        "S3 and CloudWatch endpoint, for S3-compatible services or the demo (botocore also reads AWS_ENDPOINT_URL).",
        metavar="URL",
        applies=AppliesTo(commands=("report", "serve"), why="the demo runs its own endpoint"),
        example="http://127.0.0.1:9000",
    ),
    Setting(
        "--profile",
        "profile",
        "AWS profile from ~/.aws/config (else AWS_PROFILE / default chain).",
        metavar="P",
        applies=AppliesTo(commands=("report", "serve"), why="the demo signs with its own demo credentials"),
        example="prod",
    ),
    Setting(
        "--region",
        "region",
        "Region for account-level calls such as ListBuckets "
        "(else AWS_REGION, AWS_DEFAULT_REGION, the profile, us-east-1).",
        metavar="R",
        example="eu-west-1",
    ),
    Setting(
        "--ca-bundle",
        "ca_bundle",
        "PEM file of the CA certificates to trust for TLS, e.g. an S3-compatible endpoint's self-signed one "
        "(botocore also reads AWS_CA_BUNDLE).",
        metavar="PATH",
        applies=AppliesTo(commands=("report", "serve"), why="the demo runs its own plain-HTTP endpoint"),
        example="ca.pem",
    ),
    Setting(
        "--no-verify-ssl",
        "no_verify_ssl",
        "Do not verify TLS certificates (a test endpoint only: anyone on the path can read and change the answers).",
        is_flag=True,
        default=False,
        applies=AppliesTo(commands=("report", "serve"), why="the demo runs its own plain-HTTP endpoint"),
    ),
    *ACCOUNT_SETTINGS,
    Setting(
        "--versions",
        "versions",
        "List every version (list and inventory strategies): noncurrent objects and bytes per class, "
        "and delete markers.",
        is_flag=True,
        default=False,
        applies=AppliesTo(strategies=("list", "inventory")),
    ),
    Setting(
        "--uploads",
        "uploads",
        "Find incomplete multipart uploads (list strategy): count, bytes of uploaded parts, oldest.",
        is_flag=True,
        default=False,
        applies=AppliesTo(strategies=("list",)),
    ),
    Setting(
        "--by",
        "by",
        f"Breakdown inside each bucket (list and inventory strategies, repeatable): {', '.join(DIMENSIONS)}.",
        multiple=True,
        type=DimensionChoice(),
        metavar="DIMENSION",
        applies=AppliesTo(strategies=("list", "inventory")),
    ),
    Setting(
        "--depth",
        "depth",
        "Prefix levels for --by prefix.",
        type=click.IntRange(1, 32),
        default=_SPEC.depth,
        metavar="N",
        applies=AppliesTo(strategies=("list", "inventory"), shapes=True),
    ),
    Setting(
        "--delimiter",
        "delimiter",
        "What separates prefix levels for --by prefix, and folders for --by tree.",
        default=_SPEC.delimiter,
        metavar="CHAR",
        applies=AppliesTo(strategies=("list", "inventory"), shapes=True),
        example="'/'",
    ),
    Setting(
        "--limit",
        "limit",
        "Rows per breakdown level of --by prefix and --by extension (and of --by tree's first level in the "
        "report): the largest K by bytes, "
        "the rest rolled into (other).",
        type=click.IntRange(1, 10000),
        default=_SPEC.limit,
        metavar="K",
        applies=AppliesTo(strategies=("list", "inventory"), shapes=True),
    ),
    Setting(
        "--tree-folders",
        "tree_folders",
        "Folders --by tree keeps per bucket; past N the deepest levels are folded into their parents "
        "(totals stay exact, the tree says so).",
        type=click.IntRange(1, 10_000_000),
        default=_SPEC.tree_folders,
        metavar="N",
        applies=AppliesTo(strategies=("list", "inventory"), shapes=True),
    ),
    Setting(
        "--top",
        "top",
        "Also show the N largest objects of each bucket (list and inventory strategies).",
        type=click.IntRange(0, 10000),
        default=_SPEC.top_objects,
        metavar="N",
        applies=AppliesTo(strategies=("list", "inventory")),
    ),
    Setting(
        "--processes",
        "processes",
        "Worker processes for listing big buckets (default: CPU count - 1, as this process lists too; "
        "0 = list in this process).",
        type=click.IntRange(0, 256),
        metavar="N",
        envvar="S3SA_PROCESSES",
        applies=AppliesTo(strategies=("list",)),
    ),
    Setting(
        "--executor",
        "executor",
        "Where the listing's key-range slices run: local (threads and --processes here) or dask (tasks on the "
        "Dask cluster --scheduler names; --conc requests in flight per worker; with several accounts, each "
        "account's discovery and CloudWatch metrics too). See docs/dask.md.",
        type=click.Choice(EXECUTORS, case_sensitive=False),
        default="local",
        metavar="|".join(EXECUTORS),
        envvar="S3SA_EXECUTOR",
        applies=_EXECUTOR_APPLY,
        example="dask",
    ),
    Setting(
        "--scheduler",
        "scheduler",
        "The Dask scheduler of --executor dask (tcp://HOST:8786, or tls://... with Dask's TLS settings); "
        "default: Dask's configuration (DASK_SCHEDULER_ADDRESS).",
        metavar="ADDRESS",
        applies=_EXECUTOR_APPLY,
        example="tcp://scheduler:8786",
    ),
    Setting(
        "--forward-credentials",
        "forward_credentials",
        "With --executor dask, send this process's STS session credentials (never long-term keys) to the "
        "workers, refreshed as they change; by default workers sign with their own role.",
        is_flag=True,
        default=False,
        applies=_EXECUTOR_APPLY,
    ),
    Setting(
        "--inventory-manifest",
        "inventory_manifest",
        "Analyse this S3 Inventory report (s3://bucket/.../manifest.json or a local path) instead of "
        "looking up each bucket's newest (inventory strategy).",
        metavar="URL|PATH",
        applies=AppliesTo(strategies=("inventory",)),
        example="s3://reports/inv/src/config/2026-01-01T01-00Z/manifest.json",
    ),
    Setting(
        "--max-age",
        "max_age",
        "Warn when the inventory report used is older than N days.",
        type=click.IntRange(0, 3650),
        default=8,  # the only place: ScanOptions.max_age_days and InventoryStrategy read it
        metavar="DAYS",
        applies=AppliesTo(strategies=("inventory",)),
    ),
    Setting(
        "--cache-dir",
        "cache_dir",
        "Where inventory data files are cached (default $XDG_CACHE_HOME/s3-storage-analyser/inventory).",
        type=click.Path(file_okay=False),
        metavar="DIR",
        envvar="S3SA_CACHE_DIR",
        applies=AppliesTo(strategies=("inventory",)),
        example="~/.cache/s3sa-inventory",
    ),
    Setting(
        "--quiet", "quiet", "No progress display on stderr.", is_flag=True, default=False, group="output", short="-q"
    ),
    Setting(
        "--verbose",
        "verbose",
        "Say on stderr what the run does: strategy, region, endpoint, TLS, workers; then what was measured.",
        is_flag=True,
        default=False,
        group="output",
        short="-v",
    ),
    Setting(
        "--save",
        "save",
        "Also store the report in the history database (see history, show, diff).",
        is_flag=True,
        default=False,
        group="output",
    ),
    Setting(
        "--output",
        "output",
        "Write the report to FILE atomically instead of stdout (e.g. for node_exporter's textfile collector).",
        type=click.Path(dir_okay=False, writable=True),
        metavar="FILE",
        group="output",
        example="report.prom",
    ),
    Setting(
        "--pushgateway",
        "pushgateway",
        "Also push the Prometheus metrics to this Pushgateway URL (job s3_storage_analyser).",
        metavar="URL",
        group="output",
        example="http://127.0.0.1:9091",
    ),
    Setting(
        "--dry-run",
        "dry_run",
        "Do not scan: estimate what the scan would cost in requests and dollars, from CloudWatch's object counts.",
        is_flag=True,
        default=False,
        group="output",
    ),
    Setting("--debug", "debug", "Show tracebacks and botocore's retries on errors.", is_flag=True, default=False),
)


DB_SETTING = Setting(
    "--db",
    "db",
    "History database (SQLite); default $XDG_DATA_HOME/s3-storage-analyser/history.sqlite3.",
    type=click.Path(dir_okay=False),
    metavar="PATH",
    envvar="S3SA_DB",
    applies=AppliesTo(needs=("save",)),  # in report; history, show, diff and serve always use it
    example="history.sqlite3",
)


def setting(dest: str) -> Setting:
    """The declaration of one report setting, by its destination name."""
    for declared in (*REPORT_SETTINGS, DB_SETTING, *COST_SETTINGS):
        if declared.dest == dest:
            return declared
    raise KeyError(dest)


def default(dest: str) -> Any:
    """A setting's declared default (``--conc``'s depends on the strategy: ``default_concurrency``)."""
    return setting(dest).default


PRICES_SETTING = Setting(
    "--prices",
    "prices",
    "Price the monthly cost with this JSON or CSV price file first (negotiated rates, a discount), "
    "then `s3sa prices update`'s cache, then the prices shipped in the package.",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    envvar="S3SA_PRICES",
    group="output",
    example="prices.json",
)
NO_COST_SETTING = Setting(
    "--no-cost",
    "no_cost",
    "Leave the monthly cost out (e.g. for an S3-compatible server that AWS prices do not describe).",
    is_flag=True,
    default=False,
    group="output",
)
COST_SETTINGS: tuple[Setting, ...] = (PRICES_SETTING, NO_COST_SETTING)


def cost_options(fn: F) -> F:
    """``--prices`` and ``--no-cost``, for every command that shows a cost."""
    for setting in reversed(COST_SETTINGS):
        fn = setting.option()(fn)
    return fn


def check_cost_flags(prices: str | None, no_cost: bool) -> None:
    if prices and no_cost:
        raise UsageError("--prices and --no-cost contradict each other.", hint="Keep one of them.")


def report_options(fn: F) -> F:
    """Decorate a click command with every report setting, in declaration order."""
    for setting in reversed((*REPORT_SETTINGS, DB_SETTING, *COST_SETTINGS)):
        fn = setting.option()(fn)
    return fn


def scan_options(fn: F) -> F:
    """Only the settings that say what to measure (for ``serve``)."""
    for setting in reversed([s for s in REPORT_SETTINGS if s.group == "scan"]):
        fn = setting.option()(fn)
    return fn


def _origin(source: ParameterSource | None, envvar: str | None) -> str:
    if source is ParameterSource.ENVIRONMENT and envvar:
        return f" (from {envvar})"
    if source is ParameterSource.DEFAULT:
        return " (the default)"
    return ""


def _violation(
    setting: Setting,
    command: str,
    flags: Mapping[str, Any],
    source: Callable[[str], ParameterSource | None],
) -> tuple[str, str] | None:
    """(what is wrong, how to fix it) when ``setting`` does not apply to this run, else None."""
    rule, flag = setting.applies, setting.flag
    if rule.commands and command not in rule.commands:
        return f"{flag} does not apply to `{command}`: {rule.why}.", f"Drop {flag}."
    strategy = str(flags.get("strategy") or "cloudwatch").lower()
    if rule.strategies and strategy not in rule.strategies:
        wanted = " or ".join(rule.strategies)
        origin = _origin(source("strategy"), "S3SA_STRATEGY")
        return (
            f"{flag} applies only to --strategy {wanted}; this run uses --strategy {strategy}{origin}.",
            f"Drop {flag}, or use --strategy {rule.strategies[0]}.",
        )
    dimensions = {str(d).lower() for d in flags.get("by") or ()}
    by = rule.by or (dimensions_shaped_by(setting.dest) if rule.shapes else ())
    if by and not dimensions & set(by):
        wanted = " or ".join(f"--by {d}" for d in by)
        return f"{flag} applies only with {wanted}.", f"Add --by {by[0]}, or drop {flag}."
    fmt = str(flags.get("fmt") or "table").strip().lower().replace("-", "_")
    if rule.formats and (fmt in FORMATS or fmt in TREE_FORMATS) and fmt not in rule.formats:
        origin = _origin(source("fmt"), "S3SA_FMT")
        return (
            f"{flag} applies only to --fmt {', '.join(rule.formats)}; this run uses --fmt {fmt}{origin} "
            "(machine formats carry exact bytes).",
            f"Drop {flag}, or use --fmt {rule.formats[0]}.",
        )
    missing = [f"--{dest}" for dest in rule.needs if not flags.get(dest)]
    if missing:
        return f"{flag} applies only with {' '.join(missing)}.", f"Add {' '.join(missing)}, or drop {flag}."
    return None


def check_applicable(
    command: str,
    flags: Mapping[str, Any],
    source: Callable[[str], ParameterSource | None],
    settings: Sequence[Setting] = (*REPORT_SETTINGS, DB_SETTING),
) -> None:
    """Refuse flags given on the command line that this command, strategy, --by or --fmt would ignore.

    Only the command line counts as asking: a default, or an environment variable (a standing
    preference for every run), is not. ``source`` is click's ``Context.get_parameter_source``."""
    problems = [
        found
        for setting in settings
        if setting.dest in flags and source(setting.dest) is ParameterSource.COMMANDLINE
        if (found := _violation(setting, command, flags, source)) is not None
    ]
    if not problems:
        return
    if len(problems) == 1:
        raise UsageError(problems[0][0], hint=problems[0][1])
    raise UsageError(
        "Flags that do not apply to this run:\n" + "\n".join(f"  {what}" for what, _ in problems),
        hint=" ".join(dict.fromkeys(how for _, how in problems)),
    )


@dataclass(frozen=True)
class ScanOptions:
    """What to measure and how; independent of how the result is shown. Defaults are the table's.

    ``concurrency=0`` means the strategy's default (``default_concurrency``)."""

    strategy: str = default("strategy")
    selection: Selection = field(default_factory=Selection)
    concurrency: int = 0
    days: int = default("days")
    processes: int | None = default("processes")
    versions: bool = default("versions")
    uploads: bool = default("uploads")
    breakdowns: BreakdownSpec = field(default_factory=BreakdownSpec)
    inventory_manifest: str | None = default("inventory_manifest")
    max_age_days: int = default("max_age")
    cache_dir: str | None = default("cache_dir")
    executor: ExecutorOptions = field(default_factory=ExecutorOptions)

    def __post_init__(self) -> None:
        if not self.concurrency:
            object.__setattr__(self, "concurrency", default_concurrency(self.strategy))

    def validate(self) -> None:
        """Refuse combinations a strategy cannot answer, before any AWS call."""
        self._validate_executor()
        if self.inventory_manifest and self.strategy != "inventory":
            raise UsageError("--inventory-manifest needs --strategy inventory.", hint="Add --strategy inventory.")
        if self.strategy == "inventory" and self.uploads:
            raise UsageError(
                "S3 Inventory reports do not list incomplete multipart uploads.",
                hint="Use --strategy list --uploads for those.",
            )
        if self.strategy == "inventory":
            unsupported = [d for d in self.breakdowns.dimensions if DIMENSIONS[d].make and not DIMENSIONS[d].sql]
            if unsupported:
                raise UsageError(
                    f"--by {unsupported[0]} has no SQL form for S3 Inventory reports.",
                    hint="Use --strategy list for it.",
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
                f"{', '.join(asked)} {'needs' if len(asked) == 1 else 'need'} per-object data, "
                f"which --strategy {self.strategy} does not have.",
                hint="Add --strategy list.",
            )

    def _validate_executor(self) -> None:
        given = [
            flag
            for flag, on in (
                ("--scheduler", self.executor.scheduler),
                ("--forward-credentials", self.executor.forward_credentials),
            )
            if on
        ]
        if given and not self.executor.dask:
            raise UsageError(
                f"{given[0]} applies only with --executor dask.", hint=f"Add --executor dask, or drop {given[0]}."
            )

    @property
    def on_dask(self) -> bool:
        """Whether this scan uses a Dask cluster: --executor dask applies to the list strategy (its slices) and,
        with several accounts, to cloudwatch (each account's discovery and metrics as a task)."""
        return self.executor.dask and self.strategy in ("list", "cloudwatch")


@dataclass(frozen=True)
class ReportArgs:
    """The report flags as parsed and validated, before any AWS call."""

    fmt: str
    unit: str | None
    scan: ScanOptions
    aws: AwsOptions
    debug: bool
    quiet: bool = False
    verbose: bool = False
    sort: str | None = None
    min_size: int | None = None
    save: bool = False
    db: str | None = None
    output: str | None = None
    pushgateway: str | None = None
    prices: str | None = None
    no_cost: bool = False
    dry_run: bool = False
    accounts: AccountOptions = field(default_factory=AccountOptions)  # inactive: the current account only

    @classmethod
    def from_flags(cls, flags: Mapping[str, Any], endpoint_url: str | None = None) -> ReportArgs:
        ctx = click.get_current_context(silent=True)
        if ctx is not None:  # flags given on the command line that this run would ignore are refused
            check_applicable(ctx.info_name or "report", flags, ctx.get_parameter_source)
        if flags.get("endpoint_url") is not None:
            check_endpoint_url(flags["endpoint_url"])
        strategy = flags["strategy"].lower()
        conc = flags["conc"] or default_concurrency(strategy)
        check_cost_flags(flags.get("prices"), flags.get("no_cost", False))
        check_tree_format(parse_format(flags.get("fmt") or "table"), tuple(d.lower() for d in flags["by"]))
        return cls(
            fmt=parse_format(flags.get("fmt") or "table"),
            unit=_unit(flags),
            scan=scan_from_flags(
                flags,
                strategy,
                conc,
                versions=flags["versions"],
                uploads=flags["uploads"],
                breakdowns=BreakdownSpec(
                    dimensions=tuple(dict.fromkeys(d.lower() for d in flags["by"])),
                    depth=flags["depth"],
                    delimiter=_delimiter(flags["delimiter"]),
                    limit=flags["limit"],
                    top_objects=flags["top"],
                    tree_folders=flags.get("tree_folders") or _SPEC.tree_folders,
                ),
            ),
            aws=aws_from_flags(flags, conc, endpoint_url),
            debug=flags["debug"],
            quiet=flags.get("quiet", True),
            verbose=_verbose(flags),
            sort=flags["sort"].lower() if flags.get("sort") else None,
            min_size=parse_size(flags["min_size"], si=flags.get("si", False)) if flags.get("min_size") else None,
            save=flags.get("save", False),
            db=flags.get("db"),
            output=check_output_path(flags["output"]) if flags.get("output") else None,
            pushgateway=flags.get("pushgateway"),
            prices=flags.get("prices"),
            no_cost=flags.get("no_cost", False),
            dry_run=flags.get("dry_run", False),
            accounts=accounts_from_flags(flags),
        )


def scan_from_flags(
    flags: Mapping[str, Any],
    strategy: str,
    conc: int,
    *,
    versions: bool,
    uploads: bool,
    breakdowns: BreakdownSpec,
) -> ScanOptions:
    """The scan the report's flags ask for; what to measure per object is the caller's (advise sets its own)."""
    return ScanOptions(
        strategy=strategy,
        selection=Selection.parse(flags["prefixes"], flags["buckets"]),
        concurrency=conc,
        days=flags["days"],
        processes=flags["processes"],
        inventory_manifest=flags["inventory_manifest"],
        max_age_days=flags["max_age"],
        cache_dir=flags["cache_dir"],
        versions=versions,
        uploads=uploads,
        breakdowns=breakdowns,
        executor=executor_from_flags(flags),
    )


def executor_from_flags(flags: Mapping[str, Any]) -> ExecutorOptions:
    """--executor, --scheduler, --forward-credentials; --processes is the local executor's, refused with Dask's."""
    options = ExecutorOptions(
        kind=str(flags.get("executor") or "local").lower(),
        scheduler=flags.get("scheduler"),
        forward_credentials=bool(flags.get("forward_credentials")),
    )
    ctx = click.get_current_context(silent=True)
    asked = ctx is None or ctx.get_parameter_source("processes") is ParameterSource.COMMANDLINE
    if options.dask and flags.get("processes") is not None and asked:
        raise UsageError(
            "--processes counts this machine's listing processes; with --executor dask the cluster's workers "
            "list instead (start them with `dask worker --nworkers N`).",
            hint="Drop --processes; --conc sets the requests in flight per Dask worker.",
        )
    return options


_NEEDS_ACCOUNTS = (
    ("external_id", "--external-id"),
    ("role_duration", "--role-duration"),
    ("account_conc", "--account-conc"),
)


def accounts_from_flags(flags: Mapping[str, Any]) -> AccountOptions:
    """The accounts --organization, --role-arn and --role-arns-file name, checked (a bad ARN, a bad line of
    the file, a bad id: exit 2); the account flags without one of those are refused, never ignored."""
    arns = tuple(flags.get("role_arns") or ())
    if flags.get("role_arns_file"):
        arns += read_role_arns_file(flags["role_arns_file"])
    options = AccountOptions(
        role_arns=tuple(dict.fromkeys(arns)),
        organization=bool(flags.get("organization")),
        role_name=flags.get("role_name") or DEFAULT_ROLE_NAME,
        accounts=tuple(dict.fromkeys(flags.get("accounts") or ())),
        external_id=flags.get("external_id"),
        duration=flags.get("role_duration") or DEFAULT_ROLE_DURATION,
        concurrency=flags.get("account_conc") or DEFAULT_ACCOUNT_CONCURRENCY,
    )
    if not options.active:
        ctx = click.get_current_context(silent=True)
        given = [
            flag
            for dest, flag in _NEEDS_ACCOUNTS
            if flags.get(dest) is not None
            and (ctx is None or ctx.get_parameter_source(dest) is ParameterSource.COMMANDLINE)
        ]
        if given:
            raise UsageError(
                f"{', '.join(given)} {'applies' if len(given) == 1 else 'apply'} only with --organization "
                "or --role-arn.",
                hint=f"Add --organization or --role-arn ARN, or drop {given[0]}.",
            )
    options.validate()
    return options


def aws_from_flags(flags: Mapping[str, Any], conc: int, endpoint_url: str | None = None) -> AwsOptions:
    """Endpoint, profile, region, TLS and a connection pool as large as the requests in flight."""
    return AwsOptions(
        endpoint_url=endpoint_url or flags["endpoint_url"],
        profile=flags["profile"],
        region=flags["region"],
        max_pool_connections=max(10, conc),
        verify=_verify(flags.get("ca_bundle"), flags.get("no_verify_ssl", False)),
    )


# What an aws-cli user means by ``--output`` (json, table, text) and the tool's own format names.
_FORMAT_WORDS = frozenset({*FORMATS, "text", "yaml", "yaml_stream", "json_pretty", "txt"})


def check_output_path(raw: str) -> str:
    """``raw`` unless it is a bare format name: ``--output json`` is aws-cli's format flag, not a file.

    A file literally named ``json`` is still written as ``./json`` (any path with a directory part)."""
    word = raw.strip().lower().replace("-", "_")
    if "/" not in raw and os.sep not in raw and word in _FORMAT_WORDS:
        fmt = word if word in FORMATS else ("table" if word in ("text", "txt") else "json")
        raise UsageError(
            f"--output {raw!r} names a format, not a file: here --output writes the report to a FILE "
            "(aws-cli's --output is this tool's --fmt).",
            hint=f"Use --fmt {fmt}; to really write a file named {raw!r}, give it as ./{raw}.",
        )
    return raw


def _unit(flags: Mapping[str, Any]) -> str | None:
    """The parsed --unit; with --si its powers-of-1000 form (and the table's humanised sizes in SI too)."""
    unit = parse_unit(flags["unit"]) if flags.get("unit") else None
    if not flags.get("si"):
        return unit
    fmt = parse_format(flags.get("fmt") or "table")
    return si_unit(unit) if unit or fmt == "table" else None


def _verbose(flags: Mapping[str, Any]) -> bool:
    if flags.get("verbose") and flags.get("quiet"):
        raise UsageError("-q/--quiet and -v/--verbose contradict each other.", hint="Keep one of them.")
    return bool(flags.get("verbose", False))


def _verify(ca_bundle: str | None, no_verify: bool) -> bool | str | None:
    """botocore's ``verify`` from --ca-bundle and --no-verify-ssl (None: botocore's own default)."""
    if ca_bundle and no_verify:
        raise UsageError(
            "--ca-bundle and --no-verify-ssl contradict each other.",
            hint="Keep --ca-bundle: it verifies against your CA instead of not verifying at all.",
        )
    if no_verify:
        return False
    return check_ca_bundle(ca_bundle) if ca_bundle else None


def _delimiter(raw: str) -> str:
    if not raw:
        raise UsageError("--delimiter must not be empty.", hint="The default is '/'.")
    return raw
