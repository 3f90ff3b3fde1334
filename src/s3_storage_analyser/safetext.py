"""Text from outside the tool (keys, bucket names, servers' messages) made safe to show.

S3 keys may hold any character, and an S3-compatible server's error message
may hold anything at all. Printed raw, an escape sequence rewrites the user's
terminal, a bidi override reorders what they read, and a lone surrogate cannot
be encoded. ``printable`` is what every human-facing output (the terminal
table, stderr messages, pages) passes outside text through; machine formats
escape in their own syntax instead and keep the key exact.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, bidi marks/embeddings/overrides/isolates, and lone surrogates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control, bidi and surrogate character shown as a visible escape (``\\x1b``)."""
    return _UNSAFE.sub(_escape, text) if _UNSAFE.search(text) else text


def has_unsafe(text: str) -> bool:
    """Whether ``printable`` would change ``text``."""
    return _UNSAFE.search(text) is not None
