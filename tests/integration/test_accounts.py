"""Several accounts in one scan, on moto over HTTP: an organisation (management + members), roles assumed
through the fault proxy (which refuses chosen AssumeRole calls and counts them), credentials refreshed."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest

from s3_storage_analyser.accounts import (
    ACCOUNT_NOT_FOUND,
    ACCOUNT_SUSPENDED,
    DEFAULT_ROLE_NAME,
    AccountOptions,
    AccountResult,
    Plan,
    Target,
    merge,
    scan_accounts,
)
from s3_storage_analyser.aws import Aws, AwsOptions, RoleRequest
from s3_storage_analyser.config import ScanOptions
from s3_storage_analyser.model import Account, Bucket, BucketReport, Snapshot, Usage
from support.cli import CliResult
from support.faultproxy import FaultProxy, Rule
from support.organization import MANAGEMENT, Organization, build_organization, role_arn

Cli = Callable[..., CliResult]
LIST = ("--strategy", "list", "--processes", "0", "-q")


@pytest.fixture
def organization(aws_url: str) -> Organization:
    """Management (one bucket) + alpha (two) + beta (role missing: refused by the proxy per test) + gamma
    (closed: SUSPENDED)."""
    org = build_organization(aws_url, ["alpha", "beta", "gamma"], suspended=["gamma"])
    org.bucket(MANAGEMENT, "mgmt-logs", {"a": b"x" * 10})
    org.bucket(org.id("alpha"), "alpha-logs", {"a": b"x" * 100, "b": b"y" * 20})
    org.bucket(org.id("alpha"), "alpha-data", {"c": b"z" * 7})
    org.bucket(org.id("beta"), "beta-logs", {"d": b"w" * 3})
    return org


def _deny_role(proxy: FaultProxy, account: str) -> Rule:
    return proxy.add(Rule(operation="AssumeRole", body_contains=account.encode()))


def _buckets(result: CliResult) -> dict[str, int]:
    return {b["Bucket"]: b["Bytes"] for b in json.loads(result.stdout)["Buckets"]}


def test_organization_reports_every_active_account_and_names_the_others(
    organization: Organization, fault_proxy: FaultProxy, cli: Cli
) -> None:
    beta = organization.id("beta")
    denied = _deny_role(fault_proxy, beta)
    result = cli("--organization", "--endpoint-url", fault_proxy.url, "--fmt", "json", *LIST)
    assert result.code == 3, result.stderr
    assert _buckets(result) == {"mgmt-logs": 10, "alpha-logs": 120, "alpha-data": 7}
    assert denied.hits == 1
    assert f"account {beta} not covered [assume-role: AccessDenied]" in result.stderr
    assert f"role/{DEFAULT_ROLE_NAME}" in result.stderr  # the role that could not be assumed is named
    gamma = organization.id("gamma")
    assert f"account {gamma} not covered [account: {ACCOUNT_SUSPENDED}]" in result.stderr
    assert "covered 2 of 4 accounts" in result.stderr
    # the management account is read with the current credentials: no role assumed into it
    assert MANAGEMENT.encode() not in b"".join(r.body for r in fault_proxy.requests if r.operation == "AssumeRole")
    assert fault_proxy.count("AssumeRole") == 2  # alpha, and beta's refusal (AccessDenied is not retried)


def test_each_bucket_and_failure_carries_its_account(organization: Organization, fault_proxy: FaultProxy) -> None:
    _deny_role(fault_proxy, organization.id("beta"))
    aws = Aws(AwsOptions(endpoint_url=fault_proxy.url))
    snapshot = scan_accounts(aws, ScanOptions(strategy="list", processes=0), AccountOptions(organization=True)).snapshot
    owners = {r.bucket.name: r.bucket.account for r in snapshot.buckets}
    alpha, beta, gamma = (organization.id(n) for n in ("alpha", "beta", "gamma"))
    assert owners == {"mgmt-logs": MANAGEMENT, "alpha-logs": alpha, "alpha-data": alpha}
    in_order = sorted(owners.items(), key=lambda item: (item[1], item[0]))  # by account id (moto's are random)
    assert [(r.bucket.name, r.bucket.account) for r in snapshot.buckets] == in_order
    failed = {f.account: (f.bucket, f.stage, f.error) for f in snapshot.failures}
    assert failed == {beta: ("", "assume-role", "AccessDenied"), gamma: ("", "account", ACCOUNT_SUSPENDED)}
    accounts = {a.id: a for a in snapshot.accounts}
    assert accounts == {
        MANAGEMENT: Account(MANAGEMENT, "master", True),
        alpha: Account(alpha, "alpha", True),
        beta: Account(beta, "beta", False),
        gamma: Account(gamma, "gamma", False),
    }


def test_the_same_account_through_two_roles_is_scanned_once(
    organization: Organization, fault_proxy: FaultProxy, cli: Cli
) -> None:
    alpha = organization.id("alpha")
    result = cli(
        "--role-arn",
        role_arn(alpha, "first"),
        "--role-arn",
        role_arn(alpha, "second"),
        "--role-arn",
        role_arn(organization.id("beta")),
        "--endpoint-url",
        fault_proxy.url,
        "--fmt",
        "json",
        *LIST,
    )
    assert result.code == 0, result.stderr
    assert _buckets(result) == {"alpha-logs": 120, "alpha-data": 7, "beta-logs": 3}
    assert fault_proxy.count("AssumeRole") == 2
    assert f"role {role_arn(alpha, 'second')} skipped" in result.stderr
    assert "covered 2 of 2 accounts" in result.stderr


def test_roles_from_a_file(organization: Organization, fault_proxy: FaultProxy, cli: Cli, tmp_path: Path) -> None:
    roles = tmp_path / "roles.txt"
    roles.write_text(
        f"# the members\n\n{role_arn(organization.id('alpha'))}  # alpha\n{role_arn(organization.id('beta'))}\n"
    )
    result = cli("--role-arns-file", str(roles), "--endpoint-url", fault_proxy.url, "--fmt", "json", *LIST)
    assert result.code == 0, result.stderr
    assert set(_buckets(result)) == {"alpha-logs", "alpha-data", "beta-logs"}


@pytest.mark.parametrize(
    "line",
    [
        "arn:aws:iam::12345:role/short-id",
        "arn:aws:s3:::a-bucket",
        "arn:aws:iam::123456789012:user/someone",
        "arn:aws:iam::123456789012:role/bad name",
        "arn:aws:iam::123456789012:role/\x1b[31mred",
    ],
)
def test_a_bad_line_of_the_roles_file_is_refused_by_number(cli: Cli, tmp_path: Path, line: str) -> None:
    roles = tmp_path / "roles.txt"
    roles.write_text(f"{role_arn('111111111111')}\n# fine\n{line}\n")
    result = cli("--role-arns-file", str(roles), "--endpoint-url", "http://127.0.0.1:9")
    assert result.code == 2
    assert "line 3" in result.stderr and "is not an IAM role ARN" in result.stderr
    assert "\x1b" not in result.stderr and "Traceback" not in result.stderr


def test_account_filter_keeps_those_and_names_an_unknown_id(
    organization: Organization, fault_proxy: FaultProxy, cli: Cli
) -> None:
    alpha = organization.id("alpha")
    result = cli(
        "--organization",
        "--account",
        alpha,
        "--account",
        "999999999999",
        "--endpoint-url",
        fault_proxy.url,
        "--fmt",
        "json",
        *LIST,
    )
    assert result.code == 3, result.stderr
    assert set(_buckets(result)) == {"alpha-logs", "alpha-data"}
    assert f"account 999999999999 not covered [account: {ACCOUNT_NOT_FOUND}]" in result.stderr
    assert "covered 1 of 2 accounts" in result.stderr
    assert fault_proxy.count("AssumeRole") == 1  # beta's role is never tried


def test_prefix_applies_across_accounts(organization: Organization, fault_proxy: FaultProxy, cli: Cli) -> None:
    result = cli("--organization", "--prefix", "*-logs", "--endpoint-url", fault_proxy.url, "--fmt", "json", *LIST)
    assert result.code == 3, result.stderr  # gamma is suspended
    assert set(_buckets(result)) == {"mgmt-logs", "alpha-logs", "beta-logs"}


def test_organizations_access_denied_is_the_management_accounts_failure(
    organization: Organization, fault_proxy: FaultProxy, cli: Cli
) -> None:
    refused = fault_proxy.add(Rule(operation="ListAccounts", status=400, code="AccessDeniedException"))
    result = cli("--organization", "--endpoint-url", fault_proxy.url, "--fmt", "json", *LIST)
    assert result.code == 3, result.stderr
    assert refused.hits == 1
    assert json.loads(result.stdout)["Buckets"] == []  # still a report, empty
    assert f"account {MANAGEMENT} not covered [organizations: AccessDenied]" in result.stderr
    assert "covered 0 of 1 account" in result.stderr
    assert "Traceback" not in result.stderr


def test_not_in_an_organisation_is_named_too(aws_url: str, fault_proxy: FaultProxy, cli: Cli) -> None:
    """AWS's answer outside an organisation (moto lists the caller alone instead)."""
    fault_proxy.add(
        Rule(operation="ListAccounts", status=400, code="AWSOrganizationsNotInUseException", message="not in use")
    )
    result = cli("--organization", "--endpoint-url", fault_proxy.url, "--fmt", "json", *LIST)
    assert result.code == 3, result.stderr
    assert f"account {MANAGEMENT} not covered [organizations: AWSOrganizationsNotInUseException]" in result.stderr


