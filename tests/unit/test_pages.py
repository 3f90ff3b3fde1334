"""The fast ListObjectsV2 / ListObjectVersions parsers, against xml.etree and botocore as oracles."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from functools import cache
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus

import botocore.handlers
import botocore.parsers
import botocore.session
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from s3_storage_analyser.listing.pages import (
    PageError,
    _objects_any_order,
    decode_key,
    parse_objects,
    parse_versions,
)
from s3_storage_analyser.listing.pages import xml_text as unescape
from support.fakes3 import (
    FakeObject,
    FakeS3,
    FakeVersion,
    ListKeys,
    parse_request,
    url_text,
    xml_text,
)

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
TAIL = "</ListBucketResult>"
V_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
V_TAIL = "</ListVersionsResult>"
ETAG = "&quot;d41d8cd98f00b204e9800998ecf8427e&quot;"
CHECKSUMS = "<ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType>"
OWNER = "<Owner><ID>75aa57f09aa0c8ca</ID><DisplayName>me</DisplayName></Owner>"

# Keys a listing must survive: spaces, '+', '%', XML specials, controls, unicode, folder markers.
TRICKY = [
    "a b.txt",
    "a+b.txt",
    "100%.csv",
    "100%25.csv",
    "x&y<z>'\".txt",
    "ctl\x01\x08\x1f.bin",
    "cr\r\nlf\ttab",
    "é/naïve.txt",
    "日本/語.txt",
    "\U0001f600/emoji",
    "folder/",
    "folder/sub/file",
    "run books/x.txt",
    "foo+1/bar",
    "~tilde",
    "(paren)[bracket]",
    "&amp;literal",
    "%2B literally",
]

# Text XML 1.0 can carry (for the xml.etree oracle): no surrogates, no C0 controls but tab/LF/CR.
XML_SAFE = st.characters(
    exclude_categories=["Cs"],
    exclude_characters=[chr(c) for c in range(32) if c not in (9, 10, 13)] + ["\ufffe", "\uffff"],
)
ANY_KEY_CHAR = st.characters(exclude_categories=["Cs"])


def fake_body(objects: list[FakeObject], query: str = "", versions: list[FakeVersion] | None = None) -> str:
    """A body rendered by the fake S3 (AWS's element order and escaping)."""
    fake = FakeS3()
    fake.add_bucket("b", ListKeys(objects), versions=versions or ())
    response = fake.respond(parse_request("GET", f"/b?{query}"), "1")
    assert response.status == 200, response.body
    return response.body.decode()


def aws_contents(
    key: str,
    size: int,
    storage_class: str = "STANDARD",
    modified: str = "2025-06-01T12:00:00.000Z",
    *,
    url: bool = False,
    checksum: bool = True,
) -> str:
    """One <Contents> as AWS writes it: Key, LastModified, ETag, ChecksumAlgorithm, ChecksumType, Size, StorageClass."""
    enc = url_text(key) if url else xml_text(key)
    extra = (
        "<ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType>" if checksum else ""
    )
    return (
        f"<Contents><Key>{enc}</Key><LastModified>{modified}</LastModified><ETag>{ETAG}</ETag>{extra}"
        f"<Size>{size}</Size><StorageClass>{storage_class}</StorageClass></Contents>"
    )


def page_body(contents: str, *, url: bool = False, truncated: bool = False, extra: str = "") -> str:
    encoding = "<EncodingType>url</EncodingType>" if url else ""
    return (
        f"{HEAD}<Name>b</Name><Prefix></Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys>{encoding}"
        f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>{contents}{extra}{TAIL}"
    )


def decoded(body: str) -> list[tuple[str, str, int, str]]:
    page = parse_objects(body)
    return [(page.key(i), lm, size, sc) for i, (_raw, lm, size, sc) in enumerate(page.entries)]


def etree_objects(body: str) -> list[tuple[str, str, int, str]]:
    root = ET.fromstring(body)
    url = root.findtext(f"{NS}EncodingType") == "url"
    out = []
    for c in root.iter(f"{NS}Contents"):
        key = c.findtext(f"{NS}Key") or ""
        out.append(
            (
                unquote_plus(key) if url else key,
                c.findtext(f"{NS}LastModified") or "",
                int(c.findtext(f"{NS}Size") or "-1"),
                c.findtext(f"{NS}StorageClass") or "STANDARD",
            )
        )
    return out


@cache
def _botocore_op(name: str) -> Any:
    return botocore.session.get_session().get_service_model("s3").operation_model(name)


def botocore_parse(body: str, operation: str) -> dict[str, Any]:
    """What boto3 would hand a caller for this body (with EncodingType=url set by botocore itself)."""
    parser = botocore.parsers.create_parser("rest-xml")
    parsed: dict[str, Any] = parser.parse(
        {"body": body.encode(), "headers": {}, "status_code": 200}, _botocore_op(operation).output_shape
    )
    handler = {
        "ListObjectsV2": botocore.handlers.decode_list_object_v2,
        "ListObjectVersions": botocore.handlers.decode_list_object_versions,
    }[operation]
    handler(parsed, {"encoding_type_auto_set": True})
    return parsed


# --------------------------------------------------------------------------- fast path vs oracles


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.text(XML_SAFE, min_size=1, max_size=12),
        st.tuples(st.integers(0, 2**45), st.sampled_from(["STANDARD", "GLACIER", "STANDARD_IA", "DEEP_ARCHIVE"])),
        max_size=25,
    ),
    st.booleans(),
    st.booleans(),
)
def test_aws_shaped_bodies_parse_like_etree(objects: dict[str, tuple[int, str]], url: bool, checksum: bool) -> None:
    contents = "".join(aws_contents(k, s, sc, url=url, checksum=checksum) for k, (s, sc) in sorted(objects.items()))
    body = page_body(contents, url=url)
    expected = etree_objects(body)
    assert len(expected) == len(objects)
    assert decoded(body) == expected
    # The fast path took this body: the any-order path gives the very same raw entries.
    assert parse_objects(body).entries == _objects_any_order(body)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.text(XML_SAFE, min_size=1, max_size=10), unique=True, max_size=15),
    st.sampled_from(["", "&delimiter=/", "&delimiter=/&max-keys=3", "&max-keys=2"]),
    st.booleans(),
)
def test_fake_s3_bodies_parse_like_etree(keys: list[str], query: str, url: bool) -> None:
    objects = [FakeObject(k, i * 7, ("STANDARD", "GLACIER")[i % 2]) for i, k in enumerate(keys)]
    body = fake_body(objects, "list-type=2" + query + ("&encoding-type=url" if url else ""))
    page = parse_objects(body)
    assert decoded(body) == etree_objects(body)
    root = ET.fromstring(body)
    assert page.truncated == (root.findtext(f"{NS}IsTruncated") == "true")
    assert page.next_token == root.findtext(f"{NS}NextContinuationToken")
    prefixes = [p.findtext(f"{NS}Prefix") for p in root.iter(f"{NS}CommonPrefixes")]
    assert [decode_key(p, url) for p in page.common_prefixes] == [
        unquote_plus(p) if url and p is not None else p for p in prefixes
    ]


