"""Prices from the AWS Price List Query API (``s3sa prices update``), cached as one canonical prices file.

GetProducts answers pages of ``PriceList`` entries, each a JSON document in a string::

    {"product": {"sku": ..., "productFamily": ..., "attributes": {"regionCode": "eu-west-1",
                 "usagetype": "EU-TimedStorage-ByteHrs", "operation": "", ...}},
     "terms": {"OnDemand": {"<sku>.<offer>": {"priceDimensions": {"<rate code>": {
                 "unit": "GB-Mo", "beginRange": "0", "endRange": "51200",
                 "pricePerUnit": {"USD": "0.0230000000"}, ...}}, ...}}},
     "serviceCode": "AmazonS3", "version": ..., "publicationDate": "2026-07-01T00:00:00Z"}

A product is recognised by its ``usagetype`` with the region's prefix taken off (``EU-``, ``USE2-``; none in
us-east-1), matched exactly, never by its ending: ``Tables-TimedStorage-ByteHrs`` (S3 Tables) ends like
Standard's ``TimedStorage-ByteHrs`` and is something else. Storage and request usage types must carry no
``operation`` (the same usage type with an operation is another charge, such as Intelligent-Tiering's
archive object overheads on ``TimedStorage-ByteHrs``); lifecycle transitions are the request usage types
``Requests-Tier3`` (into Glacier Flexible Retrieval and Deep Archive) and ``Requests-Tier4`` (into the IA
classes, Intelligent-Tiering and Glacier Instant Retrieval) told apart by their operation
(``S3-GDATransition``...). Deep Archive's storage is sold under its own service code,
``AmazonS3GlacierDeepArchive``. Sources for these names: the Amazon S3 user guide's "Understanding your AWS
billing and usage reports for Amazon S3" (usage types and units) and published Price List extracts.

Units are converted exactly to the book's (see ``book``): storage stays per GB-month with its tiers'
``beginRange`` in GB; requests, monitoring and GetMetricData become per 1,000, inventory per 1,000,000, and
the tier starts are divided alike. Everything read is untrusted: sizes are bounded, prices must be plain
decimals, an unknown product is skipped, a known one that is malformed is a named error (``InvalidPriceList``),
and an item two products price differently is left out (and named) rather than guessed.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..aws import Aws
from ..errors import AccessDeniedError, AwsError, UsageError
from ..safetext import printable
from .book import PriceSource, PriceTable, load_file, rows_to_table, table_to_json

PRICING_REGION = "us-east-1"  # where the Price List Query API answers (it also answers in ap-south-1)
SOURCE_NAME = "AWS Price List API"
KIND = "pricelist"
STORE_NAME = "s3-storage-analyser-prices"
CACHE_FILE = "prices.json"
SERVICE_CODES: tuple[str, ...] = ("AmazonS3", "AmazonS3GlacierDeepArchive", "AmazonCloudWatch")
# Filters beyond the region's that keep a service's answer to what is used (CloudWatch sells much else).
SERVICE_FILTERS: dict[str, tuple[dict[str, str], ...]] = {
    "AmazonCloudWatch": ({"Type": "CONTAINS", "Field": "usagetype", "Value": "GMD-Metrics"},),
}
PERMISSION = "pricing:GetProducts"

PAGE_SIZE = 100  # GetProducts' MaxResults: a page with more entries than asked for is refused
MAX_PAGES = 5_000  # per service code and region filter
MAX_ENTRY_CHARS = 256 * 1024  # one product; real ones are a few KiB
MAX_TOKEN_CHARS = 4_096
MAX_DIMENSIONS = 64  # price dimensions (tiers) of one product
INVALID = "InvalidPriceList"

# The region codes a price row may carry (book's pattern); products of other locations (local zones, global
# usage) are not regions a bucket lives in, and are skipped.
_REGION_CODE = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}")
# A usage type's region prefix: EU, USE2, APS1, UGW1, ... (capitals and digits, then "-").
_PREFIX = re.compile(r"[A-Z]{2,4}[0-9]{0,2}-")
_PRICE = re.compile(r"\d{1,12}(?:\.\d{1,16})?")
_RANGE = re.compile(r"\d{1,15}(?:\.\d{1,6})?")
_BOOK_DECIMAL = re.compile(r"\d{1,12}(?:\.\d{1,12})?")  # what a price row may hold (book's pattern)
_PUBLISHED = re.compile(r"(\d{4}-\d{2}-\d{2})(?:T[0-9:.]{1,20}Z?)?")
_NAME = re.compile(r"[A-Za-z0-9 :._/()-]{0,200}")


@dataclass(frozen=True)
class Rule:
    """How one usage type becomes one book item: its units and how many of them make one of the book's."""

    item: str
    units: frozenset[str]
    scale: Decimal  # AWS units per book unit: price x scale, tier start / scale
    any_operation: bool = False  # the usage type means one thing whatever its operation attribute


