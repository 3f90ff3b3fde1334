"""A moto AWS Organization over HTTP: the management account (moto's default, 123456789012) and members,
some closed (SUSPENDED), with buckets made through assumed-role credentials so moto puts each in its account."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3

from s3_storage_analyser.accounts import DEFAULT_ROLE_NAME

MANAGEMENT = "123456789012"  # moto's account for the default test credentials


def role_arn(account: str, name: str = DEFAULT_ROLE_NAME) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


@dataclass
class Organization:
    """The organisation as built: member names -> account ids, and which were closed."""

    url: str
    members: dict[str, str] = field(default_factory=dict)
    suspended: set[str] = field(default_factory=set)

    def id(self, name: str) -> str:
        return self.members[name]

    def s3(self, account: str, region: str = "us-east-1") -> Any:
        """An S3 client signing as ``account`` (through AssumeRole: moto maps the credentials to it)."""
        if account == MANAGEMENT:
            return boto3.client("s3", region_name=region, endpoint_url=self.url)
        sts = boto3.client("sts", region_name="us-east-1", endpoint_url=self.url)
        creds = sts.assume_role(RoleArn=role_arn(account), RoleSessionName="test-setup")["Credentials"]
        return boto3.client(
            "s3",
            region_name=region,
            endpoint_url=self.url,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )

    def bucket(self, account: str, name: str, objects: dict[str, bytes] | None = None) -> None:
        s3 = self.s3(account)
        s3.create_bucket(Bucket=name)
        for key, body in (objects or {}).items():
            s3.put_object(Bucket=name, Key=key, Body=body)


def build_organization(url: str, members: Sequence[str], *, suspended: Sequence[str] = ()) -> Organization:
    """An organisation of the management account and ``members`` (by name); those in ``suspended`` closed."""
    org = boto3.client("organizations", region_name="us-east-1", endpoint_url=url)
    org.create_organization(FeatureSet="ALL")
    built = Organization(url)
    for number, name in enumerate(members):
        made = org.create_account(AccountName=name, Email=f"member{number}@example.com")
        built.members[name] = made["CreateAccountStatus"]["AccountId"]
    for name in suspended:
        org.close_account(AccountId=built.members[name])
        built.suspended.add(built.members[name])
    return built
