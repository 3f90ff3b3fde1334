"""Prices: rows of (region, item, tier start, USD), from up to three sources layered in order.

One row format serves the shipped table, the Price List cache and a company's own ``--prices`` file, so
all three are read and checked by the same code. Items and their units::

    storage/<CLASS>                      USD per GB-month (GB = 2^30 bytes, as AWS bills S3)
    storage/INTELLIGENT_TIERING/<TIER>   FA, IA, AIA (archive instant), AA (archive), DAA (deep archive)
    monitoring/INTELLIGENT_TIERING       USD per 1,000 objects per month (objects of 128 KiB and more)
    requests/LIST, requests/GET          USD per 1,000 requests (LIST is billed with PUT/COPY/POST)
    transition/<CLASS>                   USD per 1,000 lifecycle transition requests into CLASS
    cloudwatch/GetMetricData             USD per 1,000 metrics requested
    inventory/objects                    USD per 1,000,000 objects listed by S3 Inventory

A tiered price has one row per tier, ``from_gb`` being where the tier starts (0, 51200, 512000 for
Standard's first 50 TB, next 450 TB and over 500 TB). Region ``*`` in a file applies to every region.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..errors import UsageError

ANY_REGION = "*"
FORMAT = "s3sa-prices/1"
INTELLIGENT_TIERS: tuple[str, ...] = ("FA", "IA", "AIA", "AA", "DAA")
TIER_NAMES: dict[str, str] = {
    "FA": "Frequent Access",
    "IA": "Infrequent Access",
    "AIA": "Archive Instant Access",
    "AA": "Archive Access",
    "DAA": "Deep Archive Access",
}
_ITEM = re.compile(
    r"storage/[A-Z][A-Z0-9_]{0,63}(?:/(?:FA|IA|AIA|AA|DAA))?"
    r"|monitoring/INTELLIGENT_TIERING"
    r"|requests/(?:LIST|GET)"
    r"|transition/[A-Z][A-Z0-9_]{0,63}"
    r"|cloudwatch/GetMetricData"
    r"|inventory/objects"
)
_REGION = re.compile(r"\*|[a-z]{2}(?:-[a-z]+)+-\d{1,2}")
_PLAIN_DECIMAL = re.compile(r"\d{1,12}(?:\.\d{1,20})?")
MAX_ROWS = 100_000


def storage_item(storage_class: str, tier: str | None = None) -> str:
    return f"storage/{storage_class}" + (f"/{tier}" if tier else "")


@dataclass(frozen=True)
class PriceSource:
    """Where prices came from and the day they describe: shown with every cost."""

    name: str
    date: date
    kind: str  # "file", "pricelist" (fetched from the AWS Price List API), "shipped"
    discount: Decimal = Decimal(0)  # a fraction off every price the report uses (a file's negotiated rate)

    def describe(self) -> str:
        return f"{self.name} ({self.date.isoformat()})"


@dataclass(frozen=True)
class Tier:
    from_gb: Decimal
    usd: Decimal


@dataclass(frozen=True)
class Price:
    """One item's price in one region: its tiers (one for a flat price) and the source it came from."""

    item: str
    region: str
    tiers: tuple[Tier, ...]
    source: PriceSource

    def cost(self, quantity: Decimal) -> Decimal:
        """The price of ``quantity`` units (GB-months, thousands of requests...) through the tiers."""
        total = Decimal(0)
        for i, tier in enumerate(self.tiers):
            if quantity <= tier.from_gb:
                break
            upper = self.tiers[i + 1].from_gb if i + 1 < len(self.tiers) else None
            in_tier = (min(quantity, upper) if upper is not None else quantity) - tier.from_gb
            total += in_tier * tier.usd
        return total


@dataclass(frozen=True)
class PriceTable:
    """The prices of one source, indexed by (region, item)."""

    source: PriceSource
    prices: Mapping[tuple[str, str], tuple[Tier, ...]] = field(default_factory=dict)

    @property
    def regions(self) -> set[str]:
        return {region for region, _item in self.prices}