@pytest.mark.parametrize("query", ["list-type=2&encoding-type=url", "list-type=2&encoding-type=url&delimiter=/"])
def test_tricky_keys_decode_like_botocore(query: str) -> None:
    objects = [FakeObject(k, i + 1, "STANDARD_IA") for i, k in enumerate(TRICKY)]
    body = fake_body(objects, query)
    parsed = botocore_parse(body, "ListObjectsV2")
    page = parse_objects(body)
    assert page.url_encoded
    ours = [(page.key(i), size, sc) for i, (_, _, size, sc) in enumerate(page.entries)]
    theirs = [(c["Key"], c["Size"], c["StorageClass"]) for c in parsed.get("Contents", [])]
    assert ours == theirs
    assert [decode_key(p, True) for p in page.common_prefixes] == [
        p["Prefix"] for p in parsed.get("CommonPrefixes", [])
    ]
    if "delimiter" not in query:
        assert sorted(k for k, _, _ in ours) == sorted(TRICKY)


def test_tricky_keys_without_url_encoding_are_unescaped() -> None:
    objects = [FakeObject(k, 1) for k in TRICKY]
    page = parse_objects(fake_body(objects, "list-type=2"))
    assert not page.url_encoded
    assert sorted(page.key(i) for i in range(len(page.entries))) == sorted(TRICKY)


