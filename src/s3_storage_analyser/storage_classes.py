"""Storage classes, their display names, and the CloudWatch storage types billed to each.

One table answers every "which class is this?" question, for listing (the
``StorageClass`` field of ListObjectsV2) and CloudWatch (the ``StorageType``
dimension of ``BucketSizeBytes``) alike. Unknown values never vanish: they get
a class of their own named after the raw value.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClassInfo:
    """How one storage class is shown: table column, JSON key, long name."""

    code: str
    column: str
    json_key: str
    name: str


_KNOWN: tuple[ClassInfo, ...] = (
    # 0.1's three columns first, in 0.1's order.
    ClassInfo("STANDARD", "STD", "Bytes-ST", "Standard"),
    ClassInfo("REDUCED_REDUNDANCY", "RR", "Bytes-RR", "Reduced Redundancy"),
    ClassInfo("STANDARD_IA", "IA", "Bytes-IA", "Standard-IA"),
    ClassInfo("ONEZONE_IA", "OZ-IA", "Bytes-OZIA", "One Zone-IA"),
    ClassInfo("INTELLIGENT_TIERING", "IT", "Bytes-IT", "Intelligent-Tiering"),
    ClassInfo("GLACIER_IR", "GIR", "Bytes-GIR", "Glacier Instant Retrieval"),
    ClassInfo("GLACIER", "GFR", "Bytes-GFR", "Glacier Flexible Retrieval"),
    ClassInfo("DEEP_ARCHIVE", "DA", "Bytes-DA", "Glacier Deep Archive"),
    ClassInfo("EXPRESS_ONEZONE", "EOZ", "Bytes-EOZ", "Express One Zone"),
    ClassInfo("OUTPOSTS", "OUT", "Bytes-OUTPOSTS", "S3 on Outposts"),
    ClassInfo("SNOW", "SNOW", "Bytes-SNOW", "Snow Family"),
)

KNOWN_CLASSES: dict[str, ClassInfo] = {info.code: info for info in _KNOWN}
CLASS_ORDER: dict[str, int] = {info.code: i for i, info in enumerate(_KNOWN)}

# Every BucketSizeBytes StorageType that AWS documents, and the class it is billed to.
# Overheads are billed storage, so they count towards their class's bytes.
CLOUDWATCH_STORAGE_TYPES: dict[str, str] = {
    "StandardStorage": "STANDARD",
    "IntelligentTieringFAStorage": "INTELLIGENT_TIERING",
    "IntelligentTieringIAStorage": "INTELLIGENT_TIERING",
    "IntelligentTieringAAStorage": "INTELLIGENT_TIERING",
    "IntelligentTieringAIAStorage": "INTELLIGENT_TIERING",
    "IntelligentTieringDAAStorage": "INTELLIGENT_TIERING",
    "StandardIAStorage": "STANDARD_IA",
    "StandardIASizeOverhead": "STANDARD_IA",
    "StandardIAObjectOverhead": "STANDARD_IA",
    "OneZoneIAStorage": "ONEZONE_IA",
    "OneZoneIASizeOverhead": "ONEZONE_IA",
    "ReducedRedundancyStorage": "REDUCED_REDUNDANCY",
    "GlacierInstantRetrievalStorage": "GLACIER_IR",
    "GlacierInstantRetrievalSizeOverhead": "GLACIER_IR",
    "GlacierStorage": "GLACIER",
    "GlacierStagingStorage": "GLACIER",
    "GlacierObjectOverhead": "GLACIER",
    "GlacierS3ObjectOverhead": "GLACIER",
    "DeepArchiveStorage": "DEEP_ARCHIVE",
    "DeepArchiveObjectOverhead": "DEEP_ARCHIVE",
    "DeepArchiveS3ObjectOverhead": "DEEP_ARCHIVE",
    "DeepArchiveStagingStorage": "DEEP_ARCHIVE",
}

# For storage types AWS adds later: the longest matching prefix names the class.
_TYPE_PREFIXES: tuple[tuple[str, str], ...] = tuple(
    sorted(
        (
            ("IntelligentTiering", "INTELLIGENT_TIERING"),
            ("StandardIA", "STANDARD_IA"),
            ("OneZoneIA", "ONEZONE_IA"),
            ("ReducedRedundancy", "REDUCED_REDUNDANCY"),
            ("GlacierInstantRetrieval", "GLACIER_IR"),
            ("Glacier", "GLACIER"),
            ("DeepArchive", "DEEP_ARCHIVE"),
            ("ExpressOneZone", "EXPRESS_ONEZONE"),
            ("Standard", "STANDARD"),
        ),
        key=lambda pair: -len(pair[0]),
    )
)

OBJECT_COUNT_STORAGE_TYPE = "AllStorageTypes"

# The minimum billable object size of the IA classes and Glacier Instant Retrieval; Intelligent-Tiering
# neither monitors nor moves objects below it. Listing and inventory count the objects under it per class.
SMALL_OBJECT_BYTES = 128 * 1024


def class_for_storage_type(storage_type: str) -> str:
    """The storage class a CloudWatch StorageType is billed to (its own name if unknown)."""
    known = CLOUDWATCH_STORAGE_TYPES.get(storage_type)
    if known is not None:
        return known
    for prefix, code in _TYPE_PREFIXES:
        if storage_type.startswith(prefix):
            return code
    return storage_type


def class_info(code: str) -> ClassInfo:
    """Display information for a class code, made up for codes AWS adds later."""
    known = KNOWN_CLASSES.get(code)
    if known is not None:
        return known
    return ClassInfo(code, code, f"Bytes-{code}", code.replace("_", " ").title())


def normalise_listing_class(raw: str | None) -> str:
    """ListObjectsV2 omits StorageClass for some S3-compatible servers: that means STANDARD."""
    return raw if raw else "STANDARD"


def sort_classes(codes: set[str] | list[str]) -> list[str]:
    """Known classes in 0.1's column order, then unknown ones alphabetically."""
    return sorted(codes, key=lambda c: (CLASS_ORDER.get(c, len(CLASS_ORDER)), c))
