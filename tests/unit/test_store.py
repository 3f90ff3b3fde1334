"""The SQLite history: lossless round trips, ordering, migrations and unusable files.

Every test opens a real database file in tmp_path.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from s3_storage_analyser.errors import SnapshotNotFoundError, UsageError
from s3_storage_analyser.model import Bucket, Failure
from s3_storage_analyser.store import MIGRATIONS, SCHEMA_VERSION, Store
from support.snapshots import T0, _build_v1, rich_snapshot, small_snapshot


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "history.sqlite3")
    yield s
    s.close()


def test_save_load_round_trip_is_lossless(store: Store) -> None:
    snapshot = rich_snapshot()
    snapshot_id = store.save(snapshot)
    loaded = store.load(snapshot_id)
    assert loaded == snapshot
    # Field by field too, so a failure says what was lost.
    assert loaded.buckets[0].usage.breakdowns == snapshot.buckets[0].usage.breakdowns
    assert loaded.buckets[0].usage.measured == frozenset({"versions", "uploads"})
    assert loaded.buckets[0].usage.oldest_incomplete_upload == datetime(2024, 4, 1, 12, 0, tzinfo=UTC)
    assert loaded.buckets[1].usage.storage_types["StandardIASizeOverhead"] == 131_065
    assert loaded.data_dates == {date(2024, 4, 30)}
    assert loaded.failures == snapshot.failures
    assert loaded.breakdowns == ("prefix", "top")


def test_round_trip_survives_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    first = Store(path)
    snapshot_id = first.save(rich_snapshot())
    first.close()
    second = Store(path)
    try:
        assert second.load(snapshot_id) == rich_snapshot()
        assert second.version == SCHEMA_VERSION
    finally:
        second.close()


def test_summary_columns_hold_the_totals(store: Store) -> None:
    snapshot_id = store.save(rich_snapshot())
    [summary] = store.history()
    assert summary.id == snapshot_id
    assert summary.taken_at == T0
    assert summary.strategy == "list"
    assert summary.buckets == 2
    assert summary.objects == 13
    assert summary.bytes == 1000 + 5000 + 123_456 + 7
    assert summary.failures == 2
    db = sqlite3.connect(store.path)
    try:
        row = db.execute(
            "SELECT noncurrent_bytes, delete_markers, incomplete_upload_bytes FROM bucket_usage WHERE bucket = 'alpha'"
        ).fetchone()
        classes = dict(db.execute("SELECT storage_class, bytes FROM class_usage WHERE bucket = 'beta'").fetchall())
    finally:
        db.close()
    assert row == (400, 2, 15_000_000)
    assert classes == {"STANDARD": 123_456, "STANDARD_IA": 7}


def test_history_is_newest_first_with_limit(store: Store) -> None:
    ids = [store.save(small_snapshot(T0 + timedelta(hours=i), standard=100 * (i + 1), objects=i + 1)) for i in range(4)]
    history = store.history()
    assert [s.id for s in history] == list(reversed(ids))
    assert [s.bytes for s in history] == [400, 300, 200, 100]
    assert [s.objects for s in history] == [4, 3, 2, 1]
    assert [s.taken_at for s in history] == [T0 + timedelta(hours=i) for i in (3, 2, 1, 0)]
    assert [s.id for s in store.history(limit=2)] == list(reversed(ids))[:2]
    assert store.latest_ids(2) == [ids[3], ids[2]]
    latest = store.latest()
    assert latest is not None
    assert latest[0] == ids[3]
    assert latest[1] == small_snapshot(T0 + timedelta(hours=3), standard=400, objects=4)


def test_empty_store(store: Store) -> None:
    assert store.history() == []
    assert store.latest_ids(2) == []
    assert store.latest() is None


def test_load_of_a_missing_id(store: Store) -> None:
    store.save(small_snapshot(T0, 1))
    with pytest.raises(SnapshotNotFoundError) as caught:
        store.load(42)
    assert "42" in str(caught.value)
    assert caught.value.exit_code == 2
    assert caught.value.http_status == 404


@pytest.mark.parametrize("snapshot_id", [0, -1, 2**63, -(2**63) - 1, 10**30])
def test_load_of_an_impossible_id(store: Store, snapshot_id: int) -> None:
    store.save(small_snapshot(T0, 1))
    with pytest.raises(SnapshotNotFoundError):
        store.load(snapshot_id)


def test_migrates_a_version_1_database(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    _build_v1(path)
    store = Store(path)
    try:
        assert store.version == SCHEMA_VERSION
        assert SCHEMA_VERSION == MIGRATIONS[-1].version > 1
        old = store.load(1)
        assert old.strategy == "cloudwatch"
        assert old.taken_at == datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC)
        assert old.breakdowns == ()
        [report] = old.buckets
        assert report.bucket == Bucket("legacy", "eu-central-1", datetime(2019, 6, 1, tzinfo=UTC))
        assert report.data_date == date(2023, 1, 1)
        assert report.usage.bytes_by_class == {"STANDARD": 2000, "GLACIER": 48}
        assert report.usage.measured == frozenset()
        assert report.usage.noncurrent_bytes == 0
        assert old.failures == (Failure("locked", None, "measure", "AccessDenied", "no"),)
        [summary] = store.history()
        assert (summary.id, summary.bytes, summary.failures) == (1, 2048, 1)
        # New snapshots go in beside the old one.
        new_id = store.save(rich_snapshot())
        assert store.latest_ids(2) == [new_id, 1]
        assert store.load(new_id) == rich_snapshot()
        # Migrating again is a no-op.
        assert store.migrate() == []
    finally:
        store.close()
    db = sqlite3.connect(path)
    try:
        breakdowns = db.execute("SELECT breakdowns FROM snapshots WHERE id = 1").fetchone()
        defaults = db.execute(
            "SELECT noncurrent_bytes, delete_markers, incomplete_upload_bytes FROM bucket_usage WHERE snapshot_id = 1"
        ).fetchone()
        indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    finally:
        db.close()
    assert breakdowns == ("[]",)
    assert defaults == (0, 0, 0)
    assert "snapshots_by_time" in indexes


def test_a_database_from_the_future_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(UsageError) as caught:
        Store(path)
    message = str(caught.value)
    assert "99" in message
    assert str(SCHEMA_VERSION) in message
    assert caught.value.exit_code == 2


def test_an_unwritable_path_is_a_usage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where a directory should be")
    path = blocker / "history.sqlite3"
    with pytest.raises(UsageError) as caught:
        Store(path)
    assert str(path) in str(caught.value)
    assert "--db" in str(caught.value)


def test_a_directory_as_the_database_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        Store(tmp_path)
    assert "Cannot open the history database" in str(caught.value)


def test_a_file_that_is_not_a_database_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("these are my notes, not a database\n" * 200)
    with pytest.raises(UsageError) as caught:
        Store(path)
    assert str(path) in str(caught.value)


def test_unwritable_db_through_the_cli(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = cli("history", "--db", str(blocker / "h.db"))
    assert result.code == 2
    assert f"There is no history database at {blocker / 'h.db'}" in result.stderr
    assert "internal error" not in result.stderr
    assert blocker.read_text() == "x"
