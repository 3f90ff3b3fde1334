"""A fast, stdlib-only fake S3 listing endpoint for benchmarks and fault-injection tests.

moto lists about 5k keys/s, far too slow to benchmark a scanner over millions of
keys. This server generates ListObjectsV2 pages at over a million keys/s from
key sources that compute each key from its index, and speaks the wire format of
the real listing operations closely enough for botocore's parsers, paginators
and retry handlers. Signatures are not checked; addressing is path-style only:
``http://127.0.0.1:PORT/<bucket>?<query>``. Optional: latency per request, faults,
hostile buckets, and S3-like throttling of each connection (``RateLimit``).
"""

from __future__ import annotations

import base64
import binascii
import bisect
import contextlib
import email.utils
import hashlib
import http.client
import http.server
import itertools
import multiprocessing
import random
import re
import socket
import struct
import sys
import threading
import time
import traceback
import urllib.parse
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'
MAX_KEYS = 1000
OWNER_ID = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"
OWNER_XML = f"<Owner><ID>{OWNER_ID}</ID><DisplayName>fakes3</DisplayName></Owner>"
INITIATOR_XML = f"<Initiator><ID>{OWNER_ID}</ID><DisplayName>fakes3</DisplayName></Initiator>"

OPERATIONS = (
    "ListBuckets",
    "HeadBucket",
    "GetBucketLocation",
    "ListObjects",
    "ListObjectsV2",
    "ListObjectVersions",
    "ListMultipartUploads",
    "ListParts",
    "Unsupported",
)
FAULT_KINDS = ("500", "503-slowdown", "throttle", "reset", "truncate", "timeout", "403")
# Hostile mode: one misbehaviour per bucket (``add_bucket(..., hostile=KIND)``), each something a broken
# or hostile server has done or could do; a client must report each bucket exactly or as a named failure.
HOSTILE_KINDS = (
    "unordered",  # ListObjectsV2: each page's entries in reverse order
    "overlap",  # ListObjectsV2: each page after the first starts again at the previous page's last key
    "ignores-start",  # ListObjectsV2: StartAfter and the token ignored: the first page, forever
    "stuck-token",  # ListObjectsV2: NextContinuationToken never changes
    "no-token",  # ListObjectsV2: IsTruncated=true without a NextContinuationToken
    "empty-truncated",  # ListObjectsV2: pages after the first are empty, yet truncated
    "outside-prefix",  # ListObjectsV2: a key that does not start with the requested Prefix
    "drip",  # every listing: the body sent one byte every ``drip_interval`` seconds
    "bad-entity",  # a key with &#1114112; (past Unicode)
    "surrogate",  # a key with &#xD800; (a lone surrogate)
    "bare-ampersand",  # a key with an unescaped "&" (which can only mean "&")
    "bad-url",  # a url-encoded key with %ED%A0%80 (a surrogate, not UTF-8)
    "negative-size",  # Size -5
    "huge-size",  # Size 2**64
    "bad-date",  # LastModified "yesterday"
    "versions-overlap",  # ListObjectVersions: each page repeats the previous page's last version
    "versions-stuck",  # ListObjectVersions: markers ignored, the first page forever
    "versions-no-marker",  # ListObjectVersions: IsTruncated=true without NextKeyMarker
    "uploads-stuck",  # ListMultipartUploads: markers ignored, the first page (truncated) forever
    "parts-stuck",  # ListParts: PartNumberMarker ignored, the first page (truncated) forever
    "parts-overlap",  # ListParts: each page repeats the previous page's last part
    "bad-initiated",  # ListMultipartUploads: Initiated "soon"
)

# Multiplicative hashing of an index gives every generated attribute from one multiply.
_MIX = 0x9E3779B97F4A7C15
_MASK = (1 << 64) - 1
_TOP = 1 << 64  # hex(_TOP + v)[3:] is v as 16 zero-padded hex digits, faster than format()


