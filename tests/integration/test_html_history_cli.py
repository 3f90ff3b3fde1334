"""The HTML export's history through the real CLI against the local S3 endpoint over HTTP: ``report --fmt html``
with ``--save``/``--db`` and ``show ID --fmt html`` carry the history up to their snapshot, priced as
``history`` prices it; a history of one snapshot shows none."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from s3_storage_analyser.errors import EXIT_OK
from support.aws import make_bucket
from support.cli import CliResult

Cli = Callable[..., CliResult]
HISTORY = re.compile(r'<script type="application/json" id="s3sa-history">(.*?)</script>', re.DOTALL)


def history_of(page: str) -> Any:
    found = HISTORY.findall(page)
    assert len(found) <= 1
    return json.loads(found[0]) if found else None


def test_report_and_show_carry_the_history(cli: Cli, aws_url: str, tmp_path: Path) -> None:
    s3 = make_bucket(aws_url, "grows")
    db, out = str(tmp_path / "history.sqlite3"), tmp_path / "report.html"
    scan = ("--endpoint-url", aws_url, "--strategy", "list", "--fmt", "html", "--db", db, "-q")
    s3.put_object(Bucket="grows", Key="a", Body=b"x" * 1000)
    first = cli(*scan, "--save", "--output", str(out))
    assert first.code == EXIT_OK, first.stderr
    page = out.read_text(encoding="utf-8")
    assert history_of(page) is None and 'id="history"' not in page  # nothing before it: no history
    s3.put_object(Bucket="grows", Key="b", Body=b"y" * 2000)
    second = cli(*scan, "--save", "--output", str(out))
    assert second.code == EXIT_OK, second.stderr
    history = history_of(out.read_text(encoding="utf-8"))
    assert [(s["Id"], s["Strategy"], s["Files"], s["Bytes"]) for s in history["Snapshots"]] == [
        (1, "list", 1, 1000),
        (None, "list", 2, 3000),  # this report, saved after the page was written
    ]
    assert (history["Shown"], history["Stored"], history["Priced"]) == (2, 2, True)
    assert history["Buckets"] == [
        {
            "Bucket": "grows",
            "Files": [1, 2],
            "Bytes": [1000, 3000],
            "CostPerMonth": history["Buckets"][0]["CostPerMonth"],
        }
    ]

    shown = cli("show", "2", "--db", db, "--fmt", "html")
    assert shown.code == EXIT_OK, shown.stderr
    stored = history_of(shown.stdout)
    assert [s["Id"] for s in stored["Snapshots"]] == [1, 2]
    assert [s["Bytes"] for s in stored["Snapshots"]] == [1000, 3000]
    listed = json.loads(cli("history", "--db", db, "--fmt", "json").stdout)["Snapshots"]
    by_id = {s["Id"]: s["CostPerMonth"] for s in listed}
    assert [s["CostPerMonth"] for s in stored["Snapshots"]] == [by_id[1], by_id[2]]  # the same prices as history's
    assert stored["Classes"] == [
        {"Code": "STANDARD", "Name": "Standard", "Bytes": [1000, 3000], "CostPerMonth": [by_id[1], by_id[2]]}
    ]
    assert 'id="history-chart"' in shown.stdout and "2 of 2 snapshots shown" in shown.stdout

    assert history_of(cli("show", "1", "--db", db, "--fmt", "html").stdout) is None  # up to snapshot 1: one
    bare = history_of(cli("show", "--db", db, "--fmt", "html", "--no-cost").stdout)
    assert bare["Priced"] is False and "CostPerMonth" not in bare["Snapshots"][0]
    assert "s3sa-history" not in cli("show", "2", "--db", db, "--fmt", "json").stdout  # only the page has it


def test_a_history_that_cannot_be_read_costs_the_page_its_history_only(cli: Cli, aws_url: str, tmp_path: Path) -> None:
    s3 = make_bucket(aws_url, "alone")
    s3.put_object(Bucket="alone", Key="k", Body=b"z")
    fresh = tmp_path / "fresh.sqlite3"
    run = cli("--endpoint-url", aws_url, "--strategy", "list", "--fmt", "html", "--save", "--db", str(fresh), "-q")
    assert run.code == EXIT_OK, run.stderr
    assert history_of(run.stdout) is None and fresh.exists()  # the first save: no history yet
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"not a database, " * 100)
    run = cli("--endpoint-url", aws_url, "--strategy", "list", "--fmt", "html", "--save", "--db", str(broken), "-q")
    assert "warning: the page shows no history" in run.stderr
    assert run.stdout.startswith("<!DOCTYPE html>") and history_of(run.stdout) is None  # the report is whole
    assert '"Bucket": "alone"' in run.stdout
