"""The history never costs a result.

- A failed ``--save`` (disk full, ``/dev/null``, a directory that cannot be made, a read-only file, a file
  that is not a database, a newer schema) still prints the whole report, then names the database and the
  cause on stderr, exit 4.
- Processes opening one new database at once all succeed, and the migrations run exactly once.
- ``history``, ``show`` and ``diff`` never create a database or its directory, and open it read-only.
- Any key (control characters, lone surrogates, very long) round-trips through the store unchanged.
- No SQL text in store.py is built from values.

Reports come from the moto server over HTTP (``aws_url``); processes are real processes.
"""

from __future__ import annotations

import ast
import contextlib
import multiprocessing
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import s3_storage_analyser.store as store_module
from s3_storage_analyser.aggregate import BreakdownRow
from s3_storage_analyser.errors import HistoryMissingError, HistoryUnavailableError, HistoryWriteError
from s3_storage_analyser.model import Bucket, BucketReport, Failure, Notice, Snapshot, Usage
from s3_storage_analyser.store import MIGRATIONS, SCHEMA_VERSION, Store
from support.aws import make_bucket
from support.cli import CliResult
from support.faultproxy import FaultProxy
from support.history_opener import open_and_save
from support.snapshots import T0, _build_v1, small_snapshot

Cli = Callable[..., CliResult]
EXIT_USAGE, EXIT_OUTPUT_FAILED = 2, 4


@pytest.fixture
def account(aws_url: str) -> str:
    make_bucket(aws_url, "alpha", "eu-west-1").put_object(Bucket="alpha", Key="a", Body=b"x" * 1234)
    make_bucket(aws_url, "beta").put_object(Bucket="beta", Key="b", Body=b"y" * 56)
    return aws_url


def report_args(account: str) -> list[str]:
    return ["--endpoint-url", account, "--fmt", "tsv", "--quiet"]


def assert_report_then_named_failure(result: CliResult, baseline: CliResult, db: Path, cause: str) -> None:
    """The whole report on stdout, then one error line naming the database and the cause, and a hint."""
    assert result.code == EXIT_OUTPUT_FAILED, result.stderr
    assert result.stdout == baseline.stdout
    assert {line.split("\t")[0] for line in result.stdout.splitlines()[1:]} == {"alpha", "beta"}
    assert f"error: could not save the snapshot to {db}: {cause}" in result.stderr, result.stderr
    assert "\n  hint: " in result.stderr
    assert "internal error" not in result.stderr
    assert "Traceback" not in result.stderr
    assert "saved as snapshot" not in result.stderr


# --- a failed save never costs the report ------------------------------------------------------


def _dev_null(tmp_path: Path) -> Path:
    return Path("/dev/null")


def _uncreatable_directory(tmp_path: Path) -> Path:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    return blocker / "sub" / "history.sqlite3"


def _not_a_database(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("these are my notes, not a database\n" * 200)
    return path


def _newer_schema(tmp_path: Path) -> Path:
    path = tmp_path / "future.sqlite3"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    return path


@pytest.mark.parametrize(
    ("make_db", "cause"),
    [
        (_dev_null, "it is not a regular file"),
        (_uncreatable_directory, "Not a directory"),
        (_not_a_database, "file is not a database"),
        (_newer_schema, f"schema version 99 is newer than this tool's {SCHEMA_VERSION}"),
    ],
    ids=["dev-null", "uncreatable-directory", "not-a-database", "newer-schema"],
)
def test_a_failed_save_still_prints_the_report(
    account: str, tmp_path: Path, cli: Cli, make_db: Callable[[Path], Path], cause: str
) -> None:
    db = make_db(tmp_path)
    before = db.read_bytes() if db.is_file() else None
    journals = {p for p in (Path("/dev/null-journal"), Path("/dev/null-wal")) if p.exists()}
    baseline = cli(*report_args(account))
    assert baseline.code == 0, baseline.stderr
    result = cli(*report_args(account), "--save", "--db", str(db))
    assert_report_then_named_failure(result, baseline, db, cause)
    if before is not None:
        assert db.read_bytes() == before  # a file that is not our history is left as it was
    assert {p for p in (Path("/dev/null-journal"), Path("/dev/null-wal")) if p.exists()} == journals


@contextlib.contextmanager
def read_only_file(path: Path) -> Iterator[None]:
    """A file this process cannot write: mode 0444, or for root (who ignores modes) the immutable attribute."""
    path.chmod(0o444)
    if os.geteuid() != 0:
        yield
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(path)], check=False, capture_output=True).returncode != 0:
        pytest.skip("running as root without chattr +i: no file is read-only")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(path)], check=True)


