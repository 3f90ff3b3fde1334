"""Fast parsers for S3 list responses.

botocore spends ~110 ms turning a 1,000-key ListObjectsV2 page into dicts and
datetimes; these parsers take ~1 ms. The fast path is one regular expression in
AWS's element order; a page where it does not account for every entry (another
server's element order, a missing StorageClass) is parsed by the
order-independent path instead, so nothing is ever skipped silently.

Every value is checked as it is read, because the server may be broken or
hostile: sizes are non-negative integers that fit an int64, timestamps look like
timestamps, part numbers are positive integers, and text decodes to what a key can
be. A page that fails is a ``PageError`` naming the value; ``IncompletePage`` (cut
short, or not the answer asked for) is the one kind worth a retry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import unquote_plus

INT64_MAX = (1 << 63) - 1
# What every LastModified / Initiated must start with: ISO 8601, as S3 writes it.
_TIMESTAMP = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"  # ASCII only: \d matches any script's digits
_TIMESTAMP_START = re.compile(_TIMESTAMP)
# Key, LastModified, [ETag, Checksum*...], Size, StorageClass — AWS's order. An entry with a value the
# groups reject (a size of 20 digits, a date that is not one) is not matched: the checked path sees it.
_OBJECT_FAST = re.compile(
    rf"<Contents><Key>([^<]*)</Key><LastModified>({_TIMESTAMP}[^<]*)</LastModified>"
    r"(?:<[^S/][^>]*>[^<]*</[^>]*>)*<Size>([0-9]{1,19})</Size><StorageClass>([^<]*)</StorageClass>"
)
_TAG_CACHE: dict[str, tuple[str, str]] = {}
# A bare "&" (no reference follows) is kept as sent: it can only mean "&".
_XML_REFERENCE = re.compile(r"&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


class PageError(Exception):
    """A list page that says something no valid answer says: the bucket's listing cannot be trusted."""

    code = "InvalidPage"


class IncompletePage(PageError):
    """A body cut short or not the answer asked for: a network fault more likely than a lie, so retried."""

    code = "IncompletePage"


