"""The command line: flags -> settings -> scan -> render, with one error handler.

``s3-storage-analyser`` with no sub-command runs ``report``, as 0.1 did.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource
from click.shell_completion import CompletionItem

from . import __version__
from .account_filter import (
    ACCOUNT_HELP,
    account_cost,
    covers,
    only_accounts,
    parse_account_ids,
    price_account_history,
    require_known,
)
from .advise_cli import advise_command
from .browse.command import browse_command
from .config import (
    DB_SETTING,
    ReportArgs,
    check_applicable,
    check_cost_flags,
    check_output_path,
    cost_options,
    report_options,
    scan_options,
)
from .errors import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_OUTPUT_FAILED,
    EXIT_PARTIAL,
    EXIT_USAGE,
    AnalyserError,
    HistoryMissingError,
    OutputFailedError,
    StoreError,
    UsageError,
)
from .prices_cli import prices_group
from .render import TREE_FORMATS, parse_format, render
from .safetext import printable
from .units import parse_unit, plural

if TYPE_CHECKING:  # the scan, the history and the outputs are imported by the commands that use them
    from .aws import Aws
    from .model import Failure, Snapshot
    from .pricing.book import PriceBook
    from .pricing.cost import SnapshotCost
    from .store import Store

log = logging.getLogger("s3_storage_analyser")


class DefaultGroup(click.Group):
    """A group that runs ``report`` when the first argument names no sub-command."""

    default_command = "report"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and not ctx.resilient_parsing:  # (completion parses half-typed words: leave those be)
            self.refuse_unknown_command(args[0])
        if ctx.resilient_parsing and not args:  # completing the first word: a command name or a report option
            return super().parse_args(ctx, args)
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        """The first word completes to a command name, or to an option of ``report`` (the default command)."""
        found = super().shell_complete(ctx, incomplete)
        default = self.commands[self.default_command]
        if incomplete.startswith("-"):
            known = {item.value for item in found}
            found += [item for item in default.shell_complete(ctx, incomplete) if item.value not in known]
        return found

    def refuse_unknown_command(self, word: str) -> None:
        """A first argument that is not an option names a command: ``report`` takes no positional argument,
        so a bare word there (``s3sa histroy``) is a mistyped command, never a report argument."""
        if word.startswith("-") or word in self.commands:
            return
        close = difflib.get_close_matches(word.lower(), list(self.commands), n=1, cutoff=0.6)
        known = ", ".join(self.commands)
        if word.lower().startswith("s3://"):  # as aws s3 ls / s5cmd ls take it
            raise UsageError(
                f"No such command {printable(word)!r}: a bucket is given with --bucket.",
                hint=f"Use --bucket {printable(word)} (with --strategy list to count part of a bucket).",
            )
        if close:
            raise UsageError(
                f"No such command {printable(word)!r}.", hint=f"Did you mean {close[0]}? Commands: {known}."
            )
        raise UsageError(
            f"No such command {printable(word)!r}.",
            hint=f"Commands: {known}; with none, `report` runs and takes only options "
            "(buckets are given with --bucket or --prefix).",
        )


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
    """Scan, print, then save and push; return the exit code.

    The report is printed first: a failed ``--save``, ``--output`` or ``--pushgateway`` is named after it
    (one ``error:`` line each) and turns exit 0 or 3 into 4, never costing the report. 1 (nothing measured) stays.
    """
    from .aws import Aws
    from .outputs import gateway_url, push
    from .progress import ProgressDisplay
    from .report import scan_all

    _configure_logging(args.debug)
    aws = Aws(args.aws)
    args.scan.validate()
    book = price_book(args.prices, args.no_cost, args.scan.cache_dir)  # a bad --prices file: before any AWS call
    if args.dry_run:
        if args.accounts.active:
            raise UsageError(
                "--dry-run estimates one account's scan: it does not cover --organization or --role-arn yet.",
                hint="Estimate each account on its own (with its credentials), or drop --dry-run.",
            )
        return run_estimate(aws, args, book)
    gateway = gateway_url(args.pushgateway) if args.pushgateway else None
    if args.aws.verify is False:
        click.echo("warning: TLS certificates are not verified (--no-verify-ssl).", err=True)
    if args.verbose:
        _say_plan(aws, args)
    started = time.monotonic()
    with ProgressDisplay(enabled=not args.quiet and sys.stderr.isatty()) as progress:
        snapshot = scan_all(aws, args.scan, args.accounts, on_progress=progress.update)
    if args.verbose:
        unmeasured = sum(1 for f in snapshot.failures if f.bucket or not f.account)  # not whole accounts
        click.echo(
            f"s3sa: {plural(len(snapshot.buckets), 'bucket')} measured, {plural(unmeasured, 'bucket')} "
            f"not, in {time.monotonic() - started:.1f}s.",
            err=True,
        )
    cost = costed(snapshot, book)
    steps: list[Callable[[], None]] = [lambda: emit(snapshot, args, cost, report_history(snapshot, args, book, cost))]
    if args.save:
        steps.append(lambda: _save_snapshot(snapshot, args.db))
    if gateway:
        steps.append(lambda: push(snapshot, gateway, cost=cost))
    failed: list[OutputFailedError] = []
    for step in steps:
        try:
            step()
        except OutputFailedError as exc:
            failed.append(exc)
    if book is not None and args.fmt == "table" and not args.quiet:
        from .pricing.scancost import snapshot_scan_cost

        click.echo(f"this scan: {snapshot_scan_cost(snapshot, book).describe()}", err=True)
    for problem in failed:
        if args.debug:
            traceback.print_exception(problem)
        click.echo(f"error: {problem}", err=True)
    code = exit_code_for(snapshot)
    return EXIT_OUTPUT_FAILED if failed and code != EXIT_FAILURE else code


def run_estimate(aws: Aws, args: ReportArgs, book: PriceBook | None) -> int:
    """--dry-run: count objects with CloudWatch and print what the asked scan would cost (exit 3: some not counted)."""
    from .estimate import estimate_scan, render_estimate
    from .pricing.sources import load_book

    if args.save or args.output or args.pushgateway:
        raise UsageError(
            "--dry-run scans nothing, so there is nothing to --save, --output or push.",
            hint="Drop --dry-run to run the scan.",
        )
    estimate = estimate_scan(aws, args.scan, book or load_book(None, args.scan.cache_dir))
    click.echo(render_estimate(estimate, args.fmt), nl=False)
    if not estimate.buckets and estimate.failures:
        return EXIT_FAILURE
    return EXIT_PARTIAL if estimate.failures else EXIT_OK


def _say_plan(aws: Aws, args: ReportArgs) -> None:
    """-v: the choices the run made, before it makes any call."""
    verify = args.aws.verify
    tls = "not verified" if verify is False else (f"CA bundle {verify}" if verify else "default CAs")
    if args.accounts.active:
        chosen = "every account of the organisation" if args.accounts.organization else "the accounts of the roles"
        click.echo(
            f"s3sa: {chosen}, {plural(args.accounts.concurrency, 'account')} at a time, "
            f"session {args.accounts.session_name}.",
            err=True,
        )
    click.echo(
        f"s3sa: strategy {args.scan.strategy}, region {aws.default_region}, "
        f"endpoint {printable(aws.endpoint_url or 'AWS')}, TLS {tls}, {plural(args.scan.concurrency, 'request')} "
        "in parallel.",
        err=True,
    )
    if args.scan.on_dask:
        executor = args.scan.executor
        signer = "this process's session credentials" if executor.forward_credentials else "the workers' own"
        if args.accounts.active and args.scan.strategy == "cloudwatch":
            click.echo(
                "s3sa: each member account's discovery and CloudWatch metrics as a task on the Dask cluster, "
                f"signed with {signer}.",
                err=True,
            )
        if args.scan.strategy == "list":
            click.echo(
                f"s3sa: pages after the first on the Dask cluster at "
                f"{printable(executor.scheduler or 'Dask config')}, "
                f"{plural(args.scan.concurrency, 'request')} in flight per worker, signed with {signer}.",
                err=True,
            )


def _save_snapshot(snapshot: Snapshot, db: str | None) -> None:
    from .outputs import save
    from .store import default_db_path

    path = Path(db) if db else default_db_path()
    snapshot_id = save(snapshot, path)
    click.echo(f"saved as snapshot {snapshot_id} in {path}", err=True)


def shown(snapshot: Snapshot, args: ReportArgs) -> Snapshot:
    """The buckets the report shows: at least ``--min-size``, in ``--sort`` order (all of them otherwise)."""
    buckets = snapshot.buckets
    if args.min_size is not None:
        buckets = tuple(r for r in buckets if r.usage.bytes >= args.min_size)
        hidden = len(snapshot.buckets) - len(buckets)
        if hidden:
            click.echo(f"s3sa: {plural(hidden, 'bucket')} under --min-size not shown.", err=True)
    if args.sort == "name":
        buckets = tuple(sorted(buckets, key=lambda r: r.bucket.name))
    elif args.sort == "region":
        buckets = tuple(sorted(buckets, key=lambda r: (r.bucket.region, r.bucket.name)))
    elif args.sort == "size":
        buckets = tuple(sorted(buckets, key=lambda r: (-r.usage.bytes, r.bucket.name)))
    elif args.sort == "objects":
        buckets = tuple(sorted(buckets, key=lambda r: (-r.usage.objects, r.bucket.name)))
    return snapshot if buckets == snapshot.buckets else dataclasses.replace(snapshot, buckets=buckets)


def price_book(prices: str | None, no_cost: bool, cache_dir: str | None = None) -> PriceBook | None:
    """The prices a command shows costs with (None with --no-cost); a bad file is a usage error now."""
    check_cost_flags(prices, no_cost)
    if no_cost:
        return None
    from .pricing.sources import load_book

    return load_book(prices, cache_dir)


def costed(snapshot: Snapshot, book: PriceBook | None) -> SnapshotCost | None:
    if book is None:
        return None
    from .pricing.cost import cost_snapshot

    return cost_snapshot(snapshot, book)


def report_history(
    snapshot: Snapshot, args: ReportArgs, book: PriceBook | None, cost: SnapshotCost | None
) -> dict[str, Any] | None:
    """``--fmt html`` with ``--save``: the history it saves to, this report as its newest point.

    A history that cannot be read costs the page its history section (with a warning), never the report.
    """
    if args.fmt != "html" or not args.save:
        return None
    from .render.costs import CostSummary
    from .render.html.history import export_history

    summary = None if cost is None else CostSummary.of(cost)
    try:
        store = _open_store(args.db, read_only=True)
    except HistoryMissingError:  # the first --save: no history yet
        return None
    except StoreError as exc:
        click.echo(f"warning: the page shows no history: {printable(str(exc))}", err=True)
        return None
    try:
        return export_history(store, book, current=snapshot, current_cost=summary)
    except StoreError as exc:
        click.echo(f"warning: the page shows no history: {printable(str(exc))}", err=True)
        return None
    finally:
        store.close()


def emit(
    snapshot: Snapshot, args: ReportArgs, cost: SnapshotCost | None = None, history: dict[str, Any] | None = None
) -> None:
    """Failures and notices to stderr, the report to stdout (or ``--output``, else stdout after all)."""
    for failure in snapshot.failures:
        click.echo(describe_failure(failure), err=True)
    for notice in snapshot.notices:
        where = f"bucket {printable(notice.bucket)}: " if notice.bucket else ""  # "": about an account
        click.echo(f"warning: {where}{printable(notice.message)}", err=True)
    if snapshot.accounts:
        click.echo(f"s3sa: {accounts_covered(snapshot)}.", err=True)
    snapshot = shown(snapshot, args)
    if cost is not None:
        cost = cost.only(r.bucket.name for r in snapshot.buckets)
    if args.output:
        from .outputs import write_atomic

        text = render(snapshot, args.fmt, unit=args.unit, cost=cost, history=history)
        try:
            write_atomic(args.output, text)
        except OutputFailedError:
            click.echo(text, nl=False)  # not written where asked: the report is not lost
            raise
        return
    color = args.fmt == "table" and sys.stdout.isatty()
    out = render(snapshot, args.fmt, unit=args.unit, color=color, cost=cost, history=history)
    click.echo(out, nl=False)


def describe_failure(failure: Failure) -> str:
    """One warning line (and its hint line); names and messages come from servers, so each line is made printable."""
    where = f" ({printable(failure.region)})" if failure.region else ""
    message = "\n".join(printable(line) for line in failure.message.split("\n"))
    what = f"[{failure.stage}: {printable(failure.error)}]: {message}"
    if not failure.bucket and failure.account:  # a whole account (its role, its state, Organizations)
        return f"warning: account {printable(failure.account)} not covered {what}"
    owner = f" in account {printable(failure.account)}" if failure.account else ""
    return f"warning: bucket {printable(failure.bucket)}{where}{owner} not measured {what}"


def accounts_covered(snapshot: Snapshot) -> str:
    """The "covered N of M accounts" of a scan of several accounts."""
    return f"covered {sum(a.covered for a in snapshot.accounts)} of {plural(len(snapshot.accounts), 'account')}"


def exit_code_for(snapshot: Snapshot) -> int:
    """0; 3 when something was not measured (a bucket, or a whole account: that is always 3, the others'
    report stands, even empty); 1 when nothing was measured."""
    if not snapshot.failures:
        return EXIT_OK
    if any(not f.bucket and f.account for f in snapshot.failures):
        return EXIT_PARTIAL
    return EXIT_PARTIAL if snapshot.buckets else EXIT_FAILURE


def _configure_logging(debug: bool, *, server: bool = False) -> None:
    if server:
        level = logging.DEBUG if debug else logging.INFO
        logging.basicConfig(stream=sys.stderr, level=level, format="%(asctime)s %(name)s: %(message)s")
        logging.getLogger("botocore").setLevel(logging.WARNING)
        return
    if debug:
        logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(name)s: %(message)s")
        log.setLevel(logging.DEBUG)
        logging.getLogger("botocore.retries").setLevel(logging.DEBUG)


COMMAND_NAMES = ("s3-storage-analyser", "s3sa")


def _completion_name(argv0: str) -> tuple[str, str]:
    """(program name, click's completion variable) for the name the tool was started as.

    Shell completion is asked for by ``_S3SA_COMPLETE=bash_source s3sa`` or
    ``_S3_STORAGE_ANALYSER_COMPLETE=bash_source s3-storage-analyser``: the script it prints must
    complete the name typed. Messages keep naming the tool ``s3-storage-analyser``."""
    invoked = os.path.basename(argv0)
    name = invoked if invoked in COMMAND_NAMES else COMMAND_NAMES[0]
    var = f"_{name.replace('-', '_').upper()}_COMPLETE"
    return (name if var in os.environ else COMMAND_NAMES[0]), var


def entry(argv: Sequence[str] | None = None) -> int:
    """Console-script entry point: the one place errors become messages and exit codes."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    prog_name, complete_var = _completion_name(sys.argv[0] if argv is None else "")
    try:
        main.main(args=args, prog_name=prog_name, complete_var=complete_var, standalone_mode=False)
    except SystemExit as done:
        return int(done.code or 0) if not isinstance(done.code, str) else EXIT_FAILURE
    except click.exceptions.Abort as exc:  # click turns Ctrl-C inside a command into Abort
        click.echo("Interrupted." if isinstance(exc.__cause__, KeyboardInterrupt) else "Aborted.", err=True)
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

    from .extras import needs, require

    with needs("demo", "The demo command"):
        from .demo.seed import seed_account
        from .demo.server import running_endpoint
    if flags.get("strategy") == "inventory":
        require("inventory", "--strategy inventory")  # before the endpoint starts and the seeding

    check_applicable("demo", flags, click.get_current_context().get_parameter_source)  # before seeding
    with running_endpoint(port, set_env=True) as endpoint:
        click.echo(f"demo: local S3 + CloudWatch endpoint at {endpoint.url}; seeding...", err=True)
        written = seed_account(endpoint.url, scale=scale)
        click.echo(f"demo: {plural(written, 'object')} written.", err=True)
        if flags.get("strategy") == "inventory":
            with needs("inventory", "--strategy inventory"):
                from .demo.inventories import DESTINATION, publish_demo_inventories

            reports = publish_demo_inventories(endpoint.url)
            click.echo(f"demo: {plural(reports, 'S3 Inventory report')} written to s3://{DESTINATION}/.", err=True)
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


def _open_store(db: str | None, *, read_only: bool = False) -> Store:
    """The history at ``--db`` (or the default); readers open it read-only and never create it."""
    from .store import Store, default_db_path

    return Store(db or default_db_path(), read_only=read_only)


_HISTORY_FORMATS = ("table", "tsv", "csv", "json", "json_pretty", "ndjson")


# The same environment defaults as the report's (S3SA_FMT, S3SA_UNIT): a standing preference for every command.
def _fmt_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--fmt`` of the history commands (S3SA_FMT too; each command checks the formats it has)."""
    return click.option(
        "--fmt",
        "fmt",
        default="table",
        show_default=True,
        metavar="FORMAT",
        envvar="S3SA_FMT",
        show_envvar=True,
        help=help_text,
    )


_history_fmt = _fmt_option(f"Output format: {', '.join(_HISTORY_FORMATS)}.")
_unit = click.option(
    "--unit", "unit", metavar="UNIT", envvar="S3SA_UNIT", show_envvar=True, help="Size unit, as for the report."
)
_accounts = click.option("--account", "accounts", multiple=True, metavar="ID", help=ACCOUNT_HELP)


def _env_fmt(fmt: str, allowed: Sequence[str] = _HISTORY_FORMATS) -> str:
    """``--fmt`` parsed; a value from S3SA_FMT that this command has no form for (``prometheus`` for
    ``history``) is the report's preference and gives way to the table, as a flag that does not apply would not."""
    parsed = parse_format(fmt)
    ctx = click.get_current_context()
    if parsed not in allowed and ctx.get_parameter_source("fmt") is ParameterSource.ENVIRONMENT:
        return "table"
    return parsed


@main.command("history")
@DB_SETTING.option()
@_history_fmt
@click.option("--limit", type=click.IntRange(1, 100000), default=50, show_default=True, help="Newest N snapshots.")
@cost_options
@_accounts
def history_command(
    db: str | None, fmt: str, limit: int, prices: str | None, no_cost: bool, accounts: tuple[str, ...]
) -> None:
    """Stored snapshots: when, strategy, buckets, totals, and each one's monthly cost at today's prices."""
    from .render.history import render_history

    fmt = _env_fmt(fmt)
    ids = parse_account_ids(accounts)
    book = price_book(prices, no_cost)
    store = _open_store(db, read_only=True)
    require_known(store, ids)
    rows = store.account_history(ids, limit) if ids else store.history(limit)
    cost = None
    if book is not None and ids:
        cost = price_account_history((row.id for row in rows), store.load, book, ids)
    elif book is not None:
        from .render.costs import price_history

        cost = price_history((row.id for row in rows), store.load, book)
    click.echo(render_history(rows, fmt, cost=cost), nl=False)


@main.command("show")
@click.argument("snapshot_id", metavar="ID", required=False, type=int)
@DB_SETTING.option()
@_fmt_option("Any report format.")
@_unit
@cost_options
@_accounts
def show_command(
    snapshot_id: int | None,
    db: str | None,
    fmt: str,
    unit: str | None,
    prices: str | None,
    no_cost: bool,
    accounts: tuple[str, ...],
) -> None:
    """A stored report (default: the newest), in any format, priced with today's prices."""
    fmt, parsed_unit = parse_format(fmt), parse_unit(unit) if unit else None
    wanted = parse_account_ids(accounts)
    book = price_book(prices, no_cost)
    store = _open_store(db, read_only=True)
    require_known(store, wanted)
    if snapshot_id is None:
        ids = store.latest_ids(1)
        if not ids:
            raise UsageError(f"The history {store.path} is empty.", hint="Save a report with --save first.")
        snapshot_id = ids[0]
    snapshot = store.load(snapshot_id)
    if fmt in TREE_FORMATS:  # the buckets' folder trees, kept apart from the report (read only when asked)
        from .tree.access import with_saved_trees

        snapshot = with_saved_trees(store, snapshot_id, snapshot)
    cost = costed(snapshot, book)
    if wanted:  # priced whole, then only those accounts' lines: each exactly as in the whole bill
        if not covers(snapshot, wanted):
            click.echo(f"warning: snapshot {snapshot_id} holds none of the accounts asked for.", err=True)
        snapshot = only_accounts(snapshot, wanted)
        cost = account_cost(cost, snapshot)
    color = fmt == "table" and sys.stdout.isatty()
    history = None
    if fmt == "html":  # the history up to this snapshot, priced with the same book
        from .render.html.history import export_history

        history = export_history(store, book, upto=snapshot_id)
    click.echo(render(snapshot, fmt, unit=parsed_unit, color=color, cost=cost, history=history), nl=False)


_DIFF_FORMATS = (*_HISTORY_FORMATS, "html")


@main.command("diff")
@click.argument("before", metavar="[A]", required=False, type=int)
@click.argument("after", metavar="[B]", required=False, type=int)
@DB_SETTING.option()
@_fmt_option(f"Output format: {', '.join(_DIFF_FORMATS)} (html: one self-contained page).")
@_unit
@cost_options
@click.option(
    "--output",
    "output",
    type=click.Path(dir_okay=False, writable=True),
    metavar="FILE",
    help="Write the diff to FILE atomically instead of stdout (e.g. --fmt html --output diff.html).",
)
@_accounts
def diff_command(
    before: int | None,
    after: int | None,
    db: str | None,
    fmt: str,
    unit: str | None,
    prices: str | None,
    no_cost: bool,
    output: str | None,
    accounts: tuple[str, ...],
) -> None:
    """Growth per bucket and storage class between snapshots A and B (default: the last two), in bytes and
    in monthly cost (both priced with the same prices, so the change is the storage's, not the prices')."""
    from .diff import diff
    from .outputs import write_atomic
    from .render.diff import render_diff

    fmt, parsed_unit = _env_fmt(fmt, _DIFF_FORMATS), parse_unit(unit) if unit else None
    output = check_output_path(output) if output else None
    ids = parse_account_ids(accounts)
    book = price_book(prices, no_cost)
    store = _open_store(db, read_only=True)
    require_known(store, ids)
    before, after = store.diff_pair(before, after)
    old, new = store.load(before), store.load(after)
    old_cost, new_cost = costed(old, book), costed(new, book)
    if ids:  # each side priced whole, then only those accounts' buckets and lines
        old, new = only_accounts(old, ids), only_accounts(new, ids)
        old_cost, new_cost = account_cost(old_cost, old), account_cost(new_cost, new)
    pair = (old_cost, new_cost) if old_cost is not None and new_cost is not None else None
    text = render_diff(diff(old, new), (before, old), (after, new), fmt, parsed_unit, cost=pair)
    if output:
        try:
            write_atomic(output, text)
        except OutputFailedError:
            click.echo(text, nl=False)  # not written where asked: the diff is not lost
            raise
        return
    click.echo(text, nl=False)


main.add_command(prices_group)
main.add_command(advise_command)
main.add_command(browse_command)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to bind.")
@click.option(
    "--interval",
    default="6h",
    show_default=True,
    metavar="DURATION",
    help="Time between scheduled scans, 1 minute to 30 days: 30m, 1h30m, 6h, 2d12h (0 = only at start and on POST).",
)
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, exists=True),
    metavar="PATH",
    help="File holding the API token (else the TOKEN environment variable).",
)
@click.option("--no-auth", is_flag=True, help="Serve without a token (only allowed on a loopback address).")
@click.option(
    "--metrics-auth/--no-metrics-auth", default=True, show_default=True, help="Whether /metrics needs the token too."
)
@click.option("--no-initial-scan", is_flag=True, help="Do not scan at start (serve what the history holds).")
@click.option(
    "--read-timeout",
    type=click.FloatRange(0.1, 3600, min_open=False),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="A request's headers must arrive within it, and then its body within it: slow clients are dropped.",
)
@click.option(
    "--max-connections",
    type=click.IntRange(1, 100000),
    default=1000,
    show_default=True,
    metavar="N",
    help="Open connections at most; one more is answered 503 and closed.",
)
@DB_SETTING.option()
@scan_options
@cost_options
def serve_command(
    host: str,
    port: int,
    interval: str,
    token_file: str | None,
    no_auth: bool,
    metrics_auth: bool,
    no_initial_scan: bool,
    db: str | None,
    read_timeout: float,
    max_connections: int,
    **flags: Any,
) -> None:
    """Serve the REST API and Prometheus metrics from stored snapshots, scanning in the background."""
    from pathlib import Path

    from .extras import needs, require

    with needs("service", "The serve command"):
        from .server.auth import load_auth
        from .server.bind import bind_listener
        from .server.guard import Limits
        from .server.run import serve
    if flags.get("strategy") == "inventory":
        require("inventory", "--strategy inventory")  # now, not in every background scan

    every = parse_duration(interval)
    args = ReportArgs.from_flags(flags)
    args.scan.validate()
    if args.scan.on_dask:
        require("dask", "--executor dask")  # now, not in every background scan
    book = price_book(args.prices, args.no_cost, args.scan.cache_dir)
    auth = load_auth(host, Path(token_file) if token_file else None, no_auth)
    limits = Limits(header_timeout=read_timeout, body_timeout=read_timeout, max_connections=max_connections)
    # Bind before the history is opened and before any scan: a busy port or a bad host ends here.
    listener = bind_listener(host, port)
    try:
        store = _open_store(db)
    except BaseException:
        listener.close()
        raise
    _configure_logging(args.debug, server=True)
    serve(
        args.scan,
        args.aws,
        store,
        auth,
        accounts=args.accounts,
        listener=listener,
        interval=every,
        metrics_auth=metrics_auth,
        initial_scan=not no_initial_scan,
        limits=limits,
        book=book,
    )


