"""Inventory strategy throughput and memory: the full breakdown against DuckDB's bare scan of the same files.

    .venv/bin/python benchmarks/inventory.py [--rows 10000000] [--formats CSV,Parquet,ORC] [--quick]

Generates (once, cached under ``benchmarks/results/data/``, git-ignored) a
versioned S3 Inventory report of ``--rows`` rows in each format, laid out as AWS
lays it out (``inventory/<source>/<config>/data/<uuid>.<ext>`` in files of about
a million rows, ``<date>/manifest.json`` with each file's MD5 and
``manifest.checksum``). The rows are computed by DuckDB from their index
(``hash(i, ...)``), not built as Python objects, so 10M rows take minutes, not hours.

Then, per format and in the same run, each in its own child process (so the peak
RSS is that measurement's alone; it is the child's kernel-kept ``VmHWM``):

* ``bare scan``: the limit, ``SELECT count(*), sum(size)`` over the same files and
  the same relation the strategy builds (``open_source``: the strategy's
  ``read_csv`` options and size cast for CSV, ``read_parquet``, the pyarrow ORC
  dataset), on a ``session()`` connection (locked down to the report's files, as the strategy runs it);
* ``wide scan`` (informational): every column ``analyse`` reads, normalised by
  the same expressions (key decoding, timestamp formatting...), counted and
  summed with no breakdown: the floor of any breakdown over these files. For
  Parquet and ORC it reads the key column, which the bare scan never touches;
* ``full breakdown``: ``parse_manifest`` + ``session`` + ``open_source`` +
  ``analyse`` with prefix (depth 2), size, age, extension and storage-class
  breakdowns and the top 10 objects, as ``--strategy inventory`` runs them.

The timed section excludes interpreter start-up and imports (both pay them
alike). Each result is checked against the truth computed from the generator:
objects + noncurrent + delete markers = rows, bytes = the bare scan's sum = the
truth, per-class counts, the level-1 prefixes, every histogram's totals and
the top objects; a wrong answer is marked WRONG and passes no target.

Targets (informational, PASS/MISS; the run exits 0 unless a result is wrong or a child fails):
the full breakdown at least a third of the bare scan's rows/s, and under 1 GB peak RSS.
Results: a table on stdout and ``benchmarks/results/inventory-<date>.json``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.metadata
import json
import os
import platform
import resource
import shutil
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import s3_storage_analyser
from common import git_commit, machine_busy_seconds, run_measured
from s3_storage_analyser.aggregate import NO_PREFIX, OTHER, BreakdownSpec

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
FORMATS = ("CSV", "Parquet", "ORC")
GENERATOR_VERSION = 1  # bump when the generated rows change: the cache key
SOURCE_BUCKET = "bench-source"
DESTINATION_BUCKET = "bench-inventory"
CONFIG_ID = "all-objects"
ROWS_PER_FILE = 1_000_000
END = datetime(2026, 11, 1, tzinfo=UTC)  # newest LastModified; also "now" for the age breakdown
SPAN_DAYS = 6 * 365 + 1
WRITTEN = END + timedelta(hours=1)
SPEC = BreakdownSpec(dimensions=("prefix", "size", "age", "extension", "storage-class"), depth=2, top_objects=10)
MIN_RATIO = 1 / 3
MAX_RSS_MB = 1024.0
BARE, WIDE, FULL = "bare scan", "wide scan", "full breakdown"

# CamelCase (CSV fileSchema) and snake_case (Parquet / ORC columns), AWS's field names, in AWS's order.
FIELDS = (
    ("Bucket", "bucket"),
    ("Key", "key"),
    ("VersionId", "version_id"),
    ("IsLatest", "is_latest"),
    ("IsDeleteMarker", "is_delete_marker"),
    ("Size", "size"),
    ("LastModifiedDate", "last_modified_date"),
    ("ETag", "e_tag"),
    ("StorageClass", "storage_class"),
    ("IntelligentTieringAccessTier", "intelligent_tiering_access_tier"),
)
EXTENSIONS = {"CSV": "csv.gz", "Parquet": "parquet", "ORC": "orc"}


# --------------------------------------------------------------------------- the generator


def _u(expr: str) -> str:
    """A uniform double in [0, 1) from a 64-bit hash."""
    return f"(({expr}) / 18446744073709551616.0)"


def _hex(expr: str) -> str:
    return f"lower(lpad(to_hex({expr}), 16, '0'))"


def _pick(options: Sequence[str], index: str) -> str:
    """One of ``options`` (SQL string literals) chosen by the UBIGINT ``index``."""
    items = ", ".join("'" + o.replace("'", "''") + "'" for o in options)
    return f"[{items}][1 + (({index}) % {len(options)})::BIGINT]"


def generator_sql(start: int, stop: int) -> str:
    """Rows ``start..stop-1`` of the report, typed as the Parquet / ORC columns, plus ``cat`` (top-level prefix).

    Everything derives from the row index ``i`` through DuckDB's ``hash``, so any
    range can be generated alone and the same rows come out every time. ~1% of rows
    are delete markers (most of them the latest version), ~5% noncurrent versions;
    both reuse the key of a row just before them, as versions of one key sit together.
    """
    end_ms = int(END.timestamp() * 1000)
    span_ms = SPAN_DAYS * 86_400_000
    # Skewed towards recent objects: u^1.5 of the span back from END.

    def age(seed: str) -> str:
        return f"epoch_ms({end_ms} - (pow({_u(seed)}, 1.5) * {span_ms})::BIGINT)"

    size_ranges = {  # (smallest, largest) bytes, log-uniform with u^2: most objects small, a few huge
        "logs": (200, 64 << 20),
        "images": (5 << 10, 12 << 20),
        "data": (64 << 10, 1 << 30),
        "uploads": (100, 2 << 30),
        "backups": (10 << 20, 200 << 30),
        "video": (100 << 10, 8 << 30),
        "tmp": (10, 10 << 20),
        "": (100, 100 << 10),
    }
    lo = "CASE cat " + " ".join(f"WHEN '{c}' THEN {r[0]}" for c, r in size_ranges.items()) + " END"
    hi = "CASE cat " + " ".join(f"WHEN '{c}' THEN {r[1]}" for c, r in size_ranges.items()) + " END"
    names = ["Invoice ", "Quarterly Report ", "photo_", "scan-", "Contract (final) ", "Résumé ", "IMG_"]
    documents = [".pdf", ".docx", ".xlsx", ".csv", ".txt", ".mp4", ".zip", ".png", ".tar.gz", ".PDF", ".heic"]
    key = f"""CASE cat
        WHEN 'logs' THEN 'logs/' || strftime(key_ts, '%Y/%m/%d') || '/host-' || lpad((k3 % 40)::VARCHAR, 2, '0')
            || '/part-' || lpad((k1 % 100000)::VARCHAR, 5, '0')
            || {_pick([".json.gz", ".json.gz", ".json.gz", ".log", ".log.zst"], "k2")}
        WHEN 'images' THEN 'images/' || h1[1:2] || '/' || h1[3:4] || '/' || h1 || h2
            || {_pick([".jpg", ".jpg", ".jpg", ".png", ".png", ".webp", ".JPG", ".gif"], "k3")}
        WHEN 'data' THEN 'data/' || {_pick(["events", "orders", "users", "clicks", "sessions", "payments"], "k3")}
            || '/dt=' || strftime(key_ts, '%Y-%m-%d') || '/part-' || lpad((k1 % 1000)::VARCHAR, 5, '0') || '-' || h2
            || {_pick([".snappy.parquet", ".snappy.parquet", ".snappy.parquet", ".csv.gz", ".json"], "k2 // 7")}
        WHEN 'uploads' THEN 'uploads/user-' || (k1 % 50000)::VARCHAR || '/'
            || {_pick(names, "k2")} || (k3 % 100000)::VARCHAR || {_pick(documents, "k3 // 100000")}
        WHEN 'backups' THEN 'backups/db-' || (k1 % 12)::VARCHAR || '/' || strftime(key_ts, '%Y-%m-%d') || '/dump-'
            || (k2 % 100)::VARCHAR || {_pick([".sql.gz", ".tar.zst", ".bak"], "k3")}
        WHEN 'video' THEN 'video/' || strftime(key_ts, '%Y') || '/' || h1 || '/'
            || {_pick(["1080p.mp4", "720p.mp4", "480p.mp4", "master.m3u8", "poster.jpg", "seg-00001.ts"], "k3")}
        WHEN 'tmp' THEN 'tmp/' || h1 || h2
        ELSE 'root-' || j::VARCHAR || {_pick(["", ".html", ".txt", ".json"], "k3")}
    END"""
    general = (
        "CASE WHEN cr < 680 THEN 'STANDARD' WHEN cr < 780 THEN 'STANDARD_IA' WHEN cr < 880 THEN 'INTELLIGENT_TIERING' "
        "WHEN cr < 930 THEN 'GLACIER_IR' WHEN cr < 960 THEN 'GLACIER' WHEN cr < 975 THEN 'DEEP_ARCHIVE' "
        "WHEN cr < 990 THEN 'ONEZONE_IA' ELSE 'REDUCED_REDUNDANCY' END"
    )
    archive = (
        "CASE WHEN cr < 300 THEN 'GLACIER' WHEN cr < 700 THEN 'DEEP_ARCHIVE' WHEN cr < 900 THEN 'STANDARD_IA' "
        "ELSE 'STANDARD' END"
    )
    tiers = _pick(
        ["FREQUENT", "FREQUENT", "FREQUENT", "INFREQUENT", "INFREQUENT", "ARCHIVE_INSTANT_ACCESS"], "hash(i, 'tier')"
    )
    return f"""
