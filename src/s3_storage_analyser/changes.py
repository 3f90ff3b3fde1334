"""How the totals changed: since the previous snapshot and over 7 and 30 days, like against like.

A change is only ever measured against a snapshot of the same strategy: CloudWatch's daily metrics,
a listing and an inventory report measure different things (and at different times), so a difference
between two of them is not growth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from .store import SnapshotSummary

PERIODS: tuple[tuple[str, str, timedelta | None], ...] = (
    ("previous", "The previous snapshot", None),
    ("7d", "7 days before", timedelta(days=7)),
    ("30d", "30 days before", timedelta(days=30)),
)


@dataclass(frozen=True)
class Change:
    key: str
    label: str
    baseline: SnapshotSummary | None  # None: no snapshot of the same strategy that old

    def bytes(self, latest: SnapshotSummary) -> int | None:
        return None if self.baseline is None else latest.bytes - self.baseline.bytes

    def objects(self, latest: SnapshotSummary) -> int | None:
        return None if self.baseline is None else latest.objects - self.baseline.objects


def baselines(rows: Sequence[SnapshotSummary], latest: SnapshotSummary) -> list[Change]:
    """For each period, the newest earlier snapshot of ``latest``'s strategy taken at least that long before."""
    earlier = sorted(
        (r for r in rows if r.strategy == latest.strategy and r.id != latest.id and r.taken_at <= latest.taken_at),
        key=lambda r: (r.taken_at, r.id),
        reverse=True,
    )
    out = []
    for key, label, age in PERIODS:
        cutoff = latest.taken_at - age if age is not None else latest.taken_at
        found = next((r for r in earlier if r.taken_at <= cutoff), None)
        out.append(Change(key, label, found))
    return out