def test_credentials_are_assumed_again_before_they_expire(organization: Organization, fault_proxy: FaultProxy) -> None:
    """A 900 s session refreshed 899 s before it ends: after one second the credentials in use are stale. The
    proxy then refuses them (ExpiredToken): the next call still succeeds, signed with new ones."""
    alpha = organization.id("alpha")
    base = Aws(AwsOptions(endpoint_url=fault_proxy.url))
    aws = base.assume_role(RoleRequest(role_arn(alpha), "s3-storage-analyser-test", duration=900, refresh_window=899))
    s3 = aws.client("s3")
    assert {b["Name"] for b in s3.list_buckets()["Buckets"]} == {"alpha-logs", "alpha-data"}
    stale_key = aws.frozen_credentials()[0]
    assumed = fault_proxy.count("AssumeRole")
    fault_proxy.add(
        Rule(status=400, code="ExpiredToken", message="expired", header_contains={"authorization": stale_key})
    )
    time.sleep(1.1)  # not a timing assertion: the wait that makes the credentials in use stale
    assert {b["Name"] for b in s3.list_buckets()["Buckets"]} == {"alpha-logs", "alpha-data"}
    assert fault_proxy.count("AssumeRole") > assumed  # the refresh function ran
    fresh = aws.frozen_credentials()  # what listing worker processes are handed, once per account's listing
    assert fresh[0] != stale_key
    worker = Aws.with_credentials(base.options, fresh)  # as a worker process builds its clients
    assert {b["Name"] for b in worker.client("s3").list_buckets()["Buckets"]} == {"alpha-logs", "alpha-data"}