WITH a AS (
    SELECT i, hash(i, 'role') % 1000 AS role FROM range({start}, {stop}) r(i)
), b AS (
    SELECT i, role, CASE WHEN role < 60 THEN greatest(i - 1 - (hash(i, 'prev') % 3)::BIGINT, 0) ELSE i END AS j FROM a
), c AS (
    SELECT i, role, j,
        hash(j, 'cat') % 1000 AS cat_r, hash(j, 'k1') AS k1, hash(j, 'k2') AS k2, hash(j, 'k3') AS k3,
        {age("hash(j, 'time')")} AS key_ts, {age("hash(i, 'time')")} AS ts,
        hash(i, 'zero') % 1000 AS zero_r, hash(i, 'class') % 1000 AS cr, {_u("hash(i, 'size')")} AS su
    FROM b
), d AS (
    SELECT *,
        CASE WHEN cat_r < 300 THEN 'logs' WHEN cat_r < 500 THEN 'images' WHEN cat_r < 650 THEN 'data'
             WHEN cat_r < 800 THEN 'uploads' WHEN cat_r < 850 THEN 'backups' WHEN cat_r < 900 THEN 'video'
             WHEN cat_r < 997 THEN 'tmp' ELSE '' END AS cat,
        {_hex("k1")} AS h1, {_hex("k2")} AS h2
    FROM c
), e AS (
    SELECT *, role < 10 AS marker, {key} AS key,
        CASE WHEN role < 10 THEN NULL WHEN cat = 'backups' THEN {archive} ELSE {general} END AS storage_class
    FROM d
)
SELECT
    '{SOURCE_BUCKET}' AS bucket,
    key,
    {_hex("hash(i, 'v1')")} || {_hex("hash(i, 'v2')")} AS version_id,
    role >= 60 OR role < 8 AS is_latest,
    marker AS is_delete_marker,
    CASE WHEN marker THEN NULL WHEN zero_r < 5 THEN 0
         ELSE exp(ln({lo}) + (ln({hi}) - ln({lo})) * su * su)::BIGINT END AS size,
    ts AS last_modified_date,
    CASE WHEN marker THEN NULL ELSE {_hex("hash(i, 'e1')")} || {_hex("hash(i, 'e2')")} END AS e_tag,
    storage_class,
    CASE WHEN storage_class = 'INTELLIGENT_TIERING' THEN {tiers} END AS intelligent_tiering_access_tier,
    cat
