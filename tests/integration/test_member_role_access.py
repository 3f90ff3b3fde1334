"""The documented policies, enforced: moto checks IAM over HTTP (its auth switched on for the test), the caller is
a user with docs/iam.md's caller policy (and the listing policy, for its own account), and the member account's
role is the one the template creates. A listing of both accounts then works with nothing more, and taking any
one action away fails the account or bucket that needs it, named, while the other account is still reported.

moto checks CloudWatch's calls as ``monitoring:*`` (not ``cloudwatch:*``, the actions IAM has), so the
CloudWatch strategy cannot be checked this way; test_member_role_template.py checks its policy against the docs.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from support.member_role import TEMPLATE, doc_section, doc_statements, json_blocks

ROLE = "s3-storage-analyser-reader"


@dataclass(frozen=True)
class Organisation:
    url: str
    management: str
    member: str
    member_credentials: dict[str, Any]
    caller_user: str


def _client(service: str, url: str, credentials: dict[str, Any] | None = None) -> Any:
    keys: dict[str, str] = {}
    if credentials is not None:
        keys = {
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"],
        }
    make: Any = boto3.client  # the service is a variable: none of the stubs' overloads applies
    return make(service, region_name="us-east-1", endpoint_url=url, **keys)


def _set_auth(url: str, count: str) -> str:
    """moto's IAM checks on after ``count`` more requests ("0": now; "inf": never); the previous setting."""
    request = urllib.request.Request(
        f"{url}/moto-api/reset-auth", data=count.encode(), method="POST", headers={"Content-Type": "text/plain"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.loads(response.read())["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"])


def _policy(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


@pytest.fixture
def organisation(aws_url: str, request: pytest.FixtureRequest) -> Organisation:
    """A management account with a bucket and a caller user, a member account with the template's role
    (Strategy=list, Advise as the test's parameter, default false, trusting the management account) and a bucket
    holding an object and an unfinished upload."""
    advise = bool(getattr(request, "param", False))
    org = _client("organizations", aws_url)
    org.create_organization(FeatureSet="ALL")
    management = _client("sts", aws_url).get_caller_identity()["Account"]
    member = org.create_account(Email="member@example.com", AccountName="member")["CreateAccountStatus"]["AccountId"]
    admin = f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole"
    credentials = _client("sts", aws_url).assume_role(RoleArn=admin, RoleSessionName="setup")["Credentials"]
    _client("cloudformation", aws_url, credentials).create_stack(
        StackName="reader",
        TemplateBody=TEMPLATE.read_text(encoding="utf-8"),
        Parameters=[
            {"ParameterKey": "TrustedPrincipal", "ParameterValue": management},
            {"ParameterKey": "Strategy", "ParameterValue": "list"},
            {"ParameterKey": "Advise", "ParameterValue": str(advise).lower()},
        ],
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    s3 = _client("s3", aws_url, credentials)
    s3.create_bucket(Bucket="member-data")
    s3.put_object(Bucket="member-data", Key="a", Body=b"m" * 100)
    upload = s3.create_multipart_upload(Bucket="member-data", Key="big")["UploadId"]
    s3.upload_part(Bucket="member-data", Key="big", UploadId=upload, PartNumber=1, Body=b"p" * 1000)
    own = _client("s3", aws_url)
    own.create_bucket(Bucket="management-data")
    own.put_object(Bucket="management-data", Key="a", Body=b"o" * 50)

    iam = _client("iam", aws_url)
    iam.create_user(UserName="caller")
    caller_policy = json_blocks(doc_section("The caller"))[0]["Statement"]
    iam.put_user_policy(UserName="caller", PolicyName="caller", PolicyDocument=_policy(caller_policy))
    # The caller's own account is read with its credentials: the listing policy and advise's.
    own_account = doc_statements("Listing strategy") + doc_statements("advise")
    iam.put_user_policy(UserName="caller", PolicyName="listing", PolicyDocument=_policy(own_account))
    return Organisation(aws_url, management, member, credentials, "caller")


@pytest.fixture
def as_caller(organisation: Organisation, monkeypatch: pytest.MonkeyPatch) -> Iterator[Organisation]:
    """The environment signs as the caller user, and moto enforces IAM until the test ends."""
    key = _client("iam", organisation.url).create_access_key(UserName=organisation.caller_user)["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    monkeypatch.setenv("AWS_ENDPOINT_URL", organisation.url)
    previous = _set_auth(organisation.url, "0")
    try:
        yield organisation
    finally:
        _set_auth(organisation.url, previous)


def _deny(organisation: Organisation, action: str) -> None:
    """An explicit Deny of ``action`` on the member role (before moto's checks are on)."""
    _client("iam", organisation.url, organisation.member_credentials).put_role_policy(
        RoleName=ROLE,
        PolicyName="deny",
        PolicyDocument=_policy([{"Effect": "Deny", "Action": action, "Resource": "*"}]),
    )


def _report(cli: Any, *listing: str) -> tuple[int, dict[str, Any]]:
    flags = listing or ("--versions", "--uploads")
    result = cli("report", "--organization", "--strategy", "list", *flags, "--no-cost", "--fmt", "json")
    return result.code, json.loads(result.stdout)


def test_the_documented_policies_are_enough(organisation: Organisation, as_caller: Organisation, cli: Any) -> None:
    code, report = _report(cli)
    assert report["Failures"] == [] and code == 0, report["Failures"]
    assert (report["AccountsCovered"], report["AccountsFound"]) == (2, 2)
    buckets = {b["Bucket"]: b for b in report["Buckets"]}
    assert {n: b["Account"] for n, b in buckets.items()} == {
        "management-data": organisation.management,
        "member-data": organisation.member,
    }
    assert buckets["member-data"]["Bytes"] == 100
    assert buckets["member-data"]["IncompleteUploadBytes"] == 1000  # ListMultipartUploads and ListParts allowed


@pytest.mark.parametrize(
    ("action", "flags", "stage"),
    [
        ("s3:ListAllMyBuckets", (), "account"),
        ("s3:ListBucket", ("--uploads",), "list-objects"),  # --versions lists with ListObjectVersions alone
        ("s3:ListBucketVersions", (), "list-versions"),
        ("s3:ListBucketMultipartUploads", (), "list-uploads"),
        ("s3:ListMultipartUploadParts", (), "list-uploads"),
    ],
)
def test_each_member_action_is_needed(
    organisation: Organisation, cli: Any, request: Any, action: str, flags: tuple[str, ...], stage: str
) -> None:
    _deny(organisation, action)
    request.getfixturevalue("as_caller")
    code, report = _report(cli, *flags)
    assert code == 3
    (failure,) = report["Failures"]
    assert (failure["Account"], failure["Stage"], failure["Error"]) == (organisation.member, stage, "AccessDenied")
    assert failure["Bucket"] == ("" if stage == "account" else "member-data")
    assert "management-data" in {b["Bucket"] for b in report["Buckets"]}  # the other account is still reported


def test_without_assume_role_the_member_account_is_named(organisation: Organisation, cli: Any, request: Any) -> None:
    _client("iam", organisation.url).put_user_policy(
        UserName="caller",
        PolicyName="deny",
        PolicyDocument=_policy([{"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}]),
    )
    request.getfixturevalue("as_caller")
    code, report = _report(cli)
    assert code == 3
    (failure,) = report["Failures"]
    assert (failure["Account"], failure["Stage"], failure["Error"]) == (
        organisation.member,
        "assume-role",
        "AccessDenied",
    )
    assert [b["Bucket"] for b in report["Buckets"]] == ["management-data"]
    assert (report["AccountsCovered"], report["AccountsFound"]) == (1, 2)


def test_without_list_accounts_the_organisation_is_named(organisation: Organisation, cli: Any, request: Any) -> None:
    _client("iam", organisation.url).put_user_policy(
        UserName="caller",
        PolicyName="deny",
        PolicyDocument=_policy([{"Effect": "Deny", "Action": "organizations:ListAccounts", "Resource": "*"}]),
    )
    request.getfixturevalue("as_caller")
    code, report = _report(cli)
    assert code == 3
    (failure,) = report["Failures"]
    assert (failure["Account"], failure["Stage"], failure["Error"]) == (
        organisation.management,
        "organizations",
        "AccessDenied",
    )
    assert report["Buckets"] == []


@pytest.mark.parametrize("organisation", [False, True], indirect=True, ids=["Advise=false", "Advise=true"])
def test_advise_reads_lifecycle_rules_only_with_advise(
    organisation: Organisation, as_caller: Organisation, cli: Any, request: pytest.FixtureRequest
) -> None:
    allowed = request.node.callspec.id == "Advise=true"
    result = cli("advise", "--organization", "--fmt", "json")
    assert result.stdout, result.stderr
    lifecycle = {b["Bucket"]: b["Lifecycle"] for b in json.loads(result.stdout)["Buckets"]}
    assert lifecycle["management-data"] == "none"  # the caller reads its own account's rules
    assert (lifecycle["member-data"] == "none") is allowed, lifecycle
    assert (result.code == 0) is allowed, result.stderr
