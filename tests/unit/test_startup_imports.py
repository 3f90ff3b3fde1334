"""Start-up (issue 16): what a command loads before it does anything, and what the S3 client still does.

``--version``, ``--help`` and every flag check import the CLI: the AWS SDK's sessions and clients, the
renderers and their libraries are imported by the commands that use them, and clients are made from
botocore's own session (boto3 imports s3transfer eagerly, which no scan uses). These tests pin which
modules are loaded, in a fresh interpreter each, never how long they take: benchmarks/startup.py
measures that. The S3 client keeps what boto3's session gave it: the transfer methods, the user agent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from s3_storage_analyser import __version__
from s3_storage_analyser.aws import Aws, AwsOptions
from support.aws import make_bucket

# Runs the CLI's entry point in a fresh interpreter, then writes the names of the modules it loaded.
PROBE = """
import json, sys
from s3_storage_analyser.cli import entry
try:
    code = entry(sys.argv[2:])
finally:
    with open(sys.argv[1], "w", encoding="utf-8") as out:
        json.dump(sorted(sys.modules), out)
sys.exit(code)
"""
# Loaded by a scan, an output or a renderer: never by parsing flags.
NOT_AT_START = (
    "boto3",
    "s3transfer",
    "botocore.session",
    "botocore.client",
    "botocore.credentials",
    "botocore.parsers",
    "botocore.loaders",
    "jinja2",
    "rich.table",
    "s3_storage_analyser.render.table",
    "s3_storage_analyser.render.html",
    "s3_storage_analyser.render.diff",
    "s3_storage_analyser.render.history",
    "s3_storage_analyser.diff",
    "s3_storage_analyser.pricing.sources",
)
NEVER_WHILE_LISTING = ("boto3", "s3transfer", "jinja2")
# Not even the SDK, the terminal library, the metrics library or the history's database: --version answers
# from the CLI's own modules.
NOT_FOR_VERSION = ("botocore", "urllib3", "rich", "prometheus_client", "sqlite3")


def run_probe(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    modules = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(modules), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=dict(os.environ),
    )
    return done, set(json.loads(modules.read_text(encoding="utf-8")))


@pytest.mark.parametrize("args", [("--version",), ("report", "--help"), ("--help",)], ids=" ".join)
def test_version_and_help_load_neither_the_sdk_client_nor_the_renderers(tmp_path: Path, args: tuple[str, ...]) -> None:
    done, loaded = run_probe(tmp_path, *args)
    assert done.returncode == 0, done.stderr
    assert __version__ in done.stdout if args == ("--version",) else "Usage:" in done.stdout
    assert "s3_storage_analyser.cli" in loaded  # the probe saw the CLI itself
    assert sorted(loaded.intersection(NOT_AT_START)) == []
    if args == ("--version",):
        assert sorted(loaded.intersection(NOT_FOR_VERSION)) == []


def test_a_listing_makes_botocore_clients_without_boto3_or_s3transfer(aws_url: str, tmp_path: Path) -> None:
    make_bucket(aws_url, "startup-bucket").put_object(Bucket="startup-bucket", Key="a/b.txt", Body=b"12345")
    args = ("--strategy", "list", "--endpoint-url", aws_url, "--fmt", "json", "--quiet", "--no-cost")
    done, loaded = run_probe(tmp_path, *args)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [(b["Bucket"], b["Files"], b["Bytes"]) for b in report["Buckets"]] == [("startup-bucket", 1, 5)]
    assert "botocore.client" in loaded  # it did make its clients
    assert sorted(loaded.intersection(NEVER_WHILE_LISTING)) == []


def test_an_s3_client_keeps_boto3s_transfer_methods(aws_url: str, tmp_path: Path) -> None:
    """``download_file`` (the inventory strategy fetches reports with it) is boto3's, imported at its first call."""
    make_bucket(aws_url, "transfer-bucket").put_object(Bucket="transfer-bucket", Key="k", Body=b"inventory")
    s3 = Aws(AwsOptions(endpoint_url=aws_url, region="us-east-1")).client("s3")
    target = tmp_path / "k"
    s3.download_file("transfer-bucket", "k", str(target))
    assert target.read_bytes() == b"inventory"
    assert callable(s3.upload_file) and callable(s3.download_fileobj)


class _UserAgents:
    """A loopback endpoint that keeps the User-Agent of each request and answers it with no buckets."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        seen = self.seen

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_GET(self) -> None:
                seen.append(self.headers.get("User-Agent", ""))
                body = b"<ListAllMyBucketsResult><Buckets></Buckets></ListAllMyBucketsResult>"
                self.send_response(200)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def user_agents() -> Iterator[_UserAgents]:
    endpoint = _UserAgents()
    thread = threading.Thread(target=endpoint.server.serve_forever, daemon=True)
    thread.start()
    yield endpoint
    endpoint.server.shutdown()
    endpoint.server.server_close()


def test_requests_carry_boto3s_user_agent(user_agents: _UserAgents) -> None:
    """Server logs and access policies that name the SDK see the same user agent as when boto3 made the session."""
    import boto3
    import botocore

    aws = Aws(AwsOptions(endpoint_url=user_agents.url, region="us-east-1", max_attempts=1))
    aws.client("s3").list_buckets()
    assert len(user_agents.seen) == 1
    agent = user_agents.seen[0]
    assert agent.startswith(f"Boto3/{boto3.__version__} md/Botocore#{botocore.__version__} "), agent
    assert agent.endswith(f" Botocore/{botocore.__version__}"), agent
