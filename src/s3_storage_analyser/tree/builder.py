"""The ``--by tree`` accumulator: every folder's own objects, mergeable across pieces and processes, bounded.

It keeps a flat table, folder path -> cell, of the folders that hold objects of their own; the folders
above them are implied by their paths. A cell is ``[newest, oldest, {class: [objects, bytes]}, absorbed]``:
lists, dicts, text and integers only, so it pickles small and fast from a spawned worker.

Bounded: past ``max_folders`` folders (not counting the bucket's root) the deepest levels are folded
into their ancestors at the deepest depth that fits, and the accumulator remembers that depth
(``depth_limit``): what it adds or merges later is folded there at once. The depth a piece keeps is
never shallower than the whole bucket's (a piece's folders are a subset of the bucket's), so folding
early loses nothing the final tree shows: the result is the same whatever the split into pieces and
the order they merge in (tests/unit/test_tree_property.py checks it against a brute-force fold).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from ..model import BreakdownRow
from .model import Folder, FolderTree

__all__ = ["DEFAULT_MAX_FOLDERS", "TreeBreakdown", "fold_depth", "folder_of", "parent_of", "tree_in"]

# Folders kept below a bucket's root before the deepest levels are folded (``--tree-folders``): about
# 70 MB while listing and ~1 MB compressed in the history (docs/tree.md has the measurements).
DEFAULT_MAX_FOLDERS = 100_000
NO_PREFIX = "(no prefix)"  # as aggregate's (which imports this module)
OTHER = "(other)"

Cell = list[Any]  # [newest: str | None, oldest: str | None, {class: [objects, bytes]}, absorbed: bool]


def folder_of(key: str, delimiter: str, limit: int | None = None) -> tuple[str, bool]:
    """The folder a key sits in (its prefix up to the last delimiter, found left to right as S3 does),
    cut at ``limit`` levels; and whether the cut hid deeper folders."""
    if limit is None:
        if len(delimiter) == 1:
            return key[: key.rfind(delimiter) + 1], False
        rest = key.split(delimiter)[-1]  # noqa: PLC0207 - rsplit finds overlapping matches from the right
        return key[: len(key) - len(rest)], False
    rest = key.split(delimiter, limit)[-1] if limit else key
    return key[: len(key) - len(rest)], delimiter in rest


def parent_of(path: str, delimiter: str) -> str:
    """The folder holding folder ``path`` (which ends with the delimiter); the root's children have ""."""
    if len(delimiter) == 1:
        return path[: path.rfind(delimiter, 0, len(path) - 1) + 1]
    parts = path.split(delimiter)  # [..., last segment, ""]
    return path[: len(path) - len(parts[-2]) - len(delimiter)]


def _depth(path: str, delimiter: str) -> int:
    return path.count(delimiter)  # str.count, like split, finds non-overlapping matches left to right


def _all_folders(paths: Iterable[str], delimiter: str) -> set[str]:
    """The folders holding objects and every folder above them, but the root."""
    seen: set[str] = set()
    for start in paths:
        path = start
        while path and path not in seen:
            seen.add(path)
            path = parent_of(path, delimiter)
    return seen


def fold_depth(paths: Iterable[str], delimiter: str, max_folders: int) -> int | None:
    """The deepest level whose folders (with every level above, the root apart) number at most
    ``max_folders``; None when every folder fits."""
    per_depth = Counter(_depth(path, delimiter) for path in _all_folders(paths, delimiter))
    total = 0
    for depth in range(1, max(per_depth, default=0) + 1):
        total += per_depth.get(depth, 0)
        if total > max_folders:
            return depth - 1
    return None


def _merge_cell(into: Cell, other: Cell) -> None:
    newest, oldest = other[0], other[1]
    if newest is not None and (into[0] is None or newest > into[0]):
        into[0] = newest
    if oldest is not None and (into[1] is None or oldest < into[1]):
        into[1] = oldest
    classes = into[2]
    for code, (objects, size) in other[2].items():
        counts = classes.get(code)
        if counts is None:
            classes[code] = [objects, size]
        else:
            counts[0] += objects
            counts[1] += size
    if other[3]:
        into[3] = True


