"""Savings per account, on moto over HTTP: ``advise --organization`` names each finding's account and each
account's saving (the exact sum of its buckets'), the accounts it could not cover, and the service's advice
(GET /api/v1/advice and the overview's table) carries the same.

The prices file prices Standard at $1,000,000 per GB-month, so that the few KiB moto holds are worth
micro-dollars: every saving below is a real, non-zero amount.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from s3_storage_analyser.accounts import AccountOptions
from s3_storage_analyser.aws import Aws, AwsOptions
from s3_storage_analyser.config import ScanOptions
from s3_storage_analyser.pricing.sources import load_book
from s3_storage_analyser.report import scan_all
from s3_storage_analyser.store import Store
from support.cli import CliResult
from support.faultproxy import FaultProxy, Rule
from support.live_service import live_service
from support.organization import MANAGEMENT, Organization, build_organization

Cli = Callable[..., CliResult]
LIST = ("--processes", "0", "-q")
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def prices(tmp_path: Path) -> Path:
    path = tmp_path / "prices.json"
    rows = [{"region": "*", "item": "storage/STANDARD", "from_gb": "0", "usd": "1000000"}]
    path.write_text(json.dumps({"source": "test", "date": "2026-11-01", "prices": rows}))
    return path


def _versions(org: Organization, account: str, bucket: str, puts: int, size: int) -> None:
    """A versioned bucket whose one key was written ``puts`` times: ``puts - 1`` noncurrent versions."""
    s3 = org.s3(account)
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for n in range(puts):
        s3.put_object(Bucket=bucket, Key="k", Body=bytes([n]) * size)


@pytest.fixture
def organization(aws_url: str) -> Organization:
    """Management (one versioned bucket) + alpha (a versioned bucket and one with a lifecycle rule) + beta
    (its role refused by the proxy per test) + gamma (closed: SUSPENDED)."""
    org = build_organization(aws_url, ["alpha", "beta", "gamma"], suspended=["gamma"])
    _versions(org, MANAGEMENT, "mgmt-versions", 2, 1000)
    alpha = org.id("alpha")
    _versions(org, alpha, "alpha-versions", 3, 2000)
    org.bucket(alpha, "alpha-plain", {"a": b"x" * 10})
    org.s3(alpha).put_bucket_lifecycle_configuration(
        Bucket="alpha-plain",
        LifecycleConfiguration={"Rules": [{"ID": "old", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 9}}]},
    )
    org.bucket(org.id("beta"), "beta-logs", {"d": b"w" * 3})
    return org


def _deny_beta(org: Organization, proxy: FaultProxy) -> None:
    proxy.add(Rule(operation="AssumeRole", body_contains=org.id("beta").encode()))


def _check_accounts(org: Organization, data: dict[str, Any]) -> None:
    """Findings carry their account; each covered account's saving is its buckets' exact sum; beta and
    gamma are named, not covered, with no saving."""
    alpha, beta, gamma = org.id("alpha"), org.id("beta"), org.id("gamma")
    owners = {b["Bucket"]: b["Account"] for b in data["Buckets"]}
    assert owners == {"mgmt-versions": MANAGEMENT, "alpha-versions": alpha, "alpha-plain": alpha}
    names = {b["Bucket"]: b["AccountName"] for b in data["Buckets"]}
    assert names["alpha-versions"] == "alpha"
    sums: dict[str, Decimal] = {}
    for bucket in data["Buckets"]:
        sums[bucket["Account"]] = sums.get(bucket["Account"], Decimal(0)) + Decimal(bucket["EstimatedMonthlySaving"])
    accounts = {a["Id"]: a for a in data["Accounts"]}
    assert [a["Id"] for a in data["Accounts"]] == sorted(accounts)  # id order
    assert set(accounts) == {MANAGEMENT, alpha, beta, gamma}
    for account_id, total in sums.items():
        assert Decimal(accounts[account_id]["EstimatedMonthlySaving"]) == total > 0
    assert sums[alpha] > sums[MANAGEMENT]  # 4,000 noncurrent bytes against 1,000
    assert sum(sums.values()) == Decimal(data["EstimatedMonthlySaving"])
    for missing in (beta, gamma):
        assert accounts[missing]["Covered"] is False
        assert accounts[missing]["EstimatedMonthlySaving"] is None and accounts[missing]["Buckets"] is None
    assert (data["AccountsCovered"], data["AccountsFound"]) == (2, 4)
    failed = {f["Account"]: f for f in data["Failures"] if not f["Bucket"]}
    assert failed[beta]["Stage"] == "assume-role" and failed[gamma]["Error"] == "AccountSuspended"


def test_advise_json_names_each_findings_account_and_sums_each_account(
    organization: Organization, fault_proxy: FaultProxy, prices: Path, cli: Cli
) -> None:
    _deny_beta(organization, fault_proxy)
    result = cli(
        "advise", "--organization", "--endpoint-url", fault_proxy.url, "--prices", str(prices), "--fmt", "json", *LIST
    )
    assert result.code == 3, result.stderr  # two accounts not covered
    data = json.loads(result.stdout)
    _check_accounts(organization, data)
    buckets = {b["Bucket"]: b for b in data["Buckets"]}
    assert buckets["alpha-plain"]["Lifecycle"] == "rules"  # read as alpha, with alpha's role
    kinds = [f["Kind"] for f in buckets["alpha-versions"]["Findings"]]
    assert "noncurrent-versions" in kinds
    pretty = cli(
        "advise",
        "--organization",
        "--endpoint-url",
        fault_proxy.url,
        "--prices",
        str(prices),
        "--fmt",
        "json_pretty",
        *LIST,
    )
    assert json.loads(pretty.stdout)["Accounts"] == data["Accounts"]


def test_advise_text_groups_the_buckets_by_account(
    organization: Organization, fault_proxy: FaultProxy, prices: Path, cli: Cli
) -> None:
    _deny_beta(organization, fault_proxy)
    denied = fault_proxy.add(Rule(operation="GetBucketLifecycleConfiguration", bucket="alpha-plain"))
    result = cli("advise", "--organization", "--endpoint-url", fault_proxy.url, "--prices", str(prices), *LIST)
    assert result.code == 3, result.stderr
    alpha, beta, gamma = (organization.id(n) for n in ("alpha", "beta", "gamma"))
    assert denied.hits == 1
    assert f"warning: bucket alpha-plain in account {alpha}: lifecycle rules not read" in result.stderr
    assert "alpha-plain (us-east-1): lifecycle rules not readable (AccessDenied)" in result.stdout
    lines = result.stdout.splitlines()
    headings = [line for line in lines if line.startswith("== account ")]
    expected = {MANAGEMENT: " (master)", alpha: " (alpha)", beta: " (beta)", gamma: " (gamma)"}
    assert headings == [f"== account {i}{expected[i]} ==" for i in sorted(expected)]
    subtotals = {
        m.group(1): m.group(2)
        for line in lines
        if (m := re.match(r"Subtotal for account (\d{12})\S* .*\((\d+ buckets?)\): \$", line))
    }
    assert subtotals == {MANAGEMENT: "1 bucket", alpha: "2 buckets"}
    # each bucket under its own account's heading
    where = {}
    current = ""
    for line in lines:
        if line.startswith("== account "):
            current = line.split()[2]
        elif line.endswith(("configuration", "rule", "(AccessDenied)")) and " (us-east-1): " in line:
            where[line.split()[0]] = current
    assert where == {"mgmt-versions": MANAGEMENT, "alpha-versions": alpha, "alpha-plain": alpha}
    assert result.stdout.count("not covered, no advice (") == 2  # beta's and gamma's groups
    assert f"account not covered, no advice: {beta} (AccessDenied)" in result.stdout
    assert "Accounts: 2 of 4 covered." in result.stdout


def test_the_service_advice_and_overview_name_the_accounts(
    organization: Organization, fault_proxy: FaultProxy, prices: Path, tmp_path: Path
) -> None:
    _deny_beta(organization, fault_proxy)
    aws = Aws(AwsOptions(endpoint_url=fault_proxy.url))
    options = ScanOptions(strategy="list", processes=0, versions=True, uploads=True)
    snapshot = scan_all(aws, options, AccountOptions(organization=True))
    store = Store(tmp_path / "history.sqlite3")
    store.save(snapshot)
    try:
        with live_service(store, lambda: snapshot, token=None, book=load_book(str(prices), None)) as service:
            answer = httpx.get(service.url + "/api/v1/advice", timeout=30)
            assert answer.status_code == 200, answer.text
            data = answer.json()
            page = httpx.get(service.url + "/", headers={"Accept": FIREFOX}, timeout=30)
            assert page.status_code == 200, page.text
            only = httpx.get(service.url + "/api/v1/advice", params={"account": organization.id("alpha")}, timeout=30)
            assert only.status_code == 200, only.text
    finally:
        store.close()
    _check_accounts(organization, data)
    alpha_only = only.json()  # ?account=: that account's buckets and entry, the same saving
    [entry] = [a for a in data["Accounts"] if a["Id"] == organization.id("alpha")]
    assert alpha_only["Accounts"] == [entry]
    assert {b["Bucket"] for b in alpha_only["Buckets"]} == {"alpha-versions", "alpha-plain"}
    assert alpha_only["EstimatedMonthlySaving"] == entry["EstimatedMonthlySaving"]
    table = page.text.split('id="advice-table"', 1)[1].split("</table>", 1)[0]
    assert '<th scope="col">Bucket</th><th scope="col">Account</th>' in table
    alpha = organization.id("alpha")
    assert f'<td data-account="{alpha}">{alpha} (alpha)</td>' in table
    assert f'<td data-account="{MANAGEMENT}">{MANAGEMENT} (master)</td>' in table  # moto's name for it


def test_one_account_advice_names_no_account(aws_url: str, organization: Organization, cli: Cli) -> None:
    result = cli("advise", "--endpoint-url", aws_url, "--fmt", "json", *LIST)
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [b["Bucket"] for b in data["Buckets"]] == ["mgmt-versions"]  # the caller's own account only
    assert not {"Accounts", "AccountsCovered", "AccountsFound"} & set(data)
    assert "Account" not in data["Buckets"][0]
    text = cli("advise", "--endpoint-url", aws_url, *LIST)
    assert "== account" not in text.stdout and "Subtotal" not in text.stdout and "Accounts:" not in text.stdout
