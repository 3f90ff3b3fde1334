"""Bad values get exit 2 and a hint, before any call; servers' errors are named, with the way out.

Endpoint URLs, regions, empty values and flags that do not apply to the chosen
strategy, --by, --fmt or command are refused with exit 2 and a hint. The fault
proxy in front of moto proves that nothing was sent. Endpoints without
CloudWatch (the project's FakeS3, the proxy answering for a missing service)
fail each bucket with a message that names the endpoint and says to use
``--strategy list``; nothing a server sends reaches the terminal raw.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import click
import pytest

from s3_storage_analyser.aws import check_endpoint_url, check_region
from s3_storage_analyser.config import DB_SETTING, REPORT_SETTINGS
from s3_storage_analyser.errors import UsageError
from s3_storage_analyser.render import FORMATS
from s3_storage_analyser.strategies import STRATEGY_NAMES
from support.aws import make_bucket
from support.cli import CliResult
from support.fakes3 import FakeS3, ListKeys
from support.faultproxy import FaultProxy, Request
from support.faults import assert_clean_failure, closed_port

Cli = Callable[..., CliResult]
EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3


def refused(cli: Cli, proxy: FaultProxy, *args: str, messages: tuple[str, ...] = (), hint: str = "hint:") -> CliResult:
    """Run against the proxy: exit 2, the messages and a hint on stderr, nothing sent, nothing printed."""
    result = cli("--endpoint-url", proxy.url, *args)
    assert_clean_failure(result, EXIT_USAGE, *messages, hint)
    assert result.stdout == ""
    assert proxy.requests == []
    return result


# --- endpoint URLs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:9000 ", "contains a space or a control character"),
        (" http://127.0.0.1:9000", "contains a space or a control character"),
        ("http://127.0.0.1:9000\t", "contains a space or a control character"),
        ("http://127.0.0.1:9000\x1b[2J", "contains a space or a control character"),
        ("127.0.0.1:9000", "has no scheme"),
        ("localhost", "has no scheme"),
        ("ftp://127.0.0.1:9000", "has the scheme 'ftp'"),
        ("http://", "has no host"),
        ("http://:9000", "has no host"),
        ("http://127.0.0.1:0", "port that is not a number from 1 to 65535"),
        ("http://127.0.0.1:65536", "port that is not a number from 1 to 65535"),
        ("http://127.0.0.1:99999", "port that is not a number from 1 to 65535"),
        ("http://127.0.0.1:abc", "port that is not a number from 1 to 65535"),
        ("http://[::1", "is not a URL"),
        ("http://127.0.0.1:9000/?x=1", "has a query or fragment"),
        ("http://user:secret@127.0.0.1:9000", "carries a user name or password"),
    ],
)
def test_bad_endpoint_url(cli: Cli, url: str, message: str) -> None:
    result = cli("--endpoint-url", url)
    assert_clean_failure(result, EXIT_USAGE, "error: --endpoint-url ", message, "hint:")
    assert "secret" not in result.stderr  # a password in the URL is never echoed
    assert "\x1b" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9000", "https://s3.example.com", "http://[::1]:9000", "https://host:443/base/path"]
)
def test_good_endpoint_urls_are_kept_as_given(url: str) -> None:
    assert check_endpoint_url(url) == url


@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_CLOUDWATCH"])
def test_bad_endpoint_url_from_the_environment(cli: Cli, monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    monkeypatch.setenv(variable, "http://127.0.0.1:9000 ")
    result = cli()
    assert_clean_failure(result, EXIT_USAGE, f"{variable} 'http://127.0.0.1:9000 ' contains a space", "hint:")


@pytest.mark.slow
def test_empty_endpoint_variable_is_unset_as_for_botocore(
    aws_url: str, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_bucket(aws_url, "here")
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH", "")
    result = cli("--fmt", "json")
    assert result.code == EXIT_OK, result.stderr
    assert [b["Bucket"] for b in json.loads(result.stdout)["Buckets"]] == ["here"]


# --- regions -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "region", ["us-east-1", "eu-west-2", "us-gov-west-1", "cn-northwest-1", "us-isob-east-1", "eusc-de-east-1"]
)
def test_aws_region_shapes_are_accepted(region: str) -> None:
    assert check_region(region) == region


@pytest.mark.parametrize("region", ["aws-global", "s3-external-1", "fips-us-east-1", "us-east-1-fips"])
def test_special_forms_botocore_knows_are_accepted(region: str) -> None:
    assert check_region(region) == region


@pytest.mark.parametrize(
    "region", ["US-EAST-1", "us_east_1", "us-east", "useast1", "garage", "us-east-1 ", "eu west 1"]
)
def test_not_an_aws_region(region: str) -> None:
    with pytest.raises(UsageError, match="is not an AWS region name") as caught:
        check_region(region)
    assert "--endpoint-url" in str(caught.value.hint)  # custom names need the S3-compatible endpoint


@pytest.mark.parametrize("region", ["garage", "minio", "default", "US-EAST-1", "us-east-1", "dc1-rack2"])
def test_s3_compatible_servers_may_name_regions_their_way(region: str) -> None:
    assert check_region(region, custom_endpoint=True) == region


@pytest.mark.parametrize("region", ["a b", "-x", "x-", "12345", "r\x1b[31m", "x" * 64, "eu_west"])
def test_even_custom_regions_are_one_dns_label(region: str) -> None:
    with pytest.raises(UsageError, match="not a region name") as caught:
        check_region(region, custom_endpoint=True)
    assert "\x1b" not in str(caught.value)


def test_bad_region_flag(cli: Cli, fault_proxy: FaultProxy) -> None:
    refused(cli, fault_proxy, "--region", "eu west 1", messages=("--region 'eu west 1' is not a region name",))


def test_region_flag_without_endpoint_must_be_an_aws_region(cli: Cli) -> None:
    result = cli("--region", "garage")
    assert_clean_failure(result, EXIT_USAGE, "--region 'garage' is not an AWS region name", "--endpoint-url")


def test_bad_region_from_the_environment(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "Frankfurt")
    result = cli()
    assert_clean_failure(result, EXIT_USAGE, "AWS_DEFAULT_REGION 'Frankfurt' is not an AWS region name")


def test_custom_region_name_on_an_s3_compatible_endpoint(aws_url: str, cli: Cli) -> None:
    make_bucket(aws_url, "plain").put_object(Bucket="plain", Key="k", Body=b"x" * 5)
    result = cli("--endpoint-url", aws_url, "--region", "garage", "--fmt", "json")
    assert result.code == EXIT_OK, result.stderr
    assert [(b["Bucket"], b["Bytes"]) for b in json.loads(result.stdout)["Buckets"]] == [("plain", 5)]


# --- empty values -----------------------------------------------------------------------------------

VALUED = [s for s in (*REPORT_SETTINGS, DB_SETTING) if not s.is_flag]


def test_every_valued_setting_is_checked() -> None:
    assert {"--fmt", "--unit", "--inventory-manifest", "--prefix", "--bucket", "--profile", "--region"} <= {
        s.flag for s in VALUED
    }


@pytest.mark.parametrize("flag", [s.flag for s in VALUED])
def test_empty_value_is_refused_not_taken_as_the_default(cli: Cli, fault_proxy: FaultProxy, flag: str) -> None:
    setting = next(s for s in VALUED if s.flag == flag)
    if setting.type is str or isinstance(setting.type, click.Path):
        refused(cli, fault_proxy, flag, "", messages=(f"{flag} was given an empty value",))
    else:  # click refuses '' for numbers and choices itself, listing what is valid
        refused(cli, fault_proxy, flag, "", messages=(f"Invalid value for '{flag}'",), hint="--help")


def test_empty_value_among_repeated_ones(cli: Cli, fault_proxy: FaultProxy) -> None:
    refused(cli, fault_proxy, "--bucket", "one", "--bucket", "", messages=("--bucket was given an empty value",))


def test_empty_environment_variable_means_unset(aws_url: str, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """S3SA_FMT= (empty) is the shell's way to unset a variable for one command: the default applies."""
    make_bucket(aws_url, "here")
    monkeypatch.setenv("S3SA_FMT", "")
    monkeypatch.setenv("S3SA_UNIT", "")
    result = cli("--endpoint-url", aws_url)
    assert result.code == EXIT_OK, result.stderr
    assert result.stdout.startswith("Bucket ")  # the table


