"""manifest.json and manifest.checksum of S3 Inventory reports: parsed and verified, never trusted blindly."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from s3_storage_analyser.demo.inventory_writer import ALL_FIELDS, CURRENT_FIELDS, InventoryRow, write_report
from s3_storage_analyser.errors import InventoryError
from s3_storage_analyser.inventory.manifest import DataFile, parse_manifest, verify_checksum

WHERE = "s3://dest/inventory/src/all-objects/2026-03-04T05-06Z/manifest.json"
MD5_A = "0123456789abcdef0123456789abcdef"
MD5_B = "fedcba9876543210fedcba9876543210"


def manifest(**changes: Any) -> dict[str, Any]:
    """A manifest as AWS writes it (CSV); ``None`` values remove the field."""
    doc: dict[str, Any] = {
        "sourceBucket": "src",
        "destinationBucket": "arn:aws:s3:::dest",
        "version": "2016-11-30",
        "creationTimestamp": "1772600760000",
        "fileFormat": "CSV",
        "fileSchema": "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, StorageClass",
        "files": [
            {"key": "inventory/src/all-objects/data/a.csv.gz", "size": 2046, "MD5checksum": MD5_A},
            {"key": "inventory/src/all-objects/data/b.csv.gz", "size": 12, "MD5checksum": MD5_B},
        ],
    }
    for key, value in changes.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc


def raw(doc: Any) -> bytes:
    return json.dumps(doc).encode()


def md5(body: bytes) -> str:
    return hashlib.md5(body, usedforsecurity=False).hexdigest()


# --------------------------------------------------------------------------- valid manifests


def test_csv_manifest() -> None:
    parsed = parse_manifest(raw(manifest()), WHERE)

    assert parsed.source_bucket == "src"
    assert parsed.destination_bucket == "dest"
    assert parsed.file_format == "CSV"
    assert parsed.columns == (
        "Bucket",
        "Key",
        "VersionId",
        "IsLatest",
        "IsDeleteMarker",
        "Size",
        "LastModifiedDate",
        "StorageClass",
    )
    assert parsed.files == (
        DataFile("inventory/src/all-objects/data/a.csv.gz", 2046, MD5_A),
        DataFile("inventory/src/all-objects/data/b.csv.gz", 12, MD5_B),
    )
    assert parsed.created == datetime(2026, 3, 4, 5, 6, tzinfo=UTC)
    assert parsed.location == WHERE


@pytest.mark.parametrize("fmt", ["CSV", "Parquet", "ORC"])
@pytest.mark.parametrize("fields", [ALL_FIELDS, CURRENT_FIELDS], ids=["all", "current"])
def test_manifests_the_writer_makes(fmt: str, fields: tuple[str, ...]) -> None:
    written = datetime(2026, 2, 3, 4, 5, 6, 789000, tzinfo=UTC)
    rows = [InventoryRow(f"k{i}", i) for i in range(5)]
    report = write_report(
        rows, source_bucket="src", destination_bucket="dest", fmt=fmt, fields=fields, written=written, rows_per_file=2
    )
    body = report.files[report.manifest_key]

    parsed = parse_manifest(body, WHERE)

    assert (parsed.source_bucket, parsed.destination_bucket, parsed.file_format) == ("src", "dest", fmt)
    assert parsed.created == written
    data = {k: v for k, v in report.files.items() if "/data/" in k}
    assert {f.key: (f.size, f.md5) for f in parsed.files} == {k: (len(v), md5(v)) for k, v in data.items()}
    assert len(parsed.files) == 3
    # CSV columns come from fileSchema, in file order; for columnar formats fileSchema names the snake_case
    # fields (the files carry their names too, but a report of an empty bucket has no file).
    snake = {"IsLatest": "is_latest", "IsDeleteMarker": "is_delete_marker", "LastModifiedDate": "last_modified_date"}
    snake |= {"VersionId": "version_id", "StorageClass": "storage_class", "ETag": "e_tag"}
    snake |= {"IntelligentTieringAccessTier": "intelligent_tiering_access_tier"}
    assert parsed.columns == (fields if fmt == "CSV" else tuple(snake.get(f, f.lower()) for f in fields))
    verify_checksum(body, report.files[report.manifest_key.replace(".json", ".checksum")].decode(), WHERE)


@pytest.mark.parametrize(
    ("given", "expected"),
    [("CSV", "CSV"), ("csv", "CSV"), ("Parquet", "Parquet"), ("PARQUET", "Parquet"), ("ORC", "ORC"), ("orc", "ORC")],
)
def test_format_names_are_normalised(given: str, expected: str) -> None:
    schema = {"CSV": "Key, Size", "Parquet": PARQUET_SCHEMA, "ORC": ORC_SCHEMA}[expected]
    assert parse_manifest(raw(manifest(fileFormat=given, fileSchema=schema)), WHERE).file_format == expected


# As AWS writes them: Parquet with logical-type annotations, ORC as a struct.
PARQUET_SCHEMA = (
    "message s3.inventory { required binary bucket (UTF8); required binary key (UTF8); "
    "optional int64 size; optional int64 last_modified_date (TIMESTAMP(MILLIS,true)); }"
)
ORC_SCHEMA = "struct<bucket:string,key:string,size:bigint,last_modified_date:timestamp,e_tag:string>"


def test_columnar_schemas_name_their_fields() -> None:
    parsed = parse_manifest(raw(manifest(fileFormat="Parquet", fileSchema=PARQUET_SCHEMA)), WHERE)
    assert parsed.columns == ("bucket", "key", "size", "last_modified_date")
    # A Parquet schema without size is found when the files are opened, not from this text.
    parsed = parse_manifest(raw(manifest(fileFormat="ORC", fileSchema=ORC_SCHEMA)), WHERE)
    assert parsed.columns == ("bucket", "key", "size", "last_modified_date", "e_tag")


def test_csv_schema_spacing_and_empty_entries() -> None:
    parsed = parse_manifest(raw(manifest(fileSchema=" Bucket ,Key,, Size ,")), WHERE)
    assert parsed.columns == ("Bucket", "Key", "Size")


@pytest.mark.parametrize(
    ("destination", "name"),
    [
        ("arn:aws:s3:::dest", "dest"),
        ("arn:aws-cn:s3:::reports.example.cn", "reports.example.cn"),
        ("plain-name", "plain-name"),
        (None, ""),
    ],
)
def test_destination_arn_becomes_a_bucket_name(destination: str | None, name: str) -> None:
    assert parse_manifest(raw(manifest(destinationBucket=destination)), WHERE).destination_bucket == name


def test_md5_is_lower_cased_and_size_defaults_to_zero() -> None:
    files = [{"key": "d/x.csv.gz", "MD5checksum": MD5_A.upper()}]
    parsed = parse_manifest(raw(manifest(files=files)), WHERE)
    assert parsed.files == (DataFile("d/x.csv.gz", 0, MD5_A),)


def test_no_files_is_a_valid_empty_report() -> None:
    assert parse_manifest(raw(manifest(files=[])), WHERE).files == ()


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("1772600760000", datetime(2026, 3, 4, 5, 6, tzinfo=UTC)),
        (1772600760123, datetime(2026, 3, 4, 5, 6, 0, 123000, tzinfo=UTC)),
        ("0", datetime(1970, 1, 1, tzinfo=UTC)),
        (0, None),  # falsy: no stamp
        (None, None),
        ("", None),
        ("yesterday", None),
        ("1.5e12", None),
        ([1], None),
        ("99999999999999999999999", None),  # far beyond datetime's range
        ("-99999999999999999999999", None),
    ],
)
def test_creation_timestamp(stamp: Any, expected: datetime | None) -> None:
    assert parse_manifest(raw(manifest(creationTimestamp=stamp)), WHERE).created == expected


def test_creation_timestamp_is_utc() -> None:
    created = parse_manifest(raw(manifest(creationTimestamp="1700000000000")), WHERE).created
    assert created is not None
    offset = created.utcoffset()
    assert offset is not None and offset.total_seconds() == 0
    assert created.isoformat() == "2023-11-14T22:13:20+00:00"


# --------------------------------------------------------------------------- invalid manifests


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"", "not a valid S3 Inventory manifest"),
        (b"{not json", "not a valid S3 Inventory manifest"),
        (b"\xff\xfe garbage", "not a valid S3 Inventory manifest"),
        (b"[]", "not a valid S3 Inventory manifest"),
        (b"null", "not a valid S3 Inventory manifest"),
        (b'"manifest"', "not a valid S3 Inventory manifest"),
        (raw(manifest(fileFormat=None)), "'fileFormat'"),
        (raw(manifest(files=None)), "'files'"),
        (raw(manifest(sourceBucket=None)), "'sourceBucket'"),
        (raw(manifest(files=[{"size": 1, "MD5checksum": MD5_A}])), "'key'"),
        (raw(manifest(files=[{"key": "k", "size": 1}])), "'MD5checksum'"),
        (raw(manifest(files=[{"key": "k", "size": "big", "MD5checksum": MD5_A}])), "big"),
        (raw(manifest(files=[{"key": "k", "size": None, "MD5checksum": MD5_A}])), "not a valid"),
        (raw(manifest(files="data/x.csv.gz")), "not a valid"),
        (raw(manifest(files=5)), "not a valid"),
    ],
)
def test_invalid_manifest(body: bytes, needle: str) -> None:
    with pytest.raises(InventoryError) as raised:
        parse_manifest(body, WHERE)
    message = str(raised.value)
    assert message.startswith(WHERE)
    assert needle in message


@pytest.mark.parametrize("fmt", ["Avro", "JSON", "", "CSV.gz", 3])
def test_unknown_format(fmt: Any) -> None:
    with pytest.raises(InventoryError) as raised:
        parse_manifest(raw(manifest(fileFormat=fmt)), WHERE)
    assert f"{WHERE}: unknown inventory format {str(fmt)!r}" in str(raised.value)
    assert raised.value.hint is not None and "CSV, Parquet, ORC" in raised.value.hint


@pytest.mark.parametrize(
    ("schema", "missing"),
    [
        ("Bucket, Key, StorageClass", "Size"),
        ("Bucket, Size", "Key"),
        ("Bucket, Key, ObjectSize", "Size"),
        ("Bucket, Key, size", "Size"),  # CSV field names are AWS's CamelCase ones
        (None, "Key"),
        ("", "Key"),
    ],
)
def test_csv_schema_without_key_or_size(schema: str | None, missing: str) -> None:
    with pytest.raises(InventoryError) as raised:
        parse_manifest(raw(manifest(fileSchema=schema)), WHERE)
    message = str(raised.value)
    assert message.startswith(f"{WHERE}: the CSV schema has no {missing} field")
    assert raised.value.hint is not None and "--strategy list" in raised.value.hint


def test_inventory_error_exit_code_and_code() -> None:
    error = InventoryError("x")
    assert (error.code, error.exit_code) == ("InventoryError", 1)


# --------------------------------------------------------------------------- manifest.checksum


@pytest.mark.parametrize(
    "checksum",
    [
        md5,
        lambda body: md5(body).upper(),
        lambda body: md5(body) + "\n",
        lambda body: "  " + md5(body) + "  \r\n",
        lambda body: md5(body) + "  manifest.json\n",  # md5sum's output shape
    ],
    ids=["plain", "upper", "newline", "spaces", "md5sum"],
)
def test_checksum_matches(checksum: Any) -> None:
    body = raw(manifest())
    verify_checksum(body, checksum(body), WHERE)


@pytest.mark.parametrize(
    ("text", "expected_shown"),
    [
        (md5(b"something else"), md5(b"something else")),
        ("", "none"),
        ("   \n", "none"),
        ("not-hex", "'not-hex'"),  # outside text is shown quoted
        ("\x1b[2J", "'\\x1b[2j'"),
    ],
)
def test_checksum_mismatch(text: str, expected_shown: str) -> None:
    body = raw(manifest())
    with pytest.raises(InventoryError) as raised:
        verify_checksum(body, text, WHERE)
    message = str(raised.value)
    assert message.startswith(f"{WHERE}: manifest.json does not match manifest.checksum")
    assert f"MD5 {md5(body)}, expected {expected_shown}" in message
    assert raised.value.hint is not None


def test_checksum_covers_every_byte() -> None:
    body = raw(manifest())
    checksum = md5(body)
    with pytest.raises(InventoryError):
        verify_checksum(body + b" ", checksum, WHERE)
    with pytest.raises(InventoryError):
        verify_checksum(body.replace(b"2046", b"2047"), checksum, WHERE)


# --------------------------------------------------------------------------- attacker-written manifests


def entry(**changes: Any) -> list[dict[str, Any]]:
    item: dict[str, Any] = {"key": "inventory/src/all-objects/data/a.csv.gz", "size": 5, "MD5checksum": MD5_A}
    item.update(changes)
    return [item]


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"MD5checksum": "../x/y"}, "not 32 hex digits"),
        ({"MD5checksum": "/etc/passwd"}, "not 32 hex digits"),
        ({"MD5checksum": MD5_A[:-1]}, "not 32 hex digits"),
        ({"MD5checksum": MD5_A + "0"}, "not 32 hex digits"),
        ({"MD5checksum": "z" * 32}, "not 32 hex digits"),
        ({"MD5checksum": 12}, "not 32 hex digits"),
        ({"size": -1}, "not a non-negative 64-bit integer"),
        ({"size": 2**63}, "not a non-negative 64-bit integer"),
        ({"size": "12"}, "not a non-negative 64-bit integer"),
        ({"size": 1.5}, "not a non-negative 64-bit integer"),
        ({"size": True}, "not a non-negative 64-bit integer"),
        ({"key": ""}, "not an S3 key"),
        ({"key": "a\x00b"}, "not an S3 key"),
        ({"key": "k" * 1025}, "not an S3 key"),
        ({"key": ["a"]}, "not an S3 key"),
    ],
)
def test_file_entries_are_checked(changes: dict[str, Any], needle: str) -> None:
    with pytest.raises(InventoryError) as raised:
        parse_manifest(raw(manifest(files=entry(**changes))), WHERE)
    assert needle in str(raised.value) and str(raised.value).startswith(WHERE)


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"sourceBucket": "../etc"}, "sourceBucket '../etc' is not a bucket name"),
        ({"sourceBucket": "a b"}, "is not a bucket name"),
        ({"destinationBucket": "arn:aws:s3:::x/../y"}, "destinationBucket"),
        ({"fileSchema": "Bucket, Key, Size, x': 'VARCHAR'})); COPY (SELECT 1) TO '/tmp/x'; --"}, "not an S3 Inventory"),
        ({"fileSchema": 'Bucket, Key, Size, "Size'}, "not an S3 Inventory field"),
        ({"fileSchema": "Bucket, Key, Size, Size"}, "names a field twice"),
        ({"fileFormat": "Parquet", "fileSchema": "message s3 { optional int64 size; optional binary k'ey; }"}, "not a"),
        ({"fileFormat": "Parquet", "fileSchema": "message s3 { optional int64 sizes; }"}, "'sizes'"),
        ({"fileFormat": "ORC", "fileSchema": "struct<key:string>; DROP TABLE x"}, "not a ORC schema"),
        ({"fileFormat": "ORC", "fileSchema": "struct<key:string,KEY:string>"}, "'KEY'"),
    ],
)
def test_names_are_checked(changes: dict[str, Any], needle: str) -> None:
    with pytest.raises(InventoryError) as raised:
        parse_manifest(raw(manifest(**changes)), WHERE)
    assert needle in str(raised.value)


def test_every_documented_csv_field_is_accepted() -> None:
    from s3_storage_analyser.inventory.fields import documented_fields, snake

    fields = sorted(documented_fields())
    assert {"ObjectOwner", "LifecycleExpirationDate", "ChecksumAlgorithm"} <= set(fields)
    assert parse_manifest(raw(manifest(fileSchema=", ".join(fields))), WHERE).columns == tuple(fields)
    orc = "struct<" + ",".join(f"{snake(f)}:string" for f in fields) + ">"
    assert len(parse_manifest(raw(manifest(fileFormat="ORC", fileSchema=orc)), WHERE).columns) == len(fields)
    assert snake("ETag") == "e_tag" and snake("IntelligentTieringAccessTier") == "intelligent_tiering_access_tier"
