"""Snapshot history in SQLite: every saved report, queryable, with named ordered migrations.

The schema version lives in ``PRAGMA user_version``; opening a database applies
the migrations it has not seen, all in one write transaction that re-reads the
version once it holds the lock, so processes opening a new file at once migrate
it exactly once. A snapshot is stored twice over: summary columns for listing
and diffing in SQL, and the lossless JSON of each bucket so ``show`` can render
any format later (the JSON, not the columns, is what ``load`` reads back).

Readers (``history``, ``show``, ``diff``) open the file read-only and never
create it. Nothing read from a database or a snapshot is put into SQL text:
values are bound parameters, and the one PRAGMA that cannot be bound takes a
version number from ``MIGRATIONS``.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .codec import (
    account_from_dict,
    account_to_dict,
    failure_from_dict,
    failure_to_dict,
    report_from_dict,
    report_to_dict,
)
from .errors import (  # the history's errors, drawn in errors' tree
    HistoryMissingError,
    HistoryUnavailableError,
    HistoryWriteError,
    SnapshotNotFoundError,
    StoreError,
    TooFewSnapshotsError,
)
from .model import Notice, Snapshot
from .tree.codec import encode_tree


@dataclass(frozen=True)
class Migration:
    """One schema step; its statements run in a single transaction."""

    version: int
    name: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "initial",
        (
            """CREATE TABLE snapshots (
                id INTEGER PRIMARY KEY,
                taken_at TEXT NOT NULL,
                strategy TEXT NOT NULL,
                buckets INTEGER NOT NULL,
                objects INTEGER NOT NULL,
                bytes INTEGER NOT NULL,
                failures INTEGER NOT NULL)""",
            """CREATE TABLE bucket_usage (
                snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
                bucket TEXT NOT NULL,
                region TEXT NOT NULL,
                objects INTEGER NOT NULL,
                bytes INTEGER NOT NULL,
                detail TEXT NOT NULL,
                PRIMARY KEY (snapshot_id, bucket))""",
            """CREATE TABLE class_usage (
                snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
                bucket TEXT NOT NULL,
                storage_class TEXT NOT NULL,
                bytes INTEGER NOT NULL,
                PRIMARY KEY (snapshot_id, bucket, storage_class))""",
            """CREATE TABLE failures (
                snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
                detail TEXT NOT NULL)""",
        ),
    ),
    # Listing measures noncurrent versions and unfinished uploads: keep them queryable.
    Migration(
        2,
        "hidden costs",
        (
            "ALTER TABLE snapshots ADD COLUMN breakdowns TEXT NOT NULL DEFAULT '[]'",
            "ALTER TABLE bucket_usage ADD COLUMN noncurrent_bytes INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE bucket_usage ADD COLUMN delete_markers INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE bucket_usage ADD COLUMN incomplete_upload_bytes INTEGER NOT NULL DEFAULT 0",
            "CREATE INDEX snapshots_by_time ON snapshots(taken_at)",
        ),
    ),
    # Warnings about reported buckets (stale inventory, ...): `show` prints them as the report did.
    Migration(3, "warnings", ("ALTER TABLE snapshots ADD COLUMN notices TEXT NOT NULL DEFAULT '[]'",)),
    # The history charts read bytes per class per snapshot: summing class_usage for them (2,000 buckets x
    # 8 classes x 100 snapshots) took 2.5 s a page; the totals are kept at save, and filled in here.
    Migration(
        4,
        "class totals",
        (
            """CREATE TABLE class_totals (
                snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
                storage_class TEXT NOT NULL,
                bytes INTEGER NOT NULL,
                PRIMARY KEY (snapshot_id, storage_class))""",
            "INSERT INTO class_totals (snapshot_id, storage_class, bytes)"
            " SELECT snapshot_id, storage_class, SUM(bytes) FROM class_usage GROUP BY snapshot_id, storage_class",
        ),
    ),
    # Scans of several accounts: each bucket's account (queryable), and the accounts a scan set out to cover.
    Migration(
        5,
        "accounts",
        (
            "ALTER TABLE snapshots ADD COLUMN accounts TEXT NOT NULL DEFAULT '[]'",
            "ALTER TABLE bucket_usage ADD COLUMN account TEXT NOT NULL DEFAULT ''",
        ),
    ),
    # history/show/diff --account and ?account= sum one account's buckets per snapshot: without an index that
    # read every bucket's row, JSON and all (0.4 s at 100 snapshots x 2,000 buckets); failures by snapshot too.
    Migration(
        6,
        "account index",
        (
            "CREATE INDEX bucket_usage_by_account ON bucket_usage(account, snapshot_id, objects, bytes)",
            "CREATE INDEX failures_by_snapshot ON failures(snapshot_id)",
        ),
    ),
    # --by tree: each bucket's folder tree, compressed (tree/codec.py), read only by `browse` and the exports.
    Migration(
        7,
        "folder trees",
        (
            """CREATE TABLE bucket_trees (
                snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
                bucket TEXT NOT NULL,
                tree BLOB NOT NULL,
                PRIMARY KEY (snapshot_id, bucket))""",
        ),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1].version


def default_db_path() -> Path:
    """``$XDG_DATA_HOME/s3-storage-analyser/history.sqlite3`` (~/.local/share by default)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "s3-storage-analyser" / "history.sqlite3"


