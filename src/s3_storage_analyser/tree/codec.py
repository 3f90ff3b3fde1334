"""A folder tree to compressed bytes and back, for the history; read back as untrusted input.

The folders are stored flat, parents first, as parallel columns (each folder names its parent's index),
not nested: a nested JSON as deep as a hostile key would overflow the decoder's recursion, and columns
are checked and parsed fastest. Storage class names are kept once and referred to by index. zlib keeps
a 100,000-folder tree to a few MB, which reopens in a fraction of a second (benchmarks/tree.py).

Every value read is checked (types, ranges, a parent before its child, names ending with the
delimiter and unique among their siblings); anything else is a ``ValueError`` naming what is wrong.
The decompressed size is bounded before it is parsed.
"""

from __future__ import annotations

import contextlib
import gc
import json
import operator
import zlib
from collections.abc import Iterator
from itertools import chain, islice, repeat
from typing import Any

from .model import Folder, FolderTree

__all__ = ["FORMAT_VERSION", "MAX_DECOMPRESSED", "decode_tree", "encode_tree", "tree_from_dict", "tree_to_dict"]

FORMAT_VERSION = 1
MAX_DECOMPRESSED = 1 << 30  # 1 GiB: far above a 100,000-folder tree, and a bound on a forged one
MAX_TIME_TEXT = 64  # a LastModified as text: "2024-01-01T00:00:00.000Z" and room to spare


def tree_to_dict(tree: FolderTree) -> dict[str, Any]:
    """The tree as plain JSON-able data (what ``encode_tree`` compresses): parallel columns, one entry per
    folder, parents first; a folder's objects and bytes are JSON objects keyed by storage class."""
    parent: list[int] = []
    name: list[str] = []
    objects: list[dict[str, int]] = []
    sizes: list[dict[str, int]] = []
    newest: list[str | None] = []
    oldest: list[str | None] = []
    folded: list[int] = []
    stack: list[tuple[int, Folder]] = [(-1, tree.root)]
    while stack:
        above, folder = stack.pop()
        index = len(parent)
        parent.append(above)
        name.append(folder.name)
        objects.append(dict(folder.objects))
        sizes.append({code: folder.bytes.get(code, 0) for code in folder.objects})
        newest.append(folder.newest)
        oldest.append(folder.oldest)
        if folder.folded:
            folded.append(index)
        stack.extend((index, child) for child in reversed(list(folder.children.values())))
    return {
        "v": FORMAT_VERSION,
        "bucket": tree.bucket,
        "prefix": tree.prefix,
        "delimiter": tree.delimiter,
        "max_folders": tree.max_folders,
        "depth": tree.depth,
        "parent": parent,
        "name": name,
        "objects": objects,
        "bytes": sizes,
        "newest": newest,
        "oldest": oldest,
        "folded": folded,
    }


def encode_tree(tree: FolderTree) -> bytes:
    """Compressed JSON (``ensure_ascii``: lone surrogates and controls in names come back exactly)."""
    text = json.dumps(tree_to_dict(tree), separators=(",", ":"))
    return zlib.compress(text.encode("ascii"), 6)


def decode_tree(blob: bytes) -> FolderTree:
    """A stored tree, checked; ``ValueError`` when it is not one this tool wrote."""
    if not isinstance(blob, bytes):
        raise ValueError(f"stored tree is {type(blob).__name__}, not bytes")
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(blob, MAX_DECOMPRESSED)
    except zlib.error as exc:
        raise ValueError(f"stored tree is not zlib data: {exc}") from exc
    if inflater.unconsumed_tail:
        raise ValueError(f"stored tree is larger than {MAX_DECOMPRESSED} bytes once decompressed")
    if not inflater.eof:
        raise ValueError("stored tree is truncated")
    try:
        data = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ValueError(f"stored tree is not JSON: {str(exc)[:120]}") from exc
    return tree_from_dict(data)


def _fail(what: str, value: object) -> ValueError:
    return ValueError(f"stored tree: {what} is {repr(value)[:60]}")  # bounded: the value is untrusted


