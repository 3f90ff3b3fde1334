"""The SQL form of every breakdown equals its Python form, evaluated in DuckDB.

The inventory strategy groups in DuckDB with ``PrefixBreakdown.sql``,
``ExtensionBreakdown.sql``, ``SizeBreakdown.sql`` and ``AgeBreakdown.sql`` and
feeds the groups to ``add_group``; the listing strategy calls ``add`` per key.
Both must put every object in the same group, or the two strategies disagree.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from s3_storage_analyser.aggregate import (
    AGE_EDGES_DAYS,
    NO_PREFIX,
    SIZE_EDGES,
    AgeBreakdown,
    ExtensionBreakdown,
    PrefixBreakdown,
    SizeBreakdown,
    age_cutoffs,
)

NOW = datetime(2026, 6, 15, 12, 30, 45, tzinfo=UTC)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Letters (both cases, accented, other scripts), digits, the delimiters and the dot, a few
# controls and symbols. U+0130 and U+03A3 are left to test_unicode_lower_case_differs below.
ALPHABET = "aAbBzZ09éÉßẞǅΩωЖжİıΣσς日本\U0001f600./-_ +%\t\n\x01~"
SAFE_ALPHABET = ALPHABET  # ASCII-only case folding makes every character agree


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


def evaluate(con: duckdb.DuckDBPyConnection, column: str, values: list[Any], exprs: list[str]) -> list[tuple[Any, ...]]:
    """Put ``values`` in a table's ``column`` and evaluate ``exprs`` over each row, in order."""
    kind = pa.int64() if column == "s" else pa.string()
    table = pa.table({"i": pa.array(range(len(values)), pa.int64()), column: pa.array(values, kind)})
    con.register("t_arrow", table)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE t AS SELECT * FROM t_arrow")
        return [tuple(row) for row in con.execute(f"SELECT {', '.join(exprs)} FROM t ORDER BY i").fetchall()]
    finally:
        con.unregister("t_arrow")


# --------------------------------------------------------------------------- prefixes


def python_prefixes(key: str, depth: int, delimiter: str) -> list[str | None]:
    """The prefix PrefixBreakdown.add counts the key under, per level (None: not at that level)."""
    breakdown = PrefixBreakdown(depth, delimiter, top=10_000)
    breakdown.add(key, 1, "STANDARD", "")
    levels: list[str | None] = []
    for table in breakdown.levels:
        assert len(table) <= 1
        levels.append(next(iter(table), None))
    return levels


def sql_prefixes(con: Any, key: str, depth: int, delimiter: str) -> list[str | None]:
    """The prefixes the SQL form counts the key under, rolled up by add_group."""
    [levels] = sql_prefixes_of(con, [key], depth, delimiter)
    return levels


def sql_prefixes_of(con: Any, keys: list[str], depth: int, delimiter: str) -> list[list[str | None]]:
    """sql_prefixes for each key, the SQL evaluated over all of them in one query (one row per key)."""
    rows = evaluate(con, "k", keys, [PrefixBreakdown(depth, delimiter, top=10_000).sql("k")])
    found: list[list[str | None]] = []
    for (deepest,) in rows:
        breakdown = PrefixBreakdown(depth, delimiter, top=10_000)
        breakdown.add_group(deepest, 1, 1)
        found.append([next(iter(table), None) for table in breakdown.levels])
    return found


@pytest.mark.slow
@SETTINGS
@given(
    keys=st.lists(st.text(alphabet=ALPHABET, min_size=0, max_size=24), min_size=1, max_size=20),
    depth=st.integers(1, 4),
    delimiter=st.sampled_from(["/", "-", ".", "--", "/\n"]),
)
@example(keys=["", "/", "//", "a/", "/a", "a//b/", "a/b/c/d/e/f", "no-delimiter-here"], depth=4, delimiter="/")
@example(keys=["a.b.c", ".", "..", "x.", ".x"], depth=2, delimiter=".")
@example(keys=["a---b--c", "--", "----", "a\n--b--", "-a--"], depth=3, delimiter="--")
@example(keys=["a/\nb/\n", "x\n/\ny/\n"], depth=2, delimiter="/\n")
def test_prefix_sql_equals_add(con: Any, keys: list[str], depth: int, delimiter: str) -> None:
    # One query for the example's keys (a row each), not one per key: the same comparison, key by key.
    for key, levels in zip(keys, sql_prefixes_of(con, keys, depth, delimiter), strict=True):
        assert levels == python_prefixes(key, depth, delimiter), key


