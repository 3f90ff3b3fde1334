"""A range listed folder by folder (Prefix=folder) counts every key exactly once (issue 16).

After a target's first page, one delimited request past its last key names the level's files and
folders; the files are counted from that answer and each folder is listed with Prefix=folder. Keys of
the parent level sort between and inside the folders' ranges ("a.txt" < "a/" < "a/b" < "a0"), the
folder holding the first page's last key may be named or not, a folder may be a key itself ("a/"):
none may be lost or counted twice.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from s3_storage_analyser.aggregate import BreakdownSpec
from s3_storage_analyser.aws import Aws, AwsOptions
from s3_storage_analyser.listing.ranges import KeyRange, folder_pieces, is_level
from s3_storage_analyser.listing.worker import RunnerConfig, SliceRunner
from s3_storage_analyser.report import ScanOptions, scan
from support.fakes3 import FakeObject, FakeS3, KeySource, ListKeys


def delimited(keys: list[str], prefix: str, after: str) -> tuple[list[str], list[str]]:
    """S3's delimited answer past ``after``, as documented: (files, folders), each sorted."""
    files: list[str] = []
    folders: set[str] = set()
    for key in keys:
        if key.startswith(prefix) and key > after:
            rest = key[len(prefix) :]
            if "/" in rest:
                folders.add(prefix + rest[: rest.index("/") + 1])
            else:
                files.append(key)
    return sorted(files), sorted(folders)


# Few characters, "/" and the ones sorting just before and after it (".", "0"), and one past ASCII.
KEYS = st.lists(st.text(alphabet="ab/.0é", min_size=1, max_size=7), min_size=2, max_size=60, unique=True)


@settings(max_examples=400, deadline=None)
@given(
    keys=KEYS,
    prefix=st.sampled_from(["", "a", "a/", "b/a"]),
    cut=st.integers(min_value=1, max_value=59),
    name_holding=st.booleans(),
)
def test_files_and_folder_pieces_cover_the_rest_exactly_once(
    keys: list[str], prefix: str, cut: int, name_holding: bool
) -> None:
    under = sorted(k for k in keys if k.startswith(prefix))
    assume(len(under) >= 2)
    first_page, rest = under[: min(cut, len(under) - 1)], under[min(cut, len(under) - 1) :]
    after = first_page[-1]
    files, folders = delimited(under, prefix, after)
    if not name_holding:  # a server that leaves out the folder the start is in (FakeS3 does)
        folders = [f for f in folders if not after.startswith(f)]
    assert is_level(prefix, files, folders)

    pieces = folder_pieces(KeyRange("b", "r", prefix), after, folders)

    listed = [key for piece in pieces for key in under if key.startswith(piece.prefix) and piece.contains(key)]
    assert sorted(files + listed) == rest  # equal sorted lists of distinct keys: each once, none lost
    assert all(p.upto is None and p.fan_out == 0 for p in pieces)  # each ends where its folder ends


def test_an_answer_that_is_not_one_level_is_refused() -> None:
    """A file holding the delimiter, or a folder holding it twice, would be counted twice."""
    assert is_level("", ["a.txt", "a0"], ["a/", "b/"])
    assert not is_level("", ["a/b"], ["a/"])
    assert not is_level("", ["a.txt"], ["a/b/"])
    assert not is_level("p/", [], ["q/"])
    assert not is_level("", [], ["a"])


def tricky_tree() -> list[str]:
    """Over a page of keys in "a/", the parent level's keys around it, a folder that is a key, deeper folders."""
    keys = ["a", "a.txt", "a/", "a0", "a0/x", "a/b/", "b", "b.c/d", "c/", "c/c/c/c", "é/1"]
    keys += [f"a/b/{i:04d}" for i in range(1200)] + [f"a/{i:03d}.bin" for i in range(150)]
    keys += [f"z{i % 7}/{i:04d}" for i in range(900)] + [f"y{i:03d}" for i in range(40)]
    return sorted(keys)


@pytest.fixture
def fake() -> Iterator[FakeS3]:
    objects = [FakeObject(k, len(k), "STANDARD" if i % 3 else "STANDARD_IA") for i, k in enumerate(tricky_tree())]
    buckets: dict[str, KeySource] = {"tricky": ListKeys(objects)}
    server = FakeS3()
    for name, source in buckets.items():
        server.add_bucket(name, source)
    server.start()
    yield server
    server.stop()
    assert server.errors == []


def test_a_fan_out_slice_and_its_folder_pieces_count_each_key_once(fake: FakeS3) -> None:
    """Against FakeS3's own delimited answers: the first page, the files of the level, then each piece."""
    runner = SliceRunner(RunnerConfig(AwsOptions(endpoint_url=fake.url), None, BreakdownSpec()))
    first = runner.run(KeyRange("tricky", "us-east-1", fan_out=64), 1)
    assert first.error_code is None and first.pieces is not None
    assert [p.prefix for p in first.pieces] == ["a/", "a0/", "b.c/", "c/", *[f"z{i}/" for i in range(7)], "é/"]
    counted = first.tally.keys
    for piece in first.pieces:
        result = runner.run(piece, 1_000)
        assert result.error_code is None and result.remainder is None
        counted += result.tally.keys
    assert counted == len(tricky_tree())


def test_a_scan_of_a_tricky_tree_is_exact(fake: FakeS3) -> None:
    snapshot = scan(Aws(AwsOptions(endpoint_url=fake.url)), ScanOptions(strategy="list", concurrency=8, processes=0))

    [report] = snapshot.buckets
    keys = tricky_tree()
    standard = [k for i, k in enumerate(keys) if i % 3]
    assert dict(report.usage.objects_by_class) == {"STANDARD": len(standard), "STANDARD_IA": len(keys) - len(standard)}
    assert report.usage.bytes_by_class["STANDARD"] == sum(map(len, standard))
    assert sum(report.usage.bytes_by_class.values()) == sum(map(len, keys))
    assert fake.stats.snapshot().requests["ListObjectsV2"] <= 16  # the first page, the level, 13 folders