def _timestamp_table(size: int = 4096) -> list[str]:
    """LastModified strings spread over six years, indexed by 12 hash bits (no per-key datetime work)."""
    start = datetime(2020, 1, 1, tzinfo=UTC)
    slot = int(timedelta(days=6 * 365).total_seconds()) // size
    return [
        (start + timedelta(seconds=k * slot + (k * 7919) % slot)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        for k in range(size)
    ]


_LAST_MODIFIED = _timestamp_table()
# Indexed by 4 hash bits: mostly STANDARD, some STANDARD_IA and GLACIER.
_CLASSES = ("STANDARD",) * 11 + ("STANDARD_IA",) * 3 + ("GLACIER",) * 2


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class FakeObject:
    """One current object as ListObjectsV2 reports it."""

    key: str
    size: int
    storage_class: str = "STANDARD"
    last_modified: str = "2026-01-01T00:00:00.000Z"
    etag: str = '"d41d8cd98f00b204e9800998ecf8427e"'


@dataclass(frozen=True)
class FakeVersion:
    """One object version or delete marker as ListObjectVersions reports it."""

    key: str
    version_id: str
    is_latest: bool
    size: int = 0
    storage_class: str = "STANDARD"
    last_modified: str = "2026-01-01T00:00:00.000Z"
    is_delete_marker: bool = False
    etag: str = '"d41d8cd98f00b204e9800998ecf8427e"'


@dataclass(frozen=True)
class FakeUpload:
    """An incomplete multipart upload and the sizes of its uploaded parts."""

    key: str
    upload_id: str
    initiated: str
    part_sizes: tuple[int, ...]
    storage_class: str = "STANDARD"


@dataclass
class Fault:
    """Inject ``kind`` into matching requests: every Nth, and/or with a seeded probability."""

    op: str
    kind: str
    every: int = 0
    probability: float = 0.0
    bucket: str | None = None
    limit: int | None = None

    def validate(self) -> None:
        """Fail at construction rather than silently never firing."""
        if self.op != "*" and self.op not in OPERATIONS:
            raise ValueError(f"unknown fault op {self.op!r}; one of {OPERATIONS} or '*'")
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {FAULT_KINDS}")
        if self.every < 0 or not 0.0 <= self.probability <= 1.0:
            raise ValueError("every must be >= 0 and probability within [0, 1]")


@dataclass(frozen=True)
class RateLimit:
    """S3-like throttling: each connection may make ``rate`` requests a second, in bursts of up to ``burst``.

    S3 limits the request rate per partitioned prefix (3,500 LIST/PUT and 5,500 GET/HEAD a second) and
    answers SlowDown past it; one endpoint on one machine cannot reach those rates, so the fake caps each
    client connection instead, which makes a listing's speed a matter of how many connections it keeps busy,
    as it is against S3. ``mode`` "delay": a request past the budget waits its turn (the server seems
    slower); "slowdown": it is answered 503 SlowDown at once, without being served, and the client's
    retries (with their backoff) must pace it. Off unless given: FakeS3(rate_limit=...).
    """

    rate: float
    burst: int = 1
    mode: Literal["delay", "slowdown"] = "delay"

    def validate(self) -> None:
        """Fail at construction rather than throttle nothing, or everything."""
        if not self.rate > 0 or self.burst < 1:
            raise ValueError("a rate limit needs rate > 0 (requests a second) and burst >= 1")
        if self.mode not in ("delay", "slowdown"):
            raise ValueError(f"unknown rate-limit mode {self.mode!r}; 'delay' or 'slowdown'")


class TokenBucket:
    """One connection's budget: ``burst`` tokens, refilled at ``rate`` a second; a request takes one."""

    def __init__(self, limit: RateLimit, now: float) -> None:
        self.limit = limit
        self.tokens = float(limit.burst)
        self.stamp = now

    def take(self, now: float) -> float:
        """Seconds the request at ``now`` must wait for its token (0: served at once).

        In "delay" mode the token is taken anyway (the bucket goes below zero: later requests queue
        behind this one); in "slowdown" mode a request that would wait takes nothing.
        """
        limit = self.limit
        self.tokens = min(float(limit.burst), self.tokens + (now - self.stamp) * limit.rate)
        self.stamp = now
        wait = max(0.0, (1.0 - self.tokens) / limit.rate)
        if wait == 0.0 or limit.mode == "delay":
            self.tokens -= 1.0
        return wait


@dataclass(frozen=True)
class StatsSnapshot:
    """A picklable copy of the server's counters, so a subprocess can hand them back."""

    requests: dict[str, int]
    faults: dict[str, int]
    max_page_keys: int
    keys_listed: int
    throttled: int = 0  # requests a RateLimit delayed or answered SlowDown
    throttle_wait_seconds: float = 0.0  # the delays, summed ("delay" mode)
    connections: int = 0  # client connections accepted
    max_in_flight: int = 0


# --------------------------------------------------------------------------- text encoding

_XML_ESCAPES: dict[int, str] = {
    ord("&"): "&amp;",
    ord("<"): "&lt;",
    ord(">"): "&gt;",
    ord('"'): "&quot;",
    ord("'"): "&apos;",
    # S3 writes every C0 control as a character reference, including the ones XML 1.0
    # forbids (a strict parser then fails, which is why SDKs ask for encoding-type=url).
    **{c: f"&#x{c:x};" for c in range(32)},
}


def xml_text(value: str) -> str:
    """Escape element text the way S3 does."""
    return value.translate(_XML_ESCAPES)


def url_text(value: str) -> str:
    """encoding-type=url: percent-encode UTF-8 except unreserved characters and '/'.

    AWS returns ``quux ab/`` as ``quux%20ab/`` and ``foo+1/`` as ``foo%2B1/`` (ceph s3-tests);
    the result is plain ASCII, so it needs no XML escaping.
    """
    return urllib.parse.quote(value, safe="/~")


def _encoder(url: bool) -> Callable[[str], str]:
    return url_text if url else xml_text


def _hashed(h: int) -> tuple[str, int, str]:
    """(LastModified, Size, StorageClass) of a generated key; the fast renderers inline the same bits."""
    return _LAST_MODIFIED[h >> 52], ((h >> 32) & 0xFFFF) + 1, _CLASSES[(h >> 28) & 15]


# --------------------------------------------------------------------------- key sources


class KeySource(Protocol):
    """A bucket's current objects in ascending key order, possibly generated on demand."""

    def __len__(self) -> int: ...

    def key(self, i: int) -> str: ...

    def obj(self, i: int) -> FakeObject: ...

    def bisect_right(self, key: str) -> int: ...

    def bisect_left(self, key: str) -> int: ...


class SortedKeys(ABC):
    """Shared binary search and a generic <Contents> renderer; subclasses override for speed."""

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def key(self, i: int) -> str: ...

    @abstractmethod
    def obj(self, i: int) -> FakeObject: ...

    def bisect_left(self, key: str) -> int:
        lo, hi = 0, len(self)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.key(mid) < key:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def bisect_right(self, key: str) -> int:
        lo, hi = 0, len(self)
        while lo < hi:
            mid = (lo + hi) // 2
            if key < self.key(mid):
                hi = mid
            else:
                lo = mid + 1
        return lo

    def contents_xml(self, start: int, stop: int, url: bool) -> str:
        """<Contents> elements for indexes [start, stop)."""
        return "".join([contents_element(self.obj(i), _encoder(url)) for i in range(start, stop)])


def contents_element(obj: FakeObject, enc: Callable[[str], str]) -> str:
    """One <Contents>, children in AWS's order: Key, LastModified, ETag, Size, StorageClass."""
    return f"<Contents><Key>{enc(obj.key)}</Key>{_contents_tail(obj)}"


def _contents_tail(obj: FakeObject) -> str:
    return (
        f"<LastModified>{obj.last_modified}</LastModified><ETag>{xml_text(obj.etag)}</ETag>"
        f"<Size>{obj.size}</Size><StorageClass>{obj.storage_class}</StorageClass></Contents>"
    )


class ListKeys(SortedKeys):
    """Explicit objects (sorted here; a repeated key keeps its last object)."""

    def __init__(self, objects: Iterable[FakeObject]) -> None:
        by_key = {o.key: o for o in objects}
        self._objects = [by_key[k] for k in sorted(by_key)]
        self._keys = [o.key for o in self._objects]
        self._tails = [_contents_tail(o) for o in self._objects]

    @classmethod
    def from_keys(cls, keys: Iterable[str], size: int = 0) -> ListKeys:
        """Objects of one size, for tests that only care about names."""
        return cls(FakeObject(k, size) for k in keys)

    def __len__(self) -> int:
        return len(self._keys)

    def key(self, i: int) -> str:
        return self._keys[i]

    def obj(self, i: int) -> FakeObject:
        return self._objects[i]

    def bisect_left(self, key: str) -> int:
        return bisect.bisect_left(self._keys, key)

    def bisect_right(self, key: str) -> int:
        return bisect.bisect_right(self._keys, key)

    def contents_xml(self, start: int, stop: int, url: bool) -> str:
        enc = _encoder(url)
        keys, tails = self._keys, self._tails
        return "".join([f"<Contents><Key>{enc(keys[i])}</Key>{tails[i]}" for i in range(start, stop)])


class FlatHexKeys(SortedKeys):
    """``n`` unique, sorted, uniformly spread 16-hex-digit keys computed from their index.

    Key i lies in the i-th of n equal slices of the 64-bit space, at a hashed offset,
    so keys are sorted and unique by construction and every hex prefix is populated
    evenly (as with hashed key names); sizes, classes and dates come from the same hash.
    """

    def __init__(self, n: int, *, seed: int = 0, prefix: str = "") -> None:
        if not 0 <= n <= 1 << 48:
            raise ValueError("n must be within [0, 2**48]")
        self._n = n
        self._step = _TOP // max(n, 1)
        self._salt = (seed * 0x632BE59BD9B4E019 + 0x5851F42D4C957F2D) & _MASK
        self.prefix = prefix

    def __len__(self) -> int:
        return self._n

    def _hash(self, i: int) -> int:
        return (i * _MIX + self._salt) & _MASK

    def key(self, i: int) -> str:
        if not 0 <= i < self._n:
            raise IndexError(i)
        return self.prefix + hex(_TOP + i * self._step + self._hash(i) % self._step)[3:]

    def obj(self, i: int) -> FakeObject:
        key = self.key(i)
        hexpart = key[len(self.prefix) :]
        last_modified, size, storage_class = _hashed(self._hash(i))
        return FakeObject(key, size, storage_class, last_modified, f'"{hexpart}{hexpart}"')

    def contents_xml(self, start: int, stop: int, url: bool) -> str:
        p = _encoder(url)(self.prefix)  # the hex part never needs encoding
        step, salt, lm, sc, top, mix, mask = self._step, self._salt, _LAST_MODIFIED, _CLASSES, _TOP, _MIX, _MASK
        return "".join(
            [
                f"<Contents><Key>{p}{k}</Key><LastModified>{lm[h >> 52]}</LastModified>"
                f"<ETag>&quot;{k}{k}&quot;</ETag><Size>{((h >> 32) & 0xFFFF) + 1}</Size>"
                f"<StorageClass>{sc[(h >> 28) & 15]}</StorageClass></Contents>"
                for i in range(start, stop)
                for h in ((i * mix + salt) & mask,)
                for k in (hex(top + i * step + h % step)[3:],)
            ]
        )


class TreeKeys(SortedKeys):
    """Hierarchical keys ``dAA/sBBB/fCCCCC.ext``: ``dirs`` x ``subdirs`` x ``files``, computed on demand.

    ``limit`` truncates the tree to its first keys, for an exact total.
    """

    def __init__(
        self,
        dirs: int = 20,
        subdirs: int = 50,
        files: int = 100,
        *,
        limit: int | None = None,
        exts: Sequence[str] = ("bin", "csv", "json", "parquet", "txt"),
        seed: int = 0,
    ) -> None:
        if min(dirs, subdirs, files) < 1 or not exts:
            raise ValueError("dirs, subdirs and files must be >= 1 and exts non-empty")
        self._dirs = [f"d{a:0{max(2, len(str(dirs - 1)))}d}/" for a in range(dirs)]
        self._subs = [f"s{b:0{max(3, len(str(subdirs - 1)))}d}/" for b in range(subdirs)]
        width = max(5, len(str(files - 1)))
        self._files = [f"f{c:0{width}d}.{exts[c % len(exts)]}" for c in range(files)]
        self._per_dir = subdirs * files
        total = dirs * subdirs * files
        self._n = total if limit is None else max(0, min(limit, total))
        self._salt = (seed * 0x632BE59BD9B4E019 + 0x14057B7EF767814F) & _MASK
        self._plain = all(url_text(e) == e == xml_text(e) for e in exts)

    def __len__(self) -> int:
        return self._n

    def key(self, i: int) -> str:
        if not 0 <= i < self._n:
            raise IndexError(i)
        a, rest = divmod(i, self._per_dir)
        b, c = divmod(rest, len(self._files))
        return self._dirs[a] + self._subs[b] + self._files[c]

    def obj(self, i: int) -> FakeObject:
        h = (i * _MIX + self._salt) & _MASK
        e = hex(_TOP + h)[3:]
        last_modified, size, storage_class = _hashed(h)
        return FakeObject(self.key(i), size, storage_class, last_modified, f'"{e}{e}"')

    def contents_xml(self, start: int, stop: int, url: bool) -> str:
        if not self._plain:
            return super().contents_xml(start, stop, url)
        # Otherwise names hold only [a-z0-9./] and what exts hold, which neither encoding changes.
        dirs, subs, files, per_dir, nfiles = self._dirs, self._subs, self._files, self._per_dir, len(self._files)
        salt, lm, sc, top, mix, mask = self._salt, _LAST_MODIFIED, _CLASSES, _TOP, _MIX, _MASK
        return "".join(
            [
                f"<Contents><Key>{dirs[i // per_dir]}{subs[(i % per_dir) // nfiles]}{files[i % nfiles]}</Key>"
                f"<LastModified>{lm[h >> 52]}</LastModified><ETag>&quot;{e}{e}&quot;</ETag>"
                f"<Size>{((h >> 32) & 0xFFFF) + 1}</Size><StorageClass>{sc[(h >> 28) & 15]}</StorageClass></Contents>"
                for i in range(start, stop)
                for h in ((i * mix + salt) & mask,)
                for e in (hex(top + h)[3:],)
            ]
        )


def _contents_xml(source: KeySource, start: int, stop: int, url: bool) -> str:
    if isinstance(source, SortedKeys):
        return source.contents_xml(start, stop, url)
    enc = _encoder(url)
    return "".join([contents_element(source.obj(i), enc) for i in range(start, stop)])


# --------------------------------------------------------------------------- listing walk


def prefix_end(prefix: str) -> str | None:
    """The least string above every string starting with ``prefix`` (None: no bound)."""
    while prefix:
        last = ord(prefix[-1])
        if last < sys.maxunicode:
            return prefix[:-1] + chr(last + 1)
        prefix = prefix[:-1]
    return None


@dataclass
class _Page:
    runs: list[tuple[int, int]]  # contiguous index ranges of listed entries
    prefixes: list[str]  # CommonPrefixes, in order
    next_pos: int  # first index not consumed
    last: str  # key of the last entry, or the last common prefix
    last_is_prefix: bool
    count: int


def _walk(
    key_at: Callable[[int], str],
    lower: Callable[[str], int],
    span: tuple[int, int],
    *,
    prefix: str,
    delimiter: str,
    limit: int,
    marker: str = "",
) -> _Page:
    """Up to ``limit`` entries and common prefixes from index span [lo, hi), S3's way.

    Keys sharing ``prefix`` + text + ``delimiter`` roll up into one CommonPrefix that
    counts once toward ``limit``; the walk then jumps past them by binary search. A
    common prefix that the ``marker`` lies within was listed on an earlier page.
    """
    lo, hi = span
    if not delimiter:
        stop = min(hi, lo + limit)
        last = key_at(stop - 1) if stop > lo else ""
        return _Page([(lo, stop)] if stop > lo else [], [], stop, last, False, stop - lo)
    runs: list[tuple[int, int]] = []
    prefixes: list[str] = []
    i = run_start = lo
    count, last, last_is_prefix, skip = 0, "", False, len(prefix)
    while i < hi and count < limit:
        key = key_at(i)
        cut = key.find(delimiter, skip)
        if cut < 0:
            count, last, last_is_prefix, i = count + 1, key, False, i + 1
            continue
        if run_start < i:
            runs.append((run_start, i))
        common = key[: cut + len(delimiter)]
        end = prefix_end(common)
        i = run_start = hi if end is None else min(hi, max(i + 1, lower(end)))
        if not marker.startswith(common):
            prefixes.append(common)
            count, last, last_is_prefix = count + 1, common, True
    if run_start < i:
        runs.append((run_start, i))
    return _Page(runs, prefixes, i, last, last_is_prefix, count)


def _span(lower: Callable[[str], int], n: int, prefix: str) -> tuple[int, int]:
    end = prefix_end(prefix)
    return (lower(prefix) if prefix else 0), (n if end is None else lower(end))


# --------------------------------------------------------------------------- versions and uploads


class _Entries(ABC):
    """An ordered, key-sorted list that ListObjectVersions / ListMultipartUploads walk."""

    _keys: list[str]  # each entry's key, sorted: set by subclasses

    def __len__(self) -> int:
        return len(self._keys)

    def key(self, i: int) -> str:
        return self._keys[i]

    def lower(self, key: str) -> int:
        return bisect.bisect_left(self._keys, key)

    def upper(self, key: str) -> int:
        return bisect.bisect_right(self._keys, key)

    @abstractmethod
    def entry_id(self, i: int) -> str: ...

    @abstractmethod
    def xml(self, i: int, enc: Callable[[str], str]) -> str: ...

    def after(self, key_marker: str, id_marker: str) -> int:
        """First index past (key_marker, id_marker); past every entry of key_marker without an id."""
        start, end = self.lower(key_marker), self.upper(key_marker)
        if id_marker:
            for i in range(start, end):
                if self.entry_id(i) == id_marker:
                    return i + 1
        return end


class _ExplicitVersions(_Entries):
    """Versions in key order, each key's newest first (the latest one before the rest)."""

    def __init__(self, versions: Sequence[FakeVersion]) -> None:
        ordered = sorted(versions, key=lambda v: v.last_modified, reverse=True)
        ordered.sort(key=lambda v: not v.is_latest)
        ordered.sort(key=lambda v: v.key)
        self._items = ordered
        self._keys = [v.key for v in ordered]

    def entry_id(self, i: int) -> str:
        return self._items[i].version_id

    def xml(self, i: int, enc: Callable[[str], str]) -> str:
        v = self._items[i]
        if v.is_delete_marker:
            return delete_marker_element(enc(v.key), v.version_id, v.is_latest, v.last_modified)
        obj = FakeObject(v.key, v.size, v.storage_class, v.last_modified, v.etag)
        return version_element(obj, enc, v.version_id, v.is_latest)


class _ImplicitVersions(_Entries):
    """An unversioned bucket: each object is its own latest version, VersionId "null"."""

    def __init__(self, source: KeySource) -> None:
        self._source = source

    def __len__(self) -> int:
        return len(self._source)

    def key(self, i: int) -> str:
        return self._source.key(i)

    def lower(self, key: str) -> int:
        return self._source.bisect_left(key)

    def upper(self, key: str) -> int:
        return self._source.bisect_right(key)

    def entry_id(self, i: int) -> str:
        return "null"

    def xml(self, i: int, enc: Callable[[str], str]) -> str:
        return version_element(self._source.obj(i), enc, "null", True)


def version_element(obj: FakeObject, enc: Callable[[str], str], version_id: str, latest: bool) -> str:
    """One <Version>, children in AWS's order."""
    return (
        f"<Version><Key>{enc(obj.key)}</Key><VersionId>{xml_text(version_id)}</VersionId>"
        f"<IsLatest>{_bool(latest)}</IsLatest><LastModified>{obj.last_modified}</LastModified>"
        f"<ETag>{xml_text(obj.etag)}</ETag><Size>{obj.size}</Size>{OWNER_XML}"
        f"<StorageClass>{obj.storage_class}</StorageClass></Version>"
    )


def delete_marker_element(key: str, version_id: str, latest: bool, last_modified: str) -> str:
    """One <DeleteMarker>; ``key`` is already encoded."""
    return (
        f"<DeleteMarker><Key>{key}</Key><VersionId>{xml_text(version_id)}</VersionId>"
        f"<IsLatest>{_bool(latest)}</IsLatest><LastModified>{last_modified}</LastModified>"
        f"{OWNER_XML}</DeleteMarker>"
    )


class _Uploads(_Entries):
    """Incomplete multipart uploads in key order, then by initiation time."""

    def __init__(self, uploads: Sequence[FakeUpload]) -> None:
        self._items = sorted(uploads, key=lambda u: (u.key, u.initiated))
        self._keys = [u.key for u in self._items]
        self.by_id = {u.upload_id: u for u in self._items}

    def entry_id(self, i: int) -> str:
        return self._items[i].upload_id

    def xml(self, i: int, enc: Callable[[str], str]) -> str:
        u = self._items[i]
        return (
            f"<Upload><Key>{enc(u.key)}</Key><UploadId>{xml_text(u.upload_id)}</UploadId>"
            f"{INITIATOR_XML}{OWNER_XML}<StorageClass>{u.storage_class}</StorageClass>"
            f"<Initiated>{u.initiated}</Initiated></Upload>"
        )


def _bool(value: bool) -> str:
    return "true" if value else "false"


# --------------------------------------------------------------------------- stats and faults


class FakeS3Stats:
    """Thread-safe counters: requests per operation, faults per kind, the largest page."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[str, int] = {}
        self._faults: dict[str, int] = {}
        self._max_page_keys = 0
        self._keys_listed = 0
        self._in_flight = 0
        self._max_in_flight = 0
        self._throttled = 0
        self._throttle_wait = 0.0
        self._connections = 0

    def request(self, op: str) -> None:
        with self._lock:
            self._requests[op] = self._requests.get(op, 0) + 1

    def begin(self) -> None:
        """A request is being served: counts towards the most ever served at once."""
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)

    def end(self) -> None:
        with self._lock:
            self._in_flight -= 1

    @property
    def max_in_flight(self) -> int:
        """The most requests served at the same time: what a client's concurrency limit allows."""
        with self._lock:
            return self._max_in_flight

    def fault(self, kind: str) -> None:
        with self._lock:
            self._faults[kind] = self._faults.get(kind, 0) + 1

    def connection(self) -> None:
        with self._lock:
            self._connections += 1

    def throttle(self, wait: float) -> None:
        """A request was over its connection's rate: delayed by ``wait`` seconds, or refused (wait 0)."""
        with self._lock:
            self._throttled += 1
            self._throttle_wait += wait

    def page(self, keys: int) -> None:
        with self._lock:
            self._keys_listed += keys
            self._max_page_keys = max(self._max_page_keys, keys)

    @property
    def requests(self) -> dict[str, int]:
        with self._lock:
            return dict(self._requests)

    @property
    def faults(self) -> dict[str, int]:
        with self._lock:
            return dict(self._faults)

    @property
    def max_page_keys(self) -> int:
        with self._lock:
            return self._max_page_keys

    def snapshot(self) -> StatsSnapshot:
        with self._lock:
            return StatsSnapshot(
                dict(self._requests),
                dict(self._faults),
                self._max_page_keys,
                self._keys_listed,
                self._throttled,
                self._throttle_wait,
                self._connections,
                self._max_in_flight,
            )


class _FaultPlan:
    """Decides, per request, which fault (if any) fires; the first matching fault wins."""

    def __init__(self, faults: Sequence[Fault], seed: int) -> None:
        for fault in faults:
            fault.validate()
        self._faults = list(faults)
        self._matched = [0] * len(self._faults)
        self._injected = [0] * len(self._faults)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def pick(self, op: str, bucket: str) -> str | None:
        if not self._faults:
            return None
        with self._lock:
            for n, fault in enumerate(self._faults):
                if fault.op not in ("*", op) or fault.bucket not in (None, bucket):
                    continue
                if fault.limit is not None and self._injected[n] >= fault.limit:
                    continue
                self._matched[n] += 1
                every = fault.every > 0 and self._matched[n] % fault.every == 0
                if every or (fault.probability > 0 and self._rng.random() < fault.probability):
                    self._injected[n] += 1
                    return fault.kind
        return None


# --------------------------------------------------------------------------- requests and responses


@dataclass
class _Bucket:
    name: str
    keys: KeySource
    versions: _Entries
    uploads: _Uploads
    region: str
    created: str
    hostile: str | None = None


@dataclass
class _Response:
    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


class S3Error(Exception):
    """An S3 error response: status, Code, Message and extra elements."""

    def __init__(self, status: int, code: str, message: str, **extra: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.extra = status, code, message, extra

    def response(self, request_id: str) -> _Response:
        extra = "".join(f"<{k}>{xml_text(v)}</{k}>" for k, v in self.extra.items())
        body = (
            f"{XML_DECL}<Error><Code>{self.code}</Code><Message>{xml_text(self.message)}</Message>"
            f"{extra}<RequestId>{request_id}</RequestId><HostId>{_host_id(request_id)}</HostId></Error>"
        )
        return _Response(self.status, body.encode())


_FAULT_ERRORS: dict[str, S3Error] = {
    "500": S3Error(500, "InternalError", "We encountered an internal error. Please try again."),
    "503-slowdown": S3Error(503, "SlowDown", "Please reduce your request rate."),
    # S3 itself throttles with 503 SlowDown; this is the generic AWS throttle, which
    # botocore's standard mode retries by its code (not its status) at the cheaper quota cost.
    "throttle": S3Error(400, "ThrottlingException", "Rate exceeded"),
    "403": S3Error(403, "AccessDenied", "Access Denied"),
}


def _host_id(request_id: str) -> str:
    return base64.b64encode(hashlib.sha256(request_id.encode()).digest()).decode()


@dataclass(frozen=True)
class _Request:
    method: str
    op: str
    bucket: str
    key: str
    query: Mapping[str, str]


_V1_PARAMS = frozenset({"prefix", "delimiter", "marker", "max-keys", "encoding-type"})


def parse_request(method: str, target: str) -> _Request:
    """Split a path-style request target into operation, bucket, key and query."""
    path, _, raw_query = target.partition("?")
    if path.startswith(("http://", "https://")):
        path = "/" + path.split("/", 3)[-1]
    query = {k: v[0] for k, v in urllib.parse.parse_qs(raw_query, keep_blank_values=True).items()}
    bucket, _, key = path.lstrip("/").partition("/")
    bucket, key = urllib.parse.unquote(bucket), urllib.parse.unquote(key)
    return _Request(method, _operation(method, bucket, key, query), bucket, key, query)


def _operation(method: str, bucket: str, key: str, query: Mapping[str, str]) -> str:
    if method == "HEAD":
        return "HeadBucket" if bucket and not key else "Unsupported"
    if method != "GET":
        return "Unsupported"
    if not bucket:
        return "ListBuckets"
    if key:
        return "ListParts" if "uploadId" in query else "Unsupported"
    for flag, op in (("location", "GetBucketLocation"), ("versions", "ListObjectVersions")):
        if flag in query:
            return op
    if "uploads" in query:
        return "ListMultipartUploads"
    if query.get("list-type") == "2":
        return "ListObjectsV2"
    return "ListObjects" if query.keys() <= _V1_PARAMS else "Unsupported"


def _int_param(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise S3Error(
            400, "InvalidArgument", f"Provided {name} not an integer or within integer range", ArgumentName=name
        )
    return value


def _wants_url(query: Mapping[str, str]) -> bool:
    encoding = query.get("encoding-type")
    if encoding is None:
        return False
    if encoding.lower() != "url":
        raise S3Error(
            400, "InvalidArgument", "Invalid Encoding Method specified in Request", ArgumentName="encoding-type"
        )
    return True


def _el(name: str, value: str) -> str:
    return f"<{name}>{value}</{name}>"


def _opt(name: str, value: str | None) -> str:
    return "" if value is None else f"<{name}>{value}</{name}>"


def _xml_doc(root: str, *parts: str) -> bytes:
    return "".join((XML_DECL, f'<{root} xmlns="{NAMESPACE}">', *parts, f"</{root}>")).encode()


def encode_token(resume_key: str) -> str:
    """Opaque NextContinuationToken: the first key of the next page."""
    return base64.b64encode(resume_key.encode()).decode()


def decode_token(token: str) -> str:
    try:
        return base64.b64decode(token, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise S3Error(
            400, "InvalidArgument", "The continuation token provided is incorrect", ArgumentName="continuation-token"
        ) from None


# --------------------------------------------------------------------------- operations


def list_buckets(buckets: Mapping[str, _Bucket], query: Mapping[str, str]) -> _Response:
    """ListBuckets; the paginated form (any parameter) adds BucketRegion, as AWS does."""
    paged = bool(query.keys() & {"max-buckets", "continuation-token", "prefix", "bucket-region"})
    prefix, region = query.get("prefix", ""), query.get("bucket-region")
    start = decode_token(query["continuation-token"]) if query.get("continuation-token") else ""
    chosen = [
        b
        for name, b in sorted(buckets.items())
        if name.startswith(prefix) and name >= start and region in (None, b.region)
    ]
    limit = _int_param(query, "max-buckets", 10000) or 10000
    page, rest = chosen[:limit], chosen[limit:]
    items = "".join(
        f"<Bucket><Name>{xml_text(b.name)}</Name><CreationDate>{b.created}</CreationDate>"
        f"{_el('BucketRegion', b.region) if paged else ''}</Bucket>"
        for b in page
    )
    token = _opt("ContinuationToken", encode_token(rest[0].name) if rest else None)
    prefix_xml = _opt("Prefix", xml_text(prefix) if "prefix" in query else None)
    return _Response(
        200, _xml_doc("ListAllMyBucketsResult", OWNER_XML, f"<Buckets>{items}</Buckets>", token, prefix_xml)
    )


def get_bucket_location(bucket: _Bucket) -> _Response:
    """GetBucketLocation: an empty LocationConstraint means us-east-1."""
    if bucket.region == "us-east-1":
        return _Response(200, f'{XML_DECL}<LocationConstraint xmlns="{NAMESPACE}"/>'.encode())
    return _Response(200, _xml_doc("LocationConstraint", bucket.region))


def list_objects_v2(bucket: _Bucket, query: Mapping[str, str]) -> tuple[_Response, int]:
    """ListObjectsV2, and how many entries the page holds."""
    url = _wants_url(query)
    enc = _encoder(url)
    max_keys = _int_param(query, "max-keys", MAX_KEYS)
    prefix, delimiter = query.get("prefix", ""), query.get("delimiter", "")
    start_after, token = query.get("start-after", ""), query.get("continuation-token") or None
    src = bucket.keys
    lo, hi = _span(src.bisect_left, len(src), prefix)
    marker = ""
    if token is not None:
        lo = max(lo, src.bisect_left(decode_token(token)))
    elif start_after:
        lo, marker = max(lo, src.bisect_right(start_after)), start_after
    page = _walk(
        src.key,
        src.bisect_left,
        (lo, hi),
        prefix=prefix,
        delimiter=delimiter,
        limit=min(max_keys, MAX_KEYS),
        marker=marker,
    )
    truncated = max_keys > 0 and page.next_pos < hi
    body = _xml_doc(
        "ListBucketResult",
        _el("Name", xml_text(bucket.name)),
        _el("Prefix", enc(prefix)),
        _opt("ContinuationToken", None if token is None else xml_text(token)),
        _opt("NextContinuationToken", encode_token(src.key(page.next_pos)) if truncated else None),
        _el("KeyCount", str(page.count)),
        _el("MaxKeys", str(max_keys)),
        _opt("Delimiter", enc(delimiter) if delimiter else None),
        _opt("EncodingType", "url" if url else None),
        _el("IsTruncated", _bool(truncated)),
        _opt("StartAfter", enc(start_after) if "start-after" in query else None),
        *[_contents_xml(src, a, z, url) for a, z in page.runs],
        _prefixes_xml(page.prefixes, enc),
    )
    return _Response(200, body), page.count


def list_objects_v1(bucket: _Bucket, query: Mapping[str, str]) -> tuple[_Response, int]:
    """ListObjects (v1): Marker, and NextMarker only with a delimiter, as AWS does."""
    url = _wants_url(query)
    enc = _encoder(url)
    max_keys = _int_param(query, "max-keys", MAX_KEYS)
    prefix, delimiter, marker = query.get("prefix", ""), query.get("delimiter", ""), query.get("marker", "")
    src = bucket.keys
    lo, hi = _span(src.bisect_left, len(src), prefix)
    if marker:
        lo = max(lo, src.bisect_right(marker))
    page = _walk(
        src.key,
        src.bisect_left,
        (lo, hi),
        prefix=prefix,
        delimiter=delimiter,
        limit=min(max_keys, MAX_KEYS),
        marker=marker,
    )
    truncated = max_keys > 0 and page.next_pos < hi
    body = _xml_doc(
        "ListBucketResult",
        _el("Name", xml_text(bucket.name)),
        _el("Prefix", enc(prefix)),
        _el("Marker", enc(marker)),
        _opt("NextMarker", enc(page.last) if truncated and delimiter else None),
        _el("MaxKeys", str(max_keys)),
        _opt("Delimiter", enc(delimiter) if delimiter else None),
        _opt("EncodingType", "url" if url else None),
        _el("IsTruncated", _bool(truncated)),
        *[_contents_xml(src, a, z, url) for a, z in page.runs],
        _prefixes_xml(page.prefixes, enc),
    )
    return _Response(200, body), page.count


def _prefixes_xml(prefixes: Sequence[str], enc: Callable[[str], str]) -> str:
    return "".join([f"<CommonPrefixes><Prefix>{enc(p)}</Prefix></CommonPrefixes>" for p in prefixes])


def _walk_entries(
    entries: _Entries, query: Mapping[str, str], markers: tuple[str, str], limit_param: str
) -> tuple[_Page, int, int]:
    """Walk versions or uploads from (key-marker, id-marker); also return the listing's span."""
    prefix, delimiter = query.get("prefix", ""), query.get("delimiter", "")
    key_marker, id_marker = markers
    lo, hi = _span(entries.lower, len(entries), prefix)
    if key_marker:
        lo = max(lo, entries.after(key_marker, id_marker))
    limit = min(_int_param(query, limit_param, MAX_KEYS), MAX_KEYS)
    return (
        _walk(entries.key, entries.lower, (lo, hi), prefix=prefix, delimiter=delimiter, limit=limit, marker=key_marker),
        lo,
        hi,
    )


def list_object_versions(bucket: _Bucket, query: Mapping[str, str]) -> tuple[_Response, int]:
    """ListObjectVersions: Version and DeleteMarker interleaved in key order, newest first per key."""
    url = _wants_url(query)
    enc = _encoder(url)
    key_marker, vid_marker = query.get("key-marker", ""), query.get("version-id-marker", "")
    if vid_marker and not key_marker:
        raise S3Error(
            400, "InvalidArgument", "A version-id marker cannot be specified without a key marker.",
            ArgumentName="version-id-marker",
        )  # fmt: skip
    entries = bucket.versions
    page, _, hi = _walk_entries(entries, query, (key_marker, vid_marker), "max-keys")
    truncated = _int_param(query, "max-keys", MAX_KEYS) > 0 and page.next_pos < hi
    last_id = None
    if truncated and not page.last_is_prefix:
        last_id = xml_text(entries.entry_id(page.runs[-1][1] - 1))
    delimiter = query.get("delimiter", "")
    body = _xml_doc(
        "ListVersionsResult",
        _el("Name", xml_text(bucket.name)),
        _el("Prefix", enc(query.get("prefix", ""))),
        _el("KeyMarker", enc(key_marker)),
        _el("VersionIdMarker", xml_text(vid_marker)),
        _opt("NextKeyMarker", enc(page.last) if truncated else None),
        _opt("NextVersionIdMarker", last_id),
        _el("MaxKeys", str(_int_param(query, "max-keys", MAX_KEYS))),
        _opt("Delimiter", enc(delimiter) if delimiter else None),
        _opt("EncodingType", "url" if url else None),
        _el("IsTruncated", _bool(truncated)),
        *[entries.xml(i, enc) for a, z in page.runs for i in range(a, z)],
        _prefixes_xml(page.prefixes, enc),
    )
    return _Response(200, body), page.count


def list_multipart_uploads(bucket: _Bucket, query: Mapping[str, str]) -> tuple[_Response, int]:
    """ListMultipartUploads; upload-id-marker counts only with a key-marker, as AWS documents."""
    url = _wants_url(query)
    enc = _encoder(url)
    key_marker, id_marker = query.get("key-marker", ""), query.get("upload-id-marker", "")
    uploads = bucket.uploads
    page, _, hi = _walk_entries(uploads, query, (key_marker, id_marker if key_marker else ""), "max-uploads")
    max_uploads = _int_param(query, "max-uploads", MAX_KEYS)
    truncated = max_uploads > 0 and page.next_pos < hi
    last_id = ""
    if page.runs and not page.last_is_prefix:
        last_id = uploads.entry_id(page.runs[-1][1] - 1)
    prefix, delimiter = query.get("prefix"), query.get("delimiter")
    body = _xml_doc(
        "ListMultipartUploadsResult",
        _el("Bucket", xml_text(bucket.name)),
        _el("KeyMarker", enc(key_marker)),
        _el("UploadIdMarker", xml_text(id_marker)),
        _el("NextKeyMarker", enc(page.last)),
        _opt("Prefix", None if prefix is None else enc(prefix)),
        _opt("Delimiter", enc(delimiter) if delimiter else None),
        _el("NextUploadIdMarker", xml_text(last_id)),
        _el("MaxUploads", str(max_uploads)),
        _opt("EncodingType", "url" if url else None),
        _el("IsTruncated", _bool(truncated)),
        *[uploads.xml(i, enc) for a, z in page.runs for i in range(a, z)],
        _prefixes_xml(page.prefixes, enc),
    )
    return _Response(200, body), page.count


def list_parts(bucket: _Bucket, key: str, query: Mapping[str, str]) -> tuple[_Response, int]:
    """ListParts of one incomplete upload; part ETags are stable hashes of (upload, part)."""
    upload = bucket.uploads.by_id.get(query["uploadId"])
    if upload is None or upload.key != key:
        raise S3Error(
            404, "NoSuchUpload",
            "The specified upload does not exist. The upload ID may be invalid, or the upload may have been "
            "aborted or completed.",
            UploadId=query["uploadId"],
        )  # fmt: skip
    marker = _int_param(query, "part-number-marker", 0)
    max_parts = _int_param(query, "max-parts", MAX_KEYS)
    numbers = range(marker + 1, min(len(upload.part_sizes), marker + min(max_parts, MAX_KEYS)) + 1)
    parts = "".join(
        f"<Part><PartNumber>{n}</PartNumber><LastModified>{upload.initiated}</LastModified>"
        f"<ETag>&quot;{hashlib.md5(f'{upload.upload_id}:{n}'.encode()).hexdigest()}&quot;</ETag>"
        f"<Size>{upload.part_sizes[n - 1]}</Size></Part>"
        for n in numbers
    )
    last = numbers[-1] if numbers else marker
    body = _xml_doc(
        "ListPartsResult",
        _el("Bucket", xml_text(bucket.name)),
        _el("Key", xml_text(key)),
        _el("UploadId", xml_text(upload.upload_id)),
        _el("PartNumberMarker", str(marker)),
        _el("NextPartNumberMarker", str(last)),
        _el("MaxParts", str(max_parts)),
        _el("IsTruncated", _bool(last < len(upload.part_sizes) and max_parts > 0)),
        parts,
        INITIATOR_XML,
        OWNER_XML,
        _el("StorageClass", upload.storage_class),
    )
    return _Response(200, body), len(numbers)


# --------------------------------------------------------------------------- hostile mode

_LISTINGS = frozenset({"ListObjectsV2", "ListObjectVersions", "ListMultipartUploads", "ListParts"})
_STUCK_TOKEN = encode_token("stuck")


def _hostile_query(bucket: _Bucket, op: str, query: dict[str, str]) -> dict[str, str]:
    """The request as a misbehaving server (mis)reads it."""
    kind = bucket.hostile
    if op == "ListObjectsV2":
        if kind == "ignores-start":
            query.pop("start-after", None)
            query.pop("continuation-token", None)
        elif kind == "overlap" and query.get("start-after"):
            # a token at the start key itself: the page begins with the key the client asked to skip
            query["continuation-token"] = encode_token(query.pop("start-after"))
    elif op == "ListObjectVersions" and kind == "versions-stuck":
        query.pop("key-marker", None)
        query.pop("version-id-marker", None)
    elif op == "ListObjectVersions" and kind == "versions-overlap" and query.get("version-id-marker"):
        key, vid = query["key-marker"], query["version-id-marker"]
        entries = bucket.versions
        index = entries.after(key, vid) - 1  # the entry the markers name: served again
        if index > entries.lower(key):
            query["version-id-marker"] = entries.entry_id(index - 1)
        else:
            query.pop("version-id-marker")
            query["key-marker"] = entries.key(index - 1) if index > 0 else ""
    elif op == "ListMultipartUploads" and kind == "uploads-stuck":
        query.pop("key-marker", None)
        query.pop("upload-id-marker", None)
    elif op == "ListParts" and kind == "parts-stuck":
        query.pop("part-number-marker", None)
    elif op == "ListParts" and kind == "parts-overlap" and query.get("part-number-marker"):
        query["part-number-marker"] = str(max(0, int(query["part-number-marker"]) - 1))
    return query


def _hostile_body(kind: str | None, op: str, query: Mapping[str, str], body: str) -> str:
    """The answer as a misbehaving server writes it."""
    first_page = not any(query.get(name) for name in ("start-after", "continuation-token"))
    if op == "ListObjectsV2":
        if kind == "unordered":
            head, *entries = body.split("<Contents>")
            if entries:
                last, tail = entries[-1].split("</Contents>", 1)
                entries[-1] = last + "</Contents>"
                return head + "".join("<Contents>" + e for e in reversed(entries)) + tail
        if kind == "stuck-token":
            return re.sub(r"<NextContinuationToken>[^<]*<", f"<NextContinuationToken>{_STUCK_TOKEN}<", body)
        if kind == "no-token":
            return re.sub(r"<NextContinuationToken>[^<]*</NextContinuationToken>", "", body)
        if kind == "empty-truncated" and not first_page:
            body = re.sub(r"<Contents>.*?</Contents>", "", body, flags=re.S)
            body = body.replace("<IsTruncated>false</IsTruncated>", "<IsTruncated>true</IsTruncated>")
            if "<NextContinuationToken>" not in body:
                body = body.replace(
                    "<IsTruncated>", f"<NextContinuationToken>{_STUCK_TOKEN}</NextContinuationToken><IsTruncated>"
                )
            return body
        if kind == "outside-prefix" and query.get("prefix"):
            outside = "<Contents><Key>~outside</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>"
            return body.replace("<Contents>", outside + "<Size>1</Size></Contents><Contents>", 1)
    if (op, kind) in (("ListMultipartUploads", "uploads-stuck"), ("ListParts", "parts-stuck")):
        return body.replace("<IsTruncated>false</IsTruncated>", "<IsTruncated>true</IsTruncated>")
    if op == "ListObjectVersions" and kind == "versions-no-marker":
        return re.sub(r"<NextKeyMarker>[^<]*</NextKeyMarker>", "", body)
    if op == "ListMultipartUploads" and kind == "bad-initiated":
        return re.sub(r"<Initiated>[^<]*<", "<Initiated>soon<", body, count=1)
    injected = {
        "bad-entity": "&#1114112;",
        "surrogate": "&#xD800;",
        "bare-ampersand": "&",
        "bad-url": "%ED%A0%80",
    }.get(kind or "")
    if injected is not None and op != "ListParts":
        # at the end of the first entry's key, so the page stays in order
        return body.replace("</Key>", injected + "</Key>", 1)
    size = {"negative-size": "-5", "huge-size": str(1 << 64)}.get(kind or "")
    if size is not None:
        return re.sub(r"<Size>\d+</Size>", f"<Size>{size}</Size>", body, count=1)
    if kind == "bad-date":
        return re.sub(r"<LastModified>[^<]*<", "<LastModified>yesterday<", body, count=1)
    return body


# --------------------------------------------------------------------------- HTTP


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, fake: FakeS3) -> None:
        self.fake = fake
        self.live: set[socket.socket] = set()
        self.live_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """Dropped and reset connections are expected here; print nothing."""


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "AmazonS3"
    disable_nagle_algorithm = True
    budget: TokenBucket | None = None  # this connection's, when the server has a RateLimit

    def setup(self) -> None:
        super().setup()
        server = self._server()
        with server.live_lock:
            server.live.add(self.connection)
        fake = server.fake
        fake.stats.connection()
        # One handler serves one connection (kept alive across requests): its own budget.
        self.budget = TokenBucket(fake.rate_limit, time.monotonic()) if fake.rate_limit else None

    def finish(self) -> None:
        server = self._server()
        with server.live_lock:
            server.live.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def _server(self) -> _Server:
        server = self.server
        assert isinstance(server, _Server)
        return server

    def log_message(self, format: str, *args: object) -> None:
        """Silent: benchmarks and subprocess servers must print nothing."""

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def _drain_and_serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._serve()

    do_PUT = do_POST = do_DELETE = _drain_and_serve

    def _serve(self) -> None:
        fake = self._server().fake
        fake.stats.begin()
        try:
            self._serve_counted(fake)
        finally:
            fake.stats.end()

    def _serve_counted(self, fake: FakeS3) -> None:
        request = parse_request(self.command, self.path)
        fake.stats.request(request.op)
        if fake.latency:
            time.sleep(fake.latency)
        if self.budget is not None and self._throttled(fake):
            return
        kind = fake.faults.pick(request.op, request.bucket)
        if kind is not None:
            fake.stats.fault(kind)
        if kind == "reset":
            self._reset()
            return
        if kind == "timeout":
            time.sleep(fake.timeout_sleep)
        request_id = fake.next_request_id()
        error = _FAULT_ERRORS.get(kind or "")
        response = error.response(request_id) if error else fake.respond(request, request_id)
        drip = fake.drip_interval if fake.hostility(request.bucket) == "drip" and request.op in _LISTINGS else None
        self._send(response, request_id, truncate=kind == "truncate", drip=drip)

    def _throttled(self, fake: FakeS3) -> bool:
        """Hold a request past its connection's rate ("delay"), or answer it SlowDown ("slowdown": True)."""
        assert self.budget is not None
        wait = self.budget.take(time.monotonic())
        if not wait:
            return False
        if self.budget.limit.mode == "delay":
            fake.stats.throttle(wait)
            time.sleep(wait)
            return False
        fake.stats.throttle(0.0)
        request_id = fake.next_request_id()
        self._send(_FAULT_ERRORS["503-slowdown"].response(request_id), request_id, truncate=False)
        return True

    def _send(self, response: _Response, request_id: str, *, truncate: bool, drip: float | None = None) -> None:
        body = b"" if self.command == "HEAD" else response.body
        lines = [
            f"HTTP/1.1 {response.status} {HTTPStatus(response.status).phrase}",
            f"x-amz-id-2: {_host_id(request_id)}",
            f"x-amz-request-id: {request_id}",
            f"Date: {email.utils.formatdate(usegmt=True)}",
            *(f"{name}: {value}" for name, value in response.headers),
            *(("Content-Type: application/xml",) if response.body else ()),
            f"Content-Length: {len(response.body)}",
            "Server: AmazonS3",
            *(("Connection: close",) if self.close_connection else ()),
            "\r\n",
        ]
        head = "\r\n".join(lines).encode("latin-1")
        try:
            if truncate:
                self.wfile.write(head + body[: len(body) // 2])
                self._reset()
            elif drip is not None:
                self.wfile.write(head)
                for i in range(len(body)):  # until the client gives up (a write then fails)
                    self.wfile.write(body[i : i + 1])
                    self.wfile.flush()
                    time.sleep(drip)
            else:
                self.wfile.write(head + body)
        except OSError:
            self.close_connection = True

    def _reset(self) -> None:
        """Abort the connection with a TCP RST and no (or no more) response bytes."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass


# --------------------------------------------------------------------------- the server


class FakeS3:
    """An in-process fake S3 listing endpoint on 127.0.0.1, served from a daemon thread."""

    def __init__(
        self,
        *,
        latency: float = 0.0,
        faults: Sequence[Fault] = (),
        seed: int = 0,
        region: str = "us-east-1",
        timeout_sleep: float = 2.0,
        drip_interval: float = 1.0,
        rate_limit: RateLimit | None = None,
    ) -> None:
        """``latency``: seconds added to every request; ``rate_limit``: S3-like throttling per connection."""
        if rate_limit is not None:
            rate_limit.validate()
        self.rate_limit = rate_limit
        self.latency = latency
        self.timeout_sleep = timeout_sleep
        self.drip_interval = drip_interval
        self.region = region
        self.faults = _FaultPlan(faults, seed)
        self.stats = FakeS3Stats()
        self.errors: list[str] = []  # tracebacks of unexpected exceptions, answered as 500
        self._buckets: dict[str, _Bucket] = {}
        self._ids = itertools.count(1)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def add_bucket(
        self,
        name: str,
        keys: KeySource,
        *,
        versions: Sequence[FakeVersion] = (),
        uploads: Sequence[FakeUpload] = (),
        region: str | None = None,
        created: str = "2024-01-01T00:00:00.000Z",
        hostile: str | None = None,
    ) -> None:
        """Serve ``keys`` as bucket ``name``; without ``versions`` each object is its own null version.

        ``hostile`` (one of HOSTILE_KINDS) makes this bucket's listings misbehave that way.
        """
        if hostile is not None and hostile not in HOSTILE_KINDS:
            raise ValueError(f"unknown hostile kind {hostile!r}; one of {HOSTILE_KINDS}")
        history = _ExplicitVersions(versions) if versions else _ImplicitVersions(keys)
        self._buckets[name] = _Bucket(name, keys, history, _Uploads(uploads), region or self.region, created, hostile)

    def hostility(self, bucket: str) -> str | None:
        """How ``bucket`` misbehaves (None: it does not)."""
        found = self._buckets.get(bucket)
        return found.hostile if found else None

    def keys(self, bucket: str) -> KeySource:
        """The KeySource served as ``bucket``, to compare listings against."""
        return self._buckets[bucket].keys

    def start(self) -> str:
        """Bind a free loopback port and serve; returns the endpoint URL."""
        if self._server is None:
            self._server = _Server(self)
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fakes3", daemon=True
            )
            self._thread.start()
            self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self.url

    def stop(self) -> None:
        """Stop accepting, and cut kept-alive connections so no client hangs on them."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with server.live_lock:
            live = list(server.live)
        for sock in live:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeS3:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def next_request_id(self) -> str:
        return f"{next(self._ids):016X}"

    def respond(self, request: _Request, request_id: str) -> _Response:
        """The response to a request, errors included (no faults, no latency)."""
        try:
            return self._dispatch(request)
        except S3Error as error:
            return error.response(request_id)
        except Exception:
            # A bug here must not pass for a flaky network: keep it for tests to assert on.
            self.errors.append(traceback.format_exc())
            return _FAULT_ERRORS["500"].response(request_id)

    def _dispatch(self, request: _Request) -> _Response:
        if request.op == "ListBuckets":
            return list_buckets(self._buckets, request.query)
        if request.op == "Unsupported":
            raise S3Error(501, "NotImplemented", "This fake S3 endpoint serves listing operations only.")
        bucket = self._buckets.get(request.bucket)
        if bucket is None:
            if request.method == "HEAD":
                return _Response(404)
            raise S3Error(404, "NoSuchBucket", "The specified bucket does not exist", BucketName=request.bucket)
        if request.op == "HeadBucket":
            return _Response(
                200, headers=(("x-amz-bucket-region", bucket.region), ("x-amz-access-point-alias", "false"))
            )
        if request.op == "GetBucketLocation":
            return get_bucket_location(bucket)
        response, count = self._list(request, bucket)
        self.stats.page(count)
        return response

    def _list(self, request: _Request, bucket: _Bucket) -> tuple[_Response, int]:
        if bucket.hostile is None:
            return self._list_honestly(request, bucket)
        query = _hostile_query(bucket, request.op, dict(request.query))
        response, count = self._list_honestly(replace(request, query=query), bucket)
        body = _hostile_body(bucket.hostile, request.op, request.query, response.body.decode())
        return replace(response, body=body.encode()), count

    def _list_honestly(self, request: _Request, bucket: _Bucket) -> tuple[_Response, int]:
        query = request.query
        if request.op == "ListObjectsV2":
            return list_objects_v2(bucket, query)
        if request.op == "ListObjects":
            return list_objects_v1(bucket, query)
        if request.op == "ListObjectVersions":
            return list_object_versions(bucket, query)
        if request.op == "ListMultipartUploads":
            return list_multipart_uploads(bucket, query)
        return list_parts(bucket, request.key, query)


# --------------------------------------------------------------------------- subprocess server


@dataclass(frozen=True)
class BucketSpec:
    """A picklable bucket description: kind "flat" (FlatHexKeys), "tree" (TreeKeys) or "list".

    params: flat: seed, prefix; tree: dirs, subdirs, files (default: enough for n), seed;
    list: objects (a sequence of FakeObject; default n keys "key-00000000"...).
    """

    name: str
    kind: Literal["flat", "tree", "list"] = "flat"
    n: int = 0
    params: Mapping[str, object] = field(default_factory=dict)
    region: str | None = None


@dataclass(frozen=True)
class ServerSpec:
    """Everything a server in another process needs, picklable for the spawn start method."""

    buckets: tuple[BucketSpec, ...] = ()
    latency: float = 0.0
    faults: tuple[Fault, ...] = ()
    seed: int = 0
    region: str = "us-east-1"
    timeout_sleep: float = 2.0
    rate_limit: RateLimit | None = None


def _int(params: Mapping[str, object], name: str, default: int) -> int:
    value = params.get(name, default)
    if not isinstance(value, int):
        raise TypeError(f"bucket param {name} must be an int")
    return value


def build_keys(spec: BucketSpec) -> KeySource:
    """The KeySource a BucketSpec describes."""
    params = spec.params
    if spec.kind == "flat":
        return FlatHexKeys(spec.n, seed=_int(params, "seed", 0), prefix=str(params.get("prefix", "")))
    if spec.kind == "tree":
        dirs, subdirs = _int(params, "dirs", 20), _int(params, "subdirs", 50)
        files = _int(params, "files", max(1, -(-spec.n // (dirs * subdirs))))
        return TreeKeys(dirs, subdirs, files, limit=spec.n or None, seed=_int(params, "seed", 0))
    objects = params.get("objects")
    if objects is None:
        return ListKeys(FakeObject(f"key-{i:08d}", i) for i in range(spec.n))
    if not isinstance(objects, Iterable):
        raise TypeError("bucket param objects must be a sequence of FakeObject")
    return ListKeys(o for o in objects if isinstance(o, FakeObject))


def build_server(spec: ServerSpec) -> FakeS3:
    """A FakeS3 (not started) as a ServerSpec describes it."""
    fake = FakeS3(
        latency=spec.latency,
        faults=spec.faults,
        seed=spec.seed,
        region=spec.region,
        timeout_sleep=spec.timeout_sleep,
        rate_limit=spec.rate_limit,
    )
    for bucket in spec.buckets:
        fake.add_bucket(bucket.name, build_keys(bucket), region=bucket.region)
    return fake


def _serve_spec(spec: ServerSpec, conn: Connection) -> None:
    """Subprocess entry point: serve until told to stop (or the parent goes away), return stats."""
    fake = build_server(spec)
    conn.send(fake.start())
    with contextlib.suppress(EOFError):
        conn.recv()
    snapshot = fake.stats.snapshot()
    fake.stop()
    with contextlib.suppress(OSError):
        conn.send(snapshot)


def run_server_process(spec: ServerSpec, *, start_timeout: float = 60.0) -> tuple[str, Callable[[], StatsSnapshot]]:
    """Run a FakeS3 in its own (spawned) process, off the benchmark's GIL.

    Returns the endpoint URL and a stop function that returns the server's final stats.
    """
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_serve_spec, args=(spec, child), name="fakes3", daemon=True)
    process.start()
    child.close()
    if not parent.poll(start_timeout):
        process.kill()
        raise RuntimeError("fake S3 subprocess did not start")
    url: str = parent.recv()
    stopped: list[StatsSnapshot] = []

    def stop() -> StatsSnapshot:
        if not stopped:
            parent.send("stop")
            got = parent.recv() if parent.poll(30) else None
            stopped.append(got if isinstance(got, StatsSnapshot) else StatsSnapshot({}, {}, 0, 0))
            parent.close()
            process.join(10)
            if process.is_alive():
                process.kill()
        return stopped[0]

    return url, stop


# --------------------------------------------------------------------------- measurement

_TOKEN = re.compile(rb"<NextContinuationToken>([^<]+)</NextContinuationToken>")


def measure_page_building(n: int = 1_000_000) -> float:
    """Keys/s of full ListObjectsV2 response building (parse, walk, render, encode), no HTTP."""
    fake = FakeS3()
    fake.add_bucket("bench", FlatHexKeys(n))
    token, started = "", time.perf_counter()
    while True:
        target = "/bench?list-type=2&encoding-type=url" + (
            f"&continuation-token={urllib.parse.quote(token)}" if token else ""
        )
        response = fake.respond(parse_request("GET", target), "0")
        found = _TOKEN.search(response.body)
        if found is None:
            break
        token = found.group(1).decode()
    elapsed = time.perf_counter() - started
    assert fake.stats.snapshot().keys_listed == n
    return n / elapsed


def measure_http(url: str, bucket: str, n: int) -> float:
    """Keys/s one keep-alive http.client connection lists from ``url`` (token found by regex, not XML parsing)."""
    conn = http.client.HTTPConnection(urllib.parse.urlsplit(url).netloc)
    token, started = "", time.perf_counter()
    while True:
        query = "list-type=2&encoding-type=url" + (f"&continuation-token={urllib.parse.quote(token)}" if token else "")
        conn.request("GET", f"/{bucket}?{query}", headers={"Authorization": "AWS4-HMAC-SHA256 fake"})
        body = conn.getresponse().read()
        found = _TOKEN.search(body)
        if found is None:
            break
        token = found.group(1).decode()
    conn.close()
    return n / (time.perf_counter() - started)


def main(argv: Sequence[str] = ()) -> None:
    """``PYTHONPATH=tests python -m support.fakes3 [N]``: page-building and one-client HTTP keys/s."""
    n = int(argv[0]) if argv else 1_000_000
    building = measure_page_building(n)
    with FakeS3() as fake:
        fake.add_bucket("bench", FlatHexKeys(n))
        in_process = measure_http(fake.url, "bench", n)
    url, stop = run_server_process(ServerSpec(buckets=(BucketSpec("bench", "flat", n),)))
    try:
        subprocess_rate = measure_http(url, "bench", n)
    finally:
        stop()
    print(f"keys={n} page_building={building:,.0f} keys/s")
    print(f"http_one_client_same_process={in_process:,.0f} keys/s")
    print(f"http_one_client_server_subprocess={subprocess_rate:,.0f} keys/s")


if __name__ == "__main__":
    main(sys.argv[1:])
