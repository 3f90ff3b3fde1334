"""Where the browser is in a folder tree, what the current folder lists and in which order: no terminal here.

Each folder's objects and bytes with everything below it are summed once for the whole tree, children
before parents (two integers a folder), so that opening a folder of 100,000 children costs a sort, never a
walk of the subtree. The detail of one folder (bytes per storage class, newest and oldest) is summed when it
is first shown and kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from operator import attrgetter
from typing import NamedTuple

from ..tree.model import Folder, FolderTotals, FolderTree


class Kind(Enum):
    PARENT = "parent"  # ".." : back up one level
    FOLDER = "folder"  # a sub-folder, with everything below it
    FILES = "files"  # the folder's own objects, as one entry


class SortKey(Enum):
    SIZE = "size"
    OBJECTS = "objects"
    NAME = "name"


# The order a sort key starts in (largest first, names A to Z); pressing its key again reverses it, as in ncdu.
NATURAL_DESCENDING = {SortKey.SIZE: True, SortKey.OBJECTS: True, SortKey.NAME: False}
FILES_LABEL = "(files)"
PARENT_LABEL = ".."


class Entry:
    """One row of the current folder; ``name`` is raw (as listed): a view makes it printable.

    ``folder`` is the sub-folder (FOLDER), the current folder (FILES) or the parent (PARENT). A plain
    class with slots: a folder of 100,000 children makes 100,000 of these each time it is sorted.
    """

    __slots__ = ("bytes", "folder", "kind", "name", "objects")

    def __init__(self, kind: Kind, name: str, objects: int, size: int, folder: Folder) -> None:
        self.kind = kind
        self.name = name
        self.objects = objects
        self.bytes = size
        self.folder = folder

    def same(self, other: Entry) -> bool:
        return self.kind is other.kind and self.folder is other.folder


class Sum(NamedTuple):
    """A folder with everything below it: what a row shows."""

    objects: int
    bytes: int
    folders: int  # this folder and every folder below it


def subtree_sums(root: Folder) -> dict[int, Sum]:
    """Every folder's ``Sum``, keyed by ``id(folder)``, in one pass (children first; iterative: trees can be deep)."""
    order = [root]
    for folder in order:  # breadth first: every parent before its children
        order.extend(folder.children.values())
    sums: dict[int, Sum] = {}
    for folder in reversed(order):
        objects, size, folders = sum(folder.objects.values()), sum(folder.bytes.values()), 1
        for child in folder.children.values():
            below = sums[id(child)]
            objects += below[0]
            size += below[1]
            folders += below[2]
        sums[id(folder)] = Sum(objects, size, folders)
    return sums


def merge_into(total: FolderTotals, part: FolderTotals) -> None:
    """Add ``part`` (a child's totals) to ``total``."""
    for code, count in part.objects.items():
        total.objects[code] = total.objects.get(code, 0) + count
    for code, size in part.bytes.items():
        total.bytes[code] = total.bytes.get(code, 0) + size
    if part.newest is not None and (total.newest is None or part.newest > total.newest):
        total.newest = part.newest
    if part.oldest is not None and (total.oldest is None or part.oldest < total.oldest):
        total.oldest = part.oldest
    total.folders += part.folders


def own_totals(folder: Folder) -> FolderTotals:
    """The folder's own objects only (the "(files)" entry)."""
    total = FolderTotals()
    total.add(folder)
    total.folders = 0
    return total


