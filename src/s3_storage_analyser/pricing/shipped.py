"""The price table shipped in the package: AWS's public on-demand S3 prices for the regions below.

Used when no ``--prices`` file and no ``s3sa prices update`` cache price an item. A region or class
missing here is priced as unknown (and named), never as 0: ``s3sa prices update`` fetches every region
from the AWS Price List API. Sources checked for these figures: the Amazon S3 pricing page
(aws.amazon.com/s3/pricing) and its FAQ (Express One Zone), and Price List API extracts of mid-2026.
"""

from __future__ import annotations

from datetime import date

from .book import PriceSource, PriceTable, rows_to_table

SHIPPED_SOURCE = PriceSource("AWS public S3 prices shipped with s3-storage-analyser", date(2026, 7, 1), "shipped")

# The regions whose every storage class is priced the same as US East (N. Virginia).
_LIKE_US_EAST_1: tuple[str, ...] = ("us-east-1", "us-east-2", "us-west-2", "eu-west-1")

_US_EAST_1: tuple[tuple[str, str, str], ...] = (
    # item, from_gb, usd
    ("storage/STANDARD", "0", "0.023"),
    ("storage/STANDARD", "51200", "0.022"),
    ("storage/STANDARD", "512000", "0.021"),
    ("storage/INTELLIGENT_TIERING/FA", "0", "0.023"),
    ("storage/INTELLIGENT_TIERING/FA", "51200", "0.022"),
    ("storage/INTELLIGENT_TIERING/FA", "512000", "0.021"),
    ("storage/INTELLIGENT_TIERING/IA", "0", "0.0125"),
    ("storage/INTELLIGENT_TIERING/AIA", "0", "0.004"),
    ("storage/INTELLIGENT_TIERING/AA", "0", "0.0036"),
    ("storage/INTELLIGENT_TIERING/DAA", "0", "0.00099"),
    ("monitoring/INTELLIGENT_TIERING", "0", "0.0025"),
    ("storage/STANDARD_IA", "0", "0.0125"),
    ("storage/ONEZONE_IA", "0", "0.01"),
    ("storage/GLACIER_IR", "0", "0.004"),
    ("storage/GLACIER", "0", "0.0036"),
    ("storage/DEEP_ARCHIVE", "0", "0.00099"),
    ("requests/LIST", "0", "0.005"),
    ("requests/GET", "0", "0.0004"),
    ("transition/STANDARD_IA", "0", "0.01"),
    ("transition/ONEZONE_IA", "0", "0.01"),
    ("transition/INTELLIGENT_TIERING", "0", "0.01"),
    ("transition/GLACIER_IR", "0", "0.02"),
    ("transition/GLACIER", "0", "0.03"),
    ("transition/DEEP_ARCHIVE", "0", "0.05"),
    ("cloudwatch/GetMetricData", "0", "0.01"),
    ("inventory/objects", "0", "0.0025"),
)

# Classes sold in US East (N. Virginia) only, of those this table prices.
_US_EAST_1_ONLY: tuple[tuple[str, str, str], ...] = (
    ("storage/REDUCED_REDUNDANCY", "0", "0.024"),
    ("storage/EXPRESS_ONEZONE", "0", "0.11"),
)

# Asia Pacific (Singapore): the classes whose prices were checked; the rest are left to the Price List.
_AP_SOUTHEAST_1: tuple[tuple[str, str, str], ...] = (
    ("storage/STANDARD", "0", "0.025"),
    ("storage/STANDARD", "51200", "0.024"),
    ("storage/STANDARD", "512000", "0.023"),
    ("storage/STANDARD_IA", "0", "0.0138"),
    ("storage/GLACIER_IR", "0", "0.005"),
    ("requests/LIST", "0", "0.005"),
    ("requests/GET", "0", "0.0004"),
    ("transition/GLACIER_IR", "0", "0.02"),
    ("cloudwatch/GetMetricData", "0", "0.01"),
)


def _rows() -> list[dict[str, str]]:
    rows = [
        {"region": region, "item": item, "from_gb": start, "usd": usd}
        for region in _LIKE_US_EAST_1
        for item, start, usd in _US_EAST_1
    ]
    rows += [{"region": "us-east-1", "item": i, "from_gb": s, "usd": u} for i, s, u in _US_EAST_1_ONLY]
    rows += [{"region": "ap-southeast-1", "item": i, "from_gb": s, "usd": u} for i, s, u in _AP_SOUTHEAST_1]
    return rows


def shipped_table() -> PriceTable:
    return rows_to_table(_rows(), SHIPPED_SOURCE, "shipped table")