@SETTINGS
@given(keys=st.lists(st.text(alphabet=ALPHABET, max_size=20), min_size=1, max_size=60))
def test_prefix_groups_add_up_like_add(con: Any, keys: list[str]) -> None:
    """Grouped in SQL and fed through add_group, the rows equal those of add() per key."""
    by_add = PrefixBreakdown(3, "/", top=5)
    for i, key in enumerate(keys):
        by_add.add(key, i, "STANDARD", "")
    by_sql = PrefixBreakdown(3, "/", top=5)
    table = pa.table({"k": pa.array(keys, pa.string()), "s": pa.array(range(len(keys)), pa.int64())})
    con.register("t_keys", table)
    try:
        sql = f"SELECT {by_sql.sql('k')} AS g, count(*), sum(s) FROM t_keys GROUP BY g"
        for value, objects, size in con.execute(sql).fetchall():
            by_sql.add_group(value, objects, int(size))
    finally:
        con.unregister("t_keys")
    assert by_sql.rows() == by_add.rows()


def test_prefix_sql_quotes_the_delimiter(con: Any) -> None:
    assert sql_prefixes(con, "a'b'c", 2, "'") == ["a'", "a'b'"]
    assert sql_prefixes(con, "abc", 2, "'") == [NO_PREFIX, None]


# --------------------------------------------------------------------------- extensions


def sql_extension(found: str) -> str:
    """The extension add_group counts what the SQL form found under."""
    breakdown = ExtensionBreakdown(top=10)
    breakdown.add_group(found, 1, 1)
    (extension,) = breakdown.table
    return extension


@SETTINGS
@given(keys=st.lists(st.text(alphabet=SAFE_ALPHABET, max_size=30), min_size=1, max_size=60))
@example(
    keys=[
        "a.txt",
        "A.TXT",
        "dir.d/noext",
        ".hidden",
        "dir/.hidden",
        "trailing.",
        "a.b.C",
        "x.12345678901",
        "x.123456789012",
        "x.",
        ".",
        "..",
        "a..b",
        "d/a.b/",
        "É.ÉTÉ",
        "a.ẞ",
        "a.ǅ",
        "photo.JPG\n",
        "x.b\nc",
        "\U0001f600.\U0001f600",
    ]
)
def test_extension_sql_equals_extension(con: Any, keys: list[str]) -> None:
    rows = evaluate(con, "k", keys, [ExtensionBreakdown.sql("k")])
    for key, (sql_value,) in zip(keys, rows, strict=True):
        assert sql_extension(sql_value) == ExtensionBreakdown.extension(key), key


@pytest.mark.parametrize("key", ["report.İ", "notes.ΑΣ"])
def test_unicode_lower_case_differs(con: Any, key: str) -> None:
    (sql_value,) = evaluate(con, "k", [key], [ExtensionBreakdown.sql("k")])[0]
    assert sql_extension(sql_value) == ExtensionBreakdown.extension(key)


# --------------------------------------------------------------------------- sizes


EDGE_SIZES = sorted({max(0, edge + delta) for edge in SIZE_EDGES for delta in (-1, 0, 1)} | {0, 2**62})


def test_size_sql_at_every_edge(con: Any) -> None:
    rows = evaluate(con, "s", EDGE_SIZES, [SizeBreakdown.sql("s")])
    assert [row[0] for row in rows] == [bisect_right(SIZE_EDGES, size) for size in EDGE_SIZES]
    histogram = SizeBreakdown()
    assert [row[0] for row in rows] == [histogram._bin(size, "") for size in EDGE_SIZES]
    # Each edge starts a new band: edge-1 and edge fall in neighbouring bands.
    for edge in SIZE_EDGES:
        assert histogram._bin(edge, "") == histogram._bin(edge - 1, "") + 1


