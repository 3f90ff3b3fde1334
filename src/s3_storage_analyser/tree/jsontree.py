"""``--fmt tree-json``: every folder of every bucket's tree, for scripts (``jq``), exact.

Flat, not nested (a nested document as deep as a hostile key would overflow JSON readers): each
bucket's ``Folders`` list its folders parents first, children in name order, each with its full
``Path`` (the key prefix; "" is the bucket's root), its ``Depth``, its own objects and bytes per
storage class, the totals with everything below it, and its newest and oldest LastModified. Keys are
exact and inert (``jsonfmt.dumps``).
"""

from __future__ import annotations

from typing import Any

from ..model import Snapshot
from ..render.columns import format_instant
from ..render.jsonfmt import dumps
from .model import FolderTree
from .scope import scoped
from .walk import placed_folders

__all__ = ["render_tree_json", "tree_dict"]


def tree_dict(tree: FolderTree) -> dict[str, Any]:
    """One bucket's tree as the ``tree-json`` format writes it."""
    folders = []
    for placed in placed_folders(tree.root):
        folder, totals = placed.folder, placed.totals
        folders.append(
            {
                "Path": placed.path,
                "Depth": placed.depth,
                "Files": folder.own_objects,
                "Bytes": folder.own_bytes,
                "FilesByClass": dict(sorted(folder.objects.items())),
                "BytesByClass": dict(sorted(folder.bytes.items())),
                "Newest": folder.newest,
                "Oldest": folder.oldest,
                "TotalFiles": totals.total_objects,
                "TotalBytes": totals.total_bytes,
                "TotalNewest": totals.newest,
                "TotalOldest": totals.oldest,
                "Folders": totals.folders - 1,
                "Folded": folder.folded,
            }
        )
    return {
        "Bucket": tree.bucket,
        "Prefix": tree.prefix,
        "Delimiter": tree.delimiter,
        "MaxFolders": tree.max_folders,
        "FoldedFolders": tree.folded,
        "FoldedBelowDepth": tree.depth,
        "Folders": folders,
    }


def render_tree_json(snapshot: Snapshot) -> str:
    """The trees of the snapshot's buckets that have one (one JSON document)."""
    trees = []
    for report in snapshot.buckets:
        tree = report.usage.tree
        if tree is not None:
            trees.append(tree_dict(scoped(tree, report.bucket.name)))
    failed = [failure.bucket for failure in snapshot.failures if failure.bucket]
    return dumps({"TakenAt": format_instant(snapshot.taken_at), "Buckets": trees, "FailedBuckets": failed}) + "\n"
