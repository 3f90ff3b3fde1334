"""Tally (per-range totals) and Usage.merge: partial counts, versions, uploads, merging, conversion."""

from __future__ import annotations

import pickle
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from s3_storage_analyser.aggregate import (
    NO_PREFIX,
    BreakdownRow,
    BreakdownSpec,
    PrefixBreakdown,
    SizeBreakdown,
    TopObjects,
)
from s3_storage_analyser.listing.pages import ObjectPage, VersionPage, parse_objects, parse_versions
from s3_storage_analyser.listing.tally import Tally
from s3_storage_analyser.model import Usage
from support.fakes3 import FakeObject, FakeS3, FakeVersion, ListKeys, parse_request

NOW = datetime(2026, 1, 31, tzinfo=UTC)
SPEC = BreakdownSpec(("prefix", "size", "extension", "age"), depth=2, top_objects=3, now=NOW)


def object_page(entries: list[tuple[str, str, int, str]], url: bool = False) -> ObjectPage:
    return ObjectPage(entries=entries, url_encoded=url)


ENTRIES = [
    ("a%20b/one.txt", "2026-01-01T00:00:00.000Z", 10, "STANDARD"),
    ("a%20b/two.csv", "2025-01-01T00:00:00.000Z", 20, "GLACIER"),
    ("c%2Bd/three", "2024-01-01T00:00:00.000Z", 40, "STANDARD"),
    ("root", "2020-01-01T00:00:00.000Z", 80, "STANDARD_IA"),
    ("z/last", "2026-01-30T00:00:00.000Z", 160, "STANDARD"),
]


# --------------------------------------------------------------------------- objects


def test_add_objects_counts_only_the_first_entries() -> None:
    tally = Tally()
    tally.add_objects(object_page(ENTRIES, url=True), 3)
    assert tally.objects == {"STANDARD": 2, "GLACIER": 1}
    assert tally.bytes == {"STANDARD": 50, "GLACIER": 20}
    assert tally.keys == 3
    tally.add_objects(object_page(ENTRIES, url=True), len(ENTRIES))
    assert tally.objects == {"STANDARD": 5, "GLACIER": 2, "STANDARD_IA": 1}
    assert tally.bytes == {"STANDARD": 260, "GLACIER": 40, "STANDARD_IA": 80}


@pytest.mark.parametrize("count", [0, 1, 3, 5])
def test_add_objects_with_breakdowns_sees_only_the_counted_decoded_keys(count: int) -> None:
    tally = Tally.for_spec(SPEC)
    tally.add_objects(object_page(ENTRIES, url=True), count)
    counted = ENTRIES[:count]
    assert sum(tally.objects.values()) == count
    assert sum(tally.bytes.values()) == sum(e[2] for e in counted)
    prefix, size, _extension, _age, top = tally.breakdowns
    assert isinstance(prefix, PrefixBreakdown)
    level0 = {k: tuple(v) for k, v in prefix.levels[0].items()}
    expected: dict[str, tuple[int, int]] = {}
    for raw, _lm, sz, _sc in counted:
        name = {"a%20b": "a b/", "c%2Bd": "c+d/", "z": "z/"}.get(raw.split("/")[0], NO_PREFIX)
        objects, total = expected.get(name, (0, 0))
        expected[name] = (objects + 1, total + sz)
    assert level0 == expected
    assert isinstance(size, SizeBreakdown)
    assert sum(size.counts) == count
    assert isinstance(top, TopObjects)
    assert sorted(r.bytes for r in top.rows()) == sorted(e[2] for e in counted)[-3:]


def test_add_objects_from_a_real_page() -> None:
    fake = FakeS3()
    fake.add_bucket(
        "b", ListKeys([FakeObject(f"d{i % 3}/k {i}.log", i, ("STANDARD", "GLACIER")[i % 2]) for i in range(50)])
    )
    body = fake.respond(parse_request("GET", "/b?list-type=2&encoding-type=url&max-keys=20"), "1").body.decode()
    page = parse_objects(body)
    tally = Tally.for_spec(BreakdownSpec(("extension", "prefix")))
    tally.add_objects(page, 15)
    assert sum(tally.objects.values()) == 15
    extension, prefix = tally.breakdowns
    assert {r.key: r.objects for r in extension.rows()} == {"log": 15}
    assert isinstance(prefix, PrefixBreakdown)
    assert set(prefix.levels[0]) <= {"d0/", "d1/", "d2/"}
    listed = sorted(f"d{i % 3}/k {i}.log" for i in range(50))[:15]
    assert sum(v[1] for v in prefix.levels[0].values()) == sum(int(k.split(" ")[1][:-4]) for k in listed)


