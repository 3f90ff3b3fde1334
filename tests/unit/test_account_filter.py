"""only_accounts and its cost: what --account (?account=) keeps of a stored snapshot, priced as in the whole bill."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from s3_storage_analyser.account_filter import (
    account_cost,
    covers,
    only_accounts,
    parse_account_ids,
    unknown_message,
)
from s3_storage_analyser.errors import UsageError
from s3_storage_analyser.model import Account, Bucket, BucketReport, Failure, Notice, Usage
from s3_storage_analyser.pricing.book import PriceBook, book
from s3_storage_analyser.pricing.cost import cost_snapshot
from s3_storage_analyser.pricing.shipped import shipped_table
from support.account_snapshots import A1, A2, A3, one_account, two_accounts


@pytest.fixture(scope="module")
def prices() -> PriceBook:
    return book([shipped_table()])


def test_keeps_only_those_accounts_buckets_failures_accounts_and_notices() -> None:
    whole = two_accounts()
    only = only_accounts(whole, [A2])
    assert [r.bucket.name for r in only.buckets] == ["a2-media"]
    assert [(f.bucket, f.account) for f in only.failures] == [("a2-locked", A2)]
    assert only.accounts == (Account(A2, "media"),)
    assert only.notices == (Notice("a2-media", "stale too"),)
    assert (only.strategy, only.taken_at, only.breakdowns) == (whole.strategy, whole.taken_at, whole.breakdowns)
    assert only.total.bytes == 7 * 2**30 and only.total.objects == 5


def test_an_account_that_failed_keeps_its_failure_and_no_bucket() -> None:
    only = only_accounts(two_accounts(), [A3])
    assert only.buckets == ()
    assert [(f.stage, f.error, f.account) for f in only.failures] == [("assume-role", "AccessDenied", A3)]
    assert only.accounts == (Account(A3, "sandbox", covered=False),)


def test_several_accounts_keep_the_snapshots_order() -> None:
    only = only_accounts(two_accounts(), [A2, A1])
    assert [r.bucket.name for r in only.buckets] == ["a1-data", "a1-logs", "a2-media"]
    assert [a.id for a in only.accounts] == [A1, A2]


def test_a_one_account_snapshot_names_no_account_and_keeps_nothing() -> None:
    snapshot = one_account()
    assert only_accounts(snapshot, [A1]).buckets == ()
    assert not covers(snapshot, [A1])
    assert covers(two_accounts(), [A3])  # an accounts entry is enough, with no bucket
    assert not covers(two_accounts(), ["444444444444"])


def test_the_cost_lines_are_the_whole_bills_lines_for_those_buckets(prices: PriceBook) -> None:
    whole = two_accounts()
    whole_cost = cost_snapshot(whole, prices)
    only = only_accounts(whole, [A2])
    cost = account_cost(whole_cost, only)
    assert cost is not None
    assert set(cost.buckets) == {"a2-media"}
    assert cost.buckets["a2-media"] == whole_cost.buckets["a2-media"]
    assert cost.total == whole_cost.buckets["a2-media"].total
    # The accounts' costs add up to the whole bill exactly (every bucket belongs to one account).
    parts = [account_cost(whole_cost, only_accounts(whole, [a])) for a in (A1, A2, A3)]
    assert sum((p.priced for p in parts if p is not None), Decimal(0)) == whole_cost.priced
    assert account_cost(None, only) is None


def test_priced_alone_an_accounts_share_would_differ(prices: PriceBook) -> None:
    """Why the whole is priced: A1's 60 TiB in us-east-1 takes Standard past its first 50 TB tier, and A2's
    bucket in the same region shares that volume's cheaper rate in the bill."""
    whole = two_accounts()
    share = account_cost(cost_snapshot(whole, prices), only_accounts(whole, [A2]))
    alone = cost_snapshot(only_accounts(whole, [A2]), prices)
    assert share is not None and share.total is not None and alone.total is not None
    assert share.total < alone.total


def test_no_cost_without_prices_stays_none() -> None:
    assert account_cost(None, two_accounts()) is None


@pytest.mark.parametrize(
    "value",
    ["12345678901", "1234567890123", "12345678901a", "", " 123456789012", "123456789012\n", "١٢٣٤٥٦٧٨٩٠١٢"],
)
def test_an_account_id_is_twelve_ascii_digits(value: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_account_ids([value])
    assert "--account takes an AWS account id of 12 digits" in caught.value.message
    assert "\n" not in caught.value.message  # shown through printable


def test_ids_are_kept_in_order_without_duplicates() -> None:
    assert parse_account_ids([A2, A1, A2]) == (A2, A1)
    assert parse_account_ids([]) == ()
    with pytest.raises(UsageError, match="account takes"):
        parse_account_ids(["\x1b[2J"], name="account")


def test_the_unknown_account_message_lists_a_bounded_few() -> None:
    error = unknown_message(["999999999999"], [A1, A2], more=3)
    assert error.message == "The history has no account 999999999999."
    assert error.hint == f"It has these accounts: {A1}, {A2} and 3 more."
    assert "none (its snapshots are of one account)" in str(unknown_message([A1, A2], [], 0).hint)
    assert unknown_message([A1, A2], [], 0).message == f"The history has no accounts {A1}, {A2}."


accounts = st.sampled_from(["", A1, A2, A3])


@given(owners=st.lists(accounts, max_size=12), failing=st.lists(accounts, max_size=5))
def test_the_accounts_partition_the_snapshot(owners: list[str], failing: list[str]) -> None:
    """Every bucket and failure of an account is kept by exactly that account's filter, once, in order."""
    reports = tuple(
        BucketReport(Bucket(f"b{i}", "us-east-1", None, owner), Usage(objects=i, bytes_by_class={"STANDARD": i}))
        for i, owner in enumerate(owners)
    )
    failures = tuple(Failure(f"f{i}", None, "measure", "AccessDenied", "no", a) for i, a in enumerate(failing))
    snapshot = replace(two_accounts(), buckets=reports, failures=failures, notices=())
    for account in (A1, A2, A3):
        only = only_accounts(snapshot, [account])
        assert only.buckets == tuple(r for r in reports if r.bucket.account == account)
        assert only.failures == tuple(f for f in failures if f.account == account)
    together = only_accounts(snapshot, [A1, A2, A3])
    assert together.buckets == tuple(r for r in reports if r.bucket.account)
    assert together.total.bytes + sum(r.usage.bytes for r in reports if not r.bucket.account) == snapshot.total.bytes


def test_accounts_listed_from_a_forged_history_are_escaped_and_short() -> None:
    error = unknown_message([A1], ["\x1b[2J" + "9" * 100, "\u202eevil"], more=0)
    assert error.hint is not None
    assert "\x1b" not in error.hint and "\u202e" not in error.hint
    assert "\\x1b[2J" + "9" * 36 + "..." in error.hint and "\\u202eevil" in error.hint
