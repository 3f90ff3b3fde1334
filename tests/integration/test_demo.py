"""``demo`` end to end, as a user runs it: its own process, its own endpoint, every strategy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

pytestmark = pytest.mark.slow

SCALE = "0.05"  # ~500 objects: seconds, not a minute
FIGURES = ("Files", "Bytes", "FilesByClass", "NoncurrentFiles", "NoncurrentBytes", "DeleteMarkers")


def demo(*args: str) -> tuple[dict[str, Any], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    done = subprocess.run(
        [sys.executable, "-m", "s3_storage_analyser", "demo", "--scale", SCALE, "--fmt", "json", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**env, "AWS_EC2_METADATA_DISABLED": "true"},
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout), done.stderr


def by_bucket(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["Bucket"]: {k: b.get(k) for k in FIGURES} for b in data["Buckets"]}


@pytest.mark.parametrize("strategy", ["cloudwatch", "list"])
def test_demo_reports_the_seven_buckets(strategy: str) -> None:
    data, _ = demo("--strategy", strategy)
    assert data["Strategy"] == strategy and data["Failures"] == []
    assert len(data["Buckets"]) == 7 and all(b["Bucket"].startswith("acme-") for b in data["Buckets"])


def test_demo_inventory_has_reports_and_agrees_with_listing() -> None:
    """With --strategy inventory the demo publishes a report per bucket (and one for their destination
    bucket), so the strategy can be tried at once; its figures are the listing's."""
    inventoried, stderr = demo("--strategy", "inventory", "--versions")
    listed, _ = demo("--strategy", "list", "--versions")

    assert "8 S3 Inventory reports written to s3://acme-inventory/" in stderr
    assert inventoried["Failures"] == [] and inventoried["Warnings"] == []
    got, want = by_bucket(inventoried), by_bucket(listed)
    assert got.pop("acme-inventory")["Files"] > 0  # the other reports' files
    # Versions are in the report of the versioned bucket only: the others have current-version reports.
    assert got["acme-contracts"] == want["acme-contracts"]
    assert got["acme-contracts"]["NoncurrentFiles"] and got["acme-contracts"]["DeleteMarkers"]
    current = ("Files", "Bytes", "FilesByClass")
    assert {b: [f[k] for k in current] for b, f in got.items()} == {b: [f[k] for k in current] for b, f in want.items()}
    assert all(f["NoncurrentFiles"] is None for b, f in got.items() if b != "acme-contracts")