# --------------------------------------------------------------------------- versions


def version_page(url: bool = False) -> VersionPage:
    entries = [
        ("a%20b", "2026-01-01T00:00:00.000Z", 0, "", True, True),  # latest is a delete marker
        ("a%20b", "2025-01-01T00:00:00.000Z", 100, "STANDARD", False, False),
        ("c", "2026-01-02T00:00:00.000Z", 7, "GLACIER", True, False),
        ("c", "2025-01-02T00:00:00.000Z", 5, "GLACIER", False, False),
        ("c", "2024-01-02T00:00:00.000Z", 3, "STANDARD", False, False),
        ("d", "2024-01-03T00:00:00.000Z", 0, "", False, True),  # an old delete marker
        ("e", "2024-01-03T00:00:00.000Z", 11, "STANDARD", True, False),
    ]
    return VersionPage(entries, url_encoded=url)


def test_add_versions_splits_current_noncurrent_and_markers() -> None:
    tally = Tally.for_spec(BreakdownSpec(("prefix",), top_objects=5))
    tally.add_versions(version_page(url=True), 7)
    assert tally.objects == {"GLACIER": 1, "STANDARD": 1}
    assert tally.bytes == {"GLACIER": 7, "STANDARD": 11}
    assert tally.noncurrent_objects == {"STANDARD": 2, "GLACIER": 1}
    assert tally.noncurrent_bytes == {"STANDARD": 103, "GLACIER": 5}
    assert tally.delete_markers == 2
    assert tally.measured == {"versions"}
    assert tally.keys == 7
    # Only current versions reach the breakdowns.
    _prefix, top = tally.breakdowns
    assert [(r.key, r.bytes) for r in top.rows()] == [("e", 11), ("c", 7)]


def test_add_versions_counts_only_the_first_entries() -> None:
    tally = Tally()
    tally.add_versions(version_page(), 3)
    assert tally.objects == {"GLACIER": 1}
    assert tally.noncurrent_objects == {"STANDARD": 1}
    assert tally.delete_markers == 1
    assert tally.keys == 3
    empty = Tally()
    empty.add_versions(version_page(), 0)
    assert empty.keys == 0
    assert empty.measured == {"versions"}  # asked for, even if nothing came back


def test_add_versions_from_a_real_page() -> None:
    fake = FakeS3()
    versions = [
        FakeVersion("k 1", "v2", True, 30, "STANDARD_IA"),
        FakeVersion("k 1", "v1", False, 20, last_modified="2025-01-01T00:00:00.000Z"),
        FakeVersion("k+2", "m1", True, is_delete_marker=True),
        FakeVersion("k+2", "v0", False, 9, last_modified="2024-01-01T00:00:00.000Z"),
    ]
    fake.add_bucket("b", ListKeys([]), versions=versions)
    body = fake.respond(parse_request("GET", "/b?versions&encoding-type=url"), "1").body.decode()
    tally = Tally.for_spec(BreakdownSpec(top_objects=2))
    tally.add_versions(parse_versions(body), 4)
    assert tally.objects == {"STANDARD_IA": 1}
    assert tally.noncurrent_bytes == {"STANDARD": 29}
    assert tally.delete_markers == 1
    assert [r.key for r in tally.breakdowns[0].rows()] == ["k 1"]


# --------------------------------------------------------------------------- uploads


def test_add_upload_tracks_parts_bytes_and_oldest() -> None:
    tally = Tally()
    tally.add_upload("2025-03-01T10:00:00.000Z", [5, 6, 7])
    tally.add_upload("2024-12-31T23:59:59.000Z", [])
    tally.add_upload("2025-06-01T00:00:00.000Z", [100])
    assert (tally.uploads, tally.upload_parts, tally.upload_bytes) == (3, 4, 118)
    assert tally.oldest_upload == "2024-12-31T23:59:59.000Z"
    assert tally.measured == {"uploads"}
    assert tally.keys == 0  # uploads are not keys


# --------------------------------------------------------------------------- merge


