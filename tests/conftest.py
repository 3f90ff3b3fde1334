"""Shared fixtures: a moto server over real HTTP on loopback, reset between tests.

Every test runs with fake credentials, no AWS config files and the instance
metadata service disabled, so nothing can reach beyond 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from s3_storage_analyser.cli import entry
from s3_storage_analyser.demo.server import LocalEndpoint
from support.aws import ISOLATED_ENV, UNSET
from support.cli import CliResult

# The fault-injecting proxy's ``fault_proxy`` fixture (tests/support/faultproxy.py), for every test module.
pytest_plugins = ["support.faultproxy"]


@pytest.fixture(autouse=True)
def isolated_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    empty = tmp_path_factory.getbasetemp() / "no-aws-config"
    for key in UNSET:
        monkeypatch.delenv(key, raising=False)
    for key, value in ISOLATED_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty / "credentials"))
    # No developer's cache (inventory files, `s3sa prices update`'s prices) reaches a test.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))


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


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Any:
    """Run the CLI in-process through its real entry point and error handler."""

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = entry(list(args))
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run
