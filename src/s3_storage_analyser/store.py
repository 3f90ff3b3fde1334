"""Snapshot history in SQLite: every saved report, queryable, with named ordered migrations.

The schema version lives in ``PRAGMA user_version``; opening a database applies
the migrations it has not seen, each in its own transaction. A snapshot is
stored twice over: summary columns for listing and diffing in SQL, and the
lossless JSON of each bucket so ``show`` can render any format later.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .codec import failure_from_dict, failure_to_dict, report_from_dict, report_to_dict
from .errors import AnalyserError, UsageError
from .model import Snapshot


class SnapshotNotFoundError(AnalyserError):
    """No snapshot with that id in the history database."""

    exit_code = 2
    http_status = 404
    code = "SnapshotNotFound"


class TooFewSnapshotsError(UsageError):
    """A diff was asked for without naming two snapshots, and the history has fewer."""

    code = "BadRequest"


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


class Store:
    """A history database; safe to share between threads (one connection, one lock)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            # The first statements read the file: one that is not a SQLite database fails here.
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA journal_mode = WAL")
        except (OSError, sqlite3.Error) as exc:
            raise UsageError(
                f"Cannot open the history database {self.path}: {exc}",
                hint="Pass --db PATH to a writable location.",
            ) from exc
        self._lock = threading.Lock()
        self.migrate()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @property
    def version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> list[str]:
        """Apply the migrations this database has not seen; returns their names."""
        applied: list[str] = []
        with self._lock:
            current = self.version
            if current > SCHEMA_VERSION:
                raise UsageError(
                    f"{self.path} has schema version {current}, newer than this tool's {SCHEMA_VERSION}.",
                    hint="Upgrade s3-storage-analyser, or pass --db for another file.",
                )
            for migration in MIGRATIONS:
                if migration.version <= current:
                    continue
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    for statement in migration.statements:
                        self._db.execute(statement)
                    self._db.execute(f"PRAGMA user_version = {migration.version}")
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                applied.append(migration.name)
        return applied

    def save(self, snapshot: Snapshot) -> int:
        total = snapshot.total
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cursor = self._db.execute(
                    "INSERT INTO snapshots (taken_at, strategy, buckets, objects, bytes, failures, breakdowns)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        snapshot.taken_at.isoformat(),
                        snapshot.strategy,
                        len(snapshot.buckets),
                        total.objects,
                        total.bytes,
                        len(snapshot.failures),
                        json.dumps(list(snapshot.breakdowns)),
                    ),
                )
                snapshot_id = int(cursor.lastrowid or 0)
                for report in snapshot.buckets:
                    usage = report.usage
                    self._db.execute(
                        "INSERT INTO bucket_usage (snapshot_id, bucket, region, objects, bytes, detail,"
                        " noncurrent_bytes, delete_markers, incomplete_upload_bytes) VALUES (?,?,?,?,?,?,?,?,?)",
                        (
                            snapshot_id,
                            report.bucket.name,
                            report.bucket.region,
                            usage.objects,
                            usage.bytes,
                            json.dumps(report_to_dict(report)),
                            usage.noncurrent_bytes,
                            usage.delete_markers,
                            usage.incomplete_upload_bytes,
                        ),
                    )
                    self._db.executemany(
                        "INSERT INTO class_usage (snapshot_id, bucket, storage_class, bytes) VALUES (?,?,?,?)",
                        [(snapshot_id, report.bucket.name, c, b) for c, b in usage.bytes_by_class.items()],
                    )
                self._db.executemany(
                    "INSERT INTO failures (snapshot_id, detail) VALUES (?, ?)",
                    [(snapshot_id, json.dumps(failure_to_dict(f))) for f in snapshot.failures],
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
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
                    "SELECT taken_at, strategy, breakdowns FROM snapshots WHERE id = ?", (snapshot_id,)
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
                "SELECT detail FROM bucket_usage WHERE snapshot_id = ? ORDER BY bucket", (snapshot_id,)
            ).fetchall()
            failures = self._db.execute("SELECT detail FROM failures WHERE snapshot_id = ?", (snapshot_id,)).fetchall()
        return Snapshot(
            strategy=head[1],
            taken_at=datetime.fromisoformat(head[0]),
            buckets=tuple(report_from_dict(json.loads(row[0])) for row in buckets),
            failures=tuple(failure_from_dict(json.loads(row[0])) for row in failures),
            breakdowns=tuple(json.loads(head[2])),
        )

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
