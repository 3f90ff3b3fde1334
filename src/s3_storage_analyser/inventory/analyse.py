"""Count an inventory report with DuckDB, into the same breakdowns the listing strategy fills.

One pass over the data: a ``GROUPING SETS`` query yields the class totals and
every breakdown's groups at once; the groups are fed into the breakdown
accumulators of ``aggregate`` (whose SQL expressions sit beside their Python
ones), so top-K, ``(other)`` and row shapes are exactly the listing's.
Parquet is read by DuckDB directly, gzip CSV by DuckDB's CSV reader, ORC
through a pyarrow dataset (streamed, never loaded whole).

The report is someone else's text: no part of it is spliced into SQL. Column
names are documented field names (checked in ``manifest``) written as quoted
identifiers; file paths are bound parameters; the connection is locked down
(``session``) to read only this report's files and write nothing but its own
spill files. Every counted value is checked as it is read: a size that is not
a non-negative 64-bit integer, or a column of the wrong type, fails the bucket
with a message naming the file and the column (and the row where the format
tells it), never counted as 0.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from ..aggregate import DIMENSIONS, BreakdownSpec, Columns, TopObjects, folder_sql
from ..errors import InventoryError
from ..listing.tally import SMALL_OBJECTS, Tally
from ..model import Usage
from ..storage_classes import SMALL_OBJECT_BYTES
from ..tree.builder import TreeBreakdown
from .fields import quote_identifier
from .manifest import Manifest

# S3 Inventory's Intelligent-Tiering access tiers, named as CloudWatch names their storage types.
IT_TIER_STORAGE_TYPES = {
    "FREQUENT": "IntelligentTieringFAStorage",
    "INFREQUENT": "IntelligentTieringIAStorage",
    "ARCHIVE_INSTANT_ACCESS": "IntelligentTieringAIAStorage",
    "ARCHIVE": "IntelligentTieringAAStorage",
    "DEEP_ARCHIVE": "IntelligentTieringDAAStorage",
}


# The Parquet / ORC columns the counting reads (and their types); the others (bucket, ETag...) are never read.
COUNTED_COLUMNS = {
    "key": "VARCHAR",
    "size": "BIGINT",
    "storage_class": "VARCHAR",
    "last_modified_date": "TIMESTAMP",
    "is_latest": "BOOLEAN",
    "is_delete_marker": "BOOLEAN",
    "intelligent_tiering_access_tier": "VARCHAR",
}


# The types each counted column may have, as DuckDB names them (checked per file before counting).
SIZE_TYPES = frozenset({"BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UINTEGER", "USMALLINT", "UTINYINT"})
ALLOWED_TYPES: dict[str, frozenset[str]] = {
    "key": frozenset({"VARCHAR"}),
    "size": SIZE_TYPES,
    "storage_class": frozenset({"VARCHAR"}),
    "last_modified_date": frozenset({"TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_MS", "TIMESTAMP_NS"}),
    "is_latest": frozenset({"BOOLEAN"}),
    "is_delete_marker": frozenset({"BOOLEAN"}),
    "intelligent_tiering_access_tier": frozenset({"VARCHAR"}),
}
# The text that marks a value check's own error (raised inside the scan by DuckDB's error()).
CHECK_MARK = "inventory value check: "
ERROR_CHARS = 600  # DuckDB quotes whole lines in CSV errors: a 64 MiB row must not become the message


@dataclass(frozen=True)
class Source:
    """The normalised view's columns, as SQL expressions over the raw files."""

    relation: str
    key: str
    size: str  # checked: fails the scan (naming file and column) on a value that is not a size
    storage_class: str
    last_modified: str  # ISO-8601 text (CSV) or a TIMESTAMP column (Parquet, ORC)
    is_latest: str
    is_delete_marker: str
    it_tier: str | None
    has_versions: bool
    timestamps: bool = False  # last_modified is a TIMESTAMP, formatted only where shown
    params: Mapping[str, object] = field(default_factory=dict)  # bound values: the file list
    shown: Mapping[str, str] = field(default_factory=dict)  # a local path -> the name the user knows


