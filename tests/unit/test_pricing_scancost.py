"""What a scan costs: request counts from object counts, priced; and the docs' table of the three strategies."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from s3_storage_analyser.model import Bucket, BucketReport, Snapshot, Usage
from s3_storage_analyser.pricing.book import book
from s3_storage_analyser.pricing.scancost import listing_cost, listing_requests, priced_requests, snapshot_scan_cost
from s3_storage_analyser.pricing.shipped import shipped_table

SHIPPED = book([shipped_table()])
DOCS = Path(__file__).resolve().parents[2] / "docs" / "cost.md"


@pytest.mark.parametrize(("keys", "pages"), [(0, 1), (1, 1), (999, 1), (1000, 1), (1001, 2), (10**10, 10**7)])
def test_a_listing_needs_one_request_per_1000_keys_and_at_least_one(keys: int, pages: int) -> None:
    assert listing_requests(keys) == pages


def test_a_snapshots_scan_cost_counts_versions_markers_and_uploads() -> None:
    usage = Usage(
        objects=2500,
        noncurrent_objects_by_class={"STANDARD": 400},
        delete_markers=100,
        incomplete_uploads=3,
        measured=frozenset({"versions", "uploads"}),
    )
    plain = Usage(objects=2500)
    taken = datetime(2026, 11, 29, tzinfo=UTC)
    listed = Snapshot("list", taken, (BucketReport(Bucket("a", "us-east-1"), usage),))
    cost = snapshot_scan_cost(listed, SHIPPED)
    # 3,000 keys in version pages: 3; uploads: 1 ListMultipartUploads page + 3 ListParts.
    assert cost.quantity == 3 + 1 + 3
    assert cost.usd == Decimal(7) / 1000 * Decimal("0.005")
    only_current = Snapshot("list", taken, (BucketReport(Bucket("a", "us-east-1"), plain),))
    assert snapshot_scan_cost(only_current, SHIPPED).quantity == 3
    far = Snapshot("list", taken, (BucketReport(Bucket("a", "me-central-9"), plain),))
    assert snapshot_scan_cost(far, SHIPPED).usd is None
    assert "unknown price" in snapshot_scan_cost(far, SHIPPED).describe()
    watched = Snapshot(
        "cloudwatch",
        taken,
        (BucketReport(Bucket("a", "us-east-1"), Usage(objects=1, storage_types={"StandardStorage": 5})),),
    )
    assert snapshot_scan_cost(watched, SHIPPED).quantity == 2


def _docs_rows() -> list[list[str]]:
    text = DOCS.read_text()
    section = text[text.index("## What a scan costs") :]
    return [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in section.splitlines()
        if re.match(r"\| \d+ (million|billion) \|", line)
    ]


def _dollars(cell: str) -> Decimal:
    return Decimal(re.findall(r"\$([\d.,]+)", cell)[-1].replace(",", ""))


def test_the_docs_table_of_the_three_strategies_is_what_the_price_model_computes() -> None:
    rows = _docs_rows()
    assert len(rows) == 3
    for row in rows:
        n = int(row[0].split()[0]) * (10**6 if "million" in row[0] else 10**9)
        listing = listing_cost([("us-east-1", n)], SHIPPED)
        assert f"{listing.quantity:,} requests" in row[1]
        assert listing.usd == _dollars(row[1])
        inventory = priced_requests("inventory", "objects", 1_000_000, "inventory/objects", [("us-east-1", n)], SHIPPED)
        assert inventory.usd == _dollars(row[2])
        cloudwatch = priced_requests(
            "cloudwatch", "metrics", 1000, "cloudwatch/GetMetricData", [("us-east-1", 2)], SHIPPED
        )
        assert cloudwatch.usd == _dollars(row[3])
