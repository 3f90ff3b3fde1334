"""``--fmt ncdu``: the folder trees in ncdu's JSON export format, for ``ncdu -f FILE``.

The format (https://dev.yorhel.nl/ncdu/jsonfmt): ``[1, 2, {metadata}, <directory>]``, where a directory
is an array of its own info object followed by its entries, an array for each sub-directory and an
object for each file. A folder is a directory named by its segment (without the delimiter); its own
objects are one file entry named ``(N objects)`` whose apparent size and disk usage are their bytes, and
whose ``mtime`` (shown by ``ncdu -e``) is the newest LastModified. One bucket is the root
(``s3://bucket``, or ``s3://bucket/prefix/`` from the prefix's folder for a scan of a prefix); several are
directories of an ``s3://`` root, and a bucket that failed is one marked with a read error.

Names are for ncdu's screen, which prints them raw: controls, bidi marks and surrogates are written as
visible escapes (``safetext.printable``), an empty segment (``a//b``) as ``(empty)``. The text is written
without recursion, however deep the tree.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from .. import __version__
from ..model import Snapshot
from ..safetext import printable
from .model import Folder, FolderTree
from .scope import scope_root, scoped
from .walk import events

__all__ = ["EMPTY_NAME", "own_objects_name", "render_ncdu", "tree_ncdu_entries"]

EMPTY_NAME = "(empty)"


def _text(value: object) -> str:
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


def _epoch(moment: str | None) -> int | None:
    """A LastModified as Unix seconds (ncdu's ``mtime``), None when missing or not ISO 8601."""
    if not moment:
        return None
    try:
        parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    except ValueError:
        return None
    return max(int((parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()), 0)


def own_objects_name(folder: Folder) -> str:
    """The file entry standing for a folder's own objects."""
    count = folder.own_objects
    noun = "object" if count == 1 else "objects"
    return f"({count:,} {noun}, deeper folders folded in)" if folder.folded else f"({count:,} {noun})"


def _folder_name(folder: Folder, delimiter: str) -> str:
    segment = folder.name[: len(folder.name) - len(delimiter)] if folder.name.endswith(delimiter) else folder.name
    return printable(segment) or EMPTY_NAME


def tree_ncdu_entries(tree: FolderTree, root_name: str) -> list[str]:
    """The tree (from its scope's folder: ``scope_root``) as ncdu's directory array, in pieces of JSON text."""
    out: list[str] = []
    _path, top = scope_root(tree)
    for event, folder in events(top):
        if folder is None:
            out.append("]")
            continue
        if folder is top:  # every other directory follows its parent's info, a file or a sibling
            out.append("[" + _text({"name": root_name}))
        else:
            out.append(",[" + _text({"name": _folder_name(folder, tree.delimiter)}))
        if folder.objects or folder.folded:
            size = folder.own_bytes
            entry: dict[str, object] = {"name": own_objects_name(folder), "asize": size, "dsize": size}
            mtime = _epoch(folder.newest)
            if mtime is not None:
                entry["mtime"] = mtime
            out.append("," + _text(entry))
        assert event == "enter"
    return out


def render_ncdu(snapshot: Snapshot) -> str:
    """The export of every bucket of the snapshot that has a tree."""
    meta = {
        "progname": "s3-storage-analyser",
        "progver": __version__,
        "timestamp": int(snapshot.taken_at.timestamp()),
    }
    trees = [scoped(report.usage.tree, report.bucket.name) for report in snapshot.buckets if report.usage.tree]
    pieces = ["[1,2,", _text(meta), ","]
    if len(trees) == 1 and not snapshot.failures:
        tree = trees[0]
        path = scope_root(tree)[0]
        pieces += tree_ncdu_entries(tree, f"s3://{printable(tree.bucket)}" + (f"/{printable(path)}" if path else ""))
    else:
        pieces.append("[" + _text({"name": "s3://"}))
        for tree in trees:
            path = scope_root(tree)[0]
            pieces.append(",")
            pieces += tree_ncdu_entries(tree, printable(tree.bucket + (f"/{path}" if path else "")) or EMPTY_NAME)
        for failure in snapshot.failures:
            if failure.bucket:
                pieces.append(",[" + _text({"name": printable(failure.bucket), "read_error": True}) + "]")
        pieces.append("]")
    pieces.append("]\n")
    return "".join(pieces)
