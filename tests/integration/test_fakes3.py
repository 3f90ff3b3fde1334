"""The fast fake S3 endpoint, checked through real botocore parsing, paginators and retries."""

from __future__ import annotations

import http.client
import time
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from support.fakes3 import (
    BucketSpec,
    FakeObject,
    FakeS3,
    FakeUpload,
    FakeVersion,
    Fault,
    FlatHexKeys,
    KeySource,
    ListKeys,
    RateLimit,
    ServerSpec,
    TokenBucket,
    TreeKeys,
    build_server,
    measure_page_building,
    prefix_end,
    run_server_process,
)

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"

# Keys a listing must survive: spaces, '+', '%', XML specials, controls, unicode, folder markers.
TRICKY = [
    "a b.txt",
    "a+b.txt",
    "100%.csv",
    "x&y<z>'\".txt",
    "ctl\x01\x08\x1f.bin",
    "cr\r\nlf\ttab",
    "é/naïve.txt",
    "日本/語.txt",
    "\U0001f600/emoji",
    "folder/",
    "folder/sub/",
    "folder/sub/file",
    "folder/z",
    "run books/x.txt",
    "quux ab/thud",
    "foo+1/bar",
    "foo/bar/xyzzy",
    "asdf+b",
    "~tilde",
    "(paren)[bracket]",
]


@pytest.fixture(autouse=True)
def no_instance_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def client(url: str, *, retry: bool = True, read_timeout: float = 10.0) -> Any:
    """A path-style client; botocore's max_retry=False0 means ten retries, total_max_retry=False none."""
    retries: Any = {"mode": "standard", "max_attempts": 10} if retry else {"mode": "standard", "total_max_attempts": 1}
    config = Config(
        s3={"addressing_style": "path"},
        retries=retries,
        read_timeout=read_timeout,
        connect_timeout=2,
    )
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=config,
    )


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeS3]:
    server = FakeS3()
    server.add_bucket("flat", FlatHexKeys(5000, seed=7))
    server.add_bucket("tree", TreeKeys(4, 5, 30))
    server.add_bucket("tricky", ListKeys.from_keys(TRICKY, size=3))
    server.add_bucket("empty", ListKeys([]), region="eu-west-1")
    server.add_bucket("versioned", ListKeys([]), versions=VERSIONS, uploads=UPLOADS)
    server.start()
    yield server
    server.stop()
    assert server.errors == []


@pytest.fixture(scope="module")
def s3(fake: FakeS3) -> Any:
    return client(fake.url)


def list_keys(s3: Any, page_size: int = 1000, **params: Any) -> tuple[list[str], list[str]]:
    """(keys, common prefixes) over every page of the ListObjectsV2 paginator."""
    keys: list[str] = []
    prefixes: list[str] = []
    pages = s3.get_paginator("list_objects_v2").paginate(**params, PaginationConfig={"PageSize": page_size})
    for page in pages:
        assert page["KeyCount"] == len(page.get("Contents", [])) + len(page.get("CommonPrefixes", []))
        assert page["KeyCount"] <= page_size
        keys += [o["Key"] for o in page.get("Contents", [])]
        prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    return keys, prefixes


def reference(keys: list[str], prefix: str = "", delimiter: str = "", after: str = "") -> tuple[list[str], list[str]]:
    """What S3 lists, by brute force over the sorted keys."""
    contents: list[str] = []
    prefixes: list[str] = []
    for key in sorted(keys):
        if not key.startswith(prefix) or key <= after:
            continue
        cut = key.find(delimiter, len(prefix)) if delimiter else -1
        if cut < 0:
            contents.append(key)
            continue
        common = key[: cut + len(delimiter)]
        if common not in prefixes and not after.startswith(common):
            prefixes.append(common)
    return contents, prefixes


def all_keys(source: KeySource) -> list[str]:
    return [source.key(i) for i in range(len(source))]


# --------------------------------------------------------------------------- key sources