_GB_MONTH = frozenset({"GB-Mo", "GB-Month"})
_REQUESTS = frozenset({"Requests"})
_OBJECTS = frozenset({"Objects"})
_METRICS = frozenset({"Metrics"})
_ONE = Decimal(1)
_THOUSAND = Decimal(1000)
_MILLION = Decimal(1_000_000)


def _storage(storage_class: str, tier: str | None = None) -> Rule:
    return Rule(f"storage/{storage_class}" + (f"/{tier}" if tier else ""), _GB_MONTH, _ONE)


# usage type (without its region prefix) -> rule, for products with no operation (or any, where said).
USAGE_TYPES: dict[str, Rule] = {
    "TimedStorage-ByteHrs": _storage("STANDARD"),
    "TimedStorage-RRS-ByteHrs": _storage("REDUCED_REDUNDANCY"),
    "TimedStorage-SIA-ByteHrs": _storage("STANDARD_IA"),
    "TimedStorage-ZIA-ByteHrs": _storage("ONEZONE_IA"),
    "TimedStorage-GIR-ByteHrs": _storage("GLACIER_IR"),
    "TimedStorage-GlacierByteHrs": _storage("GLACIER"),
    "TimedStorage-GDA-ByteHrs": _storage("DEEP_ARCHIVE"),
    "TimedStorage-XZ-ByteHrs": _storage("EXPRESS_ONEZONE"),
    "TimedStorage-INT-FA-ByteHrs": _storage("INTELLIGENT_TIERING", "FA"),
    "TimedStorage-INT-IA-ByteHrs": _storage("INTELLIGENT_TIERING", "IA"),
    "TimedStorage-INT-AIA-ByteHrs": _storage("INTELLIGENT_TIERING", "AIA"),
    "TimedStorage-INT-AA-ByteHrs": _storage("INTELLIGENT_TIERING", "AA"),
    "TimedStorage-INT-DAA-ByteHrs": _storage("INTELLIGENT_TIERING", "DAA"),
    "Monitoring-Automation-INT": Rule("monitoring/INTELLIGENT_TIERING", _OBJECTS, _THOUSAND, any_operation=True),
    "Requests-Tier1": Rule("requests/LIST", _REQUESTS, _THOUSAND),
    "Requests-Tier2": Rule("requests/GET", _REQUESTS, _THOUSAND),
    "Inventory-ObjectsListed": Rule("inventory/objects", _OBJECTS, _MILLION, any_operation=True),
    "CW:GMD-Metrics": Rule("cloudwatch/GetMetricData", _METRICS, _THOUSAND, any_operation=True),
}

# Lifecycle transitions: request usage types told apart by their operation, which names the target class.
TRANSITION_USAGE_TYPES = frozenset({"Requests-Tier3", "Requests-Tier4"})
TRANSITIONS: dict[str, Rule] = {
    operation: Rule(f"transition/{storage_class}", _REQUESTS, _THOUSAND)
    for operation, storage_class in (
        ("S3-SIATransition", "STANDARD_IA"),
        ("S3-ZIATransition", "ONEZONE_IA"),
        ("S3-INTTransition", "INTELLIGENT_TIERING"),
        ("S3-GIRTransition", "GLACIER_IR"),
        ("S3-GlacierTransition", "GLACIER"),
        ("S3-GDATransition", "DEEP_ARCHIVE"),
    )
}


