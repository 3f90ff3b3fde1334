"""Bad input and failures: exit codes, messages that say what was wrong, no tracebacks.

Exit codes: 0 ok, 1 failure, 2 usage, 3 partial (some buckets not measured).
Faults come from ``faultproxy``: a reverse proxy in front of moto that answers
chosen requests with AWS-style errors.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from support.aws import make_bucket
from support.cli import CliResult
from support.faultproxy import FaultProxy, Rule
from support.faults import assert_clean_failure, closed_port

Cli = Callable[..., CliResult]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3


# --- usage errors: caught before any AWS call -------------------------------------------------


@pytest.mark.parametrize(
    ("args", "messages"),
    [
        (["--unit", "XB"], ["Unknown unit 'XB'", "Use one of: B, KB, MB, GB, TB, PB, auto"]),
        (["--unit", "KiB"], ["Unknown unit 'KiB'"]),
        (["--fmt", "yaml"], ["Unknown format 'yaml'", "json_pretty"]),
        (["--prefix", "a/b"], ["--prefix 'a/b' contains '/'", "bucket names, not keys"]),
        (["--prefix", "bad name!"], ["--prefix 'bad name!' has characters no bucket name can contain"]),
        (["--prefix", "s3://"], ["Empty bucket glob 's3://'"]),
        (["--prefix", "logs-[0-9"], ["unclosed '['"]),
        (["--bucket", "bad name"], ["--bucket 'bad name' is not a valid bucket name"]),
        (["--bucket", "-leading-dash"], ["--bucket '-leading-dash' is not a valid bucket name"]),
        (["--bucket", "x" * 300], ["is not a valid bucket name"]),
        (["--bucket", "s3://"], ["--bucket 's3://' is not a valid bucket name"]),
        (["--strategy", "guess"], ["Invalid value for '--strategy'", "'guess' is not one of"]),
        (["--conc", "0"], ["Invalid value for '--conc'"]),
        (["--days", "abc"], ["Invalid value for '--days'"]),
        (["--no-such-flag"], ["No such option", "--no-such-flag"]),
    ],
)
def test_usage_errors(aws_url: str, cli: Cli, fault_proxy: FaultProxy, args: list[str], messages: list[str]) -> None:
    make_bucket(aws_url, "present")  # so "no buckets" cannot be what failed
    result = cli("--endpoint-url", fault_proxy.url, *args)
    assert_clean_failure(result, EXIT_USAGE, *messages)
    assert result.stdout == ""
    assert fault_proxy.requests == []  # refused before any AWS call


def test_usage_error_from_environment_variable(aws_url: str, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S3SA_FMT", "xml")
    result = cli("--endpoint-url", aws_url)
    assert_clean_failure(result, EXIT_USAGE, "Unknown format 'xml'")


# --- credentials, profiles, endpoints ----------------------------------------------------------


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")


@pytest.mark.usefixtures("no_credentials")
def test_no_credentials(aws_url: str, cli: Cli) -> None:
    result = cli("--endpoint-url", aws_url)
    assert_clean_failure(
        result,
        EXIT_FAILURE,
        "No AWS credentials were found",
        "AWS_ACCESS_KEY_ID",  # the credential chain is spelled out...
        "~/.aws/credentials",
        "instance metadata service",
        "--profile",  # ...and how to fix it
    )
    assert result.stdout == ""


@pytest.mark.usefixtures("no_credentials")
def test_debug_shows_the_traceback(aws_url: str, cli: Cli) -> None:
    result = cli("--endpoint-url", aws_url, "--debug")
    assert result.code == EXIT_FAILURE
    assert "Traceback" in result.stderr
    assert "NoCredentialsError" in result.stderr  # the cause is kept
    assert "No AWS credentials were found" in result.stderr


def test_unknown_profile(aws_url: str, cli: Cli) -> None:
    result = cli("--endpoint-url", aws_url, "--profile", "nosuchprofile")
    assert_clean_failure(result, EXIT_USAGE, "The AWS profile 'nosuchprofile' does not exist", "--profile")


def test_unknown_profile_from_environment(aws_url: str, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "ghost")
    result = cli("--endpoint-url", aws_url)
    assert_clean_failure(result, EXIT_USAGE, "The AWS profile 'ghost' (from AWS_PROFILE) does not exist", "AWS_PROFILE")


def test_unreachable_endpoint(cli: Cli) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    result = cli("--endpoint-url", url)
    assert_clean_failure(result, EXIT_FAILURE, f"Could not connect to {url}", "s3:ListBuckets", "--endpoint-url")
    assert result.stdout == ""


def test_unreachable_endpoint_from_environment(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    result = cli()
    assert_clean_failure(result, EXIT_FAILURE, f"Could not connect to {url}")


# --- AccessDenied and friends, through the fault proxy -------------------------------------------


@pytest.fixture
def three_buckets(aws_url: str) -> None:
    for name, region, size in (("east-a", "us-east-1", 10), ("east-b", "us-east-1", 20), ("west-c", "eu-west-1", 30)):
        make_bucket(aws_url, name, region).put_object(Bucket=name, Key="k", Body=b"x" * size)


def run_json(cli: Cli, proxy: FaultProxy, *args: str) -> tuple[CliResult, dict[str, Any]]:
    result = cli("--endpoint-url", proxy.url, "--fmt", "json", *args)
    assert "Traceback" not in result.stderr
    return result, json.loads(result.stdout)


def bytes_by_bucket(data: dict[str, Any]) -> dict[str, int]:
    return {b["Bucket"]: b["Bytes"] for b in data["Buckets"]}


@pytest.mark.usefixtures("three_buckets")
def test_proxy_is_transparent_without_rules(cli: Cli, fault_proxy: FaultProxy) -> None:
    result, data = run_json(cli, fault_proxy)
    assert result.code == EXIT_OK, result.stderr
    assert bytes_by_bucket(data) == {"east-a": 10, "east-b": 20, "west-c": 30}
    assert fault_proxy.count("ListBuckets") == 1
    assert fault_proxy.count("GetBucketLocation") == 3
    assert fault_proxy.count("GetMetricData", region="us-east-1") == 1
    assert fault_proxy.count("GetMetricData", region="eu-west-1") == 1


@pytest.mark.usefixtures("three_buckets")
def test_region_lookup_denied_for_one_bucket(cli: Cli, fault_proxy: FaultProxy) -> None:
    location = fault_proxy.add(operation="GetBucketLocation", bucket="east-b")
    head = fault_proxy.add(operation="HeadBucket", bucket="east-b")
    result, data = run_json(cli, fault_proxy)

    assert result.code == EXIT_PARTIAL, result.stderr
    assert location.hits == 1
    assert head.hits >= 1  # the fallback was tried
    assert bytes_by_bucket(data) == {"east-a": 10, "west-c": 30}
    assert data["Failures"] == [
        {
            "Bucket": "east-b",
            "Region": None,
            "Stage": "region",
            "Error": "AccessDenied",
            "Message": "Access denied calling s3:GetBucketLocation on bucket 'east-b': Access Denied\n"
            "  hint: Grant the permission shown in the IAM policy for this strategy (docs/iam.md).",
        }
    ]
    assert "warning: bucket east-b not measured [region: AccessDenied]" in result.stderr
    assert "east-a" not in result.stderr


@pytest.mark.usefixtures("three_buckets")
def test_region_lookup_falls_back_to_head_bucket(cli: Cli, fault_proxy: FaultProxy) -> None:
    denied = fault_proxy.add(operation="GetBucketLocation", bucket="west-c")
    result, data = run_json(cli, fault_proxy)
    assert result.code == EXIT_OK, result.stderr
    assert denied.hits == 1
    assert fault_proxy.count("HeadBucket", bucket="west-c") == 1
    west = {b["Bucket"]: b for b in data["Buckets"]}["west-c"]
    assert (west["Region"], west["Bytes"]) == ("eu-west-1", 30)


@pytest.mark.usefixtures("three_buckets")
def test_metrics_denied_in_one_region(cli: Cli, fault_proxy: FaultProxy) -> None:
    denied = fault_proxy.add(service="monitoring", operation="GetMetricData", region="us-east-1")
    result, data = run_json(cli, fault_proxy)

    assert result.code == EXIT_PARTIAL, result.stderr
    assert denied.hits == 1  # AccessDenied is not retried
    assert bytes_by_bucket(data) == {"west-c": 30}
    assert [(f["Bucket"], f["Region"], f["Stage"], f["Error"]) for f in data["Failures"]] == [
        ("east-a", "us-east-1", "metrics", "AccessDenied"),
        ("east-b", "us-east-1", "metrics", "AccessDenied"),
    ]
    assert all("cloudwatch:GetMetricData" in f["Message"] for f in data["Failures"])
    assert "warning: bucket east-a (us-east-1) not measured [metrics: AccessDenied]" in result.stderr
    assert "warning: bucket east-b (us-east-1) not measured" in result.stderr


@pytest.mark.usefixtures("three_buckets")
@pytest.mark.parametrize("days", ["3", "20"])  # 20: beyond ListMetrics' two-week horizon
def test_list_metrics_denied_falls_back_to_documented_series(cli: Cli, fault_proxy: FaultProxy, days: str) -> None:
    denied = fault_proxy.add(operation="ListMetrics", region="eu-west-1")
    result, data = run_json(cli, fault_proxy, "--days", days)
    assert result.code == EXIT_OK, result.stderr
    assert denied.hits >= 1
    assert bytes_by_bucket(data) == {"east-a": 10, "east-b": 20, "west-c": 30}
    assert fault_proxy.count("GetMetricData", region="eu-west-1") == 1


@pytest.mark.usefixtures("three_buckets")
def test_all_metrics_denied_is_a_failure(cli: Cli, fault_proxy: FaultProxy) -> None:
    fault_proxy.add(operation="GetMetricData")
    result, data = run_json(cli, fault_proxy)
    assert result.code == EXIT_FAILURE, result.stderr
    assert data["Buckets"] == []
    assert sorted(f["Bucket"] for f in data["Failures"]) == ["east-a", "east-b", "west-c"]
    assert result.stderr.count("warning: bucket") == 3


@pytest.mark.usefixtures("three_buckets")
def test_everything_denied(cli: Cli, fault_proxy: FaultProxy) -> None:
    everything = fault_proxy.add(Rule())
    result = cli("--endpoint-url", fault_proxy.url, "--fmt", "json")
    assert_clean_failure(result, EXIT_FAILURE, "Access denied calling s3:ListBuckets", "hint:")
    assert result.stdout == ""
    assert everything.hits == 1


@pytest.mark.usefixtures("three_buckets")
def test_rejected_credentials(cli: Cli, fault_proxy: FaultProxy) -> None:
    fault_proxy.add(operation="ListBuckets", code="InvalidAccessKeyId", message="The key does not exist.")
    result = cli("--endpoint-url", fault_proxy.url)
    assert_clean_failure(result, EXIT_FAILURE, "rejected the credentials (InvalidAccessKeyId)", "--profile")


@pytest.mark.usefixtures("three_buckets")
def test_transient_throttling_is_retried(cli: Cli, fault_proxy: FaultProxy) -> None:
    throttled = fault_proxy.add(
        operation="GetMetricData", status=400, code="Throttling", message="Rate exceeded", times=1
    )
    result, data = run_json(cli, fault_proxy)
    assert result.code == EXIT_OK, result.stderr
    assert throttled.hits == 1
    assert bytes_by_bucket(data) == {"east-a": 10, "east-b": 20, "west-c": 30}
    assert fault_proxy.count("GetMetricData") == 3  # two regions, one of them retried once


@pytest.mark.usefixtures("three_buckets")
def test_persistent_server_error_names_the_call(cli: Cli, fault_proxy: FaultProxy) -> None:
    broken = fault_proxy.add(operation="GetMetricData", region="eu-west-1", status=500, code="InternalFailure")
    result, data = run_json(cli, fault_proxy)
    assert result.code == EXIT_PARTIAL, result.stderr
    assert broken.hits == 5  # the default max_attempts, then the region's buckets fail
    assert [(f["Bucket"], f["Error"]) for f in data["Failures"]] == [("west-c", "InternalFailure")]
    # --endpoint-url is set: the message names it, not "AWS"
    assert f"The endpoint {fault_proxy.url} answered InternalFailure calling cloudwatch:GetMetricData" in result.stderr
    assert "AWS answered" not in result.stderr


@pytest.mark.usefixtures("three_buckets")
def test_connection_reset_during_region_fallback(cli: Cli, fault_proxy: FaultProxy) -> None:
    """GetBucketLocation denied, then HeadBucket's connection dropped: the bucket fails, the run goes on."""
    fault_proxy.add(operation="GetBucketLocation", bucket="east-a")
    reset = fault_proxy.add(operation="HeadBucket", bucket="east-a", action="reset")
    result, data = run_json(cli, fault_proxy)
    assert reset.hits >= 1
    assert result.code == EXIT_PARTIAL, result.stderr
    assert bytes_by_bucket(data) == {"east-b": 20, "west-c": 30}
    assert [(f["Bucket"], f["Stage"]) for f in data["Failures"]] == [("east-a", "region")]
    assert "ConnectionClosedError calling s3:HeadBucket on bucket 'east-a'" in data["Failures"][0]["Message"]
