"""A bucket's folder tree: what ``--by tree`` builds, the history keeps, ``browse`` walks and ``--fmt ncdu`` writes.

A folder is a key prefix ending at a delimiter (``logs/2024/``); its *own*
objects are the keys directly in it, its *totals* add every folder below. The
tree is plain data (counts per storage class and two timestamps per folder):
the accumulator that builds it from a listing, the codec that stores it and
the views that show it live in this package's other modules.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class Folder:
    """One folder: its own objects (per storage class) and its sub-folders.

    ``name`` is the folder's own segment with its trailing delimiter (``2024/``); the root's is "".
    ``newest``/``oldest`` are the LastModified (ISO 8601 text, as listed) of its own objects.
    ``folded`` says deeper folders were folded into this one: their objects are counted as its own.
    """

    name: str
    objects: dict[str, int] = field(default_factory=dict)
    bytes: dict[str, int] = field(default_factory=dict)
    newest: str | None = None
    oldest: str | None = None
    children: dict[str, Folder] = field(default_factory=dict)
    folded: bool = False

    def __eq__(self, other: object) -> bool:
        """Field by field, as the dataclass's own, but without recursion: a key can nest 1,024 folders."""
        if not isinstance(other, Folder):
            return NotImplemented
        pairs = [(self, other)]
        while pairs:
            mine, theirs = pairs.pop()
            if (mine.name, mine.objects, mine.bytes, mine.newest, mine.oldest, mine.folded) != (
                theirs.name,
                theirs.objects,
                theirs.bytes,
                theirs.newest,
                theirs.oldest,
                theirs.folded,
            ) or mine.children.keys() != theirs.children.keys():
                return False
            pairs.extend((child, theirs.children[name]) for name, child in mine.children.items())
        return True

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value: unhashable, as the dataclass's

    def __repr__(self) -> str:
        """The folder's own fields and how many children (not their whole subtree: it can be deep)."""
        return (
            f"Folder(name={self.name!r}, objects={self.objects!r}, bytes={self.bytes!r}, newest={self.newest!r}, "
            f"oldest={self.oldest!r}, children=<{len(self.children)}>, folded={self.folded!r})"
        )

    @property
    def own_objects(self) -> int:
        return sum(self.objects.values())

    @property
    def own_bytes(self) -> int:
        return sum(self.bytes.values())

    def walk(self) -> Iterator[Folder]:
        """This folder and every folder below it, parents first (iterative: trees can be deep)."""
        stack = [self]
        while stack:
            folder = stack.pop()
            yield folder
            stack.extend(reversed(list(folder.children.values())))

    def totals(self) -> FolderTotals:
        """Objects, bytes (per class) and times of this folder and everything below it."""
        total = FolderTotals()
        for folder in self.walk():
            total.add(folder)
        return total


@dataclass
class FolderTotals:
    """A folder's totals with everything below it."""

    objects: dict[str, int] = field(default_factory=dict)
    bytes: dict[str, int] = field(default_factory=dict)
    newest: str | None = None
    oldest: str | None = None
    folders: int = 0

    @property
    def total_objects(self) -> int:
        return sum(self.objects.values())

    @property
    def total_bytes(self) -> int:
        return sum(self.bytes.values())

    def add(self, folder: Folder) -> None:
        """One folder's own objects."""
        self._take(folder.objects, folder.bytes, folder.newest, folder.oldest, 1)

    def merge(self, other: FolderTotals) -> None:
        """Another folder's totals (a child's, when summing children before their parent)."""
        self._take(other.objects, other.bytes, other.newest, other.oldest, other.folders)

    def _take(
        self, objects: dict[str, int], sizes: dict[str, int], newest: str | None, oldest: str | None, folders: int
    ) -> None:
        for code, count in objects.items():
            self.objects[code] = self.objects.get(code, 0) + count
        for code, size in sizes.items():
            self.bytes[code] = self.bytes.get(code, 0) + size
        if newest is not None and (self.newest is None or newest > self.newest):
            self.newest = newest
        if oldest is not None and (self.oldest is None or oldest < self.oldest):
            self.oldest = oldest
        self.folders += folders


@dataclass
class FolderTree:
    """The folders of one bucket (or of one prefix of it, ``s3://bucket/prefix/``).

    ``folded`` counts the folders that deeper folders were folded into to keep the tree within
    ``max_folders`` (those with ``Folder.folded``; 0: none, the tree is complete); a view must say so
    when it is not 0. ``depth`` is then the deepest level kept (None: complete).
    """

    bucket: str
    root: Folder
    prefix: str = ""
    delimiter: str = "/"
    max_folders: int = 0
    folded: int = 0
    depth: int | None = None

    def find(self, path: str) -> Folder | None:
        """The folder at ``path`` (a key prefix ending with the delimiter; "" is the root), if the tree has it.

        Under a folded folder the deeper path is not kept: None."""
        node = self.root
        rest = path
        while rest:
            head, found, _ = rest.partition(self.delimiter)
            child = node.children.get(head + self.delimiter) if found else None
            if child is None:
                return None
            node, rest = child, rest[len(child.name) :]
        return node