@pytest.mark.parametrize(
    "source",
    [FlatHexKeys(3000), FlatHexKeys(777, seed=3, prefix="p/"), TreeKeys(3, 7, 11), TreeKeys(2, 3, 4, limit=17)],
    ids=["flat", "flat-prefixed", "tree", "tree-limited"],
)
def test_generated_sources_are_sorted_unique_and_searchable(source: KeySource) -> None:
    keys = all_keys(source)
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys) == len(source)
    for i in (0, 1, len(keys) // 2, len(keys) - 1):
        assert source.bisect_left(keys[i]) == i
        assert source.bisect_right(keys[i]) == i + 1
        assert source.bisect_right(keys[i][:-1]) == source.bisect_left(keys[i][:-1])
    assert source.bisect_left("") == 0
    assert source.bisect_right("\U0010ffff") == len(keys)


def test_flat_hex_keys_spread_over_every_hex_prefix() -> None:
    keys = all_keys(FlatHexKeys(4096))
    assert all(len(k) == 16 and int(k, 16) >= 0 and "/" not in k for k in keys)
    firsts = {k[0] for k in keys}
    assert firsts == set("0123456789abcdef")
    assert max(sum(k[0] == c for k in keys) for c in firsts) < 300  # 256 each, evenly


def test_generated_attributes_vary_deterministically() -> None:
    source = FlatHexKeys(2000)
    objects = [source.obj(i) for i in range(2000)]
    assert objects == [FlatHexKeys(2000).obj(i) for i in range(2000)]
    assert {o.storage_class for o in objects} == {"STANDARD", "STANDARD_IA", "GLACIER"}
    assert sum(o.storage_class == "STANDARD" for o in objects) > 1000
    assert all(1 <= o.size <= 65536 for o in objects)
    years = {o.last_modified[:4] for o in objects}
    assert years == {"2020", "2021", "2022", "2023", "2024", "2025"}
    assert FlatHexKeys(10, seed=1).key(3) != FlatHexKeys(10, seed=2).key(3)


def test_prefix_end_bounds_every_key_with_the_prefix() -> None:
    assert prefix_end("") is None
    assert prefix_end("ab") == "ac"
    assert prefix_end("a\U0010ffff") == "b"
    end = prefix_end("d01/")
    assert end is not None
    assert "d01/\U0010ffff\U0010ffff" < end <= "d010"


# --------------------------------------------------------------------------- ListObjectsV2


@pytest.mark.parametrize("bucket", ["flat", "tree", "tricky"])
def test_paginator_lists_every_key_in_order_with_exact_attributes(fake: FakeS3, s3: Any, bucket: str) -> None:
    source = fake.keys(bucket)
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=bucket))
    objects = [o for page in pages for o in page.get("Contents", [])]
    assert [o["Key"] for o in objects] == all_keys(source)
    assert len(pages) == -(-len(source) // 1000)
    assert all(p["IsTruncated"] for p in pages[:-1]) and not pages[-1]["IsTruncated"]
    for i, o in enumerate(objects):
        want = source.obj(i)
        assert (o["Size"], o["StorageClass"], o["ETag"]) == (want.size, want.storage_class, want.etag)
        assert o["LastModified"].strftime("%Y-%m-%dT%H:%M:%S.000Z") == want.last_modified


def test_small_pages_and_max_keys_cap(s3: Any) -> None:
    keys, _ = list_keys(s3, page_size=7, Bucket="tree", Prefix="d02/")
    assert keys == [k for k in all_keys(TreeKeys(4, 5, 30)) if k.startswith("d02/")]
    page = s3.list_objects_v2(Bucket="flat", MaxKeys=5000)
    assert page["KeyCount"] == 1000 and page["IsTruncated"]


@pytest.mark.parametrize(
    ("prefix", "delimiter", "after"),
    [
        ("", "/", ""),
        ("folder/", "/", ""),
        ("folder/", "", ""),
        ("fo", "/", ""),
        ("", "+", ""),
        ("", "/", "a b.txt"),
        ("", "/", "folder/sub/"),
        ("", "", "cr"),
        ("é/", "/", ""),
        ("nothing", "/", ""),
    ],
)
def test_prefix_delimiter_start_after_match_a_brute_force_listing(
    s3: Any, prefix: str, delimiter: str, after: str
) -> None:
    params: dict[str, str] = {"Bucket": "tricky", "Prefix": prefix, "Delimiter": delimiter, "StartAfter": after}
    for page_size in (1, 2, 1000):
        assert list_keys(s3, page_size, **params) == reference(TRICKY, prefix, delimiter, after)


def test_common_prefixes_roll_up_a_tree_and_count_toward_max_keys(s3: Any) -> None:
    keys, prefixes = list_keys(s3, page_size=2, Bucket="tree", Delimiter="/")
    assert (keys, prefixes) == ([], ["d00/", "d01/", "d02/", "d03/"])
    keys, prefixes = list_keys(s3, page_size=3, Bucket="tree", Prefix="d01/", Delimiter="/")
    assert prefixes == [f"d01/s{b:03d}/" for b in range(5)]
    first = s3.list_objects_v2(Bucket="tree", Delimiter="/", MaxKeys=3)
    assert first["KeyCount"] == 3 and first["IsTruncated"]


def test_url_encoding_round_trips_when_botocore_asked_for_it(s3: Any) -> None:
    # botocore adds EncodingType=url itself and then decodes Key, Prefix, Delimiter, StartAfter.
    keys, prefixes = list_keys(s3, Bucket="tricky", Delimiter="/")
    assert (keys, prefixes) == reference(TRICKY, delimiter="/")
    assert "ctl\x01\x08\x1f.bin" in keys and "cr\r\nlf\ttab" in keys


def test_explicit_url_encoding_is_returned_encoded_like_aws(s3: Any) -> None:
    page = s3.list_objects_v2(Bucket="tricky", Delimiter="/", EncodingType="url")
    assert page["EncodingType"] == "url"
    keys = [o["Key"] for o in page["Contents"]]
    assert "a%20b.txt" in keys and "a%2Bb.txt" in keys and "100%25.csv" in keys and "asdf%2Bb" in keys
    assert "ctl%01%08%1F.bin" in keys and "~tilde" in keys and "%28paren%29%5Bbracket%5D" in keys
    prefixes = [p["Prefix"] for p in page["CommonPrefixes"]]
    assert {"foo%2B1/", "foo/", "quux%20ab/", "%C3%A9/", "%E6%97%A5%E6%9C%AC/"} <= set(prefixes)
    assert page["Delimiter"] == "/"
    page = s3.list_objects_v2(Bucket="tricky", Prefix="a ", StartAfter="a a", EncodingType="url")
    assert (page["Prefix"], page["StartAfter"]) == ("a%20", "a%20a")


def raw_get(url: str, target: str) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(urllib.parse.urlsplit(url).netloc, timeout=5)
    conn.request("GET", target)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, dict(response.getheaders()), body


def test_unencoded_listing_escapes_xml_like_s3(fake: FakeS3) -> None:
    status, _, body = raw_get(fake.url, "/tricky?list-type=2&prefix=x")
    assert status == 200
    assert b"<Key>x&amp;y&lt;z&gt;&apos;&quot;.txt</Key>" in body
    root = ET.fromstring(body)
    assert [e.text for e in root.iter(f"{NS}Key")] == ["x&y<z>'\".txt"]
    _, _, body = raw_get(fake.url, "/tricky?list-type=2&prefix=c")
    # Tab, CR and LF survive as references; other controls are written as S3 writes them.
    assert b"<Key>cr&#xd;&#xa;lf&#x9;tab</Key>" in body and b"<Key>ctl&#x1;&#x8;&#x1f;.bin</Key>" in body


def test_response_shape_and_element_order(fake: FakeS3) -> None:
    status, headers, body = raw_get(fake.url, "/flat?list-type=2&max-keys=2&start-after=0")
    assert status == 200 and headers["Content-Type"] == "application/xml"
    assert int(headers["Content-Length"]) == len(body)
    root = ET.fromstring(body)
    assert root.tag == f"{NS}ListBucketResult"
    contents = root.findall(f"{NS}Contents")
    assert len(contents) == 2
    assert [c.tag.removeprefix(NS) for c in contents[0]] == ["Key", "LastModified", "ETag", "Size", "StorageClass"]
    assert root.findtext(f"{NS}StartAfter") == "0" and root.findtext(f"{NS}KeyCount") == "2"
    assert b"<ETag>&quot;" in body


def test_continuation_token_and_errors(fake: FakeS3, s3: Any) -> None:
    first = s3.list_objects_v2(Bucket="flat", MaxKeys=10)
    second = s3.list_objects_v2(Bucket="flat", MaxKeys=10, ContinuationToken=first["NextContinuationToken"])
    assert second["ContinuationToken"] == first["NextContinuationToken"]
    assert second["Contents"][0]["Key"] > first["Contents"][-1]["Key"]
    with pytest.raises(botocore.exceptions.ClientError) as missing:
        s3.list_objects_v2(Bucket="nope")
    assert missing.value.response["Error"]["Code"] == "NoSuchBucket"
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert raw_get(fake.url, "/flat?list-type=2&continuation-token=%%%")[0] == 400
    assert raw_get(fake.url, "/flat?list-type=2&max-keys=-1")[0] == 400
    assert raw_get(fake.url, "/flat?list-type=2&encoding-type=base64")[0] == 400


def test_empty_bucket_and_zero_max_keys(s3: Any) -> None:
    page = s3.list_objects_v2(Bucket="empty")
    assert page["KeyCount"] == 0 and not page["IsTruncated"] and "Contents" not in page
    page = s3.list_objects_v2(Bucket="flat", MaxKeys=0)
    assert page["KeyCount"] == 0 and not page["IsTruncated"]


def test_list_objects_v1_paginates_with_markers(s3: Any) -> None:
    pages = s3.get_paginator("list_objects").paginate(Bucket="tricky", Delimiter="/", PaginationConfig={"PageSize": 2})
    keys: list[str] = []
    prefixes: list[str] = []
    for page in pages:
        keys += [o["Key"] for o in page.get("Contents", [])]
        prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    assert (keys, prefixes) == reference(TRICKY, delimiter="/")
    flat = s3.get_paginator("list_objects").paginate(Bucket="flat", PaginationConfig={"PageSize": 999})
    assert [o["Key"] for p in flat for o in p["Contents"]] == all_keys(FlatHexKeys(5000, seed=7))


# --------------------------------------------------------------------------- other operations

VERSIONS = [
    FakeVersion("a", "a3", True, 30, last_modified="2025-03-01T00:00:00.000Z"),
    FakeVersion("a", "a1", False, 10, last_modified="2025-01-01T00:00:00.000Z"),
    FakeVersion("a", "a2", False, 20, last_modified="2025-02-01T00:00:00.000Z"),
    FakeVersion("b b", "b2", True, 0, last_modified="2025-02-01T00:00:00.000Z", is_delete_marker=True),
    FakeVersion("b b", "b1", False, 5, "GLACIER", "2025-01-01T00:00:00.000Z"),
    FakeVersion("dir/c", "c1", True, 7, "STANDARD_IA"),
    FakeVersion("dir/d", "d1", True, 8),
]
UPLOADS = [
    FakeUpload("big+file", "u2", "2025-05-02T00:00:00.000Z", (5 << 20, 5 << 20, 123)),
    FakeUpload("big+file", "u1", "2025-05-01T00:00:00.000Z", (5 << 20,)),
    FakeUpload("other", "u3", "2025-05-03T00:00:00.000Z", (), "STANDARD_IA"),
    FakeUpload("x/y", "u4", "2025-05-04T00:00:00.000Z", (1,)),
]


@pytest.mark.parametrize("page_size", [1, 2, 3, 1000])
def test_list_object_versions_interleaves_versions_and_delete_markers(s3: Any, page_size: int) -> None:
    order: list[tuple[str, str, bool]] = []
    pages = s3.get_paginator("list_object_versions").paginate(
        Bucket="versioned", PaginationConfig={"PageSize": page_size}
    )
    for page in pages:
        items = [(v["Key"], v["VersionId"], v["IsLatest"], v["LastModified"]) for v in page.get("Versions", [])]
        items += [(m["Key"], m["VersionId"], m["IsLatest"], m["LastModified"]) for m in page.get("DeleteMarkers", [])]
        order += [
            (k, vid, latest) for k, vid, latest, _ in sorted(items, key=lambda t: (t[0], not t[2], -t[3].timestamp()))
        ]
    assert order == [
        ("a", "a3", True),
        ("a", "a2", False),
        ("a", "a1", False),
        ("b b", "b2", True),
        ("b b", "b1", False),
        ("dir/c", "c1", True),
        ("dir/d", "d1", True),
    ]


def test_versions_xml_interleaves_versions_and_delete_markers_in_key_order(fake: FakeS3) -> None:
    status, _, body = raw_get(fake.url, "/versioned?versions")
    assert status == 200
    root = ET.fromstring(body)
    entries = [e for e in root if e.tag in (f"{NS}Version", f"{NS}DeleteMarker")]
    assert [(e.tag.removeprefix(NS), e.findtext(f"{NS}VersionId")) for e in entries] == [
        ("Version", "a3"),
        ("Version", "a2"),
        ("Version", "a1"),
        ("DeleteMarker", "b2"),
        ("Version", "b1"),
        ("Version", "c1"),
        ("Version", "d1"),
    ]
    children = [c.tag.removeprefix(NS) for c in entries[0]]
    assert children == ["Key", "VersionId", "IsLatest", "LastModified", "ETag", "Size", "Owner", "StorageClass"]


def test_list_object_versions_markers_delimiter_and_null_versions(s3: Any) -> None:
    page = s3.list_object_versions(Bucket="versioned", MaxKeys=2)
    assert (page["NextKeyMarker"], page["NextVersionIdMarker"], page["IsTruncated"]) == ("a", "a2", True)
    page = s3.list_object_versions(Bucket="versioned", KeyMarker="a", VersionIdMarker="a2", MaxKeys=1)
    assert [v["VersionId"] for v in page["Versions"]] == ["a1"]
    page = s3.list_object_versions(Bucket="versioned", Delimiter="/")
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["dir/"]
    assert page["DeleteMarkers"][0]["Key"] == "b b"
    flat = list(s3.get_paginator("list_object_versions").paginate(Bucket="flat"))
    versions = [v for p in flat for v in p["Versions"]]
    assert [v["Key"] for v in versions] == all_keys(FlatHexKeys(5000, seed=7))
    assert {(v["VersionId"], v["IsLatest"]) for v in versions} == {("null", True)}


def test_multipart_uploads_and_parts(s3: Any) -> None:
    pages = s3.get_paginator("list_multipart_uploads").paginate(Bucket="versioned", PaginationConfig={"PageSize": 1})
    uploads = [(u["Key"], u["UploadId"], u["StorageClass"]) for p in pages for u in p.get("Uploads", [])]
    assert uploads == [
        ("big+file", "u1", "STANDARD"),
        ("big+file", "u2", "STANDARD"),
        ("other", "u3", "STANDARD_IA"),
        ("x/y", "u4", "STANDARD"),
    ]
    page = s3.list_multipart_uploads(Bucket="versioned", Prefix="x/")
    assert [u["Initiated"].year for u in page["Uploads"]] == [2025]
    parts = s3.get_paginator("list_parts").paginate(
        Bucket="versioned", Key="big+file", UploadId="u2", PaginationConfig={"PageSize": 2}
    )
    listed = [(p["PartNumber"], p["Size"]) for page in parts for p in page.get("Parts", [])]
    assert listed == [(1, 5 << 20), (2, 5 << 20), (3, 123)]
    with pytest.raises(botocore.exceptions.ClientError) as error:
        s3.list_parts(Bucket="versioned", Key="other", UploadId="u2")
    assert error.value.response["Error"]["Code"] == "NoSuchUpload"


def test_bucket_location_head_bucket_and_list_buckets(s3: Any) -> None:
    assert s3.get_bucket_location(Bucket="flat")["LocationConstraint"] is None
    assert s3.get_bucket_location(Bucket="empty")["LocationConstraint"] == "eu-west-1"
    assert s3.head_bucket(Bucket="empty")["BucketRegion"] == "eu-west-1"
    with pytest.raises(botocore.exceptions.ClientError) as missing:
        s3.head_bucket(Bucket="nope")
    assert missing.value.response["Error"]["Code"] == "404"
    listed = s3.list_buckets()
    assert [b["Name"] for b in listed["Buckets"]] == ["empty", "flat", "tree", "tricky", "versioned"]
    assert listed["Owner"]["ID"]
    pages = s3.get_paginator("list_buckets").paginate(PaginationConfig={"PageSize": 2})
    regions = [(b["Name"], b["BucketRegion"]) for p in pages for b in p["Buckets"]]
    assert regions[0] == ("empty", "eu-west-1") and len(regions) == 5


def test_keep_alive_with_exact_content_length(fake: FakeS3) -> None:
    conn = http.client.HTTPConnection(urllib.parse.urlsplit(fake.url).netloc, timeout=5)
    sockets = []
    for target in ("/flat?list-type=2", "/flat?location", "/nope?list-type=2", "/flat?list-type=2&max-keys=1"):
        conn.request("GET", target, headers={"Authorization": "AWS4-HMAC-SHA256 Credential=anything"})
        response = conn.getresponse()
        assert len(response.read()) == int(response.headers["Content-Length"])
        sockets.append(conn.sock)
    assert len(set(map(id, sockets))) == 1
    conn.close()


def test_stats_count_requests_and_the_largest_page(fake: FakeS3, s3: Any) -> None:
    before = fake.stats.snapshot()
    s3.list_objects_v2(Bucket="flat", MaxKeys=3)
    s3.list_objects_v2(Bucket="flat")
    s3.get_bucket_location(Bucket="flat")
    after = fake.stats.snapshot()
    assert after.requests["ListObjectsV2"] == before.requests.get("ListObjectsV2", 0) + 2
    assert after.keys_listed == before.keys_listed + 1003
    assert after.requests["GetBucketLocation"] == before.requests.get("GetBucketLocation", 0) + 1
    assert after.max_page_keys == 1000


# --------------------------------------------------------------------------- faults and latency


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("500", 500, "InternalError"),
        ("503-slowdown", 503, "SlowDown"),
        ("throttle", 400, "ThrottlingException"),
        ("403", 403, "AccessDenied"),
    ],
)
def test_error_faults_answer_with_s3_errors(kind: str, status: int, code: str) -> None:
    with FakeS3(faults=[Fault("ListObjectsV2", kind, every=1)]) as fake:
        fake.add_bucket("b", FlatHexKeys(10))
        s3 = client(fake.url, retry=False)
        with pytest.raises(botocore.exceptions.ClientError) as error:
            s3.list_objects_v2(Bucket="b")
        assert error.value.response["Error"]["Code"] == code
        assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
        assert s3.get_bucket_location(Bucket="b")["LocationConstraint"] is None  # other ops unaffected
        assert fake.stats.faults == {kind: 1}


