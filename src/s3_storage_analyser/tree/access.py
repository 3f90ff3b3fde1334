"""Where a folder tree comes from: a scan just made, or the history. What ``browse`` and the exports call."""

from __future__ import annotations

from dataclasses import replace

from ..errors import StoreError, UsageError
from ..model import BucketReport, Snapshot
from ..store import Store
from .codec import decode_tree
from .model import FolderTree

__all__ = ["load_tree", "tree_of", "trees_in", "with_saved_trees"]


def tree_of(report: BucketReport) -> FolderTree | None:
    """The tree of a bucket just scanned with ``--by tree`` (None: the scan did not ask for one).

    Its ``bucket`` is the report's name for the bucket: ``bucket/prefix/`` for a scan of ``s3://bucket/prefix/``,
    whose tree still starts at the bucket's root (``scope.scoped`` splits the name, ``scope.scope_root`` finds
    the prefix's folder)."""
    tree = report.usage.tree
    if tree is None:
        return None
    return tree if tree.bucket == report.bucket.name else replace(tree, bucket=report.bucket.name)


def load_tree(store: Store, snapshot_id: int, bucket: str) -> FolderTree | None:
    """A bucket's tree saved with a snapshot (None: none saved), checked as it is read; ``bucket`` is the
    report's name for it (``bucket/prefix/`` for a prefix's scan), as ``trees_in`` lists them.

    A stored tree this tool would never write raises ``StoreError`` naming the snapshot and the bucket."""
    blob = store.tree_blob(snapshot_id, bucket)
    if blob is None:
        return None
    try:
        tree = decode_tree(blob)
    except ValueError as exc:
        raise StoreError(
            f"The folder tree of bucket {bucket!r} in snapshot {snapshot_id} of {store.path} is not one this tool"
            f" stores: {exc}.",
            path=store.path,
            cause="corrupt folder tree",
        ) from exc
    return tree if tree.bucket == bucket else replace(tree, bucket=bucket)


def trees_in(store: Store, snapshot_id: int) -> list[str]:
    """The buckets of a snapshot that have a saved tree, in the snapshot's order."""
    return store.tree_buckets(snapshot_id)


def with_saved_trees(store: Store, snapshot_id: int, snapshot: Snapshot) -> Snapshot:
    """A snapshot loaded from the history, with its buckets' saved trees (``show ID --fmt ncdu``)."""
    saved = set(trees_in(store, snapshot_id))
    if not saved:
        raise UsageError(
            f"Snapshot {snapshot_id} has no folder tree.",
            hint="Save a scan made with --by tree (s3sa report s3://BUCKET --by tree --save), then show it.",
        )
    buckets = tuple(
        replace(report, usage=replace(report.usage, tree=load_tree(store, snapshot_id, report.bucket.name)))
        if report.bucket.name in saved
        else report
        for report in snapshot.buckets
    )
    return replace(snapshot, buckets=buckets)
