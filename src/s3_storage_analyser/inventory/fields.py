"""The field names S3 Inventory documents, the only names a report's schema may hold.

A manifest's ``fileSchema`` is text written by whoever can write the
destination bucket. Its names are checked against this list before any of
them is used, and even then the SQL quotes them as identifiers. The list is
the fixed fields plus ``InventoryOptionalField`` of the S3 API model that ships
with botocore (so a field AWS adds becomes known with a botocore update), with
a copy of today's optional fields for when that model cannot be read.
"""

from __future__ import annotations

import functools
import re

BASE_FIELDS = ("Bucket", "Key", "VersionId", "IsLatest", "IsDeleteMarker")
KNOWN_OPTIONAL_FIELDS = (
    "Size",
    "LastModifiedDate",
    "StorageClass",
    "ETag",
    "IsMultipartUploaded",
    "ReplicationStatus",
    "EncryptionStatus",
    "ObjectLockRetainUntilDate",
    "ObjectLockMode",
    "ObjectLockLegalHoldStatus",
    "ObjectLockEventHoldStatus",
    "ObjectLockEventHoldDuration",
    "IntelligentTieringAccessTier",
    "BucketKeyStatus",
    "ChecksumAlgorithm",
    "ObjectAccessControlList",
    "ObjectOwner",
    "LifecycleExpirationDate",
    "IntelligentTieringReferenceDate",
)
_NAME = re.compile(r"[A-Z][A-Za-z]{0,63}")


def _model_fields() -> tuple[str, ...]:
    """InventoryOptionalField of botocore's S3 model, or nothing if it cannot be read."""
    try:
        import botocore.session

        shape = botocore.session.get_session().get_service_model("s3").shape_for("InventoryOptionalField")
        return tuple(name for name in getattr(shape, "enum", ()) if _NAME.fullmatch(name))
    except Exception:  # any failure: the copy above still holds today's fields
        return ()


@functools.cache
def documented_fields() -> frozenset[str]:
    """CSV field names (CamelCase), as in a CSV report's fileSchema."""
    return frozenset((*BASE_FIELDS, *KNOWN_OPTIONAL_FIELDS, *_model_fields()))


def snake(field: str) -> str:
    """A field's Parquet / ORC column name: ``LastModifiedDate`` -> ``last_modified_date``, ``ETag`` -> ``e_tag``."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", field).lower()


@functools.cache
def documented_columns() -> frozenset[str]:
    """Parquet / ORC column names (snake_case)."""
    return frozenset(snake(f) for f in documented_fields())


def quote_identifier(name: str) -> str:
    """A checked name as a SQL identifier (double quotes, doubled inside): never bare text."""
    return '"' + name.replace('"', '""') + '"'
