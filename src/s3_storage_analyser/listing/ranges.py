"""Key ranges and how to split them.

A range is ``(after, upto]``: keys strictly greater than ``after`` (S3's
StartAfter / KeyMarker) and at most ``upto`` (a bound S3 does not have, so
the client stops there itself). Consecutive ranges share a boundary, so every
key falls in exactly one range. Split points are computed in code-point space
(UTF-8 byte order equals code-point order), so they are valid keys.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class KeyRange:
    """A slice of one bucket's key space, and where listing it resumes."""

    bucket: str
    region: str
    prefix: str = ""
    after: str | None = None
    upto: str | None = None
    version_marker: str | None = None  # resume inside one key's versions
    mode: str = "objects"  # "objects" | "versions" | "uploads"
    probe: bool = False  # not to be listed: find the folders inside it, to cut it at (see SliceRunner)
    # A target's first slice: past its pages, one delimited request finds the folders; if there are at
    # most this many (and the answer is complete), the rest is listed folder by folder (``folder_pieces``).
    fan_out: int = 0

    def contains(self, key: str) -> bool:
        return (self.after is None or key > self.after) and (self.upto is None or key <= self.upto)


DEFAULT_ALPHABET = "".join(chr(c) for c in range(0x20, 0x7F))


def alphabet_of(keys: list[str]) -> str:
    """The sorted distinct characters of some keys: the digits split points are made of."""
    chars = sorted(set("".join(keys)))
    return "".join(chars) if len(chars) >= 2 else DEFAULT_ALPHABET


