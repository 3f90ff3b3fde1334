"""Growth between two snapshots, per bucket and per storage class (pure, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass

from .model import Snapshot, Usage
from .storage_classes import sort_classes

ALL_CLASSES = "ALL"


@dataclass(frozen=True)
class DiffRow:
    """One bucket (storage_class ALL) or one bucket's storage class, before and after."""

    bucket: str
    storage_class: str
    bytes_before: int
    bytes_after: int
    objects_before: int | None = None
    objects_after: int | None = None
    account: str = ""  # the bucket's account when either snapshot is of several accounts (the newer side's)

    @property
    def bytes_change(self) -> int:
        return self.bytes_after - self.bytes_before


def diff(before: Snapshot, after: Snapshot) -> list[DiffRow]:
    """Every bucket's total and class rows, largest absolute change first.

    A bucket missing from one side counts as empty there (created or deleted
    between the snapshots); a bucket that failed on either side is left out,
    because its change is unknown, and so is every bucket of an account not
    covered on either side (its buckets are missing, not deleted).
    """
    failed = {f.bucket for f in (*before.failures, *after.failures)}
    lost = {a.id for a in (*before.accounts, *after.accounts) if not a.covered}
    lost |= {f.account for f in (*before.failures, *after.failures) if not f.bucket and f.account}
    account = {r.bucket.name: r.bucket.account for r in (*before.buckets, *after.buckets)}
    old = {r.bucket.name: r.usage for r in before.buckets}
    new = {r.bucket.name: r.usage for r in after.buckets}
    rows: list[DiffRow] = []
    for name in sorted((old.keys() | new.keys()) - failed):
        if account[name] in lost:
            continue
        a, b = old.get(name, Usage()), new.get(name, Usage())
        rows.append(DiffRow(name, ALL_CLASSES, a.bytes, b.bytes, a.objects, b.objects, account[name]))
        for code in sort_classes(set(a.bytes_by_class) | set(b.bytes_by_class)):
            rows.append(
                DiffRow(
                    name,
                    code,
                    a.bytes_by_class.get(code, 0),
                    b.bytes_by_class.get(code, 0),
                    a.objects_by_class.get(code) if a.objects_by_class else None,
                    b.objects_by_class.get(code) if b.objects_by_class else None,
                    account[name],
                )
            )
    rows.sort(key=lambda r: (-abs(r.bytes_change), r.bucket, r.storage_class != ALL_CLASSES, r.storage_class))
    return rows
