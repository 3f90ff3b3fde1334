"""The Price List translation, without a network: usage types to items, units to the book's, hostile values."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from s3_storage_analyser.errors import AwsError, UsageError
from s3_storage_analyser.pricing.book import PriceSource, rows_to_table
from s3_storage_analyser.pricing.pricelist import (
    cache_path,
    parse_entry,
    plain,
    read_cache,
    rule_for,
    translate_entries,
    write_cache,
)
from support.fakepricing import product


@pytest.mark.parametrize(
    ("usage_type", "operation", "item"),
    [
        ("TimedStorage-ByteHrs", "", "storage/STANDARD"),
        ("EU-TimedStorage-ByteHrs", "", "storage/STANDARD"),
        ("USE2-TimedStorage-SIA-ByteHrs", "", "storage/STANDARD_IA"),
        ("APS1-TimedStorage-INT-AIA-ByteHrs", "", "storage/INTELLIGENT_TIERING/AIA"),
        ("UGW1-TimedStorage-GDA-ByteHrs", "", "storage/DEEP_ARCHIVE"),
        ("TimedStorage-XZ-ByteHrs", "", "storage/EXPRESS_ONEZONE"),
        ("EUC1-Monitoring-Automation-INT", "IntelligentTieringStorage", "monitoring/INTELLIGENT_TIERING"),
        ("Requests-Tier1", "", "requests/LIST"),
        ("CAN1-Requests-Tier2", "", "requests/GET"),
        ("Requests-Tier4", "S3-GIRTransition", "transition/GLACIER_IR"),
        ("EU-Requests-Tier3", "S3-GlacierTransition", "transition/GLACIER"),
        ("Requests-Tier3", "S3-GDATransition", "transition/DEEP_ARCHIVE"),
        ("EU-CW:GMD-Metrics", "GetMetricData", "cloudwatch/GetMetricData"),
        ("Inventory-ObjectsListed", "", "inventory/objects"),
    ],
)
def test_usage_types_name_items(usage_type: str, operation: str, item: str) -> None:
    rule = rule_for(usage_type, operation)
    assert rule is not None and rule.item == item


@pytest.mark.parametrize(
    ("usage_type", "operation"),
    [
        ("Tables-TimedStorage-ByteHrs", ""),  # S3 Tables: ends like Standard, is not
        ("EU-Tables-TimedStorage-ByteHrs", ""),
        ("Annotation-TimedStorage-ByteHrs", ""),
        ("TimedStorage-ByteHrs", "INTAAS3ObjectOverhead"),  # another charge on Standard's usage type
        ("Requests-Tier1", "ListObjectsV2"),
        ("Requests-Tier3", "RestoreObject"),  # a restore, not a transition
        ("TimedStorage-GDA-Staging", ""),
        ("TimedStorage-GlacierStaging", ""),
        ("Requests-GDA-Tier1", ""),
        ("eu-TimedStorage-ByteHrs", ""),  # not a region prefix
        ("XTimedStorage-ByteHrs", ""),
        ("", ""),
    ],
)
def test_look_alikes_are_not_priced(usage_type: str, operation: str) -> None:
    assert rule_for(usage_type, operation) is None


def _candidates(entry: dict[str, Any] | str) -> list[Any]:
    return parse_entry(entry if isinstance(entry, str) else json.dumps(entry), "test")


def test_requests_become_per_thousand_and_their_tiers_too() -> None:
    # A request price with a (hypothetical) volume tier at 1,000,000 requests = 1,000 thousands.
    entry = product("eu-west-1", "EU-Requests-Tier2", "Requests", [("0", "0.0000004000"), ("1000000", "0.0000003000")])
    (candidate,) = _candidates(entry)
    assert candidate.item == "requests/GET"
    assert candidate.tiers == ((Decimal(0), Decimal("0.0004")), (Decimal(1000), Decimal("0.0003")))
    assert candidate.published == date(2026, 7, 1)


def test_inventory_is_per_million_exactly() -> None:
    (candidate,) = _candidates(product("us-east-1", "Inventory-ObjectsListed", "Objects", "0.0000000025"))
    assert candidate.tiers == ((Decimal(0), Decimal("0.0025")),)
    assert plain(candidate.tiers[0][1]) == "0.0025"


def test_storage_tiers_stay_in_gb() -> None:
    tiers = [("0", "0.0230000000"), ("51200", "0.0220000000"), ("512000", "0.0210000000")]
    (candidate,) = _candidates(product("us-east-1", "TimedStorage-ByteHrs", "GB-Mo", tiers))
    assert [(plain(s), plain(u)) for s, u in candidate.tiers] == [
        ("0", "0.023"),
        ("51200", "0.022"),
        ("512000", "0.021"),
    ]


def test_dimensions_in_any_order_are_sorted_into_tiers() -> None:
    entry = product("us-east-1", "TimedStorage-ByteHrs", "GB-Mo", [("0", "0.023"), ("51200", "0.022")])
    term = next(iter(entry["terms"]["OnDemand"].values()))
    term["priceDimensions"] = dict(reversed(list(term["priceDimensions"].items())))
    (candidate,) = _candidates(entry)
    assert [plain(s) for s, _u in candidate.tiers] == ["0", "51200"]


def test_unknown_products_and_regions_are_skipped() -> None:
    assert _candidates(product("us-east-1", "BoxUsage:t3.micro", "Hrs", "0.0104")) == []
    assert _candidates(product("us-east-1-bos-1", "TimedStorage-ByteHrs", "GB-Mo", "0.03")) == []
    assert _candidates(product("../../etc", "TimedStorage-ByteHrs", "GB-Mo", "0.03")) == []
    assert _candidates(json.dumps({"product": {"attributes": {}}, "terms": {}})) == []


def _bad(entry: dict[str, Any] | str) -> str:
    with pytest.raises(AwsError) as caught:
        _candidates(entry)
    assert caught.value.code == "InvalidPriceList"
    return caught.value.message


def test_malformed_known_products_are_named_errors() -> None:
    entry = product("us-east-1", "TimedStorage-ByteHrs", "GB-Mo", "0.023")
    broken = json.loads(json.dumps(entry))
    broken["terms"]["OnDemand"] = {}
    assert "no OnDemand term" in _bad(broken)
    broken = json.loads(json.dumps(entry))
    next(iter(broken["terms"]["OnDemand"].values()))["priceDimensions"] = []
    assert "priceDimensions must be an object" in _bad(broken)
    dims = next(iter(entry["terms"]["OnDemand"].values()))["priceDimensions"]
    next(iter(dims.values()))["pricePerUnit"] = {"CNY": "0.1"}
    assert "no USD price" in _bad(entry)
    assert "not valid JSON" in _bad('{"product": NaN}')
    assert "must be an object" in _bad("[1, 2]")
    assert "start at 100, not 0" in _bad(product("us-east-1", "TimedStorage-ByteHrs", "GB-Mo", [("100", "0.02")]))
    last = product("us-east-1", "TimedStorage-ByteHrs", "GB-Mo", [("0", "0.02")], ends=["1000"])
    assert "ends at 1000, not Inf" in _bad(last)
    assert "not a date" in _bad(product("us-east-1", "TimedStorage-ByteHrs", "GB-Mo", "0.02", published="yesterday"))
    assert "12 digits" in _bad(product("us-east-1", "Inventory-ObjectsListed", "Objects", "123456789.0"))


def test_an_item_priced_differently_twice_is_left_out_and_one_priced_alike_twice_kept() -> None:
    entries = [
        ("a", json.dumps(product("us-east-1", "Requests-Tier2", "Requests", "0.0000004"))),
        ("b", json.dumps(product("us-east-1", "Requests-Tier2", "Requests", "0.0000005"))),
        ("c", json.dumps(product("us-east-1", "Requests-Tier1", "Requests", "0.000005"))),
        ("d", json.dumps(product("us-east-1", "Requests-Tier1", "Requests", "0.0000050000"))),
        ("e", json.dumps(product("us-east-1", "BoxUsage", "Hrs", "1", published="2027-01-01T00:00:00Z"))),
    ]
    result = translate_entries(entries)
    assert result.ambiguous == ["requests/GET in us-east-1"]
    assert result.rows == [{"region": "us-east-1", "item": "requests/LIST", "from_gb": "0", "usd": "0.005"}]
    assert (result.entries, result.used, result.published) == (5, 4, date(2026, 7, 1))  # e's date is not a price's


def test_cache_round_trip_and_corrupt_cache(tmp_path: Path) -> None:
    assert read_cache(str(tmp_path)) is None
    source = PriceSource("AWS Price List API", date(2026, 7, 1), "pricelist")
    table = rows_to_table([{"region": "eu-west-1", "item": "requests/GET", "usd": "0.0004"}], source, "test")
    path = write_cache(table, str(tmp_path))
    assert path == cache_path(str(tmp_path)) == tmp_path / "s3-storage-analyser-prices" / "prices.json"
    assert [p.name for p in path.parent.iterdir()] == ["prices.json"]  # no temporary file left
    again = read_cache(str(tmp_path))
    assert again is not None and again.prices == table.prices and again.source.kind == "pricelist"
    path.write_text("{")
    with pytest.raises(UsageError, match="corrupt") as caught:
        read_cache(str(tmp_path))
    assert "s3sa prices update" in str(caught.value)


def test_default_cache_follows_xdg_cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_path(None).is_relative_to(tmp_path)
    assert cache_path(None).name == "prices.json"