def midpoints(low: str, high: str, pieces: int, *, alphabet: str = DEFAULT_ALPHABET) -> list[str]:
    """Up to ``pieces - 1`` strictly increasing keys between ``low`` and ``high``.

    The arithmetic runs over the bucket's observed characters, so hex keys split
    evenly over ``0-9a-f`` rather than over all of Unicode. ``high == ""`` means
    open-ended. Fewer points come back when the interval is too narrow.
    """
    base = len(alphabet) + 2  # digit 0 = end of string, 1..n = alphabet, n+1 = past the alphabet
    common = 0
    while common < min(len(low), len(high)) and low[common] == high[common]:
        common += 1
    width = 8

    def encode(text: str, pad: int) -> int:
        value = 0
        for i in range(width):
            ch = text[common + i] if common + i < len(text) else None
            digit = pad if ch is None else min(bisect_left(alphabet, ch) + 1, base - 1)
            value = value * base + digit
        return value

    def decode(value: int) -> str:
        digits = []
        for _ in range(width):
            value, digit = divmod(value, base)
            digits.append(digit)
        chars = []
        for digit in reversed(digits):
            if digit == 0:
                break
            chars.append(alphabet[digit - 1] if digit <= len(alphabet) else chr(min(ord(alphabet[-1]) + 1, 0x10FFFF)))
        return low[:common] + "".join(chars)

    lo_value = encode(low, 0)
    hi_value = encode(high, base - 1) if high else base**width - 1
    out: list[str] = []
    for k in range(1, pieces):
        text = decode(lo_value + (hi_value - lo_value) * k // pieces)
        valid = text > low and (not high or text < high) and not any(0xD800 <= ord(c) < 0xE000 for c in text)
        if valid and (not out or text > out[-1]):
            out.append(text)
    return out


def split_at(task: KeyRange, points: list[str]) -> list[KeyRange]:
    """Cut a range at the given keys (those inside it), keeping exact coverage."""
    inside = sorted({p for p in points if task.contains(p) and p != task.upto})
    if not inside:
        return [task]
    bounds: list[str | None] = [task.after, *inside, task.upto]
    first = replace(task, upto=inside[0])  # keeps its resume position
    rest = [replace(task, after=bounds[i], upto=bounds[i + 1], version_marker=None) for i in range(1, len(bounds) - 1)]
    return [first, *rest]


def is_level(prefix: str, files: list[str], folders: list[str], delimiter: str = "/") -> bool:
    """Whether a delimited answer is one level of the tree, as S3 documents: no file holds the delimiter
    past the prefix, and each folder is the prefix, then text without it, then the delimiter once.

    Only then does every key under the prefix fall in exactly one of the files or the folders."""
    start = len(prefix)
    if any(delimiter in key[start:] for key in files):
        return False
    return all(
        folder.startswith(prefix) and folder.endswith(delimiter) and folder.find(delimiter, start) == len(folder) - 1
        for folder in folders
    )


def folder_pieces(task: KeyRange, after: str | None, folders: list[str]) -> list[KeyRange]:
    """The rest of an open-ended range past ``after``, one piece per folder, listed with Prefix=folder.

    Given a complete delimited answer past ``after`` (its files counted from it), the keys left are
    those of these folders past ``after``: each piece ends where its folder ends (S3 says so with
    IsTruncated=false), so none ends with a page of keys past it to throw away. Keys of the parent level
    that sort between or inside folders ("a.txt" < "a/" < "a0") are the answer's files, never a folder's.
    """
    assert task.upto is None and task.mode == "objects", "an open-ended range of objects only"
    if after is not None and after.startswith(task.prefix):
        cut = after.find("/", len(task.prefix))
        if cut >= 0:  # the folder ``after`` is in: S3 names it in the answer, other servers may not
            folders = sorted({after[: cut + 1], *folders})
    return [
        replace(
            task,
            prefix=folder,
            after=after if after is not None and after >= folder else None,
            version_marker=None,
            probe=False,
            fan_out=0,
        )
        for folder in folders
    ]


def spread(points: list[str], pieces: int) -> list[str]:
    """At most ``pieces - 1`` of the points, evenly spaced."""
    if pieces < 2 or not points:
        return []
    if len(points) < pieces:
        return points
    step = len(points) / pieces
    return sorted({points[int(step * k)] for k in range(1, pieces)})


def split(task: KeyRange, pieces: int, alphabet: str = DEFAULT_ALPHABET) -> list[KeyRange]:
    """Cut a range into up to ``pieces`` consecutive ranges covering exactly the same keys."""
    if pieces < 2:
        return [task]
    low = task.after if task.after is not None else task.prefix
    # The open end of a prefix's key space: the prefix followed by "past every character".
    high = task.upto if task.upto is not None else (task.prefix + chr(0x10FFFF) if task.prefix else "")
    points = [p for p in midpoints(low, high, pieces, alphabet=alphabet) if p.startswith(task.prefix)]
    if not points:
        return [task]
    bounds: list[str | None] = [task.after, *points, task.upto]
    first = replace(task, upto=points[0])  # keeps its resume position
    rest = [replace(task, after=bounds[i], upto=bounds[i + 1], version_marker=None) for i in range(1, len(bounds) - 1)]
    return [first, *rest]


def pages_left(
    first: str, last: str, upto: str | None, alphabet: str = DEFAULT_ALPHABET, *, past_all: bool = False
) -> float:
    """Roughly how many pages like the last one (``first``..``last``) fit between ``last`` and ``upto``.

    Key density is assumed even across the gap, in the bucket's alphabet: good
    enough to avoid splitting a range that is almost done (each piece costs one
    overshooting page at its end). ``past_all``: an open end (``upto`` None) is past every key,
    not only past those sharing the page's first characters.
    """
    keys = [first, last] + ([upto] if upto else [])
    common = 0
    while (upto or not past_all) and all(len(k) > common for k in keys) and len({k[common] for k in keys}) == 1:
        common += 1
    base = len(alphabet) + 2
    width = 8

    def position(text: str | None) -> int:
        if text is None:
            return int(base**width - 1)
        value = 0
        for i in range(width):
            ch = text[common + i] if common + i < len(text) else None
            value = value * base + (0 if ch is None else min(bisect_left(alphabet, ch) + 1, base - 1))
        return value

    page = position(last) - position(first)
    return float("inf") if page <= 0 else (position(upto) - position(last)) / page
