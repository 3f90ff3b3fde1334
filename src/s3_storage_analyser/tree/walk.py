"""Every folder of a tree with its path, depth and totals, in one pass: what the exports write.

Iterative (a hostile key can nest a thousand levels deep) and linear: the totals are summed bottom
up once, not walked again for each folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .model import Folder, FolderTotals

__all__ = ["Placed", "placed_folders"]


@dataclass(frozen=True)
class Placed:
    """A folder where it is: its full path (the key prefix, "" for the root), depth and totals below it."""

    folder: Folder
    path: str
    depth: int
    totals: FolderTotals


def placed_folders(root: Folder) -> list[Placed]:
    """The folders parents first, children in name order, each with its totals (itself and below)."""
    order: list[tuple[Folder, str, int]] = []
    stack = [(root, "", 0)]
    while stack:
        folder, path, depth = stack.pop()
        order.append((folder, path, depth))
        for name in sorted(folder.children, reverse=True):
            stack.append((folder.children[name], path + name, depth + 1))
    totals: dict[int, FolderTotals] = {}
    for folder, _path, _depth in reversed(order):  # children before their parent
        total = FolderTotals()
        total.add(folder)
        for child in folder.children.values():
            total.merge(totals[id(child)])
        totals[id(folder)] = total
    return [Placed(folder, path, depth, totals[id(folder)]) for folder, path, depth in order]


def events(root: Folder) -> Iterator[tuple[str, Folder | None]]:
    """("enter", folder) and ("leave", None) in depth-first order, children in name order: nested writers."""
    stack: list[Folder | None] = [root]
    while stack:
        folder = stack.pop()
        if folder is None:
            yield "leave", None
            continue
        yield "enter", folder
        stack.append(None)
        stack.extend(folder.children[name] for name in sorted(folder.children, reverse=True))
