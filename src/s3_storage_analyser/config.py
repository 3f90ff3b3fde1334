"""Report settings, declared once: flag, type, default, environment variable, help.

The CLI builds its options from this table, README documents every entry (a test
checks), and the server reuses the same declarations.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from .render import FORMATS
from .strategies import STRATEGY_NAMES
from .units import UNIT_CHOICES

F = TypeVar("F", bound=Callable[..., Any])


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

    def option(self) -> Callable[[F], F]:
        return click.option(
            self.flag,
            self.dest,
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


LISTING_CONCURRENCY = 32


def default_concurrency(strategy: str = "cloudwatch") -> int:
    """As in the seed, one worker per CPU for CloudWatch (a few calls per region); listing waits on
    the network for every page, so it keeps 32 requests in flight by default."""
    if strategy == "list":
        return LISTING_CONCURRENCY
    return os.cpu_count() or 2


REPORT_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "--strategy",
        "strategy",
        "Where the figures come from: cloudwatch = S3's daily storage metrics (fast); "
        "list = list every object (exact, live, breakdowns); inventory = S3 Inventory reports (huge buckets).",
        type=click.Choice(STRATEGY_NAMES, case_sensitive=False),
        default="cloudwatch",
        envvar="S3SA_STRATEGY",
    ),
    Setting(
        "--prefix",
        "prefixes",
        "Bucket name glob, with or without s3:// (repeatable), e.g. 'logs-*'.",
        multiple=True,
        metavar="GLOB",
    ),
    Setting(
        "--bucket",
        "buckets",
        "Exact bucket name (repeatable); with --strategy list or inventory also s3://name/key-prefix/ "
        "to count part of it.",
        multiple=True,
        metavar="NAME",
    ),
    Setting(
        "--unit",
        "unit",
        "Size unit, 1024-based: B, KB, MB, GB, TB, PB or auto (the table humanises by default; "
        "TSV/CSV carry exact bytes unless a unit is given).",
        metavar="|".join(UNIT_CHOICES),
        envvar="S3SA_UNIT",
        group="output",
    ),
    Setting(
        "--fmt",
        "fmt",
        f"Output format: {', '.join(FORMATS)}.",
        default="table",
        metavar="FORMAT",
        envvar="S3SA_FMT",
        group="output",
    ),
    Setting(
        "--conc",
        "conc",
        "Parallel requests: regions and buckets, and key ranges when listing "
        "(default: the CPU count; 32 with --strategy list).",
        type=click.IntRange(1, 512),
        metavar="N",
        envvar="S3SA_CONC",
    ),
    Setting(
        "--days",
        "days",
        "CloudWatch look-back window in days: the newest daily datapoint inside it is used.",
        type=click.IntRange(1, 455),
        default=3,
        metavar="N",
        envvar="S3SA_DAYS",
    ),
    Setting(
        "--endpoint-url",
        "endpoint_url",
        "S3 and CloudWatch endpoint, for S3-compatible services or the demo (botocore also reads AWS_ENDPOINT_URL).",
        metavar="URL",
    ),
    Setting(
        "--profile",
        "profile",
        "AWS profile from ~/.aws/config (else AWS_PROFILE / default chain).",
        metavar="P",
    ),
    Setting(
        "--region",
        "region",
        "Region for account-level calls such as ListBuckets (else AWS_DEFAULT_REGION / profile / us-east-1).",
        metavar="R",
    ),
    Setting(
        "--versions",
        "versions",
        "List every version (list strategy): noncurrent objects and bytes per class, and delete markers.",
        is_flag=True,
        default=False,
    ),
    Setting(
        "--uploads",
        "uploads",
        "Find incomplete multipart uploads (list strategy): count, bytes of uploaded parts, oldest.",
        is_flag=True,
        default=False,
    ),
    Setting(
        "--by",
        "by",
        "Breakdown inside each bucket (list and inventory strategies, repeatable): "
        "prefix, storage-class, age, size, extension.",
        multiple=True,
        type=click.Choice(["prefix", "storage-class", "age", "size", "extension"], case_sensitive=False),
        metavar="DIMENSION",
    ),
    Setting(
        "--depth",
        "depth",
        "Prefix levels for --by prefix.",
        type=click.IntRange(1, 32),
        default=1,
        metavar="N",
    ),
    Setting(
        "--delimiter",
        "delimiter",
        "What separates prefix levels for --by prefix.",
        default="/",
        metavar="CHAR",
    ),
    Setting(
        "--limit",
        "limit",
        "Rows per breakdown level: the largest K by bytes, the rest rolled into (other).",
        type=click.IntRange(1, 10000),
        default=20,
        metavar="K",
    ),
    Setting(
        "--top",
        "top",
        "Also show the N largest objects of each bucket (list strategy).",
        type=click.IntRange(0, 10000),
        default=0,
        metavar="N",
    ),
    Setting(
        "--processes",
        "processes",
        "Worker processes for listing big buckets (default: CPU count - 1, as this process lists too; "
        "0 = list in this process).",
        type=click.IntRange(0, 256),
        metavar="N",
        envvar="S3SA_PROCESSES",
    ),
    Setting(
        "--inventory-manifest",
        "inventory_manifest",
        "Analyse this S3 Inventory report (s3://bucket/.../manifest.json or a local path) instead of "
        "looking up each bucket's newest (inventory strategy).",
        metavar="URL|PATH",
    ),
    Setting(
        "--max-age",
        "max_age",
        "Warn when the inventory report used is older than N days.",
        type=click.IntRange(0, 3650),
        default=8,
        metavar="DAYS",
    ),
    Setting(
        "--cache-dir",
        "cache_dir",
        "Where inventory data files are cached (default $XDG_CACHE_HOME/s3-storage-analyser/inventory).",
        type=click.Path(file_okay=False),
        metavar="DIR",
        envvar="S3SA_CACHE_DIR",
    ),
    Setting("--quiet", "quiet", "No progress display on stderr.", is_flag=True, default=False, group="output"),
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
    ),
    Setting(
        "--pushgateway",
        "pushgateway",
        "Also push the Prometheus metrics to this Pushgateway URL (job s3_storage_analyser).",
        metavar="URL",
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
)


def report_options(fn: F) -> F:
    """Decorate a click command with every report setting, in declaration order."""
    for setting in reversed((*REPORT_SETTINGS, DB_SETTING)):
        fn = setting.option()(fn)
    return fn


def scan_options(fn: F) -> F:
    """Only the settings that say what to measure (for ``serve``)."""
    for setting in reversed([s for s in REPORT_SETTINGS if s.group == "scan"]):
        fn = setting.option()(fn)
    return fn
