"""The price model against hand-computed bills: every expected figure is worked out in the test, in decimals."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from s3_storage_analyser.model import Bucket, BucketReport, Snapshot, Usage
from s3_storage_analyser.pricing.book import PriceSource, book, rows_to_table
from s3_storage_analyser.pricing.cost import (
    NOTE_CURRENT_ONLY,
    NOTE_IT_MONITORING,
    NOTE_IT_UPPER_BOUND,
    NOTE_NO_SMALL,
    cost_snapshot,
    money,
)
from s3_storage_analyser.pricing.shipped import SHIPPED_SOURCE, shipped_table

GIB = 2**30
KIB = 1024
ALL = frozenset({"versions", "uploads", "small-objects"})
SHIPPED = book([shipped_table()])


def _snapshot(*reports: tuple[str, str, Usage]) -> Snapshot:
    return Snapshot(
        "list",
        datetime(2026, 11, 29, tzinfo=UTC),
        tuple(BucketReport(Bucket(name, region), usage) for name, region, usage in reports),
    )


def _cents(value: str) -> Decimal:
    """A hand-computed amount rounded as the model rounds (half-even to micro-dollars)."""
    return Decimal(money(Decimal(value)))


def test_standard_tiers_apply_to_the_regions_volume_and_buckets_carry_their_share() -> None:
    # 600,000 GB of Standard in us-east-1: 51,200 GB at 0.023, 460,800 at 0.022, 88,000 at 0.021.
    bill = Decimal(51200) * Decimal("0.023") + Decimal(460800) * Decimal("0.022") + Decimal(88000) * Decimal("0.021")
    assert bill == Decimal("13163.2")
    big = Usage(objects=2, bytes_by_class={"STANDARD": 400_000 * GIB}, objects_by_class={"STANDARD": 2}, measured=ALL)
    small = Usage(objects=1, bytes_by_class={"STANDARD": 200_000 * GIB}, objects_by_class={"STANDARD": 1}, measured=ALL)
    cost = cost_snapshot(_snapshot(("big", "us-east-1", big), ("small", "us-east-1", small)), SHIPPED)
    assert cost.buckets["big"].total == _cents(str(bill * 2 / 3))  # 8775.466667
    assert cost.buckets["small"].total == _cents(str(bill / 3))  # 4387.733333
    assert cost.total == Decimal("13163.200000")
    # The same volume in two regions is two first tiers: no tier discount from another region's bytes.
    eu = Usage(objects=1, bytes_by_class={"STANDARD": 200_000 * GIB}, objects_by_class={"STANDARD": 1}, measured=ALL)
    split = cost_snapshot(_snapshot(("big", "us-east-1", big), ("eu", "eu-west-1", eu)), SHIPPED)
    us_bill = Decimal(51200) * Decimal("0.023") + Decimal(348800) * Decimal("0.022")
    eu_bill = Decimal(51200) * Decimal("0.023") + Decimal(148800) * Decimal("0.022")
    assert split.total == _cents(str(us_bill + eu_bill))


def test_objects_under_128_kib_are_billed_as_128_kib_in_the_ia_classes() -> None:
    # 1,000 objects of 1 KiB and one of 1 GiB in Standard-IA: the small ones bill 127 KiB each on top.
    usage = Usage(
        objects=1001,
        bytes_by_class={"STANDARD_IA": 1000 * KIB + GIB},
        objects_by_class={"STANDARD_IA": 1001},
        small_objects_by_class={"STANDARD_IA": 1000},
        small_bytes_by_class={"STANDARD_IA": 1000 * KIB},
        measured=ALL,
    )
    cost = cost_snapshot(_snapshot(("ia", "us-east-1", usage)), SHIPPED).buckets["ia"]
    rate = Decimal("0.0125")
    assert cost.lines[("STANDARD_IA", "stored")] == _cents(str(Decimal(1000 * KIB + GIB) / GIB * rate))
    padding = Decimal(1000 * 127 * KIB) / GIB * rate
    assert cost.lines[("STANDARD_IA", "minimum-size")] == _cents(str(padding))
    assert cost.by_part["minimum-size"] == cost.part("minimum-size", "STANDARD_IA")


def test_glacier_and_deep_archive_add_32_kib_at_their_rate_and_8_kib_at_standards_per_object() -> None:
    million = 1_000_000
    usage = Usage(
        objects=2 * million,
        bytes_by_class={"GLACIER": 1000 * GIB, "DEEP_ARCHIVE": 1000 * GIB},
        objects_by_class={"GLACIER": million, "DEEP_ARCHIVE": million},
        measured=ALL,
    )
    cost = cost_snapshot(_snapshot(("archive", "us-east-1", usage)), SHIPPED).buckets["archive"]
    own = Decimal(million * 32 * KIB) / GIB
    std = Decimal(million * 8 * KIB) / GIB
    # Standard's 8 KiB of both classes share the region's Standard volume (15.26 GB: first tier).
    glacier = own * Decimal("0.0036") + std * Decimal("0.023")
    deep = own * Decimal("0.00099") + std * Decimal("0.023")
    assert cost.lines[("GLACIER", "stored")] == Decimal("3.600000")
    assert cost.lines[("DEEP_ARCHIVE", "stored")] == Decimal("0.990000")
    assert cost.lines[("GLACIER", "archive-overhead")] == _cents(str(glacier))
    assert cost.lines[("DEEP_ARCHIVE", "archive-overhead")] == _cents(str(deep))


def test_intelligent_tiering_from_a_listing_is_frequent_access_plus_monitoring_of_objects_of_128_kib_and_more() -> None:
    usage = Usage(
        objects=10_000,
        bytes_by_class={"INTELLIGENT_TIERING": 10 * GIB},
        objects_by_class={"INTELLIGENT_TIERING": 10_000},
        small_objects_by_class={"INTELLIGENT_TIERING": 2_000},
        small_bytes_by_class={"INTELLIGENT_TIERING": 2_000 * KIB},
        measured=ALL,
    )
    result = cost_snapshot(_snapshot(("it", "us-east-1", usage)), SHIPPED)
    cost = result.buckets["it"]
    assert cost.lines[("INTELLIGENT_TIERING", "stored")] == Decimal("0.230000")
    assert cost.lines[("INTELLIGENT_TIERING", "monitoring")] == Decimal("0.020000")  # 8,000 / 1,000 x 0.0025
    assert NOTE_IT_UPPER_BOUND in result.notes


def test_an_inventory_with_access_tiers_prices_each_tier_and_every_other_class_by_object() -> None:
    """An inventory report's IntelligentTieringAccessTier fills storage_types beside the object counts:
    the tiers price Intelligent-Tiering, and the other classes are still priced object by object."""
    usage = Usage(
        objects=1_003,
        bytes_by_class={"INTELLIGENT_TIERING": 300 * GIB, "STANDARD_IA": 1000 * KIB},
        objects_by_class={"INTELLIGENT_TIERING": 3, "STANDARD_IA": 1000},
        small_objects_by_class={"STANDARD_IA": 1000},
        small_bytes_by_class={"STANDARD_IA": 1000 * KIB},
        storage_types={"IntelligentTieringFAStorage": 100 * GIB, "IntelligentTieringAAStorage": 200 * GIB},
        measured=ALL,
    )
    result = cost_snapshot(_snapshot(("inv", "us-east-1", usage)), SHIPPED)
    cost = result.buckets["inv"]
    assert cost.lines[("INTELLIGENT_TIERING", "stored")] == _cents(
        str(100 * Decimal("0.023") + 200 * Decimal("0.0036"))
    )
    assert cost.lines[("INTELLIGENT_TIERING", "monitoring")] == Decimal("0.000008")  # 3 / 1,000 x 0.0025
    assert cost.lines[("STANDARD_IA", "minimum-size")] == _cents(
        str(Decimal(1000 * 127 * KIB) / GIB * Decimal("0.0125"))
    )
    assert NOTE_IT_UPPER_BOUND not in result.notes


def test_cloudwatch_storage_types_are_priced_each_at_its_own_rate() -> None:
    usage = Usage(
        objects=0,
        storage_types={
            "IntelligentTieringFAStorage": 100 * GIB,
            "IntelligentTieringIAStorage": 200 * GIB,
            "IntelligentTieringAIAStorage": 300 * GIB,
            "IntelligentTieringAAStorage": 400 * GIB,
            "IntelligentTieringDAAStorage": 500 * GIB,
            "StandardIAStorage": 10 * GIB,
            "StandardIASizeOverhead": 1 * GIB,
            "GlacierStorage": 50 * GIB,
            "GlacierObjectOverhead": 2 * GIB,
            "GlacierS3ObjectOverhead": 1 * GIB,
        },
    )
    result = cost_snapshot(_snapshot(("cw", "us-east-1", usage)), SHIPPED)
    cost = result.buckets["cw"]
    it = (
        100 * Decimal("0.023")
        + 200 * Decimal("0.0125")
        + 300 * Decimal("0.004")
        + 400 * Decimal("0.0036")
        + 500 * Decimal("0.00099")
    )
    assert cost.by_class["INTELLIGENT_TIERING"] == _cents(str(it))
    assert cost.lines[("STANDARD_IA", "minimum-size")] == Decimal("0.012500")
    assert cost.lines[("GLACIER", "archive-overhead")] == _cents(str(2 * Decimal("0.0036") + Decimal("0.023")))
    assert cost.total == sum(cost.lines.values())
    assert NOTE_IT_MONITORING in result.notes


def test_an_unknown_region_or_class_is_unpriced_and_named_never_zero() -> None:
    usage = Usage(objects=1, bytes_by_class={"STANDARD": GIB}, objects_by_class={"STANDARD": 1}, measured=ALL)
    odd = Usage(objects=1, bytes_by_class={"FUTURE_CLASS": GIB}, objects_by_class={"FUTURE_CLASS": 1}, measured=ALL)
    result = cost_snapshot(
        _snapshot(("far", "me-central-9", usage), ("odd", "us-east-1", odd), ("ok", "us-east-1", usage)), SHIPPED
    )
    assert result.buckets["far"].total is None
    assert result.buckets["odd"].total is None
    assert result.buckets["ok"].total == Decimal("0.023000")
    assert result.total is None
    assert result.priced == Decimal("0.023000")
    (far,) = result.buckets["far"].unpriced
    assert (far.region, far.item) == ("me-central-9", "storage/STANDARD")
    assert "s3sa prices update" in far.reason
    (odd_part,) = result.buckets["odd"].unpriced
    assert odd_part.storage_class == "FUTURE_CLASS"


def test_an_empty_bucket_costs_exactly_zero_and_needs_no_price() -> None:
    result = cost_snapshot(_snapshot(("empty", "me-central-9", Usage(measured=ALL))), SHIPPED)
    assert result.buckets["empty"].total == Decimal(0)
    assert result.sources == ()


def test_noncurrent_versions_and_uploads_are_priced_when_measured_and_named_when_not() -> None:
    usage = Usage(
        objects=1,
        bytes_by_class={"STANDARD": GIB},
        objects_by_class={"STANDARD": 1},
        noncurrent_objects_by_class={"STANDARD": 3},
        noncurrent_bytes_by_class={"STANDARD": 3 * GIB},
        incomplete_uploads=1,
        incomplete_upload_bytes=2 * GIB,
        measured=ALL,
    )
    cost = cost_snapshot(_snapshot(("v", "us-east-1", usage)), SHIPPED).buckets["v"]
    assert cost.by_part == {
        "stored": Decimal("0.023000"),
        "noncurrent": Decimal("0.069000"),
        "uploads": Decimal("0.046000"),
    }
    current_only = Usage(
        objects=1, bytes_by_class={"STANDARD": GIB}, objects_by_class={"STANDARD": 1}, measured=frozenset()
    )
    result = cost_snapshot(_snapshot(("c", "us-east-1", current_only)), SHIPPED)
    assert NOTE_CURRENT_ONLY in result.notes
    ia = Usage(objects=1, bytes_by_class={"STANDARD_IA": 1}, objects_by_class={"STANDARD_IA": 1})
    assert NOTE_NO_SMALL in cost_snapshot(_snapshot(("old", "us-east-1", ia)), SHIPPED).notes


def test_a_file_price_wins_over_the_shipped_table_and_its_discount_applies_to_every_price() -> None:
    negotiated = rows_to_table(
        [{"region": "*", "item": "storage/STANDARD", "from_gb": "0", "usd": "0.02"}],
        PriceSource("Acme rates", date(2026, 11, 1), "file", Decimal("0.10")),
        "test",
    )
    prices = book([negotiated, shipped_table()])
    usage = Usage(
        objects=2,
        bytes_by_class={"STANDARD": 100 * GIB, "STANDARD_IA": 100 * GIB},
        objects_by_class={"STANDARD": 1, "STANDARD_IA": 1},
        measured=ALL,
    )
    result = cost_snapshot(_snapshot(("b", "ap-southeast-1", usage)), prices)
    cost = result.buckets["b"]
    assert cost.by_class["STANDARD"] == Decimal("1.800000")  # 100 x 0.02 x 0.9, from the file's "*" row
    assert cost.by_class["STANDARD_IA"] == Decimal("1.242000")  # 100 x 0.0138 x 0.9, from the shipped table
    assert result.sources == (negotiated.source, SHIPPED_SOURCE)
    assert result.describe_sources() == (
        "Acme rates (2026-11-01); AWS public S3 prices shipped with s3-storage-analyser (2026-07-01); 10% discount"
    )


@pytest.mark.parametrize("gb", ["0", "1", "51199", "51200", "51201", "511999", "512000", "10000000"])
def test_tiered_cost_equals_a_brute_force_sum_over_the_tiers(gb: str) -> None:
    price = SHIPPED.price("us-east-1", "storage/STANDARD")
    assert price is not None
    quantity = Decimal(gb)
    expected = (
        min(quantity, Decimal(51200)) * Decimal("0.023")
        + max(Decimal(0), min(quantity, Decimal(512000)) - 51200) * Decimal("0.022")
        + max(Decimal(0), quantity - 512000) * Decimal("0.021")
    )
    assert price.cost(quantity) == expected


def test_totals_are_the_sum_of_the_rounded_lines_so_every_output_adds_up() -> None:
    reports = [
        (
            f"b{i}",
            "us-east-1",
            Usage(
                objects=i + 1,
                bytes_by_class={"STANDARD": 12345 * (i + 1) ** 3, "GLACIER": 777 * i},
                objects_by_class={"STANDARD": i + 1, "GLACIER": i},
                measured=ALL,
            ),
        )
        for i in range(50)
    ]
    result = cost_snapshot(_snapshot(*reports), SHIPPED)
    assert result.total == sum((b.priced for b in result.buckets.values()), Decimal(0))
    assert result.total == sum(result.by_class.values(), Decimal(0))
    assert all(v == v.quantize(Decimal("0.000001")) for b in result.buckets.values() for v in b.lines.values())
