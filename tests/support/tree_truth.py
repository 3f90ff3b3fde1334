"""The folder tree a set of keys must give, computed the slow and obvious way, for the tree's tests."""

from __future__ import annotations

from typing import Any

from s3_storage_analyser.tree.model import FolderTree
from s3_storage_analyser.tree.walk import placed_folders

Obj = tuple[str, int, str, str]  # key, size, storage class, LastModified


def brute_force(objs: list[Obj], delimiter: str, max_folders: int) -> dict[str, tuple[Any, ...]]:
    """Every folder: path -> (objects, bytes per class, newest, oldest, folded), folded by whole levels."""

    def chain(key: str) -> list[str]:  # the folders a key sits in, shallowest first (S3's left-to-right)
        parts = key.split(delimiter)[:-1]
        return [delimiter.join(parts[: i + 1]) + delimiter for i in range(len(parts))]

    every = {folder for key, *_ in objs for folder in chain(key)}
    per_depth: dict[int, int] = {}
    for folder in every:
        depth = folder.count(delimiter)
        per_depth[depth] = per_depth.get(depth, 0) + 1
    keep: int | None = None
    total = 0
    for depth in range(1, max(per_depth, default=0) + 1):
        total += per_depth.get(depth, 0)
        if total > max_folders:
            keep = depth - 1
            break
    kept = {f for f in every if keep is None or f.count(delimiter) <= keep} | {""}
    out: dict[str, list[Any]] = {path: [{}, {}, None, None, False] for path in kept}
    for key, size, storage, modified in objs:
        folders = ["", *chain(key)]
        deep = keep is not None and len(folders) - 1 > keep
        cell = out[folders[keep] if deep and keep is not None else folders[-1]]
        cell[0][storage] = cell[0].get(storage, 0) + 1
        cell[1][storage] = cell[1].get(storage, 0) + size
        if modified:
            cell[2] = modified if cell[2] is None else max(cell[2], modified)
            cell[3] = modified if cell[3] is None else min(cell[3], modified)
        if deep:
            cell[4] = True
    return {path: tuple(cell) for path, cell in out.items()}


def flattened(tree: FolderTree) -> dict[str, tuple[Any, ...]]:
    return {
        p.path: (p.folder.objects, p.folder.bytes, p.folder.newest, p.folder.oldest, p.folder.folded)
        for p in placed_folders(tree.root)
    }


def expected_folded(objs: list[Obj], delimiter: str, max_folders: int) -> int:
    """How many folders the brute-force fold marks as holding deeper ones."""
    return sum(1 for cell in brute_force(objs, delimiter, max_folders).values() if cell[4])


def tree_piece(objs: list[Obj], delimiter: str, max_folders: int) -> Any:
    """One piece's accumulator, made as a spawned listing worker makes it: from the registry, by name."""
    from s3_storage_analyser.aggregate import BreakdownSpec

    (tree,) = BreakdownSpec(("tree",), delimiter=delimiter, tree_folders=max_folders).make()
    for key, size, storage, modified in objs:
        tree.add(key, size, storage, modified)
    return tree