def test_a_scan_that_outlives_its_credentials_still_succeeds(
    organization: Organization, fault_proxy: FaultProxy
) -> None:
    """A refresh window as long as the session: every signing finds the credentials due, so the refresh
    function runs during the scan (counted at the proxy), and every bucket is still measured."""
    aws = Aws(AwsOptions(endpoint_url=fault_proxy.url))
    accounts = AccountOptions(role_arns=(role_arn(organization.id("alpha")),), duration=900, refresh_window=900)
    snapshot = scan_accounts(aws, ScanOptions(strategy="list", processes=0), accounts).snapshot
    assert not snapshot.failures
    assert {r.bucket.name: r.usage.bytes for r in snapshot.buckets} == {"alpha-logs": 120, "alpha-data": 7}
    assert fault_proxy.count("AssumeRole") > 2


def test_a_bucket_name_two_accounts_list_is_counted_once() -> None:
    """Bucket names are global; an endpoint may still list one name in two accounts (moto refuses to make
    it, so the two accounts' results are given): the first account's is kept, with a notice."""
    taken = datetime(2026, 1, 1, tzinfo=UTC)

    def one(name: str, size: int) -> Snapshot:
        usage = Usage(objects=1, bytes_by_class={"STANDARD": size})
        return Snapshot("list", taken, (BucketReport(Bucket(name, "us-east-1"), usage),))

    plan = Plan(
        targets=[Target("111111111111"), Target("222222222222")],
        found=[Account("111111111111"), Account("222222222222")],
    )
    merged = merge(
        ScanOptions(strategy="list"),
        taken,
        plan,
        [AccountResult(plan.targets[0], one("shared", 5)), AccountResult(plan.targets[1], one("shared", 9))],
    )
    assert [(r.bucket.name, r.bucket.account, r.usage.bytes) for r in merged.buckets] == [("shared", "111111111111", 5)]
    assert merged.total.bytes == 5
    assert [n.bucket for n in merged.notices] == ["shared"]
    assert "222222222222" in merged.notices[0].message


