"""``s3sa advise`` against moto over HTTP: the demo account's findings, every suggested rule accepted by
PutBucketLifecycleConfiguration and not suggested again, and a bucket whose rules cannot be read."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import boto3

from s3_storage_analyser.demo.seed import DEMO_BUCKETS, seed_account
from support.cli import CliResult
from support.faultproxy import FaultProxy, Rule

Cli = Callable[..., CliResult]
REGIONS = {spec.name: spec.region for spec in DEMO_BUCKETS}


def _advise(cli: Cli, url: str, *args: str) -> tuple[int, dict[str, Any], str]:
    listing = () if "--strategy" in args else ("--processes", "0")
    result = cli("advise", "--endpoint-url", url, "--fmt", "json", "-q", *listing, *args)
    assert result.stdout, result.stderr
    return result.code, json.loads(result.stdout), result.stderr


def _kinds(data: dict[str, Any]) -> dict[str, list[str]]:
    return {b["Bucket"]: [f["Kind"] for f in b["Findings"]] for b in data["Buckets"]}


def test_advise_on_the_demo_account_and_every_rule_it_suggests_is_accepted(aws_url: str, cli: Cli) -> None:
    # scale 0.05 (~500 objects, 15 in acme-db-backups) as `demo` runs it in tests: every finding below is about
    # which classes and sizes a bucket holds, not how many objects, so a larger account costs only listing time.
    seed_account(aws_url, scale=0.05)
    code, data, err = _advise(cli, aws_url)
    assert code == 0, err
    kinds = _kinds(data)
    assert "incomplete-uploads" in kinds["acme-ml-datasets"]
    assert {"noncurrent-versions", "delete-markers"} <= set(kinds["acme-contracts"])
    assert {"small-objects", "archive-overhead"} <= set(kinds["acme-app-logs"])
    assert "small-objects" in kinds["acme-data-lake"]
    assert "archive-overhead" in kinds["acme-db-backups"]
    assert all("no-lifecycle" in found for found in kinds.values())  # the demo has no lifecycle rule
    assert data["Currency"] == "USD" and data["Estimates"] is True and data["Prices"]
    # the total is the buckets' sum, exactly, in decimal strings
    total = sum((Decimal(b["EstimatedMonthlySaving"]) for b in data["Buckets"]), Decimal(0))
    assert Decimal(data["EstimatedMonthlySaving"]) == total > 0
    uploads = next(f for b in data["Buckets"] for f in b["Findings"] if f["Kind"] == "incomplete-uploads")
    assert uploads["Evidence"]["uploads"] == 1 and uploads["Evidence"]["bytes"] == 10 * 2**20

    suggested: dict[str, list[str]] = {}
    for bucket in data["Buckets"]:
        configuration = bucket["LifecycleConfiguration"]
        rules = [f["Rule"] for f in bucket["Findings"] if f["Rule"]]
        if not rules:
            assert configuration is None
            continue
        assert configuration == {"Rules": rules}  # no rule of the bucket's own to keep
        s3 = boto3.client("s3", region_name=REGIONS[bucket["Bucket"]], endpoint_url=aws_url)
        s3.put_bucket_lifecycle_configuration(Bucket=bucket["Bucket"], LifecycleConfiguration=configuration)
        assert s3.get_bucket_lifecycle_configuration(Bucket=bucket["Bucket"])["Rules"]
        suggested[bucket["Bucket"]] = [f["Kind"] for f in bucket["Findings"] if f["Rule"]]
    assert suggested["acme-contracts"][:2] == ["noncurrent-versions", "delete-markers"]
    assert set(suggested) == set(REGIONS)  # at least the safeguard for every bucket

    code, again, err = _advise(cli, aws_url)
    assert code == 0, err
    for bucket in again["Buckets"]:
        assert bucket["Lifecycle"] == "rules"
        assert bucket["LifecycleConfiguration"] is None
        kinds_now = {f["Kind"] for f in bucket["Findings"]}
        assert not kinds_now & set(suggested[bucket["Bucket"]]), bucket["Bucket"]
        assert all(f["Rule"] is None for f in bucket["Findings"])
    # what no lifecycle rule fixes is still there
    assert "small-objects" in _kinds(again)["acme-ml-datasets"]


def _two_buckets(aws_url: str) -> None:
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=aws_url)
    for name in ("open", "secret"):
        s3.create_bucket(Bucket=name)
        s3.put_object(Bucket=name, Key="a", Body=b"x" * 100, StorageClass="STANDARD_IA")
        s3.create_multipart_upload(Bucket=name, Key="big")
    s3.put_bucket_lifecycle_configuration(
        Bucket="open",
        LifecycleConfiguration={
            "Rules": [{"ID": "logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 30}}]
        },
    )


def test_a_bucket_whose_rules_cannot_be_read_is_named_and_the_rest_reported(
    fault_proxy: FaultProxy, aws_url: str, cli: Cli
) -> None:
    _two_buckets(aws_url)
    denied = fault_proxy.add(Rule(operation="GetBucketLifecycleConfiguration", bucket="secret"))
    code, data, err = _advise(cli, fault_proxy.url)
    assert code == 3  # some bucket's rules were not read
    assert denied.hits == 1  # refused once: AccessDenied is not retried
    assert "bucket secret: lifecycle rules not read" in err
    buckets = {b["Bucket"]: b for b in data["Buckets"]}
    assert buckets["secret"]["Lifecycle"] == "denied"
    assert _kinds(data)["secret"] == ["incomplete-uploads", "small-objects", "lifecycle-unreadable"]
    uploads = buckets["secret"]["Findings"][0]
    assert any("could not be read" in caveat for caveat in uploads["Caveats"])
    # the other bucket: its own rule (for logs/ only) kept in the configuration, the new rule added
    assert buckets["open"]["Lifecycle"] == "rules"
    assert _kinds(data)["open"] == ["incomplete-uploads", "small-objects"]
    rules = buckets["open"]["LifecycleConfiguration"]["Rules"]
    assert [r["ID"] for r in rules] == ["logs", "s3sa-abort-incomplete-uploads"]
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=aws_url)
    s3.put_bucket_lifecycle_configuration(
        Bucket="open", LifecycleConfiguration=buckets["open"]["LifecycleConfiguration"]
    )
    fault_proxy.clear()
    code, again, err = _advise(cli, fault_proxy.url, "--bucket", "open")
    assert code == 0, err
    assert _kinds(again)["open"] == ["small-objects"]


def test_advise_table_and_cloudwatch(aws_url: str, cli: Cli) -> None:
    _two_buckets(aws_url)
    result = cli("advise", "--endpoint-url", aws_url, "-q", "--processes", "0", "--older-than", "30")
    assert result.code == 0, result.stderr
    assert "Total estimated saving: $" in result.stdout
    assert "prices: AWS public S3 prices shipped with s3-storage-analyser" in result.stdout
    assert "aws s3api put-bucket-lifecycle-configuration --bucket secret" in result.stdout
    assert "estimates" in result.stdout.lower()
    cloudwatch = cli("advise", "--endpoint-url", aws_url, "-q", "--strategy", "cloudwatch", "--fmt", "json")
    assert cloudwatch.code == 0, cloudwatch.stderr
    named = {u["Kind"] for u in json.loads(cloudwatch.stdout)["Unavailable"]}
    assert named == {"incomplete-uploads", "noncurrent-versions", "delete-markers", "standard-old"}
    refused = cli("advise", "--endpoint-url", aws_url, "--strategy", "cloudwatch", "--older-than", "30")
    assert refused.code == 2 and "--older-than applies only to --strategy list or inventory" in refused.stderr


def test_advise_from_s3_inventory_reports(aws_url: str, cli: Cli) -> None:
    from s3_storage_analyser.demo.inventories import publish_demo_inventories

    seed_account(aws_url, scale=0.1)
    publish_demo_inventories(aws_url)
    code, data, err = _advise(cli, aws_url, "--strategy", "inventory", "--prefix", "acme-[cdw]*")
    assert code == 0, err
    assert data["Strategy"] == "inventory"
    # inventory reports list no unfinished upload: named, not guessed
    assert [u["Kind"] for u in data["Unavailable"]] == ["incomplete-uploads"]
    kinds = _kinds(data)
    assert {"noncurrent-versions", "delete-markers", "standard-old"} <= set(kinds["acme-contracts"])
    assert "archive-overhead" in kinds["acme-db-backups"]
    old = next(f for f in data["Buckets"][0]["Findings"] if f["Kind"] == "standard-old")
    assert old["Evidence"]["objects"] > 0 and old["Evidence"]["older_than_days"] == 90


def test_a_server_without_lifecycle_support_is_named_per_bucket(
    fault_proxy: FaultProxy, aws_url: str, cli: Cli
) -> None:
    _two_buckets(aws_url)
    fault_proxy.add(
        Rule(operation="GetBucketLifecycleConfiguration", status=501, code="NotImplemented", message="not here")
    )
    code, data, err = _advise(cli, fault_proxy.url)
    assert code == 3
    assert err.count("lifecycle rules not read") == 2 and "NotImplemented" in err
    for bucket in data["Buckets"]:
        assert bucket["Lifecycle"] == "error" and "NotImplemented" in bucket["LifecycleMessage"]
        assert [f["Kind"] for f in bucket["Findings"]][-1] == "lifecycle-unreadable"
        assert "incomplete-uploads" in [f["Kind"] for f in bucket["Findings"]]  # the rest is still reported