@pytest.mark.parametrize("kind", ["reset", "truncate"])
def test_connection_faults_break_the_response(kind: str) -> None:
    with FakeS3(faults=[Fault("*", kind, every=1)]) as fake:
        fake.add_bucket("b", FlatHexKeys(10))
        with pytest.raises((botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError)):
            client(fake.url, retry=False).list_objects_v2(Bucket="b")


@pytest.mark.parametrize("kind", ["500", "503-slowdown", "throttle", "reset", "truncate", "timeout"])
def test_standard_retries_recover_exact_results(kind: str) -> None:
    faults = [Fault("ListObjectsV2", kind, every=2, limit=2)]
    with FakeS3(faults=faults, timeout_sleep=0.6) as fake:
        fake.add_bucket("b", FlatHexKeys(2500))
        keys, _ = list_keys(client(fake.url, read_timeout=0.3), Bucket="b")
        assert keys == all_keys(FlatHexKeys(2500))
        assert fake.stats.faults == {kind: 2}
        assert fake.stats.requests["ListObjectsV2"] == 5  # three pages and two retries


def test_probability_faults_are_seeded_and_bounded_by_limit() -> None:
    def injected(seed: int) -> list[int]:
        with FakeS3(faults=[Fault("GetBucketLocation", "500", probability=0.5)], seed=seed) as fake:
            fake.add_bucket("b", FlatHexKeys(1))
            return [raw_get(fake.url, "/b?location")[0] for _ in range(40)]

    first = injected(1)
    assert first == injected(1) != injected(2)
    assert 5 < first.count(500) < 35
    with FakeS3(faults=[Fault("*", "503-slowdown", every=1, bucket="b", limit=3)]) as fake:
        fake.add_bucket("b", FlatHexKeys(1))
        fake.add_bucket("c", FlatHexKeys(1))
        assert [raw_get(fake.url, "/c?location")[0] for _ in range(2)] == [200, 200]
        assert [raw_get(fake.url, "/b?location")[0] for _ in range(5)] == [503, 503, 503, 200, 200]