def shown(text: str, limit: int = 80) -> str:
    """Outside text quoted for a message: repr (no control character passes), cut to ``limit``."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


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
    if name[0] != "#":
        return _NAMED[name]
    digits = name[2:] if name[1] == "x" else name[1:]
    code = int(digits, 16 if name[1] == "x" else 10) if len(digits) <= 8 else -1
    if not 0 <= code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise PageError(f"a character reference to no character (&{name};) in {shown(match.string)}")
    return chr(code)


def xml_text(raw: str) -> str:
    """Undo XML escaping (only when there is any).

    A reference past U+10FFFF or to a lone surrogate (``&#1114112;``, ``&#xD800;``) names no
    character, so no key S3 stores (keys are UTF-8) can be written with it: the page is
    rejected (``PageError``) rather than the key altered or guessed. References to characters
    XML 1.0 forbids (``&#x1;``) are kept: S3 itself writes control characters that way.
    Raw characters XML forbids, and a bare "&", are kept exactly as sent: each can mean one thing.
    """
    return _XML_REFERENCE.sub(_unescape_entity, raw) if "&" in raw else raw


def decode_key(raw: str, url_encoded: bool) -> str:
    """A key as S3 stores it, from its form in the page; a form no key has is a ``PageError``."""
    text = xml_text(raw) if "&" in raw else raw
    if not (url_encoded and ("%" in text or "+" in text)):
        return text
    # S3 encodes like a form: space is "+", "+" is "%2B" (botocore decodes with unquote_plus too).
    # Strictly: an escape that is not UTF-8 (%ED%A0%80, %FF) is no key, not one to repair with U+FFFD.
    try:
        return unquote_plus(text, errors="strict")
    except UnicodeDecodeError:
        raise PageError(f"a url-encoded key that is not UTF-8: {shown(text)}") from None


def decode_keys(raw: list[str], url_encoded: bool) -> list[str]:
    """Keys as S3 stores them; one scan of the whole page finds the usual case, where none needs decoding."""
    joined = "\n".join(raw)
    if "&" not in joined and not (url_encoded and ("%" in joined or "+" in joined)):
        return raw
    return [decode_key(key, url_encoded) for key in raw]


def parse_size(text: str, what: str) -> int:
    """A Size: a non-negative integer that fits an int64 (S3's own type for it)."""
    if not (text.isascii() and text.isdigit() and len(text) <= 19) or int(text) > INT64_MAX:
        raise PageError(f"{what} with Size {shown(text)}: not a non-negative 64-bit integer")
    return int(text)


def check_timestamp(text: str, what: str) -> str:
    """A LastModified / Initiated: ISO 8601 as S3 writes it (age breakdowns compare them as text)."""
    if _TIMESTAMP_START.match(text) is None:
        raise PageError(f"{what} with timestamp {shown(text)}: not an ISO 8601 date and time")
    return text


@dataclass
class ObjectPage:
    """One ListObjectsV2 page; keys stay in their wire form until someone needs them."""

    entries: list[tuple[str, str, int, str]]  # (raw key, last modified, size, storage class)
    common_prefixes: list[str] = field(default_factory=list)
    truncated: bool = False
    next_token: str | None = None
    url_encoded: bool = False
    _keys: list[str] | None = field(default=None, repr=False, compare=False)

    def key(self, index: int) -> str:
        return decode_key(self.entries[index][0], self.url_encoded)

    def keys(self) -> list[str]:
        """Every entry's key, decoded once (the checks and the breakdowns share them)."""
        if self._keys is None:
            self._keys = decode_keys([entry[0] for entry in self.entries], self.url_encoded)
        return self._keys


_ROOT = re.compile(r"<([A-Za-z][\w.-]*)[\s>/]")
# Root elements other servers use for the same answer (moto answers ListParts with ListPartsResponse).
_ROOT_ALIASES = {"ListPartsResult": ("ListPartsResult", "ListPartsResponse")}


def _check_complete(body: str, root: str) -> None:
    """The document must be the expected answer and close the root element it opened."""
    start = body.find("<", body.find("?>") + 2 if body.startswith("<?") else 0)
    match = _ROOT.match(body, start) if start >= 0 else None
    name = match.group(1) if match else ""
    if name not in _ROOT_ALIASES.get(root, (root,)) or not body.rstrip().endswith(f"</{name}>"):
        raise IncompletePage(f"not a complete {root} response ({len(body)} characters)")


def parse_objects(body: str) -> ObjectPage:
    """Parse a ListObjectsV2 response body."""
    _check_complete(body, "ListBucketResult")
    expected = body.count("<Contents>")
    entries = [(k, lm, int(sz), sc) for k, lm, sz, sc in _OBJECT_FAST.findall(body)]
    if len(entries) != expected or (entries and max([e[2] for e in entries]) > INT64_MAX):
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
        key = _text(chunk, "Key")
        what = f"the object {shown(key)}"
        size = parse_size(_text(chunk, "Size"), what)
        modified = check_timestamp(_text(chunk, "LastModified"), what)
        entries.append((key, modified, size, _text(chunk, "StorageClass") or "STANDARD"))
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
    version_ids: list[str] = field(default_factory=list)  # each entry's VersionId, unescaped

    def keys(self) -> list[str]:
        """Every entry's key, decoded."""
        return decode_keys([entry[0] for entry in self.entries], self.url_encoded)


_VERSION_OR_MARKER = re.compile(r"<(Version|DeleteMarker)>(.*?)</\1>", re.S)


def parse_versions(body: str) -> VersionPage:
    """Parse a ListObjectVersions response body (versions and delete markers in order)."""
    _check_complete(body, "ListVersionsResult")
    entries: list[tuple[str, str, int, str, bool, bool]] = []
    ids: list[str] = []
    for kind, chunk in _VERSION_OR_MARKER.findall(body):
        latest = _text(chunk, "IsLatest") == "true"
        key = _text(chunk, "Key")
        ids.append(xml_text(_text(chunk, "VersionId")))
        what = f"the version of {shown(key)}"
        modified = check_timestamp(_text(chunk, "LastModified"), what)
        if kind == "DeleteMarker":
            entries.append((key, modified, 0, "", latest, True))
            continue
        size = parse_size(_text(chunk, "Size"), what)
        storage = _text(chunk, "StorageClass") or "STANDARD"
        entries.append((key, modified, size, storage, latest, False))
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
        ids,
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
        (key, xml_text(_text(chunk, "UploadId")), _initiated(_text(chunk, "Initiated"), key))
        for chunk in re.findall(r"<Upload>(.*?)</Upload>", body, re.S)
        for key in (_text(chunk, "Key"),)
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


def _initiated(text: str, key: str) -> str:
    """An upload's Initiated, checked and in one form (UTC, ISO 8601), so that the text compares as the time."""
    what = f"the upload of {shown(key)}"
    try:
        moment = datetime.fromisoformat(check_timestamp(text, what).replace("Z", "+00:00"))
    except ValueError:
        raise PageError(f"{what} with Initiated {shown(text)}: not an ISO 8601 date and time") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


@dataclass
class PartPage:
    """One ListParts page: the numbers and sizes of the uploaded parts."""

    sizes: list[int]
    truncated: bool = False
    next_part_marker: str | None = None
    numbers: list[int] = field(default_factory=list)


def parse_part_number(text: str, what: str) -> int:
    """A PartNumber / PartNumberMarker: a positive integer (S3 allows 1 to 10,000)."""
    if not (text.isascii() and text.isdigit() and 0 < len(text) <= 9) or int(text) == 0:
        raise PageError(f"{what} {shown(text)}: not a part number")
    return int(text)


def parse_parts(body: str) -> PartPage:
    """Parse ListParts (its echoed Key may hold characters XML 1.0 forbids, so botocore cannot)."""
    _check_complete(body, "ListPartsResult")
    sizes: list[int] = []
    numbers: list[int] = []
    for chunk in re.findall(r"<Part>(.*?)</Part>", body, re.S):
        number = parse_part_number(_text(chunk, "PartNumber"), "a part numbered")
        numbers.append(number)
        sizes.append(parse_size(_text(chunk, "Size"), f"part {number}"))
    marker = _text(body, "NextPartNumberMarker") or None
    return PartPage(sizes, "<IsTruncated>true</IsTruncated>" in body, marker, numbers)
