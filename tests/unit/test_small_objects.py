"""Objects under 128 KiB per class (current and noncurrent), the age-class breakdown, and their stored form.

The tally counts small objects on three paths (a page of one class, a page of several, and the
per-object loop that feeds breakdowns) and for versions; each must equal a plain count. The
age-class breakdown must give the same rows from ``add`` (listing) and from its SQL form (inventory),
and the codec must keep the four small-object maps and refuse stored values that are not counts.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from s3_storage_analyser.aggregate import (
    AGE_EDGES_DAYS,
    AGE_LABELS,
    DIMENSIONS,
    AgeClassBreakdown,
    BreakdownSpec,
    Columns,
)
from s3_storage_analyser.codec import SMALL_COUNTS, snapshot_from_dict, snapshot_to_dict, usage_from_dict, usage_to_dict
from s3_storage_analyser.errors import StoreError
from s3_storage_analyser.listing.pages import ObjectPage, VersionPage
from s3_storage_analyser.listing.tally import Tally
from s3_storage_analyser.model import BreakdownRow, Bucket, BucketReport, Snapshot, Usage
from s3_storage_analyser.render import render
from s3_storage_analyser.storage_classes import SMALL_OBJECT_BYTES
from s3_storage_analyser.store import Store

NOW = datetime(2026, 6, 15, 12, 30, 45, tzinfo=UTC)
EDGE = SMALL_OBJECT_BYTES
CLASSES = ("STANDARD", "STANDARD_IA", "ONEZONE_IA", "GLACIER_IR", "INTELLIGENT_TIERING", "GLACIER")


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def page(entries: list[tuple[int, str]], modified: str = "2026-01-01T00:00:00.000Z") -> ObjectPage:
    return ObjectPage([(f"k{i:06d}", modified, size, storage) for i, (size, storage) in enumerate(entries)])


def plain_counts(entries: list[tuple[int, str]]) -> dict[str, dict[str, int]]:
    """What the tally must hold: a count written the obvious way."""
    out: dict[str, dict[str, int]] = {"objects": {}, "bytes": {}, "small_objects": {}, "small_bytes": {}}
    for size, storage in entries:
        out["objects"][storage] = out["objects"].get(storage, 0) + 1
        out["bytes"][storage] = out["bytes"].get(storage, 0) + size
        if size < EDGE:
            out["small_objects"][storage] = out["small_objects"].get(storage, 0) + 1
            out["small_bytes"][storage] = out["small_bytes"].get(storage, 0) + size
    return out


def counts_of(tally: Tally) -> dict[str, dict[str, int]]:
    return {
        "objects": tally.objects,
        "bytes": tally.bytes,
        "small_objects": tally.small_objects,
        "small_bytes": tally.small_bytes,
    }


# --------------------------------------------------------------------------- the tally


@pytest.mark.parametrize("breakdowns", [(), ("age",)], ids=["no breakdown", "with a breakdown"])
@pytest.mark.parametrize("classes", [("STANDARD_IA",), ("STANDARD_IA", "GLACIER_IR")], ids=["one class", "two"])
def test_the_128_kib_edge(breakdowns: tuple[str, ...], classes: tuple[str, ...]) -> None:
    """131071 bytes is small, 131072 and 131073 are not; 0 is small. On every path of add_objects."""
    entries = [(size, classes[i % len(classes)]) for i, size in enumerate((0, EDGE - 1, EDGE, EDGE + 1, 1))]
    tally = Tally.for_spec(BreakdownSpec(breakdowns, now=NOW))
    tally.add_objects(page(entries), len(entries))
    assert counts_of(tally) == plain_counts(entries)
    assert sum(tally.small_objects.values()) == 3
    assert sum(tally.small_bytes.values()) == EDGE - 1 + 1
    assert tally.noncurrent_small_objects == tally.noncurrent_small_bytes == {}


def test_a_page_of_large_objects_counts_no_small_class() -> None:
    tally = Tally()
    tally.add_objects(page([(EDGE, "STANDARD_IA"), (EDGE * 2, "STANDARD_IA")]), 2)
    assert tally.small_objects == tally.small_bytes == {}
    assert tally.objects == {"STANDARD_IA": 2}


def test_only_the_counted_entries_count_small() -> None:
    entries = [(1, "STANDARD"), (2, "STANDARD"), (3, "GLACIER_IR"), (4, "GLACIER_IR")]
    for count in range(len(entries) + 1):
        tally = Tally()
        tally.add_objects(page(entries), count)
        assert counts_of(tally) == plain_counts(entries[:count]), count


ENTRIES = st.lists(
    st.tuples(
        st.one_of(st.integers(0, 3 * EDGE), st.sampled_from([EDGE - 1, EDGE, EDGE + 1]), st.integers(0, 2**63 - 1)),
        st.sampled_from(CLASSES),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(pages=st.lists(ENTRIES, max_size=6), one_class=st.booleans(), breakdown=st.booleans())
def test_add_objects_equals_a_plain_count(pages: list[list[tuple[int, str]]], one_class: bool, breakdown: bool) -> None:
    if one_class:
        pages = [[(size, "STANDARD") for size, _ in entries] for entries in pages]
    tally = Tally.for_spec(BreakdownSpec(("size",) if breakdown else (), now=NOW))
    for entries in pages:
        tally.add_objects(page(entries), len(entries))
    assert counts_of(tally) == plain_counts([e for entries in pages for e in entries])


def version_page() -> VersionPage:
    modified = "2026-01-01T00:00:00.000Z"
    return VersionPage(
        [
            ("a", modified, EDGE - 1, "STANDARD_IA", True, False),  # current, small
            ("a", modified, EDGE, "STANDARD_IA", False, False),  # noncurrent, not small
            ("a", modified, 5, "STANDARD_IA", False, False),  # noncurrent, small
            ("b", modified, 0, "", True, True),  # a delete marker: no object, not small
            ("b", modified, EDGE + 1, "GLACIER_IR", False, False),  # noncurrent, not small
            ("c", modified, 7, "ONEZONE_IA", True, False),  # current, small
            ("c", modified, 9, "ONEZONE_IA", False, False),  # noncurrent, small
        ]
    )


@pytest.mark.parametrize("breakdowns", [(), ("age-class",)])
def test_versions_split_small_current_from_small_noncurrent(breakdowns: tuple[str, ...]) -> None:
    tally = Tally.for_spec(BreakdownSpec(breakdowns, now=NOW))
    tally.add_versions(version_page(), 7)
    assert tally.small_objects == {"STANDARD_IA": 1, "ONEZONE_IA": 1}
    assert tally.small_bytes == {"STANDARD_IA": EDGE - 1, "ONEZONE_IA": 7}
    assert tally.noncurrent_small_objects == {"STANDARD_IA": 1, "ONEZONE_IA": 1}
    assert tally.noncurrent_small_bytes == {"STANDARD_IA": 5, "ONEZONE_IA": 9}
    assert tally.delete_markers == 1


def test_merge_adds_small_counts_and_to_usage_carries_them() -> None:
    one, two = Tally(), Tally()
    one.add_objects(page([(1, "STANDARD_IA"), (EDGE, "STANDARD_IA")]), 2)
    two.add_objects(page([(2, "STANDARD_IA"), (3, "GLACIER_IR")]), 2)
    two.add_versions(version_page(), 7)
    merged_usage = one.to_usage().merge(two.to_usage())
    one.merge(two)
    assert one.small_objects == {"STANDARD_IA": 3, "GLACIER_IR": 1, "ONEZONE_IA": 1}
    assert one.small_bytes == {"STANDARD_IA": 1 + 2 + EDGE - 1, "GLACIER_IR": 3, "ONEZONE_IA": 7}
    assert one.noncurrent_small_objects == {"STANDARD_IA": 1, "ONEZONE_IA": 1}
    usage = one.to_usage()
    assert usage.small_objects_by_class == one.small_objects
    assert usage.small_bytes_by_class == one.small_bytes
    assert usage.noncurrent_small_objects_by_class == one.noncurrent_small_objects
    assert usage.noncurrent_small_bytes_by_class == one.noncurrent_small_bytes
    for name in SMALL_COUNTS:  # merging usages or tallies gives the same
        assert dict(getattr(merged_usage, name)) == dict(getattr(usage, name)), name


# --------------------------------------------------------------------------- age-class


def test_age_class_rows_by_band_then_class_order() -> None:
    breakdown = AgeClassBreakdown(NOW)
    old = stamp(NOW - timedelta(days=400))
    young = stamp(NOW - timedelta(days=3))
    breakdown.add("a", 10, "GLACIER", old)
    breakdown.add("b", 20, "STANDARD", old)
    breakdown.add("c", 5, "STANDARD", young)
    breakdown.add("d", 6, "STANDARD", young)
    breakdown.add("e", 1, "NEW_CLASS", young)
    other = AgeClassBreakdown(NOW)
    other.add("f", 7, "STANDARD", old)
    other.add("g", 8, "STANDARD_IA", "")  # no date: the oldest band, as with --by age
    breakdown.merge(other)
    assert breakdown.rows() == [
        BreakdownRow("age-class", "<30 d", 2, 11, "STANDARD"),
        BreakdownRow("age-class", "<30 d", 1, 1, "NEW_CLASS"),
        BreakdownRow("age-class", "1-2 y", 2, 27, "STANDARD"),
        BreakdownRow("age-class", "1-2 y", 1, 10, "GLACIER"),
        BreakdownRow("age-class", ">=5 y", 1, 8, "STANDARD_IA"),
    ]
    assert DIMENSIONS["age-class"].heading == "by age and storage class"


def test_age_class_rows_merge_across_usages() -> None:
    """Rows of two key ranges add up by (band, class), as listing's pieces merge."""
    spec = BreakdownSpec(("age-class",), now=NOW)
    one, two = Tally.for_spec(spec), Tally.for_spec(spec)
    modified = stamp(NOW - timedelta(days=40))
    one.add_objects(ObjectPage([("a", modified, 3, "STANDARD")]), 1)
    two.add_objects(ObjectPage([("b", modified, 4, "STANDARD"), ("c", modified, 5, "GLACIER")]), 2)
    merged = one.to_usage().merge(two.to_usage())
    assert list(merged.breakdowns) == [
        BreakdownRow("age-class", "30-90 d", 2, 7, "STANDARD"),
        BreakdownRow("age-class", "30-90 d", 1, 5, "GLACIER"),
    ]


