"""``s3sa prices update`` against a local GetProducts endpoint (tests/support/fakepricing.py) that botocore's
own pricing client parses, and ``s3sa prices show`` over the layered sources."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from s3_storage_analyser.pricing.pricelist import read_cache
from support.aws import make_bucket
from support.fakepricing import FakePricing, product

NEWEST = "2026-08-15T12:00:00Z"


@pytest.fixture
def pricing() -> Iterator[FakePricing]:
    fake = FakePricing().start()
    yield fake
    fake.stop()


def catalogue(fake: FakePricing) -> None:
    """Products of two regions as the Price List publishes them (eu-west-1's prefixed EU-), with the
    near-misses the translation must skip: another operation on a known usage type, S3 Tables' look-alike,
    a restore on the transitions' usage type, a local zone, other services' products."""
    for region, prefix, standard in (
        ("us-east-1", "", ("0.0230000000", "0.0220000000", "0.0210000000")),
        ("eu-west-1", "EU-", ("0.0240000000", "0.0230000000", "0.0220000000")),
    ):
        tiers = list(zip(("0", "51200", "512000"), standard, strict=True))
        fake.add(product(region, f"{prefix}TimedStorage-ByteHrs", "GB-Mo", tiers))
        fake.add(product(region, f"{prefix}TimedStorage-INT-FA-ByteHrs", "GB-Mo", tiers))
        fake.add(product(region, f"{prefix}TimedStorage-INT-IA-ByteHrs", "GB-Mo", "0.0125000000"))
        fake.add(product(region, f"{prefix}TimedStorage-INT-AIA-ByteHrs", "GB-Mo", "0.0040000000"))
        fake.add(product(region, f"{prefix}TimedStorage-INT-AA-ByteHrs", "GB-Mo", "0.0036000000"))
        fake.add(product(region, f"{prefix}TimedStorage-INT-DAA-ByteHrs", "GB-Mo", "0.0009900000"))
        fake.add(product(region, f"{prefix}TimedStorage-SIA-ByteHrs", "GB-Mo", "0.0125000000"))
        fake.add(product(region, f"{prefix}TimedStorage-ZIA-ByteHrs", "GB-Mo", "0.0100000000"))
        fake.add(product(region, f"{prefix}TimedStorage-GIR-ByteHrs", "GB-Mo", "0.0040000000"))
        fake.add(product(region, f"{prefix}TimedStorage-GlacierByteHrs", "GB-Mo", "0.0036000000"))
        fake.add(product(region, f"{prefix}Monitoring-Automation-INT", "Objects", "0.0000025000", family="Fee"))
        fake.add(product(region, f"{prefix}Requests-Tier1", "Requests", "0.0000050000", family="API Request"))
        fake.add(product(region, f"{prefix}Requests-Tier2", "Requests", "0.0000004000", family="API Request"))
        for usage, operation, usd in (
            ("Requests-Tier4", "S3-SIATransition", "0.0000100000"),
            ("Requests-Tier4", "S3-ZIATransition", "0.0000100000"),
            ("Requests-Tier4", "S3-INTTransition", "0.0000100000"),
            ("Requests-Tier4", "S3-GIRTransition", "0.0000200000"),
            ("Requests-Tier3", "S3-GlacierTransition", "0.0000300000"),
            ("Requests-Tier3", "S3-GDATransition", "0.0000500000"),
            ("Requests-Tier3", "RestoreObject", "0.0000500000"),  # a restore, not a transition: skipped
        ):
            fake.add(product(region, f"{prefix}{usage}", "Requests", usd, operation=operation, family="API Request"))
        fake.add(product(region, f"{prefix}Inventory-ObjectsListed", "Objects", "0.0000000025", family="Fee"))
        # Same usage type, another charge (Intelligent-Tiering's archive overhead): not Standard's price.
        fake.add(
            product(region, f"{prefix}TimedStorage-ByteHrs", "GB-Mo", "0.0210000000", operation="INTAAS3ObjectOverhead")
        )
        fake.add(product(region, f"{prefix}Tables-TimedStorage-ByteHrs", "GB-Mo", "0.0265000000"))  # S3 Tables
        fake.add(
            product(
                region,
                f"{prefix}TimedStorage-GDA-ByteHrs",
                "GB-Mo",
                "0.0009900000",
                service="AmazonS3GlacierDeepArchive",
            )
        )
        fake.add(product(region, f"{prefix}CW:GMD-Metrics", "Metrics", "0.0000100000", service="AmazonCloudWatch"))
        fake.add(product(region, f"{prefix}CW:Requests", "Requests", "0.0000100000", service="AmazonCloudWatch"))
    fake.add(product("us-east-1", "TimedStorage-XZ-ByteHrs", "GB-Mo", "0.1100000000", published=NEWEST))
    fake.add(product("us-east-1", "TimedStorage-RRS-ByteHrs", "GB-Mo", "0.0240000000"))
    fake.add(product("us-east-1-bos-1", "USE1-BOS1-TimedStorage-ByteHrs", "GB-Mo", "0.0300000000"))  # a local zone
    fake.add(product("us-east-1", "BoxUsage:t3.micro", "Hrs", "0.0104000000", service="AmazonS3"))  # unknown


def cached(cache_dir: Path) -> dict[tuple[str, str], list[tuple[str, str]]]:
    document = json.loads((cache_dir / "s3-storage-analyser-prices" / "prices.json").read_text())
    found: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for row in document["prices"]:
        found.setdefault((row["region"], row["item"]), []).append((row["from_gb"], row["usd"]))
    return found


def update(cli: Any, fake: FakePricing, cache_dir: Path, *args: str) -> Any:
    return cli("prices", "update", "--endpoint-url", fake.url, "--cache-dir", str(cache_dir), *args)


def test_update_caches_every_item_of_both_regions_in_book_units(cli: Any, pricing: FakePricing, tmp_path: Path) -> None:
    catalogue(pricing)
    result = update(cli, pricing, tmp_path)
    assert result.code == 0, result.stderr
    assert "2 regions" in result.stdout and "published 2026-08-15" in result.stdout
    prices = cached(tmp_path)
    assert prices[("us-east-1", "storage/STANDARD")] == [("0", "0.023"), ("51200", "0.022"), ("512000", "0.021")]
    assert prices[("eu-west-1", "storage/STANDARD")] == [("0", "0.024"), ("51200", "0.023"), ("512000", "0.022")]
    assert prices[("eu-west-1", "storage/INTELLIGENT_TIERING/FA")] == prices[("eu-west-1", "storage/STANDARD")]
    for tier, usd in (("IA", "0.0125"), ("AIA", "0.004"), ("AA", "0.0036"), ("DAA", "0.00099")):
        assert prices[("eu-west-1", f"storage/INTELLIGENT_TIERING/{tier}")] == [("0", usd)]
    expected_flat = {
        "monitoring/INTELLIGENT_TIERING": "0.0025",  # $0.0000025 per object = $0.0025 per 1,000
        "requests/LIST": "0.005",
        "requests/GET": "0.0004",
        "transition/STANDARD_IA": "0.01",
        "transition/ONEZONE_IA": "0.01",
        "transition/INTELLIGENT_TIERING": "0.01",
        "transition/GLACIER_IR": "0.02",
        "transition/GLACIER": "0.03",
        "transition/DEEP_ARCHIVE": "0.05",
        "inventory/objects": "0.0025",  # $0.0000000025 per object = $0.0025 per million
        "cloudwatch/GetMetricData": "0.01",
        "storage/DEEP_ARCHIVE": "0.00099",  # from AmazonS3GlacierDeepArchive
        "storage/GLACIER": "0.0036",
        "storage/GLACIER_IR": "0.004",
        "storage/STANDARD_IA": "0.0125",
        "storage/ONEZONE_IA": "0.01",
    }
    for region in ("us-east-1", "eu-west-1"):
        for item, usd in expected_flat.items():
            assert prices[(region, item)] == [("0", usd)], (region, item)
    assert prices[("us-east-1", "storage/EXPRESS_ONEZONE")] == [("0", "0.11")]
    assert ("eu-west-1", "storage/EXPRESS_ONEZONE") not in prices
    assert {region for region, _item in prices} == {"us-east-1", "eu-west-1"}  # no local zone
    # Paged: the fake answers 3 entries a page, and every later page was asked for with the token it gave.
    s3_calls = [r for r in pricing.requests if r["ServiceCode"] == "AmazonS3"]
    assert len(s3_calls) > 10 and all(r.get("NextToken") for r in s3_calls[1:])
    assert {r["ServiceCode"] for r in pricing.requests} == {
        "AmazonS3",
        "AmazonS3GlacierDeepArchive",
        "AmazonCloudWatch",
    }
    table = read_cache(str(tmp_path))
    assert table is not None
    assert (table.source.name, table.source.date.isoformat(), table.source.kind) == (
        "AWS Price List API",
        "2026-08-15",
        "pricelist",
    )


def test_region_flag_asks_for_that_region_only(cli: Any, pricing: FakePricing, tmp_path: Path) -> None:
    catalogue(pricing)
    result = update(cli, pricing, tmp_path, "--region", "eu-west-1")
    assert result.code == 0, result.stderr
    assert {region for region, _item in cached(tmp_path)} == {"eu-west-1"}
    for request in pricing.requests:
        assert {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "eu-west-1"} in request["Filters"]


def test_a_region_without_prices_is_a_usage_error_and_caches_nothing(
    cli: Any, pricing: FakePricing, tmp_path: Path
) -> None:
    catalogue(pricing)
    result = update(cli, pricing, tmp_path, "--region", "ap-south-2")
    assert result.code == 2
    assert "no S3 prices for ap-south-2" in result.stderr
    assert read_cache(str(tmp_path)) is None


def test_access_denied_names_the_permission(cli: Any, pricing: FakePricing, tmp_path: Path) -> None:
    catalogue(pricing)
    pricing.deny = True
    result = update(cli, pricing, tmp_path)
    assert result.code == 1
    assert "Access denied calling pricing:GetProducts" in result.stderr
    assert "Grant pricing:GetProducts" in result.stderr
    assert read_cache(str(tmp_path)) is None


def test_no_credentials_is_the_credentials_error(
    cli: Any, pricing: FakePricing, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = update(cli, pricing, tmp_path)
    assert result.code == 1
    assert "No AWS credentials were found" in result.stderr
    assert not pricing.requests


def test_a_throttled_call_is_retried(cli: Any, pricing: FakePricing, tmp_path: Path) -> None:
    catalogue(pricing)
    pricing.throttle = 1
    result = update(cli, pricing, tmp_path, "--region", "us-east-1")
    assert result.code == 0, result.stderr
    assert pricing.requests[0] == pricing.requests[1]  # the same page asked for again
    assert cached(tmp_path)[("us-east-1", "requests/LIST")] == [("0", "0.005")]


def test_endpoint_from_the_environment(cli: Any, pricing: FakePricing, tmp_path: Path, monkeypatch: Any) -> None:
    catalogue(pricing)
    monkeypatch.setenv("AWS_ENDPOINT_URL_PRICING", pricing.url)
    result = cli("prices", "update", "--cache-dir", str(tmp_path), "--region", "us-east-1")
    assert result.code == 0, result.stderr
    assert pricing.requests


def _hostile_entry(kind: str) -> dict[str, Any] | str:
    if kind == "non-decimal price":
        return product("us-east-1", "TimedStorage-ByteHrs", "GB-Mo", "1e-2")
    if kind == "negative price":
        return product("us-east-1", "TimedStorage-ByteHrs", "GB-Mo", "-0.023")
    if kind == "unknown unit":
        return product("us-east-1", "Requests-Tier1", "GB-Mo", "0.0000050000")
    if kind == "gap in tiers":
        return product(
            "us-east-1", "TimedStorage-ByteHrs", "GB-Mo", [("0", "0.023"), ("51200", "0.022")], ends=["50000", "Inf"]
        )
    if kind == "price as a JSON number":
        entry = product("us-east-1", "TimedStorage-ByteHrs", "GB-Mo", "0.023")
        text = json.dumps(entry)
        return text.replace('"USD": "0.023"', '"USD": 0.023')
    if kind == "not JSON":
        return '{"product": '
    if kind == "huge entry":
        entry = product("us-east-1", "TimedStorage-ByteHrs", "GB-Mo", "0.023")
        entry["product"]["attributes"]["padding"] = "x" * 300_000
        return entry
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("non-decimal price", "pricePerUnit.USD must be a plain decimal string, not '1e-2'"),
        ("negative price", "pricePerUnit.USD must be a plain decimal string, not '-0.023'"),
        ("unknown unit", "unit 'GB-Mo' for requests/LIST (expected Requests)"),
        ("gap in tiers", "leave a gap or overlap at 51200"),
        ("price as a JSON number", "pricePerUnit.USD must be a plain decimal string"),
        ("not JSON", "an entry is not valid JSON"),
        ("huge entry", "characters (at most 262,144)"),
    ],
)
def test_hostile_entries_are_named_errors_and_keep_the_old_cache(
    cli: Any, pricing: FakePricing, tmp_path: Path, kind: str, says: str
) -> None:
    catalogue(pricing)
    assert update(cli, pricing, tmp_path).code == 0
    before = (tmp_path / "s3-storage-analyser-prices" / "prices.json").read_bytes()
    pricing.add(_hostile_entry(kind), service="AmazonS3")
    result = update(cli, pricing, tmp_path)
    assert result.code == 1
    assert "The AWS Price List answer is not usable" in result.stderr
    assert says in result.stderr
    assert (tmp_path / "s3-storage-analyser-prices" / "prices.json").read_bytes() == before


@pytest.mark.parametrize(
    ("hostile", "says"), [("huge-page", "a page of 101 entries (at most 100"), ("stuck-token", "NextToken repeats")]
)
def test_hostile_pages_are_named_errors(
    cli: Any, pricing: FakePricing, tmp_path: Path, hostile: str, says: str
) -> None:
    catalogue(pricing)
    pricing.hostile = hostile
    result = update(cli, pricing, tmp_path)
    assert result.code == 1
    assert says in result.stderr
    assert read_cache(str(tmp_path)) is None


def test_an_item_priced_twice_differently_is_left_out_and_named(cli: Any, pricing: FakePricing, tmp_path: Path) -> None:
    catalogue(pricing)
    pricing.add(product("eu-west-1", "EU-Requests-Tier2", "Requests", "0.0000005000", family="API Request"))
    result = update(cli, pricing, tmp_path)
    assert result.code == 0, result.stderr
    assert "left out requests/GET in eu-west-1" in result.stderr
    prices = cached(tmp_path)
    assert ("eu-west-1", "requests/GET") not in prices and ("us-east-1", "requests/GET") in prices


# --- prices show -------------------------------------------------------------------------------------


def _csv_rows(text: str) -> dict[tuple[str, str, str], dict[str, str]]:
    return {(r["region"], r["item"], r["from_gb"]): r for r in csv.DictReader(io.StringIO(text))}


def test_show_layers_file_over_cache_over_shipped(cli: Any, pricing: FakePricing, tmp_path: Path) -> None:
    catalogue(pricing)
    assert update(cli, pricing, tmp_path / "cache").code == 0
    prices_file = tmp_path / "negotiated.csv"
    prices_file.write_text(
        "# source: ACME negotiated rates\n# date: 2026-09-01\n# discount: 0.10\n"
        "region,item,from_gb,usd\neu-west-1,storage/STANDARD,0,0.02\n"
    )
    flags = ("--prices", str(prices_file), "--cache-dir", str(tmp_path / "cache"))
    regions = ("--region", "eu-west-1", "--region", "ap-southeast-1")
    result = cli("prices", "show", *flags, *regions, "--fmt", "csv")
    assert result.code == 0, result.stderr
    rows = _csv_rows(result.stdout)
    standard = rows[("eu-west-1", "storage/STANDARD", "0")]
    # 10% off every price the report uses, the file's own too.
    assert (standard["usd"], standard["source"], standard["date"]) == ("0.018", "ACME negotiated rates", "2026-09-01")
    assert ("eu-west-1", "storage/STANDARD", "51200") not in rows  # the file's one tier replaces all three
    gmd = rows[("eu-west-1", "cloudwatch/GetMetricData", "0")]
    assert (gmd["usd"], gmd["source"], gmd["unit"]) == ("0.009", "AWS Price List API", "1,000 metrics")
    singapore = rows[("ap-southeast-1", "storage/STANDARD", "0")]  # only the shipped table prices it
    assert (singapore["usd"], singapore["date"]) == ("0.0225", "2026-07-01")
    assert {region for region, _item, _from in rows} == {"eu-west-1", "ap-southeast-1"}
    # --fmt json is a prices file: read back with --prices alone, it gives the same prices.
    document = cli("prices", "show", *flags, *regions, "--fmt", "json")
    assert document.code == 0, document.stderr
    assert json.loads(document.stdout)["discount"] == "0.10"
    (tmp_path / "effective.json").write_text(document.stdout)
    alone = ("--prices", str(tmp_path / "effective.json"), "--cache-dir", str(tmp_path / "empty"))
    again = _csv_rows(cli("prices", "show", *alone, *regions, "--fmt", "csv").stdout)
    assert {k: r["usd"] for k, r in again.items() if k in rows} == {k: r["usd"] for k, r in rows.items()}


def test_show_table_and_csv(cli: Any, pricing: FakePricing, tmp_path: Path) -> None:
    catalogue(pricing)
    assert update(cli, pricing, tmp_path, "--region", "eu-west-1").code == 0
    table = cli("prices", "show", "--cache-dir", str(tmp_path), "--region", "eu-west-1")
    assert table.code == 0, table.stderr
    line = next(line for line in table.stdout.splitlines() if "transition/GLACIER " in line)
    assert line.split() == [
        "eu-west-1",
        "transition/GLACIER",
        "0",
        "0.03",
        "1,000",
        "requests",
        "pricelist",
        "2026-07-01",
    ]
    assert "pricelist: AWS Price List API (2026-07-01)" in table.stdout
    assert not any(line.endswith(" ") for line in table.stdout.splitlines())
    csv = cli("prices", "show", "--cache-dir", str(tmp_path), "--region", "eu-west-1", "--fmt", "csv")
    lines = csv.stdout.splitlines()
    assert lines[0] == "region,item,from_gb,usd,unit,source,date"
    assert "eu-west-1,storage/STANDARD,51200,0.023,GB-month,AWS Price List API,2026-07-01" in lines


def test_a_corrupt_cache_says_to_update_again(cli: Any, tmp_path: Path) -> None:
    store = tmp_path / "s3-storage-analyser-prices"
    store.mkdir()
    (store / "prices.json").write_text('{"format": "s3sa-prices/1", "date": "2026-07-01", "prices": [{"region": 5}]}')
    result = cli("prices", "show", "--cache-dir", str(tmp_path))
    assert result.code == 2
    assert "is corrupt" in result.stderr and "Rerun `s3sa prices update`" in result.stderr


def test_a_report_prices_with_the_cache(
    cli: Any, pricing: FakePricing, aws_url: str, tmp_path: Path, monkeypatch: Any
) -> None:
    """What `prices update` cached is what a report prices with, and names (S3SA_CACHE_DIR: the report's
    --cache-dir is the inventory strategy's flag)."""
    pricing.add(product("eu-west-1", "EU-TimedStorage-ByteHrs", "GB-Mo", "0.5000000000"))
    assert update(cli, pricing, tmp_path).code == 0
    make_bucket(aws_url, "priced-bucket", "eu-west-1").put_object(
        Bucket="priced-bucket", Key="k", Body=b"x" * 1_000_000
    )
    monkeypatch.setenv("S3SA_CACHE_DIR", str(tmp_path))
    result = cli("report", "--strategy", "list", "--endpoint-url", aws_url, "--fmt", "json")
    assert result.code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["Buckets"][0]["CostPerMonth"] == "0.000466"  # 1,000,000 / 2^30 GB x $0.5
    assert document["Cost"]["Prices"] == [{"Source": "AWS Price List API", "Date": "2026-07-01", "Kind": "pricelist"}]