@st.composite
def tallies(draw: st.DrawFn) -> list[tuple[str, object]]:
    """A recipe (so each test can build fresh, independent copies)."""
    classes = st.sampled_from(["STANDARD", "GLACIER", "STANDARD_IA"])
    ops: list[tuple[str, object]] = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["objects", "versions", "upload"]))
        if kind == "objects":
            entries = draw(
                st.lists(
                    st.tuples(st.text("ab/.x", min_size=1, max_size=5), st.just("2025-01-01T00:00:00.000Z"),
                              st.integers(0, 10**12), classes),
                    max_size=8,
                )
            )  # fmt: skip
            ops.append(("objects", (entries, draw(st.integers(0, len(entries))))))
        elif kind == "versions":
            entries = draw(
                st.lists(
                    st.tuples(st.text("ab/", min_size=1, max_size=4), st.just("2025-01-01T00:00:00.000Z"),
                              st.integers(0, 10**9), classes, st.booleans(), st.booleans()),
                    max_size=8,
                )
            )  # fmt: skip
            ops.append(("versions", (entries, draw(st.integers(0, len(entries))))))
        else:
            day = draw(st.integers(1, 28))
            ops.append(("upload", (f"2025-02-{day:02d}T00:00:00.000Z", draw(st.lists(st.integers(0, 10**8))))))
    return ops


def build(recipe: list[tuple[str, object]], spec: BreakdownSpec | None = None) -> Tally:
    tally = Tally.for_spec(spec) if spec else Tally()
    for kind, args in recipe:
        if kind == "objects":
            entries, count = cast("tuple[list[Any], int]", args)
            tally.add_objects(ObjectPage(list(entries)), count)
        elif kind == "versions":
            entries, count = cast("tuple[list[Any], int]", args)
            tally.add_versions(VersionPage(list(entries)), count)
        else:
            initiated, parts = cast("tuple[str, list[int]]", args)
            tally.add_upload(initiated, list(parts))
    return tally


def summary(tally: Tally) -> tuple[object, ...]:
    usage = tally.to_usage()
    return (
        usage.objects,
        dict(usage.bytes_by_class),
        dict(usage.objects_by_class),
        dict(usage.noncurrent_objects_by_class),
        dict(usage.noncurrent_bytes_by_class),
        usage.delete_markers,
        usage.incomplete_uploads,
        usage.incomplete_upload_parts,
        usage.incomplete_upload_bytes,
        usage.oldest_incomplete_upload,
        usage.measured,
        sorted(usage.breakdowns, key=repr),
        tally.keys,
    )


MERGE_SPEC = BreakdownSpec(("prefix", "size", "extension"), depth=2, limit=1000, top_objects=3, now=NOW)


@settings(max_examples=40, deadline=None)
@given(tallies(), tallies(), tallies())
def test_merge_is_associative_and_commutative(
    a: list[tuple[str, object]], b: list[tuple[str, object]], c: list[tuple[str, object]]
) -> None:
    for spec in (None, MERGE_SPEC):
        left = build(a, spec)
        left.merge(build(b, spec))
        left.merge(build(c, spec))
        bc = build(b, spec)
        bc.merge(build(c, spec))
        right = build(a, spec)
        right.merge(bc)
        assert summary(left) == summary(right)
        ab, ba = build(a, spec), build(b, spec)
        ab.merge(build(b, spec))
        ba.merge(build(a, spec))
        assert summary(ab) == summary(ba)
        # Merging equals doing everything in one tally.
        assert summary(ab) == summary(build(a + b, spec))
        empty = build([], spec)
        empty.merge(build(a, spec))
        assert summary(empty) == summary(build(a, spec))


def test_merge_details() -> None:
    one = Tally(objects={"STANDARD": 1}, bytes={"STANDARD": 10}, delete_markers=1, measured={"versions"})
    one.add_upload("2025-05-01T00:00:00.000Z", [1, 2])
    two = Tally(objects={"GLACIER": 2}, bytes={"GLACIER": 20}, noncurrent_objects={"STANDARD": 3})
    two.noncurrent_bytes = {"STANDARD": 30}
    two.add_upload("2024-05-01T00:00:00.000Z", [4])
    one.merge(two)
    assert one.objects == {"STANDARD": 1, "GLACIER": 2}
    assert one.bytes == {"STANDARD": 10, "GLACIER": 20}
    assert one.noncurrent_objects == {"STANDARD": 3}
    assert one.noncurrent_bytes == {"STANDARD": 30}
    assert one.delete_markers == 1
    assert (one.uploads, one.upload_parts, one.upload_bytes) == (2, 3, 7)
    assert one.oldest_upload == "2024-05-01T00:00:00.000Z"
    assert one.measured == {"versions", "uploads"}
    assert two.objects == {"GLACIER": 2}  # the merged-in tally is left alone
    # An empty tally's missing oldest upload does not replace a known one.
    one.merge(Tally())
    assert one.oldest_upload == "2024-05-01T00:00:00.000Z"


