"""manifest.json of an S3 Inventory report: parsed, checked, never trusted blindly.

Whoever can write the destination bucket writes this file, so every field is
checked before use: schema names against the documented field names, digests
as 32 hex digits, sizes as integers that fit in int64, data-file keys and
bucket names against their shapes. Nothing of it reaches SQL or a file path
unchecked (see ``fields`` and ``fetch``).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..errors import InventoryError
from .fields import documented_columns, documented_fields

FORMATS = ("CSV", "Parquet", "ORC")
INT64_MAX = 2**63 - 1
_MD5 = re.compile(r"[0-9a-fA-F]{32}")
# Bucket names: S3's rules (3-63 of a-z 0-9 . -) widened to legacy and S3-compatible names.
_BUCKET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}")
# A Parquet field ("optional int64 size;", "required binary key (UTF8);") and an ORC one ("size:bigint").
_PARQUET_FIELD = re.compile(r"\s*(?:optional|required|repeated)\s+\w+\s+(\w+)\s*(?:\((?:[\w, ]|\([\w, ]*\))*\))?\s*")
_ORC_FIELD = re.compile(r"\s*(\w+)\s*:\s*\w+(?:\(\d+(?:,\d+)?\))?\s*")


@dataclass(frozen=True)
class DataFile:
    key: str
    size: int
    md5: str  # 32 lower-case hex digits, checked


@dataclass(frozen=True)
class Manifest:
    source_bucket: str
    destination_bucket: str  # a bucket name (the ARN's last part)
    file_format: str  # CSV | Parquet | ORC
    columns: tuple[str, ...]  # CSV: column names in file order (CamelCase); Parquet / ORC: fileSchema's fields
    files: tuple[DataFile, ...]
    created: datetime | None
    location: str  # where the manifest came from, for messages


def parse_manifest(raw: bytes, location: str) -> Manifest:
    """Read manifest.json; a clear InventoryError names what is wrong and where."""
    try:
        doc: dict[str, Any] = json.loads(raw)
        fmt = str(doc["fileFormat"])
        files = tuple(_data_file(f, location) for f in doc["files"])
        source = str(doc["sourceBucket"])
        destination = str(doc.get("destinationBucket", "")).rsplit(":", 1)[-1]
    except (ValueError, KeyError, TypeError) as exc:
        raise InventoryError(f"{location} is not a valid S3 Inventory manifest ({exc}).") from exc
    _check_bucket(source, "sourceBucket", location)
    if destination:
        _check_bucket(destination, "destinationBucket", location)
    match = {f.lower(): f for f in FORMATS}.get(fmt.lower())
    if match is None:
        raise InventoryError(
            f"{location}: unknown inventory format {fmt[:40]!r}.", hint=f"S3 Inventory writes {', '.join(FORMATS)}."
        )
    schema = doc.get("fileSchema", "")
    columns = _csv_columns(schema, location) if match == "CSV" else _columnar_columns(schema, match, location)
    created = None
    stamp = doc.get("creationTimestamp")
    if stamp:
        try:
            created = datetime.fromtimestamp(int(stamp) / 1000, UTC)
        except (TypeError, ValueError, OverflowError, OSError):
            created = None
    return Manifest(source, destination, match, columns, files, created, location)


def _data_file(entry: Any, location: str) -> DataFile:
    """One ``files`` entry: key, size (int64, non-negative) and MD5 (32 hex digits)."""
    if not isinstance(entry, dict):
        raise TypeError(f"a files entry is {type(entry).__name__}, not an object")
    key, size, digest = entry["key"], entry.get("size", 0), entry["MD5checksum"]
    if not isinstance(key, str) or not key or "\x00" in key or len(key.encode("utf-8", "replace")) > 1024:
        raise ValueError(f"data file key {str(key)[:80]!r} is not an S3 key")
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= INT64_MAX:
        raise ValueError(f"data file {key[:200]!r} has size {str(size)[:40]!r}, not a non-negative 64-bit integer")
    if not isinstance(digest, str) or not _MD5.fullmatch(digest):
        raise ValueError(f"data file {key[:200]!r} has MD5checksum {str(digest)[:40]!r}, not 32 hex digits")
    return DataFile(key, size, digest.lower())


def _check_bucket(name: str, field: str, location: str) -> None:
    if not _BUCKET.fullmatch(name):
        raise InventoryError(f"{location}: {field} {name[:80]!r} is not a bucket name.")


def _unknown(names: tuple[str, ...], known: frozenset[str], what: str, location: str) -> None:
    """A name S3 Inventory does not document fails the report: S3 did not write it (see ``fields``)."""
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InventoryError(
            f"{location}: the {what} schema names {unknown[0][:80]!r}, not an S3 Inventory field.",
            hint="The manifest was not written by S3 Inventory, or by a newer S3 than this tool knows "
            "(upgrade botocore); use --strategy list meanwhile.",
        )
    if len(set(names)) != len(names):
        raise InventoryError(f"{location}: the {what} schema names a field twice ({', '.join(names)[:200]}).")


def _csv_columns(schema: Any, location: str) -> tuple[str, ...]:
    columns = tuple(c.strip() for c in str(schema or "").split(",") if c.strip())
    if "Key" not in columns or "Size" not in columns:
        raise InventoryError(
            f"{location}: the CSV schema has no {'Key' if 'Key' not in columns else 'Size'} field "
            f"({str(schema)[:200]!r}), so sizes cannot be counted.",
            hint="Add the Size field to the inventory configuration, or use --strategy list.",
        )
    _unknown(columns, documented_fields(), "CSV", location)
    return columns


def _columnar_columns(schema: Any, fmt: str, location: str) -> tuple[str, ...]:
    """The fields of a Parquet message or ORC struct (the files carry their own: this matters for empty reports)."""
    text = str(schema or "").strip()
    if not text:
        return ()
    if fmt == "Parquet":
        body = re.fullmatch(r"message\s+[\w.]+\s*\{(.*)\}", text, re.DOTALL)
        parts = [p for p in body.group(1).split(";") if p.strip()] if body else None
        pattern = _PARQUET_FIELD
    else:
        body = re.fullmatch(r"struct\s*<(.*)>", text, re.DOTALL)
        parts = body.group(1).split(",") if body else None
        pattern = _ORC_FIELD
    matches = [pattern.fullmatch(p) for p in parts] if parts is not None else [None]
    if not all(matches):
        raise InventoryError(f"{location}: the {fmt} fileSchema {text[:200]!r} is not a {fmt} schema.")
    names = tuple(m.group(1) for m in matches if m)
    _unknown(names, documented_columns(), fmt, location)
    return names


def verify_checksum(raw: bytes, checksum_text: str, location: str) -> None:
    """manifest.checksum holds the MD5 (hex) of manifest.json."""
    expected = checksum_text.strip().split()[0].lower() if checksum_text.strip() else ""
    actual = hashlib.md5(raw, usedforsecurity=False).hexdigest()
    if expected != actual:
        shown = expected if _MD5.fullmatch(expected) or not expected else repr(expected[:40])
        raise InventoryError(
            f"{location}: manifest.json does not match manifest.checksum (MD5 {actual}, expected {shown or 'none'}).",
            hint="The report may still be being written, or was altered; try an older report or --strategy list.",
        )