def test_unknown_fault_is_rejected() -> None:
    with pytest.raises(ValueError, match="kind"):
        FakeS3(faults=[Fault("ListObjectsV2", "boom")])
    with pytest.raises(ValueError, match="op"):
        FakeS3(faults=[Fault("GetObject", "500")])


def test_latency_delays_every_request() -> None:
    with FakeS3(latency=0.05) as fake:
        fake.add_bucket("b", FlatHexKeys(1))
        started = time.perf_counter()
        for _ in range(3):
            raw_get(fake.url, "/b?location")
        assert time.perf_counter() - started >= 0.15


def statuses_on_one_connection(url: str, target: str, n: int) -> list[tuple[int, str]]:
    """``n`` requests on one keep-alive connection: each one's status and error code ("" for none)."""
    conn = http.client.HTTPConnection(urllib.parse.urlsplit(url).netloc, timeout=5)
    out = []
    for _ in range(n):
        conn.request("GET", target)
        response = conn.getresponse()
        body = response.read()
        code = ET.fromstring(body).findtext("Code") if response.status != 200 else None
        out.append((response.status, code or ""))
    conn.close()
    return out


def test_token_bucket_refills_at_its_rate_up_to_its_burst() -> None:
    delay = TokenBucket(RateLimit(rate=10, burst=2), now=0.0)
    assert [delay.take(0.0), delay.take(0.0)] == [0.0, 0.0]
    assert delay.take(0.0) == pytest.approx(0.1)  # taken anyway: the next one queues behind it
    assert delay.take(0.0) == pytest.approx(0.2)
    assert delay.take(10.0) == 0.0  # refilled, but never past the burst
    assert [delay.take(10.0), delay.take(10.0) > 0] == [0.0, True]
    refuse = TokenBucket(RateLimit(rate=10, burst=1, mode="slowdown"), now=0.0)
    assert [refuse.take(0.0), refuse.take(0.0), refuse.take(0.05)] == [0.0, pytest.approx(0.1), pytest.approx(0.05)]
    assert refuse.take(0.1) == 0.0  # a refused request took nothing
    for bad in (RateLimit(rate=0), RateLimit(rate=5, burst=0), RateLimit(rate=5, mode="queue")):  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="rate"):
            FakeS3(rate_limit=bad)


