"""The member-role template deployed on moto's CloudFormation over HTTP: the role it creates, in the member
account the stack runs in, carries the trust and the policies the template's own evaluation (and so
docs/iam.md, test_member_role_template.py) says, for each strategy; its output is the role's ARN."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from s3_storage_analyser.accounts import DEFAULT_ROLE_NAME
from support.member_role import DOC_PARAMETERS, TEMPLATE, Evaluation, documented, grants, load_template

CALLER = "111122223333"


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


def _member_account(url: str) -> tuple[str, dict[str, Any]]:
    """A new account of a new organisation, and credentials in it (as a StackSet's execution role has)."""
    org = _client("organizations", url)
    org.create_organization(FeatureSet="ALL")
    account = org.create_account(Email="member@example.com", AccountName="member")["CreateAccountStatus"]["AccountId"]
    role = f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole"
    credentials = _client("sts", url).assume_role(RoleArn=role, RoleSessionName="stackset")["Credentials"]
    return account, credentials


def _deploy(url: str, credentials: dict[str, Any], parameters: dict[str, str]) -> dict[str, str]:
    cloudformation = _client("cloudformation", url, credentials)
    cloudformation.create_stack(
        StackName="s3-storage-analyser-reader",
        TemplateBody=TEMPLATE.read_text(encoding="utf-8"),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    (stack,) = cloudformation.describe_stacks(StackName="s3-storage-analyser-reader")["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def _deployed_statements(iam: Any, role: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        statements += iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]["Statement"]
    assert not iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    return statements


@pytest.mark.parametrize(
    ("strategy", "advise", "external_id"),
    [("cloudwatch", False, ""), ("list", True, "s3sa-3f9c1e"), ("inventory", False, ""), ("all", True, "x-1")],
)
def test_the_deployed_role_is_what_the_docs_say(aws_url: str, strategy: str, advise: bool, external_id: str) -> None:
    account, credentials = _member_account(aws_url)
    parameters = DOC_PARAMETERS | {
        "TrustedPrincipal": CALLER,
        "Strategy": strategy,
        "Advise": str(advise).lower(),
        "ExternalId": external_id,
        "MaxSessionDuration": "7200",
    }
    outputs = _deploy(aws_url, credentials, parameters)
    assert outputs["RoleArn"] == f"arn:aws:iam::{account}:role/{DEFAULT_ROLE_NAME}"

    iam = _client("iam", aws_url, credentials)
    role = iam.get_role(RoleName=DEFAULT_ROLE_NAME)["Role"]
    assert role["Arn"] == outputs["RoleArn"]
    assert role["MaxSessionDuration"] == 7200
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"AWS": CALLER}
    assert trust["Action"] == "sts:AssumeRole"
    if external_id:
        assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": external_id}}
    else:
        assert "Condition" not in trust

    granted = grants(_deployed_statements(iam, DEFAULT_ROLE_NAME))
    assert granted == documented(strategy, advise)
    assert granted == grants(Evaluation(load_template(), parameters).statements())


def test_role_name_is_a_parameter(aws_url: str) -> None:
    account, credentials = _member_account(aws_url)
    outputs = _deploy(aws_url, credentials, {"TrustedPrincipal": CALLER, "RoleName": "team-reader"})
    assert outputs == {"RoleArn": f"arn:aws:iam::{account}:role/team-reader", "RoleName": "team-reader"}
    iam = _client("iam", aws_url, credentials)
    assert grants(_deployed_statements(iam, "team-reader")) == documented("cloudwatch", advise=False)
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName=DEFAULT_ROLE_NAME)