def around_cutoffs() -> list[str]:
    values = ["", "garbage", stamp(NOW), stamp(NOW + timedelta(days=2))]
    for days in AGE_EDGES_DAYS:
        for delta in (-1, 0, 1):
            values.append(stamp(NOW - timedelta(days=days, seconds=delta)))
    return values


@pytest.mark.parametrize("timestamps", [False, True], ids=["CSV text", "Parquet timestamps"])
def test_age_class_sql_groups_as_add(timestamps: bool) -> None:
    """The SQL form (inventory) puts every object in the same (band, class) as ``add`` (listing)."""
    values = around_cutoffs()
    if timestamps:  # a Parquet report holds a time or NULL (no text): NULL is the oldest band, as "" is
        values = [v if v[:1].isdigit() else "" for v in values]
    classes = [CLASSES[i % len(CLASSES)] + (":x" if i % 5 == 0 else "") for i in range(len(values))]
    sizes = list(range(1, len(values) + 1))
    python = AgeClassBreakdown(NOW)
    for value, storage, size in zip(values, classes, sizes, strict=True):
        python.add("k", size, storage, value)
    if timestamps:
        parsed = [datetime.fromisoformat(v.replace("Z", "+00:00")) if v else None for v in values]
        column = pa.array(parsed, pa.timestamp("ms", tz="UTC"))
    else:
        column = pa.array(values, pa.string())
    table = pa.table({"m": column, "c": pa.array(classes, pa.string()), "s": pa.array(sizes, pa.int64())})
    sql_side = AgeClassBreakdown(NOW)
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("t", table)
        expr = DIMENSIONS["age-class"].sql
        assert expr is not None
        group = expr(sql_side, Columns(last_modified="m", storage_class="c", timestamps=timestamps))
        for value, objects, size in con.execute(f"SELECT {group} AS g, count(*), sum(s) FROM t GROUP BY g").fetchall():
            sql_side.add_group(value, int(objects), int(size))
    finally:
        con.close()
    assert sql_side.rows() == python.rows()
    assert {row.key for row in python.rows()} <= set(AGE_LABELS)