@dataclass(frozen=True)
class PriceBook:
    """Sources in order of precedence: the first that prices (region, item) prices it."""

    tables: tuple[PriceTable, ...]

    @property
    def discount(self) -> Decimal:
        return sum((t.source.discount for t in self.tables), Decimal(0))

    def price(self, region: str, item: str) -> Price | None:
        for table in self.tables:
            tiers = table.prices.get((region, item)) or table.prices.get((ANY_REGION, item))
            if tiers:
                if self.discount:
                    keep = 1 - self.discount
                    tiers = tuple(Tier(t.from_gb, t.usd * keep) for t in tiers)
                return Price(item, region, tiers, table.source)
        return None

    @property
    def sources(self) -> tuple[PriceSource, ...]:
        return tuple(t.source for t in self.tables)


def _bad(where: str, what: str) -> UsageError:
    return UsageError(
        f"Prices {where}: {what}.",
        hint="See docs/cost.md for the prices file format (JSON or CSV rows of region, item, from_gb, usd).",
    )


def _decimal(raw: object, where: str, name: str) -> Decimal:
    """A plain non-negative decimal, written as a string or integer: no float, exponent, NaN or sign."""
    text = str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else raw
    if not isinstance(text, str) or not _PLAIN_DECIMAL.fullmatch(text.strip()):
        raise _bad(where, f'{name} must be a plain decimal such as "0.023", not {str(raw)[:40]!r}')
    try:
        return Decimal(text.strip())
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only valid decimals
        raise _bad(where, f"{name} {text!r} is not a number") from exc


def rows_to_table(rows: Iterable[Mapping[str, object]], source: PriceSource, where: str) -> PriceTable:
    """Check every row and index it; tiers must start at 0 and rise, and no (region, item, tier) twice."""
    found: dict[tuple[str, str], dict[Decimal, Decimal]] = {}
    for n, row in enumerate(rows, start=1):
        if n > MAX_ROWS:
            raise _bad(where, f"more than {MAX_ROWS:,} rows")
        at = f"{where}, row {n}"
        if not isinstance(row, Mapping):
            raise _bad(at, "each row must be an object with region, item, from_gb and usd")
        unknown = set(row) - {"region", "item", "from_gb", "usd"}
        if unknown:
            raise _bad(at, f"unknown field {sorted(unknown)[0][:40]!r}")
        region, item = row.get("region"), row.get("item")
        if not isinstance(region, str) or not _REGION.fullmatch(region):
            raise _bad(at, f"region must be an AWS region code such as us-east-1 or *, not {str(region)[:40]!r}")
        if not isinstance(item, str) or not _ITEM.fullmatch(item):
            raise _bad(at, f"unknown item {str(item)[:60]!r} (items are listed in docs/cost.md)")
        from_gb = _decimal(row.get("from_gb", "0"), at, "from_gb")
        usd = _decimal(row.get("usd"), at, "usd")
        tiers = found.setdefault((region, item), {})
        if from_gb in tiers:
            raise _bad(at, f"{item} in {region} is given twice from {from_gb} GB")
        tiers[from_gb] = usd
    prices: dict[tuple[str, str], tuple[Tier, ...]] = {}
    for (region, item), tiers in found.items():
        if Decimal(0) not in tiers:
            raise _bad(where, f"{item} in {region} has no tier starting at 0 GB")
        prices[(region, item)] = tuple(Tier(start, tiers[start]) for start in sorted(tiers))
    return PriceTable(source, prices)


def _source_date(raw: object, where: str) -> date:
    if not isinstance(raw, str):
        raise _bad(where, "date must be given as YYYY-MM-DD (the day the prices describe)")
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise _bad(where, f"date {raw[:40]!r} is not YYYY-MM-DD") from exc


