"""The listing strategy end to end against moto over HTTP: exact counts, hidden costs, scopes,
breakdowns in every format, validation and the progress display.

Expected figures come from plain boto3 calls (the ``list_objects_v2`` and
``list_object_versions`` paginators, ``list_multipart_uploads``/``list_parts``) or,
for breakdowns, from small reference implementations of the documented rules.
Large buckets are written straight into the in-process moto backend, as the demo
seed does: moto takes ~6 ms per PUT over HTTP, the listing still goes over HTTP.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from prometheus_client.parser import text_string_to_metric_families

from s3_storage_analyser.demo.seed import ACCOUNT_ID
from support.aws import make_bucket
from support.cli import CliResult
from support.listing import KIB, MIB, assert_counts, prefix_levels, reference_breakdowns
from support.snapshots import CLASSES

# Keys a listing must survive: spaces, '+', '%', '&', '<', controls, unicode, folder markers.
TRICKY_KEYS = [
    "a b.txt",
    "a+b.txt",
    "100%.csv",
    "%2F not a slash",
    "x&y<z>'\".txt",
    "ctl\x01\x08\x1f.bin",
    "tab\there",
    "é/naïve.txt",
    "日本/語.txt",
    "\U0001f600/emoji",
    "q?x=1&y=2#frag",
    "~tilde (paren)[bracket]",
    "a/",
    "a/b/",
    "a/b/c",
    "run books/x.txt",
    "foo+1/bar baz",
]


# --------------------------------------------------------------------------- helpers


def moto_backend() -> Any:
    """The in-process moto S3 backend behind ``aws_url`` (the server runs in this process)."""
    from moto.s3.models import s3_backends

    return s3_backends[ACCOUNT_ID]["aws"]


def put_direct(bucket: str, key: str, size: int, storage: str = "STANDARD", age_days: float | None = None) -> None:
    obj = moto_backend().put_object(bucket, key, b"\0" * size, storage=storage)
    if age_days is not None:
        obj.last_modified = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=age_days)


def listing(cli: Any, aws_url: str, *args: str, fmt: str = "json", expect: int = 0) -> CliResult:
    result: CliResult = cli("--strategy", "list", "--fmt", fmt, "--endpoint-url", aws_url, "--quiet", *args)
    assert result.code == expect, result.stderr
    return result


def listing_json(cli: Any, aws_url: str, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(listing(cli, aws_url, *args).stdout)
    assert data["Strategy"] == "list"
    return data


def by_name(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["Bucket"]: b for b in data["Buckets"]}


def paginator_sums(client: Any, bucket: str, prefix: str = "") -> tuple[dict[str, int], dict[str, int], int]:
    """(objects per class, bytes per class, keys) as a plain boto3 paginator sees the bucket."""
    objects: dict[str, int] = {}
    sizes: dict[str, int] = {}
    keys = 0
    params = {"Bucket": bucket, **({"Prefix": prefix} if prefix else {})}
    for page in client.get_paginator("list_objects_v2").paginate(**params):
        for obj in page.get("Contents", []):
            storage = obj.get("StorageClass") or "STANDARD"
            objects[storage] = objects.get(storage, 0) + 1
            sizes[storage] = sizes.get(storage, 0) + obj["Size"]
            keys += 1
    return objects, sizes, keys


def versions_truth(client: Any, bucket: str) -> dict[str, Any]:
    """Current and noncurrent versions per class and delete markers, per list_object_versions."""
    current: dict[str, list[int]] = {}
    noncurrent: dict[str, list[int]] = {}
    markers = 0
    for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for version in page.get("Versions", []):
            table = current if version["IsLatest"] else noncurrent
            cell = table.setdefault(version.get("StorageClass") or "STANDARD", [0, 0])
            cell[0] += 1
            cell[1] += version["Size"]
        markers += len(page.get("DeleteMarkers", []))
    return {
        "objects": {c: v[0] for c, v in current.items()},
        "bytes": {c: v[1] for c, v in current.items()},
        "noncurrent_objects": {c: v[0] for c, v in noncurrent.items()},
        "noncurrent_bytes": {c: v[1] for c, v in noncurrent.items()},
        "markers": markers,
    }


def uploads_truth(client: Any, bucket: str, prefix: str = "") -> dict[str, Any]:
    """Incomplete uploads, their parts and bytes, and the oldest initiation, per boto3."""
    params = {"Bucket": bucket, **({"Prefix": prefix} if prefix else {})}
    uploads = client.list_multipart_uploads(**params).get("Uploads", [])
    parts = [
        part["Size"]
        for upload in uploads
        for part in client.list_parts(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]).get("Parts", [])
    ]
    oldest = min((u["Initiated"] for u in uploads), default=None)
    return {
        "IncompleteUploads": len(uploads),
        "IncompleteUploadParts": len(parts),
        "IncompleteUploadBytes": sum(parts),
        "OldestIncompleteUpload": oldest.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if oldest else None,
    }


def start_upload(client: Any, bucket: str, key: str, part_sizes: Iterable[int]) -> str:
    upload_id: str = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    for number, size in enumerate(part_sizes, start=1):
        client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=b"u" * size)
    return upload_id


# --------------------------------------------------------------------------- exact counts


def seed_account(aws_url: str) -> dict[str, Any]:
    """Buckets in two regions: every class, empty, tricky keys with folder markers, and a big one."""
    east = make_bucket(aws_url, "classes-east")
    make_bucket(aws_url, "empty-east")
    west = make_bucket(aws_url, "tricky-west", "eu-west-1")
    make_bucket(aws_url, "big-west", "eu-west-1")

    def put_class(i: int) -> None:
        east.put_object(Bucket="classes-east", Key=f"c/{i:02d}", Body=b"x" * (i * 37 + 1), StorageClass=CLASSES[i % 8])

    def put_tricky(i: int) -> None:
        west.put_object(Bucket="tricky-west", Key=TRICKY_KEYS[i], Body=b"y" * (i + 3), StorageClass=CLASSES[i % 3 * 3])

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put_class, range(24)))
        list(pool.map(put_tricky, range(len(TRICKY_KEYS))))
    # 1,500 keys: two pages, so the second phase splits what the first left; every key needs encoding.
    # (moto scans the whole bucket per list request, so more keys cost seconds, not coverage.)
    for i in range(1500):
        key = f"{i % 10} dir+{i // 10 % 7}/obj %{i:05d}&<\x01é日\U0001f600.bin"
        put_direct("big-west", key, i % 97, ("STANDARD", "STANDARD_IA", "GLACIER")[i % 3])
    client = boto3.client("s3", region_name="us-east-1", endpoint_url=aws_url)
    return {name: paginator_sums(client, name) for name in ("classes-east", "empty-east", "tricky-west", "big-west")}


@pytest.mark.slow
@pytest.mark.parametrize("processes", ["0", "2"])
def test_listing_equals_the_paginator_in_every_bucket(aws_url: str, cli: Any, processes: str) -> None:
    truth = seed_account(aws_url)
    assert truth["tricky-west"][2] == len(TRICKY_KEYS)  # moto kept every tricky key apart
    assert truth["big-west"][2] == 1500
    assert len(truth["classes-east"][0]) == 8

    data = listing_json(cli, aws_url, "--processes", processes, "--conc", "4")

    buckets = by_name(data)
    assert sorted(buckets) == sorted(truth)
    assert data["Failures"] == []
    for name, (objects, sizes, _keys) in truth.items():
        assert_counts(buckets[name], objects, sizes)
    assert buckets["tricky-west"]["Region"] == buckets["big-west"]["Region"] == "eu-west-1"
    assert buckets["classes-east"]["Region"] == buckets["empty-east"]["Region"] == "us-east-1"
    assert buckets["empty-east"]["Files"] == buckets["empty-east"]["Bytes"] == 0


# --------------------------------------------------------------------------- versions and uploads


def test_the_endpoint_lists_versions_after_a_key_marker_as_s3_does(aws_url: str) -> None:
    """KeyMarker alone: every version of every key after it, none of the marker's own (S3's rule;
    moto itself dropped the first version after the marker, which the demo endpoint corrects)."""
    s3 = make_bucket(aws_url, "markers")
    s3.put_bucket_versioning(Bucket="markers", VersioningConfiguration={"Status": "Enabled"})
    for key in ("a/1", "a/2", "a/2", "b/1", "b/1", "c/1"):
        s3.put_object(Bucket="markers", Key=key, Body=b"x")

    def after(marker: str) -> list[str]:
        return [v["Key"] for v in s3.list_object_versions(Bucket="markers", KeyMarker=marker).get("Versions", [])]

    assert after("a/") == ["a/1", "a/2", "a/2", "b/1", "b/1", "c/1"]  # not a key: from the next one
    assert after("a/2") == ["b/1", "b/1", "c/1"]  # a key: none of its versions
    assert after("a/3") == ["b/1", "b/1", "c/1"]
    assert after("c/1") == []
    assert after("") == after("!") == ["a/1", "a/2", "a/2", "b/1", "b/1", "c/1"]


@pytest.mark.slow
def test_versions_of_a_bucket_with_folders_are_cut_and_exact(aws_url: str, cli: Any) -> None:
    """Past its first page, a versioned bucket with folders is probed (ListObjectVersions with a
    Delimiter: moto's XML, our parser) and cut at its folders; every version is counted once."""
    s3 = make_bucket(aws_url, "folders")
    s3.put_bucket_versioning(Bucket="folders", VersioningConfiguration={"Status": "Enabled"})
    # 14 folders of 75 keys, a second version for one key in 3: 1,400 versions, 2 pages. The first page
    # ends in f09, so the probe cuts the rest at f10..f13 (four ranges). moto reads every version of the
    # bucket for each request, so more folders or versions cost seconds, not coverage.
    for i in range(1050):
        key = f"f{i // 75:02d}/k{i % 75:02d}"
        put_direct("folders", key, 1 + i % 97, CLASSES[i % 3])
        if i % 3 == 0:
            put_direct("folders", key, 2 + i % 89, "STANDARD")
    truth = versions_truth(s3, "folders")

    bucket = by_name(listing_json(cli, aws_url, "--versions", "--processes", "0", "--conc", "8"))["folders"]

    assert_counts(bucket, truth["objects"], truth["bytes"])
    assert bucket["Files"] == 1050
    assert bucket["NoncurrentFiles"] == sum(truth["noncurrent_objects"].values()) == 350
    assert bucket["NoncurrentBytesByClass"] == truth["noncurrent_bytes"]


def test_versions_split_current_noncurrent_and_delete_markers(aws_url: str, cli: Any) -> None:
    s3 = make_bucket(aws_url, "versioned")
    s3.put_bucket_versioning(Bucket="versioned", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="versioned", Key="doc", Body=b"1" * 10)
    s3.put_object(Bucket="versioned", Key="doc", Body=b"2" * 20, StorageClass="STANDARD_IA")
    s3.put_object(Bucket="versioned", Key="gone b+", Body=b"3" * 30, StorageClass="GLACIER")
    s3.delete_object(Bucket="versioned", Key="gone b+")
    for size in (5, 6, 7):
        s3.put_object(Bucket="versioned", Key="thrice/é", Body=b"4" * size)
    s3.put_object(Bucket="versioned", Key="once", Body=b"5" * 100)
    s3.delete_object(Bucket="versioned", Key="never-existed")
    truth = versions_truth(s3, "versioned")
    # The history happened (moto adds no marker for a key that never existed; S3 would).
    assert truth["markers"] >= 1 and sum(truth["noncurrent_objects"].values()) == 4

    bucket = by_name(listing_json(cli, aws_url, "--versions", "--processes", "0"))["versioned"]

    assert_counts(bucket, truth["objects"], truth["bytes"])
    assert bucket["Files"] == 3  # doc, thrice/é, once: current versions only
    assert bucket["NoncurrentFiles"] == sum(truth["noncurrent_objects"].values())
    assert bucket["NoncurrentBytes"] == sum(truth["noncurrent_bytes"].values()) == 10 + 30 + 5 + 6
    assert bucket["NoncurrentBytesByClass"] == truth["noncurrent_bytes"]
    assert bucket["DeleteMarkers"] == truth["markers"]
    assert "IncompleteUploads" not in bucket  # not asked for


def test_uploads_count_incomplete_uploads_parts_and_bytes(aws_url: str, cli: Any) -> None:
    s3 = make_bucket(aws_url, "uploads")
    s3.put_object(Bucket="uploads", Key="done.bin", Body=b"d" * 9)
    start_upload(s3, "uploads", "big/a.bin", [100, 200, 300])
    start_upload(s3, "uploads", "b b+.bin", [50, 60])
    aborted = start_upload(s3, "uploads", "aborted.bin", [70])
    s3.abort_multipart_upload(Bucket="uploads", Key="aborted.bin", UploadId=aborted)
    truth = uploads_truth(s3, "uploads")
    assert truth["IncompleteUploads"] == 2

    bucket = by_name(listing_json(cli, aws_url, "--uploads", "--processes", "0"))["uploads"]

    assert bucket["IncompleteUploads"] == 2
    assert bucket["IncompleteUploadParts"] == 5
    assert bucket["IncompleteUploadBytes"] == 710
    assert {k: bucket[k] for k in truth} == truth
    assert bucket["Files"] == 1 and bucket["Bytes"] == 9  # parts are not objects
    assert "NoncurrentFiles" not in bucket


# --------------------------------------------------------------------------- s3://bucket/prefix/ scopes


def test_bucket_prefixes_list_only_their_keys(aws_url: str, cli: Any) -> None:
    s3 = make_bucket(aws_url, "scoped")
    objects = {
        "logs/": 0,
        "logs/a.txt": 10,
        "logs/sub/b c+.txt": 20,
        "logs2/not-logs": 40,
        "logsx": 45,
        "data/d 1+.csv": 50,
        "data/e": 60,
        "other/f": 70,
        "root.txt": 80,
    }
    for key, size in objects.items():
        s3.put_object(Bucket="scoped", Key=key, Body=b"s" * size, StorageClass="GLACIER" if size == 60 else "STANDARD")
    start_upload(s3, "scoped", "logs/up.bin", [11, 12])
    start_upload(s3, "scoped", "other/up.bin", [13])
    make_bucket(aws_url, "alpha-one").put_object(Bucket="alpha-one", Key="x/y", Body=b"a" * 5)
    make_bucket(aws_url, "alpha-two", "eu-west-1")
    make_bucket(aws_url, "beta-one").put_object(Bucket="beta-one", Key="q", Body=b"b" * 9)

    data = listing_json(
        cli,
        aws_url,
        "--bucket",
        "s3://scoped/logs/",
        "--bucket",
        "s3://scoped/data/",
        "--prefix",
        "alpha-*",
        "--uploads",
        "--processes",
        "0",
    )

    buckets = by_name(data)
    assert sorted(buckets) == ["alpha-one", "alpha-two", "scoped/data/", "scoped/logs/"]
    for label, (name, prefix) in {
        "scoped/logs/": ("scoped", "logs/"),
        "scoped/data/": ("scoped", "data/"),
        "alpha-one": ("alpha-one", ""),
        "alpha-two": ("alpha-two", ""),
    }.items():
        sums = paginator_sums(s3, name, prefix)
        assert_counts(buckets[label], sums[0], sums[1])
        assert {k: buckets[label][k] for k in ("IncompleteUploads", "IncompleteUploadBytes")} == {
            k: uploads_truth(s3, name, prefix)[k] for k in ("IncompleteUploads", "IncompleteUploadBytes")
        }
    assert buckets["scoped/logs/"]["Files"] == 3 and buckets["scoped/logs/"]["Bytes"] == 30
    assert buckets["scoped/logs/"]["IncompleteUploadBytes"] == 23
    assert buckets["scoped/data/"]["FilesByClass"] == {"STANDARD": 1, "GLACIER": 1}
    assert buckets["alpha-two"]["Region"] == "eu-west-1"


def test_bucket_prefix_label_in_tsv(aws_url: str, cli: Any) -> None:
    s3 = make_bucket(aws_url, "scoped")
    s3.put_object(Bucket="scoped", Key="logs/a", Body=b"1" * 1234)
    s3.put_object(Bucket="scoped", Key="data/b", Body=b"2" * 99)

    tsv = listing(cli, aws_url, "--bucket", "s3://scoped/logs/", "--processes", "0", fmt="tsv").stdout

    rows = list(csv.reader(io.StringIO(tsv), delimiter="\t"))
    header = rows[0]
    assert header[:4] == ["Bucket", "Region", "Files", "Total"]
    assert [row[:4] for row in rows[1:]] == [["scoped/logs/", "us-east-1", "1", "1234"]]


# --------------------------------------------------------------------------- breakdowns

# key, size, storage class, age in days (none near a band edge)
BREAKDOWN_OBJECTS: list[tuple[str, int, str, float]] = [
    ("a/x/1.txt", 10, "STANDARD", 1),
    ("a/x/2.TXT", 21, "STANDARD", 40),
    ("a/y/3.csv", 32, "STANDARD_IA", 100),
    ("b/4.csv", 200 * KIB, "STANDARD_IA", 400),
    ("c/z/5.gz", 2 * MIB, "GLACIER", 800),
    ("c/z/w/6.tar.gz", 130 * KIB, "GLACIER", 10),
    ("d/", 0, "STANDARD", 5),
    ("e/f.", 4, "STANDARD", 2),
    ("e/g.averylongextension", 5, "STANDARD", 2),
    ("e/h.PDF", MIB, "STANDARD_IA", 60),
    ("edge/128k.bin", 128 * KIB, "STANDARD", 3),
    ("edge/one.bin", 1, "STANDARD", 3),
    ("edge/just-under.bin", 128 * KIB - 1, "STANDARD", 3),
    ("top.json", 0, "STANDARD", 2000),
    ("noext", 7, "STANDARD", 3),
    (".hidden", 3, "STANDARD", 1000),
    ("r\u00e9sum\u00e9 x+y/a b.Md", 33, "STANDARD", 20),
]


def seed_breakdowns(aws_url: str, bucket: str = "bdown") -> None:
    make_bucket(aws_url, bucket)
    for key, size, storage, age in BREAKDOWN_OBJECTS:
        put_direct(bucket, key, size, storage, age)


def expected_breakdowns(depth: int, limit: int, top: int) -> dict[str, list[dict[str, Any]]]:
    return reference_breakdowns(BREAKDOWN_OBJECTS, depth=depth, limit=limit, top=top)


BREAKDOWN_ARGS = (
    "--by",
    "prefix",
    "--depth",
    "2",
    "--limit",
    "3",
    "--by",
    "size",
    "--by",
    "age",
    "--by",
    "extension",
    "--by",
    "storage-class",
    "--top",
    "4",
    "--processes",
    "0",
)


def test_breakdowns_in_json(aws_url: str, cli: Any) -> None:
    seed_breakdowns(aws_url)
    client = boto3.client("s3", region_name="us-east-1", endpoint_url=aws_url)
    modified = {
        o["Key"]: o["LastModified"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        for o in client.list_objects_v2(Bucket="bdown")["Contents"]
    }

    bucket = by_name(listing_json(cli, aws_url, *BREAKDOWN_ARGS))["bdown"]

    expected = expected_breakdowns(depth=2, limit=3, top=4)
    breakdowns = bucket["Breakdowns"]
    assert list(breakdowns) == ["prefix", "size", "age", "extension", "storage-class", "top"]
    for dimension in ("prefix", "size", "age", "extension", "storage-class"):
        assert breakdowns[dimension] == expected[dimension], dimension
    top = breakdowns["top"]
    assert [{k: row[k] for k in ("Key", "Bytes", "StorageClass")} for row in top] == expected["top"]
    assert [row["LastModified"][:19] for row in top] == [modified[row["Key"]] for row in top]
    # Level one of the prefixes, its (other) included, and every histogram add up to the bucket.
    level_one = prefix_levels(BREAKDOWN_OBJECTS, 2, 3)[0]
    assert breakdowns["prefix"][: len(level_one)] == level_one
    assert level_one[-1]["Key"] == "(other)"
    for rows in (level_one, breakdowns["size"], breakdowns["age"], breakdowns["extension"]):
        assert sum(r["Files"] for r in rows) == bucket["Files"] == len(BREAKDOWN_OBJECTS)
        assert sum(r["Bytes"] for r in rows) == bucket["Bytes"] == sum(o[1] for o in BREAKDOWN_OBJECTS)


def test_top_objects_break_ties_by_smallest_key(aws_url: str, cli: Any) -> None:
    """Equal sizes rank by key (as the rows are ordered); the kept set must follow the same rule."""
    s3 = make_bucket(aws_url, "ties")
    for key, size in (("a", 5), ("b", 5), ("c", 7), ("d", 5), ("e", 1)):
        s3.put_object(Bucket="ties", Key=key, Body=b"t" * size)

    bucket = by_name(listing_json(cli, aws_url, "--top", "2", "--processes", "0"))["ties"]

    assert [(row["Key"], row["Bytes"]) for row in bucket["Breakdowns"]["top"]] == [("c", 7), ("a", 5)]


@pytest.mark.parametrize(("fmt", "delimiter"), [("tsv", "\t"), ("csv", ",")])
def test_breakdowns_long_table(aws_url: str, cli: Any, fmt: str, delimiter: str) -> None:
    seed_breakdowns(aws_url)

    out = listing(cli, aws_url, *BREAKDOWN_ARGS, fmt=fmt).stdout

    rows = list(csv.reader(io.StringIO(out), delimiter=delimiter))
    assert rows[0] == ["Bucket", "Dimension", "Key", "Files", "Bytes", "StorageClass", "LastModified"]
    expected = expected_breakdowns(depth=2, limit=3, top=4)
    want = [
        ["bdown", dimension, row["Key"], str(row.get("Files", 1)), str(row["Bytes"]), row.get("StorageClass", "")]
        for dimension, dim_rows in expected.items()
        for row in dim_rows
    ]
    assert [row[:6] for row in rows[1:]] == want
    assert all(row[6] == "" for row in rows[1:] if row[1] != "top")
    assert all(row[6].startswith("20") for row in rows[1:] if row[1] == "top")


def test_breakdowns_in_the_table_have_a_section_each(aws_url: str, cli: Any) -> None:
    seed_breakdowns(aws_url)

    out = listing(cli, aws_url, *BREAKDOWN_ARGS, fmt="table").stdout

    titles = ["bdown by prefix", "bdown by size", "bdown by age", "bdown by extension", "bdown by storage-class"]
    positions = [out.index(title) for title in [*titles, "bdown: largest objects"]]
    assert positions == sorted(positions)  # in the order asked, the largest objects last
    assert "c/z/5.gz" in out[positions[-1] :]
    assert "128 KiB-1 MiB" in out[positions[1] : positions[2]]
    assert f"({sum(o[1] for o in BREAKDOWN_OBJECTS):,} bytes) in {len(BREAKDOWN_OBJECTS)} objects" in out


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "args",
    [
        ["--versions"],
        ["--uploads"],
        ["--by", "prefix"],
        ["--by", "storage-class"],
        ["--top", "3"],
        ["--bucket", "s3://some-bucket/logs/"],
    ],
    ids=["versions", "uploads", "by-prefix", "by-class", "top", "bucket-prefix"],
)
def test_listing_only_flags_need_the_list_strategy(aws_url: str, cli: Any, args: list[str]) -> None:
    result = cli("--strategy", "cloudwatch", "--endpoint-url", aws_url, "--fmt", "json", *args)

    assert result.code == 2
    assert "--strategy list" in result.stderr
    assert result.stdout == ""


def test_empty_delimiter_is_a_usage_error(aws_url: str, cli: Any) -> None:
    result = cli("--strategy", "list", "--endpoint-url", aws_url, "--by", "prefix", "--delimiter", "")

    assert result.code == 2
    assert "--delimiter" in result.stderr
    assert result.stdout == ""


# --------------------------------------------------------------------------- prometheus


def test_prometheus_exposes_hidden_costs_exactly(aws_url: str, cli: Any) -> None:
    s3 = make_bucket(aws_url, "hidden", "eu-west-1")
    s3.put_bucket_versioning(Bucket="hidden", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="hidden", Key="k", Body=b"1" * 1000)
    s3.put_object(Bucket="hidden", Key="k", Body=b"2" * 10)
    s3.put_object(Bucket="hidden", Key="cold", Body=b"3" * 777, StorageClass="GLACIER")
    s3.delete_object(Bucket="hidden", Key="cold")
    s3.delete_object(Bucket="hidden", Key="k")
    start_upload(s3, "hidden", "up", [5_242_981, 3])

    out = listing(cli, aws_url, "--versions", "--uploads", "--processes", "0", fmt="prometheus").stdout

    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(out)
        for s in family.samples
    }
    labels = (("bucket", "hidden"), ("region", "eu-west-1"))

    def value(name: str, **extra: str) -> float:
        return samples[(name, tuple(sorted((*labels, *extra.items()))))]

    assert value("s3_bucket_noncurrent_size_bytes", storage_class="STANDARD") == 1010
    assert value("s3_bucket_noncurrent_size_bytes", storage_class="GLACIER") == 777
    assert value("s3_bucket_noncurrent_objects", storage_class="STANDARD") == 2
    assert value("s3_bucket_delete_markers") == 2
    assert value("s3_bucket_incomplete_uploads") == 1
    assert value("s3_bucket_incomplete_upload_size_bytes") == 5_242_984
    current = [
        v for key, v in samples.items() if key[0] == "s3_bucket_size_bytes" and dict(key[1])["bucket"] == "hidden"
    ]
    assert current and set(current) == {0}  # nothing current is left


# --------------------------------------------------------------------------- progress display


@pytest.mark.parametrize(("tty", "quiet", "shown"), [(False, False, False), (True, True, False), (True, False, True)])
def test_progress_only_on_a_terminal_and_never_with_quiet(
    aws_url: str, cli: Any, monkeypatch: pytest.MonkeyPatch, tty: bool, quiet: bool, shown: bool
) -> None:
    make_bucket(aws_url, "progress").put_object(Bucket="progress", Key="k", Body=b"1")
    if tty:
        monkeypatch.setattr(sys.stderr, "isatty", lambda: True)

    args = ["--strategy", "list", "--fmt", "json", "--endpoint-url", aws_url, "--processes", "0"]
    result = cli(*args, *(["--quiet"] if quiet else []))

    assert result.code == 0
    assert json.loads(result.stdout)["Buckets"][0]["Files"] == 1
    if shown:
        assert "listing: 1 objects" in result.stderr  # the control case: a terminal does get it
    else:
        assert result.stderr == ""