def test_large_generated_page_matches_etree() -> None:
    objects = [FakeObject(f"logs/{i:05d}/part {i}.json", i * 1000, "STANDARD") for i in range(1500)]
    body = fake_body(objects, "list-type=2&encoding-type=url")
    page = parse_objects(body)
    assert len(page.entries) == 1000
    assert page.truncated
    assert page.next_token
    assert decoded(body) == etree_objects(body)


# --------------------------------------------------------------------------- the any-order path


def test_other_element_order_missing_storage_class_and_extra_elements() -> None:
    contents = (
        # StorageClass first, Size before Key.
        "<Contents><StorageClass>GLACIER</StorageClass><Size>10</Size><Key>b/1</Key>"
        "<LastModified>2024-01-01T00:00:00.000Z</LastModified></Contents>"
        # No StorageClass at all (some S3-compatible servers): STANDARD.
        f"<Contents><Key>b/2</Key><LastModified>2024-01-02T00:00:00.000Z</LastModified><ETag>{ETAG}</ETag>"
        "<Size>20</Size></Contents>"
        # Owner (fetch-owner) between Size and StorageClass.
        f"<Contents><Key>b/3</Key><LastModified>2024-01-03T00:00:00.000Z</LastModified><ETag>{ETAG}</ETag>"
        f"<Size>30</Size>{OWNER}<StorageClass>STANDARD_IA</StorageClass></Contents>"
        # RestoreStatus after StorageClass.
        f"<Contents><Key>b/4</Key><LastModified>2024-01-04T00:00:00.000Z</LastModified><ETag>{ETAG}</ETag>"
        "<Size>40</Size><StorageClass>GLACIER</StorageClass><RestoreStatus><IsRestoreInProgress>false"
        "</IsRestoreInProgress><RestoreExpiryDate>2024-02-01T00:00:00.000Z</RestoreExpiryDate></RestoreStatus>"
        "</Contents>" + aws_contents("b/5", 50, "DEEP_ARCHIVE", "2024-01-05T00:00:00.000Z")
        # An ordinary AWS-shaped entry among them.
    )
    body = page_body(contents)
    assert decoded(body) == [
        ("b/1", "2024-01-01T00:00:00.000Z", 10, "GLACIER"),
        ("b/2", "2024-01-02T00:00:00.000Z", 20, "STANDARD"),
        ("b/3", "2024-01-03T00:00:00.000Z", 30, "STANDARD_IA"),
        ("b/4", "2024-01-04T00:00:00.000Z", 40, "GLACIER"),
        ("b/5", "2024-01-05T00:00:00.000Z", 50, "DEEP_ARCHIVE"),
    ]
    assert decoded(body) == etree_objects(body)