class TreeBreakdown:
    """Folders and their own objects, bytes per class, newest and oldest LastModified (see the module)."""

    dimension = "tree"

    def __init__(self, delimiter: str = "/", max_folders: int = DEFAULT_MAX_FOLDERS, top: int = 20) -> None:
        self.delimiter = delimiter
        self.max_folders = max_folders
        self.top = top  # rows() shows this many first-level folders
        self.depth_limit: int | None = None
        self.table: dict[str, Cell] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"d": self.delimiter, "n": self.max_folders, "k": self.top, "l": self.depth_limit, "t": self.table}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.delimiter, self.max_folders, self.top = state["d"], state["n"], state["k"]
        self.depth_limit, self.table = state["l"], state["t"]

    def add(self, key: str, size: int, storage_class: str, last_modified: str) -> None:
        delimiter = self.delimiter
        if self.depth_limit is None and len(delimiter) == 1:  # the common case: a folder seen before, inline
            folder = key[: key.rfind(delimiter) + 1]
            cell = self.table.get(folder)
            if cell is not None:
                counts = cell[2].get(storage_class)
                if counts is None:
                    cell[2][storage_class] = [1, size]
                else:
                    counts[0] += 1
                    counts[1] += size
                if last_modified:  # a cell's two times are both None or both set, oldest <= newest
                    newest = cell[0]
                    if newest is None:
                        cell[0] = cell[1] = last_modified
                    elif last_modified > newest:
                        cell[0] = last_modified
                    elif last_modified < cell[1]:
                        cell[1] = last_modified
                return
            absorbed = False
        else:
            folder, absorbed = folder_of(key, delimiter, self.depth_limit)
        self._add(folder, 1, size, storage_class, last_modified or None, last_modified or None, absorbed)

    def add_group(
        self, folder: str, storage_class: str, objects: int, size: int, newest: str | None, oldest: str | None
    ) -> None:
        """Counts of one (folder, class) grouped elsewhere (an inventory report's query): ``folder`` is the
        objects' deepest folder, as ``folder_of`` finds it."""
        absorbed = False
        if self.depth_limit is not None and _depth(folder, self.delimiter) > self.depth_limit:
            folder, absorbed = folder_of(folder, self.delimiter, self.depth_limit)[0], True
        self._add(folder, objects, size, storage_class, newest or None, oldest or None, absorbed)

    def _add(
        self,
        folder: str,
        objects: int,
        size: int,
        storage_class: str,
        newest: str | None,
        oldest: str | None,
        absorbed: bool,
    ) -> None:
        cell = self.table.get(folder)
        if cell is None:
            self.table[folder] = [newest, oldest, {storage_class: [objects, size]}, absorbed]
            if len(self.table) > self.max_folders:
                self._shrink()
            return
        if newest is not None:
            if cell[0] is None or newest > cell[0]:
                cell[0] = newest
            if cell[1] is None or (oldest is not None and oldest < cell[1]):
                cell[1] = oldest
        counts = cell[2].get(storage_class)
        if counts is None:
            cell[2][storage_class] = [objects, size]
        else:
            counts[0] += objects
            counts[1] += size
        if absorbed:
            cell[3] = True

    def _shrink(self) -> None:
        depth = fold_depth(self.table, self.delimiter, self.max_folders)
        if depth is not None:
            self._cut(depth)

    def _cut(self, depth: int) -> None:
        """Fold every folder deeper than ``depth`` into its ancestor at ``depth``."""
        self.depth_limit = depth
        delimiter = self.delimiter
        deeper = [path for path in self.table if _depth(path, delimiter) > depth]
        for path in deeper:
            cell = self.table.pop(path)
            cell[3] = True
            ancestor = folder_of(path, delimiter, depth)[0]
            kept = self.table.get(ancestor)
            if kept is None:
                self.table[ancestor] = cell
            else:
                _merge_cell(kept, cell)

    def merge(self, other: Any) -> None:
        assert isinstance(other, TreeBreakdown) and other.delimiter == self.delimiter
        limits = [limit for limit in (self.depth_limit, other.depth_limit) if limit is not None]
        if limits and (self.depth_limit is None or min(limits) < self.depth_limit):
            self._cut(min(limits))
        delimiter, limit, table = self.delimiter, self.depth_limit, self.table
        for their_path, theirs in other.table.items():
            path = their_path
            cell = [theirs[0], theirs[1], {code: list(counts) for code, counts in theirs[2].items()}, theirs[3]]
            if limit is not None and _depth(path, delimiter) > limit:
                path, cell[3] = folder_of(path, delimiter, limit)[0], True
            mine = table.get(path)
            if mine is None:
                table[path] = cell
            else:
                _merge_cell(mine, cell)
        if len(table) > self.max_folders:
            self._shrink()

    def rows(self) -> list[BreakdownRow]:
        """The first level's folders with everything below each (what the table and the other report
        formats show; the whole tree travels in ``Usage.tree``): the ``top`` largest by bytes, then
        ``(other)``; the root's own objects are ``(no prefix)``, as ``--by prefix`` names them. Taken from
        the tree as folded, so the rows too are the same whatever the order pieces merged in."""
        depth = fold_depth(self.table, self.delimiter, self.max_folders)
        flat = depth == 0 or (depth is None and self.depth_limit == 0)
        totals: dict[str, list[int]] = {}
        for path, cell in self.table.items():
            top = NO_PREFIX if flat or not path else folder_of(path, self.delimiter, 1)[0]
            total = totals.setdefault(top, [0, 0])
            for objects, size in cell[2].values():
                total[0] += objects
                total[1] += size
        ranked = sorted(totals.items(), key=lambda item: (-item[1][1], item[0]))
        rows = [BreakdownRow(self.dimension, key, objects, size) for key, (objects, size) in ranked[: self.top]]
        rest = ranked[self.top :]
        if rest:
            rows.append(BreakdownRow(self.dimension, OTHER, sum(v[0] for _, v in rest), sum(v[1] for _, v in rest)))
        return rows

    def tree(self, bucket: str = "") -> FolderTree:
        """The folders as a ``FolderTree``, folded to the deepest level that keeps ``max_folders``."""
        depth = fold_depth(self.table, self.delimiter, self.max_folders)
        table: dict[str, Cell] = self.table
        if depth is not None:
            copy = TreeBreakdown(self.delimiter, self.max_folders, self.top)
            copy.table = {path: [c[0], c[1], {k: list(v) for k, v in c[2].items()}, c[3]] for path, c in table.items()}
            copy._cut(depth)
            table = copy.table
        root = Folder("")
        nodes: dict[str, Folder] = {"": root}
        delimiter = self.delimiter
        folded = 0
        for path in sorted(table):
            node = _node(nodes, path, delimiter)
            newest, oldest, classes, absorbed = table[path]
            node.objects = {code: classes[code][0] for code in sorted(classes)}
            node.bytes = {code: classes[code][1] for code in sorted(classes)}
            node.newest, node.oldest = newest, oldest
            if absorbed:
                node.folded = True
                folded += 1
        return FolderTree(
            bucket=bucket,
            root=root,
            delimiter=delimiter,
            max_folders=self.max_folders,
            folded=folded,
            depth=depth if depth is not None else self.depth_limit,
        )


def _node(nodes: dict[str, Folder], path: str, delimiter: str) -> Folder:
    """The folder at ``path``, made (with the folders above it) when missing."""
    missing: list[str] = []
    while path not in nodes:
        missing.append(path)
        path = parent_of(path, delimiter)
    node = nodes[path]
    for below in reversed(missing):
        name = below[len(path) :]
        child = Folder(name)
        node.children[name] = child
        nodes[below] = child
        node, path = child, below
    return node


def tree_in(breakdowns: Iterable[object], bucket: str = "") -> FolderTree | None:
    """The tree among a bucket's accumulators, when ``--by tree`` asked for one."""
    return next((b.tree(bucket) for b in breakdowns if isinstance(b, TreeBreakdown)), None)
