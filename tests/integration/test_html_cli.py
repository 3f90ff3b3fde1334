"""``--fmt html`` through the real CLI against the local S3 endpoint over HTTP: report --output, show ID."""

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
MIB = 1024 * 1024
DATA = re.compile(r'<script type="application/json" id="s3sa-data">(.*?)</script>', re.DOTALL)


def data_block(page: str) -> Any:
    (found,) = DATA.findall(page)
    return json.loads(found)


def test_report_writes_the_page_and_show_renders_the_saved_snapshot(cli: Cli, aws_url: str, tmp_path: Path) -> None:
    s3 = make_bucket(aws_url, "hot")
    for i in range(3):
        s3.put_object(Bucket="hot", Key=f"k{i}", Body=b"x" * MIB)
    s3.create_multipart_upload(Bucket="hot", Key="unfinished")
    out, db = tmp_path / "report.html", str(tmp_path / "history.sqlite3")
    run = cli(
        "--endpoint-url", aws_url, "--strategy", "list", "--uploads", "--fmt", "html", "--output", str(out),
        "--save", "--db", db, "-q",
    )  # fmt: skip
    assert run.code == EXIT_OK, run.stderr
    assert run.stdout == ""
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    (bucket,) = data_block(page)["Buckets"]
    assert (bucket["Bucket"], bucket["Files"], bucket["Bytes"], bucket["IncompleteUploads"]) == ("hot", 3, 3 * MIB, 1)
    assert f'id="total-bytes" data-raw="{3 * MIB}"' in page
    assert 'id="hidden-uploads"' in page
    shown = cli("show", "--db", db, "--fmt", "html")
    assert shown.code == EXIT_OK, shown.stderr
    as_json = cli("show", "--db", db, "--fmt", "json")
    assert data_block(shown.stdout) == json.loads(as_json.stdout)
    assert "Cost" in json.loads(as_json.stdout)  # priced with the shipped prices, in both
    bare = cli("show", "--db", db, "--fmt", "html", "--no-cost")
    assert "Cost" not in data_block(bare.stdout) and 'id="total-cost"' not in bare.stdout