# --------------------------------------------------------------------------- stored snapshots


def usage_with_small() -> Usage:
    return Usage(
        objects=3,
        bytes_by_class={"STANDARD_IA": EDGE + 10},
        objects_by_class={"STANDARD_IA": 3},
        small_objects_by_class={"STANDARD_IA": 2},
        small_bytes_by_class={"STANDARD_IA": 10},
        noncurrent_small_objects_by_class={"GLACIER_IR": 4},
        noncurrent_small_bytes_by_class={"GLACIER_IR": 0},
        measured=frozenset({"small-objects", "versions"}),
        breakdowns=(BreakdownRow("age-class", "<30 d", 3, EDGE + 10, "STANDARD_IA"),),
    )


def test_codec_round_trip_keeps_small_counts() -> None:
    snapshot = Snapshot(
        "list", NOW, (BucketReport(Bucket("b", "us-east-1"), usage_with_small()),), breakdowns=("age-class",)
    )
    stored = json.dumps(snapshot_to_dict(snapshot))
    assert snapshot_from_dict(json.loads(stored)) == snapshot


def test_a_snapshot_stored_before_reads_with_no_small_counts() -> None:
    stored = usage_to_dict(usage_with_small())
    for name in SMALL_COUNTS:
        del stored[name]
    stored["measured"] = ["versions"]
    usage = usage_from_dict(stored)
    for name in SMALL_COUNTS:
        assert getattr(usage, name) == {}, name
    assert "small-objects" not in usage.measured