def _column(data: dict[str, Any], name: str, kind: type, length: int | None, *, optional: bool = False) -> list[Any]:
    """A column, checked whole: a list of ``length`` values of ``kind`` (or None when ``optional``)."""
    column = data.get(name)
    if not isinstance(column, list) or (length is not None and len(column) != length):
        raise _fail(f"the column {name}", type(column).__name__)
    allowed = {kind, type(None)} if optional else {kind}
    if not set(map(type, column)) <= allowed:  # in C: no Python call per value
        raise _fail(f"a value of {name}", next(v for v in column if type(v) not in allowed))
    return column


def tree_from_dict(data: object) -> FolderTree:
    """The tree from ``tree_to_dict``'s shape, every field checked (whole columns at a time, in C where it can)."""
    with _no_gc():  # a 100,000-folder tree is ~400,000 new objects: the cyclic collector would rescan them all
        return _tree_from_dict(data)


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _tree_from_dict(data: object) -> FolderTree:
    if not isinstance(data, dict):
        raise _fail("the document", type(data).__name__)
    if data.get("v") != FORMAT_VERSION:
        raise _fail("the format version", data.get("v"))
    bucket, prefix, delimiter = data.get("bucket"), data.get("prefix", ""), data.get("delimiter")
    for what, text in (("bucket", bucket), ("prefix", prefix), ("delimiter", delimiter)):
        if not isinstance(text, str):
            raise _fail(what, text)
    assert isinstance(bucket, str) and isinstance(prefix, str) and isinstance(delimiter, str)
    if not delimiter:
        raise _fail("the delimiter", delimiter)
    depth, max_folders = data.get("depth"), data.get("max_folders", 0)
    if depth is not None and (type(depth) is not int or depth < 0):
        raise _fail("depth", depth)
    if type(max_folders) is not int or max_folders < 0:
        raise _fail("max_folders", max_folders)
    parent = _column(data, "parent", int, None)
    count = len(parent)
    if not count or parent[0] != -1 or min(parent[1:], default=0) < 0:
        raise _fail("the parents", parent[:8])
    if not all(map(operator.lt, parent[1:], range(1, count))):  # a parent before its child
        raise _fail("the parents", parent[:8])
    name = _column(data, "name", str, count)
    if name[0] != "" or not all(map(str.endswith, name[1:], repeat(delimiter))):
        raise _fail("a folder's name", next((n for n in name[1:] if not n.endswith(delimiter)), name[0]))
    if len(set(zip(parent, name, strict=True))) != count:
        raise _fail("a folder's name (twice in one folder)", "")
    objects = _column(data, "objects", dict, count)
    sizes = _column(data, "bytes", dict, count)
    if not all(map(operator.eq, map(dict.keys, objects), map(dict.keys, sizes))):
        raise _fail("the storage classes of a folder's bytes", "not those of its objects")
    for counts in (objects, sizes):  # JSON object keys are text; the values must be counts
        values = list(chain.from_iterable(map(dict.values, counts)))
        if not set(map(type, values)) <= {int} or min(values, default=0) < 0:
            raise _fail("a count", next((v for v in values if type(v) is not int or v < 0), None))
    newest = _column(data, "newest", str, count, optional=True)
    oldest = _column(data, "oldest", str, count, optional=True)
    longest = max(map(len, filter(None, chain(newest, oldest))), default=0)
    if longest > MAX_TIME_TEXT:
        raise _fail("a time", f"{longest} characters long")
    folded = _column(data, "folded", int, None)
    if folded and (min(folded) < 0 or max(folded) >= count or len(set(folded)) != len(folded)):
        raise _fail("the folded folders", folded[:8])
    folders = list(map(Folder, name, objects, sizes, newest, oldest))
    for index in folded:
        folders[index].folded = True
    children = [folder.children for folder in folders]
    rest = (islice(column, 1, None) for column in (parent, name, folders))  # the root has no parent
    for above, key, folder in zip(*rest, strict=True):
        children[above][key] = folder
    return FolderTree(
        bucket=bucket,
        root=folders[0],
        prefix=prefix,
        delimiter=delimiter,
        max_folders=max_folders,
        folded=len(folded),
        depth=depth,
    )
