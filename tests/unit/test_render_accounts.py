"""Every format names the account in a scan of several accounts, and nothing changes in a one-account scan.

The snapshot (tests/support/accounts_fixture.py) has three accounts: ``prod`` (two buckets), one whose name
is hostile (two buckets and a bucket that failed) and ``audit``, whose role could not be assumed.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from s3_storage_analyser.diff import diff
from s3_storage_analyser.model import Account, Bucket, BucketReport, Snapshot, Usage
from s3_storage_analyser.pricing.advise import Advice
from s3_storage_analyser.pricing.book import book
from s3_storage_analyser.pricing.cost import SnapshotCost, cost_snapshot
from s3_storage_analyser.pricing.shipped import shipped_table
from s3_storage_analyser.render import FORMATS, render
from s3_storage_analyser.render.advice import render_advice
from s3_storage_analyser.render.diff import render_diff
from s3_storage_analyser.safetext import UNSAFE, printable, unescape_tsv
from s3_storage_analyser.server.schemas import ReportJson
from support.accounts_fixture import AUDIT, DEV, HOSTILE, MULTI, PROD
from support.golden import golden
from support.report_fixture import GOLDEN_NAMES, SNAPSHOT

BOOK = book([shipped_table()])
COST: SnapshotCost = cost_snapshot(MULTI, BOOK)
TEXT_FORMATS = [f for f in FORMATS if f != "html"]


def _by_account(snapshot: Snapshot) -> dict[str, list[BucketReport]]:
    out: dict[str, list[BucketReport]] = {}
    for report in snapshot.buckets:
        out.setdefault(report.bucket.account, []).append(report)
    return out


# --- one account: byte-identical to before ----------------------------------------------------------


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_a_one_account_snapshot_renders_as_the_golden_files(fmt: str) -> None:
    assert not SNAPSHOT.accounts and all(r.bucket.account == "" for r in SNAPSHOT.buckets)
    golden(GOLDEN_NAMES[fmt], render(SNAPSHOT, fmt))
    golden(f"cost/{GOLDEN_NAMES[fmt]}", render(SNAPSHOT, fmt, cost=cost_snapshot(SNAPSHOT, BOOK)))


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_only_a_snapshot_with_accounts_names_them(fmt: str) -> None:
    one = render(SNAPSHOT, fmt, cost=cost_snapshot(SNAPSHOT, BOOK))
    assert "account" not in one.lower()
    assert "Account" in render(MULTI, fmt)


# --- table ---------------------------------------------------------------------------------------------


def test_table_groups_buckets_by_account_with_exact_subtotals() -> None:
    text = render(MULTI, "table", unit="B")
    lines = text.splitlines()
    assert re.match(r"Bucket\s+Account\s+Region\s", lines[0])
    order = [
        name
        for line in lines
        for name in ("prod-logs", "prod-media", "dev-scratch", "dev-empty")
        if line.startswith(name)
    ]
    assert order == ["prod-logs", "prod-media", "dev-scratch", "dev-empty"]  # ids in order, report order within
    groups = _by_account(MULTI)
    for account, label in ((PROD, f"{PROD} (prod)"), (DEV, f"{DEV} ({printable(HOSTILE)})")):
        reports = groups[account]
        files = sum(r.usage.objects for r in reports)
        size = sum(r.usage.bytes for r in reports)
        subtotal = [line for line in lines if line.startswith("Subtotal") and label in line]
        assert len(subtotal) == 1, label
        assert re.search(rf"{re.escape(label)}\s+{files:,}\s+{size}\s", subtotal[0]), subtotal[0]
    total = next(line for line in lines if line.startswith("TOTAL (4 buckets)"))
    assert f" {MULTI.total.bytes} " in total
    assert (
        f"Accounts: 2 of 3 covered; not covered: {AUDIT} (audit) "
        "(AccessDenied: User is not authorized to perform: sts:AssumeRole)." in lines
    )
    assert "1 bucket failed, 1 account failure: listed on stderr." in lines


def test_table_sort_applies_within_each_account() -> None:
    reversed_ = replace(MULTI, buckets=tuple(reversed(MULTI.buckets)))
    lines = render(reversed_, "table").splitlines()
    order = [line.split()[0] for line in lines if line.startswith(("prod-", "dev-"))]
    assert order == ["prod-media", "prod-logs", "dev-empty", "dev-scratch"]


def test_table_subtotal_cost_is_the_sum_of_its_bucket_lines() -> None:
    text = render(MULTI, "table", cost=COST)
    for account in (PROD, DEV):
        amount = sum((COST.buckets[r.bucket.name].priced for r in _by_account(MULTI)[account]), Decimal(0))
        shown = f"${amount.quantize(Decimal('0.01')):,.2f}"
        line = next(line for line in text.splitlines() if line.startswith("Subtotal") and account in line)
        assert shown in line, (line, shown)
    assert "Prices: " in text


# --- TSV / CSV -----------------------------------------------------------------------------------------


def test_tsv_has_account_and_name_after_bucket_exact() -> None:
    rows = [line.split("\t") for line in render(MULTI, "tsv").splitlines()]
    assert rows[0][:6] == ["Bucket", "Account", "AccountName", "Region", "Files", "Total"]
    one = render(replace(MULTI, accounts=()), "tsv").splitlines()[0].split("\t")
    assert [h for h in rows[0] if h not in ("Account", "AccountName")] == one  # 0.1's columns, in order
    got = {r[0]: (r[1], unescape_tsv(r[2])) for r in rows[1:]}
    assert got == {
        r.bucket.name: (r.bucket.account, "prod" if r.bucket.account == PROD else HOSTILE) for r in MULTI.buckets
    }


def test_csv_has_account_and_name_after_bucket() -> None:
    rows = list(csv.reader(io.StringIO(render(MULTI, "csv"))))
    assert rows[0][:3] == ["Bucket", "Account", "AccountName"]
    dev = next(r for r in rows if r[0] == "dev-scratch")
    assert dev[1] == DEV
    assert dev[2] == HOSTILE.replace("\x1b", "\\x1b").replace("\u202e", "\\u202e")  # line break and quote exact
    assert not UNSAFE.search(render(MULTI, "csv").replace("\n", "").replace("\r", ""))


def test_breakdown_rows_carry_the_account() -> None:
    snapshot = replace(MULTI, breakdowns=("storage-class",))
    rows = [line.split("\t") for line in render(snapshot, "tsv").splitlines()]
    assert rows[0][:4] == ["Bucket", "Account", "AccountName", "Dimension"]
    assert {(r[0], r[1]) for r in rows[1:]} >= {("prod-logs", PROD), ("dev-scratch", DEV)}


# --- JSON / ndjson -------------------------------------------------------------------------------------


def test_json_accounts_are_exact_sums_of_their_buckets() -> None:
    data = json.loads(render(MULTI, "json", cost=COST))
    ReportJson.model_validate(data)
    assert (data["AccountsCovered"], data["AccountsFound"]) == (2, 3)
    accounts = {a["Id"]: a for a in data["Accounts"]}
    assert list(accounts) == [PROD, DEV, AUDIT]
    for account_id in (PROD, DEV):
        mine = [b for b in data["Buckets"] if b["Account"] == account_id]
        entry = accounts[account_id]
        assert entry["Covered"] is True
        assert entry["Buckets"] == len(mine)
        assert entry["Files"] == sum(b["Files"] for b in mine)
        assert entry["Bytes"] == sum(b["Bytes"] for b in mine)
        assert Decimal(entry["CostPerMonth"]) == sum(Decimal(b["CostPerMonth"]) for b in mine)
    assert sum(a["Bytes"] or 0 for a in data["Accounts"]) == sum(b["Bytes"] for b in data["Buckets"])
    assert sum(Decimal(a["CostPerMonth"] or 0) for a in data["Accounts"]) == Decimal(data["Cost"]["PerMonth"])
    audit = accounts[AUDIT]
    assert audit == {
        "Id": AUDIT,
        "Name": "audit",
        "Covered": False,
        "Buckets": None,  # unknown, never 0
        "Files": None,
        "Bytes": None,
        "CostPerMonth": None,
        "PricedPerMonth": None,
    }
    assert accounts[DEV]["Name"] == HOSTILE
    names = {b["Bucket"]: (b["Account"], b["AccountName"]) for b in data["Buckets"]}
    assert names["dev-scratch"] == (DEV, HOSTILE) and names["prod-logs"] == (PROD, "prod")
    failures = {(f["Bucket"], f["Account"], f["AccountName"], f["Error"]) for f in data["Failures"]}
    assert failures == {("dev-locked", DEV, HOSTILE, "AccessDenied"), ("", AUDIT, "audit", "AccessDenied")}


def test_json_keys_follow_bucket_and_are_absent_without_accounts() -> None:
    data = json.loads(render(MULTI, "json_pretty"))
    assert list(data["Buckets"][0])[:4] == ["Bucket", "Account", "AccountName", "Region"]
    assert "CostPerMonth" not in data["Accounts"][0]
    plain = json.loads(render(SNAPSHOT, "json"))
    assert not {"Accounts", "AccountsCovered", "AccountsFound"} & set(plain)
    assert "Account" not in plain["Buckets"][0] and "Account" not in plain["Failures"][0]


def test_an_unpriced_bucket_makes_its_account_cost_unknown() -> None:
    odd = Usage(objects=1, bytes_by_class={"FooBarStorage": 55})
    snapshot = replace(MULTI, buckets=(*MULTI.buckets, BucketReport(Bucket("dev-odd", "us-east-1", None, DEV), odd)))
    cost = cost_snapshot(snapshot, BOOK)
    data = json.loads(render(snapshot, "json", cost=cost))
    dev = next(a for a in data["Accounts"] if a["Id"] == DEV)
    assert dev["CostPerMonth"] is None
    priced = [Decimal(b["CostPerMonth"]) for b in data["Buckets"] if b["Account"] == DEV and b["CostPerMonth"]]
    assert Decimal(dev["PricedPerMonth"]) == sum(priced)
    line = next(
        line
        for line in render(snapshot, "table", cost=cost).splitlines()
        if line.startswith("Subtotal") and DEV in line
    )
    assert "≥$" in line


def test_ndjson_lines_carry_the_account_and_one_line_per_account() -> None:
    lines = [json.loads(line) for line in render(MULTI, "ndjson", cost=COST).splitlines()]
    buckets = [line for line in lines if "Bucket" in line and "Error" not in line]
    assert all(b["Account"] in (PROD, DEV) for b in buckets) and len(buckets) == 4
    accounts = [line for line in lines if line.get("Kind") == "account"]
    assert lines[-3:] == accounts  # after the buckets and the failures
    whole = json.loads(render(MULTI, "json", cost=COST))["Accounts"]
    assert [{"Id": a.pop("Account"), "Name": a.pop("AccountName"), **a} for a in accounts] == [
        {"Id": w["Id"], "Name": w["Name"], "Kind": "account", **{k: v for k, v in w.items() if k not in ("Id", "Name")}}
        for w in whole
    ]


# --- Prometheus ----------------------------------------------------------------------------------------


def _families(text: str) -> dict[str, Any]:
    return {f.name: f for f in text_string_to_metric_families(text)}


def test_prometheus_account_label_on_every_bucket_gauge() -> None:
    text = render(MULTI, "prometheus", cost=COST)
    families = _families(text)
    for name, family in families.items():
        if name.startswith("s3_bucket_"):
            assert family.samples or name == "s3_bucket_cost_unpriced", name  # everything here has a price
            for sample in family.samples:
                assert "account" in sample.labels, (name, sample)
    sizes: dict[str, float] = {}
    for sample in families["s3_bucket_size_bytes"].samples:
        sizes[sample.labels["account"]] = sizes.get(sample.labels["account"], 0) + sample.value
    data = json.loads(render(MULTI, "json"))
    assert sizes == {a["Id"]: a["Bytes"] for a in data["Accounts"] if a["Covered"]}
    states = {s.labels["state"]: s.value for s in families["s3_accounts"].samples}
    assert states == {"covered": 2, "not_covered": 1}
    covered = {s.labels["account"]: (s.labels["name"], s.value) for s in families["s3_account_covered"].samples}
    assert covered == {PROD: ("prod", 1), DEV: (printable(HOSTILE), 1), AUDIT: ("audit", 0)}
    failed = {
        (s.labels["bucket"], s.labels["account"], s.labels["stage"]) for s in families["s3_bucket_scan_failed"].samples
    }
    assert failed == {("dev-locked", DEV, "region"), ("", AUDIT, "assume-role")}
    assert not UNSAFE.search(text.replace("\n", ""))


def test_prometheus_label_sets_are_stable_in_one_run() -> None:
    families = _families(render(MULTI, "prometheus", cost=COST))
    for family in families.values():
        assert len({tuple(sorted(s.labels)) for s in family.samples}) <= 1, family.name
    assert "account" not in render(SNAPSHOT, "prometheus", cost=cost_snapshot(SNAPSHOT, BOOK))


# --- hostile names -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_a_hostile_account_name_is_inert(fmt: str) -> None:
    text = render(MULTI, fmt, cost=COST)
    assert "\x1b" not in text and "\u202e" not in text
    if fmt == "table":
        assert printable(HOSTILE) in text  # markup shown literally, controls as visible escapes
    elif fmt in ("json", "json_pretty", "ndjson"):
        docs = [json.loads(line) for line in text.splitlines()] if fmt == "ndjson" else [json.loads(text)]
        names = (
            {d.get("AccountName") for d in docs} if fmt == "ndjson" else {b["AccountName"] for b in docs[0]["Buckets"]}
        )
        assert HOSTILE in names  # exact once decoded


def test_html_hostile_account_name_is_escaped() -> None:
    page = render(MULTI, "html", cost=COST)
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the accounts table and the failures table
    assert not UNSAFE.search(page.replace("\n", ""))
    block = re.search(r'<script type="application/json" id="s3sa-data">(.*?)</script>', page, re.S)
    assert block is not None and json.loads(block.group(1)) == json.loads(render(MULTI, "json", cost=COST))


def test_html_accounts_table_shows_why_an_account_is_not_covered() -> None:
    page = render(MULTI, "html")
    row = re.search(rf'<tr data-account="{AUDIT}">(.*?)</tr>', page, re.S)
    assert row is not None
    assert "not covered: assume-role: AccessDenied: User is not authorized" in row.group(1)
    assert 'id="total-accounts" data-covered="2" data-found="3"' in page
    assert '<th scope="col" data-sort="Account"' in page
    assert "account-table" not in render(SNAPSHOT, "html")


# --- diff ----------------------------------------------------------------------------------------------


def _later() -> Snapshot:
    grown = tuple(
        replace(r, usage=replace(r.usage, bytes_by_class={"STANDARD": r.usage.bytes + 1000})) for r in MULTI.buckets
    )
    # The audit account is covered this time; prod's role could not be assumed (its buckets: unknown, not deleted).
    accounts = (Account(PROD, "prod", covered=False), Account(DEV, HOSTILE), Account(AUDIT, "audit"))
    audit = BucketReport(
        Bucket("audit-trail", "us-east-1", None, AUDIT), Usage(objects=1, bytes_by_class={"STANDARD": 5})
    )
    dev_only = tuple(r for r in grown if r.bucket.account == DEV)
    return replace(MULTI, buckets=(*dev_only, audit), accounts=accounts, failures=())


def test_diff_rows_carry_the_account_and_skip_accounts_not_covered() -> None:
    rows = diff(MULTI, _later())
    # prod: not covered after; audit: not covered before (audit-trail is not new, it was not looked at).
    assert {(r.bucket, r.account) for r in rows} == {("dev-scratch", DEV), ("dev-empty", DEV)}
    assert [r.bytes_change for r in rows if r.bucket == "dev-scratch" and r.storage_class == "ALL"] == [1000]
    tsv = render_diff(rows, (1, MULTI), (2, _later()), "tsv", None).splitlines()
    assert tsv[0].split("\t")[:3] == ["Bucket", "Account", "StorageClass"]
    data = json.loads(render_diff(rows, (1, MULTI), (2, _later()), "json", None))
    assert {(c["Bucket"], c["Account"]) for c in data["Changes"]} == {("dev-scratch", DEV), ("dev-empty", DEV)}
    table = render_diff(rows, (1, MULTI), (2, _later()), "table", None)
    assert re.search(r"Bucket\s+Account\s+Class", table)
    assert f"{DEV} ({printable(HOSTILE)})" in table


def test_diff_of_one_account_snapshots_has_no_account() -> None:
    rows = diff(SNAPSHOT, SNAPSHOT)
    for fmt in ("table", "tsv", "csv", "json"):
        assert "Account" not in render_diff(rows, (1, SNAPSHOT), (2, SNAPSHOT), fmt, None)


def test_prometheus_hidden_cost_gauges_carry_the_account() -> None:
    measured = Usage(
        objects=2,
        bytes_by_class={"STANDARD": 10},
        noncurrent_bytes_by_class={"STANDARD": 4},
        noncurrent_objects_by_class={"STANDARD": 1},
        delete_markers=3,
        incomplete_uploads=1,
        incomplete_upload_bytes=9,
        measured=frozenset({"versions", "uploads"}),
    )
    extra = BucketReport(Bucket("dev-versions", "us-east-1", None, DEV), measured)
    families = _families(render(replace(MULTI, buckets=(*MULTI.buckets, extra)), "prometheus"))
    for name in ("s3_bucket_noncurrent_size_bytes", "s3_bucket_delete_markers", "s3_bucket_incomplete_uploads"):
        assert [(s.labels["bucket"], s.labels["account"]) for s in families[name].samples] == [("dev-versions", DEV)]


def test_advice_names_an_account_not_covered() -> None:
    advice = Advice("list", MULTI.taken_at, 30, (), (), failures=MULTI.failures)
    text = render_advice(advice, "table")
    assert f"account not covered, no advice: {AUDIT} (AccessDenied)" in text
    assert "not measured, no advice: dev-locked in account 222222222222 (AccessDenied)" in text


def test_subtotal_rows_end_in_no_spaces_in_colour() -> None:
    lines = render(MULTI, "table", color=True).splitlines()
    plain = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in lines]
    subtotals = [line for line in plain if line.startswith("Subtotal")]
    assert len(subtotals) == 2
    assert not [line for line in subtotals if line.endswith(" ")]
    assert any("\x1b[1m" in line and "Subtotal" in line for line in lines)  # bold where colour is on


def test_diff_page_has_an_account_column_only_with_accounts() -> None:
    later = _later()
    page = render_diff(diff(MULTI, later), (1, MULTI), (2, later), "html", None)
    assert 'data-sort="Account"' in page and "bucket name or account" in page
    plain = render_diff(diff(SNAPSHOT, SNAPSHOT), (1, SNAPSHOT), (2, SNAPSHOT), "html", None)
    assert 'data-sort="Account"' not in plain and 'colspan="8"' in plain