def test_advise_reads_each_buckets_rules_as_its_own_account(
    organization: Organization, fault_proxy: FaultProxy, cli: Cli
) -> None:
    alpha = organization.id("alpha")
    organization.s3(alpha).put_bucket_lifecycle_configuration(
        Bucket="alpha-logs",
        LifecycleConfiguration={"Rules": [{"ID": "old", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 9}}]},
    )
    result = cli("advise", "--role-arn", role_arn(alpha), "--endpoint-url", fault_proxy.url, "--fmt", "json", "-q")
    assert result.code == 0, result.stderr
    buckets = {b["Bucket"]: b for b in json.loads(result.stdout)["Buckets"]}
    assert buckets["alpha-logs"]["Lifecycle"] == "rules"
    assert buckets["alpha-data"]["Lifecycle"] == "none"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--account", "123456789012"), "--account filters the accounts of --organization or --role-arn"),
        (("--external-id", "abc"), "--external-id applies only with --organization or --role-arn"),
        (("--role-name", "x"), "--role-name applies only with --organization"),
        (("--organization", "--account", "12"), "is not an AWS account id"),
        (("--organization", "--role-duration", "60"), "--role-duration"),
        (("--organization", "--role-name", "no spaces"), "is not an IAM role name"),
        (("--organization", "--role-arn", role_arn("111111111111")), "both choose the accounts"),
        (("--organization", "--dry-run"), "--dry-run"),
        (("--role-arn", "arn:aws:iam::1:role/x"), "is not an IAM role ARN"),
        (("--role-arns-file", "/nonexistent/roles.txt"), "cannot be read"),
    ],
)
def test_bad_account_flags_are_refused(cli: Cli, args: tuple[str, ...], says: str) -> None:
    result = cli(*args, "--endpoint-url", "http://127.0.0.1:9")
    assert result.code == 2, result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.stderr


def test_a_hostile_account_name_reaches_no_terminal(aws_url: str, fault_proxy: FaultProxy, cli: Cli) -> None:
    org = build_organization(aws_url, ["\x1b[2Jevil\u202e", "plain"], suspended=["\x1b[2Jevil\u202e"])
    result = cli("--organization", "--endpoint-url", fault_proxy.url, "--fmt", "table", *LIST)
    assert result.code == 3, result.stderr
    assert "\x1b" not in result.stdout + result.stderr and "\u202e" not in result.stdout + result.stderr
    assert f"account {org.id('plain')}" not in result.stderr  # covered: named in no warning
    assert "covered 2 of 3 accounts" in result.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--account", "123456789012"), "--account filters the accounts"),
        (("--organization", "--role-duration", "60"), "--role-duration"),
        (("--role-arn", "arn:aws:iam::1:role/x"), "is not an IAM role ARN"),
    ],
)
def test_serve_takes_the_account_flags(cli: Cli, tmp_path: Path, args: tuple[str, ...], says: str) -> None:
    """Checked before the port is bound or the history opened."""
    result = cli("serve", "--no-auth", "--port", "0", "--db", str(tmp_path / "h.db"), *args)
    assert result.code == 2, result.stderr
    assert says in result.stderr
    assert not (tmp_path / "h.db").exists()


def test_the_demo_refuses_account_flags(cli: Cli) -> None:
    result = cli("demo", "--organization")
    assert result.code == 2
    assert "the demo is one account of its own" in result.stderr


def test_one_account_scans_are_unchanged(aws_url: str, cli: Cli) -> None:
    """No account flag: the current account only, no account named anywhere."""
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=aws_url)
    s3.create_bucket(Bucket="solo")
    result = cli("--endpoint-url", aws_url, "--fmt", "json", *LIST)
    assert result.code == 0, result.stderr
    assert _buckets(result) == {"solo": 0}
    assert "account" not in result.stderr
    assert "Account" not in result.stdout
