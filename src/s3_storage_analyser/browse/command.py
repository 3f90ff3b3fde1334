"""``s3sa browse``: find a folder tree (list the bucket now, or read it from the history) and open it.

Three steps, as s5cmd's commands: parse and check the flags (exit 2 before any AWS call or any read of
the history), get the tree, run the interactive browser. Textual (the 'browse' extra) is imported only
to run it: without the extra the command stops first, saying what to install.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from ..aggregate import BreakdownSpec
from ..config import (
    DB_SETTING,
    EVERYWHERE,
    REPORT_SETTINGS,
    ScanOptions,
    Setting,
    aws_from_flags,
    check_applicable,
    default_concurrency,
)
from ..errors import EXIT_OK, EXIT_PARTIAL, AnalyserError, UsageError
from ..extras import needs
from ..model import Failure
from ..safetext import printable
from ..selection import Selection
from ..tree.model import FolderTree

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("s3_storage_analyser")

TREE_HINT = "Save one with: s3sa report --strategy list --by tree --bucket s3://BUCKET/ --save (or s3sa browse --save)."

# The report's settings browse takes for its listing, as declared there; the AWS ones apply here too.
_LISTING_DESTS = ("endpoint_url", "profile", "region", "ca_bundle", "no_verify_ssl", "conc", "processes")
_OWN_HELP = {
    "delimiter": "What separates folders in the keys.",
    "tree_folders": "Folders the tree keeps; past N the deepest levels are folded into their parents "
    "(totals stay exact, the browser says so).",
    "conc": "Parallel listing requests (key ranges) for the scan.",
    "endpoint_url": "S3 endpoint, for S3-compatible services (botocore also reads AWS_ENDPOINT_URL).",
    "profile": "AWS profile from ~/.aws/config for the listing (else AWS_PROFILE / the default chain).",
    "ca_bundle": "PEM file of the CA certificates to trust for TLS (botocore also reads AWS_CA_BUNDLE).",
    "no_verify_ssl": "Do not verify TLS certificates (a test endpoint only).",
}
_QUIET = next(s for s in REPORT_SETTINGS if s.dest == "quiet")
_DEBUG = next(s for s in REPORT_SETTINGS if s.dest == "debug")


def _listing_setting(dest: str) -> Setting:
    found = next(s for s in REPORT_SETTINGS if s.dest == dest)
    return dataclasses.replace(found, help=_OWN_HELP.get(dest, found.help), applies=EVERYWHERE)


BROWSE_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "--snapshot",
        "snapshot",
        "Reopen the folder tree saved with this snapshot of the history (no listing, no AWS call).",
        type=click.IntRange(1),
        metavar="ID",
        example="12",
    ),
    Setting(
        "--bucket",
        "bucket",
        "With --snapshot: which bucket's tree, when the snapshot saved several.",
        metavar="NAME",
        example="my-bucket",
    ),
    dataclasses.replace(
        DB_SETTING,
        help="History database (SQLite) that --save writes and --snapshot reads; default "
        "$XDG_DATA_HOME/s3-storage-analyser/history.sqlite3.",
        applies=EVERYWHERE,
    ),
    Setting(
        "--save",
        "save",
        "Also store the scan (its tree included) in the history, to reopen it later with --snapshot.",
        is_flag=True,
        default=False,
    ),
    *(_listing_setting(dest) for dest in _LISTING_DESTS),
    _listing_setting("delimiter"),
    _listing_setting("tree_folders"),
    _QUIET,
    _DEBUG,
)
# Flags that say how to list: refused with --snapshot, which lists nothing.
_SCAN_ONLY = (*_LISTING_DESTS, "delimiter", "tree_folders", "save")


def browse_options(fn: F) -> F:
    for declared in reversed(BROWSE_SETTINGS):
        fn = declared.option()(fn)
    return fn


@click.command("browse")
@click.argument("target", metavar="[s3://BUCKET/PREFIX/]", required=False)
@browse_options
def browse_command(target: str | None, **flags: Any) -> None:
    """Walk a bucket's folders interactively, as ncdu walks a disk: where the bytes are, folder by folder.

    `browse s3://BUCKET/PREFIX/` lists the bucket (or the part under PREFIX), then opens its folder tree;
    `browse --snapshot ID` reopens a tree saved in the history at once. Read-only: it never changes the bucket.
    """
    ctx = click.get_current_context()
    check_applicable("browse", flags, ctx.get_parameter_source, BROWSE_SETTINGS)
    plan = check_flags(target, flags, ctx.get_parameter_source)
    with needs("browse", "The browse command"):
        from .app import BrowseApp
    if flags["debug"]:
        logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(name)s: %(message)s")
        log.setLevel(logging.DEBUG)
    if plan.snapshot is not None:  # a missing tree is said first, terminal or not
        tree, code = saved_tree(flags.get("db"), plan.snapshot, flags.get("bucket")), EXIT_OK
        require_terminal()
    else:
        require_terminal()  # before the listing, not after it
        tree, code = scanned_tree(plan, flags)
    BrowseApp(tree).run()
    raise SystemExit(code)


@dataclasses.dataclass(frozen=True)
class Plan:
    """What to browse: a saved snapshot's tree, or a bucket (and key prefix) to list."""

    snapshot: int | None = None
    bucket: str = ""
    prefix: str = ""


