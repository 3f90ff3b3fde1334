"""advise's output per account, from hand-built snapshots: one account's output is byte for byte what it
was before accounts (golden files written by the code before them), several accounts group and subtotal."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from s3_storage_analyser.pricing.cost import cost_snapshot
from s3_storage_analyser.render.advice import render_advice, stored_advice_json
from support.advice_fixture import AUDIT, BOOK, DEV, HOSTILE, MULTI, ONE, PROD, SAVINGS, advice_of
from support.golden import golden


@pytest.mark.parametrize(
    ("fmt", "name"),
    [("table", "advice.table.txt"), ("json", "advice.json"), ("json_pretty", "advice.pretty.json")],
)
def test_one_account_output_is_unchanged(fmt: str, name: str) -> None:
    golden(f"advice/{name}", render_advice(advice_of(ONE), fmt))


def test_one_account_service_advice_is_unchanged() -> None:
    golden("advice/advice.stored.json", stored_advice_json(ONE, cost_snapshot(ONE, BOOK), BOOK, indent=2))
    assert "Account" not in stored_advice_json(ONE, cost_snapshot(ONE, BOOK), BOOK)


def test_each_bucket_carries_its_account_and_each_account_sums_its_buckets() -> None:
    advice = advice_of(MULTI)
    assert {b.bucket: b.account for b in advice.buckets} == {
        "prod-logs": PROD,
        "prod-media": PROD,
        "dev-versions": DEV,
        "dev-empty": DEV,
    }
    assert [a.id for a in advice.accounts] == [PROD, DEV, AUDIT]
    by_id = {a.id: a for a in advice.accounts}
    assert by_id[PROD].saving == SAVINGS[PROD] == Decimal("0.205")
    assert by_id[DEV].saving == SAVINGS[DEV]
    assert by_id[AUDIT].saving is None and not by_id[AUDIT].covered
    assert [f.error for f in by_id[AUDIT].failures] == ["AccessDenied"]
    assert sum(s for a in advice.accounts if (s := a.saving) is not None) == advice.saving
    assert advice.covered == (2, 3)
    assert advice_of(ONE).accounts == () and advice_of(ONE).saving == advice.saving


def test_json_names_the_accounts_and_their_exact_savings() -> None:
    data = json.loads(render_advice(advice_of(MULTI), "json"))
    assert data["Accounts"] == [
        {"Id": PROD, "Name": "prod", "Covered": True, "Buckets": 2, "EstimatedMonthlySaving": "0.205000"},
        {"Id": DEV, "Name": HOSTILE, "Covered": True, "Buckets": 2, "EstimatedMonthlySaving": "0.080000"},
        {"Id": AUDIT, "Name": "audit", "Covered": False, "Buckets": None, "EstimatedMonthlySaving": None},
    ]
    assert (data["AccountsCovered"], data["AccountsFound"]) == (2, 3)
    assert list(data["Buckets"][0])[:4] == ["Bucket", "Account", "AccountName", "Region"]
    assert {(b["Bucket"], b["Account"], b["AccountName"]) for b in data["Buckets"]} == {
        ("prod-logs", PROD, "prod"),
        ("prod-media", PROD, "prod"),
        ("dev-versions", DEV, HOSTILE),
        ("dev-empty", DEV, HOSTILE),
    }
    assert [(f["Bucket"], f["Account"], f["AccountName"]) for f in data["Failures"]] == [
        ("locked", DEV, HOSTILE),
        ("", AUDIT, "audit"),
    ]
    total = sum(Decimal(a["EstimatedMonthlySaving"]) for a in data["Accounts"] if a["EstimatedMonthlySaving"])
    assert total == Decimal(data["EstimatedMonthlySaving"])
    # the service's advice carries the same keys
    stored = json.loads(stored_advice_json(MULTI, cost_snapshot(MULTI, BOOK), BOOK))
    assert stored["Accounts"][2] == data["Accounts"][2]
    assert {b["Account"] for b in stored["Buckets"]} == {PROD, DEV}


def test_the_text_groups_buckets_by_account_with_a_subtotal_each() -> None:
    text = render_advice(advice_of(MULTI), "table")
    assert "\x1b" not in text and "\u202e" not in text and "\nx" not in text  # the hostile name is escaped
    headings = [line for line in text.splitlines() if line.startswith("== account ")]
    assert headings[0] == f"== account {PROD} (prod) =="
    assert headings[1].startswith(f"== account {DEV} (dev [bold]<script>") and "\\x1b" in headings[1]
    assert headings[2] == f"== account {AUDIT} (audit) =="
    # each bucket under its own account's heading, and the subtotal after its buckets
    order = [
        line.split(" (")[0]
        for line in text.splitlines()
        if line.startswith(("==", "prod-", "dev-", "Subtotal", "not covered"))
    ]
    assert order == [
        "== account 111111111111",
        "prod-logs",
        "prod-media",
        "Subtotal for account 111111111111",
        "== account 222222222222",
        "dev-versions",
        "dev-empty",
        "Subtotal for account 222222222222",
        "== account 333333333333",
        "not covered, no advice",
    ]
    assert f"Subtotal for account {PROD} (prod) (2 buckets): $0.205000/month" in text
    assert "(2 buckets): $0.080000/month" in text
    assert "not covered, no advice (AccessDenied)" in text
    assert "Total estimated saving: $0.285000/month\nAccounts: 2 of 3 covered.\n" in text
    assert f"not measured, no advice: locked in account {DEV} (dev [bold]" in text
    assert f"account not covered, no advice: {AUDIT} (AccessDenied)" in text
