"""report --save, history, show and diff through the real CLI entry point against moto over HTTP."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from s3_storage_analyser.cli import entry
from s3_storage_analyser.demo.server import LocalEndpoint
from s3_storage_analyser.store import Store
from support.aws import ISOLATED_ENV, UNSET, make_bucket
from support.cli import CliResult

GROWTH = 3 * 1000 + 500


def _run(*args: str) -> CliResult:
    """The CLI entry point with its own capture (module-scoped fixtures cannot use capsys)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = entry(list(args))
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def saved_twice(endpoint: LocalEndpoint, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two saved reports of the same account; alpha grows by GROWTH bytes in between.

    Built once for the module (the tests only read the database); the environment is isolated here
    as the autouse fixture does per test, since a module fixture is set up before it.
    """
    with pytest.MonkeyPatch.context() as mp:
        for key in UNSET:
            mp.delenv(key, raising=False)
        for key, value in ISOLATED_ENV.items():
            mp.setenv(key, value)
        empty = tmp_path_factory.mktemp("no-aws-config")
        mp.setenv("AWS_CONFIG_FILE", str(empty / "config"))
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty / "credentials"))
        endpoint.reset()
        aws_url = endpoint.url
        db = str(tmp_path_factory.mktemp("history") / "history.sqlite3")
        alpha = make_bucket(aws_url, "alpha", "eu-west-1")
        alpha.put_object(Bucket="alpha", Key="a/0", Body=b"x" * 2000)
        beta = make_bucket(aws_url, "beta")
        beta.put_object(Bucket="beta", Key="b/0", Body=b"y" * 700)
        beta.put_object(Bucket="beta", Key="b/1", Body=b"y" * 300)

        first = _run("--endpoint-url", aws_url, "--save", "--db", db, "--fmt", "json", "--quiet")
        assert first.code == 0, first.stderr
        assert "saved as snapshot 1" in first.stderr

        for i in range(3):
            alpha.put_object(Bucket="alpha", Key=f"a/new-{i}", Body=b"z" * 1000)
        alpha.put_object(Bucket="alpha", Key="a/extra", Body=b"z" * 500)

        second = _run("--endpoint-url", aws_url, "--save", "--db", db, "--quiet")
        assert second.code == 0, second.stderr
        assert "saved as snapshot 2" in second.stderr
        endpoint.reset()
    return {"db": db, "first": first, "second": second}


def test_the_reports_measured_the_growth(saved_twice: dict[str, Any]) -> None:
    data = json.loads(saved_twice["first"].stdout)
    sizes = {b["Bucket"]: b["Bytes"] for b in data["Buckets"]}
    assert sizes == {"alpha": 2000, "beta": 1000}


def test_history_lists_both_newest_first(saved_twice: dict[str, Any], cli: Any) -> None:
    db = saved_twice["db"]
    result = cli("history", "--db", db, "--fmt", "json")
    assert result.code == 0, result.stderr
    snapshots = json.loads(result.stdout)["Snapshots"]
    assert [s["Id"] for s in snapshots] == [2, 1]
    assert [s["Bytes"] for s in snapshots] == [3000 + GROWTH, 3000]
    assert [s["Files"] for s in snapshots] == [7, 3]
    assert all(s["Buckets"] == 2 and s["Failures"] == 0 and s["Strategy"] == "cloudwatch" for s in snapshots)
    assert snapshots[0]["TakenAt"] >= snapshots[1]["TakenAt"]

    table = cli("history", "--db", db, "--no-cost")
    assert table.code == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:3] == ["Id", "Taken", "(UTC)"]
    assert [line.split()[0] for line in lines[1:]] == ["2", "1"]
    assert "cloudwatch" in lines[1]

    tsv = cli("history", "--db", db, "--fmt", "tsv", "--limit", "1", "--no-cost")
    assert tsv.code == 0, tsv.stderr
    rows = list(csv.reader(io.StringIO(tsv.stdout), delimiter="\t"))
    assert rows[0] == ["Id", "TakenAt", "Strategy", "Buckets", "Files", "Bytes", "Failures"]
    assert len(rows) == 2
    assert rows[1][0] == "2"
    assert rows[1][5] == str(3000 + GROWTH)


def test_show_renders_the_saved_reports(saved_twice: dict[str, Any], cli: Any) -> None:
    db = saved_twice["db"]
    newest = cli("show", "--db", db)
    assert newest.code == 0, newest.stderr
    assert newest.stdout == saved_twice["second"].stdout  # the table, as the report printed it

    first = cli("show", "1", "--db", db, "--fmt", "json")
    assert first.code == 0, first.stderr
    assert first.stdout == saved_twice["first"].stdout
    assert json.loads(first.stdout) == json.loads(saved_twice["first"].stdout)


def test_diff_defaults_to_the_last_two(saved_twice: dict[str, Any], cli: Any) -> None:
    db = saved_twice["db"]
    result = cli("diff", "--db", db, "--fmt", "json", "--no-cost")
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["Before"]["Id"] == 1
    assert doc["After"]["Id"] == 2
    assert doc["After"]["Bytes"] - doc["Before"]["Bytes"] == GROWTH
    top = doc["Changes"][0]
    assert top == {
        "Bucket": "alpha",
        "StorageClass": "ALL",
        "BytesBefore": 2000,
        "BytesAfter": 2000 + GROWTH,
        "BytesChange": GROWTH,
        "FilesBefore": 1,
        "FilesAfter": 5,
    }
    assert doc["Changes"][1]["Bucket"] == "alpha"
    assert doc["Changes"][1]["StorageClass"] == "STANDARD"
    assert doc["Changes"][1]["BytesChange"] == GROWTH
    beta = [c for c in doc["Changes"] if c["Bucket"] == "beta"]
    assert beta
    assert all(c["BytesChange"] == 0 for c in beta)

    explicit = cli("diff", "1", "2", "--db", db, "--fmt", "json", "--no-cost")
    assert explicit.code == 0, explicit.stderr
    assert json.loads(explicit.stdout) == doc


def test_diff_as_tsv(saved_twice: dict[str, Any], cli: Any) -> None:
    result = cli("diff", "--db", saved_twice["db"], "--fmt", "tsv", "--no-cost")
    assert result.code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout), delimiter="\t"))
    assert rows[0] == ["Bucket", "StorageClass", "Before", "After", "Change", "FilesBefore", "FilesAfter"]
    assert rows[1] == ["alpha", "ALL", "2000", str(2000 + GROWTH), str(GROWTH), "1", "5"]


def test_diff_reversed_shows_shrinkage(saved_twice: dict[str, Any], cli: Any) -> None:
    result = cli("diff", "2", "1", "--db", saved_twice["db"], "--fmt", "json")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["Changes"][0]["BytesChange"] == -GROWTH


def test_diff_table_names_the_total(saved_twice: dict[str, Any], cli: Any) -> None:
    result = cli("diff", "--db", saved_twice["db"])
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("Snapshot 1 (")
    assert f"({GROWTH:+,} bytes)" in result.stdout
    body = [line.split() for line in result.stdout.splitlines()[2:] if line.strip()]
    assert body[0][:2] == ["alpha", "ALL"]


def test_diff_needs_two_snapshots(aws_url: str, tmp_path: Path, cli: Any) -> None:
    db = str(tmp_path / "h.db")
    Store(db).close()  # an empty history
    empty = cli("diff", "--db", db)
    assert empty.code == 2
    assert "diff needs two snapshots" in empty.stderr
    assert "has 0" in empty.stderr

    make_bucket(aws_url, "only").put_object(Bucket="only", Key="k", Body=b"1")
    saved = cli("--endpoint-url", aws_url, "--save", "--db", db, "--fmt", "json", "--quiet")
    assert saved.code == 0, saved.stderr
    one = cli("diff", "--db", db)
    assert one.code == 2
    assert "diff needs two snapshots" in one.stderr
    assert "has 1" in one.stderr
    assert one.stdout == ""


def test_show_of_a_missing_id(aws_url: str, tmp_path: Path, cli: Any) -> None:
    db = str(tmp_path / "h.db")
    Store(db).close()  # an empty history
    empty = cli("show", "--db", db)
    assert empty.code == 2
    assert "is empty" in empty.stderr

    make_bucket(aws_url, "only").put_object(Bucket="only", Key="k", Body=b"1")
    assert cli("--endpoint-url", aws_url, "--save", "--db", db, "--quiet", "--fmt", "tsv").code == 0
    missing = cli("show", "7", "--db", db)
    assert missing.code == 2
    assert "There is no snapshot 7" in missing.stderr
    assert missing.stdout == ""
    huge = cli("show", str(10**30), "--db", db)
    assert huge.code == 2
    assert f"There is no snapshot {10**30}" in huge.stderr
    diff_missing = cli("diff", "1", "7", "--db", db)
    assert diff_missing.code == 2
    assert "There is no snapshot 7" in diff_missing.stderr


def test_show_rejects_an_unknown_format(tmp_path: Path, cli: Any) -> None:
    result = cli("show", "--db", str(tmp_path / "h.db"), "--fmt", "xml")
    assert result.code == 2
    assert "Unknown format 'xml'" in result.stderr


def test_history_refuses_a_format_it_cannot_show(saved_twice: dict[str, Any], cli: Any) -> None:
    result = cli("history", "--db", saved_twice["db"], "--fmt", "prometheus")
    assert result.code == 2
    assert "history cannot be shown as 'prometheus'" in result.stderr
    assert result.stdout == ""  # not a table in place of the format asked for


def test_diff_refuses_prometheus(saved_twice: dict[str, Any], cli: Any) -> None:
    result = cli("diff", "--db", saved_twice["db"], "--fmt", "prometheus")
    assert result.code == 2
    assert "diff cannot be shown as 'prometheus'" in result.stderr
