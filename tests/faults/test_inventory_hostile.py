"""Attacker-written inventory reports, over moto (HTTP) as the other inventory tests.

Whoever can write an inventory destination bucket writes the manifest and the
data files. Each report here is hostile or broken in one way (SQL in the
schema, path-like digests, sizes that are not sizes, columns of the wrong type,
a 64 MiB unterminated row, a tampered cache) and must end as a named failure of
its bucket, while a good bucket beside it stays exact, and nothing outside the
temporary cache is written, read or deleted.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
import os
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from s3_storage_analyser.demo.inventory_writer import InventoryRow, WrittenReport, configure, save_local, upload
from s3_storage_analyser.demo.inventory_writer import write_report as write
from s3_storage_analyser.errors import EXIT_FAILURE, EXIT_OK, EXIT_PARTIAL
from s3_storage_analyser.inventory.analyse import connect
from s3_storage_analyser.inventory.fetch import MARKER, STORE_NAME, Fetcher
from s3_storage_analyser.inventory.manifest import parse_manifest
from support.inventory import (
    DEST,
    GOOD,
    SRC,
    aws_for,
    by_name,
    client,
    data_keys,
    doctored,
    failure_of,
    inventory,
    md5,
    new_bucket,
    publish,
    seed_good,
)

FIELDS = ("Bucket", "Key", "Size")


def report_of(rows: list[InventoryRow], fmt: str = "CSV", **kw: Any) -> WrittenReport:
    return write(rows, source_bucket=SRC, destination_bucket=DEST, fmt=fmt, **kw)


def serve(aws_url: str, report: WrittenReport, fmt: str = "CSV") -> None:
    """The good bucket, and SRC configured with ``report`` as its newest report."""
    seed_good(aws_url)
    new_bucket(aws_url, SRC).put_object(Bucket=SRC, Key="k", Body=b"123")
    upload(report, client(aws_url), DEST)
    configure(client(aws_url), SRC, DEST, fmt=fmt)


def run_both(cli: Any, aws_url: str, cache: Path, *args: str) -> tuple[dict[str, Any], Any]:
    """GOOD and SRC in one run: GOOD exact, SRC a named failure."""
    data, result = inventory(cli, aws_url, cache, "--bucket", GOOD, "--bucket", SRC, *args, expect=EXIT_PARTIAL)
    good = by_name(data)[GOOD]
    assert (good["Files"], good["Bytes"]) == (1, 4)
    return data, result


def csv_body(rows: list[list[str]]) -> bytes:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n", quoting=csv.QUOTE_ALL).writerows(rows)
    return gzip.compress(text.getvalue().encode(), compresslevel=1)


# --------------------------------------------------------------------------- SQL in the schema


def sql_schema(target: Path) -> str:
    """Closes read_csv's column struct and the query, then runs a COPY of the attacker's choosing."""
    return f"Bucket, Key, Size, x': 'VARCHAR'}})) SELECT 1; COPY (SELECT 'owned' AS x) TO '{target}' (FORMAT csv); --"


def test_sql_in_the_csv_schema_writes_nothing(aws_url: str, cli: Any, tmp_path: Path) -> None:
    target = tmp_path / "outside" / "owned.csv"
    target.parent.mkdir()
    report = report_of([InventoryRow("a", 5)], fields=FIELDS)
    serve(aws_url, doctored(report, edit=lambda doc: doc.update(fileSchema=sql_schema(target))))

    data, result = run_both(cli, aws_url, tmp_path / "cache")

    assert not target.exists()
    assert list(target.parent.iterdir()) == []
    message = failure_of(data, SRC)["Message"]
    assert "not an S3 Inventory field" in message and "x': 'VARCHAR'" in message
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("fmt", "schema"),
    [
        ("Parquet", "message s3.inventory { optional int64 size; optional binary key; } ; COPY (SELECT 1) TO '{t}'"),
        ("Parquet", "message s3.inventory { optional int64 size; optional binary key_x'; COPY (SELECT 1) TO '{t}'; }"),
        ("ORC", "struct<key:string,size:bigint,\"x\" : string> ; COPY (SELECT 1) TO '{t}'"),
        ("ORC", "struct<key:string,size:bigint,owner:string>"),  # a plain but undocumented field
        ("CSV", "Bucket, Key, Size, Owner"),
        ("CSV", "Bucket, Key, Size, Key"),
    ],
)
def test_undocumented_schema_fields_fail_the_bucket(
    aws_url: str, cli: Any, tmp_path: Path, fmt: str, schema: str
) -> None:
    """Checked even for an empty report (no data file), where the schema is what the counting reads."""
    target = tmp_path / "owned"
    report = report_of([], fmt=fmt, fields=FIELDS)
    serve(aws_url, doctored(report, edit=lambda doc: doc.update(fileSchema=schema.replace("{t}", str(target)))), fmt)

    data, _ = run_both(cli, aws_url, tmp_path / "cache")

    assert not target.exists()
    message = failure_of(data, SRC)["Message"]
    assert any(needle in message for needle in ("not an S3 Inventory field", "not a", "names a field twice"))


# --------------------------------------------------------------------------- digests and the cache


@pytest.mark.parametrize("digest", ["../outside/x", "/etc/passwd", "0123456789abcdef0123456789abcde", "g" * 32, ""])
def test_path_like_digests_read_nothing_outside_the_cache(aws_url: str, cli: Any, tmp_path: Path, digest: str) -> None:
    # Where today's code would look: <cache>/<digest>.csv.gz, a valid report of a 999-byte object.
    outside = tmp_path / "outside"
    outside.mkdir()
    planted = outside / "x.csv.gz"
    planted.write_bytes(csv_body([["b", "planted", "999"]]))
    stamp = planted.stat().st_mtime_ns
    report = report_of([InventoryRow("a", 5)], fields=FIELDS)
    serve(aws_url, doctored(report, edit=lambda doc: doc["files"][0].update(MD5checksum=digest)))

    data, _ = run_both(cli, aws_url, tmp_path / "cache")

    assert "not 32 hex digits" in failure_of(data, SRC)["Message"]
    assert planted.stat().st_mtime_ns == stamp and list(outside.iterdir()) == [planted]


def test_a_tampered_cached_file_is_fetched_again(aws_url: str, cli: Any, tmp_path: Path) -> None:
    report = report_of([InventoryRow("a", 5), InventoryRow("b", 7)], fields=FIELDS, rows_per_file=1)
    serve(aws_url, report)
    cache = tmp_path / "cache"
    first, _ = inventory(cli, aws_url, cache, "--bucket", SRC)
    assert (by_name(first)[SRC]["Files"], by_name(first)[SRC]["Bytes"]) == (2, 12)
    store = cache / STORE_NAME
    cached = sorted(p for p in store.iterdir() if p.name != MARKER)
    assert [p.name for p in cached] == sorted(f"{md5(report.files[k])}.csv.gz" for k in data_keys(report))

    # Someone rewrites a cached file (same name, other rows): it is not trusted by its name.
    os.chmod(cached[0], 0o644)
    cached[0].write_bytes(csv_body([["b", "forged", "1000000"]]))
    second, _ = inventory(cli, aws_url, cache, "--bucket", SRC)

    assert (by_name(second)[SRC]["Files"], by_name(second)[SRC]["Bytes"]) == (2, 12)
    assert md5(cached[0].read_bytes()) == cached[0].name[:32]  # fetched again


def test_cache_dir_holding_user_files_keeps_them(aws_url: str, tmp_path: Path) -> None:
    """--cache-dir ~/Downloads: the tool works in its own subdirectory and trims only what it wrote."""
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    mine = {
        "holiday.jpg": b"jpeg",
        "0123456789abcdef0123456789abcdef.csv.gz": b"a user's file that happens to look like a cache file",
        ".part-keep": b"x",
    }
    for name, body in mine.items():
        (downloads / name).write_bytes(body)
        os.utime(downloads / name, (1, 1))  # older than anything the tool writes
    rows = [InventoryRow(f"k{i}", i) for i in range(6)]
    new_bucket(aws_url, SRC)
    one = publish(aws_url, rows[:3], config_id="one", rows_per_file=1)
    two = publish(aws_url, rows[3:], config_id="two", rows_per_file=1)
    fetcher = Fetcher(aws_for(aws_url), downloads, max_cache_bytes=1)

    first = fetcher.remote(parse_manifest(one.files[one.manifest_key], "one"), DEST, "us-east-1")
    second = fetcher.remote(parse_manifest(two.files[two.manifest_key], "two"), DEST, "us-east-1")

    assert {name: (downloads / name).read_bytes() for name in mine} == mine
    assert all(p.parent == downloads / STORE_NAME for p in first + second)
    assert all(p.exists() for p in second) and not any(p.exists() for p in first)  # trimmed: only its own files
    assert sorted(p.name for p in downloads.iterdir()) == sorted([*mine, STORE_NAME])


def test_a_directory_of_the_cache_name_that_is_not_ours_is_left_alone(aws_url: str, cli: Any, tmp_path: Path) -> None:
    serve(aws_url, report_of([InventoryRow("a", 5)], fields=FIELDS))
    theirs = tmp_path / "cache" / STORE_NAME
    theirs.mkdir(parents=True)
    (theirs / "notes.txt").write_text("mine")

    data, _ = inventory(cli, aws_url, tmp_path / "cache", "--bucket", SRC, expect=EXIT_FAILURE)

    assert "is not this tool's inventory cache" in failure_of(data, SRC)["Message"]
    assert sorted(p.name for p in theirs.iterdir()) == ["notes.txt"]


def test_local_manifest_keys_cannot_climb_out_of_the_report(aws_url: str, cli: Any, tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv.gz"
    secret.write_bytes(csv_body([["b", "secret", "999"]]))
    report = report_of([InventoryRow("a", 5)], fields=FIELDS)

    def climb(doc: dict[str, Any]) -> None:
        doc["files"] = [{"key": "../../../../../secret.csv.gz", "size": 1, "MD5checksum": md5(secret.read_bytes())}]

    path = save_local(doctored(report, edit=climb), tmp_path / "copy")
    data, _ = inventory(cli, aws_url, tmp_path / "cache", "--inventory-manifest", str(path), expect=EXIT_FAILURE)
    assert "not beside the manifest" in failure_of(data, SRC)["Message"]


# --------------------------------------------------------------------------- sizes and types


BAD_SIZES = ["-5", "abc", "99999999999999999999", "9223372036854775808", "+5", "1e3", "0x10", "1.5", " 5", ""]


@pytest.mark.parametrize("size", BAD_SIZES)
def test_csv_sizes_that_are_not_sizes_fail_the_bucket(aws_url: str, cli: Any, tmp_path: Path, size: str) -> None:
    report = report_of([InventoryRow("a", 5), InventoryRow("b", 6)], fields=FIELDS, rows_per_file=1)
    bad_key = data_keys(report)[1]
    serve(aws_url, doctored(report, replace={bad_key: csv_body([[SRC, "b", size]])}))

    data, result = run_both(cli, aws_url, tmp_path / "cache")

    message = failure_of(data, SRC)["Message"]
    assert f"s3://{DEST}/{bad_key}: column Size has " in message, message
    assert "not a non-negative 64-bit integer" in message
    assert "Traceback" not in result.stderr


def test_largest_int64_size_is_counted_exactly(aws_url: str, cli: Any, tmp_path: Path) -> None:
    report = report_of([InventoryRow("a", 2**63 - 1), InventoryRow("b", 0)], fields=FIELDS)
    serve(aws_url, report)
    data, _ = inventory(cli, aws_url, tmp_path / "cache", "--bucket", SRC, expect=EXIT_OK)
    assert by_name(data)[SRC]["Bytes"] == 2**63 - 1


@pytest.mark.parametrize("fmt", ["Parquet", "ORC"])
@pytest.mark.parametrize(
    ("column", "values", "needle"),
    [
        ("size", pa.array(["5", "6"], pa.string()), "column size is VARCHAR"),
        ("size", pa.array([5.0, 6.0], pa.float64()), "column size is DOUBLE"),
        ("key", pa.array([1, 2], pa.int64()), "column key is BIGINT"),
        ("is_latest", pa.array(["true", "false"], pa.string()), "column is_latest is VARCHAR"),
        ("size", pa.array([5, -6], pa.int64()), "column Size has -6"),
        ("size", pa.array([5, None], pa.int64()), "column Size has no value"),
    ],
)
def test_columnar_values_and_types_are_checked(
    aws_url: str, cli: Any, tmp_path: Path, fmt: str, column: str, values: Any, needle: str
) -> None:
    columns = {"key": pa.array(["a", "b"]), "size": pa.array([5, 6], pa.int64()), "is_latest": pa.array([True, True])}
    columns[column] = values
    body = io.BytesIO()
    if fmt == "Parquet":
        import pyarrow.parquet as pq

        pq.write_table(pa.table(columns), body)
    else:
        from pyarrow import orc

        orc.write_table(pa.table(columns), body)
    report = report_of([InventoryRow("x", 1)], fmt=fmt)
    bad_key = data_keys(report)[0]
    serve(aws_url, doctored(report, replace={bad_key: body.getvalue()}), fmt)

    data, _ = run_both(cli, aws_url, tmp_path / "cache")

    message = failure_of(data, SRC)["Message"]
    assert f"s3://{DEST}/{bad_key}" in message and needle in message, message
    if fmt == "Parquet" and "Size has" in needle:
        assert "row 2" in message


def test_unterminated_64_mib_row_is_not_dropped(aws_url: str, cli: Any, tmp_path: Path) -> None:
    text = '"b","a","5"\n"b","c","6"\n"b","huge' + "x" * (64 << 20) + "\n"
    body = gzip.compress(text.encode(), compresslevel=1)
    report = report_of([InventoryRow("a", 5)], fields=FIELDS)
    bad_key = data_keys(report)[0]
    serve(aws_url, doctored(report, replace={bad_key: body}))

    data, _ = run_both(cli, aws_url, tmp_path / "cache")

    message = failure_of(data, SRC)["Message"]
    assert "DuckDB could not count the report" in message
    assert len(message) < 2000  # DuckDB quotes the whole line: the message is bounded


# --------------------------------------------------------------------------- DuckDB locked down


def test_duckdb_reads_only_the_report_and_writes_nothing(tmp_path: Path) -> None:
    allowed = tmp_path / "cache" / "a.csv"
    allowed.parent.mkdir()
    allowed.write_text("1,2\n")
    other = tmp_path / "other.csv"
    other.write_text("3,4\n")
    target = tmp_path / "written.csv"
    con = connect([allowed], threads=1)
    try:
        assert con.execute("SELECT count(*) FROM read_csv($f, header = false)", {"f": str(allowed)}).fetchone() == (1,)
        for sql in (
            f"SELECT * FROM read_csv('{other}')",
            f"SELECT * FROM read_text('{other}')",
            f"COPY (SELECT 1) TO '{target}'",
            f"COPY (SELECT 1) TO '{allowed.parent / 'new.csv'}'",
            f"ATTACH '{tmp_path / 'db.duckdb'}'",
            "SELECT * FROM glob('/etc/*')",
            "INSTALL httpfs",
            "SET enable_external_access = true",
            "SET allowed_directories = ['/']",
        ):
            with pytest.raises(duckdb.Error):
                con.execute(sql)
    finally:
        con.close()
    assert not target.exists() and not (allowed.parent / "new.csv").exists()
    assert not (tmp_path / "db.duckdb").exists()


# --------------------------------------------------------------------------- anything else


def test_an_unexpected_error_fails_only_its_bucket(
    aws_url: str, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from s3_storage_analyser.inventory.analyse import analyse as real
    from s3_storage_analyser.strategies import inventory as strategy

    serve(aws_url, report_of([InventoryRow("a", 5)], fields=FIELDS))

    def flaky(con: Any, source: Any, spec: Any, **kw: Any) -> Any:
        if "csv" in source.relation and SRC in json.dumps(source.shown):
            raise RuntimeError("surprise")
        return real(con, source, spec, **kw)

    monkeypatch.setattr(strategy, "analyse", flaky)
    with caplog.at_level(logging.DEBUG, logger="s3_storage_analyser.inventory"):
        data, _ = run_both(cli, aws_url, tmp_path / "cache")

    failure = failure_of(data, SRC)
    assert failure["Error"] == "InternalError"
    assert "RuntimeError" in failure["Message"] and "surprise" in failure["Message"]
    assert any(r.exc_info for r in caplog.records)  # the traceback, at debug level only