@pytest.mark.parametrize(
    "odd",
    [
        # StorageClass missing.
        "<Contents><Key>k</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified><ETag>e</ETag><Size>7</Size></Contents>",
        # Owner before StorageClass.
        f"<Contents><Key>k</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified><Size>7</Size>{OWNER}"
        "<StorageClass>GLACIER</StorageClass></Contents>",
        # LastModified after Size.
        "<Contents><Key>k</Key><Size>7</Size><LastModified>2024-01-01T00:00:00.000Z</LastModified>"
        "<StorageClass>GLACIER</StorageClass></Contents>",
        # Self-closing ETag.
        "<Contents><Key>k</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified><ETag/><Size>7</Size>"
        "<StorageClass>GLACIER</StorageClass></Contents>",
        # A Checksum* element whose name starts with S-something is not expected; SHA-ish extra.
        "<Contents><Key>k</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified><SomethingNew>x</SomethingNew><Size>7</Size>"
        "<StorageClass>GLACIER</StorageClass></Contents>",
    ],
)
@pytest.mark.parametrize("position", [0, 1, 3])
def test_one_odd_entry_is_never_dropped(odd: str, position: int) -> None:
    normal = [aws_contents(f"n{i}", i, "STANDARD", "2024-01-01T00:00:00.000Z") for i in range(3)]
    items = [*normal[:position], odd, *normal[position:]]
    entries = parse_objects(page_body("".join(items))).entries
    assert len(entries) == 4
    odd_entry = entries[position]
    assert odd_entry[0] == "k"
    assert odd_entry[1] == "2024-01-01T00:00:00.000Z"
    assert odd_entry[2] == 7
    assert odd_entry[3] in {"STANDARD", "GLACIER"}
    assert odd_entry[3] == ("STANDARD" if "StorageClass" not in odd else "GLACIER")
    assert [e[0] for e in entries if e[0] != "k"] == ["n0", "n1", "n2"]


def test_pretty_printed_body_entries_use_the_any_order_path() -> None:
    body = (
        HEAD + "\n  <Name>b</Name>\n  <IsTruncated>false</IsTruncated>\n"
        "  <Contents>\n    <Key>a</Key>\n    <LastModified>2024-01-01T00:00:00.000Z</LastModified>\n"
        "    <Size>3</Size>\n    <StorageClass>GLACIER</StorageClass>\n  </Contents>\n"
        "  <Contents>\n    <Key>b</Key>\n    <LastModified>2024-01-02T00:00:00.000Z</LastModified>\n"
        "    <Size>4</Size>\n  </Contents>\n" + TAIL + "\n"
    )
    assert decoded(body) == [
        ("a", "2024-01-01T00:00:00.000Z", 3, "GLACIER"),
        ("b", "2024-01-02T00:00:00.000Z", 4, "STANDARD"),
    ]


def test_entry_without_size_raises() -> None:
    body = page_body(
        aws_contents("a", 1) + "<Contents><Key>b</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified></Contents>"
    )
    with pytest.raises(PageError):
        parse_objects(body)


def test_entry_with_garbled_size_raises() -> None:
    body = page_body("<Contents><Key>b</Key><Size>12x</Size><StorageClass>STANDARD</StorageClass></Contents>")
    with pytest.raises(PageError):
        parse_objects(body)


@pytest.mark.parametrize("size", ["\uff11", "\u0661\u0662", "1\u0663"])
def test_a_size_in_other_scripts_digits_is_refused_not_read_as_a_number(size: str) -> None:
    """int() reads fullwidth and Arabic-Indic digits as numbers: a Size must be ASCII digits (hypothesis found it)."""
    body = page_body(
        "<Contents><Key>b</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified>"
        f"<Size>{size}</Size><StorageClass>STANDARD</StorageClass></Contents>"
    )
    with pytest.raises(PageError, match="not a non-negative 64-bit integer"):
        parse_objects(body)


def test_empty_page() -> None:
    page = parse_objects(page_body(""))
    assert page.entries == []
    assert page.common_prefixes == []
    assert not page.truncated
    assert page.next_token is None
    assert not page.url_encoded


# --------------------------------------------------------------------------- incomplete bodies


def test_objects_body_cut_anywhere_raises() -> None:
    objects = [FakeObject(k, i + 1) for i, k in enumerate(["a/1", "a/2", "b c", "d&e", "z"])]
    body = fake_body(objects, "list-type=2&max-keys=3&delimiter=/")
    parse_objects(body)  # whole: fine
    parse_objects(body + "\n")  # trailing whitespace: fine
    for cut in range(len(body)):
        with pytest.raises(PageError):
            parse_objects(body[:cut])


def test_versions_body_cut_anywhere_raises() -> None:
    versions = [
        FakeVersion("a", "v2", True, 5),
        FakeVersion("a", "v1", False, 4, last_modified="2025-01-01T00:00:00.000Z"),
        FakeVersion("b", "d1", True, is_delete_marker=True),
        FakeVersion("c", "v9", True, 9),
    ]
    body = fake_body([], "versions&max-keys=3", versions)
    parse_versions(body)
    for cut in range(len(body)):
        with pytest.raises(PageError):
            parse_versions(body[:cut])