def test_rate_limit_answers_slowdown_past_each_connections_burst() -> None:
    # A token every 100 s: only each connection's burst of 2 is served, whatever the machine's speed.
    with FakeS3(rate_limit=RateLimit(rate=0.01, burst=2, mode="slowdown")) as fake:
        fake.add_bucket("b", FlatHexKeys(5))
        target = "/b?list-type=2"
        served, refused = (200, ""), (503, "SlowDown")
        assert statuses_on_one_connection(fake.url, target, 4) == [served, served, refused, refused]
        assert statuses_on_one_connection(fake.url, target, 2) == [served, served]  # a budget of its own
        stats = fake.stats.snapshot()
    assert (stats.throttled, stats.connections, stats.requests["ListObjectsV2"]) == (2, 2, 6)
    assert stats.keys_listed == 4 * 5 and stats.faults == {}


def test_rate_limit_delays_each_connection_to_its_rate() -> None:
    spec = ServerSpec(buckets=(BucketSpec("b", "flat", 10),), rate_limit=RateLimit(rate=20, burst=2))
    with build_server(spec) as fake:
        started = time.perf_counter()
        assert statuses_on_one_connection(fake.url, "/b?list-type=2", 6) == [(200, "")] * 6
        elapsed = time.perf_counter() - started
        stats = fake.stats.snapshot()
    # Six requests at 20 a second after a burst of two cannot take less than 4 / 20 s: a bound the
    # server enforces, not a speed. Each wait was counted; nothing was refused.
    assert elapsed >= 0.2
    assert stats.throttled <= 4 and stats.throttle_wait_seconds <= 0.2 + 1e-6
    assert stats.keys_listed == 60 and stats.faults == {}
    assert FakeS3().rate_limit is None  # off unless asked for


