"""Fast parsers for S3 list responses.

botocore spends ~110 ms turning a 1,000-key ListObjectsV2 page into dicts and
datetimes; these parsers take ~1 ms. The fast path is one regular expression in
AWS's element order; a page where it does not account for every entry (another
server's element order, a missing StorageClass) is parsed by the
order-independent path instead, so nothing is ever skipped silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

# Key, LastModified, [ETag, Checksum*...], Size, StorageClass — AWS's order.
_OBJECT_FAST = re.compile(
    r"<Contents><Key>([^<]*)</Key><LastModified>([^<]*)</LastModified>"
    r"(?:<[^S/][^>]*>[^<]*</[^>]*>)*<Size>(\d+)</Size><StorageClass>([^<]*)</StorageClass>"
)
_TAG_CACHE: dict[str, tuple[str, str]] = {}
_XML_ENTITIES = re.compile(r"&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);")


class PageError(Exception):
    """A response body that is not a complete list page (truncated or garbled)."""


def _tags(name: str) -> tuple[str, str]:
    tags = _TAG_CACHE.get(name)
    if tags is None:
        tags = _TAG_CACHE[name] = (f"<{name}>", f"</{name}>")
    return tags


def _text(chunk: str, name: str, default: str = "") -> str:
    open_tag, close_tag = _tags(name)
    start = chunk.find(open_tag)
    if start < 0:
        return default
    start += len(open_tag)
    return chunk[start : chunk.find(close_tag, start)]


def _unescape_entity(match: re.Match[str]) -> str:
    name = match.group(1)
    if name[0] == "#":
        return chr(int(name[2:], 16) if name[1] == "x" else int(name[1:]))
    return {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}[name]


def xml_text(raw: str) -> str:
    """Undo XML escaping (only when there is any)."""
    return _XML_ENTITIES.sub(_unescape_entity, raw) if "&" in raw else raw


def decode_key(raw: str, url_encoded: bool) -> str:
    """A key as S3 stores it, from its form in the page."""
    text = xml_text(raw)
    # S3 encodes like a form: space is "+", "+" is "%2B" (botocore decodes with unquote_plus too).
    return unquote_plus(text) if url_encoded and ("%" in text or "+" in text) else text


@dataclass
class ObjectPage:
    """One ListObjectsV2 page; keys stay in their wire form until someone needs them."""

    entries: list[tuple[str, str, int, str]]  # (raw key, last modified, size, storage class)
    common_prefixes: list[str] = field(default_factory=list)
    truncated: bool = False
    next_token: str | None = None
    url_encoded: bool = False

    def key(self, index: int) -> str:
        return decode_key(self.entries[index][0], self.url_encoded)


_ROOT = re.compile(r"<([A-Za-z][\w.-]*)[\s>/]")
# Root elements other servers use for the same answer (moto answers ListParts with ListPartsResponse).
_ROOT_ALIASES = {"ListPartsResult": ("ListPartsResult", "ListPartsResponse")}


def _check_complete(body: str, root: str) -> None:
    """The document must be the expected answer and close the root element it opened."""
    start = body.find("<", body.find("?>") + 2 if body.startswith("<?") else 0)
    match = _ROOT.match(body, start) if start >= 0 else None
    name = match.group(1) if match else ""
    if name not in _ROOT_ALIASES.get(root, (root,)) or not body.rstrip().endswith(f"</{name}>"):
        raise PageError(f"not a complete {root} response ({len(body)} characters)")


def parse_objects(body: str) -> ObjectPage:
    """Parse a ListObjectsV2 response body."""
    _check_complete(body, "ListBucketResult")
    expected = body.count("<Contents>")
    entries = [(k, lm, int(sz), sc) for k, lm, sz, sc in _OBJECT_FAST.findall(body)]
    if len(entries) != expected:
        entries = _objects_any_order(body)
    # Page-level elements never occur inside an entry, so the whole body can be searched.
    encoded = "<EncodingType>url</EncodingType>" in body
    prefixes = re.findall(r"<CommonPrefixes><Prefix>([^<]*)</Prefix>", body)
    truncated = "<IsTruncated>true</IsTruncated>" in body
    token = _text(body, "NextContinuationToken") or None
    return ObjectPage(entries, prefixes, truncated, xml_text(token) if token else None, encoded)


def _objects_any_order(body: str) -> list[tuple[str, str, int, str]]:
    entries = []
    for piece in body.split("<Contents>")[1:]:
        chunk = piece[: piece.find("</Contents>")]
        size = _text(chunk, "Size")
        if not (size.isascii() and size.isdigit()):
            raise PageError("an object entry without a Size")
        entries.append(
            (_text(chunk, "Key"), _text(chunk, "LastModified"), int(size), _text(chunk, "StorageClass") or "STANDARD")
        )
    return entries


@dataclass
class VersionPage:
    """One ListObjectVersions page."""

    # (raw key, last modified, size, storage class, is latest, is delete marker)
    entries: list[tuple[str, str, int, str, bool, bool]]
    truncated: bool = False
    next_key_marker: str | None = None
    next_version_marker: str | None = None
    url_encoded: bool = False
    common_prefixes: list[str] = field(default_factory=list)  # raw, as ObjectPage's (with a Delimiter)


_VERSION_OR_MARKER = re.compile(r"<(Version|DeleteMarker)>(.*?)</\1>", re.S)


def parse_versions(body: str) -> VersionPage:
    """Parse a ListObjectVersions response body (versions and delete markers in order)."""
    _check_complete(body, "ListVersionsResult")
    entries: list[tuple[str, str, int, str, bool, bool]] = []
    for kind, chunk in _VERSION_OR_MARKER.findall(body):
        latest = _text(chunk, "IsLatest") == "true"
        if kind == "DeleteMarker":
            entries.append((_text(chunk, "Key"), _text(chunk, "LastModified"), 0, "", latest, True))
            continue
        size = _text(chunk, "Size")
        if not (size.isascii() and size.isdigit()):
            raise PageError("a version entry without a Size")
        storage = _text(chunk, "StorageClass") or "STANDARD"
        entries.append((_text(chunk, "Key"), _text(chunk, "LastModified"), int(size), storage, latest, False))
    encoded = "<EncodingType>url</EncodingType>" in body
    truncated = "<IsTruncated>true</IsTruncated>" in body
    key_marker = _text(body, "NextKeyMarker") or None
    version_marker = _text(body, "NextVersionIdMarker") or None
    return VersionPage(
        entries,
        truncated,
        decode_key(key_marker, encoded) if key_marker is not None else None,
        xml_text(version_marker) if version_marker else None,
        encoded,
        re.findall(r"<CommonPrefixes><Prefix>([^<]*)</Prefix>", body),
    )


@dataclass
class UploadPage:
    """One ListMultipartUploads page: (raw key, upload id, initiated) per upload."""

    uploads: list[tuple[str, str, str]]
    truncated: bool = False
    next_key_marker: str | None = None
    next_upload_marker: str | None = None
    url_encoded: bool = False


def parse_uploads(body: str) -> UploadPage:
    """Parse ListMultipartUploads; keys may need EncodingType=url, so botocore's parser is not used."""
    _check_complete(body, "ListMultipartUploadsResult")
    uploads = [
        (_text(chunk, "Key"), xml_text(_text(chunk, "UploadId")), _text(chunk, "Initiated"))
        for chunk in re.findall(r"<Upload>(.*?)</Upload>", body, re.S)
    ]
    encoded = "<EncodingType>url</EncodingType>" in body
    key_marker = _text(body, "NextKeyMarker") or None
    upload_marker = _text(body, "NextUploadIdMarker") or None
    return UploadPage(
        uploads,
        "<IsTruncated>true</IsTruncated>" in body,
        decode_key(key_marker, encoded) if key_marker else None,
        xml_text(upload_marker) if upload_marker else None,
        encoded,
    )


@dataclass
class PartPage:
    """One ListParts page: the sizes of the uploaded parts."""

    sizes: list[int]
    truncated: bool = False
    next_part_marker: str | None = None


def parse_parts(body: str) -> PartPage:
    """Parse ListParts (its echoed Key may hold characters XML 1.0 forbids, so botocore cannot)."""
    _check_complete(body, "ListPartsResult")
    sizes: list[int] = []
    for chunk in re.findall(r"<Part>(.*?)</Part>", body, re.S):
        size = _text(chunk, "Size")
        if not (size.isascii() and size.isdigit()):
            raise PageError("a part entry without a Size")
        sizes.append(int(size))
    marker = _text(body, "NextPartNumberMarker") or None
    return PartPage(sizes, "<IsTruncated>true</IsTruncated>" in body, marker)