def _q(name: str) -> str:
    return quote_identifier(name)


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _size_check(size: str, marker: str, filename: str, row: str | None, *, text: bool) -> str:
    """``size`` as BIGINT, or DuckDB's error() naming the file, the column and the value (or row).

    Delete markers have no size (0); any other row must have one. For CSV the text must be
    plain digits that fit in int64 (DuckDB's casts would take ``+1``, ``1e3``, ``0x10``, ``1.5``).
    """
    where = f"{filename} || {_sql_text(' row ')} || ({row} + 1)" if row else filename
    what = f"CAST(to_json(left({size}, 40)) AS VARCHAR)" if text else f"CAST({size} AS VARCHAR)"
    bad = (
        f"error({_sql_text(CHECK_MARK)} || {where} || {_sql_text(': column Size has ')} || "
        f"coalesce({what}, 'no value') || {_sql_text(', not a non-negative 64-bit integer')})"
    )
    if text:
        valid = f"regexp_full_match({size}, '[0-9]{{1,19}}') AND TRY_CAST({size} AS BIGINT) IS NOT NULL"
        value = f"CAST({size} AS BIGINT)"
    else:
        valid = f"{size} >= 0 AND {size} <= 9223372036854775807"
        value = f"CAST({size} AS BIGINT)"
    return f"(CASE WHEN {size} IS NULL AND {marker} THEN 0 WHEN {valid} THEN {value} ELSE {bad} END)"


def _csv_source(manifest: Manifest, paths: Sequence[str]) -> Source:
    columns = manifest.columns  # documented CamelCase names only (parse_manifest checked them)
    spec = "{" + ", ".join(f"{_sql_text(c)}: 'VARCHAR'" for c in columns) + "}"
    # strict_mode: a row that is not valid CSV (an unterminated quote...) fails the scan instead of being
    # skipped or merged; ignore_errors stays off and max_line_size stays DuckDB's bound (2 MB: an
    # inventory row holds a 1 KiB key and short fields), so nothing is silently dropped.
    relation = (
        f"read_csv($files, header = false, columns = {spec}, delim = ',', quote = '\"', "
        "escape = '\"', compression = 'gzip', auto_detect = false, strict_mode = true, ignore_errors = false, "
        "null_padding = false, filename = true)"
    )
    present = set(columns)
    marker = f"coalesce(lower({_q('IsDeleteMarker')}) = 'true', false)" if "IsDeleteMarker" in present else "false"
    return Source(
        relation=relation,
        # Keys in CSV reports are URL-encoded like ListObjects' EncodingType=url (form style: '+' is a space).
        key=f"url_decode(replace({_q('Key')}, '+', ' '))",
        size=_size_check(_q("Size"), marker, "filename", None, text=True),
        storage_class=f"coalesce(nullif({_q('StorageClass')}, ''), 'STANDARD')"
        if "StorageClass" in present
        else "'STANDARD'",
        last_modified=f"coalesce({_q('LastModifiedDate')}, '')" if "LastModifiedDate" in present else "''",
        is_latest=f"coalesce(lower({_q('IsLatest')}) = 'true', true)" if "IsLatest" in present else "true",
        is_delete_marker=marker,
        it_tier=f"nullif({_q('IntelligentTieringAccessTier')}, '')"
        if "IntelligentTieringAccessTier" in present
        else None,
        has_versions="IsLatest" in present,
        params={"files": list(paths)},
    )


