"""A folder tree to compressed bytes and back, for the history; read back as untrusted input.

The folders are stored flat, parents first (each row names its parent's row), not nested: a nested
JSON as deep as a hostile key would overflow the decoder's recursion. Storage class names are kept
once in a table and referred to by index. zlib keeps a 100,000-folder tree to a few MB.

Every value read is checked (types, ranges, a parent before its child, names ending with the
delimiter and unique among their siblings); anything else is a ``ValueError`` naming what is wrong.
The decompressed size is bounded before it is parsed.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from .model import Folder, FolderTree

__all__ = ["FORMAT_VERSION", "MAX_DECOMPRESSED", "decode_tree", "encode_tree", "tree_from_dict", "tree_to_dict"]

FORMAT_VERSION = 1
MAX_DECOMPRESSED = 1 << 30  # 1 GiB: far above a 100,000-folder tree, and a bound on a forged one
MAX_TIME_TEXT = 64  # a LastModified as text: "2024-01-01T00:00:00.000Z" and room to spare


def tree_to_dict(tree: FolderTree) -> dict[str, Any]:
    """The tree as plain JSON-able data (what ``encode_tree`` compresses)."""
    classes: dict[str, int] = {}
    rows: list[list[Any]] = []
    stack: list[tuple[int, Folder]] = [(-1, tree.root)]
    while stack:
        parent, folder = stack.pop()
        counts: list[Any] = []
        for code, objects in folder.objects.items():
            counts += [classes.setdefault(code, len(classes)), objects, folder.bytes.get(code, 0)]
        index = len(rows)
        rows.append([parent, folder.name, folder.newest, folder.oldest, int(folder.folded), counts])
        stack.extend((index, child) for child in reversed(list(folder.children.values())))
    return {
        "v": FORMAT_VERSION,
        "bucket": tree.bucket,
        "prefix": tree.prefix,
        "delimiter": tree.delimiter,
        "max_folders": tree.max_folders,
        "folded": tree.folded,
        "depth": tree.depth,
        "classes": list(classes),
        "folders": rows,
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


def _count(value: object, what: str) -> int:
    if type(value) is not int or value < 0:
        raise _fail(what, value)
    return value


def _time(value: object, what: str) -> str | None:
    if value is None or (isinstance(value, str) and len(value) <= MAX_TIME_TEXT):
        return value
    raise _fail(what, value)


def tree_from_dict(data: object) -> FolderTree:
    """The tree from ``tree_to_dict``'s shape, every field checked."""
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
    depth = data.get("depth")
    if depth is not None:
        _count(depth, "depth")
    classes = data.get("classes")
    if not isinstance(classes, list) or not all(isinstance(code, str) for code in classes):
        raise _fail("the storage classes", classes)
    rows = data.get("folders")
    if not isinstance(rows, list) or not rows:
        raise _fail("the folders", type(rows).__name__)
    folders: list[Folder] = []
    folded = 0
    for index, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != 6:
            raise _fail(f"folder {index}", row)
        parent, name, newest, oldest, flag, counts = row
        if type(parent) is not int or not (parent == -1 if index == 0 else 0 <= parent < index):
            raise _fail(f"folder {index}'s parent", parent)
        if not isinstance(name, str) or (name != "" if index == 0 else not name.endswith(delimiter)):
            raise _fail(f"folder {index}'s name", name)
        if flag not in (0, 1) or type(flag) is not int:
            raise _fail(f"folder {index}'s folded flag", flag)
        if not isinstance(counts, list) or len(counts) % 3:
            raise _fail(f"folder {index}'s counts", counts)
        folder = Folder(name, newest=_time(newest, "a newest time"), oldest=_time(oldest, "an oldest time"))
        folder.folded = bool(flag)
        folded += flag
        for at in range(0, len(counts), 3):
            code, objects, size = counts[at : at + 3]
            if type(code) is not int or not 0 <= code < len(classes) or classes[code] in folder.objects:
                raise _fail(f"folder {index}'s storage class", code)
            folder.objects[classes[code]] = _count(objects, "a count of objects")
            folder.bytes[classes[code]] = _count(size, "a count of bytes")
        if index:
            siblings = folders[parent].children
            if name in siblings:
                raise _fail(f"folder {index}'s name (twice in one folder)", name)
            siblings[name] = folder
        folders.append(folder)
    return FolderTree(
        bucket=bucket,
        root=folders[0],
        prefix=prefix,
        delimiter=delimiter,
        max_folders=_count(data.get("max_folders", 0), "max_folders"),
        folded=folded,
        depth=depth,
    )
