"""Breakdowns: exact bin edges, prefix/extension rules, merge == add-all, bounded memory with exact totals."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from s3_storage_analyser.aggregate import (
    AGE_LABELS,
    GIB,
    KIB,
    MIB,
    NO_EXTENSION,
    NO_PREFIX,
    OTHER,
    SIZE_LABELS,
    AgeBreakdown,
    Breakdown,
    BreakdownRow,
    BreakdownSpec,
    ExtensionBreakdown,
    PrefixBreakdown,
    SizeBreakdown,
    TopObjects,
    age_cutoffs,
    merge_all,
)

NOW = datetime(2026, 1, 31, 12, 0, 0, tzinfo=UTC)
Obj = tuple[str, int, str, str]  # key, size, storage class, last modified


def modified(age: timedelta, now: datetime = NOW) -> str:
    """A LastModified string as S3 writes it, ``age`` before ``now``."""
    return (now - age).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def feed(breakdown: Breakdown, objects: list[Obj]) -> Breakdown:
    for key, size, sc, lm in objects:
        breakdown.add(key, size, sc, lm)
    return breakdown


def by_key(rows: list[BreakdownRow]) -> dict[str, tuple[int, int]]:
    return {r.key: (r.objects, r.bytes) for r in rows}


def totals(rows: list[BreakdownRow]) -> tuple[int, int]:
    return sum(r.objects for r in rows), sum(r.bytes for r in rows)


# --------------------------------------------------------------------------- size bins


@pytest.mark.parametrize(
    ("size", "label"),
    [
        (0, "0 B"),
        (1, "<128 KiB"),
        (128 * KIB - 1, "<128 KiB"),
        (128 * KIB, "128 KiB-1 MiB"),
        (MIB - 1, "128 KiB-1 MiB"),
        (MIB, "1-16 MiB"),
        (16 * MIB - 1, "1-16 MiB"),
        (16 * MIB, "16-128 MiB"),
        (128 * MIB - 1, "16-128 MiB"),
        (128 * MIB, "128 MiB-1 GiB"),
        (GIB - 1, "128 MiB-1 GiB"),
        (GIB, "1-5 GiB"),
        (5 * GIB - 1, "1-5 GiB"),
        (5 * GIB, ">=5 GiB"),
        (5 * 1024**4, ">=5 GiB"),
    ],
)
def test_size_bins_at_exact_edges(size: int, label: str) -> None:
    sizes = SizeBreakdown()
    sizes.add("k", size, "STANDARD", "2024-01-01T00:00:00.000Z")
    rows = sizes.rows()
    assert [r.key for r in rows] == list(SIZE_LABELS)
    assert {r.key: (r.objects, r.bytes) for r in rows if r.objects} == {label: (1, size)}
    assert all(r.dimension == "size" for r in rows)


# --------------------------------------------------------------------------- age bins


@pytest.mark.parametrize(
    ("age", "label"),
    [
        (timedelta(0), "<30 d"),
        (-timedelta(days=1), "<30 d"),  # clock skew: modified "in the future"
        (timedelta(days=30) - timedelta(seconds=1), "<30 d"),
        (timedelta(days=30), "30-90 d"),
        (timedelta(days=30, seconds=1), "30-90 d"),
        (timedelta(days=90) - timedelta(seconds=1), "30-90 d"),
        (timedelta(days=90), "90 d-1 y"),
        (timedelta(days=365) - timedelta(seconds=1), "90 d-1 y"),
        (timedelta(days=365), "1-2 y"),
        (timedelta(days=730) - timedelta(seconds=1), "1-2 y"),
        (timedelta(days=730), "2-5 y"),
        (timedelta(days=1825) - timedelta(seconds=1), "2-5 y"),
        (timedelta(days=1825), ">=5 y"),
        (timedelta(days=20000), ">=5 y"),
    ],
)
def test_age_bins_at_exact_cutoffs(age: timedelta, label: str) -> None:
    ages = AgeBreakdown(NOW)
    ages.add("k", 7, "STANDARD", modified(age))
    rows = ages.rows()
    assert [r.key for r in rows] == list(AGE_LABELS)
    assert {r.key: (r.objects, r.bytes) for r in rows if r.objects} == {label: (1, 7)}


def test_age_cutoffs_oldest_first() -> None:
    assert age_cutoffs(NOW) == [
        "2021-02-01T12:00:00",  # 1825 days
        "2024-02-01T12:00:00",  # 730 (2024 is a leap year)
        "2025-01-31T12:00:00",  # 365
        "2025-11-02T12:00:00",  # 90
        "2026-01-01T12:00:00",  # 30
    ]


def test_age_with_milliseconds_in_last_modified() -> None:
    ages = AgeBreakdown(NOW)
    ages.add("a", 1, "STANDARD", "2026-01-01T12:00:00.999Z")  # exactly 30 days (to the second)
    ages.add("b", 1, "STANDARD", "2026-01-01T12:00:01.000Z")  # one second younger
    assert by_key(ages.rows())["30-90 d"] == (1, 1)
    assert by_key(ages.rows())["<30 d"] == (1, 1)


def test_age_bins_do_not_depend_on_the_timezone_of_now() -> None:
    tokyo = NOW.astimezone(timezone(timedelta(hours=9)))
    assert tokyo == NOW  # the same instant
    age = timedelta(days=29, hours=20)  # younger than 30 days by 4 hours
    ages = AgeBreakdown(tokyo)
    ages.add("k", 1, "STANDARD", modified(age))
    assert by_key(ages.rows())["<30 d"] == (1, 1)


# --------------------------------------------------------------------------- prefixes

PREFIX_OBJECTS: list[Obj] = [
    ("a/b/c/d.txt", 1, "STANDARD", ""),
    ("a/b/e.txt", 2, "STANDARD", ""),
    ("a/f.txt", 4, "STANDARD", ""),
    ("g.txt", 8, "STANDARD", ""),
    ("h/", 16, "STANDARD", ""),  # a folder marker
    ("a/b/c/", 32, "STANDARD", ""),
    ("x/y/z/w/v", 64, "STANDARD", ""),
]


def _levels(breakdown: PrefixBreakdown) -> list[dict[str, tuple[int, int]]]:
    return [{k: (v[0], v[1]) for k, v in level.items()} for level in breakdown.levels]


def test_prefix_depth_1() -> None:
    prefixes = feed(PrefixBreakdown(depth=1), PREFIX_OBJECTS)
    assert isinstance(prefixes, PrefixBreakdown)
    assert _levels(prefixes) == [{"a/": (4, 39), NO_PREFIX: (1, 8), "h/": (1, 16), "x/": (1, 64)}]
    assert [r.key for r in prefixes.rows()] == ["x/", "a/", "h/", NO_PREFIX]  # largest bytes first
    assert totals(prefixes.rows()) == (7, 127)


def test_prefix_depth_2_and_3() -> None:
    two = feed(PrefixBreakdown(depth=2), PREFIX_OBJECTS)
    assert isinstance(two, PrefixBreakdown)
    assert _levels(two)[1] == {"a/b/": (3, 35), "x/y/": (1, 64)}
    three = feed(PrefixBreakdown(depth=3), PREFIX_OBJECTS)
    assert isinstance(three, PrefixBreakdown)
    assert _levels(three)[0] == _levels(two)[0]
    assert _levels(three)[1] == _levels(two)[1]
    assert _levels(three)[2] == {"a/b/c/": (2, 33), "x/y/z/": (1, 64)}
    rows = three.rows()
    assert [r.key for r in rows] == ["x/", "a/", "h/", NO_PREFIX, "x/y/", "a/b/", "x/y/z/", "a/b/c/"]


def test_prefix_custom_delimiter() -> None:
    objects: list[Obj] = [
        ("2024-01-03", 1, "", ""),
        ("2024-02-01", 2, "", ""),
        ("2025-01-01", 4, "", ""),
        ("a/b", 8, "", ""),
    ]
    prefixes = feed(PrefixBreakdown(depth=2, delimiter="-"), objects)
    assert isinstance(prefixes, PrefixBreakdown)
    assert _levels(prefixes) == [
        {"2024-": (2, 3), "2025-": (1, 4), NO_PREFIX: (1, 8)},
        {"2024-01-": (1, 1), "2024-02-": (1, 2), "2025-01-": (1, 4)},
    ]
    multi = feed(PrefixBreakdown(depth=2, delimiter="::"), [("a::b::c", 5, "", ""), ("a:b", 1, "", "")])
    assert isinstance(multi, PrefixBreakdown)
    assert _levels(multi) == [{"a::": (1, 5), NO_PREFIX: (1, 1)}, {"a::b::": (1, 5)}]


def test_prefix_leading_delimiter_and_empty_parts() -> None:
    prefixes = feed(PrefixBreakdown(depth=2), [("/abs/path", 1, "", ""), ("a//b", 2, "", "")])
    assert isinstance(prefixes, PrefixBreakdown)
    assert _levels(prefixes) == [{"/": (1, 1), "a/": (1, 2)}, {"/abs/": (1, 1), "a//": (1, 2)}]


def test_prefix_rows_top_and_other_last() -> None:
    objects: list[Obj] = [(f"p{i:02d}/k", (i + 1) * 10, "", "") for i in range(30)]
    prefixes = feed(PrefixBreakdown(depth=1, top=5), objects)
    rows = prefixes.rows()
    assert [r.key for r in rows] == ["p29/", "p28/", "p27/", "p26/", "p25/", OTHER]
    assert rows[-1].objects == 25
    assert rows[-1].bytes == sum((i + 1) * 10 for i in range(25))
    assert totals(rows) == (30, sum((i + 1) * 10 for i in range(30)))


def test_rows_tie_on_bytes_sorted_by_key() -> None:
    prefixes = feed(PrefixBreakdown(), [("b/1", 5, "", ""), ("a/1", 5, "", ""), ("c/1", 9, "", "")])
    assert [r.key for r in prefixes.rows()] == ["c/", "a/", "b/"]


# --------------------------------------------------------------------------- extensions


@pytest.mark.parametrize(
    ("key", "extension"),
    [
        ("README", NO_EXTENSION),
        (".bashrc", NO_EXTENSION),  # a dotfile
        ("dir/.env", NO_EXTENSION),
        ("file.", NO_EXTENSION),  # trailing dot
        ("...", NO_EXTENSION),
        ("photo.JPG", "jpg"),  # lower-cased
        ("Photo.JpEg", "jpeg"),
        ("a.tar.gz", "gz"),
        ("a..b", "b"),
        ("dir.d/file", NO_EXTENSION),  # the dot is in a folder name
        ("dir.d/file.csv", "csv"),
        ("x.abcdefghijk", "abcdefghijk"),  # 11 characters: still an extension
        ("x.abcdefghijkl", NO_EXTENSION),  # 12: a long suffix is not an extension
        ("backup.2024-01-01T00:00:00", NO_EXTENSION),
        ("folder/", NO_EXTENSION),
        ("v1.2", "2"),
        ("naïve.ÉTÉ", "ÉtÉ"),  # only A-Z fold: Python and DuckDB disagree on Unicode case rules
    ],
)
def test_extension_rules(key: str, extension: str) -> None:
    assert ExtensionBreakdown.extension(key) == extension
    table = ExtensionBreakdown()
    table.add(key, 3, "STANDARD", "")
    assert by_key(table.rows()) == {extension: (1, 3)}


def test_extension_rows() -> None:
    objects: list[Obj] = [("a.CSV", 10, "", ""), ("b.csv", 5, "", ""), ("c", 1, "", ""), ("d.json", 100, "", "")]
    rows = feed(ExtensionBreakdown(), objects).rows()
    assert [(r.dimension, r.key, r.objects, r.bytes) for r in rows] == [
        ("extension", "json", 1, 100),
        ("extension", "csv", 2, 15),
        ("extension", NO_EXTENSION, 1, 1),
    ]


# --------------------------------------------------------------------------- top objects


def expected_top(objects: list[Obj], n: int) -> list[tuple[str, int, str, str]]:
    ranked = sorted(objects, key=lambda o: (-o[1], o[0]))[:n]
    return [(k, s, sc, lm) for k, s, sc, lm in ranked]


def top_rows(top: TopObjects) -> list[tuple[str, int, str, str]]:
    rows = top.rows()
    assert all(r.objects == 1 and r.dimension == "top" for r in rows)
    assert all(type(r.key) is str for r in rows)
    return [(r.key, r.bytes, r.storage_class, r.last_modified) for r in rows]


def test_top_objects_keeps_the_largest() -> None:
    rng = random.Random(3)
    objects: list[Obj] = [
        (f"k{i:04d}", rng.randrange(10**9), "GLACIER", f"2024-01-{i % 28 + 1:02d}") for i in range(500)
    ]
    top = feed(TopObjects(7), objects)
    assert isinstance(top, TopObjects)
    assert top_rows(top) == expected_top(objects, 7)
    assert len(top.heap) == 7


def test_top_objects_fewer_than_n() -> None:
    top = feed(TopObjects(5), [("a", 1, "S", "t"), ("b", 3, "S", "t")])
    assert isinstance(top, TopObjects)
    assert top_rows(top) == [("b", 3, "S", "t"), ("a", 1, "S", "t")]


def test_top_objects_ties_keep_the_smallest_keys_whatever_the_order() -> None:
    objects: list[Obj] = [(k, 5, "STANDARD", "t") for k in "dbeac"] + [("z", 1, "STANDARD", "t")]
    expected = [("a", 5, "STANDARD", "t"), ("b", 5, "STANDARD", "t")]
    for order in (objects, list(reversed(objects)), sorted(objects)):
        top = feed(TopObjects(2), order)
        assert isinstance(top, TopObjects)
        assert top_rows(top) == expected
    left, right = feed(TopObjects(2), objects[:1]), feed(TopObjects(2), objects[1:])
    left.merge(right)
    assert isinstance(left, TopObjects)
    assert top_rows(left) == expected


# --------------------------------------------------------------------------- merge == add all

KEY_CHARS = st.sampled_from("ab/.cX")
OBJECTS = st.dictionaries(
    st.text(KEY_CHARS, min_size=1, max_size=8),
    st.tuples(
        st.one_of(st.integers(0, 6 * GIB), st.sampled_from([0, 1, 128 * KIB - 1, 128 * KIB, 5 * GIB])),
        st.sampled_from(["STANDARD", "GLACIER"]),
        st.integers(-5, 3000),
    ),
    max_size=60,
).map(lambda d: [(k, size, sc, modified(timedelta(days=days))) for k, (size, sc, days) in sorted(d.items())])


def make_all(depth: int, top: int) -> list[Breakdown]:
    return BreakdownSpec(
        ("prefix", "extension", "size", "age"), depth=depth, limit=1000, top_objects=top, now=NOW
    ).make()


@settings(max_examples=100, deadline=None)
@given(OBJECTS, st.integers(0, 60), st.integers(1, 3), st.integers(1, 6), st.randoms(use_true_random=False))
def test_merge_equals_adding_everything_to_one(
    objects: list[Obj], cut: int, depth: int, n: int, rng: random.Random
) -> None:
    cut = min(cut, len(objects))
    whole = make_all(depth, n)
    for breakdown in whole:
        feed(breakdown, objects)
    left, right = make_all(depth, n), make_all(depth, n)
    for breakdown in left:
        feed(breakdown, objects[:cut])
    shuffled = objects[cut:]
    rng.shuffle(shuffled)  # ranges may be listed in any order
    for breakdown in right:
        feed(breakdown, shuffled)
    merge_all(left, right)
    for mine, theirs in zip(left, whole, strict=True):
        assert mine.rows() == theirs.rows(), mine.dimension
    # And the other way round.
    left2, right2 = make_all(depth, n), make_all(depth, n)
    for breakdown in left2:
        feed(breakdown, objects[:cut])
    for breakdown in right2:
        feed(breakdown, objects[cut:])
    merge_all(right2, left2)
    for mine, theirs in zip(right2, whole, strict=True):
        assert mine.rows() == theirs.rows(), mine.dimension
    top = whole[-1]
    assert isinstance(top, TopObjects)
    assert top_rows(top) == expected_top(objects, n)


@settings(max_examples=100, deadline=None)
@given(OBJECTS, st.integers(0, 60))
def test_histograms_count_every_object_once(objects: list[Obj], cut: int) -> None:
    for make in (SizeBreakdown, lambda: AgeBreakdown(NOW)):
        a, b = make(), make()
        feed(a, objects[:cut])
        feed(b, objects[cut:])
        a.merge(b)
        assert totals(a.rows()) == (len(objects), sum(o[1] for o in objects))


# --------------------------------------------------------------------------- bounded memory


def test_prefix_table_stays_bounded_with_exact_totals() -> None:
    rng = random.Random(11)
    prefixes = PrefixBreakdown(depth=1, top=5, cap=20)
    assert prefixes.cap == 20
    objects = bytes_ = 0
    largest = 0
    for i in range(200_000):
        size = rng.randrange(1000)
        key = f"p{i:06d}/file"
        if i % 1000 == 0:  # one prefix that is by far the largest
            key, size = "big/file", 10**9
            largest += size
        prefixes.add(key, size, "STANDARD", "")
        objects += 1
        bytes_ += size
        assert len(prefixes.levels[0]) <= prefixes.cap + 1
    table = prefixes.levels[0]
    assert OTHER in table
    assert sum(v[0] for v in table.values()) == objects
    assert sum(v[1] for v in table.values()) == bytes_
    rows = prefixes.rows()
    assert totals(rows) == (objects, bytes_)
    assert len(rows) == 6
    assert rows[0].key == "big/"
    assert (rows[0].objects, rows[0].bytes) == (200, largest)  # never folded: exact
    assert rows[-1].key == OTHER
    assert [r.bytes for r in rows[:-1]] == sorted((r.bytes for r in rows[:-1]), reverse=True)


def test_extension_table_stays_bounded_with_exact_totals() -> None:
    table = ExtensionBreakdown(top=3, cap=12)
    assert table.cap == 12
    for i in range(50_000):
        table.add(f"f.{i:x}", i % 97, "STANDARD", "")
        assert len(table.table) <= table.cap + 1
    assert totals(table.rows()) == (50_000, sum(i % 97 for i in range(50_000)))
    assert table.rows()[-1].key == OTHER
    assert len(table.rows()) == 4


def test_cap_is_at_least_four_times_top() -> None:
    assert PrefixBreakdown(top=20, cap=5).cap == 80
    assert ExtensionBreakdown(top=3, cap=1).cap == 12


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 300), st.integers(0, 10**6)), max_size=400),
    st.integers(0, 400),
    st.integers(1, 3),
)
def test_folded_merge_keeps_exact_totals_and_bound(pairs: list[tuple[int, int]], cut: int, depth: int) -> None:
    objects: list[Obj] = [(f"d{p % 7}/s{p}/f{p % 3}/x.e{p % 50}", size, "", "") for p, size in pairs]
    a, b = PrefixBreakdown(depth, top=2, cap=8), PrefixBreakdown(depth, top=2, cap=8)
    ea, eb = ExtensionBreakdown(top=2, cap=8), ExtensionBreakdown(top=2, cap=8)
    for key, size, sc, lm in objects[:cut]:
        a.add(key, size, sc, lm)
        ea.add(key, size, sc, lm)
    for key, size, sc, lm in objects[cut:]:
        b.add(key, size, sc, lm)
        eb.add(key, size, sc, lm)
    a.merge(b)
    ea.merge(eb)
    expected = (len(objects), sum(size for _, size in pairs))
    for level, table in enumerate(a.levels):
        assert len(table) <= a.cap + 1
        assert (sum(v[0] for v in table.values()), sum(v[1] for v in table.values())) == expected, level
    assert len(ea.table) <= ea.cap + 1
    assert totals(ea.rows()) == expected
    # rows() lists level after level, each level's largest first and its "(other)" last.
    level_rows: dict[int, list[BreakdownRow]] = {}
    level = 0
    for row in a.rows():
        if row.key != OTHER:
            level = row.key.count("/") - 1
        level_rows.setdefault(level, []).append(row)
    assert sorted(level_rows) == list(range(depth)) if objects else level_rows == {}
    for chunk in level_rows.values():
        assert totals(chunk) == expected
        body = [r for r in chunk if r.key != OTHER]
        assert 1 <= len(body) <= 2
        assert chunk[:-1] == body[: len(chunk) - 1]  # "(other)", if any, is last
        assert [r.bytes for r in body] == sorted((r.bytes for r in body), reverse=True)


# --------------------------------------------------------------------------- spec


def test_breakdown_spec_make() -> None:
    spec = BreakdownSpec(("size", "storage-class", "prefix", "age", "extension"), depth=3, delimiter="-", limit=7)
    made = spec.make()
    assert [b.dimension for b in made] == ["size", "prefix", "age", "extension"]  # storage-class needs no accumulator
    prefix = made[1]
    assert isinstance(prefix, PrefixBreakdown)
    assert (prefix.depth, prefix.delimiter, prefix.top) == (3, "-", 7)
    extension = made[3]
    assert isinstance(extension, ExtensionBreakdown)
    assert extension.top == 7
    assert spec.needs_keys
    assert spec.make() is not made
    assert spec.make()[0] is not made[0]  # fresh accumulators each time
    with_top = BreakdownSpec(top_objects=4).make()
    assert len(with_top) == 1
    assert isinstance(with_top[0], TopObjects)
    assert with_top[0].n == 4
    assert BreakdownSpec(top_objects=4).needs_keys
    assert not BreakdownSpec(("storage-class",)).needs_keys
    assert not BreakdownSpec().needs_keys
    assert BreakdownSpec().make() == []


def test_breakdown_spec_age_uses_now() -> None:
    (ages,) = BreakdownSpec(("age",), now=NOW).make()
    assert isinstance(ages, AgeBreakdown)
    assert ages.cutoffs == age_cutoffs(NOW)
    (later,) = BreakdownSpec(("age",)).make()
    assert isinstance(later, AgeBreakdown)
    assert later.cutoffs[-1] > ages.cutoffs[-1]  # defaults to the current time


def test_merge_all_requires_matching_lists() -> None:
    with pytest.raises(ValueError):
        merge_all([SizeBreakdown()], [])


# --- keys as the server sent them ---------------------------------------------------------------

HOSTILE = ["a\ud800/x.t\x1bz", "\x1b[31m/b", "\u202eevil/c.[b]", "tab\t/new\nline.\x9b", "\\/d"]


def test_breakdowns_keep_hostile_keys_exactly() -> None:
    """Breakdowns never clean a key: escaping is each output's job (tests/test_hostile_keys.py)."""
    prefixes, extensions, top = PrefixBreakdown(depth=2), ExtensionBreakdown(), TopObjects(10)
    for i, key in enumerate(HOSTILE):
        for b in (prefixes, extensions, top):
            b.add(key, i + 1, "STANDARD", "")
    assert {r.key for r in prefixes.rows()} == {"a\ud800/", "\x1b[31m/", "\u202eevil/", "tab\t/", "\\/"}
    assert {r.key for r in extensions.rows()} == {"t\x1bz", "[b]", "\x9b", NO_EXTENSION}
    assert [r.key for r in top.rows()] == HOSTILE[::-1]