def test_wrong_root_raises() -> None:
    body = page_body(aws_contents("a", 1))
    with pytest.raises(PageError):
        parse_versions(body)
    with pytest.raises(PageError):
        parse_objects(body.replace("ListBucketResult", "ListVersionsResult"))


# --------------------------------------------------------------------------- page-level elements


def test_page_level_elements_are_read() -> None:
    token = "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=&amp;x"
    body = page_body(
        aws_contents("p/x", 1, url=True),
        url=True,
        truncated=True,
        extra=(
            "<CommonPrefixes><Prefix>a%20b/</Prefix></CommonPrefixes>"
            "<CommonPrefixes><Prefix>c%2Bd/</Prefix></CommonPrefixes>"
        ),
    ).replace("<IsTruncated>", f"<NextContinuationToken>{token}</NextContinuationToken><IsTruncated>")
    page = parse_objects(body)
    assert page.truncated
    assert page.url_encoded
    assert page.next_token == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=&x"
    assert page.common_prefixes == ["a%20b/", "c%2Bd/"]  # wire form; decoded on use
    assert [decode_key(p, page.url_encoded) for p in page.common_prefixes] == ["a b/", "c+d/"]


def test_continuation_token_is_not_confused_with_next_token() -> None:
    body = page_body("").replace("<KeyCount>", "<ContinuationToken>old</ContinuationToken><KeyCount>")
    assert parse_objects(body).next_token is None


def test_not_truncated_and_no_encoding() -> None:
    page = parse_objects(page_body(aws_contents("a+b c", 1)))
    assert not page.truncated
    assert not page.url_encoded
    assert page.key(0) == "a+b c"  # '+' is literal when the page is not url-encoded


# --------------------------------------------------------------------------- escaping and decoding


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("a&amp;b", "a&b"),
        ("&lt;tag&gt;", "<tag>"),
        ("&quot;q&quot; &apos;a&apos;", "\"q\" 'a'"),
        ("&#x1;&#x1f;&#xD;&#xa;", "\x01\x1f\r\n"),
        ("&#38;&#60;", "&<"),
        ("&#x1F600;", "\U0001f600"),
        ("&amp;lt;", "&lt;"),  # one level of escaping only
        ("&amp;amp;", "&amp;"),
        ("plain", "plain"),
        ("a & b", "a & b"),  # a bare ampersand is left alone
    ],
)
def test_xml_entities_are_unescaped(raw: str, text: str) -> None:
    assert unescape(raw) == text
    assert decode_key(raw, False) == text
    body = page_body(aws_contents("x", 1).replace("<Key>x</Key>", f"<Key>{raw}</Key>"))
    assert parse_objects(body).key(0) == text


@pytest.mark.parametrize(
    ("wire", "key"),
    [
        ("a%20b", "a b"),
        ("a+b", "a b"),  # form encoding: '+' is a space
        ("a%2Bb", "a+b"),
        ("100%25", "100%"),
        ("x%26y", "x&y"),
        ("%C3%A9t%C3%A9", "été"),
        ("%E6%97%A5%E6%9C%AC", "日本"),
        ("%F0%9F%98%80", "\U0001f600"),
        ("%01%0D%0A%09", "\x01\r\n\t"),
        ("a/b/c", "a/b/c"),
        ("~tilde", "~tilde"),
        ("a%2Fb", "a/b"),
    ],
)
def test_url_encoded_keys_decode_like_unquote_plus(wire: str, key: str) -> None:
    assert decode_key(wire, True) == key
    assert decode_key(wire, True) == unquote_plus(wire)
    # The same text in a page that is not url-encoded is taken literally.
    assert decode_key(wire, False) == wire


