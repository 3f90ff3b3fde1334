"""Cost through the real CLI against the local S3 + CloudWatch endpoint over HTTP: --prices, --no-cost,
--dry-run, show, each checked against figures computed by hand from what the test uploaded."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from s3_storage_analyser.errors import EXIT_OK, EXIT_USAGE
from support.aws import make_bucket
from support.cli import CliResult

Cli = Callable[..., CliResult]
GIB = Decimal(2**30)
KIB = 1024

PRICES = {
    "format": "s3sa-prices/1",
    "source": "Test rates",
    "date": "2026-11-01",
    "discount": "0.10",
    "prices": [
        {"region": "*", "item": "storage/STANDARD", "from_gb": "0", "usd": "0.02"},
        {"region": "*", "item": "storage/STANDARD_IA", "from_gb": "0", "usd": "0.01"},
        {"region": "*", "item": "requests/LIST", "from_gb": "0", "usd": "0.005"},
        {"region": "*", "item": "cloudwatch/GetMetricData", "from_gb": "0", "usd": "0.01"},
    ],
}


@pytest.fixture
def prices_file(tmp_path: Path) -> Path:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(PRICES))
    return path


@pytest.fixture
def account(aws_url: str) -> str:
    """Two buckets: 'hot' with 3 Standard objects of 1 MiB, 'cool' with 5 Standard-IA objects of 1 KiB
    (billed as 128 KiB each) and one of 200 KiB."""
    hot = make_bucket(aws_url, "hot")
    for i in range(3):
        hot.put_object(Bucket="hot", Key=f"k{i}", Body=b"x" * 1024 * KIB)
    cool = make_bucket(aws_url, "cool", "eu-west-1")
    for i in range(5):
        cool.put_object(Bucket="cool", Key=f"s{i}", Body=b"y" * KIB, StorageClass="STANDARD_IA")
    cool.put_object(Bucket="cool", Key="big", Body=b"z" * 200 * KIB, StorageClass="STANDARD_IA")
    return aws_url


def _usd(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.000001"))


def test_a_bad_prices_file_is_refused_before_any_aws_call(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "prices.json"
    bad.write_text(
        json.dumps({**PRICES, "prices": [{"region": "us-east-1", "item": "storage/STANDARD", "usd": 0.5e-30}]})
    )
    # Port 9 (discard) answers nothing: had the run called AWS, the error would be about the endpoint.
    result = cli("--endpoint-url", "http://127.0.0.1:9", "--prices", str(bad))
    assert result.code == EXIT_USAGE
    assert "row 1" in result.stderr and "plain decimal" in result.stderr
    assert "Traceback" not in result.stderr and "endpoint" not in result.stderr.lower()
    contradiction = cli("--endpoint-url", "http://127.0.0.1:9", "--prices", str(bad), "--no-cost")
    assert contradiction.code == EXIT_USAGE and "contradict" in contradiction.stderr


def test_listing_costs_each_object_at_its_billable_size_with_the_files_prices(
    cli: Cli, account: str, prices_file: Path
) -> None:
    result = cli("--endpoint-url", account, "--strategy", "list", "--fmt", "json", "--prices", str(prices_file))
    assert result.code == EXIT_OK, result.stderr
    data = json.loads(result.stdout)
    buckets = {b["Bucket"]: b for b in data["Buckets"]}
    hot = 3 * 1024 * KIB / GIB * Decimal("0.02") * Decimal("0.9")
    billable = (5 * 128 * KIB + 200 * KIB) / GIB
    cool = billable * Decimal("0.01") * Decimal("0.9")
    assert Decimal(buckets["hot"]["CostPerMonth"]) == _usd(hot)
    assert Decimal(buckets["cool"]["CostPerMonth"]) == _usd(cool)
    assert Decimal(data["Cost"]["PerMonth"]) == Decimal(buckets["hot"]["CostPerMonth"]) + Decimal(
        buckets["cool"]["CostPerMonth"]
    )
    assert [p["Source"] for p in data["Cost"]["Prices"]] == ["Test rates"]
    assert data["Cost"]["Prices"][0]["Date"] == "2026-11-01"


def test_no_cost_leaves_every_cost_out(cli: Cli, account: str) -> None:
    result = cli("--endpoint-url", account, "--strategy", "list", "--fmt", "json", "--no-cost")
    assert result.code == EXIT_OK, result.stderr
    data = json.loads(result.stdout)
    assert "Cost" not in data and all("CostPerMonth" not in b for b in data["Buckets"])


def test_the_table_says_which_prices_it_used_and_what_the_scan_cost(cli: Cli, account: str, prices_file: Path) -> None:
    result = cli("--endpoint-url", account, "--strategy", "list", "--prices", str(prices_file))
    assert result.code == EXIT_OK, result.stderr
    assert "Cost/month" in result.stdout
    assert "Test rates (2026-11-01)" in result.stdout and "10% discount" in result.stdout
    # One LIST page per bucket at $0.005 per 1,000, 10% off.
    assert "this scan: about 2 LIST requests, $0.000009" in result.stderr


def test_dry_run_estimates_a_listing_from_cloudwatchs_object_counts(cli: Cli, account: str, prices_file: Path) -> None:
    result = cli(
        "--endpoint-url", account, "--strategy", "list", "--dry-run", "--fmt", "json", "--prices", str(prices_file)
    )
    assert result.code == EXIT_OK, result.stderr
    data = json.loads(result.stdout)
    assert {b["Bucket"]: b["Requests"] for b in data["Buckets"]} == {"cool": 1, "hot": 1}
    assert {b["Bucket"]: b["Objects"] for b in data["Buckets"]} == {"cool": 6, "hot": 3}
    assert data["Total"] == 2 and data["Unit"] == "LIST requests"
    assert Decimal(data["CostUSD"]) == _usd(Decimal(2) / 1000 * Decimal("0.005") * Decimal("0.9"))
    table = cli("--endpoint-url", account, "--strategy", "list", "--dry-run", "--prices", str(prices_file))
    assert table.code == EXIT_OK and "A list scan of 2 buckets needs about 2 LIST requests" in table.stdout
    refused = cli("--endpoint-url", account, "--dry-run", "--save")
    assert refused.code == EXIT_USAGE and "--dry-run" in refused.stderr


def test_show_prices_a_stored_snapshot_with_the_prices_given_now(
    cli: Cli, account: str, prices_file: Path, tmp_path: Path
) -> None:
    db = str(tmp_path / "history.sqlite3")
    saved = cli("--endpoint-url", account, "--strategy", "list", "--save", "--db", db, "--no-cost", "-q")
    assert saved.code == EXIT_OK, saved.stderr
    shown = cli("show", "--db", db, "--fmt", "json", "--prices", str(prices_file))
    assert shown.code == EXIT_OK, shown.stderr
    data = json.loads(shown.stdout)
    assert data["Cost"]["Prices"][0]["Source"] == "Test rates"
    assert Decimal(data["Cost"]["PerMonth"]) > 0
    bare = cli("show", "--db", db, "--fmt", "json", "--no-cost")
    assert "Cost" not in json.loads(bare.stdout)


def test_history_and_diff_price_both_snapshots_with_the_same_prices(
    cli: Cli, account: str, prices_file: Path, tmp_path: Path
) -> None:
    db = str(tmp_path / "history.sqlite3")
    first = cli("--endpoint-url", account, "--strategy", "list", "--save", "--db", db, "-q", "--no-cost")
    assert first.code == EXIT_OK, first.stderr
    hot = make_bucket(account, "hot")
    hot.put_object(Bucket="hot", Key="more", Body=b"m" * 1024 * KIB)  # one MiB more of Standard
    second = cli("--endpoint-url", account, "--strategy", "list", "--save", "--db", db, "-q", "--no-cost")
    assert second.code == EXIT_OK, second.stderr

    history = json.loads(cli("history", "--db", db, "--fmt", "json", "--prices", str(prices_file)).stdout)
    costs = {s["Id"]: Decimal(s["CostPerMonth"]) for s in history["Snapshots"]}
    rate = Decimal("0.02") * Decimal("0.9")
    # Each amount is rounded to a micro-dollar on its own: the change is that of hot's rounded amounts.
    one_mib = _usd(4 * 1024 * KIB / GIB * rate) - _usd(3 * 1024 * KIB / GIB * rate)
    assert costs[2] - costs[1] == one_mib

    changes = json.loads(cli("diff", "--db", db, "--fmt", "json", "--prices", str(prices_file)).stdout)["Changes"]
    hot_all = next(c for c in changes if c["Bucket"] == "hot" and c["StorageClass"] == "ALL")
    assert Decimal(hot_all["CostChange"]) == one_mib
    assert Decimal(hot_all["CostAfter"]) - Decimal(hot_all["CostBefore"]) == one_mib
    table = cli("diff", "--db", db, "--prices", str(prices_file))
    assert table.code == EXIT_OK and "Test rates (2026-11-01)" in table.stdout
