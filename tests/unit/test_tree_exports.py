"""The tree's exports: ncdu's JSON format (checked against its documented shape, and read by ncdu itself
where it is installed) and the flat tree JSON; both written without recursion, however deep the keys."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from s3_storage_analyser.model import Bucket, BucketReport, Failure, Snapshot, Usage
from s3_storage_analyser.render import render
from s3_storage_analyser.tree.builder import TreeBreakdown
from s3_storage_analyser.tree.codec import decode_tree, encode_tree
from s3_storage_analyser.tree.model import FolderTree

T = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
DEEPEST = "/" * 1024 + "x"  # S3's longest key, every character a delimiter: 1,024 levels of empty names


def tree_of_keys(keys: list[str], max_folders: int = 100_000) -> FolderTree:
    tree = TreeBreakdown("/", max_folders)
    for i, key in enumerate(keys):
        tree.add(key, 100 + i, "STANDARD", "2024-03-01T10:00:00.000Z")
    return tree.tree()


def snapshot(*trees: tuple[str, FolderTree], failures: tuple[Failure, ...] = ()) -> Snapshot:
    reports = tuple(BucketReport(Bucket(name, "us-east-1"), Usage(objects=1, tree=tree)) for name, tree in trees)
    return Snapshot("list", T, reports, failures=failures, breakdowns=("tree",))


def check_ncdu_shape(item: Any) -> None:
    """The documented shape: a directory is [info, entries...], a file an object; each has a name."""
    stack = [item]
    while stack:
        entry = stack.pop()
        if isinstance(entry, list):
            assert entry and isinstance(entry[0], dict) and isinstance(entry[0]["name"], str) and entry[0]["name"]
            stack.extend(entry[1:])
        else:
            assert isinstance(entry, dict) and entry["name"] and entry["asize"] == entry["dsize"] >= 0


def test_one_bucket_is_the_root_with_each_folders_objects_as_one_file() -> None:
    tree = tree_of_keys(["logs/a", "logs/b", "logs/2024/c", "top"])
    out = render(snapshot(("b", tree)), "ncdu")
    major, minor, meta, root = json.loads(out)
    assert (major, minor) == (1, 2) and meta["progname"] == "s3-storage-analyser"
    assert meta["timestamp"] == int(T.timestamp())
    check_ncdu_shape(root)
    assert root[0] == {"name": "s3://b"}
    assert root[1] == {"name": "(1 object)", "asize": 103, "dsize": 103, "mtime": 1709287200}
    logs = root[2]
    assert logs[0] == {"name": "logs"} and logs[1]["name"] == "(2 objects)" and logs[1]["asize"] == 201
    assert logs[2][0] == {"name": "2024"} and logs[2][1]["asize"] == 102


def test_several_buckets_and_a_failed_one_under_one_root() -> None:
    failure = Failure("gone", "us-east-1", "list", "AccessDenied", "no")
    out = render(snapshot(("a", tree_of_keys(["k"])), ("b", tree_of_keys(["d/k"])), failures=(failure,)), "ncdu")
    root = json.loads(out)[3]
    check_ncdu_shape(root)
    assert root[0] == {"name": "s3://"}
    assert [entry[0]["name"] for entry in root[1:]] == ["a", "b", "gone"]
    assert root[3][0].get("read_error") is True


def test_a_folded_folder_says_so_in_ncdu_and_json() -> None:
    tree = tree_of_keys(["a/1/x", "a/2/y", "b/z"], max_folders=2)
    assert tree.folded == 1 and tree.depth == 1
    root = json.loads(render(snapshot(("b", tree)), "ncdu"))[3]
    assert root[1][1]["name"] == "(2 objects, deeper folders folded in)"
    doc = json.loads(render(snapshot(("b", tree)), "tree_json"))
    (bucket,) = doc["Buckets"]
    assert (bucket["FoldedFolders"], bucket["FoldedBelowDepth"], bucket["MaxFolders"]) == (1, 1, 2)
    folders = {f["Path"]: f for f in bucket["Folders"]}
    assert list(folders) == ["", "a/", "b/"]
    assert folders["a/"]["Folded"] and folders["a/"]["Files"] == 2 and folders[""]["TotalFiles"] == 3
    assert folders[""]["Folders"] == 2 and folders["a/"]["TotalBytes"] == 100 + 101


def test_the_deepest_key_is_written_without_recursion(tmp_path: Path) -> None:
    tree = tree_of_keys([DEEPEST, "a"])
    assert decode_tree(encode_tree(tree)) == tree  # Folder.__eq__ walks without recursion
    out = render(snapshot(("deep", tree)), "ncdu")
    assert out.count("(empty)") == 1024
    doc = json.loads(render(snapshot(("deep", tree)), "tree_json"))
    assert max(f["Depth"] for f in doc["Buckets"][0]["Folders"]) == 1024
    if shutil.which("ncdu"):
        given, read = tmp_path / "in.json", tmp_path / "out.json"
        given.write_text(out, encoding="utf-8")
        done = subprocess.run(
            ["ncdu", "-f", str(given), "-o", str(read)],
            check=False,
            capture_output=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 0, done.stderr
        assert read.read_text(encoding="utf-8").count('"(empty)"') == 1024
