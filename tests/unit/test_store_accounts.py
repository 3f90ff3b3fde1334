"""Snapshots of several accounts in the history: each bucket's and failure's account, and the accounts covered."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from s3_storage_analyser.errors import StoreError
from s3_storage_analyser.model import Account, Bucket, BucketReport, Failure, Snapshot, Usage
from s3_storage_analyser.store import Store
from support.snapshots import T0

MANY = Snapshot(
    "cloudwatch",
    T0,
    (
        BucketReport(Bucket("logs-a", "us-east-1", None, "111111111111"), Usage(2, {"STANDARD": 10})),
        BucketReport(Bucket("logs-b", "eu-west-1", None, "222222222222"), Usage(1, {"GLACIER": 5})),
    ),
    failures=(Failure("", None, "assume-role", "AccessDenied", "no role", "333333333333"),),
    accounts=(
        Account("111111111111", "prod"),
        Account("222222222222", "dev\u202e"),
        Account("333333333333", "", covered=False),
    ),
)


def test_accounts_round_trip(tmp_path: Path) -> None:
    store = Store(tmp_path / "h.sqlite3")
    snapshot_id = store.save(MANY)
    assert store.load(snapshot_id) == MANY
    with sqlite3.connect(tmp_path / "h.sqlite3") as db:
        rows = db.execute("SELECT bucket, account FROM bucket_usage ORDER BY bucket").fetchall()
    assert rows == [("logs-a", "111111111111"), ("logs-b", "222222222222")]
    store.close()


def test_a_one_account_snapshot_stores_no_account(tmp_path: Path) -> None:
    one = Snapshot("list", T0, (BucketReport(Bucket("solo", "us-east-1"), Usage(1, {"STANDARD": 1})),))
    store = Store(tmp_path / "h.sqlite3")
    snapshot_id = store.save(one)
    assert store.load(snapshot_id) == one
    with sqlite3.connect(tmp_path / "h.sqlite3") as db:
        detail = json.loads(db.execute("SELECT detail FROM bucket_usage").fetchone()[0])
        accounts = db.execute("SELECT accounts FROM snapshots").fetchone()[0]
    assert "account" not in detail and accounts == "[]"
    store.close()


@pytest.mark.parametrize(
    "forged",
    ['[{"id": 5}]', '[{"id": "1", "covered": "yes"}]', '["111"]', json.dumps([{"id": "9" * 300}])],
)
def test_a_forged_account_is_a_named_store_error(tmp_path: Path, forged: str) -> None:
    path = tmp_path / "h.sqlite3"
    store = Store(path)
    snapshot_id = store.save(MANY)
    store.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE snapshots SET accounts = ?", (forged,))
    db.close()
    with pytest.raises(StoreError, match="never stores"):
        Store(path, read_only=True).load(snapshot_id)
