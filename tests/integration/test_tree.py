"""``--by tree`` end to end: listed over HTTP (FakeS3) across worker processes, folded exactly, saved in the
history and read back, written for ncdu (and read by ncdu itself where it is installed) and as JSON."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from s3_storage_analyser.aggregate import BreakdownSpec
from s3_storage_analyser.aws import Aws, AwsOptions
from s3_storage_analyser.listing.engine import _ProcessExecutor
from s3_storage_analyser.report import ScanOptions, scan
from s3_storage_analyser.store import Store
from s3_storage_analyser.tree.access import load_tree, tree_of, trees_in
from support.fakes3 import FakeObject, FakeS3, KeySource, ListKeys, TreeKeys
from support.tree_truth import Obj, brute_force, expected_folded, flattened, tree_piece

# Keys a tree must survive: empty segments, a key equal to the delimiter, controls and escapes, a
# right-to-left override, a lone delimiter run, non-ASCII, and a path 300 folders deep.
HOSTILE_KEYS = [
    "a//b",
    "/",
    "//",
    "/lead",
    "ctl\x1b[31m/red\x07.txt",
    "rtl\u202e/txt.exe",
    "日本/語/x",
    "deep/" * 300 + "bottom",
    "plain.txt",
    "logs/2024/01/app.log",
    "logs/2024/02/app.log",
    "logs/",
]


@pytest.fixture
def fakes3() -> Iterator[Callable[..., FakeS3]]:
    started: list[FakeS3] = []

    def start(buckets: dict[str, KeySource], **kwargs: Any) -> FakeS3:
        fake = FakeS3(**kwargs)
        for name, keys in buckets.items():
            fake.add_bucket(name, keys)
        fake.start()
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.stop()
        assert fake.errors == []


def objects_of(keys: KeySource) -> list[Obj]:
    return [(o.key, o.size, o.storage_class, o.last_modified) for o in map(keys.obj, range(len(keys)))]


def hostile_bucket() -> ListKeys:
    return ListKeys(
        FakeObject(key, 10 + i, ("STANDARD", "GLACIER")[i % 2], f"2024-0{1 + i % 9}-01T00:00:00.000Z")
        for i, key in enumerate(sorted(HOSTILE_KEYS))
    )


def test_the_tree_is_exact_and_folded_alike_across_the_listing_pieces(fakes3: Callable[..., FakeS3]) -> None:
    keys = TreeKeys(6, 30, 60)  # 10,800 keys in 6 + 180 folders: 11 pages, cut into slices listed 4 at a time
    fake = fakes3({"tree": keys})
    spec = BreakdownSpec(("tree",), tree_folders=100)  # 186 folders: the second level is folded
    options = ScanOptions(strategy="list", concurrency=4, processes=0, breakdowns=spec)

    snapshot = scan(Aws(AwsOptions(endpoint_url=fake.url)), options)

    [report] = snapshot.buckets
    tree = tree_of(report)
    assert tree is not None and tree.bucket == "tree"
    objs = objects_of(keys)
    assert flattened(tree) == brute_force(objs, "/", 100)
    assert tree.folded == expected_folded(objs, "/", 100) == 6 and tree.depth == 1
    totals = tree.root.totals()
    assert totals.objects == dict(report.usage.objects_by_class)
    assert totals.bytes == dict(report.usage.bytes_by_class)


@pytest.mark.slow
def test_worker_processes_list_pieces_of_the_tree(
    fakes3: Callable[..., FakeS3], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A listing whose worker process (spawned: it knows --by tree from the registry on import) lists part
    of the bucket: its pieces of the tree come back pickled and merge into the exact, folded tree."""
    monkeypatch.setattr(_ProcessExecutor, "BUSY_WINDOWS", 0)  # the worker starts at the first check (0.5 s)
    keys = TreeKeys(6, 30, 150)  # 27,000 keys in 6 + 180 folders: 27 pages, 2 in flight, 0.2 s each
    fake = fakes3({"tree": keys}, latency=0.2)
    parent_pages: list[int] = []
    aws = Aws(AwsOptions(endpoint_url=fake.url))
    # a hook of this process only (workers sign with their own clients); it must return None, or botocore
    # takes what it returns for the response
    aws.event_hooks.append(("before-send.s3.ListObjectsV2", lambda **_: parent_pages.append(1)))
    spec = BreakdownSpec(("tree",), tree_folders=100)  # 186 folders: the second level is folded
    snapshot = scan(aws, ScanOptions(strategy="list", concurrency=2, processes=1, breakdowns=spec))

    listed = fake.stats.requests["ListObjectsV2"]
    assert listed - len(parent_pages) > 0, "the worker process listed no page"
    [report] = snapshot.buckets
    tree = tree_of(report)
    assert tree is not None
    objs = objects_of(keys)
    assert flattened(tree) == brute_force(objs, "/", 100)
    assert tree.folded == expected_folded(objs, "/", 100) == 6


