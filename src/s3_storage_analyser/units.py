"""Byte units for display. Only the terminal table and ``--unit`` use this module.

Units are 1024-based, as in the seed: ``KB`` means KiB, ``MB`` means MiB.
"""

from __future__ import annotations

from .errors import UsageError

UNITS: dict[str, int] = {
    "B": 1,
    "KB": 1024,
    "MB": 1024**2,
    "GB": 1024**3,
    "TB": 1024**4,
    "PB": 1024**5,
}
UNIT_CHOICES: tuple[str, ...] = ("B", "KB", "MB", "GB", "TB", "PB", "auto")
_IEC = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def parse_unit(raw: str) -> str:
    """Validate a ``--unit`` value (case-insensitive) and return its canonical spelling."""
    for choice in UNIT_CHOICES:
        if raw.strip().lower() == choice.lower():
            return choice
    raise UsageError(
        f"Unknown unit {raw!r}.",
        hint=f"Use one of: {', '.join(UNIT_CHOICES)} (1024-based, as in 0.1).",
    )


def humanise(num_bytes: int) -> str:
    """``1288490188`` -> ``"1.2 GiB"``; exact below 1 KiB."""
    if num_bytes < 1024:
        return f"{num_bytes} B"
    value = float(num_bytes)
    for suffix in _IEC[1:]:
        value /= 1024
        if value < 1024 or suffix == _IEC[-1]:
            return f"{value:.1f} {suffix}" if value < 100 else f"{value:.0f} {suffix}"
    raise AssertionError("unreachable")


def in_unit(num_bytes: int, unit: str) -> str:
    """Bytes expressed in a fixed unit, two decimals as in the seed (exact for ``B``)."""
    if unit == "B":
        return str(num_bytes)
    if unit == "auto":  # a UNIT_CHOICES value too: --fmt tsv --unit auto crashed with KeyError
        return humanise(num_bytes)
    return f"{num_bytes / UNITS[unit]:.2f}"


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 bucket``, ``2 buckets``, ``1,000 buckets``: a count and its noun, agreeing."""
    return f"{count:,} {noun if count == 1 else (nouns or noun + 's')}"