def _columnar_source(
    relation: str, names: set[str], where: str, *, filename: str = "filename", row: str | None = None
) -> Source:
    if "key" not in names or "size" not in names:
        missing = "key" if "key" not in names else "size"
        raise InventoryError(
            f"{where}: the report has no {missing} column, so it cannot be counted.",
            hint="Add the Size field to the inventory configuration, or use --strategy list.",
        )
    marker = f"coalesce({_q('is_delete_marker')}, false)" if "is_delete_marker" in names else "false"
    return Source(
        relation=relation,
        key=_q("key"),
        size=_size_check(_q("size"), marker, filename, row, text=False),
        storage_class=f"coalesce({_q('storage_class')}, 'STANDARD')" if "storage_class" in names else "'STANDARD'",
        last_modified=_q("last_modified_date") if "last_modified_date" in names else "NULL::TIMESTAMP",
        is_latest=f"coalesce({_q('is_latest')}, true)" if "is_latest" in names else "true",
        is_delete_marker=marker,
        it_tier=_q("intelligent_tiering_access_tier") if "intelligent_tiering_access_tier" in names else None,
        has_versions="is_latest" in names,
        timestamps=True,
    )


def _check_types(types: Mapping[str, str], shown: str) -> None:
    """Each counted column of one file has a type it may have, or the bucket fails naming file and column."""
    for column, allowed in ALLOWED_TYPES.items():
        found = types.get(column)
        if found is not None and found not in allowed:
            raise InventoryError(
                f"{shown}: column {column} is {found}, not {' or '.join(sorted(allowed))}.",
                hint="The report was not written by S3 Inventory, or was altered; use --strategy list.",
            )


