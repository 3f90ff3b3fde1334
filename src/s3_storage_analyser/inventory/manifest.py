"""manifest.json of an S3 Inventory report: parsed, checked, never trusted blindly."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..errors import AnalyserError

FORMATS = ("CSV", "Parquet", "ORC")


class InventoryError(AnalyserError):
    """A report that cannot be used: missing, stale beyond use, corrupt, unreadable."""

    code = "InventoryError"


@dataclass(frozen=True)
class DataFile:
    key: str
    size: int
    md5: str


# A field of a Parquet ("optional int64 size;") or ORC ("struct<key:string,size:bigint>") fileSchema.
_FIELD = re.compile(r"(?:\b(?:optional|required|repeated)\s+\w+\s+(\w+)\s*;)|(?:[<,]\s*(\w+)\s*:)")


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
        files = tuple(
            DataFile(str(f["key"]), int(f.get("size", 0)), str(f["MD5checksum"]).lower()) for f in doc["files"]
        )
        source = str(doc["sourceBucket"])
        destination = str(doc.get("destinationBucket", "")).rsplit(":", 1)[-1]
    except (ValueError, KeyError, TypeError) as exc:
        raise InventoryError(f"{location} is not a valid S3 Inventory manifest ({exc}).") from exc
    match = {f.lower(): f for f in FORMATS}.get(fmt.lower())
    if match is None:
        raise InventoryError(
            f"{location}: unknown inventory format {fmt!r}.", hint=f"S3 Inventory writes {', '.join(FORMATS)}."
        )
    columns: tuple[str, ...] = ()
    if match == "CSV":
        columns = tuple(c.strip() for c in str(doc.get("fileSchema", "")).split(",") if c.strip())
        if "Key" not in columns or "Size" not in columns:
            raise InventoryError(
                f"{location}: the CSV schema has no {'Key' if 'Key' not in columns else 'Size'} field "
                f"({doc.get('fileSchema')!r}), so sizes cannot be counted.",
                hint="Add the Size field to the inventory configuration, or use --strategy list.",
            )
    else:  # read from the files themselves; the schema matters only when there is no file (an empty bucket)
        columns = tuple(a or b for a, b in _FIELD.findall(str(doc.get("fileSchema", ""))))
    created = None
    stamp = doc.get("creationTimestamp")
    if stamp:
        try:
            created = datetime.fromtimestamp(int(stamp) / 1000, UTC)
        except (TypeError, ValueError, OverflowError, OSError):
            created = None
    return Manifest(source, destination, match, columns, files, created, location)


def verify_checksum(raw: bytes, checksum_text: str, location: str) -> None:
    """manifest.checksum holds the MD5 (hex) of manifest.json."""
    expected = checksum_text.strip().split()[0].lower() if checksum_text.strip() else ""
    actual = hashlib.md5(raw, usedforsecurity=False).hexdigest()
    if expected != actual:
        raise InventoryError(
            f"{location}: manifest.json does not match manifest.checksum "
            f"(MD5 {actual}, expected {expected or 'none'}).",
            hint="The report may still be being written, or was altered; try an older report or --strategy list.",
        )