def _invalid(where: str, what: str) -> AwsError:
    return AwsError(
        f"The AWS Price List answer is not usable ({where}): {what}.",
        code=INVALID,
        hint="Nothing was cached: reports keep the prices cached before (or the shipped ones). Retry later.",
    )


def _text(value: object, limit: int = 200) -> str:
    """A short, printable rendering of an untrusted value, for messages."""
    return printable(str(value)[:limit])


def _decimal(raw: object, pattern: re.Pattern[str], where: str, name: str) -> Decimal:
    if not isinstance(raw, str) or not pattern.fullmatch(raw):
        raise _invalid(where, f"{name} must be a plain decimal string, not {_text(raw, 40)!r}")
    try:
        return Decimal(raw)
    except InvalidOperation as exc:  # pragma: no cover - the patterns admit only valid decimals
        raise _invalid(where, f"{name} {raw!r} is not a number") from exc


def plain(value: Decimal) -> str:
    """A decimal written without exponent or trailing zeros: 0.0230000000 -> 0.023, 5.12E+4 -> 51200."""
    return format(value.normalize(), "f")


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number JSON allows")


def rule_for(usage_type: str, operation: str) -> Rule | None:
    """The rule of a product, or None when it is none of the items the tool prices."""
    base = usage_type
    if base not in USAGE_TYPES and base not in TRANSITION_USAGE_TYPES:
        prefix = _PREFIX.match(usage_type)
        if prefix is None:
            return None
        base = usage_type[prefix.end() :]
    if base in TRANSITION_USAGE_TYPES:
        return TRANSITIONS.get(operation)
    rule = USAGE_TYPES.get(base)
    if rule is None or (operation and not rule.any_operation):
        return None
    return rule


@dataclass(frozen=True)
class Candidate:
    """One product's price for one (region, item): its tiers in the book's units."""

    region: str
    item: str
    tiers: tuple[tuple[Decimal, Decimal], ...]  # (from, usd) in the book's units
    sku: str
    published: date | None


