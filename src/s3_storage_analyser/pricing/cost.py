"""The monthly cost of a snapshot under a price book: exact decimals, every amount traceable to a price.

Each bucket's usage becomes charges (quantity x item, attributed to a storage class and a part of the
bill); charges of one item in one region are priced together, so volume tiers (Standard's first 50 TB,
next 450 TB, over 500 TB) apply to the region's volume in the report, and each charge carries its share.
Amounts are rounded half-even to micro-dollars per (bucket, class, part) line; every total is the sum of
those lines, so the totals in every output add up exactly.

What is billed at which rate (the notes say which of these a figure relies on):

- listing and inventory price each object at its billable size: objects under 128 KiB as 128 KiB in
  Standard-IA, One Zone-IA and Glacier Instant Retrieval; 32 KiB more at the class's rate and 8 KiB at
  Standard's per object in Glacier Flexible Retrieval and Deep Archive; Intelligent-Tiering at each access
  tier's rate when an inventory report gives the tier, else at its Frequent Access rate (a listing cannot
  see an object's tier, so this is an upper bound), plus monitoring per object of 128 KiB or more;
  noncurrent versions likewise when measured; unfinished uploads at Standard's rate;
- CloudWatch's StorageTypes already separate the billed overheads and Intelligent-Tiering's tiers: each is
  priced at its own rate. Intelligent-Tiering monitoring is then left out (CloudWatch counts no objects per
  class) and said so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from ..model import BucketReport, Snapshot, Usage
from ..storage_classes import SMALL_OBJECT_BYTES, class_for_storage_type
from .book import PriceBook, PriceSource, storage_item

GB = Decimal(2**30)
MICRO = Decimal("0.000001")
ZERO = Decimal(0)

MIN_SIZE_CLASSES: frozenset[str] = frozenset({"STANDARD_IA", "ONEZONE_IA", "GLACIER_IR"})
ARCHIVE_CLASSES: frozenset[str] = frozenset({"GLACIER", "DEEP_ARCHIVE"})
ARCHIVE_OVERHEAD_OWN = 32 * 1024  # per object, at the archive class's rate
ARCHIVE_OVERHEAD_STANDARD = 8 * 1024  # per object, at Standard's rate
MIN_DAYS: dict[str, int] = {
    "STANDARD_IA": 30,
    "ONEZONE_IA": 30,
    "INTELLIGENT_TIERING": 0,
    "GLACIER_IR": 90,
    "GLACIER": 90,
    "DEEP_ARCHIVE": 180,
    "EXPRESS_ONEZONE": 0,
}

# Parts of a bucket's bill, in the order shown.
PARTS: tuple[str, ...] = ("stored", "minimum-size", "archive-overhead", "monitoring", "noncurrent", "uploads")

# CloudWatch StorageType -> (price item, part). The rest are priced at their class's storage item.
_CLOUDWATCH_ITEMS: dict[str, tuple[str, str]] = {
    "IntelligentTieringFAStorage": (storage_item("INTELLIGENT_TIERING", "FA"), "stored"),
    "IntelligentTieringIAStorage": (storage_item("INTELLIGENT_TIERING", "IA"), "stored"),
    "IntelligentTieringAIAStorage": (storage_item("INTELLIGENT_TIERING", "AIA"), "stored"),
    "IntelligentTieringAAStorage": (storage_item("INTELLIGENT_TIERING", "AA"), "stored"),
    "IntelligentTieringDAAStorage": (storage_item("INTELLIGENT_TIERING", "DAA"), "stored"),
    "StandardIASizeOverhead": (storage_item("STANDARD_IA"), "minimum-size"),
    "StandardIAObjectOverhead": (storage_item("STANDARD_IA"), "minimum-size"),
    "OneZoneIASizeOverhead": (storage_item("ONEZONE_IA"), "minimum-size"),
    "GlacierInstantRetrievalSizeOverhead": (storage_item("GLACIER_IR"), "minimum-size"),
    "GlacierObjectOverhead": (storage_item("GLACIER"), "archive-overhead"),
    "GlacierS3ObjectOverhead": (storage_item("STANDARD"), "archive-overhead"),
    "GlacierStagingStorage": (storage_item("STANDARD"), "uploads"),
    "DeepArchiveObjectOverhead": (storage_item("DEEP_ARCHIVE"), "archive-overhead"),
    "DeepArchiveS3ObjectOverhead": (storage_item("STANDARD"), "archive-overhead"),
    "DeepArchiveStagingStorage": (storage_item("STANDARD"), "uploads"),
}

NOTE_IT_UPPER_BOUND = (
    "Intelligent-Tiering is priced at its Frequent Access rate: a listing cannot see each object's access "
    "tier, so this is an upper bound (CloudWatch reports the tiers)."
)
NOTE_IT_MONITORING = (
    "Intelligent-Tiering monitoring is not included: CloudWatch counts no objects per class "
    "(a listing or inventory prices it)."
)
NOTE_NO_SMALL = (
    "This snapshot did not count objects under 128 KiB: their 128 KiB minimum in the IA classes and "
    "Glacier Instant Retrieval is not included, and Intelligent-Tiering monitoring counts every object."
)
NOTE_CURRENT_ONLY = (
    "Current objects only: old versions and unfinished uploads are billed too (list with --versions --uploads)."
)
NOTE_UPLOADS = "Unfinished multipart uploads are priced at Standard's rate."


@dataclass(frozen=True)
class Unpriced:
    """Usage no price covers: the bucket's total is then unknown, never counted as 0."""

    region: str
    storage_class: str
    item: str
    quantity: Decimal  # GB, or thousands of objects for monitoring
    reason: str


