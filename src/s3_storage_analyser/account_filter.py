"""One snapshot seen through ``--account`` (``?account=``): only the buckets, failures and accounts of those ids.

``history``, ``show``, ``diff`` and the service filter a stored snapshot of several accounts with
``only_accounts``; its cost is the whole snapshot's, priced once, with only those buckets' lines kept
(``account_cost``): volume tiers apply to a region's whole volume as billed, so an account priced on its
own would differ slightly from its share of the bill.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from .errors import UsageError
from .model import Snapshot
from .safetext import printable

if TYPE_CHECKING:
    from .pricing.book import PriceBook
    from .pricing.cost import SnapshotCost
    from .render.costs import CostSummary
    from .store import Store

ACCOUNT_ID = re.compile(r"[0-9]{12}")
ACCOUNT_ID_PATTERN = "^[0-9]{12}$"  # the same rule, as OpenAPI's ``pattern``
ACCOUNT_HELP = "Only this account of the history (12 digits, repeatable)."
MAX_ACCOUNTS = 1000  # --account given more often than this is a mistake, not a filter
SHOWN_KNOWN = 20  # the accounts an unknown-account message lists


def parse_account_ids(values: Iterable[str], *, name: str = "--account") -> tuple[str, ...]:
    """The ids as given (duplicates dropped, order kept); anything but 12 digits is a usage error naming ``name``."""
    ids: list[str] = []
    for value in values:
        if not isinstance(value, str) or not ACCOUNT_ID.fullmatch(value):
            raise UsageError(
                f"{name} takes an AWS account id of 12 digits, not {_shown(str(value))!r}.",
                hint=f"For example {name} 123456789012 (repeat it for several accounts).",
            )
        ids.append(value)
    unique = tuple(dict.fromkeys(ids))
    if len(unique) > MAX_ACCOUNTS:
        raise UsageError(f"{name} is given {len(unique)} times; at most {MAX_ACCOUNTS} accounts can be asked for.")
    return unique


def only_accounts(snapshot: Snapshot, ids: Iterable[str]) -> Snapshot:
    """The buckets, failures, accounts and bucket notices of the accounts ``ids``; the rest as it was.

    A one-account snapshot (buckets of account "") keeps nothing: it names no account.
    """
    keep = frozenset(ids)
    buckets = tuple(r for r in snapshot.buckets if r.bucket.account in keep)
    names = {r.bucket.name for r in buckets}
    failed = {f.bucket for f in snapshot.failures if f.account in keep and f.bucket}
    return replace(
        snapshot,
        buckets=buckets,
        failures=tuple(f for f in snapshot.failures if f.account in keep),
        notices=tuple(n for n in snapshot.notices if n.bucket in names or n.bucket in failed),
        accounts=tuple(a for a in snapshot.accounts if a.id in keep),
    )


def account_cost(whole: SnapshotCost | None, filtered: Snapshot) -> SnapshotCost | None:
    """The whole snapshot's cost with only ``filtered``'s bucket lines: each line exactly as in the whole."""
    return None if whole is None else whole.only(r.bucket.name for r in filtered.buckets)


def covers(snapshot: Snapshot, ids: Iterable[str]) -> bool:
    """Whether ``snapshot`` set out to cover any of ``ids`` (an ``accounts`` entry) or holds a bucket of one."""
    keep = frozenset(ids)
    return any(a.id in keep for a in snapshot.accounts) or any(r.bucket.account in keep for r in snapshot.buckets)


def _shown(text: str, limit: int = 40) -> str:
    return printable(text[:limit]) + ("..." if len(text) > limit else "")


def unknown_message(unknown: Sequence[str], known: Sequence[str], more: int) -> UsageError:
    """The error for ids the history has no bucket or account entry of, listing (a bounded few of) those it has.

    The ids listed come from the file (a forged one may hold anything): each shown escaped and cut short.
    """
    listed = ", ".join(_shown(k) for k in known) if known else "none (its snapshots are of one account)"
    if more > 0:
        listed += f" and {more} more"
    plural = "accounts" if len(unknown) > 1 else "account"
    return UsageError(
        f"The history has no {plural} {', '.join(unknown)}.",
        hint=f"It has these accounts: {listed}.",
    )


def require_known(store: Store, ids: Sequence[str]) -> None:
    """Refuse (a usage error) ids the history has no bucket or ``accounts`` entry of: most likely a typo."""
    unknown = store.unknown_accounts(ids) if ids else []
    if unknown:
        known, more = store.account_ids(SHOWN_KNOWN)
        raise unknown_message(unknown, known, more)


def price_account_history(
    snapshot_ids: Iterable[int], load: Callable[[int], Snapshot], book: PriceBook, ids: Sequence[str]
) -> dict[int, CostSummary]:
    """``history --account``'s costs: each snapshot priced whole, summed over those accounts' bucket lines."""
    from .pricing.cost import cost_snapshot
    from .render.costs import CostSummary

    out: dict[int, CostSummary] = {}
    for snapshot_id in snapshot_ids:
        whole = load(snapshot_id)
        cost = account_cost(cost_snapshot(whole, book), only_accounts(whole, ids))
        assert cost is not None
        out[snapshot_id] = CostSummary.of(cost)
    return out