# --- flags that do not apply ----------------------------------------------------------------------------


def test_rule_table_names_real_strategies_dimensions_and_formats() -> None:
    by = next(s for s in REPORT_SETTINGS if s.dest == "by")
    dimensions = set(by.type.choices)
    dests = {s.dest for s in (*REPORT_SETTINGS, DB_SETTING)}
    for setting in (*REPORT_SETTINGS, DB_SETTING):
        rule = setting.applies
        assert set(rule.strategies) <= set(STRATEGY_NAMES), setting.flag
        assert set(rule.by) <= dimensions, setting.flag
        assert set(rule.formats) <= set(FORMATS), setting.flag
        assert set(rule.needs) <= dests, setting.flag
        assert not rule.commands or rule.why, setting.flag


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--days", "5", "--strategy", "list"],
            "--days applies only to --strategy cloudwatch; this run uses --strategy list",
        ),
        (["--strategy", "inventory", "--days", "5"], "--days applies only to --strategy cloudwatch"),
        (
            ["--processes", "2"],
            "--processes applies only to --strategy list; this run uses --strategy cloudwatch (the default)",
        ),
        (["--strategy", "inventory", "--processes", "2"], "--processes applies only to --strategy list"),
        (["--max-age", "3"], "--max-age applies only to --strategy inventory"),
        (["--strategy", "list", "--cache-dir", "somewhere"], "--cache-dir applies only to --strategy inventory"),
        (
            ["--strategy", "list", "--inventory-manifest", "m.json"],
            "--inventory-manifest applies only to --strategy inventory",
        ),
        (["--depth", "2"], "--depth applies only to --strategy list or inventory"),
        (["--strategy", "list", "--depth", "2"], "--depth applies only with --by prefix"),
        (["--strategy", "list", "--by", "size", "--depth", "2"], "--depth applies only with --by prefix"),
        (["--strategy", "list", "--delimiter", "-"], "--delimiter applies only with --by prefix"),
        (["--strategy", "list", "--limit", "5"], "--limit applies only with --by prefix or --by extension"),
        (
            ["--strategy", "list", "--by", "age", "--limit", "5"],
            "--limit applies only with --by prefix or --by extension",
        ),
        (["--strategy", "inventory", "--uploads"], "--uploads applies only to --strategy list"),
        (["--versions"], "--versions applies only to --strategy list or inventory"),
        (["--by", "prefix"], "--by applies only to --strategy list or inventory"),
        (["--top", "3"], "--top applies only to --strategy list or inventory"),
        (["--fmt", "json", "--unit", "GB"], "--unit applies only to --fmt table, tsv, csv; this run uses --fmt json"),
        (["--fmt", "prometheus", "--unit", "B"], "--unit applies only to --fmt table, tsv, csv"),
        (["--db", "h.sqlite3"], "--db applies only with --save"),
    ],
)
def test_flag_that_does_not_apply_is_refused(
    cli: Cli, fault_proxy: FaultProxy, tmp_path: Path, args: list[str], message: str
) -> None:
    refused(cli, fault_proxy, *args, messages=(message,))
    assert not (tmp_path / "h.sqlite3").exists()