# --------------------------------------------------------------------------- subprocess and speed


def test_server_in_a_subprocess_serves_a_spec_and_returns_its_stats() -> None:
    spec = ServerSpec(
        buckets=(
            BucketSpec("flat", "flat", 2000, {"seed": 7}),
            BucketSpec("tree", "tree", 250, {"dirs": 2, "subdirs": 5}, region="eu-west-1"),
            BucketSpec("list", "list", params={"objects": (FakeObject("k", 1),)}),
        ),
        faults=(Fault("ListObjectsV2", "500", every=2, limit=1),),
    )
    url, stop = run_server_process(spec)
    try:
        s3 = client(url)
        assert list_keys(s3, Bucket="flat")[0] == all_keys(FlatHexKeys(2000, seed=7))
        assert list_keys(s3, Bucket="tree")[0] == all_keys(TreeKeys(2, 5, 25, limit=250))
        assert list_keys(s3, Bucket="list")[0] == ["k"]
        assert s3.get_bucket_location(Bucket="tree")["LocationConstraint"] == "eu-west-1"
    finally:
        stats = stop()
    assert stats.faults == {"500": 1}
    assert stats.max_page_keys == 1000 and stats.keys_listed == 2251
    assert stop() == stats


def test_page_building_lists_every_key() -> None:
    # Its speed (> 1M keys/s on an idle core) is the benchmark's business: no timing assertion here.
    assert measure_page_building(100_000) > 0  # it asserts itself that every key was listed once