def test_tally_with_breakdowns_pickles() -> None:
    """Tallies cross process boundaries (multiprocessing queues)."""
    tally = Tally.for_spec(SPEC)
    tally.add_objects(object_page(ENTRIES, url=True), len(ENTRIES))
    tally.add_upload("2025-01-01T00:00:00.000Z", [3])
    copy = pickle.loads(pickle.dumps(tally))
    assert summary(copy) == summary(tally)
    copy.merge(tally)
    assert copy.to_usage().objects == 2 * len(ENTRIES)
    top = copy.breakdowns[-1]
    assert isinstance(top, TopObjects)
    assert [r.bytes for r in top.rows()] == [160, 160, 80]


# --------------------------------------------------------------------------- to_usage


def test_to_usage_fields() -> None:
    tally = Tally.for_spec(BreakdownSpec(("size",)))
    tally.add_objects(object_page(ENTRIES), len(ENTRIES))
    tally.add_versions(version_page(), 7)
    tally.add_upload("2025-03-01T10:30:00.000Z", [5, 6])
    usage = tally.to_usage()
    assert usage.objects == 5 + 2
    assert usage.bytes_by_class == {"STANDARD": 210 + 11, "GLACIER": 20 + 7, "STANDARD_IA": 80}
    assert usage.objects_by_class == {"STANDARD": 4, "GLACIER": 2, "STANDARD_IA": 1}
    assert usage.bytes == 210 + 11 + 20 + 7 + 80
    assert usage.noncurrent_objects == 3
    assert usage.noncurrent_bytes == 108
    assert usage.delete_markers == 2
    assert (usage.incomplete_uploads, usage.incomplete_upload_parts, usage.incomplete_upload_bytes) == (1, 2, 11)
    assert usage.oldest_incomplete_upload == datetime(2025, 3, 1, 10, 30, tzinfo=UTC)
    assert usage.oldest_incomplete_upload.utcoffset() == timedelta(0)
    assert usage.measured == frozenset({"versions", "uploads"})
    assert {r.dimension for r in usage.breakdowns} == {"size"}
    assert sum(r.objects for r in usage.breakdowns) == 7
    # The usage is a snapshot: later counting does not change it.
    tally.objects["STANDARD"] += 100
    assert usage.objects_by_class["STANDARD"] == 4


@pytest.mark.parametrize(
    ("initiated", "expected"),
    [
        ("2025-03-01T10:30:00.000Z", datetime(2025, 3, 1, 10, 30, tzinfo=UTC)),
        ("2025-03-01T10:30:00Z", datetime(2025, 3, 1, 10, 30, tzinfo=UTC)),
        ("2025-03-01T10:30:00+00:00", datetime(2025, 3, 1, 10, 30, tzinfo=UTC)),  # botocore datetime.isoformat()
        ("2025-03-01T10:30:00.123456+00:00", datetime(2025, 3, 1, 10, 30, 0, 123456, tzinfo=UTC)),
        ("2025-03-01T10:30:00", datetime(2025, 3, 1, 10, 30, tzinfo=UTC)),  # naive: taken as UTC
        ("2025-03-01T12:30:00+02:00", datetime(2025, 3, 1, 10, 30, tzinfo=UTC)),  # the same instant
    ],
)
def test_oldest_upload_parsed_to_an_aware_datetime(initiated: str, expected: datetime) -> None:
    tally = Tally()
    tally.add_upload(initiated, [1])
    oldest = tally.to_usage().oldest_incomplete_upload
    assert oldest is not None
    assert oldest.tzinfo is not None
    assert oldest == expected


def test_empty_tally_to_usage() -> None:
    usage = Tally().to_usage()
    assert usage == Usage()
    assert usage.oldest_incomplete_upload is None
    assert usage.measured == frozenset()


# --------------------------------------------------------------------------- Usage.merge