def test_every_inapplicable_flag_is_named_at_once(cli: Cli, fault_proxy: FaultProxy) -> None:
    result = refused(cli, fault_proxy, "--days", "2", "--depth", "3", "--strategy", "list")
    assert "--days applies only" in result.stderr
    assert "--depth applies only with --by prefix" in result.stderr


def test_strategy_from_the_environment_is_named(
    cli: Cli, fault_proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("S3SA_STRATEGY", "list")
    refused(cli, fault_proxy, "--days", "5", messages=("this run uses --strategy list (from S3SA_STRATEGY)",))


@pytest.mark.slow
def test_defaults_and_environment_variables_are_not_asking(
    aws_url: str, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """S3SA_DAYS, S3SA_PROCESSES, S3SA_CACHE_DIR are standing preferences, not requests for this run."""
    make_bucket(aws_url, "bkt").put_object(Bucket="bkt", Key="k", Body=b"x" * 3)
    monkeypatch.setenv("S3SA_DAYS", "7")
    monkeypatch.setenv("S3SA_PROCESSES", "0")
    monkeypatch.setenv("S3SA_CACHE_DIR", "/nonexistent/cache")
    for strategy in ("cloudwatch", "list"):
        result = cli("--endpoint-url", aws_url, "--strategy", strategy, "--fmt", "json")
        assert result.code == EXIT_OK, result.stderr
        assert json.loads(result.stdout)["Buckets"][0]["Bytes"] == 3


def test_flags_that_apply_are_taken(aws_url: str, cli: Cli) -> None:
    make_bucket(aws_url, "bkt").put_object(Bucket="bkt", Key="a/b/c.txt", Body=b"x" * 3)
    args = (
        "--strategy",
        "list",
        "--by",
        "prefix",
        "--depth",
        "2",
        "--delimiter",
        "/",
        "--limit",
        "3",
        "--processes",
        "0",
    )
    result = cli("--endpoint-url", aws_url, "--fmt", "json", *args)
    assert result.code == EXIT_OK, result.stderr
    rows = json.loads(result.stdout)["Buckets"][0]["Breakdowns"]["prefix"]
    assert [(r["Key"], r["Bytes"]) for r in rows] == [("a/", 3), ("a/b/", 3)]  # --depth 2 took


@pytest.mark.parametrize("flag", [["--endpoint-url", "http://127.0.0.1:9"], ["--profile", "prod"]])
def test_demo_refuses_where_it_would_ignore(cli: Cli, flag: list[str]) -> None:
    result = cli("demo", *flag)
    assert_clean_failure(result, EXIT_USAGE, f"{flag[0]} does not apply to `demo`", "hint:")
    assert result.stdout == ""


# --- endpoints without CloudWatch -----------------------------------------------------------------------


def fake_s3(*names: str) -> FakeS3:
    server = FakeS3()
    for name in names:
        server.add_bucket(name, ListKeys.from_keys(["a", "b"], size=3))
    return server


def test_fakes3_without_cloudwatch_says_to_list(cli: Cli) -> None:
    with fake_s3("one", "two") as fake:
        result = cli("--endpoint-url", fake.url, "--fmt", "json")
        listed = cli("--endpoint-url", fake.url, "--fmt", "json", "--strategy", "list")
    assert result.code == EXIT_FAILURE, result.stderr
    failures = json.loads(result.stdout)["Failures"]
    assert [(f["Bucket"], f["Error"]) for f in failures] == [
        ("one", "CloudWatchUnavailable"),
        ("two", "CloudWatchUnavailable"),
    ]
    message = failures[0]["Message"]
    assert f"The endpoint {fake.url} does not serve CloudWatch" in message
    assert "NotImplemented" in message  # the server's code, taken out of its body...
    assert "serves listing operations only" in message  # ...with its message
    assert "<?xml" not in result.stderr and "<Error>" not in result.stderr  # never the raw body
    assert "AWS answered" not in result.stderr
    assert "use --strategy list" in result.stderr
    assert listed.code == EXIT_OK, listed.stderr  # and the hint is right
    assert [b["Bytes"] for b in json.loads(listed.stdout)["Buckets"]] == [6, 6]


def xml_answer(status: int, body: str, content_type: str = "application/xml") -> Callable[[Request], Any]:
    def respond(_req: Request) -> tuple[int, dict[str, str], bytes]:
        return status, {"Content-Type": content_type}, body.encode()

    return respond


@pytest.mark.parametrize(
    ("status", "body", "content_type", "shown"),
    [
        (404, "<html><body><h1>404 Not Found</h1></body></html>", "text/html", "404"),
        (405, "", "text/plain", "405"),
        (
            400,
            '<?xml version="1.0"?><Error><Code>NotImplemented</Code>'
            "<Message>A header you provided implies functionality that is not implemented</Message></Error>",
            "application/xml",
            "NotImplemented calling cloudwatch:ListMetrics: A header you provided implies functionality",
        ),
        (
            200,
            '<?xml version="1.0"?><ListAllMyBucketsResult><Buckets/></ListAllMyBucketsResult>',
            "application/xml",
            "does not serve CloudWatch",
        ),
    ],
)
def test_missing_cloudwatch_behind_the_proxy(
    aws_url: str, cli: Cli, fault_proxy: FaultProxy, status: int, body: str, content_type: str, shown: str
) -> None:
    make_bucket(aws_url, "bkt").put_object(Bucket="bkt", Key="k", Body=b"x")
    fault_proxy.add(service="monitoring", action="respond", responder=xml_answer(status, body, content_type))
    result = cli("--endpoint-url", fault_proxy.url, "--fmt", "json")
    assert result.code == EXIT_FAILURE, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    (failure,) = json.loads(result.stdout)["Failures"]
    assert failure["Error"] == "CloudWatchUnavailable", failure
    assert shown in failure["Message"]
    assert "<html>" not in result.stderr and "<Error>" not in result.stderr
    assert "--strategy list" in result.stderr


def test_cloudwatch_endpoint_refusing_connections(aws_url: str, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    make_bucket(aws_url, "bkt").put_object(Bucket="bkt", Key="k", Body=b"x")
    dead = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH", dead)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    result = cli("--fmt", "json")
    assert result.code == EXIT_FAILURE, result.stderr
    (failure,) = json.loads(result.stdout)["Failures"]
    assert failure["Error"] == "CloudWatchUnavailable"
    assert f"The endpoint {dead} does not serve CloudWatch" in failure["Message"]
    assert "--strategy list" in failure["Message"]


def test_server_text_is_made_printable(aws_url: str, cli: Cli, fault_proxy: FaultProxy) -> None:
    make_bucket(aws_url, "bkt").put_object(Bucket="bkt", Key="k", Body=b"x")
    fault_proxy.add(
        service="monitoring", operation="GetMetricData", status=400, code="Weird\x1b[31m", message="red\x1b]0;pwned\x07"
    )
    result = cli("--endpoint-url", fault_proxy.url)
    assert result.code == EXIT_FAILURE
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "red\\x1b]0;pwned\\x07" in result.stderr
    assert f"The endpoint {fault_proxy.url} answered Weird\\x1b[31m calling cloudwatch:GetMetricData" in result.stderr


def test_without_an_endpoint_messages_say_aws() -> None:
    import botocore.exceptions as bex

    from s3_storage_analyser.aws import translate

    error = bex.ClientError({"Error": {"Code": "InternalFailure", "Message": "boom"}}, "GetMetricData")
    assert str(translate(error, what="cloudwatch:GetMetricData")).startswith("AWS answered InternalFailure")
    named = translate(error, what="cloudwatch:GetMetricData", endpoint="http://127.0.0.1:9000")
    assert str(named).startswith("The endpoint http://127.0.0.1:9000 answered InternalFailure")


# --- discovery: a garbled answer is one bucket's failure -----------------------------------------------------


@pytest.mark.parametrize(
    ("region", "code", "message"),
    [
        ("not a region!", "BadRegion", "not a region name"),
        ("../../etc", "BadRegion", "not a region name"),
        ("x" * 100, "BadRegion", "not a region name"),
        ("red\x1b[2J", "ParseError", "Unexpected ParseError finding the region"),  # not even XML
    ],
)
def test_garbage_region_from_get_bucket_location(
    aws_url: str, cli: Cli, fault_proxy: FaultProxy, region: str, code: str, message: str
) -> None:
    for name in ("good", "garbled"):
        make_bucket(aws_url, name).put_object(Bucket=name, Key="k", Body=b"x" * 4)
    body = f'<?xml version="1.0"?><LocationConstraint>{region}</LocationConstraint>'
    fault_proxy.add(operation="GetBucketLocation", bucket="garbled", action="respond", responder=xml_answer(200, body))
    result = cli("--endpoint-url", fault_proxy.url, "--fmt", "json")
    assert result.code == EXIT_PARTIAL, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    data = json.loads(result.stdout)
    assert [(b["Bucket"], b["Bytes"]) for b in data["Buckets"]] == [("good", 4)]
    (failure,) = data["Failures"]
    assert (failure["Bucket"], failure["Stage"], failure["Error"]) == ("garbled", "region", code)
    assert message in failure["Message"]
    assert "\x1b" not in result.stderr


@pytest.mark.slow
def test_debug_shows_the_traceback_of_an_unexpected_bucket_failure(
    aws_url: str, cli: Cli, fault_proxy: FaultProxy
) -> None:
    make_bucket(aws_url, "garbled")
    body = '<?xml version="1.0"?><LocationConstraint>\x01</LocationConstraint>'
    fault_proxy.add(operation="GetBucketLocation", bucket="garbled", action="respond", responder=xml_answer(200, body))

    # In a process of its own: --debug's logging setup is the process's, not pytest's.
    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "s3_storage_analyser", "--endpoint-url", fault_proxy.url, *extra]
        return subprocess.run(command, check=False, capture_output=True, text=True, timeout=120, env=dict(os.environ))

    quiet, loud = run(), run("--debug")
    assert quiet.returncode == loud.returncode == EXIT_FAILURE, (quiet.stderr, loud.stderr)
    assert "Traceback" not in quiet.stderr
    assert "rerun with --debug" in quiet.stderr
    assert "Traceback" in loud.stderr and "ParseError" in loud.stderr
    assert "internal error" not in loud.stderr


def test_unparseable_get_bucket_location(aws_url: str, cli: Cli, fault_proxy: FaultProxy) -> None:
    for name in ("good", "garbled"):
        make_bucket(aws_url, name).put_object(Bucket=name, Key="k", Body=b"x" * 4)
    fault_proxy.add(
        operation="GetBucketLocation", bucket="garbled", action="respond", responder=xml_answer(200, "<<<\x00")
    )
    result = cli("--endpoint-url", fault_proxy.url, "--fmt", "json")
    assert result.code == EXIT_PARTIAL, result.stderr
    data = json.loads(result.stdout)
    assert [b["Bucket"] for b in data["Buckets"]] == ["good"]
    assert [(f["Bucket"], f["Stage"]) for f in data["Failures"]] == [("garbled", "region")]


# --- CloudWatch figures that are not counts ----------------------------------------------------------------


def test_negative_metric_fails_that_bucket_only(aws_url: str, cli: Cli) -> None:
    make_bucket(aws_url, "fine").put_object(Bucket="fine", Key="k", Body=b"x" * 7)
    make_bucket(aws_url, "negative")  # empty: the endpoint publishes nothing for it but what is put here
    cw = boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=aws_url)
    from support.aws import put_storage_metric

    put_storage_metric(aws_url, "us-east-1", "negative", "StandardStorage", -5.0)
    put_storage_metric(aws_url, "us-east-1", "negative", "AllStorageTypes", 1, metric="NumberOfObjects")
    assert cw is not None
    result = cli("--endpoint-url", aws_url, "--fmt", "json")
    assert result.code == EXIT_PARTIAL, result.stderr
    data = json.loads(result.stdout)
    assert [(b["Bucket"], b["Bytes"]) for b in data["Buckets"]] == [("fine", 7)]
    (failure,) = data["Failures"]
    assert (failure["Bucket"], failure["Error"]) == ("negative", "BadMetricValue")
    assert "-5.0" in failure["Message"]