MIN_INTERVAL = 60.0
MAX_INTERVAL = 30 * 86400.0
_DURATION_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION_HINT = "Examples: 90s, 30m, 1h30m, 6h, 2d12h, or 0 for no schedule (1 minute to 30 days)."


def parse_duration(raw: str) -> float | None:
    """``90s``, ``30m``, ``1h30m``, ``2d12h``, plain seconds -> seconds; ``0`` -> None (no schedule).

    Bounded (1 minute to 30 days) so that a typo can neither hammer the endpoint nor overflow the
    scanner's wait: ``inf``, ``nan``, negative, empty and unknown units are usage errors.
    """
    import re

    text = raw.strip().lower()
    if not text:
        raise UsageError("--interval is empty.", hint=_DURATION_HINT)
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        seconds = float(text)
    else:
        parts = re.findall(r"(\d+(?:\.\d+)?)([dhms])", text)
        units = [unit for _, unit in parts]
        order = [u for u in _DURATION_UNITS if u in units]
        if not parts or "".join(n + u for n, u in parts) != text or units != order:
            raise UsageError(f"Bad --interval {raw!r}.", hint=_DURATION_HINT)
        seconds = sum(float(number) * _DURATION_UNITS[unit] for number, unit in parts)
    if seconds == 0:
        return None
    if not MIN_INTERVAL <= seconds <= MAX_INTERVAL:
        raise UsageError(f"--interval {raw!r} is out of range ({seconds:g} s).", hint=_DURATION_HINT)
    return seconds