def test_usage_merge_sums_hidden_costs() -> None:
    a = Usage(
        objects=3,
        bytes_by_class={"STANDARD": 30},
        objects_by_class={"STANDARD": 3},
        storage_types={"StandardStorage": 30},
        noncurrent_objects_by_class={"STANDARD": 2, "GLACIER": 1},
        noncurrent_bytes_by_class={"STANDARD": 20, "GLACIER": 100},
        delete_markers=4,
        incomplete_uploads=1,
        incomplete_upload_parts=3,
        incomplete_upload_bytes=300,
        oldest_incomplete_upload=datetime(2025, 1, 1, tzinfo=UTC),
        measured=frozenset({"versions"}),
        breakdowns=(BreakdownRow("size", "<128 KiB", 3, 30),),
    )
    b = Usage(
        objects=1,
        bytes_by_class={"GLACIER": 5},
        objects_by_class={"GLACIER": 1},
        storage_types={"GlacierStorage": 5},
        noncurrent_objects_by_class={"GLACIER": 4},
        noncurrent_bytes_by_class={"GLACIER": 40},
        delete_markers=1,
        incomplete_uploads=2,
        incomplete_upload_parts=5,
        incomplete_upload_bytes=500,
        oldest_incomplete_upload=datetime(2024, 6, 1, tzinfo=timezone(timedelta(hours=2))),
        measured=frozenset({"uploads"}),
        breakdowns=(BreakdownRow("size", "<128 KiB", 1, 5), BreakdownRow("size", "0 B", 0, 0)),
    )
    merged = a.merge(b)
    assert merged.objects == 4
    assert merged.bytes_by_class == {"STANDARD": 30, "GLACIER": 5}
    assert merged.objects_by_class == {"STANDARD": 3, "GLACIER": 1}
    assert merged.storage_types == {"StandardStorage": 30, "GlacierStorage": 5}
    assert merged.noncurrent_objects_by_class == {"STANDARD": 2, "GLACIER": 5}
    assert merged.noncurrent_bytes_by_class == {"STANDARD": 20, "GLACIER": 140}
    assert merged.noncurrent_objects == 7
    assert merged.noncurrent_bytes == 160
    assert merged.delete_markers == 5
    assert (merged.incomplete_uploads, merged.incomplete_upload_parts, merged.incomplete_upload_bytes) == (3, 8, 800)
    assert merged.oldest_incomplete_upload == datetime(2024, 5, 31, 22, tzinfo=UTC)
    assert merged.measured == frozenset({"versions", "uploads"})
    assert merged.breakdowns == (BreakdownRow("size", "<128 KiB", 4, 35), BreakdownRow("size", "0 B", 0, 0))
    # Inputs are untouched (frozen values, fresh dicts).
    assert a.noncurrent_bytes_by_class == {"STANDARD": 20, "GLACIER": 100}
    flipped = b.merge(a)
    assert replace(flipped, breakdowns=()) == replace(merged, breakdowns=())
    assert set(flipped.breakdowns) == set(merged.breakdowns)


def test_usage_merge_identity_and_sum() -> None:
    tally = Tally()
    tally.add_versions(version_page(), 7)
    tally.add_upload("2025-01-01T00:00:00.000Z", [9])
    usage = tally.to_usage()
    assert Usage().merge(usage) == usage
    assert usage.merge(Usage()) == usage
    total = Usage.sum([usage, usage, usage])
    assert total.delete_markers == 3 * usage.delete_markers
    assert total.noncurrent_bytes == 3 * usage.noncurrent_bytes
    assert total.incomplete_upload_bytes == 27
    assert total.oldest_incomplete_upload == usage.oldest_incomplete_upload
    assert Usage.sum([]) == Usage()


@settings(max_examples=30, deadline=None)
@given(tallies(), tallies())
def test_usage_merge_matches_tally_merge(a: list[tuple[str, object]], b: list[tuple[str, object]]) -> None:
    merged_tally = build(a)
    merged_tally.merge(build(b))
    via_usage = build(a).to_usage().merge(build(b).to_usage())
    direct = merged_tally.to_usage()
    assert via_usage.objects == direct.objects
    assert dict(via_usage.bytes_by_class) == dict(direct.bytes_by_class)
    assert dict(via_usage.noncurrent_objects_by_class) == dict(direct.noncurrent_objects_by_class)
    assert dict(via_usage.noncurrent_bytes_by_class) == dict(direct.noncurrent_bytes_by_class)
    assert via_usage.delete_markers == direct.delete_markers
    assert via_usage.incomplete_uploads == direct.incomplete_uploads
    assert via_usage.incomplete_upload_parts == direct.incomplete_upload_parts
    assert via_usage.incomplete_upload_bytes == direct.incomplete_upload_bytes
    assert via_usage.oldest_incomplete_upload == direct.oldest_incomplete_upload
    assert via_usage.measured == direct.measured
