"""history, show and diff --account over a real SQLite history of scans of several accounts (the real CLI)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from s3_storage_analyser.errors import EXIT_USAGE
from s3_storage_analyser.model import Account, Snapshot
from s3_storage_analyser.pricing.book import book
from s3_storage_analyser.pricing.cost import cost_snapshot
from s3_storage_analyser.pricing.shipped import shipped_table
from s3_storage_analyser.store import Store
from support.account_snapshots import A1, A2, A3, GiB, one_account, two_accounts

Cli = Any


@pytest.fixture
def db(tmp_path: Path) -> str:
    """Snapshot 1: one account (no account anywhere); 2 and 3: accounts A1, A2 (growing 2 GiB), A3 not covered."""
    path = tmp_path / "history.sqlite3"
    store = Store(path)
    try:
        assert [store.save(s) for s in (one_account(), two_accounts(0), two_accounts(2))] == [1, 2, 3]
    finally:
        store.close()
    return str(path)


def _json(result: Any) -> Any:
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


def test_history_of_one_account_sums_its_buckets_only(db: str, cli: Cli) -> None:
    rows = _json(cli("history", "--db", db, "--account", A2, "--fmt", "json", "--no-cost"))["Snapshots"]
    assert [(r["Id"], r["Buckets"], r["Files"], r["Bytes"], r["Failures"]) for r in rows] == [
        (3, 1, 7, 9 * GiB, 1),
        (2, 1, 5, 7 * GiB, 1),
    ]  # snapshot 1 (one account) is left out


def test_history_of_several_accounts_and_of_one_that_failed(db: str, cli: Cli) -> None:
    rows = _json(cli("history", "--db", db, "--account", A1, "--account", A2, "--fmt", "json", "--no-cost"))
    assert [(r["Id"], r["Buckets"], r["Files"], r["Bytes"], r["Failures"]) for r in rows["Snapshots"]] == [
        (3, 3, 21, (60 * 1024 + 3 + 5 + 9) * GiB, 1),
        (2, 3, 19, (60 * 1024 + 3 + 5 + 7) * GiB, 1),
    ]
    failed = _json(cli("history", "--db", db, "--account", A3, "--fmt", "json", "--no-cost"))["Snapshots"]
    assert [(r["Id"], r["Buckets"], r["Files"], r["Bytes"], r["Failures"]) for r in failed] == [
        (3, 0, 0, 0, 1),
        (2, 0, 0, 0, 1),
    ]


def test_history_without_account_is_unchanged(db: str, cli: Cli) -> None:
    rows = _json(cli("history", "--db", db, "--fmt", "json", "--no-cost"))["Snapshots"]
    assert [(r["Id"], r["Buckets"], r["Failures"]) for r in rows] == [(3, 3, 2), (2, 3, 2), (1, 1, 0)]


def test_history_costs_are_the_accounts_lines_of_the_whole_bill(db: str, cli: Cli) -> None:
    rows = _json(cli("history", "--db", db, "--account", A2, "--fmt", "json"))["Snapshots"]
    prices = book([shipped_table()])
    for row, step in zip(rows, (2, 0), strict=True):
        whole = cost_snapshot(two_accounts(step), prices)
        assert Decimal(row["CostPerMonth"]) == whole.buckets["a2-media"].total
    tsv = cli("history", "--db", db, "--account", A2, "--fmt", "tsv", "--limit", "1")
    assert tsv.code == 0, tsv.stderr
    expected = ["3", "2025-03-03T06:00:00Z", "cloudwatch", "1", "7", str(9 * GiB), "1"]
    assert tsv.stdout.splitlines()[1].split("\t")[:7] == expected


def test_show_keeps_only_those_accounts(db: str, cli: Cli) -> None:
    whole = _json(cli("show", "3", "--db", db, "--fmt", "json"))
    shown = _json(cli("show", "3", "--db", db, "--fmt", "json", "--account", A2))
    assert [b["Bucket"] for b in shown["Buckets"]] == ["a2-media"]
    assert [f["Bucket"] for f in shown["Failures"]] == ["a2-locked"]
    assert shown["Warnings"] == [{"Bucket": "a2-media", "Message": "stale too"}]
    [same] = [b for b in whole["Buckets"] if b["Bucket"] == "a2-media"]
    assert shown["Buckets"][0] == same  # its figures and its cost, exactly as in the whole report
    assert shown["Cost"]["PerMonth"] == same["CostPerMonth"]
    newest = _json(cli("show", "--db", db, "--fmt", "json", "--account", A1))
    assert sorted(b["Bucket"] for b in newest["Buckets"]) == ["a1-data", "a1-logs"]
    assert sum(b["Bytes"] for b in newest["Buckets"]) == (60 * 1024 + 8) * GiB


def test_show_of_a_snapshot_without_the_account_says_so(db: str, cli: Cli) -> None:
    result = cli("show", "1", "--db", db, "--fmt", "json", "--account", A2, "--no-cost")
    assert result.code == 0, result.stderr
    assert "warning: snapshot 1 holds none of the accounts asked for." in result.stderr
    assert json.loads(result.stdout)["Buckets"] == []


def test_diff_compares_only_those_accounts(db: str, cli: Cli) -> None:
    changes = _json(cli("diff", "--db", db, "--fmt", "json", "--account", A2))
    assert (changes["Before"]["Id"], changes["After"]["Id"]) == (2, 3)
    assert (changes["Before"]["Bytes"], changes["After"]["Bytes"]) == (7 * GiB, 9 * GiB)
    assert {c["Bucket"] for c in changes["Changes"]} == {"a2-media"}
    [total] = [c for c in changes["Changes"] if c["StorageClass"] == "ALL"]
    assert total["BytesChange"] == 2 * GiB
    prices = book([shipped_table()])
    before, after = (cost_snapshot(two_accounts(s), prices).buckets["a2-media"].total for s in (0, 2))
    assert after is not None and before is not None
    assert Decimal(total["CostChange"]) == after - before
    unchanged = _json(cli("diff", "2", "3", "--db", db, "--fmt", "json", "--account", A1))
    assert unchanged["Before"]["Bytes"] == unchanged["After"]["Bytes"] == (60 * 1024 + 8) * GiB


def test_an_account_the_history_lacks_is_a_usage_error_naming_those_it_has(db: str, cli: Cli) -> None:
    for command in (["history"], ["show"], ["diff"], ["show", "2"]):
        result = cli(*command, "--db", db, "--account", A1, "--account", "999999999999")
        assert result.code == EXIT_USAGE, (command, result.stderr)
        assert "error: The history has no account 999999999999." in result.stderr
        assert f"hint: It has these accounts: {A1}, {A2}, {A3}." in result.stderr
        assert result.stdout == ""
        assert "Traceback" not in result.stderr


@pytest.mark.parametrize("bad", ["12345", "1234567890123", "abcdefghijkl", "\x1b[2J12345678"])
def test_a_bad_account_id_is_a_usage_error(db: str, cli: Cli, bad: str) -> None:
    result = cli("history", "--db", db, "--account", bad)
    assert result.code == EXIT_USAGE
    assert "--account takes an AWS account id of 12 digits" in result.stderr
    assert "\x1b" not in result.stderr
    assert result.stdout == ""


def test_a_history_of_one_account_has_no_account_to_filter(tmp_path: Path, cli: Cli) -> None:
    path = tmp_path / "one.sqlite3"
    store = Store(path)
    store.save(one_account())
    store.close()
    result = cli("history", "--db", str(path), "--account", A1)
    assert result.code == EXIT_USAGE
    assert "It has these accounts: none (its snapshots are of one account)." in result.stderr


def test_the_list_of_accounts_is_bounded(tmp_path: Path, cli: Cli) -> None:
    path = tmp_path / "many.sqlite3"
    store = Store(path)
    many = tuple(Account(f"{i:012d}", f"n{i}") for i in range(1, 31))
    store.save(Snapshot("cloudwatch", two_accounts().taken_at, (), accounts=many))
    store.close()
    result = cli("history", "--db", str(path), "--account", "999999999999")
    assert result.code == EXIT_USAGE
    shown = ", ".join(f"{i:012d}" for i in range(1, 21))
    assert f"It has these accounts: {shown} and 10 more." in result.stderr
    [row] = _json(cli("history", "--db", str(path), "--account", "000000000030", "--fmt", "json"))["Snapshots"]
    assert (row["Buckets"], row["Bytes"]) == (0, 0)  # set out to cover, no bucket


def test_readers_with_account_do_not_write_the_database(db: str, cli: Cli) -> None:
    before = Path(db).read_bytes()
    for command in (["history"], ["show"], ["diff"], ["show", "1"]):
        assert cli(*command, "--db", db, "--account", A2).code == 0
    assert Path(db).read_bytes() == before


def test_an_accounts_sums_read_the_account_index(db: str) -> None:
    """Migration 6's covering index: an account's sums never read the buckets' rows (their JSON)."""
    store = Store(db, read_only=True)
    try:
        plan = store._db.execute(
            "EXPLAIN QUERY PLAN SELECT count(*), sum(objects), sum(bytes) FROM bucket_usage"
            " WHERE account IN (SELECT value FROM json_each(?)) AND snapshot_id = ?",
            (json.dumps([A1]), 2),
        ).fetchall()
        assert any("COVERING INDEX bucket_usage_by_account" in str(row[-1]) for row in plan), plan
        assert [r.id for r in store.account_history([A1], limit=1)] == [3]  # the newest only, as asked
    finally:
        store.close()