@pytest.mark.slow
def test_spawned_processes_build_pieces_that_merge_into_the_whole() -> None:
    """As listing workers do: a spawned process knows --by tree from the registry on import, and the
    accumulators it sends back (pickled) merge, folded early or not, into the tree of the whole."""
    objs = sorted(objects_of(TreeKeys(4, 8, 5)) + objects_of(hostile_bucket()))
    cuts = [0, 7, 60, 61, 130, len(objs)]
    pieces = [(objs[a:b], "/", 10) for a, b in itertools.pairwise(cuts)]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        built = pool.starmap(tree_piece, pieces)
    assert any(piece.depth_limit is not None for piece in built)  # some pieces folded before the merge
    whole = built.pop()
    for piece in reversed(built):
        whole.merge(piece)
    tree = whole.tree("mixed")
    assert flattened(tree) == brute_force(objs, "/", 10)
    assert tree.folded == expected_folded(objs, "/", 10) > 0


@pytest.mark.slow
def test_hostile_keys_in_every_tree_output_and_the_history(
    cli: Any, fakes3: Callable[..., FakeS3], tmp_path: Path
) -> None:
    fake = fakes3({"hostile": hostile_bucket(), "logs": TreeKeys(2, 3, 4)})
    db = tmp_path / "history.sqlite3"
    common = ("--endpoint-url", fake.url, "--strategy", "list", "--processes", "0", "--quiet", "--by", "tree")

    saved = cli(*common, "--fmt", "ncdu", "--save", "--db", str(db))
    assert saved.code == 0, saved.stderr
    export = json.loads(saved.stdout)
    assert export[:2] == [1, 2] and export[2]["progname"] == "s3-storage-analyser"
    root = export[3]
    assert root[0] == {"name": "s3://"} and [entry[0]["name"] for entry in root[1:]] == ["hostile", "logs"]
    assert "\x1b" not in saved.stdout and "\\u001b" not in saved.stdout and "\u202e" not in saved.stdout
    hostile = root[1]
    names = [entry[0]["name"] if isinstance(entry, list) else entry["name"] for entry in hostile[1:]]
    assert "ctl\\x1b[31m" in names and "rtl\\u202e" in names and "(empty)" in names  # visible, inert
    assert sum(_asizes(hostile)) == sum(10 + i for i in range(len(HOSTILE_KEYS)))

    store = Store(db, read_only=True)
    (snapshot_id,) = store.latest_ids(1)
    assert trees_in(store, snapshot_id) == ["hostile", "logs"]
    tree = load_tree(store, snapshot_id, "hostile")
    assert tree is not None
    objs = objects_of(hostile_bucket())
    assert flattened(tree) == brute_force(objs, "/", 100_000)
    deepest = tree.find("deep/" * 300)
    assert deepest is not None and deepest.own_objects == 1 and not deepest.children
    assert load_tree(store, snapshot_id, "no-such-bucket") is None
    store.close()

    # the history gives the same export, byte for byte, and the same tree as JSON as the scan did
    shown = cli("show", str(snapshot_id), "--db", str(db), "--fmt", "ncdu")
    assert shown.code == 0, shown.stderr
    assert shown.stdout == saved.stdout
    listed = cli(*common, "--fmt", "tree-json")
    again = cli("show", str(snapshot_id), "--db", str(db), "--fmt", "tree_json")
    assert listed.code == again.code == 0
    doc, stored = json.loads(listed.stdout), json.loads(again.stdout)
    assert doc["Buckets"] == stored["Buckets"]
    folders = {f["Path"]: f for f in doc["Buckets"][0]["Folders"]}
    assert folders[""]["TotalFiles"] == len(HOSTILE_KEYS)
    assert folders["a/"]["Folders"] == 1 and folders["a//"]["Files"] == 1  # "a//b": the folder "a/" then "/"
    assert folders["ctl\x1b[31m/"]["Files"] == 1  # exact in JSON, escaped as \u001b
    assert "\x1b" not in listed.stdout


def _asizes(entry: Any) -> list[int]:
    if isinstance(entry, list):
        return [size for child in entry[1:] for size in _asizes(child)]
    return [int(entry.get("asize", 0))]