@dataclass
class Browser:
    """The path from the root to the current folder, the sort order and the name filter."""

    tree: FolderTree
    sums: dict[int, Sum] = field(default_factory=dict)
    path: list[Folder] = field(default_factory=list)
    sort_key: SortKey = SortKey.SIZE
    descending: bool = True
    filter: str = ""
    _details: dict[int, FolderTotals] = field(default_factory=dict)
    _cache: tuple[object, list[Entry]] | None = None

    def __post_init__(self) -> None:
        if not self.sums:
            self.sums = subtree_sums(self.tree.root)
        if not self.path:
            self.path = [self.tree.root]

    @property
    def current(self) -> Folder:
        return self.path[-1]

    def sum_of(self, folder: Folder) -> Sum:
        return self.sums[id(folder)]

    def location(self) -> str:
        """``s3://bucket/prefix/and/the/folders/walked/`` (raw text: a view makes it printable)."""
        return f"s3://{self.tree.bucket}/{self.tree.prefix}{''.join(f.name for f in self.path[1:])}"

    def entries(self) -> list[Entry]:
        """The current folder's rows: ".." first (below the root), then its folders and its own files, sorted."""
        state = (id(self.current), self.sort_key, self.descending, self.filter)
        if self._cache is not None and self._cache[0] == state:
            return self._cache[1]
        rows = sort_entries(self._children(), self.sort_key, self.descending)
        if len(self.path) > 1:
            rows.insert(0, Entry(Kind.PARENT, PARENT_LABEL, 0, 0, self.path[-2]))
        self._cache = (state, rows)
        return rows

    def _children(self) -> list[Entry]:
        folder, sums, needle = self.current, self.sums, self.filter.casefold()
        rows: list[Entry] = []
        if folder.objects and (not needle or needle in FILES_LABEL):
            rows.append(Entry(Kind.FILES, FILES_LABEL, folder.own_objects, folder.own_bytes, folder))
        kind = Kind.FOLDER
        for name, child in folder.children.items():
            if needle and needle not in name.casefold():
                continue
            below = sums[id(child)]
            rows.append(Entry(kind, name, below[0], below[1], child))
        return rows

    def open(self, entry: Entry) -> bool:
        """Go into a folder entry (or up, for ".."); False when the entry is not a folder."""
        if entry.kind is Kind.PARENT:
            return self.up() is not None
        if entry.kind is not Kind.FOLDER:
            return False
        self.path.append(entry.folder)
        self.filter = ""
        return True

    def up(self) -> Folder | None:
        """Back to the parent; the folder left (to put the cursor on it), or None at the root."""
        if len(self.path) == 1:
            return None
        left = self.path.pop()
        self.filter = ""
        return left

    def first_row(self) -> int:
        """Where the cursor starts in a folder: on its first entry, past "..", as in ncdu."""
        rows = self.entries()
        return 1 if len(rows) > 1 and rows[0].kind is Kind.PARENT else 0

    def index_of(self, entry: Entry | None) -> int:
        """Where the same entry (same kind, same folder) is in the current rows; 0 when it is not there."""
        if entry is None:
            return 0
        return next((i for i, e in enumerate(self.entries()) if e.same(entry)), 0)

    def sort_by(self, key: SortKey) -> None:
        """Sort by ``key`` in its natural order; the same key again reverses the order."""
        if key is self.sort_key:
            self.descending = not self.descending
        else:
            self.sort_key, self.descending = key, NATURAL_DESCENDING[key]

    def entry_totals(self, entry: Entry) -> FolderTotals:
        """What the detail pane shows for an entry: per class and times, of the folder and all below it."""
        if entry.kind is Kind.FILES:
            return own_totals(entry.folder)
        return self.details(entry.folder)

    def details(self, folder: Folder) -> FolderTotals:
        """``folder.totals()``, kept: each folder below is summed once however often it is shown."""
        known = self._details
        if id(folder) in known:
            return known[id(folder)]
        stack: list[tuple[Folder, bool]] = [(folder, False)]
        while stack:
            current, children_done = stack.pop()
            if id(current) in known:
                continue
            if not children_done:
                stack.append((current, True))
                stack.extend((child, False) for child in current.children.values() if id(child) not in known)
                continue
            total = FolderTotals()
            total.add(current)
            for child in current.children.values():
                merge_into(total, known[id(child)])
            known[id(current)] = total
        return known[id(folder)]


_BY_NAME = attrgetter("name")
_BY_BYTES = attrgetter("bytes")
_BY_OBJECTS = attrgetter("objects")


def sort_entries(entries: Iterable[Entry], key: SortKey, descending: bool) -> list[Entry]:
    """Sorted by ``key``, ties by name A to Z in either direction (Python's sort is stable): the same every run."""
    rows = list(entries)
    rows.sort(key=_BY_NAME, reverse=descending and key is SortKey.NAME)
    if key is SortKey.SIZE:
        rows.sort(key=_BY_BYTES, reverse=descending)
    elif key is SortKey.OBJECTS:
        rows.sort(key=_BY_OBJECTS, reverse=descending)
    return rows
