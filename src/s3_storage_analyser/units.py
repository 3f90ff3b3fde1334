"""Byte units for display. Only the terminal table and ``--unit`` use this module.

Units are 1024-based, as in 0.1: ``KB`` means KiB, ``MB`` means MiB. With ``--si`` they are
powers of 1000 (``kB``, ``MB``, ``GB``... as disks and bills count): such a unit is written
``si:GB`` inside the tool (``si:auto`` humanised), so a renderer can tell which one it shows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

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
_SI = ("B", "kB", "MB", "GB", "TB", "PB", "EB")
SI_PREFIX = "si:"


def parse_unit(raw: str) -> str:
    """Validate a ``--unit`` value (case-insensitive) and return its canonical spelling."""
    for choice in UNIT_CHOICES:
        if raw.strip().lower() == choice.lower():
            return choice
    raise UsageError(
        f"Unknown unit {raw!r}.",
        hint=f"Use one of: {', '.join(UNIT_CHOICES)} (1024-based, as in 0.1; add --si for powers of 1000).",
    )


def si_unit(unit: str | None) -> str:
    """The SI form of a parsed unit (None: humanised)."""
    return SI_PREFIX + (unit or "auto")


def unit_label(unit: str) -> str:
    """How a unit is named in a table header: ``GB`` (1024-based, as in 0.1) or ``GB SI``."""
    if unit.startswith(SI_PREFIX):
        base = unit.removeprefix(SI_PREFIX)
        return f"{'kB' if base == 'KB' else base} SI"
    return unit


def humanise_si(num_bytes: int) -> str:
    """``1288490188`` -> ``"1.3 GB"`` (powers of 1000); exact below 1 kB."""
    return _humanise(num_bytes, 1000, _SI)


def _humanise(num_bytes: int, base: int, suffixes: Sequence[str]) -> str:
    """The largest suffix that keeps the value under ``base``; one decimal below 100."""
    if num_bytes < base:
        return f"{num_bytes} B"
    value = float(num_bytes)
    for suffix in suffixes[1:]:
        value /= base
        if value < base or suffix == suffixes[-1]:
            return f"{value:.1f} {suffix}" if value < 100 else f"{value:.0f} {suffix}"
    raise AssertionError("unreachable")


_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*$")


def parse_size(raw: str, *, si: bool = False, flag: str = "--min-size") -> int:
    """``1GB`` -> bytes: ``KB``..``PB`` as ``--unit`` counts them (1024-based, powers of 1000 with ``si``),
    ``KiB``..``PiB`` always 1024-based, ``kB`` with ``si``; a bare number is bytes."""
    found = _SIZE.match(raw)
    suffix = (found.group(2).lower() or "b") if found else ""
    binary = {name.lower(): factor for name, factor in UNITS.items()}
    iec = {name.lower(): 1024**power for power, name in enumerate(_IEC[:6])}
    factor = 1000 ** list(binary).index(suffix) if si and suffix in binary else binary.get(suffix, iec.get(suffix))
    if found is None or factor is None:
        raise UsageError(
            f"{flag} {raw!r} is not a size.",
            hint="Give a number and a unit, e.g. 500MB, 1GB or 1.5TiB (KB..PB 1024-based, powers of 1000 with --si).",
        )
    return int(float(found.group(1)) * factor)


def humanise(num_bytes: int) -> str:
    """``1288490188`` -> ``"1.2 GiB"``; exact below 1 KiB."""
    return _humanise(num_bytes, 1024, _IEC)


def in_unit(num_bytes: int, unit: str) -> str:
    """Bytes expressed in a fixed unit, two decimals as in 0.1 (exact for ``B``)."""
    si = unit.startswith(SI_PREFIX)
    unit = unit.removeprefix(SI_PREFIX)
    if unit == "B":
        return str(num_bytes)
    if unit == "auto":  # a UNIT_CHOICES value too: --fmt tsv --unit auto crashed with KeyError
        return humanise_si(num_bytes) if si else humanise(num_bytes)
    factor = 1000 ** list(UNITS).index(unit) if si else UNITS[unit]
    return f"{num_bytes / factor:.2f}"


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 bucket``, ``2 buckets``, ``1,000 buckets``: a count and its noun, agreeing."""
    return f"{count:,} {noun if count == 1 else (nouns or noun + 's')}"