@settings(max_examples=300, deadline=None)
@given(st.text(ANY_KEY_CHAR, max_size=30))
def test_url_encoding_round_trips(key: str) -> None:
    assert decode_key(quote(key, safe="/~"), True) == key
    assert decode_key(quote_plus(key), True) == key
    assert decode_key(url_text(key), True) == key
    assert decode_key(xml_text(key), False) == key


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(ANY_KEY_CHAR, min_size=1, max_size=10), unique=True, min_size=1, max_size=15))
def test_any_key_round_trips_through_the_fake(keys: list[str]) -> None:
    """Every key, control characters included, comes back exactly (url and XML escaping)."""
    objects = [FakeObject(k, len(k)) for k in keys]
    for query in ("list-type=2&encoding-type=url", "list-type=2"):
        page = parse_objects(fake_body(objects, query))
        assert [page.key(i) for i in range(len(page.entries))] == sorted(keys)
        assert [e[2] for e in page.entries] == [len(k) for k in sorted(keys)]


# --------------------------------------------------------------------------- versions


def _version(
    key: str, vid: str, latest: bool, size: int, sc: str = "STANDARD", lm: str = "2024-01-01T00:00:00.000Z"
) -> str:
    return (
        f"<Version><Key>{key}</Key><VersionId>{vid}</VersionId><IsLatest>{str(latest).lower()}</IsLatest>"
        f"<LastModified>{lm}</LastModified><ETag>{ETAG}</ETag><Size>{size}</Size>{OWNER}"
        f"<StorageClass>{sc}</StorageClass></Version>"
    )


def _marker(key: str, vid: str, latest: bool, lm: str = "2024-01-01T00:00:00.000Z") -> str:
    return (
        f"<DeleteMarker><Key>{key}</Key><VersionId>{vid}</VersionId><IsLatest>{str(latest).lower()}</IsLatest>"
        f"<LastModified>{lm}</LastModified>{OWNER}</DeleteMarker>"
    )


def test_versions_interleaved_with_delete_markers() -> None:
    body = (
        f"{V_HEAD}<Name>b</Name><Prefix></Prefix><KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker>"
        "<NextKeyMarker>d%20e%2Bf</NextKeyMarker><NextVersionIdMarker>3/L4kqtJl&amp;cpXroDTDmJ+rmSpXd3dIbrHY"
        "</NextVersionIdMarker><MaxKeys>5</MaxKeys><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>"
        + _marker("a%20b", "m1", True, "2025-03-01T00:00:00.000Z")
        + _version("a%20b", "v2", False, 200, "GLACIER", "2025-02-01T00:00:00.000Z")
        + _version("a%20b", "v1", False, 100, "STANDARD", "2025-01-01T00:00:00.000Z")
        + _version("c", "v3", True, 300, "STANDARD_IA", "2025-01-03T00:00:00.000Z")
        + _marker("d%20e%2Bf", "m0", False, "2024-01-01T00:00:00.000Z")
        + V_TAIL
    )
    page = parse_versions(body)
    assert page.url_encoded
    assert page.truncated
    assert page.next_key_marker == "d e+f"
    assert page.next_version_marker == "3/L4kqtJl&cpXroDTDmJ+rmSpXd3dIbrHY"
    assert page.entries == [
        ("a%20b", "2025-03-01T00:00:00.000Z", 0, "", True, True),
        ("a%20b", "2025-02-01T00:00:00.000Z", 200, "GLACIER", False, False),
        ("a%20b", "2025-01-01T00:00:00.000Z", 100, "STANDARD", False, False),
        ("c", "2025-01-03T00:00:00.000Z", 300, "STANDARD_IA", True, False),
        ("d%20e%2Bf", "2024-01-01T00:00:00.000Z", 0, "", False, True),
    ]
    assert [decode_key(e[0], True) for e in page.entries] == ["a b", "a b", "a b", "c", "d e+f"]


