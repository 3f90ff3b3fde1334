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
QUICK_FOLDERS = 5_000  # a subtree summed per class while a key is answered; larger ones after the screen is drawn
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


# A folder with everything below it, what a row shows: (objects, bytes, folders: itself and every one below).
# A plain tuple: 100,000 folders are summed before the first screen, and a tuple is the cheapest to make.
Sum = tuple[int, int, int]


def scope_path(tree: FolderTree) -> list[Folder]:
    """Where the browser opens: the root, or the folder a scan of ``s3://bucket/prefix/`` was scoped to.

    Such a scan's report names the bucket ``bucket/prefix/`` and its tree starts at the bucket's root (its
    folders are the keys' own): the browser opens at the prefix's folder, and Left still goes up from it."""
    _, _, scope = tree.bucket.partition("/")
    path = [tree.root]
    rest = "" if tree.prefix or not tree.delimiter else scope
    while rest:
        head, found, _ = rest.partition(tree.delimiter)
        child = path[-1].children.get(head + tree.delimiter) if found else None
        if child is None:
            break
        path.append(child)
        rest = rest[len(child.name) :]
    return path


def subtree_sums(root: Folder) -> dict[int, Sum]:
    """Every folder's ``Sum``, keyed by ``id(folder)``, in one pass (children first; iterative: trees can be deep)."""
    order = [root]
    extend = order.extend
    for folder in order:  # breadth first: every parent before its children
        extend(folder.children.values())
    sums: dict[int, Sum] = {}
    for folder in reversed(order):
        objects, size, folders = sum(folder.objects.values()), sum(folder.bytes.values()), 1
        for child in folder.children.values():
            child_objects, child_bytes, child_folders = sums[id(child)]
            objects += child_objects
            size += child_bytes
            folders += child_folders
        sums[id(folder)] = (objects, size, folders)
    return sums


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
    _children_of: tuple[Folder, list[Entry]] | None = None

    def __post_init__(self) -> None:
        if not self.sums:
            self.sums = subtree_sums(self.tree.root)
        if not self.path:
            self.path = scope_path(self.tree)

    @property
    def current(self) -> Folder:
        return self.path[-1]

    def sum_of(self, folder: Folder) -> Sum:
        return self.sums[id(folder)]

    def location(self) -> str:
        """``s3://bucket/prefix/and/the/folders/walked/`` (raw text: a view makes it printable)."""
        bucket = self.tree.bucket.partition("/")[0]
        return f"s3://{bucket}/{self.tree.prefix}{''.join(f.name for f in self.path[1:])}"

    def entries(self) -> list[Entry]:
        """The current folder's rows: ".." first (below the root), then its folders and its own files, sorted."""
        state = (id(self.current), self.sort_key, self.descending, self.filter)
        if self._cache is not None and self._cache[0] == state:
            return self._cache[1]
        rows = self._children()
        if self.filter:
            needle = self.filter.casefold()
            rows = [e for e in rows if needle in e.name.casefold()]
        rows = sort_entries(rows, self.sort_key, self.descending)
        if len(self.path) > 1:
            rows.insert(0, Entry(Kind.PARENT, PARENT_LABEL, 0, 0, self.path[-2]))
        self._cache = (state, rows)
        return rows

    def _children(self) -> list[Entry]:
        """The current folder's entries, unsorted: made once a folder, sorted and filtered as often as asked."""
        folder, sums = self.current, self.sums
        if self._children_of is not None and self._children_of[0] is folder:
            return self._children_of[1]
        rows: list[Entry] = []
        if folder.objects:
            rows.append(Entry(Kind.FILES, FILES_LABEL, folder.own_objects, folder.own_bytes, folder))
        kind = Kind.FOLDER
        for name, child in folder.children.items():
            objects, size, _ = sums[id(child)]
            rows.append(Entry(kind, name, objects, size, child))
        self._children_of = (folder, rows)
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

    def details_ready(self, entry: Entry) -> bool:
        """Whether the entry's detail is quick to give: kept already, or a subtree of a few thousand folders."""
        if entry.kind is not Kind.FOLDER:
            return True
        return id(entry.folder) in self._details or self.sums[id(entry.folder)][2] <= QUICK_FOLDERS

    def details(self, folder: Folder) -> FolderTotals:
        """``folder.totals()`` (one walk of the subtree, iterative), kept for the next time it is shown."""
        known = self._details.get(id(folder))
        if known is None:
            known = self._details[id(folder)] = subtree_totals(folder)
        return known


def subtree_totals(folder: Folder) -> FolderTotals:
    """Bytes and objects per class, newest and oldest, of a folder and every folder below it.

    ``Folder.totals`` inlined: the pane shows it for the entry under the cursor, whose subtree can be most of
    a 100,000-folder tree."""
    objects: dict[str, int] = {}
    sizes: dict[str, int] = {}
    newest: str | None = None
    oldest: str | None = None
    count = 0
    stack = [folder]
    while stack:
        current = stack.pop()
        count += 1
        for code, number in current.objects.items():
            objects[code] = objects.get(code, 0) + number
        for code, size in current.bytes.items():
            sizes[code] = sizes.get(code, 0) + size
        if current.newest is not None and (newest is None or current.newest > newest):
            newest = current.newest
        if current.oldest is not None and (oldest is None or current.oldest < oldest):
            oldest = current.oldest
        stack.extend(current.children.values())
    return FolderTotals(objects, sizes, newest, oldest, count)


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