@pytest.mark.parametrize("name", SMALL_COUNTS)
@pytest.mark.parametrize(
    "bad",
    [
        {"STANDARD": -1},
        {"STANDARD": 1.0},
        {"STANDARD": "1"},
        {"STANDARD": True},
        {"STANDARD": None},
        {"STANDARD": [1]},
        {1: 1},
        [["STANDARD", 1]],
        "STANDARD",
        7,
    ],
)
def test_bad_stored_small_counts_are_refused(name: str, bad: Any) -> None:
    stored = usage_to_dict(usage_with_small())
    stored[name] = bad
    with pytest.raises(ValueError, match=name):
        usage_from_dict(stored)


def test_a_stored_snapshot_with_a_bad_small_count_fails_to_load_named(tmp_path: Path) -> None:
    """The history reads its JSON back through the codec: a tampered count is a StoreError, not a crash."""
    snapshot = Snapshot("list", NOW, (BucketReport(Bucket("b", "us-east-1"), usage_with_small()),))
    store = Store(tmp_path / "h.sqlite3")
    try:
        snapshot_id = store.save(snapshot)
        assert store.load(snapshot_id) == snapshot  # stored with the small counts, read back whole
        (detail,) = store._db.execute("SELECT detail FROM bucket_usage").fetchone()
        stored = json.loads(detail)
        stored["usage"]["noncurrent_small_bytes_by_class"] = {"GLACIER_IR": -5, "\x1b[31m": "x" * 10_000}
        with store._db:
            store._db.execute("UPDATE bucket_usage SET detail = ?", (json.dumps(stored),))
        with pytest.raises(StoreError, match="noncurrent_small_bytes_by_class") as caught:
            store.load(snapshot_id)
        assert len(str(caught.value)) < 400
    finally:
        store.close()


# --------------------------------------------------------------------------- renderers


def age_class_snapshot() -> Snapshot:
    usage = Usage(
        objects=3,
        bytes_by_class={"STANDARD": 300, "GLACIER": 100},
        objects_by_class={"STANDARD": 2, "GLACIER": 1},
        breakdowns=(
            BreakdownRow("age-class", "<30 d", 1, 100, "STANDARD"),
            BreakdownRow("age-class", "1-2 y", 1, 200, "STANDARD"),
            BreakdownRow("age-class", "1-2 y", 1, 100, "GLACIER"),
            BreakdownRow("age", "<30 d", 1, 100),
        ),
    )
    return Snapshot("list", NOW, (BucketReport(Bucket("logs", "us-east-1"), usage),), breakdowns=("age-class", "age"))


def test_age_class_in_json_carries_the_storage_class() -> None:
    data = json.loads(render(age_class_snapshot(), fmt="json", unit=None))
    breakdowns = data["Buckets"][0]["Breakdowns"]
    assert breakdowns["age-class"] == [
        {"Key": "<30 d", "StorageClass": "STANDARD", "Files": 1, "Bytes": 100},
        {"Key": "1-2 y", "StorageClass": "STANDARD", "Files": 1, "Bytes": 200},
        {"Key": "1-2 y", "StorageClass": "GLACIER", "Files": 1, "Bytes": 100},
    ]
    assert breakdowns["age"][0] == {"Key": "<30 d", "Files": 1, "Bytes": 100}  # other rows unchanged


def test_age_class_in_tsv_fills_the_storage_class_column() -> None:
    lines = render(age_class_snapshot(), fmt="tsv", unit=None).splitlines()
    assert lines[0].split("\t")[:6] == ["Bucket", "Dimension", "Key", "Files", "Bytes", "StorageClass"]
    assert lines[1].split("\t")[:6] == ["logs", "age-class", "<30 d", "1", "100", "STANDARD"]
    assert lines[3].split("\t")[:6] == ["logs", "age-class", "1-2 y", "1", "100", "GLACIER"]
    assert lines[4].split("\t")[:6] == ["logs", "age", "<30 d", "1", "100", ""]


def test_age_class_in_the_table_has_a_class_column() -> None:
    text = render(age_class_snapshot(), fmt="table", unit=None)
    section = text[text.index("logs by age and storage class") :].splitlines()
    assert section[1].split() == ["Key", "Class", "Files", "Size", "Share"]
    assert section[2].split()[:3] == ["<30", "d", "STANDARD"]
    assert section[4].split()[:3] == ["1-2", "y", "GLACIER"]
    age = text[text.index("logs by age\n") :].splitlines()
    assert age[1].split() == ["Key", "Files", "Size", "Share"]  # other breakdowns unchanged