@SETTINGS
@given(
    sizes=st.lists(
        st.one_of(
            st.integers(0, 2**62),
            st.sampled_from(SIZE_EDGES).flatmap(lambda edge: st.integers(max(0, edge - 2), edge + 2)),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_size_sql_equals_bisect(con: Any, sizes: list[int]) -> None:
    rows = evaluate(con, "s", sizes, [SizeBreakdown.sql("s")])
    assert [row[0] for row in rows] == [bisect_right(SIZE_EDGES, size) for size in sizes]


# --------------------------------------------------------------------------- ages


def stamp(moment: datetime, *, millis: bool = True) -> str:
    """LastModified as S3 lists it (``...T12:30:45.000Z``) or without milliseconds."""
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{moment.microsecond // 1000:03d}Z" if millis else "Z")


def around_cutoffs() -> list[str]:
    values = []
    for days in AGE_EDGES_DAYS:
        cut = NOW - timedelta(days=days)
        for delta in (-1, 0, 1):
            moment = cut + timedelta(seconds=delta)
            values += [stamp(moment), stamp(moment, millis=False), stamp(moment + timedelta(milliseconds=999))]
    return values


def test_age_sql_around_every_cutoff(con: Any) -> None:
    breakdown = AgeBreakdown(NOW)
    values = around_cutoffs()
    rows = evaluate(con, "m", values, [breakdown.sql("m")])
    assert [row[0] for row in rows] == [breakdown._bin(0, value) for value in values]


def test_age_bins_at_the_cutoffs() -> None:
    """Exactly N days old is in the band starting at N days; one second younger is not."""
    breakdown = AgeBreakdown(NOW)
    assert breakdown._bin(0, stamp(NOW)) == 0
    for index, days in enumerate(AGE_EDGES_DAYS):
        cut = NOW - timedelta(days=days)
        assert breakdown._bin(0, stamp(cut + timedelta(seconds=1))) == index
        assert breakdown._bin(0, stamp(cut + timedelta(milliseconds=999))) == index + 1  # seconds resolution
        assert breakdown._bin(0, stamp(cut)) == index + 1
        assert breakdown._bin(0, stamp(cut - timedelta(seconds=1))) == index + 1
    assert len(age_cutoffs(NOW)) == len(AGE_EDGES_DAYS)


# Any time, and times within 3 s of an age cut-off, to the millisecond.
MOMENTS = st.one_of(
    st.datetimes(datetime(1990, 1, 1), datetime(2030, 1, 1), timezones=st.just(UTC)),
    st.tuples(st.sampled_from(AGE_EDGES_DAYS), st.integers(-3000, 3000)).map(
        lambda dd: NOW - timedelta(days=dd[0], milliseconds=dd[1])
    ),
)


@SETTINGS
@given(moments=st.lists(MOMENTS, min_size=1, max_size=60), millis=st.booleans())
@example(moments=[NOW, NOW + timedelta(days=1)], millis=True)
def test_age_sql_equals_bin(con: Any, moments: list[datetime], millis: bool) -> None:
    breakdown = AgeBreakdown(NOW)
    values = [stamp(moment, millis=millis) for moment in moments] + ["", "garbage"]
    rows = evaluate(con, "m", values, [breakdown.sql("m")])
    assert [row[0] for row in rows] == [breakdown._bin(0, value) for value in values]


@pytest.fixture(scope="module")
def report_con() -> Iterator[duckdb.DuckDBPyConnection]:
    """The inventory analyser's own locked-down connection (its UTC time zone), opened once: examples only read."""
    from s3_storage_analyser.inventory.analyse import connect

    connection = connect(threads=1)
    yield connection
    connection.close()


@pytest.mark.slow
@SETTINGS
@given(moments=st.lists(st.one_of(st.none(), MOMENTS), min_size=1, max_size=60), zoned=st.booleans())
def test_age_sql_over_timestamps_equals_bin(report_con: Any, moments: list[datetime | None], zoned: bool) -> None:
    """Parquet and ORC reports hold TIMESTAMP (or zoned) columns: the same bins as the text S3 lists."""
    breakdown = AgeBreakdown(NOW)
    kind = pa.timestamp("ms", tz="UTC") if zoned else pa.timestamp("ms")
    values = [m if zoned or m is None else m.replace(tzinfo=None) for m in moments]
    table = pa.table({"i": pa.array(range(len(values)), pa.int64()), "m": pa.array(values, kind)})
    report_con.register("t_times", table)
    try:
        sql = f"SELECT {breakdown.sql('m', timestamp=True)} FROM t_times ORDER BY i"
        rows = [row[0] for row in report_con.execute(sql).fetchall()]
    finally:
        report_con.unregister("t_times")
    assert rows == [breakdown._bin(0, stamp(m) if m else "") for m in moments]