@dataclass(frozen=True)
class BucketCost:
    """One bucket's monthly cost: lines per (storage class, part), in USD rounded to micro-dollars."""

    bucket: str
    region: str
    lines: Mapping[tuple[str, str], Decimal] = field(default_factory=dict)
    unpriced: tuple[Unpriced, ...] = ()

    @property
    def priced(self) -> Decimal:
        """What the priced usage costs (all of it when nothing is unpriced)."""
        return sum(self.lines.values(), ZERO)

    @property
    def total(self) -> Decimal | None:
        """The bucket's monthly cost, or None when some of its usage has no price."""
        return None if self.unpriced else self.priced

    @property
    def by_class(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = defaultdict(Decimal)
        for (code, _part), amount in self.lines.items():
            out[code] += amount
        return dict(out)

    @property
    def by_part(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = defaultdict(Decimal)
        for (_code, part), amount in self.lines.items():
            out[part] += amount
        return {part: out[part] for part in PARTS if part in out}

    def part(self, part: str, storage_class: str | None = None) -> Decimal:
        return sum(
            (a for (c, p), a in self.lines.items() if p == part and storage_class in (None, c)),
            ZERO,
        )


@dataclass(frozen=True)
class SnapshotCost:
    """A snapshot's cost: per bucket, the sources of the prices used and what the figures rely on."""

    buckets: Mapping[str, BucketCost]
    sources: tuple[PriceSource, ...]
    discount: Decimal = ZERO
    notes: tuple[str, ...] = ()

    def of(self, report: BucketReport) -> BucketCost:
        return self.buckets[report.bucket.name]

    def only(self, names: Iterable[str]) -> SnapshotCost:
        """The cost of the buckets a report shows (``--min-size`` hides some); tiers stay as priced."""
        keep = set(names)
        return replace(self, buckets={n: b for n, b in self.buckets.items() if n in keep})

    @property
    def priced(self) -> Decimal:
        return sum((b.priced for b in self.buckets.values()), ZERO)

    @property
    def total(self) -> Decimal | None:
        return None if self.unpriced else self.priced

    @property
    def unpriced(self) -> tuple[Unpriced, ...]:
        return tuple(u for b in self.buckets.values() for u in b.unpriced)

    @property
    def by_class(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = defaultdict(Decimal)
        for bucket in self.buckets.values():
            for code, amount in bucket.by_class.items():
                out[code] += amount
        return dict(out)

    def describe_sources(self) -> str:
        """ "prices: <name> (<date>)[, ...][, 10% discount]", for every output that shows a cost."""
        text = "; ".join(s.describe() for s in self.sources) or ("none found" if self.unpriced else "none needed")
        if self.discount:
            text += f"; {format_percent(self.discount)} discount"
        return text


def format_percent(fraction: Decimal) -> str:
    return f"{(fraction * 100).normalize():f}%"


@dataclass(frozen=True)
class _Charge:
    bucket: str
    region: str
    storage_class: str
    part: str
    item: str
    quantity: Decimal


def _gb(nbytes: int) -> Decimal:
    return Decimal(nbytes) / GB


def _class_codes(*maps: Mapping[str, int]) -> list[str]:
    return sorted({code for table in maps for code, value in table.items() if value})


_IT_TIER_TYPES: dict[str, str] = {
    "IntelligentTieringFAStorage": "FA",
    "IntelligentTieringIAStorage": "IA",
    "IntelligentTieringAIAStorage": "AIA",
    "IntelligentTieringAAStorage": "AA",
    "IntelligentTieringDAAStorage": "DAA",
}


def _inventory_tiers(storage_types: Mapping[str, int]) -> dict[str, int]:
    """Current Intelligent-Tiering bytes per access tier, as an inventory report with the
    IntelligentTieringAccessTier field gives them (empty if any tier is one this model does not know)."""
    found = {t: b for t, b in storage_types.items() if t.startswith("IntelligentTiering") and b}
    if any(t not in _IT_TIER_TYPES for t in found):
        return {}
    return {_IT_TIER_TYPES[t]: b for t, b in found.items()}


def _object_charges(
    bucket: str,
    region: str,
    usage: Usage,
    *,
    noncurrent: bool,
    notes: set[str],
) -> Iterable[_Charge]:
    """Listing and inventory: each object at its billable size, from counts and sizes per class."""
    if noncurrent:
        objects, sizes = usage.noncurrent_objects_by_class, usage.noncurrent_bytes_by_class
        small_n, small_b = usage.noncurrent_small_objects_by_class, usage.noncurrent_small_bytes_by_class
    else:
        objects, sizes = usage.objects_by_class, usage.bytes_by_class
        small_n, small_b = usage.small_objects_by_class, usage.small_bytes_by_class
    counted_small = "small-objects" in usage.measured
    stored_part = "noncurrent" if noncurrent else "stored"
    for code in _class_codes(objects, sizes):
        n, size = objects.get(code, 0), sizes.get(code, 0)
        if code == "INTELLIGENT_TIERING":
            tiers = {} if noncurrent else _inventory_tiers(usage.storage_types)
            if tiers and sum(tiers.values()) == size:  # an inventory with IntelligentTieringAccessTier
                for tier, nbytes in tiers.items():
                    yield _Charge(bucket, region, code, stored_part, storage_item(code, tier), _gb(nbytes))
            else:
                yield _Charge(bucket, region, code, stored_part, storage_item(code, "FA"), _gb(size))
                notes.add(NOTE_IT_UPPER_BOUND)
            monitored = n - small_n.get(code, 0) if counted_small else n
            if monitored:
                yield _Charge(
                    bucket, region, code, "monitoring", "monitoring/INTELLIGENT_TIERING", Decimal(monitored) / 1000
                )
            continue
        yield _Charge(bucket, region, code, stored_part, storage_item(code), _gb(size))
        if code in MIN_SIZE_CLASSES and counted_small:
            padding = small_n.get(code, 0) * SMALL_OBJECT_BYTES - small_b.get(code, 0)
            if padding:
                yield _Charge(bucket, region, code, "minimum-size", storage_item(code), _gb(padding))
        if code in ARCHIVE_CLASSES and n:
            yield _Charge(bucket, region, code, "archive-overhead", storage_item(code), _gb(n * ARCHIVE_OVERHEAD_OWN))
            yield _Charge(
                bucket, region, code, "archive-overhead", storage_item("STANDARD"), _gb(n * ARCHIVE_OVERHEAD_STANDARD)
            )
    if not counted_small and any(code in MIN_SIZE_CLASSES or code == "INTELLIGENT_TIERING" for code in objects):
        notes.add(NOTE_NO_SMALL)


def _cloudwatch_charges(bucket: str, region: str, usage: Usage, notes: set[str]) -> Iterable[_Charge]:
    """CloudWatch: each StorageType at its own rate; the overheads are already there, in bytes."""
    for storage_type, nbytes in sorted(usage.storage_types.items()):
        if not nbytes:
            continue
        code = class_for_storage_type(storage_type)
        item, part = _CLOUDWATCH_ITEMS.get(storage_type, (storage_item(code), "stored"))
        if code == "INTELLIGENT_TIERING" and storage_type not in _CLOUDWATCH_ITEMS:
            item = storage_item(code, "FA")  # a tier AWS adds later: at most the Frequent Access rate
        if code == "INTELLIGENT_TIERING":
            notes.add(NOTE_IT_MONITORING)
        yield _Charge(bucket, region, code, part, item, _gb(nbytes))


def usage_charges(report: BucketReport, notes: set[str]) -> list[_Charge]:
    """What one bucket is billed for, as quantities of price items (no price applied yet)."""
    name, region, usage = report.bucket.name, report.bucket.region, report.usage
    if usage.storage_types and not usage.objects_by_class:  # CloudWatch: bytes per storage type, no objects
        return list(_cloudwatch_charges(name, region, usage, notes))
    charges = list(_object_charges(name, region, usage, noncurrent=False, notes=notes))
    if "versions" in usage.measured:
        charges += _object_charges(name, region, usage, noncurrent=True, notes=notes)
    if "uploads" in usage.measured and usage.incomplete_upload_bytes:
        charges.append(
            _Charge(name, region, "STANDARD", "uploads", storage_item("STANDARD"), _gb(usage.incomplete_upload_bytes))
        )
        notes.add(NOTE_UPLOADS)
    if not {"versions", "uploads"} <= usage.measured and usage.objects:
        notes.add(NOTE_CURRENT_ONLY)
    return charges


def _missing(book: PriceBook, region: str, item: str) -> str:
    names = ", ".join(s.name for s in book.sources) or "no price source"
    return f"no price for {item} in {region} ({names}): run `s3sa prices update` or give --prices"


def cost_snapshot(snapshot: Snapshot, book: PriceBook) -> SnapshotCost:
    """Price every bucket of a snapshot: pure arithmetic on the snapshot and the book."""
    notes: set[str] = set()
    charges: list[_Charge] = []
    for report in snapshot.buckets:
        charges += usage_charges(report, notes)
    groups: dict[tuple[str, str], list[_Charge]] = defaultdict(list)
    for charge in charges:
        groups[(charge.region, charge.item)].append(charge)
    exact: dict[str, dict[tuple[str, str], Decimal]] = {r.bucket.name: defaultdict(Decimal) for r in snapshot.buckets}
    unpriced: dict[str, list[Unpriced]] = defaultdict(list)
    used: dict[PriceSource, None] = {}
    with localcontext() as ctx:
        ctx.prec = 60
        for (region, item), group in sorted(groups.items()):
            price = book.price(region, item)
            if price is None:
                for c in group:
                    if c.quantity:
                        unpriced[c.bucket].append(
                            Unpriced(region, c.storage_class, item, c.quantity, _missing(book, region, item))
                        )
                continue
            used[price.source] = None
            volume = sum((c.quantity for c in group), ZERO)
            if not volume:
                continue
            amount = price.cost(volume)
            for c in group:
                exact[c.bucket][(c.storage_class, c.part)] += amount * c.quantity / volume
    buckets = {
        r.bucket.name: BucketCost(
            r.bucket.name,
            r.bucket.region,
            {key: value.quantize(MICRO, rounding=ROUND_HALF_EVEN) for key, value in exact[r.bucket.name].items()},
            tuple(unpriced.get(r.bucket.name, ())),
        )
        for r in snapshot.buckets
    }
    ordered_sources = tuple(s for s in book.sources if s in used)
    return SnapshotCost(buckets, ordered_sources, book.discount if ordered_sources else ZERO, tuple(sorted(notes)))


def money(amount: Decimal) -> str:
    """An exact amount for machine outputs: USD as a plain decimal string with micro-dollar places."""
    return f"{amount.quantize(MICRO, rounding=ROUND_HALF_EVEN):f}"