@pytest.mark.skipif(shutil.which("ncdu") is None, reason="ncdu is not installed (.ci/run installs it)")
def test_ncdu_reads_the_export(cli: Any, fakes3: Callable[..., FakeS3], tmp_path: Path) -> None:
    keys = TreeKeys(3, 4, 5)
    fake = fakes3({"one": keys, "two": hostile_bucket()})
    for bucket, fmt_args in (("one", ("--bucket", "one")), (None, ())):
        result = cli(
            "--endpoint-url", fake.url, "--strategy", "list", "--processes", "0", "-q", "--by", "tree", "--fmt", "ncdu",
            *fmt_args,
        )  # fmt: skip
        assert result.code == 0, result.stderr
        given, read = tmp_path / "export.json", tmp_path / "read.json"
        given.write_text(result.stdout, encoding="utf-8")
        # ncdu imports the file (-f) and exports what it read (-o): it must parse every entry
        done = subprocess.run(
            ["ncdu", "-f", str(given), "-o", str(read)],
            check=False,
            capture_output=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 0, done.stderr
        back = json.loads(read.read_text(encoding="utf-8"))
        assert back[3][0]["name"] == ("s3://one" if bucket else "s3://")
        expected = sum(o[1] for o in objects_of(keys)) + (
            0 if bucket else sum(o[1] for o in objects_of(hostile_bucket()))
        )
        assert sum(_asizes(back[3])) == expected


def test_tree_formats_need_the_tree(cli: Any, fakes3: Callable[..., FakeS3], tmp_path: Path) -> None:
    fake = fakes3({"one": TreeKeys(2, 2, 2)})
    common = ("--endpoint-url", fake.url, "--strategy", "list", "--processes", "0", "-q")
    refused = cli(*common, "--fmt", "ncdu")
    assert refused.code == 2 and "--by tree" in refused.stderr and "Traceback" not in refused.stderr
    cloudwatch = cli("--endpoint-url", fake.url, "--by", "tree", "--fmt", "ncdu")
    assert cloudwatch.code == 2
    lone = cli(*common, "--tree-folders", "10")
    assert lone.code == 2 and "--by tree" in lone.stderr
    db = tmp_path / "h.sqlite3"
    assert cli(*common, "--save", "--db", str(db), "--fmt", "json").code == 0
    no_tree = cli("show", "--db", str(db), "--fmt", "ncdu")
    assert no_tree.code == 2 and "no folder tree" in no_tree.stderr
    # without --by tree every other output is what it was: the tree appears in none of them
    plain = cli(*common, "--fmt", "json")
    with_tree = cli(*common, "--fmt", "json", "--by", "tree")
    rows = json.loads(with_tree.stdout)["Buckets"][0]["Breakdowns"]["tree"]  # the first level, largest first
    assert {row["Key"]: row["Files"] for row in rows} == {"d00/": 4, "d01/": 4}
    assert [row["Bytes"] for row in rows] == sorted((row["Bytes"] for row in rows), reverse=True)
    table = cli(*common, "--by", "tree")
    assert "one folder tree (first level)" in table.stdout and "d00/" in table.stdout
    assert "Breakdowns" not in json.loads(plain.stdout)["Buckets"][0]


def test_a_prefix_scan_is_rooted_at_its_prefix(cli: Any, fakes3: Callable[..., FakeS3], tmp_path: Path) -> None:
    fake = fakes3({"hostile": hostile_bucket()})
    db = tmp_path / "h.sqlite3"
    common = ("--endpoint-url", fake.url, "--strategy", "list", "--processes", "0", "-q", "--by", "tree")
    result = cli(*common, "--bucket", "s3://hostile/logs/20", "--fmt", "ncdu", "--save", "--db", str(db))
    assert result.code == 0, result.stderr
    root = json.loads(result.stdout)[3]
    assert root[0] == {"name": "s3://hostile/logs/"}  # the folder holding the scope: "20" is part of a name
    assert [entry[0]["name"] for entry in root[1:]] == ["2024"]
    store = Store(db, read_only=True)
    (snapshot_id,) = store.latest_ids(1)
    (label,) = trees_in(store, snapshot_id)
    tree = load_tree(store, snapshot_id, label)
    store.close()
    assert label == "hostile/logs/20" and tree is not None
    assert (tree.bucket, tree.prefix) == ("hostile/logs/20", "")  # the report's name, as browse reads it
    doc = json.loads(cli(*common, "--bucket", "s3://hostile/logs/", "--fmt", "tree-json").stdout)
    (bucket,) = doc["Buckets"]
    assert (bucket["Bucket"], bucket["Prefix"]) == ("hostile", "logs/")
    assert {f["Path"]: f["TotalFiles"] for f in bucket["Folders"]}["logs/"] == 3  # the marker "logs/" too