def test_a_read_only_database_still_prints_the_report(account: str, tmp_path: Path, cli: Cli) -> None:
    db = tmp_path / "history.sqlite3"
    first = cli(*report_args(account), "--save", "--db", str(db))
    assert first.code == 0, first.stderr
    with read_only_file(db):
        result = cli(*report_args(account), "--save", "--db", str(db))
        assert_report_then_named_failure(result, first, db, "attempt to write a readonly database")
        history = cli("history", "--db", str(db), "--fmt", "tsv")  # readers still read it
    assert history.code == 0, history.stderr
    assert len(history.stdout.splitlines()) == 2  # the header and the one snapshot saved before


def _limit_file_size(limit: int) -> Callable[[], None]:
    def limit_in_child() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limit_in_child


def test_a_full_disk_still_prints_the_report(account: str, tmp_path: Path, cli: Cli) -> None:
    """A real process whose files may not grow (RLIMIT_FSIZE): SQLite's writes fail as on a full disk."""
    db = tmp_path / "history.sqlite3"
    Store(db).close()  # migrated: the save is the first write that needs room
    baseline = cli(*report_args(account))
    done = subprocess.run(
        [sys.executable, "-m", "s3_storage_analyser", *report_args(account), "--save", "--db", str(db)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limit_file_size(4096),  # less than one WAL frame
    )
    result = CliResult(done.returncode, done.stdout, done.stderr)
    assert result.code == EXIT_OUTPUT_FAILED, result.stderr
    assert result.stdout == baseline.stdout
    assert f"error: could not save the snapshot to {db}: " in result.stderr
    assert "database or disk is full" in result.stderr or "disk I/O error" in result.stderr, result.stderr
    assert "internal error" not in result.stderr
    reader = Store(db, read_only=True)
    try:
        assert reader.history() == []  # the failed save left nothing half-written
    finally:
        reader.close()


def test_partial_report_with_a_failed_save_is_exit_4(
    account: str, tmp_path: Path, cli: Cli, fault_proxy: FaultProxy
) -> None:
    """A bucket failure and a failed save: 4 takes the place of 3, the warning line still names the bucket."""
    fault_proxy.add(operation="GetBucketLocation", bucket="beta")
    fault_proxy.add(operation="HeadBucket", bucket="beta")
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    db = blocker / "history.sqlite3"
    result = cli(*report_args(fault_proxy.url), "--save", "--db", str(db))
    assert result.code == EXIT_OUTPUT_FAILED, result.stderr
    assert "warning: bucket beta not measured" in result.stderr
    assert f"error: could not save the snapshot to {db}: Not a directory" in result.stderr
    assert [line.split("\t")[0] for line in result.stdout.splitlines()[1:]] == ["alpha"]


# --- concurrent first opens ----------------------------------------------------------------------

OPENERS = 8


def _open_at_once(path: Path) -> list[tuple[str, int, Any, Any, Any]]:
    context = multiprocessing.get_context("spawn")  # fresh interpreters, as separate commands would be
    barrier, results = context.Barrier(OPENERS), context.Queue()
    processes = [context.Process(target=open_and_save, args=(str(path), barrier, results, i)) for i in range(OPENERS)]
    for process in processes:
        process.start()
    try:
        return [results.get(timeout=180) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.kill()


def test_concurrent_first_opens_all_succeed_and_migrate_once(tmp_path: Path) -> None:
    path = tmp_path / "new" / "history.sqlite3"
    outcomes = _open_at_once(path)
    errors = [o for o in outcomes if o[0] != "ok"]
    assert not errors, errors
    assert {o[3] for o in outcomes} == {SCHEMA_VERSION}
    applied = [o[2] for o in outcomes if o[2]]
    assert applied == [[m.name for m in MIGRATIONS]]  # one process migrated, the others found it done
    assert sorted(o[4] for o in outcomes) == list(range(1, OPENERS + 1))
    store = Store(path, read_only=True)
    try:
        assert len(store.history()) == OPENERS
        assert {s.bytes for s in store.history()} == set(range(1, OPENERS + 1))
    finally:
        store.close()


def test_concurrent_opens_upgrade_an_old_database_once(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    _build_v1(path)
    outcomes = _open_at_once(path)
    errors = [o for o in outcomes if o[0] != "ok"]
    assert not errors, errors
    applied = [o[2] for o in outcomes if o[2]]
    assert applied == [[m.name for m in MIGRATIONS[1:]]]
    store = Store(path, read_only=True)
    try:
        assert store.version == SCHEMA_VERSION
        assert store.load(1).buckets[0].bucket.name == "legacy"  # the old snapshot survived
        assert len(store.history()) == OPENERS + 1
    finally:
        store.close()


def test_a_failed_migration_leaves_the_old_version(tmp_path: Path) -> None:
    """All pending migrations are one transaction: one failing statement undoes the earlier ones too."""
    path = tmp_path / "old.sqlite3"
    _build_v1(path)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE clash (x)")
    db.execute("CREATE INDEX snapshots_by_time ON clash(x)")  # migration 2's last statement will fail
    db.close()
    with pytest.raises(HistoryUnavailableError) as caught:
        Store(path)
    assert "snapshots_by_time already exists" in caught.value.cause
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
        columns = {row[1] for row in db.execute("PRAGMA table_info(snapshots)")}
    finally:
        db.close()
    assert "breakdowns" not in columns  # migration 2's first statement was rolled back with it


# --- readers never create ------------------------------------------------------------------------

READERS = [["history"], ["show"], ["show", "1"], ["diff"], ["diff", "1", "2"]]


@pytest.mark.parametrize("command", READERS, ids=" ".join)
def test_readers_never_create_a_database(tmp_path: Path, cli: Cli, command: list[str]) -> None:
    db = tmp_path / "missing-dir" / "history.sqlite3"
    result = cli(*command, "--db", str(db))
    assert result.code == EXIT_USAGE
    assert f"error: There is no history database at {db}." in result.stderr
    assert "hint: Save a report with --save first" in result.stderr
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", READERS, ids=" ".join)
def test_readers_never_create_the_default_database(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.delenv("S3SA_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    result = cli(*command)
    assert result.code == EXIT_USAGE
    assert f"There is no history database at {tmp_path / 'xdg' / 's3-storage-analyser'}" in result.stderr
    assert not (tmp_path / "xdg").exists()


def test_readers_do_not_write_an_existing_database(tmp_path: Path, cli: Cli) -> None:
    db = tmp_path / "history.sqlite3"
    store = Store(db)
    store.save(small_snapshot(T0, 1))
    store.save(small_snapshot(T0, 2))
    store.close()
    before = db.read_bytes()
    for command in (["history"], ["show"], ["diff"], ["show", "1", "--fmt", "json"]):
        result = cli(*command, "--db", str(db))
        assert result.code == 0, result.stderr
    assert db.read_bytes() == before


def test_a_reader_opens_read_only(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    Store(db).close()
    reader = Store(db, read_only=True)
    try:
        with pytest.raises(HistoryWriteError):
            reader.save(small_snapshot(T0, 1))
        with pytest.raises(sqlite3.OperationalError, match="readonly"):  # SQLite's mode=ro, not only our check
            reader._db.execute("INSERT INTO failures (snapshot_id, detail) VALUES (1, 'x')")
    finally:
        reader.close()


def test_a_reader_refuses_what_is_not_a_history(tmp_path: Path, cli: Cli) -> None:
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    result = cli("history", "--db", str(empty))
    assert result.code == EXIT_USAGE
    assert f"Cannot open the history database {empty}: it holds no snapshot history" in result.stderr
    assert empty.stat().st_size == 0  # not turned into a database
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n" * 100)
    result = cli("show", "--db", str(notes))
    assert result.code == EXIT_USAGE
    assert "file is not a database" in result.stderr
    with pytest.raises(HistoryMissingError):
        Store(tmp_path / "nope.sqlite3", read_only=True)
    assert not (tmp_path / "nope.sqlite3").exists()
    result = cli("history", "--db", str(tmp_path))
    assert result.code == EXIT_USAGE
    assert "internal error" not in result.stderr


def test_a_reader_upgrades_an_older_history_in_place(tmp_path: Path, cli: Cli) -> None:
    db = tmp_path / "old.sqlite3"
    _build_v1(db)
    result = cli("show", "1", "--db", str(db), "--fmt", "tsv")
    assert result.code == 0, result.stderr
    assert result.stdout.splitlines()[1].split("\t")[:3] == ["legacy", "eu-central-1", "5"]
    reader = Store(db, read_only=True)
    try:
        assert reader.version == SCHEMA_VERSION
    finally:
        reader.close()


def test_a_reader_refuses_a_newer_history_without_touching_it(tmp_path: Path, cli: Cli) -> None:
    db = tmp_path / "future.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = db.read_bytes()
    result = cli("history", "--db", str(db))
    assert result.code == EXIT_USAGE
    assert f"has schema version 99, newer than this tool's {SCHEMA_VERSION}" in result.stderr
    assert db.read_bytes() == before


# --- any key round-trips ---------------------------------------------------------------------------

HOSTILE = [
    "\x00nul",
    "\x1b[2J\x1b]0;title\x07",
    "\ud800",
    "lone\udfffsurrogate",
    "\\ud800",  # the text a lone surrogate would be escaped to: must not collide with it
    "tab\tnew\nline\rcr",
    "\u202eevil",
    "k" * 100_000,
    "😀 café 日本",
]


def hostile_snapshot(names: list[str]) -> Snapshot:
    """Buckets named by ``names`` (in that order, unsorted), each with those keys, classes and a notice."""
    reports = tuple(
        BucketReport(
            Bucket(name, f"region-{name}", datetime(2020, 1, 2, tzinfo=UTC)),
            Usage(
                objects=len(HOSTILE),
                bytes_by_class={"STANDARD": 1, name: 2},
                objects_by_class={"STANDARD": 1, name: 1},
                breakdowns=(
                    *(BreakdownRow("prefix", key, 1, i) for i, key in enumerate(HOSTILE)),
                    BreakdownRow("top", name, 1, 2, name, name),
                ),
            ),
        )
        for name in names
    )
    return Snapshot(
        "list",
        T0,
        reports,
        failures=tuple(Failure(name, name, "list", name, name) for name in names),
        breakdowns=("prefix", "top"),
        notices=tuple(Notice(name, name) for name in names),
    )


def test_hostile_names_and_keys_round_trip(tmp_path: Path) -> None:
    snapshot = hostile_snapshot(list(reversed(HOSTILE)))
    store = Store(tmp_path / "h.sqlite3")
    try:
        snapshot_id = store.save(snapshot)
        assert store.load(snapshot_id) == snapshot
        [summary] = store.history()
        assert (summary.buckets, summary.failures) == (len(HOSTILE), len(HOSTILE))
    finally:
        store.close()
    reader = Store(tmp_path / "h.sqlite3", read_only=True)
    try:
        assert reader.load(snapshot_id) == snapshot  # and through a read-only open
    finally:
        reader.close()


def test_show_prints_what_the_report_printed_with_its_warnings(tmp_path: Path, cli: Cli) -> None:
    """Notices (JSON ``Warnings``) are stored too (migration 3): ``show`` gives the report back whole."""
    snapshot = hostile_snapshot(["plain", "\ud800x"])
    store = Store(tmp_path / "h.sqlite3")
    snapshot_id = store.save(snapshot)
    store.close()
    result = cli("show", str(snapshot_id), "--db", str(tmp_path / "h.sqlite3"), "--fmt", "json")
    assert result.code == 0, result.stderr
    assert '"Warnings": [{"Bucket": "plain", "Message": "plain"}' in result.stdout


any_text = st.text(st.characters(exclude_categories=()), max_size=40)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(any_text, min_size=1, max_size=5, unique=True), key=any_text)
def test_any_text_round_trips(tmp_path: Path, names: list[str], key: str) -> None:
    snapshot = hostile_snapshot(names)
    snapshot = Snapshot(
        snapshot.strategy,
        snapshot.taken_at,
        tuple(
            BucketReport(
                r.bucket, Usage(objects=1, bytes_by_class={key: 1}, breakdowns=(BreakdownRow("top", key, 1, 1),))
            )
            for r in snapshot.buckets
        ),
        failures=snapshot.failures,
        breakdowns=snapshot.breakdowns,
        notices=snapshot.notices,
    )
    store = Store(tmp_path / "any.sqlite3")
    try:
        assert store.load(store.save(snapshot)) == snapshot
    finally:
        store.close()


# --- SQL is never built from values ------------------------------------------------------------------


def _sql_calls(tree: ast.AST) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr in ("execute", "executemany", "executescript") and node.args:
            yield node


def test_store_sql_is_constant_text() -> None:
    """Every statement store.py runs is a string literal, but one PRAGMA fed by MIGRATIONS' own numbers."""
    source = Path(store_module.__file__).read_text()
    tree = ast.parse(source)
    calls = list(_sql_calls(tree))
    assert len(calls) > 10
    built = [ast.get_source_segment(source, c.args[0]) or "" for c in calls if not isinstance(c.args[0], ast.Constant)]
    # `statement` iterates over MIGRATIONS' statements, checked to be literals below.
    assert sorted(built) == ['f"PRAGMA user_version = {int(pending[-1].version):d}"', "statement"]
    for migration in MIGRATIONS:  # the migration statements are constants too
        assert all(isinstance(statement, str) for statement in migration.statements)