@dataclass(frozen=True)
class SnapshotSummary:
    """One line of ``history``."""

    id: int
    taken_at: datetime
    strategy: str
    buckets: int
    objects: int
    bytes: int
    failures: int


# How long a writer waits for another process's write lock (a migration or a save) before giving up.
LOCK_TIMEOUT = 30.0

_OPEN_HINT = "Pass --db PATH to a writable location."
_NEWER_HINT = "Upgrade s3-storage-analyser, or pass --db for another file."


def _cause(exc: BaseException) -> str:
    """A short cause for an OS or SQLite error: the strerror where there is one."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _column(text: str) -> str | bytes:
    """A key as an SQL value: as is, or (when it holds a lone surrogate, which UTF-8 cannot carry) as a BLOB.

    The BLOB keeps every code point (``surrogatepass``), so two different keys never collide in a primary key.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")
    return text


class Store:
    """A history database; safe to share between threads (one connection, one lock).

    ``read_only=True`` is for readers: the file must exist, it is opened with SQLite's ``mode=ro``, and
    nothing (file or directory) is created; an older schema is still upgraded in place, on the existing file.
    """

    def __init__(self, path: Path | str, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self._lock = threading.Lock()
        self._db = self._connect_read_only() if read_only else self._connect()
        try:
            if read_only:
                self.applied = self._check_readable()
            else:
                # The names of the migrations this open applied (none when another process did them first).
                self.applied = self.migrate()
        except BaseException:
            self._db.close()
            raise

    def _unavailable(self, cause: str, hint: str = _OPEN_HINT) -> HistoryUnavailableError:
        return HistoryUnavailableError(
            f"Cannot open the history database {self.path}: {cause}", path=self.path, cause=cause, hint=hint
        )

    def _connect(self) -> sqlite3.Connection:
        """Open for writing, creating the file and its directory when missing."""
        self._refuse_special_file()
        db: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=LOCK_TIMEOUT)
            # The first statements read the file: one that is not a SQLite database fails here.
            db.execute("PRAGMA foreign_keys = ON")
            seen = _user_version(db)
            if seen > SCHEMA_VERSION:  # refused before anything is written to it (WAL changes the header)
                raise self._too_new(seen)
            _enable_wal(db)
        except (OSError, sqlite3.Error, HistoryUnavailableError) as exc:
            if db is not None:
                db.close()
            if isinstance(exc, HistoryUnavailableError):
                raise
            raise self._unavailable(_cause(exc)) from exc
        return db

    def _connect_read_only(self, mode: str = "ro") -> sqlite3.Connection:
        """Open an existing file (``mode=ro``, or ``mode=rw`` to upgrade it): never creates anything."""
        if not self.path.exists():
            raise HistoryMissingError(
                f"There is no history database at {self.path}.",
                path=self.path,
                cause="no such file",
                hint="Save a report with --save first, or pass --db (or S3SA_DB) naming the database it saved to.",
            )
        self._refuse_special_file()
        uri = f"{self.path.absolute().as_uri()}?mode={mode}"
        db: sqlite3.Connection | None = None
        try:
            db = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None, timeout=LOCK_TIMEOUT)
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except (OSError, sqlite3.Error) as exc:
            if db is not None:
                db.close()
            raise self._unavailable(_cause(exc)) from exc
        return db

    def _refuse_special_file(self) -> None:
        """A history is a regular file: SQLite would put its journal beside ``/dev/null`` and fail later anyway."""
        try:
            mode = self.path.stat().st_mode
        except FileNotFoundError:
            return
        except OSError as exc:  # e.g. a path through a file ("Not a directory"): named when opening
            if exc.errno in (errno.ENOTDIR, errno.ENAMETOOLONG, errno.ELOOP):
                raise self._unavailable(_cause(exc)) from exc
            return
        if stat.S_ISDIR(mode):
            raise self._unavailable("it is a directory", "Pass --db PATH naming the database file.")
        if not stat.S_ISREG(mode):
            raise self._unavailable("it is not a regular file", "Pass --db PATH naming a database file.")

    def _check_readable(self) -> list[str]:
        """A reader needs a history at this tool's schema: refuse a foreign file, upgrade an older history."""
        current = self.version
        if current == 0:
            raise self._unavailable(
                "it holds no snapshot history (schema version 0)", "Pass --db PATH naming a history database."
            )
        if current > SCHEMA_VERSION:
            raise self._too_new(current)
        if current == SCHEMA_VERSION:
            return []
        writer = self._connect_read_only("rw")
        try:
            return self._migrate_on(writer)
        finally:
            writer.close()

    def _too_new(self, current: int) -> HistoryUnavailableError:
        cause = f"schema version {current} is newer than this tool's {SCHEMA_VERSION}"
        return HistoryUnavailableError(
            f"{self.path} has schema version {current}, newer than this tool's {SCHEMA_VERSION}.",
            path=self.path,
            cause=cause,
            hint=_NEWER_HINT,
        )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @property
    def version(self) -> int:
        return _user_version(self._db)

    def migrate(self) -> list[str]:
        """Apply the migrations this database has not seen; returns their names."""
        with self._lock:
            return self._migrate_on(self._db)

    def _migrate_on(self, db: sqlite3.Connection) -> list[str]:
        """Every pending migration in one write transaction, decided on the version read under the lock.

        A second process opening the same new file waits for the first one's lock, then reads the version
        it committed and has nothing left to do: ``CREATE TABLE`` never runs twice.
        """
        seen = _user_version(db)
        if seen == SCHEMA_VERSION:  # the common case takes no write lock
            return []
        if seen > SCHEMA_VERSION:
            raise self._too_new(seen)
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._unavailable(_cause(exc)) from exc
        try:
            current = _user_version(db)
            if current > SCHEMA_VERSION:
                raise self._too_new(current)
            pending = [m for m in MIGRATIONS if m.version > current]
            for migration in pending:
                for statement in migration.statements:
                    db.execute(statement)
            if pending:
                # PRAGMA takes no bound parameter: the number comes from MIGRATIONS, never from the file.
                db.execute(f"PRAGMA user_version = {int(pending[-1].version):d}")
            db.execute("COMMIT")
        except BaseException as exc:
            _rollback(db)
            if isinstance(exc, sqlite3.Error | OSError):
                raise self._unavailable(_cause(exc)) from exc
            raise
        return [m.name for m in pending]

    def save(self, snapshot: Snapshot) -> int:
        """Store ``snapshot`` in one transaction; a failure leaves the history as it was."""
        if self.read_only:
            raise HistoryWriteError(
                f"{self.path} was opened read-only.", path=self.path, cause="opened read-only", hint=None
            )
        try:
            with self._lock:
                return self._insert(snapshot)
        except (sqlite3.Error, OSError) as exc:
            cause = _cause(exc)
            raise HistoryWriteError(
                f"Could not save the snapshot to {self.path}: {cause}",
                path=self.path,
                cause=cause,
                hint="Free some space or make the file writable, or pass --db PATH to another location.",
            ) from exc

    def _insert(self, snapshot: Snapshot) -> int:
        total = snapshot.total
        self._db.execute("BEGIN IMMEDIATE")
        try:
            cursor = self._db.execute(
                "INSERT INTO snapshots (taken_at, strategy, buckets, objects, bytes, failures, breakdowns, notices,"
                " accounts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    snapshot.taken_at.isoformat(),
                    _column(snapshot.strategy),
                    len(snapshot.buckets),
                    total.objects,
                    total.bytes,
                    len(snapshot.failures),
                    json.dumps(list(snapshot.breakdowns)),
                    json.dumps([[n.bucket, n.message] for n in snapshot.notices]),
                    json.dumps([account_to_dict(a) for a in snapshot.accounts]),
                ),
            )
            snapshot_id = int(cursor.lastrowid or 0)
            for report in snapshot.buckets:
                usage = report.usage
                bucket = _column(report.bucket.name)
                self._db.execute(
                    "INSERT INTO bucket_usage (snapshot_id, bucket, region, objects, bytes, detail,"
                    " noncurrent_bytes, delete_markers, incomplete_upload_bytes, account)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        snapshot_id,
                        bucket,
                        _column(report.bucket.region),
                        usage.objects,
                        usage.bytes,
                        json.dumps(report_to_dict(report)),
                        usage.noncurrent_bytes,
                        usage.delete_markers,
                        usage.incomplete_upload_bytes,
                        _column(report.bucket.account),
                    ),
                )
                self._db.executemany(
                    "INSERT INTO class_usage (snapshot_id, bucket, storage_class, bytes) VALUES (?,?,?,?)",
                    [(snapshot_id, bucket, _column(c), b) for c, b in usage.bytes_by_class.items()],
                )
                if usage.tree is not None:
                    self._db.execute(
                        "INSERT INTO bucket_trees (snapshot_id, bucket, tree) VALUES (?,?,?)",
                        (snapshot_id, bucket, encode_tree(usage.tree)),
                    )
            totals: dict[str, int] = {}
            for report in snapshot.buckets:
                for code, size in report.usage.bytes_by_class.items():
                    totals[code] = totals.get(code, 0) + size
            self._db.executemany(
                "INSERT INTO class_totals (snapshot_id, storage_class, bytes) VALUES (?,?,?)",
                [(snapshot_id, _column(c), b) for c, b in totals.items()],
            )
            self._db.executemany(
                "INSERT INTO failures (snapshot_id, detail) VALUES (?, ?)",
                [(snapshot_id, json.dumps(failure_to_dict(f))) for f in snapshot.failures],
            )
            self._db.execute("COMMIT")
        except BaseException:
            _rollback(self._db)
            raise
        return snapshot_id

    def history(self, limit: int = 50) -> list[SnapshotSummary]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, taken_at, strategy, buckets, objects, bytes, failures FROM snapshots"
                " ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [SnapshotSummary(r[0], datetime.fromisoformat(r[1]), *r[2:]) for r in rows]

    def account_history(self, accounts: Iterable[str], limit: int = 50) -> list[SnapshotSummary]:
        """``history`` of some accounts: each snapshot that holds a bucket of one of them or set out to cover one
        (its ``accounts``), newest first, with those accounts' buckets, objects, bytes and failures only.

        Summed from ``bucket_usage`` (exact); a snapshot of none of them (a one-account snapshot) is left out.
        """
        ids = json.dumps([str(a) for a in accounts])
        with self._summing():
            rows = self._db.execute(
                # Correlated sums, each a range of the covering index (account, snapshot_id, objects, bytes).
                "SELECT s.id, s.taken_at, s.strategy,"
                " (SELECT count(*) FROM bucket_usage AS u"
                "  WHERE u.account IN (SELECT value FROM json_each(?1)) AND u.snapshot_id = s.id),"
                " (SELECT coalesce(sum(u.objects), 0) FROM bucket_usage AS u"
                "  WHERE u.account IN (SELECT value FROM json_each(?1)) AND u.snapshot_id = s.id),"
                " (SELECT coalesce(sum(u.bytes), 0) FROM bucket_usage AS u"
                "  WHERE u.account IN (SELECT value FROM json_each(?1)) AND u.snapshot_id = s.id),"
                " (SELECT count(*) FROM failures AS f WHERE f.snapshot_id = s.id"
                "  AND json_extract(f.detail, '$.account') IN (SELECT value FROM json_each(?1)))"
                " FROM snapshots AS s"
                " WHERE EXISTS (SELECT 1 FROM bucket_usage AS b"
                "  WHERE b.account IN (SELECT value FROM json_each(?1)) AND b.snapshot_id = s.id)"
                " OR EXISTS (SELECT 1 FROM json_each(s.accounts) AS a"
                "  WHERE json_extract(a.value, '$.id') IN (SELECT value FROM json_each(?1)))"
                " ORDER BY s.id DESC LIMIT ?2",
                (ids, max(limit, 0)),
            ).fetchall()
        return [
            SnapshotSummary(int(r[0]), datetime.fromisoformat(_text(r[1])), _text(r[2]), *(int(v) for v in r[3:]))
            for r in rows
        ]

    def account_buckets(self, snapshot_id: int, accounts: Iterable[str]) -> list[str]:
        """The names of the buckets of ``accounts`` in one snapshot, in its order."""
        if not -(2**63) <= snapshot_id < 2**63:
            return []
        with self._summing():
            rows = self._db.execute(
                "SELECT bucket FROM bucket_usage WHERE snapshot_id = ? AND account IN (SELECT value FROM json_each(?))"
                " ORDER BY rowid",
                (snapshot_id, json.dumps([str(a) for a in accounts])),
            ).fetchall()
        return [_text(r[0]) for r in rows]

    def unknown_accounts(self, accounts: Iterable[str]) -> list[str]:
        """Those of ``accounts`` that no snapshot holds a bucket of or set out to cover, in the order given."""
        asked = list(dict.fromkeys(str(a) for a in accounts))
        with self._summing():
            rows = self._db.execute(
                "SELECT q.value FROM json_each(?) AS q"
                " WHERE NOT EXISTS (SELECT 1 FROM bucket_usage AS b WHERE b.account = q.value)"
                " AND NOT EXISTS (SELECT 1 FROM snapshots AS s, json_each(s.accounts) AS a"
                "  WHERE json_extract(a.value, '$.id') = q.value)"
                " ORDER BY q.key",
                (json.dumps(asked),),
            ).fetchall()
        return [_text(r[0]) for r in rows]

    def account_ids(self, limit: int = 20) -> tuple[list[str], int]:
        """The accounts the history has (of its buckets or ``accounts`` entries), the first ``limit`` in order,
        and how many more there are: what a message about an unknown account lists."""
        with self._summing():
            count = self._db.execute(
                "SELECT count(*) FROM (SELECT account FROM bucket_usage WHERE account != ''"
                " UNION SELECT json_extract(a.value, '$.id') FROM snapshots AS s, json_each(s.accounts) AS a"
                "  WHERE json_extract(a.value, '$.id') != '')"
            ).fetchone()[0]
            rows = self._db.execute(
                "SELECT account FROM (SELECT account FROM bucket_usage WHERE account != ''"
                " UNION SELECT json_extract(a.value, '$.id') FROM snapshots AS s, json_each(s.accounts) AS a"
                "  WHERE json_extract(a.value, '$.id') != '')"
                " ORDER BY account LIMIT ?",
                (max(limit, 0),),
            ).fetchall()
        found = [_text(r[0]) for r in rows if isinstance(r[0], str | bytes)]
        return found, max(int(count) - len(rows), 0)

    def latest_ids(self, count: int) -> list[int]:
        """The newest ``count`` snapshot ids, newest first."""
        with self._lock:
            rows = self._db.execute("SELECT id FROM snapshots ORDER BY id DESC LIMIT ?", (count,)).fetchall()
        return [int(r[0]) for r in rows]

    def load(self, snapshot_id: int) -> Snapshot:
        with self._lock:
            # An id beyond SQLite's 64-bit INTEGER names no row (binding it would raise OverflowError).
            head = (
                self._db.execute(
                    "SELECT taken_at, strategy, breakdowns, notices, accounts FROM snapshots WHERE id = ?",
                    (snapshot_id,),
                ).fetchone()
                if -(2**63) <= snapshot_id < 2**63
                else None
            )
            if head is None:
                raise SnapshotNotFoundError(
                    f"There is no snapshot {snapshot_id} in the history.",
                    hint="`s3-storage-analyser history` lists the snapshots.",
                )
            buckets = self._db.execute(
                # Insertion order is the snapshot's own order (keys that are BLOBs sort apart from text).
                "SELECT detail FROM bucket_usage WHERE snapshot_id = ? ORDER BY rowid",
                (snapshot_id,),
            ).fetchall()
            failures = self._db.execute(
                "SELECT detail FROM failures WHERE snapshot_id = ? ORDER BY rowid", (snapshot_id,)
            ).fetchall()
        try:
            reports = tuple(report_from_dict(json.loads(row[0])) for row in buckets)
            failed = tuple(failure_from_dict(json.loads(row[0])) for row in failures)
            accounts = tuple(account_from_dict(a) for a in json.loads(head[4]))
        except ValueError as exc:  # a stored value the codec refuses (a count that is not one)
            raise StoreError(
                f"Snapshot {snapshot_id} in {self.path} holds a value this tool never stores: {exc}.",
                path=self.path,
                cause="corrupt snapshot",
            ) from exc
        return Snapshot(
            strategy=head[1],
            taken_at=datetime.fromisoformat(head[0]),
            buckets=reports,
            failures=failed,
            breakdowns=tuple(json.loads(head[2])),
            notices=tuple(Notice(bucket, message) for bucket, message in json.loads(head[3])),
            accounts=accounts,
        )

    def tree_blob(self, snapshot_id: int, bucket: str) -> bytes | None:
        """A bucket's stored folder tree, compressed, as saved (None: none saved); ``tree.access`` decodes it."""
        if not -(2**63) <= snapshot_id < 2**63:
            return None
        with self._summing():
            row = self._db.execute(
                "SELECT tree FROM bucket_trees WHERE snapshot_id = ? AND bucket = ?", (snapshot_id, _column(bucket))
            ).fetchone()
        return row[0] if row is not None and isinstance(row[0], bytes) else None

    def tree_buckets(self, snapshot_id: int) -> list[str]:
        """The buckets of a snapshot that have a saved folder tree, in the snapshot's order."""
        if not -(2**63) <= snapshot_id < 2**63:
            return []
        with self._summing():
            rows = self._db.execute(
                "SELECT bucket FROM bucket_trees WHERE snapshot_id = ? ORDER BY rowid", (snapshot_id,)
            ).fetchall()
        return [_text(r[0]) for r in rows if isinstance(r[0], str | bytes)]

    def diff_pair(self, before: int | None, after: int | None) -> tuple[int, int]:
        """The two snapshots a diff compares: those named, the newest two standing in for the rest."""
        if before is not None and after is not None:
            return before, after
        ids = self.latest_ids(2)
        if len(ids) < 2:
            raise TooFewSnapshotsError(
                f"diff needs two snapshots; the history has {len(ids)}.",
                hint="Save reports with --save (or run `serve`), or name two snapshot ids.",
            )
        return (ids[1] if before is None else before), (ids[0] if after is None else after)

    def latest(self) -> tuple[int, Snapshot] | None:
        ids = self.latest_ids(1)
        return (ids[0], self.load(ids[0])) if ids else None

    # --- series over the history (the HTML history view): one window, the newest ``limit`` ids <= ``upto`` ---

    def window(self, limit: int = 100, upto: int | None = None) -> list[SnapshotSummary]:
        """The newest ``limit`` snapshots with an id up to ``upto`` (all when None), oldest first."""
        bound = _upto(upto)
        if bound is None:
            return []
        with self._lock:
            rows = self._db.execute(
                "SELECT id, taken_at, strategy, buckets, objects, bytes, failures FROM snapshots"
                " WHERE id <= ? ORDER BY id DESC LIMIT ?",
                (bound, max(limit, 0)),
            ).fetchall()
        return [SnapshotSummary(r[0], datetime.fromisoformat(_text(r[1])), _text(r[2]), *r[3:]) for r in reversed(rows)]

    def count_upto(self, upto: int | None = None) -> int:
        """How many snapshots have an id up to ``upto`` (all when None): the window's "of N"."""
        bound = _upto(upto)
        if bound is None:
            return 0
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM snapshots WHERE id <= ?", (bound,)).fetchone()[0])

    def class_series(
        self, *, limit: int = 100, upto: int | None = None, bucket: str | None = None
    ) -> dict[int, dict[str, int]]:
        """Bytes per storage class in each snapshot of the window, summed over its buckets (or of one bucket).

        Keyed by snapshot id, oldest first; a snapshot with no class row (or without the bucket) is absent.
        """
        bound = _upto(upto)
        if bound is None:
            return {}
        # The window (the newest LIMIT ids <= the bound) is spelled out in each query: SQL text is constant.
        with self._summing():
            if bucket is None:  # the totals kept at save (migration 4)
                rows = self._db.execute(
                    "SELECT c.snapshot_id, c.storage_class, c.bytes FROM class_totals AS c"
                    " JOIN (SELECT id FROM snapshots WHERE id <= ? ORDER BY id DESC LIMIT ?) AS w"
                    " ON w.id = c.snapshot_id ORDER BY c.snapshot_id",
                    (bound, max(limit, 0)),
                ).fetchall()
            else:
                rows = self._db.execute(
                    "SELECT c.snapshot_id, c.storage_class, SUM(c.bytes) FROM class_usage AS c"
                    " JOIN (SELECT id FROM snapshots WHERE id <= ? ORDER BY id DESC LIMIT ?) AS w"
                    " ON w.id = c.snapshot_id WHERE c.bucket = ?"
                    " GROUP BY c.snapshot_id, c.storage_class ORDER BY c.snapshot_id",
                    (bound, max(limit, 0), _column(bucket)),
                ).fetchall()
        out: dict[int, dict[str, int]] = {}
        for snapshot_id, code, size in rows:
            out.setdefault(int(snapshot_id), {})[_text(code)] = int(size)
        return out

    def bucket_series(
        self, buckets: Iterable[str], *, limit: int = 100, upto: int | None = None
    ) -> dict[str, dict[int, tuple[int, int]]]:
        """Each named bucket's ``(bytes, objects)`` in each snapshot of the window that has it, oldest first."""
        bound = _upto(upto)
        out: dict[str, dict[int, tuple[int, int]]] = {}
        names = list(dict.fromkeys(buckets))
        if bound is None:
            return {name: {} for name in names}
        with self._summing():
            for name in names:
                rows = self._db.execute(
                    "SELECT u.snapshot_id, u.bytes, u.objects FROM bucket_usage AS u"
                    " JOIN (SELECT id FROM snapshots WHERE id <= ? ORDER BY id DESC LIMIT ?) AS w"
                    " ON w.id = u.snapshot_id WHERE u.bucket = ? ORDER BY u.snapshot_id",
                    (bound, max(limit, 0), _column(name)),
                ).fetchall()
                out[name] = {int(r[0]): (int(r[1]), int(r[2])) for r in rows}
        return out

    def top_buckets(self, snapshot_id: int, count: int) -> list[str]:
        """The ``count`` largest buckets (by bytes, then name) of one snapshot: whose lines a history draws."""
        if not -(2**63) <= snapshot_id < 2**63:
            return []
        with self._summing():
            rows = self._db.execute(
                "SELECT bucket FROM bucket_usage WHERE snapshot_id = ? ORDER BY bytes DESC, bucket LIMIT ?",
                (snapshot_id, max(count, 0)),
            ).fetchall()
        return [_text(r[0]) for r in rows]

    @contextlib.contextmanager
    def _summing(self) -> Iterator[None]:
        """The lock, and a sum SQLite cannot hold (a forged file) as the history's error, named."""
        try:
            with self._lock:
                yield
        except sqlite3.OperationalError as exc:
            raise StoreError(
                f"The history in {self.path} cannot be summed: {exc}.", path=self.path, cause=_cause(exc)
            ) from exc


def _upto(upto: int | None) -> int | None:
    """``upto`` as a bindable bound (SQLite's INTEGER is 64-bit); None when no id can be that small."""
    if upto is None or upto >= 2**63:
        return 2**63 - 1
    return None if upto < -(2**63) else upto


def _text(value: str | bytes) -> str:
    """A stored name back as text: a BLOB (see ``_column``) keeps its lone surrogates."""
    return value.decode("utf-8", "surrogatepass") if isinstance(value, bytes) else value


def _user_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def _rollback(db: sqlite3.Connection) -> None:
    """Undo the open transaction, if SQLite has not already (it does on some I/O errors)."""
    if db.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")


def _enable_wal(db: sqlite3.Connection) -> None:
    """Switch to WAL (readers then never wait for the writer), retrying while another opener holds the file.

    The switch needs the file to itself, and SQLite answers "database is locked" at once rather than calling
    the busy handler when processes open a new file together: wait for them, up to ``LOCK_TIMEOUT``.
    """
    deadline = time.monotonic() + LOCK_TIMEOUT
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(0.02)
