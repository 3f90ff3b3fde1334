"""Text from outside the tool (keys, bucket names, servers' messages) made safe to show.

S3 keys may hold any character, and an S3-compatible server's error message
may hold anything at all. Printed raw, an escape sequence rewrites the user's
terminal, a bidi override reorders what they read, and a lone surrogate cannot
be encoded. ``printable`` is what every human-facing output (the terminal
table, stderr messages, pages) passes outside text through; machine formats
escape in their own syntax instead and keep the key exact (``escape_tsv`` here,
JSON's ``\\uXXXX`` in render/jsonfmt).
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, bidi marks/embeddings/overrides/isolates, the Unicode line and
# paragraph separators (line breaks to str.splitlines and old JavaScript), and surrogates.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

# TSV: the same characters, plus the backslash that starts every escape (so decoding is exact).
_TSV_UNSAFE = re.compile(
    "[\\\\\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_TSV_SHORT = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_TSV_ESCAPE = re.compile(r"\\(?:\\|t|n|r|x[0-9a-f]{2}|u[0-9a-f]{4})")
_TSV_LONG = {"\\\\": "\\", "\\t": "\t", "\\n": "\n", "\\r": "\r"}


def _visible(code: int) -> str:
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _escape(match: re.Match[str]) -> str:
    return _visible(ord(match.group()))


def printable(text: str) -> str:
    """``text`` with every control, bidi and surrogate character shown as a visible escape (``\\x1b``)."""
    return UNSAFE.sub(_escape, text) if UNSAFE.search(text) else text


def has_unsafe(text: str) -> bool:
    """Whether ``printable`` would change ``text``."""
    return UNSAFE.search(text) is not None


def _tsv_escape(match: re.Match[str]) -> str:
    char = match.group()
    return _TSV_SHORT.get(char) or _visible(ord(char))


def escape_tsv(text: str) -> str:
    """One TSV field: ``\\\\``, ``\\t``, ``\\n``, ``\\r``, other unsafe characters as ``\\xNN``/``\\uNNNN``.

    Every backslash in the result starts an escape, so ``unescape_tsv`` gives the
    text back exactly, and a field never holds a tab, a line break or an escape
    sequence. Text without backslashes or unsafe characters is unchanged.
    """
    return _TSV_UNSAFE.sub(_tsv_escape, text) if _TSV_UNSAFE.search(text) else text


def _tsv_unescape(match: re.Match[str]) -> str:
    token = match.group()
    return _TSV_LONG.get(token) or chr(int(token[2:], 16))


def unescape_tsv(field: str) -> str:
    """The exact text of one field written by ``escape_tsv``."""
    return _TSV_ESCAPE.sub(_tsv_unescape, field) if "\\" in field else field
