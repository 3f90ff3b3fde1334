"""Strategies turn a list of buckets into per-bucket reports or failures.

A strategy never prints, formats or stores: it yields data, one bucket at a time,
so the caller can show progress, merge partial results and keep going past a
bucket that failed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from ..model import Bucket, BucketReport, Failure, Notice


class Strategy(Protocol):
    """One way of measuring buckets."""

    name: str

    def collect(self, buckets: Sequence[Bucket]) -> Iterator[BucketReport | Failure | Notice]:
        """Yield one report or one failure for every bucket given (and notices about them)."""
        ...


STRATEGY_NAMES: tuple[str, ...] = ("cloudwatch", "list", "inventory")