def check_flags(target: str | None, flags: Mapping[str, Any], source: Callable[[str], ParameterSource | None]) -> Plan:
    """One of s3://BUCKET/PREFIX/ or --snapshot; the listing's flags only with the first, --bucket with the second."""
    snapshot = flags.get("snapshot")
    given = [s.flag for s in BROWSE_SETTINGS if s.dest in _SCAN_ONLY and source(s.dest) is ParameterSource.COMMANDLINE]
    if target and snapshot is not None:
        raise UsageError(
            "Give either s3://BUCKET/PREFIX/ (list it now) or --snapshot ID (a saved tree), not both.",
            hint="Drop one of them.",
        )
    if snapshot is not None:
        if given:
            raise UsageError(
                f"{', '.join(given)} {'applies' if len(given) == 1 else 'apply'} to a listing; --snapshot "
                "reopens a saved tree without listing.",
                hint=f"Drop {given[0]}, or browse s3://BUCKET/PREFIX/ to list again.",
            )
        return Plan(snapshot=snapshot)
    if not target:
        raise UsageError(
            "Nothing to browse: give s3://BUCKET/PREFIX/ to list, or --snapshot ID to reopen a saved tree.",
            hint="e.g. s3sa browse s3://my-bucket/logs/ --save, then s3sa browse --snapshot ID.",
        )
    if flags.get("bucket"):
        raise UsageError(
            "--bucket picks a bucket of --snapshot; a listing names its bucket in s3://BUCKET/PREFIX/.",
            hint="Drop --bucket.",
        )
    try:
        selection = Selection.parse((), (target,))
    except UsageError as exc:
        raise UsageError(
            f"{printable(target)!r} is not s3://BUCKET/PREFIX/.",
            hint="Bucket names are letters, digits, '.', '-' and '_', e.g. s3://my-bucket/logs/.",
        ) from exc
    bucket, prefix = selection.scopes[0]
    return Plan(bucket=bucket, prefix=prefix)


def require_terminal() -> None:
    """The browser reads keys from stdin and draws on stderr (as Textual does): each must be a terminal."""
    if not (sys.stdin.isatty() and sys.__stderr__ is not None and sys.__stderr__.isatty()):
        raise UsageError(
            "browse is interactive: it needs a terminal for its input and output.",
            hint="For a file, use s3sa report --strategy list --by tree --fmt ncdu (or tree-json).",
        )


