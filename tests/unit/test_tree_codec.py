"""A stored tree is untrusted: every field is checked as it is read, and a forged one is a named history
error, never a wrong tree, a crash or a hang. What is stored comes back exactly."""

from __future__ import annotations

import json
import sqlite3
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from s3_storage_analyser.errors import StoreError
from s3_storage_analyser.model import Bucket, BucketReport, Snapshot, Usage
from s3_storage_analyser.store import Store
from s3_storage_analyser.tree import codec
from s3_storage_analyser.tree.access import load_tree, trees_in
from s3_storage_analyser.tree.builder import TreeBreakdown
from s3_storage_analyser.tree.codec import decode_tree, encode_tree, tree_to_dict
from s3_storage_analyser.tree.model import FolderTree
from support.tree_truth import flattened

T = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def sample_tree() -> FolderTree:
    tree = TreeBreakdown("/", 100)
    for i, key in enumerate(["a/b/c", "a/x", "top", "lone\udc80/s", "ctl\x00\x1b/k", "a//b", "/"]):
        tree.add(key, 10 * i, ("STANDARD", "GLACIER")[i % 2], f"2024-01-0{i + 1}T00:00:00.000Z")
    return tree.tree("bucket")


def forged(change: Any) -> bytes:
    data = tree_to_dict(sample_tree())
    change(data)
    return zlib.compress(json.dumps(data).encode())


def test_a_tree_comes_back_exactly() -> None:
    tree = sample_tree()
    back = decode_tree(encode_tree(tree))
    assert back == tree and flattened(back) == flattened(tree)
    assert back.find("lone\udc80/") is not None and back.find("ctl\x00\x1b/") is not None


def _set(path: list[Any], value: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        target: Any = data
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return change


FORGERIES = {
    "version": _set(["v"], 2),
    "delimiter": _set(["delimiter"], ""),
    "bucket": _set(["bucket"], 7),
    "depth": _set(["depth"], -1),
    "max folders": _set(["max_folders"], "many"),
    "no folders": _set(["parent"], []),
    "root parent": _set(["parent", 0], 0),
    "forward parent": _set(["parent", 1], 5),
    "negative parent": _set(["parent", 1], -3),
    "parent bool": _set(["parent", 1], True),
    "parent column": _set(["parent"], {"0": -1}),
    "name without delimiter": _set(["name", 1], "x"),
    "root named": _set(["name", 0], "r/"),
    "name column short": lambda data: data["name"].pop(),
    "name twice": lambda data: [
        data[c].append(data[c][1]) for c in ("parent", "name", "objects", "bytes", "newest", "oldest")
    ],
    "folded out of range": _set(["folded"], [99]),
    "folded twice": _set(["folded"], [1, 1]),
    "objects": _set(["objects", 1], [1]),
    "negative bytes": _set(["bytes", 1], {"STANDARD": -1}),
    "float objects": _set(["objects", 1], {"STANDARD": 1.0}),
    "bool objects": _set(["objects", 1], {"STANDARD": True}),
    "bytes of another class": _set(["bytes", 1], {"OTHER": 1}),
    "time": _set(["newest", 1], "x" * 1000),
    "time type": _set(["oldest", 1], 5),
    "document": lambda data: data.clear(),
}


@pytest.mark.parametrize("name", FORGERIES)
def test_a_forged_tree_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="stored tree"):
        decode_tree(forged(FORGERIES[name]))


@pytest.mark.parametrize(
    "blob",
    [b"", b"not zlib", zlib.compress(b"[1, 2")[:-3], zlib.compress(b"{]"), zlib.compress(b"[" * 100_000)],
)
def test_broken_bytes_are_refused(blob: bytes) -> None:
    with pytest.raises(ValueError, match="stored tree"):
        decode_tree(blob)


def test_the_decompressed_size_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codec, "MAX_DECOMPRESSED", 1000)
    with pytest.raises(ValueError, match="larger than 1000 bytes"):
        decode_tree(zlib.compress(b" " * 10_000_000))  # a 10 MB bomb in 10 KB: never inflated whole


def test_the_history_keeps_each_buckets_tree(tmp_path: Path) -> None:
    tree = sample_tree()
    reports = (
        BucketReport(Bucket("with", "us-east-1"), Usage(objects=7, tree=tree)),
        BucketReport(Bucket("without", "us-east-1"), Usage(objects=1)),
    )
    store = Store(tmp_path / "h.sqlite3")
    snapshot_id = store.save(Snapshot("list", T, reports, breakdowns=("tree",)))
    assert trees_in(store, snapshot_id) == ["with"]
    loaded = load_tree(store, snapshot_id, "with")
    assert loaded is not None and flattened(loaded) == flattened(tree) and loaded.bucket == "with"
    assert load_tree(store, snapshot_id, "without") is None and load_tree(store, 2**70, "with") is None
    assert store.load(snapshot_id).buckets[0].usage.tree is None  # the report itself is read without it
    # a tree forged in the file is a named error of the history
    db = sqlite3.connect(tmp_path / "h.sqlite3")
    db.execute("UPDATE bucket_trees SET tree = ?", (forged(_set(["parent", 1], 99)),))
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="folder tree of bucket 'with' in snapshot"):
        load_tree(store, snapshot_id, "with")
    store.close()


def test_show_of_a_forged_tree_is_an_error_not_a_traceback(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    store = Store(path)
    report = BucketReport(Bucket("b", "us-east-1"), Usage(objects=7, tree=sample_tree()))
    snapshot_id = store.save(Snapshot("list", T, (report,), breakdowns=("tree",)))
    store.close()
    db = sqlite3.connect(path)
    db.execute("UPDATE bucket_trees SET tree = ?", (b"\x00garbage",))
    db.commit()
    db.close()
    result = cli("show", str(snapshot_id), "--db", str(path), "--fmt", "ncdu")
    assert result.code == 1 and "not one this tool stores" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
