"""A bucket's running totals while it is listed: mergeable, picklable, bounded."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter

from ..aggregate import Breakdown, BreakdownSpec, merge_all
from ..model import Usage
from ..storage_classes import SMALL_OBJECT_BYTES
from ..tree.builder import tree_in
from .pages import ObjectPage, VersionPage, decode_key

# "small-objects" in ``measured``: objects under SMALL_OBJECT_BYTES were counted per class (pricing tells a
# snapshot that counted them from an older one, or one from CloudWatch, that did not). The listing worker
# and the inventory analysis add it, as the worker adds "versions" for a listing that found no version.
SMALL_OBJECTS = "small-objects"


_SIZE, _CLASS = itemgetter(2), itemgetter(3)  # of a listing page's entry


def _add(table: dict[str, int], key: str, value: int) -> None:
    table[key] = table.get(key, 0) + value


@dataclass
class Tally:
    """Counts for one key range (or a whole bucket, after merging)."""

    objects: dict[str, int] = field(default_factory=dict)
    bytes: dict[str, int] = field(default_factory=dict)
    noncurrent_objects: dict[str, int] = field(default_factory=dict)
    noncurrent_bytes: dict[str, int] = field(default_factory=dict)
    # the part of the four above in objects strictly smaller than SMALL_OBJECT_BYTES (128 KiB)
    small_objects: dict[str, int] = field(default_factory=dict)
    small_bytes: dict[str, int] = field(default_factory=dict)
    noncurrent_small_objects: dict[str, int] = field(default_factory=dict)
    noncurrent_small_bytes: dict[str, int] = field(default_factory=dict)
    delete_markers: int = 0
    uploads: int = 0
    upload_parts: int = 0
    upload_bytes: int = 0
    oldest_upload: str | None = None
    measured: set[str] = field(default_factory=set)
    breakdowns: list[Breakdown] = field(default_factory=list)

    @classmethod
    def for_spec(cls, spec: BreakdownSpec) -> Tally:
        return cls(breakdowns=spec.make())

    def add_objects(self, page: ObjectPage, count: int) -> None:
        """Count the first ``count`` entries of a page (the rest lie past the range's end)."""
        entries = page.entries if count == len(page.entries) else page.entries[:count]
        self._count_by_class(entries)
        if self.breakdowns:
            breakdowns = self.breakdowns
            for (_raw, modified, size, storage), key in zip(entries, page.keys(), strict=False):
                for breakdown in breakdowns:
                    breakdown.add(key, size, storage, modified)

    def _count_by_class(self, entries: list[tuple[str, str, int, str]]) -> None:
        """Objects and bytes per class, and those of the small objects: the listing's hot loop.

        Sizes are gathered per class, then summed in C (sum, len) with one comprehension for the
        small ones: cheaper than four dict updates per object. Most pages hold a single class,
        whose sizes are gathered in C too."""
        storage = entries[0][3] if entries else ""
        classes = list(map(_CLASS, entries))
        groups: dict[str, list[int]]
        if classes.count(storage) == len(classes):
            groups = {storage: list(map(_SIZE, entries))} if entries else {}
        else:
            groups = defaultdict(list)
            for _key, _modified, size, storage in entries:
                groups[storage].append(size)
        objects, sizes = self.objects, self.bytes
        small_objects, small_sizes, small = self.small_objects, self.small_bytes, SMALL_OBJECT_BYTES
        for storage, values in groups.items():
            objects[storage] = objects.get(storage, 0) + len(values)
            sizes[storage] = sizes.get(storage, 0) + sum(values)
            smalls = [size for size in values if size < small]
            if smalls:
                small_objects[storage] = small_objects.get(storage, 0) + len(smalls)
                small_sizes[storage] = small_sizes.get(storage, 0) + sum(smalls)

    def add_versions(self, page: VersionPage, count: int) -> None:
        """Current versions count as objects; the rest as noncurrent; markers apart."""
        self.measured.add("versions")
        entries = page.entries if count == len(page.entries) else page.entries[:count]
        encoded = page.url_encoded
        for raw, modified, size, storage, latest, marker in entries:
            if marker:
                self.delete_markers += 1
            elif latest:
                _add(self.objects, storage, 1)
                _add(self.bytes, storage, size)
                if size < SMALL_OBJECT_BYTES:
                    _add(self.small_objects, storage, 1)
                    _add(self.small_bytes, storage, size)
                if self.breakdowns:
                    key = decode_key(raw, encoded)
                    for breakdown in self.breakdowns:
                        breakdown.add(key, size, storage, modified)
            else:
                _add(self.noncurrent_objects, storage, 1)
                _add(self.noncurrent_bytes, storage, size)
                if size < SMALL_OBJECT_BYTES:
                    _add(self.noncurrent_small_objects, storage, 1)
                    _add(self.noncurrent_small_bytes, storage, size)

    def add_upload(self, initiated: str, part_sizes: list[int]) -> None:
        self.measured.add("uploads")
        self.uploads += 1
        self.upload_parts += len(part_sizes)
        self.upload_bytes += sum(part_sizes)
        if self.oldest_upload is None or initiated < self.oldest_upload:
            self.oldest_upload = initiated

    def merge(self, other: Tally) -> None:
        for mine, theirs in (
            (self.objects, other.objects),
            (self.bytes, other.bytes),
            (self.noncurrent_objects, other.noncurrent_objects),
            (self.noncurrent_bytes, other.noncurrent_bytes),
            (self.small_objects, other.small_objects),
            (self.small_bytes, other.small_bytes),
            (self.noncurrent_small_objects, other.noncurrent_small_objects),
            (self.noncurrent_small_bytes, other.noncurrent_small_bytes),
        ):
            for key, value in theirs.items():
                _add(mine, key, value)
        self.delete_markers += other.delete_markers
        self.uploads += other.uploads
        self.upload_parts += other.upload_parts
        self.upload_bytes += other.upload_bytes
        if other.oldest_upload and (self.oldest_upload is None or other.oldest_upload < self.oldest_upload):
            self.oldest_upload = other.oldest_upload
        self.measured |= other.measured
        merge_all(self.breakdowns, other.breakdowns)

    @property
    def keys(self) -> int:
        return sum(self.objects.values()) + sum(self.noncurrent_objects.values()) + self.delete_markers

    def to_usage(self) -> Usage:
        rows = tuple(row for breakdown in self.breakdowns for row in breakdown.rows())
        return Usage(
            objects=sum(self.objects.values()),
            bytes_by_class=dict(self.bytes),
            objects_by_class=dict(self.objects),
            noncurrent_objects_by_class=dict(self.noncurrent_objects),
            noncurrent_bytes_by_class=dict(self.noncurrent_bytes),
            delete_markers=self.delete_markers,
            incomplete_uploads=self.uploads,
            incomplete_upload_parts=self.upload_parts,
            incomplete_upload_bytes=self.upload_bytes,
            oldest_incomplete_upload=_parse_time(self.oldest_upload),
            measured=frozenset(self.measured),
            breakdowns=rows,
            small_objects_by_class=dict(self.small_objects),
            small_bytes_by_class=dict(self.small_bytes),
            noncurrent_small_objects_by_class=dict(self.noncurrent_small_objects),
            noncurrent_small_bytes_by_class=dict(self.noncurrent_small_bytes),
            tree=tree_in(self.breakdowns),
        )


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
