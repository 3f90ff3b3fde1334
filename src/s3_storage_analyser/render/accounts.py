"""The accounts of a scan of several accounts, as every renderer groups and totals them.

A snapshot with no ``accounts`` is a one-account scan: nothing here is called for it and no output names
an account. Otherwise each account is a group: its buckets in the report's order (``--sort`` sorts within
the account, ``--min-size`` leaves buckets out before grouping), accounts in id order, and its totals the
exact sums of the buckets shown under it, so the subtotals add up to the grand total. An account a bucket
names but the snapshot does not list still gets its group (covered), so no bucket is left out of a total.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import BucketReport, Failure, Snapshot
from ..pricing.cost import SnapshotCost
from .costs import ShownCost, bucket_cost

MAX_REASON = 200  # characters of an AWS message in the "not covered" line (the JSON keeps it whole)


@dataclass(frozen=True)
class AccountGroup:
    """One account: who it is, whether it was covered, its buckets (as the report shows them) and failures."""

    id: str
    name: str
    covered: bool
    buckets: tuple[BucketReport, ...]
    failures: tuple[Failure, ...]  # of the whole account (bucket ""): why it was not covered

    @property
    def bytes(self) -> int:
        return sum(r.usage.bytes for r in self.buckets)

    @property
    def objects(self) -> int:
        return sum(r.usage.objects for r in self.buckets)

    def cost(self, cost: SnapshotCost) -> ShownCost:
        """The account's monthly cost: the sum of its bucket lines (unknown if any of them is)."""
        return ShownCost(tuple(bucket_cost(cost, r) for r in self.buckets), cost)


def names(snapshot: Snapshot) -> dict[str, str]:
    """Account id -> name ("" when unknown)."""
    return {a.id: a.name for a in snapshot.accounts}


def label(account_id: str, name: str | None) -> str:
    """How a person reads an account: ``111111111111 (prod)``, the id alone when the name is unknown."""
    return f"{account_id} ({name})" if name else account_id


def groups(snapshot: Snapshot) -> list[AccountGroup]:
    """Every account the snapshot lists or a bucket names, in id order, each with its buckets and failures."""
    listed = {a.id: a for a in snapshot.accounts}
    buckets: dict[str, list[BucketReport]] = {}
    for report in snapshot.buckets:  # one pass: thousands of accounts x buckets stay linear
        buckets.setdefault(report.bucket.account, []).append(report)
    failures: dict[str, list[Failure]] = {}
    for failure in snapshot.failures:
        if not failure.bucket:
            failures.setdefault(failure.account, []).append(failure)
    out = []
    for account_id in sorted(listed.keys() | buckets.keys()):
        account = listed.get(account_id)
        out.append(
            AccountGroup(
                account_id,
                account.name if account is not None else "",
                account.covered if account is not None else True,
                tuple(buckets.get(account_id, ())),
                tuple(failures.get(account_id, ())),
            )
        )
    return out


def covered_count(snapshot: Snapshot) -> tuple[int, int]:
    """(covered, found) of the accounts the scan set out to cover."""
    return sum(a.covered for a in snapshot.accounts), len(snapshot.accounts)


def _reason(group: AccountGroup) -> str:
    failure = group.failures[0] if group.failures else None
    if failure is None:
        return "no reason recorded"
    message = " ".join(failure.message.split())
    if len(message) > MAX_REASON:
        message = message[: MAX_REASON - 1] + "…"
    return f"{failure.error}: {message}" if message else failure.error


def coverage_line(snapshot: Snapshot) -> str:
    """``Accounts: 4 of 6 covered; not covered: 333333333333 (AccessDenied: ...)`` (raw: the caller escapes)."""
    covered, found = covered_count(snapshot)
    line = f"Accounts: {covered:,} of {found:,} covered"
    missing = [g for g in groups(snapshot) if not g.covered]
    if missing:
        line += "; not covered: " + "; ".join(f"{label(g.id, g.name)} ({_reason(g)})" for g in missing)
    return line + "."


def account_failures(snapshot: Snapshot) -> tuple[Failure, ...]:
    """Failures of whole accounts (bucket ""), as opposed to a bucket's."""
    return tuple(f for f in snapshot.failures if not f.bucket and f.account)
