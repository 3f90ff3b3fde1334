"""``diff --fmt html`` through the real CLI: two reports of the local S3 endpoint saved in a real SQLite
history (``--db``), the page written with ``--output`` and to stdout, its data block ``diff --fmt json``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from s3_storage_analyser.errors import EXIT_OK, EXIT_USAGE
from support.aws import make_bucket
from support.cli import CliResult

Cli = Callable[..., CliResult]
KIB = 1024
DATA = re.compile(r'<script type="application/json" id="s3sa-data">(.*?)</script>', re.DOTALL)


def data_block(page: str) -> Any:
    (found,) = DATA.findall(page)
    return json.loads(found)


@pytest.fixture
def history(cli: Cli, aws_url: str, tmp_path: Path) -> str:
    """Two listed reports saved in a SQLite file: ``hot`` grows by 3 objects of 10 KiB, ``cold`` loses one."""
    db = str(tmp_path / "history.sqlite3")
    hot, cold = make_bucket(aws_url, "hot"), make_bucket(aws_url, "cold")
    hot.put_object(Bucket="hot", Key="k0", Body=b"h" * 10 * KIB)
    for i in range(2):
        cold.put_object(Bucket="cold", Key=f"c{i}", Body=b"c" * 4 * KIB)
    scan = ("--endpoint-url", aws_url, "--strategy", "list", "--processes", "0", "-q", "--save", "--db", db)
    first = cli(*scan, "--fmt", "json")
    assert first.code == EXIT_OK, first.stderr
    for i in range(1, 4):
        hot.put_object(Bucket="hot", Key=f"k{i}", Body=b"h" * 10 * KIB)
    cold.delete_object(Bucket="cold", Key="c1")
    second = cli(*scan, "--fmt", "json")
    assert second.code == EXIT_OK, second.stderr
    return db


def test_diff_writes_the_page_with_the_json_numbers(cli: Cli, history: str, tmp_path: Path) -> None:
    out = tmp_path / "diff.html"
    run = cli("diff", "--db", history, "--fmt", "html", "--output", str(out))
    assert run.code == EXIT_OK, run.stderr
    assert run.stdout == ""
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    as_json = cli("diff", "--db", history, "--fmt", "json")
    assert as_json.code == EXIT_OK, as_json.stderr
    data = json.loads(as_json.stdout)
    assert data_block(page) == data
    assert (data["Before"]["Id"], data["After"]["Id"]) == (1, 2)
    hot = next(r for r in data["Changes"] if r["Bucket"] == "hot" and r["StorageClass"] == "ALL")
    assert (hot["BytesChange"], hot["FilesBefore"], hot["FilesAfter"]) == (30 * KIB, 1, 4)
    change = 30 * KIB - 4 * KIB
    assert f'id="total-bytes-change" data-raw="{change}" title="{change:+,} bytes"' in page
    assert 'id="total-files-change" data-raw="2"' in page
    assert f'id="total-cost-after" data-raw="{data["After"]["CostPerMonth"]}"' in page  # shipped prices
    assert 'id="strategy-warning"' not in page  # both listed
    # The same page on stdout, and for the snapshots named.
    shown = cli("diff", "1", "2", "--db", history, "--fmt", "html")
    assert shown.code == EXIT_OK, shown.stderr
    assert shown.stdout == page


def test_without_cost_and_backwards(cli: Cli, history: str) -> None:
    bare = cli("diff", "2", "1", "--db", history, "--fmt", "html", "--no-cost")
    assert bare.code == EXIT_OK, bare.stderr
    data = data_block(bare.stdout)
    assert "Prices" not in data and 'id="total-cost-change"' not in bare.stdout
    assert (data["Before"]["Id"], data["After"]["Id"]) == (2, 1)
    assert data["Changes"][0]["BytesChange"] == -30 * KIB
    assert data == json.loads(cli("diff", "2", "1", "--db", history, "--fmt", "json", "--no-cost").stdout)


def test_output_refuses_a_format_name_and_keeps_the_page_when_it_cannot_write(
    cli: Cli, history: str, tmp_path: Path
) -> None:
    word = cli("diff", "--db", history, "--fmt", "html", "--output", "json")
    assert word.code == EXIT_USAGE
    assert "names a format, not a file" in word.stderr
    missing = tmp_path / "no-such-dir" / "diff.html"
    failed = cli("diff", "--db", history, "--fmt", "html", "--output", str(missing))
    assert failed.code != EXIT_OK
    assert "could not write" in failed.stderr
    assert failed.stdout.startswith("<!DOCTYPE html>")  # printed instead: the page is not lost
    assert not missing.exists()


def test_s3sa_fmt_html_is_diff_s_page_and_history_s_table(
    cli: Cli, history: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("S3SA_FMT", "html")
    diff = cli("diff", "--db", history)
    assert diff.code == EXIT_OK, diff.stderr
    assert diff.stdout.startswith("<!DOCTYPE html>")
    # history has no page: the preference gives way to its table; typed, the format is refused.
    table = cli("history", "--db", history, "--no-cost")
    assert table.code == EXIT_OK, table.stderr
    assert table.stdout.split()[0] == "Id"
    typed = cli("history", "--db", history, "--fmt", "html")
    assert typed.code == EXIT_USAGE
    assert "history cannot be shown as 'html'" in typed.stderr
