"""The command line: flags -> settings -> scan -> render, with one error handler.

``s3-storage-analyser`` with no sub-command runs ``report``, as the seed did.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import click

from . import __version__
from .aggregate import BreakdownSpec
from .aws import Aws, AwsOptions
from .config import default_concurrency, report_options
from .errors import EXIT_FAILURE, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, AnalyserError, UsageError
from .model import Failure, Snapshot
from .progress import ProgressDisplay
from .render import parse_format, render
from .report import ScanOptions, scan
from .selection import Selection
from .units import parse_unit

log = logging.getLogger("s3_storage_analyser")


@dataclass(frozen=True)
class ReportArgs:
    """The report flags as parsed and validated, before any AWS call."""

    fmt: str
    unit: str | None
    scan: ScanOptions
    aws: AwsOptions
    debug: bool
    quiet: bool = False

    @classmethod
    def from_flags(cls, flags: dict[str, Any], endpoint_url: str | None = None) -> ReportArgs:
        conc = flags["conc"] or default_concurrency()
        return cls(
            fmt=parse_format(flags["fmt"]),
            unit=parse_unit(flags["unit"]) if flags["unit"] else None,
            scan=ScanOptions(
                strategy=flags["strategy"].lower(),
                selection=Selection.parse(flags["prefixes"], flags["buckets"]),
                concurrency=conc,
                days=flags["days"],
                processes=flags["processes"],
                versions=flags["versions"],
                uploads=flags["uploads"],
                breakdowns=BreakdownSpec(
                    dimensions=tuple(dict.fromkeys(d.lower() for d in flags["by"])),
                    depth=flags["depth"],
                    delimiter=_delimiter(flags["delimiter"]),
                    limit=flags["limit"],
                    top_objects=flags["top"],
                ),
            ),
            aws=AwsOptions(
                endpoint_url=endpoint_url or flags["endpoint_url"],
                profile=flags["profile"],
                region=flags["region"],
                max_pool_connections=max(10, conc),
            ),
            debug=flags["debug"],
            quiet=flags["quiet"],
        )


class DefaultGroup(click.Group):
    """A group that runs ``report`` when the first argument names no sub-command."""

    default_command = "report"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="s3-storage-analyser")
def main() -> None:
    """What is stored in your S3 buckets, and where: objects and bytes per bucket,
    region and storage class. With no command, runs `report`."""


@main.command("report")
@report_options
def report_command(**flags: Any) -> None:
    """Objects and bytes per bucket, region and storage class."""
    args = ReportArgs.from_flags(flags)
    raise SystemExit(run_report(args))


def run_report(args: ReportArgs) -> int:
    """Scan, print, and return the exit code (3 when some buckets failed)."""
    _configure_logging(args.debug)
    aws = Aws(args.aws)
    args.scan.validate()
    with ProgressDisplay(enabled=not args.quiet and sys.stderr.isatty()) as progress:
        snapshot = scan(aws, args.scan, on_progress=progress.update)
    emit(snapshot, args)
    return exit_code_for(snapshot)


def emit(snapshot: Snapshot, args: ReportArgs) -> None:
    """Failures to stderr, the report to stdout."""
    for failure in snapshot.failures:
        click.echo(describe_failure(failure), err=True)
    out = render(snapshot, args.fmt, unit=args.unit, color=args.fmt == "table" and sys.stdout.isatty())
    click.echo(out, nl=False)


def _delimiter(raw: str) -> str:
    if not raw:
        raise UsageError("--delimiter must not be empty.", hint="The default is '/'.")
    return raw


def describe_failure(failure: Failure) -> str:
    where = f" ({failure.region})" if failure.region else ""
    return f"warning: bucket {failure.bucket}{where} not measured [{failure.stage}: {failure.error}]: {failure.message}"


def exit_code_for(snapshot: Snapshot) -> int:
    if not snapshot.failures:
        return EXIT_OK
    return EXIT_PARTIAL if snapshot.buckets else EXIT_FAILURE


def _configure_logging(debug: bool) -> None:
    if debug:
        logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(name)s: %(message)s")
        log.setLevel(logging.DEBUG)
        logging.getLogger("botocore.retries").setLevel(logging.DEBUG)


def entry(argv: Sequence[str] | None = None) -> int:
    """Console-script entry point: the one place errors become messages and exit codes."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        main.main(args=args, prog_name="s3-storage-analyser", standalone_mode=False)
    except SystemExit as done:
        return int(done.code or 0) if not isinstance(done.code, str) else EXIT_FAILURE
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code if exc.exit_code else EXIT_USAGE
    except AnalyserError as exc:
        if debug:
            traceback.print_exc()
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    except Exception as exc:  # the last resort: say what and how to learn more
        if debug:
            traceback.print_exc()
        click.echo(
            f"internal error: {type(exc).__name__}: {exc}\n  hint: rerun with --debug for the traceback "
            "and report it as a bug.",
            err=True,
        )
        return EXIT_FAILURE
    return EXIT_OK


@main.command("demo")
@click.option(
    "--serve",
    is_flag=True,
    help="Keep the endpoint running and print the variables that point other tools at it.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port for the endpoint (0 = any free port).",
)
@click.option(
    "--scale",
    type=click.FloatRange(0.01, 20.0),
    default=1.0,
    show_default=True,
    help="Multiply the ~10k demo objects.",
)
@report_options
def demo_command(serve: bool, port: int, scale: float, **flags: Any) -> None:
    """Start a local S3 + CloudWatch endpoint with a demo account and report on it."""
    import os
    import time

    from .demo.seed import seed_account
    from .demo.server import running_endpoint

    with running_endpoint(port, set_env=True) as endpoint:
        click.echo(f"demo: local S3 + CloudWatch endpoint at {endpoint.url}; seeding...", err=True)
        written = seed_account(endpoint.url, scale=scale)
        click.echo(f"demo: {written:,} objects written.", err=True)
        if serve:
            click.echo("demo: point any command (or the aws cli) at it with:", err=True)
            for key, value in endpoint.environment().items():
                click.echo(f"export {key}={value}")
            click.echo("demo: serving until Ctrl-C.", err=True)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                return
        args = ReportArgs.from_flags(flags, endpoint_url=os.environ["AWS_ENDPOINT_URL"])
        code = run_report(args)
    raise SystemExit(code)
