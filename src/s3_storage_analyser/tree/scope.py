"""Which bucket and prefix a tree is of, from the name its report carries (``bucket`` or ``bucket/prefix``).

A scan of ``s3://bucket/prefix/`` reports the bucket as ``bucket/prefix/`` (bucket names hold no "/"); its
tree is still rooted at the bucket, and the folders above the prefix hold nothing of their own.
"""

from __future__ import annotations

from dataclasses import replace

from .model import Folder, FolderTree

__all__ = ["scope_root", "scoped"]


def scoped(tree: FolderTree, label: str) -> FolderTree:
    """The tree named after its report: ``bucket`` and ``prefix`` from ``bucket/prefix``."""
    bucket, _, prefix = label.partition("/")
    if (tree.bucket, tree.prefix) == (bucket, prefix):
        return tree
    return replace(tree, bucket=bucket, prefix=prefix)


def scope_root(tree: FolderTree) -> tuple[str, Folder]:
    """The deepest folder holding the whole scope (the prefix's folder, or the one above a partial segment),
    and its path: where a view of ``s3://bucket/prefix/`` starts."""
    node, path, rest = tree.root, "", tree.prefix
    while rest:
        head, found, _ = rest.partition(tree.delimiter)
        child = node.children.get(head + tree.delimiter) if found else None
        if child is None:
            break
        node, path, rest = child, path + child.name, rest[len(child.name) :]
    return path, node