def test_version_without_storage_class_is_standard_and_without_size_raises() -> None:
    entry = (
        "<Version><Key>k</Key><IsLatest>true</IsLatest><LastModified>2024-01-01T00:00:00.000Z</LastModified>"
        "<Size>4</Size></Version>"
    )
    ok = f"{V_HEAD}<IsTruncated>false</IsTruncated>{entry}{V_TAIL}"
    page = parse_versions(ok)
    assert page.entries == [("k", "2024-01-01T00:00:00.000Z", 4, "STANDARD", True, False)]
    assert not page.truncated
    assert page.next_key_marker is None
    assert page.next_version_marker is None
    modified = "<LastModified>2024-01-01T00:00:00.000Z</LastModified>"
    bad = f"{V_HEAD}<Version><Key>k</Key><IsLatest>true</IsLatest>{modified}</Version>{V_TAIL}"
    with pytest.raises(PageError):
        parse_versions(bad)


def test_versions_from_the_fake_match_botocore() -> None:
    keys = ["a b", "c+d", "x&y", "é", "ctl\x01"]
    versions = []
    for i, key in enumerate(keys):
        versions.append(FakeVersion(key, f"v{i}-new", True, 10 * i + 1, "GLACIER" if i % 2 else "STANDARD"))
        versions.append(FakeVersion(key, f"v{i}-old", False, i, last_modified="2024-05-05T00:00:00.000Z"))
        if i % 2:
            versions.append(
                FakeVersion(key, f"m{i}", False, is_delete_marker=True, last_modified="2025-05-05T00:00:00.000Z")
            )
    body = fake_body([], "versions&encoding-type=url&max-keys=9", versions)
    page = parse_versions(body)
    parsed = botocore_parse(body, "ListObjectVersions")
    theirs = sorted((v["Key"], v["Size"], v["StorageClass"], v["IsLatest"]) for v in parsed.get("Versions", []))
    markers = sorted((m["Key"], m["IsLatest"]) for m in parsed.get("DeleteMarkers", []))
    assert len(page.entries) == 9
    ours_versions = sorted(
        (decode_key(raw, True), size, sc, latest)
        for raw, _lm, size, sc, latest, is_marker in page.entries
        if not is_marker
    )
    ours_markers = sorted(
        (decode_key(raw, True), latest) for raw, _lm, _s, _sc, latest, is_marker in page.entries if is_marker
    )
    assert ours_versions == theirs
    assert ours_markers == markers
    assert page.truncated == parsed["IsTruncated"]
    assert page.next_key_marker == parsed["NextKeyMarker"]
    assert page.next_version_marker == parsed["NextVersionIdMarker"]


def test_version_id_marker_tags_are_not_entries() -> None:
    """<VersionIdMarker> and <VersionId> must not open a <Version> entry."""
    body = (
        f"{V_HEAD}<KeyMarker>k</KeyMarker><VersionIdMarker>v</VersionIdMarker><IsTruncated>false</IsTruncated>"
        + _version("k2", "Version", True, 1)
        + V_TAIL
    )
    page = parse_versions(body)
    assert page.entries == [("k2", "2024-01-01T00:00:00.000Z", 1, "STANDARD", True, False)]
    assert not page.url_encoded


@pytest.mark.parametrize("parse", [parse_objects, parse_versions])
def test_non_ascii_digit_size_is_a_page_error(parse: Any) -> None:
    root, tail = ("ListBucketResult", TAIL) if parse is parse_objects else ("ListVersionsResult", V_TAIL)
    entry = "Contents" if parse is parse_objects else "Version"
    body = f"<{root}><{entry}><Key>k</Key><Size>\u00b2</Size></{entry}>{tail}"
    with pytest.raises(PageError):
        parse(body)


@pytest.mark.parametrize("year", ["２０２４", "٢٠٢٤"])
def test_a_timestamp_in_other_scripts_digits_is_refused(year: str) -> None:
    """Ages compare timestamps as text: a LastModified in other digits would sort as the far future."""
    body = page_body(
        f"<Contents><Key>b</Key><LastModified>{year}-01-01T00:00:00.000Z</LastModified>"
        "<Size>1</Size><StorageClass>STANDARD</StorageClass></Contents>"
    )
    with pytest.raises(PageError, match="not an ISO 8601 date and time"):
        parse_objects(body)