def _discount(raw: object, where: str) -> Decimal:
    value = _decimal(raw, where, "discount")
    if value >= 1:
        raise _bad(where, f"discount is a fraction below 1 (0.10 for 10% off), not {value}")
    return value


def parse_json(text: str, where: str, kind: str) -> PriceTable:
    try:
        data: Any = json.loads(text, parse_float=lambda s: s, parse_constant=lambda s: s)
    except json.JSONDecodeError as exc:
        raise _bad(where, f"not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    if not isinstance(data, dict):
        raise _bad(where, "the file must hold one JSON object")
    unknown = set(data) - {"format", "source", "date", "discount", "currency", "prices"}
    if unknown:
        raise _bad(where, f"unknown key {sorted(unknown)[0][:40]!r}")
    if data.get("format", FORMAT) != FORMAT:
        raise _bad(where, f"format must be {FORMAT!r}")
    if data.get("currency", "USD") != "USD":
        raise _bad(where, 'prices are in USD (currency must be "USD")')
    name = data.get("source", where)
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise _bad(where, "source must be a short text naming where the prices come from")
    rows = data.get("prices", [])
    if not isinstance(rows, list):
        raise _bad(where, "prices must be a list of rows")
    source = PriceSource(
        name.strip(),
        _source_date(data.get("date"), where),
        kind,
        _discount(data.get("discount", "0"), where),
    )
    return rows_to_table(rows, source, where)


def parse_csv(text: str, where: str, kind: str) -> PriceTable:
    """CSV rows ``region,item,from_gb,usd`` after ``# source: ...``, ``# date: ...`` (and ``# discount: ...``)."""
    meta: dict[str, str] = {}
    body: list[str] = []
    for line in text.splitlines():
        if line.startswith("#"):
            key, sep, value = line[1:].partition(":")
            if not sep or key.strip() not in ("source", "date", "discount"):
                raise _bad(where, f"comment lines name source, date or discount: {line[:60]!r}")
            meta[key.strip()] = value.strip()
        elif line.strip():
            body.append(line)
    reader = csv.DictReader(io.StringIO("\n".join(body)))
    if reader.fieldnames is None or set(reader.fieldnames) != {"region", "item", "from_gb", "usd"}:
        raise _bad(where, "the CSV header must be region,item,from_gb,usd")
    source = PriceSource(
        meta.get("source") or where,
        _source_date(meta.get("date"), where),
        kind,
        _discount(meta.get("discount", "0"), where),
    )
    return rows_to_table(reader, source, where)


MAX_FILE_BYTES = 20 * 1024 * 1024


def load_file(path: Path, kind: str = "file") -> PriceTable:
    """A prices file, JSON or CSV (by its first character), checked row by row."""
    where = path.name
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise UsageError(
            f"Cannot read prices file {where}: {exc.strerror or exc}.", hint="Give --prices a readable file."
        ) from exc
    if len(raw) > MAX_FILE_BYTES:
        raise _bad(where, f"file larger than {MAX_FILE_BYTES // 2**20} MiB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _bad(where, "not UTF-8 text") from exc
    if text.lstrip().startswith("{"):
        return parse_json(text, where, kind)
    return parse_csv(text, where, kind)


def table_to_json(table: PriceTable) -> str:
    """The canonical form (what ``prices update`` caches and ``prices show --fmt json`` prints)."""
    rows = [
        {"region": region, "item": item, "from_gb": str(tier.from_gb), "usd": str(tier.usd)}
        for (region, item), tiers in sorted(table.prices.items())
        for tier in tiers
    ]
    return (
        json.dumps(
            {
                "format": FORMAT,
                "source": table.source.name,
                "date": table.source.date.isoformat(),
                "currency": "USD",
                "discount": str(table.source.discount),
                "prices": rows,
            },
            indent=1,
        )
        + "\n"
    )


def book(tables: Sequence[PriceTable]) -> PriceBook:
    return PriceBook(tuple(tables))
