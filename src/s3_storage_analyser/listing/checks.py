"""Checks that a listing is what S3 documents, page by page and across pages.

A listing is counted from its pages alone, so a server that repeats, reorders or
skips entries, or whose tokens and markers do not move, would otherwise give a
wrong number or list forever. S3 documents: keys in UTF-8 binary order (code-point
order for Python strings), each strictly after the requested start and under the
requested prefix; for ListObjectVersions and ListMultipartUploads, keys in order
and each key's versions (uploads) listed once, the latest version first; part
numbers strictly increasing; a truncated page carries the token or markers of the
next one. A violation raises ``ListingViolation`` (``OrderError`` / ``StuckError``),
which fails that bucket, named.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field

from .pages import PageError, parse_part_number, shown


class ListingViolation(PageError):
    """Pages that do not add up to one listing."""


class OrderError(ListingViolation):
    """An entry out of order, repeated, or outside the range asked for."""

    code = "ListingOutOfOrder"


class StuckError(ListingViolation):
    """A listing that cannot advance: truncated without a token or marker, or with one that repeats."""

    code = "ListingStuck"


def check_keys(operation: str, keys: Sequence[str], *, after: str | None, prefix: str) -> None:
    """Keys strictly increasing, strictly after ``after`` and under ``prefix``."""
    if not keys:
        return
    if not all(map(operator.lt, keys, keys[1:])):
        for previous, key in itertools.pairwise(keys):
            if not previous < key:
                raise OrderError(f"{operation} page out of order: key {shown(key)} after {shown(previous)}")
    if after is not None and not keys[0] > after:
        raise OrderError(
            f"{operation} page out of order: key {shown(keys[0])} is not after the requested start {shown(after)}"
        )
    # Sorted keys: when the first and the last are under the prefix, so is every key between them.
    for key in (keys[0], keys[-1]):
        if not key.startswith(prefix):
            raise OrderError(f"{operation} page holds key {shown(key)} outside the requested prefix {shown(prefix)}")


def check_prefixes(operation: str, prefixes: Sequence[str], *, after: str | None, prefix: str) -> None:
    """CommonPrefixes strictly increasing, under ``prefix``, and after ``after`` (or holding it)."""
    check_keys(operation, prefixes, after=None, prefix=prefix)
    if prefixes and after is not None and not (prefixes[0] > after or after.startswith(prefixes[0])):
        raise OrderError(
            f"{operation} page out of order: CommonPrefix {shown(prefixes[0])} is before the requested start "
            f"{shown(after)}"
        )


def check_advance(
    operation: str, *, truncated: bool, entries: int, token: str | None, previous: str | None, name: str
) -> None:
    """A truncated page must hold something and carry a token (marker) other than the last one."""
    if not truncated:
        return
    if token is None:
        raise StuckError(f"{operation} page truncated without a {name}: the listing cannot go on")
    if entries == 0:
        raise StuckError(f"{operation} page truncated but empty: the listing does not advance")
    if token == previous:
        raise StuckError(f"{operation} {name} {shown(token)} repeated: the listing does not advance")


@dataclass
class Trail:
    """Where a ListObjectVersions / ListMultipartUploads listing is: its last key and the ids seen for it.

    ``closed``: every entry of ``key`` is listed (a key marker without an id marker), so no more may come.
    """

    operation: str
    id_name: str  # "VersionId" / "UploadId"
    key: str | None = None
    ids: set[str] = field(default_factory=set)
    closed: bool = False
    latest: bool = False  # a latest version of ``key`` was listed

    @classmethod
    def start(cls, operation: str, id_name: str, key_marker: str | None, id_marker: str | None) -> Trail:
        return cls(operation, id_name, key_marker, {id_marker} if id_marker else set(), id_marker is None)

    def follow(self, keys: Sequence[str], ids: Sequence[str], latest: Sequence[bool] = ()) -> None:
        """Entries in key order: keys never go back, an id is listed once per key, and a key has one
        latest version at most."""
        op = self.operation
        for index, (key, entry_id) in enumerate(zip(keys, ids, strict=True)):
            if self.key is not None and key <= self.key:
                if key < self.key:
                    raise OrderError(f"{op} page out of order: key {shown(key)} after {shown(self.key)}")
                if self.closed:
                    raise OrderError(f"{op} page out of order: key {shown(key)} listed again after its marker")
                if entry_id in self.ids:
                    raise OrderError(f"{op} page repeats {self.id_name} {shown(entry_id)} of key {shown(key)}")
                if latest and latest[index]:
                    if self.latest:
                        raise OrderError(f"{op} page lists a second latest version of key {shown(key)}")
                    self.latest = True
                self.ids.add(entry_id)
            else:
                self.key, self.ids, self.closed = key, {entry_id}, False
                self.latest = bool(latest) and latest[index]

    def check_markers(
        self,
        *,
        truncated: bool,
        entries: int,
        sent: tuple[str | None, str | None],
        received: tuple[str | None, str | None],
        names: tuple[str, str],
    ) -> None:
        """The next markers exist when truncated, differ from the ones sent, and skip nothing listed."""
        if not truncated:
            return
        key, entry_id = received
        check_advance(self.operation, truncated=True, entries=entries, token=key, previous=None, name=names[0])
        if received == sent:
            raise StuckError(
                f"{self.operation} {names[0]}/{names[1]} {shown(key or '')}/{shown(entry_id or '')} repeated: "
                "the listing does not advance"
            )
        if key is not None and self.key is not None and key > self.key:
            raise OrderError(
                f"{self.operation} {names[0]} {shown(key)} is past the last key listed {shown(self.key)}: "
                "entries between them would be skipped"
            )


def check_parts(numbers: Sequence[int], *, marker: int, truncated: bool, next_marker: str | None) -> int | None:
    """Part numbers strictly increasing after ``marker``; the next marker, checked (None: the last page)."""
    previous = marker
    for number in numbers:
        if number <= previous:
            raise OrderError(f"ListParts page out of order: part {number} after {previous}")
        previous = number
    if not truncated:
        return None
    check_advance("ListParts", truncated=True, entries=len(numbers), token=next_marker, previous=None,
                  name="NextPartNumberMarker")  # fmt: skip
    assert next_marker is not None
    following = parse_part_number(next_marker, "ListParts NextPartNumberMarker")
    if following <= marker:
        raise StuckError(f"ListParts NextPartNumberMarker {following} does not advance past {marker}")
    if following > previous:
        raise OrderError(f"ListParts NextPartNumberMarker {following} is past the last part listed ({previous})")
    return following
