"""--executor dask with several accounts, on the shared LocalCluster against moto over HTTP: each member account's
discovery (and, for --strategy cloudwatch, its whole metrics collection) runs as one task on a worker, which
assumes the account's role with its own credentials; the report is the local executor's, byte for byte.

This process signs with keys of its own (``PARENT_KEY``) and the workers with the tests' keys, so the proxy
tells whose AssumeRole each one is.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any, cast

import boto3
import pytest
from distributed import get_task_stream

from s3_storage_analyser.accounts import AccountOptions
from s3_storage_analyser.accounts_remote import AccountOutcome
from s3_storage_analyser.aws import Aws, AwsOptions
from s3_storage_analyser.config import ScanOptions
from s3_storage_analyser.executors.base import ExecutorOptions
from s3_storage_analyser.executors.dask import connect
from s3_storage_analyser.executors.remote import RemoteFailure, run_remote
from s3_storage_analyser.report import scan_all_detailed
from support.aws import ISOLATED_ENV, put_storage_metric, today_midnight
from support.cli import CliResult
from support.dask_cluster import shared_cluster
from support.faultproxy import FaultProxy, Rule
from support.organization import Organization, build_organization, role_arn

Cli = Callable[..., CliResult]
PARENT_KEY = "AKIAPARENTPROCESS000"
WORKER_KEY = ISOLATED_ENV["AWS_ACCESS_KEY_ID"]
MEMBERS = ("alpha", "beta", "gamma")


@pytest.fixture(scope="module")
def scheduler() -> str:
    address: str = shared_cluster().scheduler_address
    return address


@pytest.fixture
def organization(aws_url: str, monkeypatch: pytest.MonkeyPatch) -> Organization:
    """Three members with a bucket or two each, one object a bucket, and each bucket's CloudWatch size and
    count published in its own account; then this process signs with ``PARENT_KEY``."""
    org = build_organization(aws_url, list(MEMBERS))
    for number, member in enumerate(MEMBERS):
        account = org.id(member)
        names = [f"{member}-logs"] + ([f"{member}-data"] if number != 1 else [])
        for size, name in enumerate(names, 10 * (number + 1)):
            org.bucket(account, name, {"k": b"x" * size})
            _publish(org, account, name, size)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", PARENT_KEY)
    return org


def _publish(org: Organization, account: str, bucket: str, size: int) -> None:
    """The bucket's daily StandardStorage size and object count, in ``account`` (moto keys metrics by account)."""
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=org.url)
    creds = sts.assume_role(RoleArn=role_arn(account), RoleSessionName="test-setup")["Credentials"]
    cw: Any = boto3.client(
        "cloudwatch",
        region_name="us-east-1",
        endpoint_url=org.url,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    for metric, storage, value, unit in (
        ("BucketSizeBytes", "StandardStorage", size, "Bytes"),
        ("NumberOfObjects", "AllStorageTypes", 1, "Count"),
    ):
        dimensions = [{"Name": "BucketName", "Value": bucket}, {"Name": "StorageType", "Value": storage}]
        cw.put_metric_data(
            Namespace="AWS/S3",
            MetricData=[
                {
                    "MetricName": metric,
                    "Dimensions": dimensions,
                    "Timestamp": today_midnight(),
                    "Value": value,
                    "Unit": unit,
                }
            ],
        )


def _assume_roles(proxy: FaultProxy, key: str) -> int:
    """AssumeRole calls signed with ``key``: this process's (PARENT_KEY) or the workers' (WORKER_KEY)."""
    return sum(
        1
        for r in list(proxy.requests)
        if r.operation == "AssumeRole" and f"Credential={key}/" in r.headers.get("authorization", "")
    )


def _report(cli: Cli, proxy: FaultProxy, org: Organization, strategy: str, *extra: str) -> tuple[int, dict[str, Any]]:
    roles = [arg for member in MEMBERS for arg in ("--role-arn", role_arn(org.id(member)))]
    args = ("report", *roles, "--strategy", strategy, "--endpoint-url", proxy.url, "--fmt", "json", "-q")
    result = cli(*args, "--no-cost", *extra)
    assert "Traceback" not in result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    data.pop("GeneratedAt")
    return result.code, data


@pytest.mark.slow  # the shared cluster costs a few seconds to start; each run is a few dozen moto calls
def test_each_accounts_cloudwatch_runs_on_a_worker_with_the_local_result(
    organization: Organization, fault_proxy: FaultProxy, cli: Cli, scheduler: str
) -> None:
    local_code, local = _report(cli, fault_proxy, organization, "cloudwatch")
    assert (_assume_roles(fault_proxy, PARENT_KEY), _assume_roles(fault_proxy, WORKER_KEY)) == (3, 0)
    fault_proxy.clear()

    code, on_dask = _report(
        cli, fault_proxy, organization, "cloudwatch", "--executor", "dask", "--scheduler", scheduler
    )

    assert (local_code, code) == (0, 0)
    assert on_dask == local
    assert {b["Bucket"]: b["Bytes"] for b in on_dask["Buckets"]} == {
        "alpha-logs": 10,
        "alpha-data": 11,
        "beta-logs": 20,
        "gamma-logs": 30,
        "gamma-data": 31,
    }
    assert _assume_roles(fault_proxy, WORKER_KEY) == 3  # each account's task, on a worker, with its own keys
    mine = [
        r.operation for r in fault_proxy.requests if f"Credential={PARENT_KEY}/" in r.headers.get("authorization", "")
    ]
    assert mine == []  # nothing of the accounts' here: no AssumeRole, ListBuckets, ListMetrics or GetMetricData
    # ... and the accounts' calls were made, signed with the roles only the workers assumed.
    assert fault_proxy.count("ListBuckets") == 3 and fault_proxy.count("GetMetricData") >= 3


@pytest.mark.slow
def test_forwarded_role_credentials_sign_the_accounts_tasks(
    organization: Organization, fault_proxy: FaultProxy, cli: Cli, scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--forward-credentials: each role is assumed here and its session credentials go with the account's task;
    the workers assume nothing, and the report is the same."""
    monkeypatch.setenv("AWS_SESSION_TOKEN", "session-token")  # this process's keys are session ones
    local_code, local = _report(cli, fault_proxy, organization, "cloudwatch")
    fault_proxy.clear()

    dask = ("--executor", "dask", "--scheduler", scheduler, "--forward-credentials")
    with get_task_stream(client=connect(ExecutorOptions("dask", scheduler)).client) as stream:
        code, forwarded = _report(cli, fault_proxy, organization, "cloudwatch", *dask)

    assert (local_code, code) == (0, 0)
    assert forwarded == local
    assert (_assume_roles(fault_proxy, PARENT_KEY), _assume_roles(fault_proxy, WORKER_KEY)) == (3, 0)
    assert fault_proxy.count("ListBuckets") == 3
    assert len([t for t in stream.data if str(t["key"]).startswith("s3sa-account-")]) == 3  # ran on the workers


@pytest.mark.slow
def test_each_accounts_client_is_assumed_here_only_when_asked_for(
    organization: Organization, fault_proxy: FaultProxy, scheduler: str
) -> None:
    """advise reads lifecycle rules as each account: an account scanned on a worker has its role assumed here
    only then, once, and its client signs as that account."""
    options = ScanOptions(strategy="cloudwatch", executor=ExecutorOptions("dask", scheduler))
    accounts = AccountOptions(role_arns=tuple(role_arn(organization.id(m)) for m in MEMBERS))

    scanned = scan_all_detailed(Aws(AwsOptions(endpoint_url=fault_proxy.url)), options, accounts)
    assert _assume_roles(fault_proxy, PARENT_KEY) == 0
    alpha = organization.id("alpha")
    listed = scanned.clients[alpha].client("s3").list_buckets()["Buckets"]

    assert sorted(b["Name"] for b in listed) == ["alpha-data", "alpha-logs"]
    assert sorted(scanned.clients) == sorted(organization.id(m) for m in MEMBERS)
    assert _assume_roles(fault_proxy, PARENT_KEY) == 3  # each once, when first asked for


@pytest.mark.slow
def test_a_listing_finds_each_accounts_buckets_here_with_the_local_result(
    organization: Organization, fault_proxy: FaultProxy, cli: Cli, scheduler: str
) -> None:
    """A listing assumes each role here for the buckets' first pages: its discovery stays here too (as a task it
    measured slower, docs/dask.md); the report is the local executor's."""
    local_code, local = _report(cli, fault_proxy, organization, "list")

    code, on_dask = _report(cli, fault_proxy, organization, "list", "--executor", "dask", "--scheduler", scheduler)

    assert (local_code, code) == (0, 0)
    assert on_dask == local
    assert len(on_dask["Buckets"]) == 5


@pytest.mark.slow
def test_a_role_the_worker_cannot_assume_is_that_accounts_failure(
    organization: Organization, fault_proxy: FaultProxy, cli: Cli, scheduler: str
) -> None:
    gamma = organization.id("gamma")
    fault_proxy.add(Rule(operation="AssumeRole", body_contains=gamma.encode()))

    code, data = _report(cli, fault_proxy, organization, "cloudwatch", "--executor", "dask", "--scheduler", scheduler)

    assert code == 3
    assert {b["Bucket"]: b["Bytes"] for b in data["Buckets"]} == {
        "alpha-logs": 10,
        "alpha-data": 11,
        "beta-logs": 20,
    }
    [failure] = data["Failures"]
    assert (failure["Account"], failure["Bucket"], failure["Stage"], failure["Error"]) == (
        gamma,
        "",
        "assume-role",
        "AccessDenied",
    )
    assert role_arn(gamma) in failure["Message"]
    assert _assume_roles(fault_proxy, PARENT_KEY) == 0


def test_a_task_that_raises_is_a_named_failure(scheduler: str) -> None:
    """A task's exception comes back as data naming it, never raised here."""
    cluster = connect(ExecutorOptions("dask", scheduler))

    answer = run_remote(cluster, "test", int, int, "not a number")

    assert answer == RemoteFailure(
        "ValueError", "a Dask task failed: ValueError: invalid literal for int() with base 10: 'not a number'"
    )


def test_an_answer_of_another_type_is_refused(scheduler: str) -> None:
    """A task's answer is checked like any input: another type is a named failure, not a result."""
    cluster = connect(ExecutorOptions("dask", scheduler))

    answer = run_remote(cluster, "test", AccountOutcome, cast(Any, str), 5)

    assert answer == RemoteFailure("BadTaskResult", "a Dask task returned str, not AccountOutcome")


def test_a_run_that_ends_cancels_its_task(scheduler: str) -> None:
    """Another thread ending the run (Ctrl-C in the main one) stops the wait and cancels the task."""
    cluster = connect(ExecutorOptions("dask", scheduler))
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()

    answer = run_remote(cluster, "test", type(None), time.sleep, 2.0, stop=stop)

    assert answer == RemoteFailure("CancelledError", "the run ended before this Dask task did")


def test_one_accounts_cloudwatch_is_collected_here(aws_url: str, cli: Cli, scheduler: str) -> None:
    """With one account --executor dask is accepted with CloudWatch and changes nothing: a few requests here."""
    boto3.client("s3", region_name="us-east-1", endpoint_url=aws_url).create_bucket(Bucket="solo")
    put_storage_metric(aws_url, "us-east-1", "solo", "StandardStorage", 4_096)
    args = ("report", "--strategy", "cloudwatch", "--endpoint-url", aws_url, "--fmt", "json", "--no-cost")

    local, on_dask = cli(*args, "-q"), cli(*args, "--executor", "dask", "--scheduler", scheduler, "-v")

    assert (local.code, on_dask.code) == (0, 0), on_dask.stderr
    assert [(b["Bucket"], b["Bytes"]) for b in json.loads(on_dask.stdout)["Buckets"]] == [("solo", 4_096)]
    assert json.loads(on_dask.stdout)["Buckets"] == json.loads(local.stdout)["Buckets"]
    assert "Dask cluster" not in on_dask.stderr  # -v names no work sent there
