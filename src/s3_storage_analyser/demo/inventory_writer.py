"""Write S3 Inventory reports as AWS lays them out (CSV, Parquet, ORC), for the demo, tests and benchmarks.

Layout: ``<prefix>/<source>/<config-id>/data/<uuid>.<ext>`` for data files and
``<prefix>/<source>/<config-id>/<YYYY-MM-DDTHH-MMZ>/manifest.json`` plus
``manifest.checksum`` (MD5 of manifest.json), with AWS's field names: CamelCase
in the CSV ``fileSchema``, snake_case columns in Parquet and ORC.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote_plus


@dataclass(frozen=True)
class InventoryRow:
    key: str
    size: int | None
    storage_class: str = "STANDARD"
    last_modified: datetime = datetime(2026, 1, 1, tzinfo=UTC)
    version_id: str | None = None
    is_latest: bool = True
    is_delete_marker: bool = False
    it_tier: str | None = None


ALL_FIELDS = (
    "Bucket",
    "Key",
    "VersionId",
    "IsLatest",
    "IsDeleteMarker",
    "Size",
    "LastModifiedDate",
    "ETag",
    "StorageClass",
    "IntelligentTieringAccessTier",
)
CURRENT_FIELDS = ("Bucket", "Key", "Size", "LastModifiedDate", "ETag", "StorageClass")
_SNAKE = {
    "Bucket": "bucket",
    "Key": "key",
    "VersionId": "version_id",
    "IsLatest": "is_latest",
    "IsDeleteMarker": "is_delete_marker",
    "Size": "size",
    "LastModifiedDate": "last_modified_date",
    "ETag": "e_tag",
    "StorageClass": "storage_class",
    "IntelligentTieringAccessTier": "intelligent_tiering_access_tier",
}


@dataclass(frozen=True)
class WrittenReport:
    """Files (relative key -> bytes) of one report; ``manifest_key`` is where manifest.json goes."""

    files: dict[str, bytes]
    manifest_key: str


def _csv_value(row: InventoryRow, field: str, bucket: str) -> str:
    values = {
        "Bucket": bucket,
        "Key": quote_plus(row.key, safe="/"),
        "VersionId": row.version_id or "",
        "IsLatest": "true" if row.is_latest else "false",
        "IsDeleteMarker": "true" if row.is_delete_marker else "false",
        "Size": "" if row.size is None else str(row.size),
        "LastModifiedDate": f"{row.last_modified:%Y-%m-%dT%H:%M:%S}.{row.last_modified.microsecond // 1000:03d}Z",
        "ETag": "d41d8cd98f00b204e9800998ecf8427e",
        "StorageClass": row.storage_class,
        "IntelligentTieringAccessTier": row.it_tier or "",
    }
    return values[field]


def _chunks(rows: Iterable[InventoryRow], size: int) -> Iterator[list[InventoryRow]]:
    chunk: list[InventoryRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _csv_file(rows: list[InventoryRow], fields: tuple[str, ...], bucket: str) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n", quoting=csv.QUOTE_ALL)
    for row in rows:
        writer.writerow([_csv_value(row, f, bucket) for f in fields])
    return gzip.compress(text.getvalue().encode(), compresslevel=1)


def _arrow_table(rows: list[InventoryRow], fields: tuple[str, ...], bucket: str) -> object:
    import pyarrow as pa

    columns: dict[str, object] = {}
    for field in fields:
        name = _SNAKE[field]
        if field == "Bucket":
            columns[name] = pa.array([bucket] * len(rows), pa.string())
        elif field == "Key":
            columns[name] = pa.array([r.key for r in rows], pa.string())
        elif field == "VersionId":
            columns[name] = pa.array([r.version_id for r in rows], pa.string())
        elif field == "IsLatest":
            columns[name] = pa.array([r.is_latest for r in rows], pa.bool_())
        elif field == "IsDeleteMarker":
            columns[name] = pa.array([r.is_delete_marker for r in rows], pa.bool_())
        elif field == "Size":
            columns[name] = pa.array([r.size for r in rows], pa.int64())
        elif field == "LastModifiedDate":
            columns[name] = pa.array([r.last_modified for r in rows], pa.timestamp("ms", tz="UTC"))
        elif field == "ETag":
            columns[name] = pa.array(["d41d8cd98f00b204e9800998ecf8427e"] * len(rows), pa.string())
        elif field == "StorageClass":
            columns[name] = pa.array([r.storage_class for r in rows], pa.string())
        elif field == "IntelligentTieringAccessTier":
            columns[name] = pa.array([r.it_tier for r in rows], pa.string())
    return pa.table(columns)


def _columnar_file(rows: list[InventoryRow], fields: tuple[str, ...], bucket: str, fmt: str) -> bytes:
    table = _arrow_table(rows, fields, bucket)
    sink = io.BytesIO()
    if fmt == "Parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, sink, compression="snappy")
    else:
        from pyarrow import orc

        orc.write_table(table, sink, compression="zlib")
    return sink.getvalue()


def write_report(
    rows: Iterable[InventoryRow],
    *,
    source_bucket: str,
    destination_bucket: str,
    fmt: str = "CSV",
    fields: tuple[str, ...] = ALL_FIELDS,
    prefix: str = "inventory",
    config_id: str = "all-objects",
    written: datetime | None = None,
    rows_per_file: int = 100_000,
) -> WrittenReport:
    """Build every file of one report in memory (keys relative to the destination bucket)."""
    written = written or datetime.now(UTC)
    base = f"{prefix}/{source_bucket}/{config_id}" if prefix else f"{source_bucket}/{config_id}"
    ext = {"CSV": "csv.gz", "Parquet": "parquet", "ORC": "orc"}[fmt]
    files: dict[str, bytes] = {}
    entries = []
    for chunk in _chunks(rows, rows_per_file):
        body = (
            _csv_file(chunk, fields, source_bucket)
            if fmt == "CSV"
            else _columnar_file(chunk, fields, source_bucket, fmt)
        )
        key = f"{base}/data/{uuid.uuid4()}.{ext}"
        files[key] = body
        entries.append(
            {"key": key, "size": len(body), "MD5checksum": hashlib.md5(body, usedforsecurity=False).hexdigest()}
        )
    if fmt == "CSV":
        schema = ", ".join(fields)
    elif fmt == "Parquet":
        schema = "message s3.inventory { " + " ".join(f"optional binary {_SNAKE[f]};" for f in fields) + " }"
    else:
        schema = "struct<" + ",".join(f"{_SNAKE[f]}:string" for f in fields) + ">"
    manifest = {
        "sourceBucket": source_bucket,
        "destinationBucket": f"arn:aws:s3:::{destination_bucket}",
        "version": "2016-11-30",
        "creationTimestamp": str(int(written.timestamp() * 1000)),
        "fileFormat": fmt,
        "fileSchema": schema,
        "files": entries,
    }
    raw = json.dumps(manifest, indent=2).encode()
    folder = f"{base}/{written:%Y-%m-%dT%H-%MZ}"
    files[f"{folder}/manifest.json"] = raw
    files[f"{folder}/manifest.checksum"] = hashlib.md5(raw, usedforsecurity=False).hexdigest().encode()
    return WrittenReport(files, f"{folder}/manifest.json")


def save_local(report: WrittenReport, root: Path) -> Path:
    """Write a report under a local folder, keeping its layout; returns the manifest path."""
    for key, body in report.files.items():
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    return root / report.manifest_key


def upload(report: WrittenReport, s3: object, bucket: str) -> None:
    """Put a report's files into a destination bucket (manifest files last, as S3 does)."""
    ordered = sorted(report.files, key=lambda k: k.endswith(("manifest.json", "manifest.checksum")))
    for key in ordered:
        s3.put_object(Bucket=bucket, Key=key, Body=report.files[key])  # type: ignore[attr-defined]


def configure(
    s3: object,
    source: str,
    destination: str,
    *,
    fmt: str = "CSV",
    config_id: str = "all-objects",
    prefix: str = "inventory",
    versions: bool = True,
) -> None:
    """PutBucketInventoryConfiguration for ``source`` writing to ``destination``."""
    s3.put_bucket_inventory_configuration(  # type: ignore[attr-defined]
        Bucket=source,
        Id=config_id,
        InventoryConfiguration={
            "Id": config_id,
            "IsEnabled": True,
            "IncludedObjectVersions": "All" if versions else "Current",
            "Schedule": {"Frequency": "Daily"},
            "Destination": {
                "S3BucketDestination": {"Bucket": f"arn:aws:s3:::{destination}", "Format": fmt, "Prefix": prefix}
            },
            "OptionalFields": ["Size", "LastModifiedDate", "StorageClass", "ETag", "IntelligentTieringAccessTier"],
        },
    )
