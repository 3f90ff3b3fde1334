"""``--by tree`` from an S3 Inventory report (CSV, Parquet, ORC): the same tree as the brute-force fold of
the report's current objects, from the one pass DuckDB makes over it, folded alike, and equal to the tree
a listing of the same bucket gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from s3_storage_analyser.demo.inventory_writer import InventoryRow
from support.inventory import SRC, new_bucket, publish
from support.tree_truth import Obj, brute_force

KEYS = [
    "a//b",
    "/",
    "ctl\x1b[31m/red\x07.txt",
    "日本/語/x",
    "deep/" * 40 + "bottom",
    "plain.txt",
    "logs/2024/01/app.log",
    "logs/2024/02/app.log",
    "logs/2024/02/b.log",
    "logs/",
    "it's/a 'quote'/x",
]


def rows() -> list[InventoryRow]:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    current = [
        InventoryRow(key, 10 + i, ("STANDARD", "GLACIER", "STANDARD_IA")[i % 3], start + timedelta(days=i, seconds=i))
        for i, key in enumerate(KEYS)
    ]
    # noncurrent versions and delete markers are not in the tree (as a listing of current objects)
    old = [
        InventoryRow("logs/2024/01/app.log", 999, version_id="v0", is_latest=False),
        InventoryRow("gone/x", 0, version_id="v1", is_delete_marker=True),
    ]
    return current + old


def expected_objects() -> list[Obj]:
    return [
        (r.key, r.size or 0, r.storage_class, f"{r.last_modified:%Y-%m-%dT%H:%M:%S}.000Z")
        for r in rows()
        if r.is_latest and not r.is_delete_marker
    ]


def tree_json(cli: Any, aws_url: str, *args: str) -> dict[str, Any]:
    result = cli("--endpoint-url", aws_url, "--quiet", "--by", "tree", "--fmt", "tree-json", *args)
    assert result.code == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def folders_of(doc: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    (bucket,) = doc["Buckets"]
    return {
        f["Path"]: (f["FilesByClass"], f["BytesByClass"], f["Newest"], f["Oldest"], f["Folded"])
        for f in bucket["Folders"]
    }


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["CSV", "Parquet", "ORC"])
def test_the_tree_from_an_inventory_report_is_the_brute_force_fold(
    cli: Any, aws_url: str, tmp_path: Path, fmt: str
) -> None:
    new_bucket(aws_url, SRC)
    publish(aws_url, rows(), fmt=fmt, versions=True, rows_per_file=4)
    common = ("--strategy", "inventory", "--cache-dir", str(tmp_path), "--bucket", SRC)

    whole = tree_json(cli, aws_url, *common)
    assert folders_of(whole) == brute_force(expected_objects(), "/", 100_000)
    folded = tree_json(cli, aws_url, *common, "--tree-folders", "8")
    assert folders_of(folded) == brute_force(expected_objects(), "/", 8)
    assert folded["Buckets"][0]["FoldedBelowDepth"] == 1  # 7 top-level folders, and 14 below


def test_a_listing_and_an_inventory_report_give_the_same_tree(cli: Any, aws_url: str, tmp_path: Path) -> None:
    s3 = new_bucket(aws_url, SRC)
    for i, key in enumerate(KEYS):
        s3.put_object(Bucket=SRC, Key=key, Body=b"x" * (10 + i), StorageClass=("STANDARD", "GLACIER")[i % 2])
    listed = tree_json(cli, aws_url, "--strategy", "list", "--processes", "0", "--bucket", SRC, "--delimiter", "og")
    s3_rows = [
        InventoryRow(o["Key"], o["Size"], o.get("StorageClass", "STANDARD"), o["LastModified"])
        for o in s3.list_objects_v2(Bucket=SRC)["Contents"]
    ]
    publish(aws_url, s3_rows, fmt="Parquet")
    reported = tree_json(
        cli, aws_url, "--strategy", "inventory", "--cache-dir", str(tmp_path), "--bucket", SRC, "--delimiter", "og"
    )
    assert folders_of(listed) == folders_of(reported)
    # "og", a delimiter of two characters: "logs/2024/02/app.log" is the folder "log", then the folder
    # "log" + "s/2024/02/app.log" holding an object whose name is empty
    folders = folders_of(listed)
    assert "log" in folders and folders["logs/2024/02/app.log"][0] == {"GLACIER": 1}
