"""What a scan costs in requests, and in dollars: LIST pages for a listing, metrics for CloudWatch, the
report's own price for S3 Inventory.

Estimated from object counts (CloudWatch's NumberOfObjects before a listing, the snapshot's counts after),
at one request per 1,000 keys, the minimum a listing needs: the figure is a floor, and says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from ..model import BucketReport, Snapshot
from .book import PriceBook, PriceSource
from .cost import money

KEYS_PER_PAGE = 1000


@dataclass(frozen=True)
class ScanCost:
    """Requests (or metrics, or inventoried objects) and their price; ``usd`` None when a region is unpriced."""

    strategy: str
    quantity: int
    unit: str  # "LIST requests", "metrics requested", "objects inventoried"
    usd: Decimal | None
    sources: tuple[PriceSource, ...]

    def describe(self) -> str:
        price = f"${money(self.usd)}" if self.usd is not None else "an unknown price (a region has no price)"
        named = "; ".join(s.describe() for s in self.sources)
        return f"about {self.quantity:,} {self.unit}, {price}" + (f" (prices: {named})" if named else "")


def listing_requests(keys: int, *, uploads: int = 0) -> int:
    """LIST pages for ``keys`` keys (at least one per listing) plus one ListParts per unfinished upload."""
    return max(1, -(-keys // KEYS_PER_PAGE)) + uploads


def priced_requests(
    strategy: str, unit: str, per: int, item: str, counts: Iterable[tuple[str, int]], book: PriceBook
) -> ScanCost:
    quantity, usd = 0, Decimal(0)
    sources: dict[PriceSource, None] = {}
    known = True
    for region, n in counts:
        quantity += n
        price = book.price(region, item)
        if price is None:
            known = False
            continue
        sources[price.source] = None
        usd += price.cost(Decimal(n) / per)
    return ScanCost(strategy, quantity, unit, usd if known else None, tuple(sources))


def listing_cost(buckets: Iterable[tuple[str, int]], book: PriceBook, *, uploads: bool = False) -> ScanCost:
    """A listing of buckets given as (region, keys), keys counting every version (as CloudWatch's
    NumberOfObjects does): one page per 1,000 keys, and at least one page more for unfinished uploads."""
    counts = [(region, listing_requests(keys) + int(uploads)) for region, keys in buckets]
    return priced_requests("list", "LIST requests", 1000, "requests/LIST", counts, book)


def snapshot_scan_cost(snapshot: Snapshot, book: PriceBook) -> ScanCost:
    """What the scan that made ``snapshot`` cost, from what it found."""
    if snapshot.strategy == "cloudwatch":
        metrics = [(r.bucket.region, len(r.usage.storage_types) + 1) for r in snapshot.buckets]
        return priced_requests("cloudwatch", "metrics requested", 1000, "cloudwatch/GetMetricData", metrics, book)
    if snapshot.strategy == "inventory":
        objects = [(r.bucket.region, r.usage.objects + r.usage.noncurrent_objects) for r in snapshot.buckets]
        return priced_requests("inventory", "objects inventoried", 1_000_000, "inventory/objects", objects, book)
    return priced_requests("list", "LIST requests", 1000, "requests/LIST", [_listed(r) for r in snapshot.buckets], book)


def _listed(report: BucketReport) -> tuple[str, int]:
    usage = report.usage
    pages = listing_requests(usage.objects)
    if "versions" in usage.measured:
        pages = listing_requests(usage.objects + usage.noncurrent_objects + usage.delete_markers)
    if "uploads" in usage.measured:
        pages += listing_requests(usage.incomplete_uploads, uploads=usage.incomplete_uploads)
    return report.bucket.region, pages
