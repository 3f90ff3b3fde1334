"""Shared fixtures: a moto server over real HTTP on loopback, reset between tests.

Every test runs with fake credentials, no AWS config files and the instance
metadata service disabled, so nothing can reach beyond 127.0.0.1.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from s3_storage_analyser.cli import entry
from s3_storage_analyser.demo.server import LocalEndpoint

# The fault-injecting proxy's ``fault_proxy`` fixture (tests/faultproxy.py), for every test module.
pytest_plugins = ["faultproxy"]

ISOLATED_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
UNSET = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_PROFILE")


@pytest.fixture(autouse=True)
def isolated_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    empty = tmp_path_factory.getbasetemp() / "no-aws-config"
    for key in UNSET:
        monkeypatch.delenv(key, raising=False)
    for key, value in ISOLATED_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty / "credentials"))


@pytest.fixture(scope="session")
def endpoint() -> Iterator[LocalEndpoint]:
    server = LocalEndpoint()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def aws_url(endpoint: LocalEndpoint) -> str:
    """A freshly reset moto server's URL."""
    endpoint.reset()
    return endpoint.url


@pytest.fixture
def s3(aws_url: str) -> Any:
    return boto3.client("s3", region_name="us-east-1", endpoint_url=aws_url)


def make_bucket(aws_url: str, name: str, region: str = "us-east-1") -> Any:
    client = boto3.client("s3", region_name=region, endpoint_url=aws_url)
    if region == "us-east-1":
        client.create_bucket(Bucket=name)
    else:
        client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    return client


def today_midnight() -> datetime:
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def put_storage_metric(
    aws_url: str,
    region: str,
    bucket: str,
    storage_type: str,
    value: float,
    *,
    metric: str = "BucketSizeBytes",
    when: datetime | None = None,
) -> None:
    """Publish one S3 storage datapoint the way AWS does (daily, at midnight UTC)."""
    cw = boto3.client("cloudwatch", region_name=region, endpoint_url=aws_url)
    cw.put_metric_data(
        Namespace="AWS/S3",
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [
                    {"Name": "BucketName", "Value": bucket},
                    {"Name": "StorageType", "Value": storage_type},
                ],
                "Timestamp": when or today_midnight(),
                "Value": value,
                "Unit": "Bytes" if metric == "BucketSizeBytes" else "Count",
            }
        ],
    )


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Any:
    """Run the CLI in-process through its real entry point and error handler."""

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = entry(list(args))
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run


GOLDEN_DIR = Path(__file__).parent / "golden"


def golden(name: str, actual: str) -> None:
    """Compare with tests/golden/NAME; UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN_DIR / name
    if os.environ.get("UPDATE_GOLDEN") or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual)
        if not os.environ.get("UPDATE_GOLDEN"):
            pytest.fail(f"golden file {name} did not exist; written, check it and rerun")
    assert actual == path.read_text()
