"""``--dry-run``: what a scan would cost, from CloudWatch's daily object counts, without running it.

A listing makes at least one LIST request per 1,000 keys; S3 Inventory reports cost a price per million
objects at every delivery; CloudWatch bills the metrics it is asked for. The estimate reads only
CloudWatch (a few requests per region), so it is cheap to run before a listing of a large account.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .aggregate import BreakdownSpec
from .aws import Aws
from .config import ScanOptions, default_concurrency
from .model import Failure
from .pricing.book import PriceBook
from .pricing.cost import money
from .pricing.scancost import ScanCost, listing_requests, priced_requests
from .render.jsonfmt import dumps
from .report import scan
from .safetext import printable
from .selection import Selection
from .units import plural


@dataclass(frozen=True)
class BucketEstimate:
    bucket: str
    region: str
    objects: int  # CloudWatch's NumberOfObjects: every version, delete marker and upload part
    requests: int


@dataclass(frozen=True)
class Estimate:
    strategy: str
    buckets: tuple[BucketEstimate, ...]
    cost: ScanCost
    failures: tuple[Failure, ...]
    scoped: bool  # some buckets are asked for under a prefix: their estimate is the whole bucket's


def estimate_scan(aws: Aws, options: ScanOptions, book: PriceBook) -> Estimate:
    """Count each bucket's objects with CloudWatch, then price the asked strategy's requests for them."""
    counting = dataclasses.replace(
        options,
        strategy="cloudwatch",
        selection=Selection(options.selection.globs, options.selection.names),
        concurrency=default_concurrency("cloudwatch"),
        versions=False,
        uploads=False,
        breakdowns=BreakdownSpec(),
    )
    counted = scan(aws, counting)
    objects = [(r.bucket.name, r.bucket.region, r.usage.objects) for r in counted.buckets]
    if options.strategy == "cloudwatch":
        per = [(name, region, n, 2) for name, region, n in objects]  # storage bytes and object count, at least
        cost = priced_requests(
            "cloudwatch", "metrics requested", 1000, "cloudwatch/GetMetricData", [(r, q) for _, r, _, q in per], book
        )
    elif options.strategy == "inventory":
        per = [(name, region, n, n) for name, region, n in objects]
        cost = priced_requests(
            "inventory", "objects inventoried", 1_000_000, "inventory/objects", [(r, n) for _, r, n in objects], book
        )
    else:
        per = [(name, region, n, listing_requests(n) + int(options.uploads)) for name, region, n in objects]
        cost = priced_requests("list", "LIST requests", 1000, "requests/LIST", [(r, q) for _, r, _, q in per], book)
    return Estimate(
        options.strategy,
        tuple(BucketEstimate(name, region, n, q) for name, region, n, q in per),
        cost,
        counted.failures,
        bool(options.selection.prefixes()),
    )


def render_estimate(estimate: Estimate, fmt: str) -> str:
    """The estimate as a short table (the default) or JSON with exact integers and decimal strings."""
    cost = estimate.cost
    if fmt in ("json", "json_pretty"):
        body = {
            "Strategy": estimate.strategy,
            "Unit": cost.unit,
            "Buckets": [
                {"Bucket": b.bucket, "Region": b.region, "Objects": b.objects, "Requests": b.requests}
                for b in estimate.buckets
            ],
            "Total": cost.quantity,
            "CostUSD": money(cost.usd) if cost.usd is not None else None,
            "Prices": [{"Source": s.name, "Date": s.date.isoformat(), "Kind": s.kind} for s in cost.sources],
            "NotCounted": [{"Bucket": f.bucket, "Error": f.error, "Message": f.message} for f in estimate.failures],
            "Estimate": "a floor: one request per 1,000 keys, from CloudWatch's daily NumberOfObjects",
        }
        return dumps(body, indent=2 if fmt == "json_pretty" else None) + "\n"
    quantity_header = cost.unit[0].upper() + cost.unit[1:]
    rows = [("Bucket", "Region", "Objects", quantity_header)]
    rows += [(printable(b.bucket), b.region, f"{b.objects:,}", f"{b.requests:,}") for b in estimate.buckets]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(
            cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.append(f"A {estimate.strategy} scan of {plural(len(estimate.buckets), 'bucket')} needs {cost.describe()}.")
    if estimate.strategy == "inventory":
        lines.append("That is the price of each delivered S3 Inventory report; reading it adds a few GET requests.")
    lines.append("Estimated from CloudWatch's daily object counts (every version counted): a floor, not a quote.")
    if estimate.scoped:
        lines.append("Buckets asked for under a prefix are estimated whole: listing a prefix costs less.")
    for failure in estimate.failures:
        lines.append(f"not counted: {printable(failure.bucket)}: {printable(failure.message.splitlines()[0])}")
    return "\n".join(line.rstrip() for line in lines) + "\n"