FROM e
"""


def csv_sql(start: int, stop: int) -> str:
    """The same rows as AWS's CSV: every field text (empty when absent), keys URL-encoded.

    ``url_encode`` with ``/`` kept and ``+`` for a space is ``quote_plus(key, safe="/")``, as the demo writer encodes.
    """
    columns = ", ".join(f"{camel}" for camel, _ in FIELDS)
    return f"""
SELECT {columns} FROM (
    SELECT
        bucket AS Bucket,
        replace(replace(url_encode(key), '%2F', '/'), '%20', '+') AS Key,
        version_id AS VersionId,
        CASE WHEN is_latest THEN 'true' ELSE 'false' END AS IsLatest,
        CASE WHEN is_delete_marker THEN 'true' ELSE 'false' END AS IsDeleteMarker,
        coalesce(size::VARCHAR, '') AS Size,
        strftime(last_modified_date, '%Y-%m-%dT%H:%M:%S.%gZ') AS LastModifiedDate,
        coalesce(e_tag, '') AS ETag,
        coalesce(storage_class, '') AS StorageClass,
        coalesce(intelligent_tiering_access_tier, '') AS IntelligentTieringAccessTier
    FROM ({generator_sql(start, stop)})
)"""


@dataclass
class Truth:
    """What a correct count of the generated report must say (from the generator, not from any file)."""

    rows: int = 0
    objects: int = 0
    bytes: int = 0  # current objects
    noncurrent_objects: int = 0
    noncurrent_bytes: int = 0
    delete_markers: int = 0
    objects_by_class: dict[str, int] = field(default_factory=dict)
    bytes_by_class: dict[str, int] = field(default_factory=dict)
    prefixes: dict[str, list[int]] = field(default_factory=dict)  # level 1, current objects: [objects, bytes]
    top: list[list[Any]] = field(default_factory=list)  # [key, size] of the largest current objects

    @property
    def all_bytes(self) -> int:
        return self.bytes + self.noncurrent_bytes


def compute_truth(rows: int) -> Truth:
    import duckdb

    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    truth = Truth(rows=rows)
    groups = con.execute(
        f"SELECT is_latest AND NOT is_delete_marker, is_delete_marker, storage_class, cat, count(*), "
        f"coalesce(sum(size), 0)::HUGEINT FROM ({generator_sql(0, rows)}) GROUP BY ALL"
    ).fetchall()
    for current, marker, storage, cat, count, size in groups:
        if marker:
            truth.delete_markers += count
        elif current:
            truth.objects += count
            truth.bytes += int(size)
            truth.objects_by_class[storage] = truth.objects_by_class.get(storage, 0) + count
            truth.bytes_by_class[storage] = truth.bytes_by_class.get(storage, 0) + int(size)
            cell = truth.prefixes.setdefault(f"{cat}/" if cat else NO_PREFIX, [0, 0])
            cell[0] += count
            cell[1] += int(size)
        else:
            truth.noncurrent_objects += count
            truth.noncurrent_bytes += int(size)
    truth.top = [
        [k, int(s)]
        for k, s in con.execute(
            f"SELECT key, size FROM ({generator_sql(0, rows)}) WHERE is_latest AND NOT is_delete_marker "
            f"ORDER BY size DESC, key LIMIT {SPEC.top_objects}"
        ).fetchall()
    ]
    con.close()
    return truth


def _arrow_schema() -> Any:
    import pyarrow as pa

    types = {
        "is_latest": pa.bool_(),
        "is_delete_marker": pa.bool_(),
        "size": pa.int64(),
        "last_modified_date": pa.timestamp("ms", tz="UTC"),
    }
    return pa.schema([(snake, types.get(snake, pa.string())) for _, snake in FIELDS])


def write_format(fmt: str, rows: int, root: Path) -> Path:
    """Write one report under ``root`` (the destination bucket's root); returns its manifest.json."""
    import duckdb

    base = f"inventory/{SOURCE_BUCKET}/{CONFIG_ID}"
    (root / base / "data").mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    entries = []
    schema = _arrow_schema() if fmt != "CSV" else None
    columns = ", ".join(snake for _, snake in FIELDS)
    for number, start in enumerate(range(0, rows, ROWS_PER_FILE)):
        stop = min(rows, start + ROWS_PER_FILE)
        # Stable names, so a rerun overwrites rather than piles up.
        name = uuid.uuid5(uuid.NAMESPACE_URL, f"s3sa-bench/{GENERATOR_VERSION}/{rows}/{fmt}/{number}")
        key = f"{base}/data/{name}.{EXTENSIONS[fmt]}"
        path = root / key
        if fmt == "CSV":
            # DuckDB's own gzip writer is ~10x slower than zlib at level 1 (the demo writer's level): write plain
            # text, then compress it in Python.
            plain = path.with_name(f"{name}.plain.csv")
            target = str(plain).replace("'", "''")
            con.execute(
                f"COPY ({csv_sql(start, stop)}) TO '{target}' "
                "(FORMAT csv, HEADER false, DELIMITER ',', QUOTE '\"', FORCE_QUOTE *, COMPRESSION none)"
            )
            with plain.open("rb") as text, gzip.open(path, "wb", compresslevel=1) as packed:
                shutil.copyfileobj(text, packed, 1 << 20)
            plain.unlink()
        else:
            table = con.sql(f"SELECT {columns} FROM ({generator_sql(start, stop)})").to_arrow_table().cast(schema)
            if fmt == "Parquet":
                import pyarrow.parquet as pq

                pq.write_table(table, path, compression="snappy")
            else:
                from pyarrow import orc

                orc.write_table(table, str(path), compression="zlib")
            del table
        digest = hashlib.md5(usedforsecurity=False)
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        entries.append({"key": key, "size": path.stat().st_size, "MD5checksum": digest.hexdigest()})
        print(f"  {fmt} file {number + 1}: {stop - start:,} rows, {path.stat().st_size / 1e6:,.1f} MB", flush=True)
    con.close()
    if fmt == "CSV":
        file_schema = ", ".join(camel for camel, _ in FIELDS)
    elif fmt == "Parquet":
        file_schema = "message s3.inventory { " + " ".join(f"optional binary {s};" for _, s in FIELDS) + " }"
    else:
        file_schema = "struct<" + ",".join(f"{s}:string" for _, s in FIELDS) + ">"
    manifest = {
        "sourceBucket": SOURCE_BUCKET,
        "destinationBucket": f"arn:aws:s3:::{DESTINATION_BUCKET}",
        "version": "2016-11-30",
        "creationTimestamp": str(int(WRITTEN.timestamp() * 1000)),
        "fileFormat": fmt,
        "fileSchema": file_schema,
        "files": entries,
    }
    raw = json.dumps(manifest, indent=2).encode()
    folder = root / base / f"{WRITTEN:%Y-%m-%dT%H-%MZ}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_bytes(raw)
    (folder / "manifest.checksum").write_text(hashlib.md5(raw, usedforsecurity=False).hexdigest() + "\n")
    return folder / "manifest.json"


@dataclass
class Dataset:
    root: Path
    rows: int
    truth: Truth
    manifests: dict[str, Path]
    generated_seconds: dict[str, float]
    files: dict[str, int]
    disk_bytes: dict[str, int]


def prepare(rows: int, formats: Sequence[str], data_dir: Path, regenerate: bool) -> Dataset:
    """The cached report of each format (generated when missing), with the truth."""
    root = data_dir / f"inventory-v{GENERATOR_VERSION}-{rows}"
    if regenerate and root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    truth_path = root / "truth.json"
    if truth_path.is_file():
        truth = Truth(**json.loads(truth_path.read_text()))
    else:
        print(f"computing the truth of {rows:,} generated rows ...", flush=True)
        started = time.perf_counter()
        truth = compute_truth(rows)
        truth_path.write_text(json.dumps(truth.__dict__, indent=1) + "\n")
        print(f"  truth in {time.perf_counter() - started:.1f} s", flush=True)
    manifests: dict[str, Path] = {}
    generated: dict[str, float] = {}
    for fmt in formats:
        folder = root / fmt
        done = folder / "complete.json"
        if done.is_file():
            info = json.loads(done.read_text())
            manifests[fmt] = folder / info["manifest"]
            generated[fmt] = float(info["seconds"])
            continue
        if folder.exists():
            shutil.rmtree(folder)  # a generation that did not finish
        print(f"generating {rows:,} rows as {fmt} under {folder} ...", flush=True)
        started = time.perf_counter()
        manifest = write_format(fmt, rows, folder)
        generated[fmt] = time.perf_counter() - started
        done.write_text(json.dumps({"manifest": str(manifest.relative_to(folder)), "seconds": generated[fmt]}))
        manifests[fmt] = manifest
        print(f"  {fmt} in {generated[fmt]:.1f} s", flush=True)
    files, disk = {}, {}
    for fmt, path in manifests.items():
        entries = json.loads(path.read_bytes())["files"]
        files[fmt] = len(entries)
        disk[fmt] = sum(int(e["size"]) for e in entries)
    return Dataset(root, rows, truth, manifests, generated, files, disk)


def verify(fmt: str, manifest_path: Path, root: Path) -> float:
    """The manifest's checksum and each data file's MD5, as ``Fetcher.local`` checks them (warms the page cache)."""
    from s3_storage_analyser.inventory.fetch import md5_of
    from s3_storage_analyser.inventory.manifest import InventoryError, parse_manifest, verify_checksum

    started = time.perf_counter()
    raw = manifest_path.read_bytes()
    verify_checksum(raw, (manifest_path.parent / "manifest.checksum").read_text(), str(manifest_path))
    manifest = parse_manifest(raw, str(manifest_path))
    if manifest.file_format != fmt:
        raise InventoryError(f"{manifest_path}: format {manifest.file_format}, expected {fmt}")
    for item in manifest.files:
        if md5_of(root / item.key) != item.md5:
            raise InventoryError(f"{root / item.key}: MD5 does not match the manifest")
    return time.perf_counter() - started


# --------------------------------------------------------------------------- the measured child


def _status_kb(name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    return 0


def child(mode: str, manifest_path: Path, root: Path) -> int:
    """One measurement in this (fresh) process; prints its result as one JSON line."""
    import duckdb
    import pyarrow.dataset  # noqa: F401  (imported before the clock: ORC's open_source imports it)

    from s3_storage_analyser.inventory.analyse import analyse, open_source, session
    from s3_storage_analyser.inventory.manifest import parse_manifest

    raw = manifest_path.read_bytes()
    rss_before_kb = _status_kb("VmRSS")
    usage_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    manifest = parse_manifest(raw, str(manifest_path))
    paths = [root / item.key for item in manifest.files]
    opened = session(paths)  # locked down to these files, spilling to its own directory, as the strategy runs it
    con = opened.__enter__()
    settings = dict(
        con.execute("SELECT name, value FROM duckdb_settings() WHERE name IN ('threads', 'memory_limit')").fetchall()
    )
    out: dict[str, Any] = {"mode": mode, "format": manifest.file_format, "files": len(paths), "settings": settings}
    source = open_source(con, manifest, paths)
    if mode == BARE:
        row = con.execute(
            f"SELECT count(*), sum({source.size})::HUGEINT FROM {source.relation}", dict(source.params)
        ).fetchone()
        assert row is not None
        out["rows"], out["bytes"] = int(row[0]), int(row[1] or 0)
    elif mode == WIDE:
        # Every column analyse() reads, normalised by the same expressions, and nothing else: the floor of any
        # breakdown over these files (for Parquet / ORC it reads the key column, which the bare scan skips).
        current = f"({source.is_latest} AND NOT {source.is_delete_marker})"
        row = con.execute(
            f"SELECT count(*), sum(coalesce({source.size}, 0))::HUGEINT, sum(length({source.key})), "
            f"count({source.storage_class}), count({source.last_modified}), count(*) FILTER (WHERE {current}), "
            f"count(*) FILTER (WHERE {source.is_delete_marker}), count({source.it_tier or 'NULL'}) "
            f"FROM {source.relation}",
            dict(source.params),
        ).fetchone()
        assert row is not None
        out["rows"], out["bytes"], out["objects"] = int(row[0]), int(row[1] or 0), int(row[5])
    else:
        usage = analyse(con, source, SPEC, now=END)
        out.update(
            rows=usage.objects + usage.noncurrent_objects + usage.delete_markers,
            objects=usage.objects,
            bytes=usage.bytes,
            noncurrent_objects=usage.noncurrent_objects,
            noncurrent_bytes=usage.noncurrent_bytes,
            delete_markers=usage.delete_markers,
            objects_by_class=dict(usage.objects_by_class),
            bytes_by_class=dict(usage.bytes_by_class),
            breakdowns=[[r.dimension, r.key, r.objects, r.bytes] for r in usage.breakdowns],
        )
    opened.__exit__(None, None, None)
    out["seconds"] = time.perf_counter() - started
    usage_after = resource.getrusage(resource.RUSAGE_SELF)
    out["cpu_seconds"] = (usage_after.ru_utime - usage_before.ru_utime) + (usage_after.ru_stime - usage_before.ru_stime)
    out["rss_before_mb"] = rss_before_kb / 1024
    out["peak_rss_mb"] = _status_kb("VmHWM") / 1024
    out["duckdb"] = duckdb.__version__
    print(json.dumps(out))
    return 0


# --------------------------------------------------------------------------- checks


def check_bare(result: dict[str, Any], truth: Truth) -> list[str]:
    problems = []
    if result["rows"] != truth.rows:
        problems.append(f"count(*) {result['rows']:,} != {truth.rows:,} rows")
    if result["bytes"] != truth.all_bytes:
        problems.append(f"sum(size) {result['bytes']:,} != truth {truth.all_bytes:,}")
    return problems


def check_full(result: dict[str, Any], truth: Truth, bare_bytes: int | None) -> list[str]:
    problems: list[str] = []

    def expect(what: str, got: object, want: object) -> None:
        if got != want:
            problems.append(f"{what}: {got} != {want}")

    expect("objects + noncurrent + delete markers", result["rows"], truth.rows)
    expect("bytes + noncurrent bytes", result["bytes"] + result["noncurrent_bytes"], truth.all_bytes)
    if bare_bytes is not None:
        expect("bytes + noncurrent bytes vs the bare sum", result["bytes"] + result["noncurrent_bytes"], bare_bytes)
    expect("objects", result["objects"], truth.objects)
    expect("bytes", result["bytes"], truth.bytes)
    expect("noncurrent objects", result["noncurrent_objects"], truth.noncurrent_objects)
    expect("noncurrent bytes", result["noncurrent_bytes"], truth.noncurrent_bytes)
    expect("delete markers", result["delete_markers"], truth.delete_markers)
    expect("objects by class", result["objects_by_class"], truth.objects_by_class)
    expect("bytes by class", result["bytes_by_class"], truth.bytes_by_class)
    rows: dict[str, list[list[Any]]] = {}
    for dimension, key, objects, size in result["breakdowns"]:
        rows.setdefault(dimension, []).append([key, objects, size])
    level1 = {k: [o, s] for k, o, s in rows.get("prefix", []) if k == NO_PREFIX or (k != OTHER and k.count("/") == 1)}
    expect("level-1 prefixes", level1, truth.prefixes)
    deeper = [(o, s) for k, o, s in rows.get("prefix", []) if k == OTHER or k.count("/") == 2]
    two_levels = truth.objects - truth.prefixes.get("tmp/", [0, 0])[0] - truth.prefixes.get(NO_PREFIX, [0, 0])[0]
    expect("level-2 prefix objects (with (other))", sum(o for o, _ in deeper), two_levels)
    for dimension in ("size", "age", "extension"):
        got = rows.get(dimension, [])
        expect(f"{dimension} breakdown objects", sum(r[1] for r in got), truth.objects)
        expect(f"{dimension} breakdown bytes", sum(r[2] for r in got), truth.bytes)
    expect("top objects", [[k, s] for k, _, s in rows.get("top", [])], truth.top)
    return problems


# --------------------------------------------------------------------------- the parent


@dataclass
class Run:
    fmt: str
    mode: str
    result: dict[str, Any]
    wall_seconds: float  # the whole child process, start-up included
    process_cpu_seconds: float
    sampled_peak_mb: float
    other_cpu_seconds: float  # busy CPU of the machine not spent by this benchmark: other users' load
    problems: list[str] = field(default_factory=list)
    ratio: float | None = None  # full rows/s over bare rows/s (wall clock)
    cpu_ratio: float | None = None  # the same per CPU second: bare CPU s over full CPU s

    @property
    def seconds(self) -> float:
        return float(self.result.get("seconds", 0.0))

    @property
    def rows_per_s(self) -> float:
        return float(self.result.get("rows", 0)) / self.seconds if self.seconds else 0.0

    @property
    def cpu_seconds(self) -> float:
        return float(self.result.get("cpu_seconds", 0.0))

    @property
    def other_load(self) -> float:
        """Cores other processes kept busy, on average, while this ran."""
        return self.other_cpu_seconds / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def ok(self) -> bool:
        return not self.problems


def measure(fmt: str, mode: str, manifest: Path, root: Path) -> Run:
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--manifest", str(manifest)]
    argv += ["--data-root", str(root)]
    busy, mine = machine_busy_seconds(), time.process_time()
    measured = run_measured(argv, os.environ)
    other = machine_busy_seconds() - busy - (time.process_time() - mine) - measured.cpu_seconds
    result: dict[str, Any] = {}
    problems: list[str] = []
    if measured.returncode != 0:
        problems.append(f"child exited {measured.returncode}: {measured.stderr.strip()[-2000:]}")
    else:
        try:
            result = json.loads(measured.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError) as exc:
            problems.append(f"no result from the child ({exc}): {measured.stdout[-500:]} {measured.stderr[-1000:]}")
    return Run(
        fmt,
        mode,
        result,
        measured.seconds,
        measured.cpu_seconds,
        measured.peak_process_mb,
        max(0.0, other),
        problems=problems,
    )


def table(runs: Sequence[Run]) -> str:
    header = (
        "format",
        "run",
        "rows",
        "seconds",
        "rows/s",
        "CPU s",
        "peak RSS MB",
        "vs bare",
        "vs bare CPU",
        "other load",
        "check",
    )
    cells = [header]
    for r in runs:
        cells.append(
            (
                r.fmt,
                r.mode,
                f"{int(r.result.get('rows', 0)):,}",
                f"{r.seconds:.2f}",
                f"{r.rows_per_s:,.0f}",
                f"{float(r.result.get('cpu_seconds', 0.0)):.2f}",
                f"{float(r.result.get('peak_rss_mb', 0.0)):.0f}",
                "-" if r.ratio is None else f"{r.ratio:.2g}",
                "-" if r.cpu_ratio is None else f"{r.cpu_ratio:.2g}",
                f"{r.other_load:.1f} cores",
                "ok" if r.ok else "WRONG",
            )
        )
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(c.ljust(widths[i]) if i < 2 else c.rjust(widths[i]) for i, c in enumerate(row)))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _median_run(runs: list[Run]) -> Run:
    good = [r for r in runs if r.ok] or runs
    ordered = sorted(good, key=lambda r: r.seconds)
    return ordered[(len(ordered) - 1) // 2]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Inventory strategy: full breakdown against DuckDB's bare scan.")
    parser.add_argument("--rows", type=int, help="rows of the report (default 10,000,000; --quick 1,000,000)")
    parser.add_argument("--formats", default=",".join(FORMATS), help="comma-separated, of CSV,Parquet,ORC")
    parser.add_argument("--quick", action="store_true", help="1M rows")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement; the median is reported")
    parser.add_argument("--data-dir", type=Path, default=HERE / "results" / "data", help="where reports are cached")
    parser.add_argument("--regenerate", action="store_true", help="generate the reports again even if cached")
    parser.add_argument("--output", type=Path, help="JSON path (default benchmarks/results/inventory-<date>.json)")
    parser.add_argument("--child", choices=(BARE, WIDE, FULL), help=argparse.SUPPRESS)
    parser.add_argument("--manifest", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--data-root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.rows = args.rows or (1_000_000 if args.quick else 10_000_000)
    args.repeat = max(1, args.repeat)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    by_lower = {f.lower(): f for f in FORMATS}
    unknown = [f for f in formats if f.lower() not in by_lower]
    if unknown:
        parser.error(f"unknown format(s) {', '.join(unknown)}: choose from {', '.join(FORMATS)}")
    args.formats = [by_lower[f.lower()] for f in formats]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return child(args.child, args.manifest, args.data_root)
    started = datetime.now(UTC)
    cores = os.cpu_count() or 1
    print(f"inventory benchmark: {args.rows:,} rows, formats {', '.join(args.formats)}, {cores} cores")
    data = prepare(args.rows, args.formats, args.data_dir, args.regenerate)
    for fmt in args.formats:
        print(f"  {fmt}: {data.files[fmt]} files, {data.disk_bytes[fmt] / 1e6:,.0f} MB ({data.manifests[fmt]})")

    runs: list[Run] = []
    verified: dict[str, float] = {}
    samples: dict[str, dict[str, list[float]]] = {}
    for fmt in args.formats:
        root = data.root / fmt  # the destination bucket: manifest keys are relative to it
        verified[fmt] = verify(fmt, data.manifests[fmt], root)
        print(f"{fmt}: manifest and MD5s verified in {verified[fmt]:.1f} s; measuring ...", flush=True)
        chosen: dict[str, Run] = {}
        for mode in (BARE, WIDE, FULL):
            attempts: list[Run] = []
            for _ in range(args.repeat):
                run = measure(fmt, mode, data.manifests[fmt], root)
                attempts.append(run)
                print(f"  {mode}: {run.seconds:.2f} s{'' if run.ok else ' FAILED'}", flush=True)
            samples.setdefault(fmt, {})[mode] = [r.seconds for r in attempts]
            chosen[mode] = _median_run(attempts)
        bare, wide, full = chosen[BARE], chosen[WIDE], chosen[FULL]
        for scan in (bare, wide):
            if scan.result:
                scan.problems += check_bare(scan.result, data.truth)
        if wide.result and wide.result.get("objects") != data.truth.objects:
            wide.problems.append(f"current objects {wide.result.get('objects')} != {data.truth.objects}")
        if full.result:
            full.problems += check_full(full.result, data.truth, bare.result.get("bytes") if bare.ok else None)
        if bare.ok and full.ok and bare.rows_per_s:
            full.ratio = full.rows_per_s / bare.rows_per_s
            full.cpu_ratio = bare.cpu_seconds / full.cpu_seconds if full.cpu_seconds else None
        if bare.ok and wide.ok and bare.rows_per_s:
            wide.ratio = wide.rows_per_s / bare.rows_per_s
            wide.cpu_ratio = bare.cpu_seconds / wide.cpu_seconds if wide.cpu_seconds else None
        runs += [bare, wide, full]

    print()
    print(table(runs))
    print()
    note = " (quick size: informational only)" if args.quick else ""
    verdicts: list[dict[str, Any]] = []
    for full in (r for r in runs if r.mode == FULL):
        bare = next(r for r in runs if r.fmt == full.fmt and r.mode == BARE)
        wide = next(r for r in runs if r.fmt == full.fmt and r.mode == WIDE)
        peak = float(full.result.get("peak_rss_mb", 0.0))
        against_wide = (
            f"; vs the wide scan {full.rows_per_s / wide.rows_per_s:.2g}x"
            if wide.ok and full.ok and wide.rows_per_s
            else ""
        )
        checks = [
            (
                f"{full.fmt}: full breakdown >= 1/3 of the bare scan's rows/s",
                full.ratio is not None and full.ratio >= MIN_RATIO,
                f"{full.rows_per_s:,.0f} vs {bare.rows_per_s:,.0f} rows/s = "
                + ("-" if full.ratio is None else f"{full.ratio:.2g}x")
                + ("" if full.cpu_ratio is None else f" (per CPU second {full.cpu_ratio:.2g}x)")
                + against_wide,
            ),
            (
                f"{full.fmt}: full breakdown peak RSS < {MAX_RSS_MB:.0f} MB",
                full.ok and 0 < peak < MAX_RSS_MB,
                f"{peak:.0f} MB (bare scan {float(bare.result.get('peak_rss_mb', 0.0)):.0f} MB)",
            ),
        ]
        for target, passed, detail in checks:
            verdict = "WRONG" if not (full.ok and bare.ok) else ("PASS" if passed else "MISS")
            verdicts.append({"target": target, "verdict": verdict, "detail": detail})
            print(f"{verdict:<5} {target}: {detail}{note}")
    for r in runs:
        for problem in r.problems:
            print(f"WRONG {r.fmt} {r.mode}: {problem}")

    output = args.output or HERE / "results" / f"inventory-{started:%Y-%m-%d}{'-quick' if args.quick else ''}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    settings = next((r.result.get("settings") for r in runs if r.result.get("settings")), None)
    document = {
        "benchmark": "inventory",
        "started_at": started.isoformat(timespec="seconds"),
        "seconds": round((datetime.now(UTC) - started).total_seconds(), 1),
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items() if v is not None},
        "machine": {
            "cpus": cores,
            "memory_mb": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1 << 20),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "versions": {d: _version(d) for d in ("s3-storage-analyser", "duckdb", "pyarrow")},
        "commit": git_commit(REPO),
        "package": str(Path(s3_storage_analyser.__file__).parent),
        "duckdb_settings": settings,
        "spec": {"dimensions": list(SPEC.dimensions), "depth": SPEC.depth, "top_objects": SPEC.top_objects},
        "dataset": {
            "root": str(data.root),
            "rows": data.rows,
            "rows_per_file": ROWS_PER_FILE,
            "files": data.files,
            "bytes_on_disk": data.disk_bytes,
            "generated_seconds": {k: round(v, 1) for k, v in data.generated_seconds.items()},
            "verify_md5_seconds": {k: round(v, 2) for k, v in verified.items()},
            "truth": data.truth.__dict__,
        },
        "runs": [
            {
                "format": r.fmt,
                "run": r.mode,
                "rows": r.result.get("rows"),
                "seconds": round(r.seconds, 3),
                "rows_per_s": round(r.rows_per_s, 1),
                "cpu_seconds": r.result.get("cpu_seconds"),
                "peak_rss_mb": r.result.get("peak_rss_mb"),
                "rss_before_mb": r.result.get("rss_before_mb"),
                "sampled_peak_process_mb": round(r.sampled_peak_mb, 1),
                "process_wall_seconds": round(r.wall_seconds, 3),
                "process_cpu_seconds": round(r.process_cpu_seconds, 3),
                "all_seconds": samples.get(r.fmt, {}).get(r.mode),
                "median_of": args.repeat,
                "ratio_full_vs_bare": None if r.ratio is None else round(r.ratio, 3),
                "cpu_ratio_full_vs_bare": None if r.cpu_ratio is None else round(r.cpu_ratio, 3),
                "other_load_cpu_seconds": round(r.other_cpu_seconds, 2),
                "correct": r.ok,
                "problems": r.problems,
            }
            for r in runs
        ],
        "targets": verdicts,
    }
    output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nwrote {output}")
    noisy = max((r.other_load for r in runs), default=0.0)
    if noisy > 0.25:
        print(
            f"WARNING: other processes kept up to {noisy:.1f} of {cores} cores busy during a run: wall-clock figures"
            " are noisy (the per-CPU-second ratio less so); rerun on a quiet machine or with --repeat 3."
        )
    spread = [f"{r.fmt} {r.mode} {statistics.median(s):.2f}" for r in runs if len(s := samples[r.fmt][r.mode]) > 1]
    if spread:
        print("medians of repeats: " + ", ".join(spread))
    return 1 if any(not r.ok for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