def _mapping(value: object, where: str, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _invalid(where, f"{name} must be an object")
    return value


def _tiers(term: dict[str, Any], rule: Rule, where: str) -> tuple[tuple[Decimal, Decimal], ...]:
    """A term's price dimensions as contiguous tiers from 0, converted to the book's units."""
    dimensions = _mapping(term.get("priceDimensions"), where, "priceDimensions")
    if not dimensions or len(dimensions) > MAX_DIMENSIONS:
        raise _invalid(where, f"a term must have 1 to {MAX_DIMENSIONS} price dimensions, not {len(dimensions)}")
    spans: list[tuple[Decimal, Decimal | None, Decimal]] = []
    for raw in dimensions.values():
        dimension = _mapping(raw, where, "a price dimension")
        unit = dimension.get("unit")
        if unit not in rule.units:
            raise _invalid(
                where, f"unit {_text(unit, 40)!r} for {rule.item} (expected {' or '.join(sorted(rule.units))})"
            )
        price = _mapping(dimension.get("pricePerUnit"), where, "pricePerUnit")
        if "USD" not in price:
            raise _invalid(where, "a price dimension has no USD price")
        usd = _decimal(price["USD"], _PRICE, where, "pricePerUnit.USD")
        begin = _decimal(dimension.get("beginRange", "0"), _RANGE, where, "beginRange")
        end_raw = dimension.get("endRange", "Inf")
        end = None if end_raw == "Inf" else _decimal(end_raw, _RANGE, where, "endRange")
        if end is not None and end <= begin:
            raise _invalid(where, f"a tier ends ({end}) where or before it begins ({begin})")
        spans.append((begin, end, usd))
    spans.sort(key=lambda span: span[0])
    if spans[0][0] != 0:
        raise _invalid(where, f"the tiers of {rule.item} start at {spans[0][0]}, not 0")
    for (_begin, end, _usd), (next_begin, _end, _price) in itertools.pairwise(spans):
        if end != next_begin:
            raise _invalid(where, f"the tiers of {rule.item} leave a gap or overlap at {next_begin}")
    if spans[-1][1] is not None:
        raise _invalid(where, f"the last tier of {rule.item} ends at {spans[-1][1]}, not Inf")
    tiers = []
    for begin, _end, usd in spans:
        start, per = begin / rule.scale, usd * rule.scale
        if not (_BOOK_DECIMAL.fullmatch(plain(start)) and _BOOK_DECIMAL.fullmatch(plain(per))):
            raise _invalid(
                where, f"{rule.item} at {plain(per)} from {plain(start)} is out of range (12 digits and 12 decimals)"
            )
        tiers.append((start, per))
    return tuple(tiers)


def _published(raw: object, where: str) -> date | None:
    if raw is None:
        return None
    match = _PUBLISHED.fullmatch(raw) if isinstance(raw, str) else None
    if match is None:
        raise _invalid(where, f"publicationDate {_text(raw, 40)!r} is not a date")
    try:
        return date.fromisoformat(match.group(1))
    except ValueError as exc:
        raise _invalid(where, f"publicationDate {_text(raw, 40)!r} is not a date") from exc


def parse_entry(text: object, where: str) -> list[Candidate]:
    """One PriceList entry: the candidates it gives (one per OnDemand term), or none for another product."""
    if not isinstance(text, str):
        raise _invalid(where, "a PriceList entry must be a JSON document in a string")
    if len(text) > MAX_ENTRY_CHARS:
        raise _invalid(where, f"an entry of {len(text):,} characters (at most {MAX_ENTRY_CHARS:,})")
    try:
        entry: Any = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise _invalid(where, "an entry is not valid JSON") from exc
    entry = _mapping(entry, where, "an entry")
    product = _mapping(entry.get("product"), where, "product")
    attributes = _mapping(product.get("attributes"), where, "product.attributes")
    usage_type, operation = attributes.get("usagetype"), attributes.get("operation", "")
    region = attributes.get("regionCode")
    if not isinstance(usage_type, str) or not isinstance(operation, str):
        return []  # a product without a usage type is none the tool prices
    rule = rule_for(usage_type, operation)
    if rule is None or not isinstance(region, str) or not _REGION_CODE.fullmatch(region):
        return []
    sku = product.get("sku", "?")
    sku = sku if isinstance(sku, str) and _NAME.fullmatch(sku) else "?"
    at = f"{where}, {usage_type} in {region} (sku {sku})"
    terms = _mapping(entry.get("terms"), at, "terms")
    on_demand = _mapping(terms.get("OnDemand"), at, "terms.OnDemand")
    if not on_demand:
        raise _invalid(at, "no OnDemand term")
    published = _published(entry.get("publicationDate"), at)
    return [
        Candidate(region, rule.item, _tiers(_mapping(term, at, "an OnDemand term"), rule, at), sku, published)
        for term in on_demand.values()
    ]


@dataclass
class Translation:
    """What a run of entries gave: the rows, and what was skipped or left out."""

    rows: list[dict[str, str]] = field(default_factory=list)
    entries: int = 0
    used: int = 0
    ambiguous: list[str] = field(default_factory=list)  # "item in region": priced differently by two products
    published: date | None = None

    @property
    def regions(self) -> set[str]:
        return {row["region"] for row in self.rows}


def translate_entries(entries: Iterable[tuple[str, object]]) -> Translation:
    """(where, entry) pairs -> book rows; an item that products price differently is left out, named."""
    result = Translation()
    found: dict[tuple[str, str], set[tuple[tuple[Decimal, Decimal], ...]]] = {}
    for where, text in entries:
        result.entries += 1
        candidates = parse_entry(text, where)
        result.used += bool(candidates)
        for candidate in candidates:
            found.setdefault((candidate.region, candidate.item), set()).add(candidate.tiers)
            if candidate.published and (result.published is None or candidate.published > result.published):
                result.published = candidate.published
    for (region, item), options in sorted(found.items()):
        if len(options) > 1:
            result.ambiguous.append(f"{item} in {region}")
            continue
        (tiers,) = options
        result.rows += [{"region": region, "item": item, "from_gb": plain(s), "usd": plain(u)} for s, u in tiers]
    return result


def _pages(aws: Aws, service_code: str, region: str | None) -> Iterator[tuple[str, object]]:
    """Every entry of GetProducts for one service code (and region), page by page, bounded."""
    client = aws.client("pricing", PRICING_REGION)
    request: dict[str, Any] = {"ServiceCode": service_code, "FormatVersion": "aws_v1", "MaxResults": PAGE_SIZE}
    filters = [*SERVICE_FILTERS.get(service_code, ())]
    if region:
        filters.append({"Type": "TERM_MATCH", "Field": "regionCode", "Value": region})
    if filters:
        request["Filters"] = filters
    seen: set[str] = set()
    for page_number in range(1, MAX_PAGES + 1):
        where = f"{service_code}{' in ' + region if region else ''}, page {page_number}"
        try:
            with aws.translating(PERMISSION):
                page = client.get_products(**request)
        except AccessDeniedError as exc:
            raise AccessDeniedError(
                f"Access denied calling {PERMISSION}: the credentials may not read the AWS Price List.",
                hint=f"Grant {PERMISSION} (it reads public prices only; the managed policy "
                "AWSPriceListServiceFullAccess has it), or price with the shipped table or --prices FILE.",
            ) from exc
        entries = page.get("PriceList") or []
        if not isinstance(entries, list) or len(entries) > PAGE_SIZE:
            count = len(entries) if isinstance(entries, list) else "?"
            raise _invalid(where, f"a page of {count} entries (at most {PAGE_SIZE} were asked for)")
        for n, entry in enumerate(entries, start=1):
            yield f"{where}, entry {n}", entry
        token = page.get("NextToken")
        if not token:
            return
        if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
            raise _invalid(where, f"NextToken is not a string of at most {MAX_TOKEN_CHARS:,} characters")
        if token in seen:
            raise _invalid(where, "NextToken repeats an earlier page's: the answer would never end")
        seen.add(token)
        request["NextToken"] = token
    raise _invalid(service_code, f"more than {MAX_PAGES:,} pages")


def fetch(aws: Aws, regions: Sequence[str] = (), *, today: date | None = None) -> tuple[PriceTable, Translation]:
    """Every price the tool uses, for ``regions`` (default: every region), from the Price List API."""

    def entries() -> Iterator[tuple[str, object]]:
        for service_code in SERVICE_CODES:
            for region in regions or (None,):
                yield from _pages(aws, service_code, region)

    translation = translate_entries(entries())
    when = translation.published or today or datetime.now(UTC).date()
    source = PriceSource(SOURCE_NAME, when, KIND)
    return rows_to_table(translation.rows, source, "the AWS Price List answer"), translation


# --- The cache --------------------------------------------------------------------------------------------


def default_cache_dir() -> Path:
    """The tool's cache root (``$XDG_CACHE_HOME/s3-storage-analyser``): the prices sit beside the
    inventory's cache, not inside it."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "s3-storage-analyser"


def cache_path(cache_dir: str | None) -> Path:
    base = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    return base / STORE_NAME / CACHE_FILE


def write_cache(table: PriceTable, cache_dir: str | None) -> Path:
    """The canonical JSON of ``table`` at the cache path, written whole or not at all."""
    path = cache_path(cache_dir)
    store = path.parent
    try:
        store.mkdir(mode=0o700, parents=True, exist_ok=True)
        if store.is_symlink() or not store.is_dir():
            raise UsageError(f"{store} is not a directory of this tool's.", hint="Point --cache-dir elsewhere.")
        handle, temp = tempfile.mkstemp(prefix=".prices-", suffix=".part", dir=store)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(table_to_json(table))
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise UsageError(
            f"Cannot write the prices cache {path}: {exc.strerror or exc}.",
            hint="Point --cache-dir (or S3SA_CACHE_DIR) at a writable directory.",
        ) from exc
    return path


def read_cache(cache_dir: str | None) -> PriceTable | None:
    """The prices ``s3sa prices update`` cached, or None when it has not been run (for this cache dir)."""
    path = cache_path(cache_dir)
    if not path.exists():
        return None
    try:
        table = load_file(path, kind=KIND)
    except UsageError as exc:
        raise UsageError(
            f"The Price List cache {path} is corrupt: {exc.message}",
            hint="Rerun `s3sa prices update` to fetch it again (or delete the file to use the shipped prices).",
        ) from exc
    return table