def saved_tree(db: str | None, snapshot_id: int, bucket: str | None) -> FolderTree:
    """The tree saved with a snapshot: the only one, or ``bucket``'s; a clear exit 2 when there is none."""
    from ..store import Store, default_db_path
    from ..tree.access import load_tree, trees_in

    store = Store(db or default_db_path(), read_only=True)
    try:
        store.load(snapshot_id)  # an unknown id: SnapshotNotFoundError (exit 2), naming the history
        saved = trees_in(store, snapshot_id)
        if not saved:
            raise UsageError(f"Snapshot {snapshot_id} has no folder tree.", hint=TREE_HINT)
        if bucket is None:
            if len(saved) > 1:
                names = ", ".join(printable(name) for name in saved[:10]) + (", ..." if len(saved) > 10 else "")
                raise UsageError(
                    f"Snapshot {snapshot_id} has the folder trees of {len(saved)} buckets: {names}.",
                    hint=f"Pick one with --bucket {printable(saved[0])}.",
                )
            bucket = saved[0]
        bucket = saved_name(bucket, saved)
        tree = load_tree(store, snapshot_id, bucket) if bucket in saved else None
        if tree is None:
            raise UsageError(
                f"Snapshot {snapshot_id} has no folder tree of bucket {printable(bucket)!r}; "
                f"it has: {', '.join(printable(name) for name in saved[:10])}.",
                hint=f"Pick one of those with --bucket, or {TREE_HINT[0].lower()}{TREE_HINT[1:]}",
            )
        return tree
    finally:
        store.close()


def saved_name(asked: str, saved: list[str]) -> str:
    """The saved tree ``--bucket`` means: its name as saved, or (``name`` or ``s3://name/prefix/``) the one
    scan of that bucket, saved as ``name/prefix/`` when it was scoped to a prefix."""
    name = asked[5:] if asked.lower().startswith("s3://") else asked
    if name in saved or name.rstrip("/") in saved:
        return name if name in saved else name.rstrip("/")
    if "/" in name.rstrip("/"):  # a prefix was named: only that scan is meant
        return asked
    same_bucket = [s for s in saved if s.partition("/")[0] == name.rstrip("/")]
    return same_bucket[0] if len(same_bucket) == 1 else asked


def scanned_tree(plan: Plan, flags: Mapping[str, Any]) -> tuple[FolderTree, int]:
    """List the bucket with the tree breakdown (progress on stderr), save it if asked: the tree, the exit code."""
    conc = flags["conc"] or default_concurrency("list")
    options = ScanOptions(
        strategy="list",
        selection=Selection.parse((), (f"s3://{plan.bucket}/{plan.prefix}",)),
        concurrency=conc,
        processes=flags["processes"],
        breakdowns=BreakdownSpec(
            dimensions=("tree",), delimiter=_delimiter(flags["delimiter"]), tree_folders=flags["tree_folders"]
        ),
    )
    from ..aws import Aws
    from ..outputs import save
    from ..progress import ProgressDisplay
    from ..report import scan_all
    from ..store import default_db_path
    from ..tree.access import tree_of

    aws = Aws(aws_from_flags(flags, conc))
    with ProgressDisplay(enabled=not flags["quiet"] and sys.stderr.isatty()) as progress:
        snapshot = scan_all(aws, options, on_progress=progress.update)
    # A scan scoped to a prefix names its report "bucket/prefix/".
    report = next((r for r in snapshot.buckets if r.bucket.name.partition("/")[0] == plan.bucket), None)
    for failure in snapshot.failures:
        click.echo(describe_failure(failure), err=True)
    tree = tree_of(report) if report is not None else None
    if tree is None:  # the bucket's failure is the warning above
        raise AnalyserError(
            f"Bucket {printable(plan.bucket)} was not listed: there is nothing to browse.",
            hint="See the warning above: check the bucket's name, the credentials (--profile) and --endpoint-url.",
        )
    code = EXIT_PARTIAL if snapshot.failures else EXIT_OK
    if flags["save"]:
        path = Path(flags["db"]) if flags.get("db") else default_db_path()
        snapshot_id = save(snapshot, path)
        click.echo(f"saved as snapshot {snapshot_id} in {path}: s3sa browse --snapshot {snapshot_id}", err=True)
    return tree, code


def describe_failure(failure: Failure) -> str:
    where = f" ({printable(failure.region)})" if failure.region else ""
    return (
        f"warning: bucket {printable(failure.bucket)}{where} not measured "
        f"[{failure.stage}: {printable(failure.error)}]: {printable(failure.message)}"
    )


def _delimiter(raw: str) -> str:
    if not raw:
        raise UsageError("--delimiter must not be empty.", hint="The default is '/'.")
    return raw