class SquareKeys:
    """A KeySource by protocol only (no SortedKeys base): the server's generic path."""

    def __init__(self, n: int, broken: bool = False) -> None:
        self.n, self.broken = n, broken

    def __len__(self) -> int:
        return self.n

    def key(self, i: int) -> str:
        return f"sq/{i * i:08d}"

    def obj(self, i: int) -> FakeObject:
        if self.broken:
            raise RuntimeError("broken source")
        return FakeObject(self.key(i), i)

    def bisect_left(self, key: str) -> int:
        return next((i for i in range(self.n) if self.key(i) >= key), self.n)

    def bisect_right(self, key: str) -> int:
        return next((i for i in range(self.n) if self.key(i) > key), self.n)


def test_protocol_only_sources_are_served_and_their_bugs_surface() -> None:
    with FakeS3() as fake:
        fake.add_bucket("sq", SquareKeys(30))
        fake.add_bucket("broken", SquareKeys(3, broken=True))
        s3 = client(fake.url, retry=False)
        assert list_keys(s3, page_size=4, Bucket="sq", StartAfter="sq/00000004")[0] == all_keys(SquareKeys(30))[3:]
        with pytest.raises(botocore.exceptions.ClientError):
            s3.list_objects_v2(Bucket="broken")
        assert len(fake.errors) == 1 and "broken source" in fake.errors[0]