def connect(
    paths: Sequence[str | Path] = (),
    threads: int | None = None,
    memory_limit: str = "1GB",
    *,
    spill: Path | None = None,
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB locked down for one report.

    It may open only ``paths`` (``allowed_paths`` with ``enable_external_access`` off:
    no other file, no COPY TO elsewhere, no ATTACH, no network, no extension install or
    load), spill only to ``spill`` (a directory this run created; none: no spilling), and
    ``lock_configuration`` keeps any statement from loosening that. Note that DuckDB lets
    a connection write to the files it may read: no statement the tool runs writes, and
    cached files are read-only and verified by MD5 before every use.
    """
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    con.execute("SET allowed_paths = $paths", {"paths": [str(Path(p).absolute()) for p in paths]})
    con.execute(f"SET threads TO {int(threads or os.cpu_count() or 1)}")
    con.execute(f"SET memory_limit = {_sql_text(memory_limit)}")
    con.execute("SET preserve_insertion_order = false")
    # Spill (above the memory limit) to this run's own directory, not to ./.tmp wherever the user stands.
    con.execute(f"SET temp_directory = {_sql_text(str(spill) if spill else '')}")
    # Parquet and ORC timestamps are instants: format them in UTC, not in the machine's time zone
    # (the setting exists only with ICU, which is also what would apply the local zone).
    with contextlib.suppress(duckdb.Error):
        con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


@contextlib.contextmanager
def session(
    paths: Sequence[str | Path], threads: int | None = None, memory_limit: str = "1GB"
) -> Iterator[duckdb.DuckDBPyConnection]:
    """``connect`` with a private spill directory, removed (with what DuckDB put there) at the end."""
    spill = Path(tempfile.mkdtemp(prefix="s3-storage-analyser-duckdb-"))
    con = connect(paths, threads, memory_limit, spill=spill)
    try:
        yield con
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def open_source(
    con: duckdb.DuckDBPyConnection,
    manifest: Manifest,
    paths: Sequence[Path],
    shown: Sequence[str] | None = None,
) -> Source:
    """The files as one relation with the columns the counting needs.

    ``shown`` names each file as the user knows it (``s3://bucket/key``) in messages; by default its path.
    """
    where = manifest.location
    files = [str(Path(p).absolute()) for p in paths]
    names = dict(zip(files, shown or files, strict=True))
    if not paths:
        # The report of an empty bucket (or filter) lists no data files: nothing to count, not an error.
        if manifest.file_format == "CSV":
            empty = ", ".join(f"NULL::VARCHAR AS {_q(c)}" for c in manifest.columns)
            source = _csv_source(manifest, files)
            return replace(source, relation=f"(SELECT {empty}, NULL::VARCHAR AS filename WHERE false)", params={})
        # The fields the configuration names (fileSchema) still say what the report would have held.
        present = (set(manifest.columns) & COUNTED_COLUMNS.keys()) | {"key", "size"}
        typed = [f"NULL::{COUNTED_COLUMNS[n]} AS {_q(n)}" for n in sorted(present)]
        nothing = "(SELECT " + ", ".join([*typed, "NULL::VARCHAR AS filename"]) + " WHERE false)"
        return _columnar_source(nothing, present, where)
    try:
        if manifest.file_format == "CSV":
            return replace(_csv_source(manifest, files), shown=names)
        if manifest.file_format == "Parquet":
            for path in files:
                described = con.execute("DESCRIBE SELECT * FROM read_parquet($file)", {"file": path}).fetchall()
                _check_types({str(d[0]): str(d[1]) for d in described}, names[path])
            relation = "read_parquet($files, filename = true, file_row_number = true)"
            described = con.execute(f"DESCRIBE SELECT * FROM {relation}", {"files": files}).fetchall()
            present = {str(d[0]) for d in described} & COUNTED_COLUMNS.keys()
            source = _columnar_source(relation, present, where, row="file_row_number")
            return replace(source, params={"files": files}, shown=names)
        return _orc_source(con, files, names, where)
    except (duckdb.Error, OSError, ValueError) as exc:
        raise InventoryError(
            f"{where}: cannot read the {manifest.file_format} data files: {_shown_error(exc, names)}"
        ) from exc


def _orc_source(con: duckdb.DuckDBPyConnection, files: list[str], names: Mapping[str, str], where: str) -> Source:
    import pyarrow as pa
    import pyarrow.dataset as pads

    dataset = pads.dataset(files, format="orc")
    for fragment in dataset.get_fragments():
        schema = fragment.physical_schema
        types = {f.name: _arrow_type_name(pa, f.type) for f in schema if f.name in COUNTED_COLUMNS}
        _check_types(types, names.get(fragment.path, fragment.path))
    # Only the columns counted (a scanner's columns are fixed before DuckDB sees it), and no
    # read-ahead: the dataset itself buffers ~500 MB ahead of a slow consumer. Decoding on
    # pyarrow's threads stays within that bound (10M rows: 7.0 -> 4.3 s, 340 -> 373 MB).
    counted = [name for name in dataset.schema.names if name in COUNTED_COLUMNS]
    scanner = dataset.scanner(
        columns=[*counted, "__filename"], batch_readahead=0, fragment_readahead=0, use_threads=True
    )
    con.register("orc_inventory", scanner)
    source = _columnar_source("orc_inventory", set(counted), where, filename=_q("__filename"))
    return replace(source, shown=names)


def _arrow_type_name(pa: object, arrow_type: object) -> str:
    """An Arrow type as the DuckDB type it becomes (for the counted columns' checks)."""
    types = pa.types  # type: ignore[attr-defined]
    if types.is_string(arrow_type) or types.is_large_string(arrow_type):
        return "VARCHAR"
    if types.is_boolean(arrow_type):
        return "BOOLEAN"
    if types.is_timestamp(arrow_type):
        return "TIMESTAMP WITH TIME ZONE" if arrow_type.tz else "TIMESTAMP"  # type: ignore[attr-defined]
    names = {"int64": "BIGINT", "int32": "INTEGER", "int16": "SMALLINT", "int8": "TINYINT"}
    names |= {"uint64": "UBIGINT", "uint32": "UINTEGER", "uint16": "USMALLINT", "uint8": "UTINYINT"}
    return names.get(str(arrow_type), str(arrow_type).upper())


def _shown_error(exc: BaseException, shown: Mapping[str, str]) -> str:
    """DuckDB's message, bounded, with cache paths replaced by the names the user knows."""
    text = str(exc)
    if CHECK_MARK in text:
        text = text[text.index(CHECK_MARK) + len(CHECK_MARK) :]
    text = text[: ERROR_CHARS * 4]
    for path, name in shown.items():
        text = text.replace(path, name)
    return text[:ERROR_CHARS] + (" ..." if len(text) > ERROR_CHARS else "")


# Rows read to find a lower bound for the top objects' sizes (see _top_threshold).
TOP_SAMPLE_ROWS = 100_000


def analyse(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    spec: BreakdownSpec,
    *,
    now: datetime | None = None,
    key_prefix: str = "",
) -> Usage:
    """Totals by class, hidden costs and every asked-for breakdown, from one scan.

    Breakdowns count current objects only, as listing does: their group
    expressions are NULL for other rows, and NULL groups are skipped. The top
    objects come from the same scan, as a bounded aggregate per class group.
    """
    now = now or datetime.now(UTC)
    breakdowns = replace(spec, now=now).make()
    columns = Columns(key="k", size="s", last_modified="m", timestamps=source.timestamps)
    groups: list[tuple[str, Any]] = []  # (SQL over the base columns k/s/m, the accumulator it feeds)
    tree: TreeBreakdown | None = None  # grouped by (folder, class) with the newest and oldest times, below
    for breakdown in breakdowns:
        dimension = DIMENSIONS.get(breakdown.dimension)  # None: the top objects, counted below
        if isinstance(breakdown, TreeBreakdown):
            tree = breakdown
        elif dimension is not None and dimension.sql is not None:
            groups.append((dimension.sql(breakdown, columns), breakdown))
    tier = source.it_tier or "NULL"
    base = (
        f"SELECT {source.key} AS k, {source.size} AS s, {source.storage_class} AS c, "
        f"{source.last_modified} AS m, ({source.is_latest} AND NOT {source.is_delete_marker}) AS cur, "
        f"{source.is_delete_marker} AS dm, {tier} AS t FROM {source.relation}"
    )
    params = dict(source.params)
    if key_prefix:
        params["prefix"] = key_prefix  # a bound value, like the file list
    scope = "starts_with(k, $prefix)" if key_prefix else "true"
    # sm: under 128 KiB (objects some classes bill as 128 KiB), a grouping column of the class set only
    small = f"s < {int(SMALL_OBJECT_BYTES)} AS sm"
    tagged = ", ".join(["*", small, *(f"CASE WHEN cur THEN {expr} END AS g{i}" for i, (expr, _) in enumerate(groups))])
    names = [f"g{i}" for i in range(len(groups))]
    sets = ", ".join(["(c, cur, dm, t, sm)", *(f"({n})" for n in names)])
    folders = ""  # with --by tree: one more set, (folder, class), and its columns after all the others
    if tree is not None:
        tagged += f", CASE WHEN cur THEN {folder_sql(columns.key, tree.delimiter)} END AS gt"
        sets += ", (gt, c)"
        folders = ", GROUPING(gt), gt, max(m), min(m)"
    flags = "".join(f", GROUPING({n})" for n in names)
    values = "".join(f", {n}" for n in names)
    try:
        top = ""
        if spec.top_objects:
            n = int(spec.top_objects)
            threshold = _top_threshold(con, base, scope, n, params)
            # largest first, then the smallest key, as listing's TopObjects
            order = "{'s': -s, 'k': k}"
            top = f", min_by({{'k': k, 's': s, 'c': c, 'm': m}}, {order}, {n}) FILTER (WHERE cur AND s >= {threshold})"
        sql = (
            f"WITH base AS ({base}), tagged AS (SELECT {tagged} FROM base WHERE {scope}) "
            f"SELECT GROUPING(c){flags}, c, cur, dm, t, sm{values}, count(*), sum(s)::HUGEINT{top}{folders} "
            f"FROM tagged GROUP BY GROUPING SETS ({sets})"
        )
        rows = con.execute(sql, params).fetchall()
    except duckdb.Error as exc:
        if CHECK_MARK in str(exc):
            raise InventoryError(_shown_error(exc, source.shown)) from exc
        raise InventoryError(f"DuckDB could not count the report: {_shown_error(exc, source.shown)}") from exc

    tally = Tally(breakdowns=breakdowns)
    tally.measured.add(SMALL_OBJECTS)
    if source.has_versions:
        tally.measured.add("versions")
    top_objects = next((b for b in breakdowns if isinstance(b, TopObjects)), None)
    storage_types: dict[str, int] = {}
    width = len(groups)
    at = 8 + 2 * width + (1 if spec.top_objects else 0)  # where the tree's columns start
    for row in rows:
        count, size = int(row[6 + 2 * width]), int(row[7 + 2 * width])
        if tree is not None and row[at] == 0:  # the (folder, class) set
            if row[at + 1] is not None:  # None: not a current object
                newest, oldest = _shown_time(row[at + 2]) or None, _shown_time(row[at + 3]) or None
                tree.add_group(row[at + 1], row[1 + width], count, size, newest, oldest)
            continue
        if row[0] == 0:  # the (class, current, delete marker, tier, small) set: every row once
            storage, current, marker, tier_name, small = row[1 + width : 6 + width]
            _add_totals(
                tally, storage_types, storage, bool(current), bool(marker), tier_name, count, size, small=bool(small)
            )
            if top_objects is not None:
                for item in row[8 + 2 * width] or ():
                    top_objects.add(item["k"], int(item["s"]), item["c"], _shown_time(item["m"]))
            continue
        index = next(i for i in range(width) if row[1 + i] == 0)
        value = row[6 + width + index]
        if value is not None:  # None: not a current object
            groups[index][1].add_group(value, count, size)
    usage = tally.to_usage()
    return replace(usage, storage_types=storage_types) if storage_types else usage


def _top_threshold(con: duckdb.DuckDBPyConnection, base: str, scope: str, n: int, params: Mapping[str, object]) -> int:
    """A lower bound of the n-th largest current size, from the first rows: only objects at least
    this large can be among the top n, so only they reach the (bounded) top-n aggregate, and the
    scan stays one scan. Reading ``TOP_SAMPLE_ROWS`` rows costs ~1% of a 10M-row report."""
    sample = f"(SELECT * FROM ({base}) LIMIT {TOP_SAMPLE_ROWS})"
    row = con.execute(f"SELECT max(s, {n}) FILTER (WHERE cur AND {scope}) FROM {sample}", dict(params)).fetchone()
    largest = row[0] if row else None
    return int(largest[-1]) if largest and len(largest) == n else 0


def _shown_time(moment: datetime | str | None) -> str:
    """LastModified as S3 lists it (UTC, milliseconds), from a report's TIMESTAMP or text."""
    if moment is None:
        return ""
    if isinstance(moment, str):
        return moment
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _add_totals(
    tally: Tally,
    storage_types: dict[str, int],
    storage: str,
    current: bool,
    marker: bool,
    tier: str | None,
    count: int,
    size: int,
    *,
    small: bool,
) -> None:
    """One (class, current, delete marker, tier, small) group's counts; ``small``: its objects are under
    ``SMALL_OBJECT_BYTES``."""
    if marker:
        tally.delete_markers += count
        return
    objects, sizes = (tally.objects, tally.bytes) if current else (tally.noncurrent_objects, tally.noncurrent_bytes)
    objects[storage] = objects.get(storage, 0) + count
    sizes[storage] = sizes.get(storage, 0) + size
    if small:
        small_objects, small_sizes = (
            (tally.small_objects, tally.small_bytes)
            if current
            else (tally.noncurrent_small_objects, tally.noncurrent_small_bytes)
        )
        small_objects[storage] = small_objects.get(storage, 0) + count
        small_sizes[storage] = small_sizes.get(storage, 0) + size
    if current and tier and storage == "INTELLIGENT_TIERING":
        name = IT_TIER_STORAGE_TYPES.get(tier, f"IntelligentTiering{tier.title()}Storage")
        storage_types[name] = storage_types.get(name, 0) + size
