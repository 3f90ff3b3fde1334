"""Savings: findings per bucket, each with its evidence, its monthly cost now, the saving and the fix.

Pure functions of a snapshot, its cost, a price book and each bucket's lifecycle configuration as read:
no AWS call here, exact decimals only, and nothing is ever changed in the account. Every saving is an
estimate (the wording says so, and ``basis`` says how it was reached); ``None`` when it cannot be known,
with the reason.

The findings (``KINDS``):

- ``incomplete-uploads``: multipart uploads never finished, billed at Standard's rate; the fix is
  AbortIncompleteMultipartUpload after 7 days;
- ``noncurrent-versions``: old versions (NoncurrentVersionExpiration after 30 days);
- ``delete-markers``: expired object delete markers (Expiration ExpiredObjectDeleteMarker);
- ``small-objects``: objects under 128 KiB in Standard-IA, One Zone-IA or Glacier Instant Retrieval, billed
  as 128 KiB each (the ``minimum-size`` part of the bill: bytes they do not hold);
- ``archive-overhead``: Glacier Flexible Retrieval or Deep Archive objects so small that the 40 KiB each
  adds costs more than their own bytes;
- ``standard-old``: Standard objects older than ``--older-than`` days, priced in Standard-IA,
  Intelligent-Tiering and Glacier Instant Retrieval, with the one-off transition requests;
- ``no-lifecycle`` / ``lifecycle-unreadable``: a bucket with no lifecycle rule, or whose rules could not be
  read (the rest is still reported; a rule suggested there may already exist).

A rule already in the bucket (enabled, for the whole bucket) is never suggested again. A suggested rule
comes with the whole configuration to apply, the bucket's own rules kept in it:
PutBucketLifecycleConfiguration replaces a bucket's configuration, it does not add to it. Reading the
bucket's rules and writing the suggested ones is ``lifecycle``'s part; this module decides the findings.

In a scan of several accounts each bucket's advice names its account, and ``Advice.accounts`` has one
entry per account (id order, as the report's groups): its buckets and their saving, the exact sum of theirs,
``None`` for an account not covered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from ..aggregate import AGE_EDGES_DAYS, AGE_LABELS
from ..model import Account, BucketReport, Failure, Snapshot, Usage
from ..storage_classes import SMALL_OBJECT_BYTES
from ..units import humanise
from .book import PriceBook, PriceSource, storage_item
from .cost import ARCHIVE_CLASSES, GB, MICRO, MIN_DAYS, MIN_SIZE_CLASSES, ZERO, BucketCost, SnapshotCost
from .lifecycle import (
    NOT_READ,
    NOT_READ_NOTE,
    REPLACES_NOTE,
    Lifecycle,
    configuration_to_apply,
    covered,
    has_enabled_rule,
    new_rule_id,
    transitions_into,
    whole_bucket_rule,
)

AGE_CLASS = "age-class"  # the breakdown of objects per (age band, storage class) the standard-old finding reads
DEFAULT_OLDER_THAN = 90
UPLOAD_DAYS = 7
NONCURRENT_DAYS = 30
TRANSITION_TARGETS: tuple[str, ...] = ("STANDARD_IA", "INTELLIGENT_TIERING", "GLACIER_IR")

KINDS: tuple[str, ...] = (
    "incomplete-uploads",
    "noncurrent-versions",
    "delete-markers",
    "small-objects",
    "archive-overhead",
    "standard-old",
    "no-lifecycle",
    "lifecycle-unreadable",
)
TITLES: dict[str, str] = {
    "incomplete-uploads": "Incomplete multipart uploads",
    "noncurrent-versions": "Noncurrent versions",
    "delete-markers": "Delete markers",
    "small-objects": "Small objects billed as 128 KiB",
    "archive-overhead": "Archive objects smaller than their overhead",
    "standard-old": "Old objects in Standard",
    "no-lifecycle": "No lifecycle rules",
    "lifecycle-unreadable": "Lifecycle rules not readable",
}
# What each strategy cannot tell, for the findings it cannot give (named in every output).
NEEDS: dict[str, str] = {
    "incomplete-uploads": "a listing with --uploads (--strategy list)",
    "noncurrent-versions": "a listing or inventory with versions",
    "delete-markers": "a listing or inventory with versions",
    "small-objects": "object sizes (a listing or inventory) or CloudWatch's overhead StorageTypes",
    "standard-old": f"object ages per storage class (the {AGE_CLASS} breakdown of a listing or inventory)",
}
ESTIMATE_NOTE = (
    "Savings are estimates from one snapshot and the prices named: monthly, before tax, at today's prices; "
    "nothing was changed in any account."
)


@dataclass(frozen=True)
class Option:
    """One place to move objects to: what they would cost there per month, the saving, the one-off cost."""

    storage_class: str
    monthly: Decimal | None
    saving: Decimal | None
    one_off: Decimal | None
    note: str = ""


@dataclass(frozen=True)
class Finding:
    """One thing to do about one bucket: evidence, cost now, estimated saving, caveats and the fix."""

    bucket: str
    region: str
    kind: str
    summary: str
    evidence: Mapping[str, int | str]
    cost_now: Decimal | None
    saving: Decimal | None
    basis: str  # how the saving was estimated, or why it is unknown
    caveats: tuple[str, ...] = ()
    rule: Mapping[str, Any] | None = None  # one lifecycle rule, as PutBucketLifecycleConfiguration takes it
    command: str | None = None  # an aws cli command where no lifecycle rule does it
    one_off: Decimal | None = None  # requests the fix costs once (transitions, copies)
    options: tuple[Option, ...] = ()

    @property
    def title(self) -> str:
        return TITLES[self.kind]


@dataclass(frozen=True)
class BucketAdvice:
    bucket: str
    region: str
    lifecycle: Lifecycle
    findings: tuple[Finding, ...]
    configuration: Mapping[str, Any] | None = None  # {"Rules": [...]}: the bucket's rules plus the suggested ones
    account: str = ""  # the owning account in a scan of several accounts (Bucket.account), "" in one account's

    @property
    def saving(self) -> Decimal:
        return sum((f.saving for f in self.findings if f.saving is not None and f.saving > 0), ZERO)

    @property
    def suggested_rules(self) -> tuple[Mapping[str, Any], ...]:
        return tuple(f.rule for f in self.findings if f.rule is not None)

    def command(self) -> str | None:
        """The aws cli command that applies ``configuration`` (saved as ``<bucket>.lifecycle.json``)."""
        if self.configuration is None:
            return None
        return (
            f"aws s3api put-bucket-lifecycle-configuration --bucket {self.bucket} "
            f"--lifecycle-configuration file://{self.bucket}.lifecycle.json"
        )


@dataclass(frozen=True)
class AccountAdvice:
    """One account of a scan of several: its buckets' advice and their saving, or why it has none.

    ``saving`` is the exact sum of its buckets' savings (the known ones, as the whole's), ``None`` for an
    account not covered: what it could save is unknown, never 0.
    """

    id: str
    name: str
    covered: bool
    buckets: tuple[BucketAdvice, ...]
    failures: tuple[Failure, ...]  # of the whole account (bucket ""): why it was not covered

    @property
    def known(self) -> bool:
        return self.covered or bool(self.buckets)

    @property
    def saving(self) -> Decimal | None:
        return sum((b.saving for b in self.buckets), ZERO) if self.known else None


@dataclass(frozen=True)
class Advice:
    """Every bucket's findings, the prices they used and what this snapshot could not tell."""

    strategy: str
    taken_at: datetime
    older_than: int
    buckets: tuple[BucketAdvice, ...]
    sources: tuple[PriceSource, ...]
    discount: Decimal = ZERO
    unavailable: Mapping[str, str] = field(default_factory=dict)  # finding kind -> what it needs
    notes: tuple[str, ...] = ()
    failures: tuple[Failure, ...] = ()  # buckets the scan could not measure: no advice for them
    accounts: tuple[AccountAdvice, ...] = ()  # a scan of several accounts, in id order; () for one account
    covered: tuple[int, int] = (0, 0)  # (covered, found) of the accounts the scan set out to cover

    @property
    def saving(self) -> Decimal:
        return sum((b.saving for b in self.buckets), ZERO)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for b in self.buckets for f in b.findings)

    def describe_sources(self) -> str:
        text = "; ".join(s.describe() for s in self.sources) or "none needed"
        if self.discount:
            text += f"; {(self.discount * 100).normalize():f}% discount"
        return text


# --- arithmetic -------------------------------------------------------------------------------------------


def _q(amount: Decimal) -> Decimal:
    return amount.quantize(MICRO, rounding=ROUND_HALF_EVEN)


def _gb(nbytes: int) -> Decimal:
    return Decimal(nbytes) / GB


def _price(book: PriceBook, region: str, item: str, quantity: Decimal) -> Decimal | None:
    price = book.price(region, item)
    return None if price is None else _q(price.cost(quantity))


def _share(cost: BucketCost, storage_class: str, part: str, numerator: int, denominator: int) -> Decimal:
    """The share ``numerator / denominator`` of one line of the bucket's bill."""
    if not denominator:
        return ZERO
    return _q(cost.lines.get((storage_class, part), ZERO) * numerator / denominator)


def _size(nbytes: int) -> str:
    """A size in a finding's words: humanised, with the exact bytes (``Evidence`` keeps the integers)."""
    return f"{nbytes:,} bytes" if nbytes < 1024 else f"{humanise(nbytes)} ({nbytes:,} bytes)"


def _days(now: datetime, then: datetime | None) -> int | None:
    return None if then is None else max(0, (now - then).days)


def _unpriced_why(book: PriceBook, region: str, item: str) -> str:
    names = ", ".join(s.name for s in book.sources) or "no price source"
    return f"no price for {item} in {region} ({names})"


# --- the findings -----------------------------------------------------------------------------------------


@dataclass
class _Context:
    report: BucketReport
    cost: BucketCost
    book: PriceBook
    lifecycle: Lifecycle
    now: datetime
    older_than: int
    cloudwatch: bool
    rule_ids: set[str]

    @property
    def usage(self) -> Usage:
        return self.report.usage

    @property
    def bucket(self) -> str:
        return self.report.bucket.name

    @property
    def region(self) -> str:
        return self.report.bucket.region

    def caveats_for(self, kind: str, extra: Sequence[str] = ()) -> tuple[str, ...]:
        _, partial = covered(kind, self.lifecycle)
        found = [*extra, *partial]
        if self.lifecycle.status in ("denied", "error"):
            found.append("The bucket's lifecycle rules could not be read: it may have such a rule already.")
        elif self.lifecycle.status == "not-read":
            found.append("The bucket's lifecycle rules were not read (s3sa advise reads them): it may have this rule.")
        return tuple(found)

    def wants(self, kind: str) -> bool:
        done, _ = covered(kind, self.lifecycle)
        return not done


def _uploads(ctx: _Context) -> Finding | None:
    usage = ctx.usage
    if "uploads" not in usage.measured or not usage.incomplete_uploads or not ctx.wants("incomplete-uploads"):
        return None
    cost_now = ctx.cost.part("uploads")
    age = _days(ctx.now, usage.oldest_incomplete_upload)
    evidence: dict[str, int | str] = {
        "uploads": usage.incomplete_uploads,
        "parts": usage.incomplete_upload_parts,
        "bytes": usage.incomplete_upload_bytes,
    }
    if age is not None:
        evidence["oldest_days"] = age
    if age is not None and age >= UPLOAD_DAYS:
        saving, basis = (
            cost_now,
            (
                f"at most what the uploads cost now: the oldest is {age:,} days old, and uploads started in the "
                f"last {UPLOAD_DAYS} days are kept until they are {UPLOAD_DAYS} days old"
            ),
        )
    else:
        saving, basis = ZERO, f"none now: no upload is {UPLOAD_DAYS} days old yet; the rule stops them piling up"
    rule = whole_bucket_rule(
        new_rule_id("s3sa-abort-incomplete-uploads", ctx.rule_ids),
        AbortIncompleteMultipartUpload={"DaysAfterInitiation": UPLOAD_DAYS},
    )
    return Finding(
        ctx.bucket,
        ctx.region,
        "incomplete-uploads",
        f"{usage.incomplete_uploads:,} incomplete multipart upload(s) hold "
        f"{_size(usage.incomplete_upload_bytes)} of parts nobody can read",
        evidence,
        cost_now,
        saving,
        basis,
        ctx.caveats_for(
            "incomplete-uploads",
            ["An upload still in progress after 7 days is aborted too: raise DaysAfterInitiation for slow uploads."],
        ),
        rule=rule,
    )


def _noncurrent(ctx: _Context) -> Finding | None:
    usage = ctx.usage
    if "versions" not in usage.measured or not usage.noncurrent_objects or not ctx.wants("noncurrent-versions"):
        return None
    cost_now = ctx.cost.part("noncurrent")
    minimums = sorted(
        f"{code} {MIN_DAYS[code]} days"
        for code, n in usage.noncurrent_objects_by_class.items()
        if n and MIN_DAYS.get(code, 0) > NONCURRENT_DAYS
    )
    caveats = [
        f"Versions are deleted {NONCURRENT_DAYS} days after they become noncurrent: they can no longer be restored "
        "after that.",
    ]
    if minimums:
        caveats.append(f"Minimum storage durations still apply to versions deleted earlier ({', '.join(minimums)}).")
    rule = whole_bucket_rule(
        new_rule_id("s3sa-expire-noncurrent-versions", ctx.rule_ids),
        NoncurrentVersionExpiration={"NoncurrentDays": NONCURRENT_DAYS},
    )
    return Finding(
        ctx.bucket,
        ctx.region,
        "noncurrent-versions",
        f"{usage.noncurrent_objects:,} noncurrent version(s) hold {_size(usage.noncurrent_bytes)}",
        {"versions": usage.noncurrent_objects, "bytes": usage.noncurrent_bytes},
        cost_now,
        cost_now,
        f"at most what the noncurrent versions cost now: those less than {NONCURRENT_DAYS} days noncurrent stay "
        "(a listing does not tell when a version became noncurrent)",
        ctx.caveats_for("noncurrent-versions", caveats),
        rule=rule,
    )


def _delete_markers(ctx: _Context) -> Finding | None:
    usage = ctx.usage
    if "versions" not in usage.measured or not usage.delete_markers or not ctx.wants("delete-markers"):
        return None
    rule = whole_bucket_rule(
        new_rule_id("s3sa-remove-expired-delete-markers", ctx.rule_ids),
        Expiration={"ExpiredObjectDeleteMarker": True},
    )
    return Finding(
        ctx.bucket,
        ctx.region,
        "delete-markers",
        f"{usage.delete_markers:,} delete marker(s)",
        {"delete_markers": usage.delete_markers},
        None,
        None,
        "not priced: a delete marker is billed only for its key name, but every listing of versions reads it",
        ctx.caveats_for(
            "delete-markers",
            ["Only markers with no version left behind them are removed: expire the noncurrent versions too."],
        ),
        rule=rule,
    )


def _small_objects(ctx: _Context) -> list[Finding]:
    usage, found = ctx.usage, []
    counted = "small-objects" in usage.measured
    for code in sorted(MIN_SIZE_CLASSES):
        padding_cost = ctx.cost.part("minimum-size", code)
        n, nbytes = usage.small_objects_by_class.get(code, 0), usage.small_bytes_by_class.get(code, 0)
        if not (counted and n) and not (ctx.cloudwatch and padding_cost):
            continue
        caveats = [
            f"Objects moved out of {code} within {MIN_DAYS[code]} days of arriving there are billed for the rest "
            "of those days.",
        ]
        caveats += [
            f"{note}: add ObjectSizeGreaterThan 131072 to its Filter so that small objects stay in Standard."
            for note in transitions_into(ctx.lifecycle, code)
        ]
        if ctx.cloudwatch or not counted:
            padding = usage.storage_types.get(_padding_type(code), 0)
            found.append(
                Finding(
                    ctx.bucket,
                    ctx.region,
                    "small-objects",
                    f"objects under 128 KiB in {code} are billed for {_size(padding)} they do not hold",
                    {"storage_class": code, "padding_bytes": padding},
                    padding_cost,
                    None,
                    "unknown: CloudWatch measures the padding, not which objects are small or their own bytes "
                    "(a listing prices moving them)",
                    tuple(caveats),
                )
            )
            continue
        cost_now = _q(padding_cost + _share(ctx.cost, code, "stored", nbytes, usage.bytes_by_class.get(code, 0)))
        in_standard = _price(ctx.book, ctx.region, storage_item("STANDARD"), _gb(nbytes))
        copies = _price(ctx.book, ctx.region, "requests/LIST", Decimal(n) / 1000)  # COPY is billed as PUT/LIST
        if in_standard is None:
            saving, basis = None, "unknown: " + _unpriced_why(ctx.book, ctx.region, storage_item("STANDARD"))
        else:
            saving = max(ZERO, cost_now - in_standard)
            basis = f"what they cost in {code} (128 KiB each) less what their own bytes cost in Standard" + (
                "" if saving else ": they cost no less in Standard"
            )
        found.append(
            Finding(
                ctx.bucket,
                ctx.region,
                "small-objects",
                f"{n:,} object(s) under 128 KiB in {code} hold {_size(nbytes)} and are billed as "
                f"{_size(n * SMALL_OBJECT_BYTES)}",
                {"storage_class": code, "objects": n, "bytes": nbytes, "billed_bytes": n * SMALL_OBJECT_BYTES},
                cost_now,
                saving,
                basis,
                tuple(caveats),
                command=_copy_back_command(ctx.bucket, code),
                one_off=copies,
            )
        )
    return found


def _padding_type(code: str) -> str:
    return {
        "STANDARD_IA": "StandardIASizeOverhead",
        "ONEZONE_IA": "OneZoneIASizeOverhead",
        "GLACIER_IR": "GlacierInstantRetrievalSizeOverhead",
    }[code]


def _copy_back_command(bucket: str, code: str) -> str:
    return (
        f"aws s3api list-objects-v2 --bucket {bucket} "
        f"--query 'Contents[?Size < `{SMALL_OBJECT_BYTES}` && StorageClass == `{code}`].[Key]' --output text "
        f'| while IFS= read -r key; do aws s3api copy-object --bucket {bucket} --key "$key" '
        f'--copy-source "{bucket}/$key" --storage-class STANDARD --metadata-directive COPY; done'
    )


def _archive_overhead(ctx: _Context) -> list[Finding]:
    usage, found = ctx.usage, []
    for code in sorted(ARCHIVE_CLASSES):
        overhead = ctx.cost.part("archive-overhead", code)
        stored = ctx.cost.lines.get((code, "stored"), ZERO)
        if not overhead or overhead < stored:
            continue
        n, nbytes = usage.objects_by_class.get(code, 0), usage.bytes_by_class.get(code, 0)
        evidence: dict[str, int | str] = {"storage_class": code, "bytes": nbytes}
        if n:
            evidence |= {"objects": n, "average_bytes": nbytes // n, "overhead_bytes": n * 40 * 1024}
        found.append(
            Finding(
                ctx.bucket,
                ctx.region,
                "archive-overhead",
                f"the 40 KiB each {code} object adds costs more than the objects' own bytes",
                evidence,
                _q(overhead + stored),
                overhead,
                "at most the per-object overhead: bundled into a few large archives (tar, zip), the objects keep "
                "their bytes and lose almost all of it",
                (
                    f"Restoring the objects costs retrieval fees and requests; objects deleted within "
                    f"{MIN_DAYS[code]} days of arriving in {code} are billed for the rest of those days.",
                    f"Transition only large objects into {code}: ObjectSizeGreaterThan in the transition rule's "
                    "Filter.",
                ),
                command=(
                    f"restore the objects (aws s3api restore-object --bucket {ctx.bucket} --key KEY "
                    "--restore-request Days=7), bundle them into one archive, upload it with "
                    f"--storage-class {code}, then delete the originals"
                ),
            )
        )
    return found


def _old_standard(ctx: _Context, has_ages: bool) -> Finding | None:
    usage = ctx.usage
    if not has_ages or not usage.bytes_by_class.get("STANDARD") or not ctx.wants("standard-old"):
        return None
    lower = (0, *AGE_EDGES_DAYS)
    edge = next((d for d in lower if d >= ctx.older_than), None)
    if edge is None:
        return None
    labels = {label for label, start in zip(AGE_LABELS, lower, strict=True) if start >= edge}
    old_n = old_b = 0
    for row in usage.breakdowns:
        if row.dimension == AGE_CLASS and row.storage_class == "STANDARD" and row.key in labels:
            old_n, old_b = old_n + row.objects, old_b + row.bytes
    if not old_n:
        return None
    evidence: dict[str, int | str] = {"older_than_days": edge, "objects": old_n, "bytes": old_b}
    caveats = []
    if edge != ctx.older_than:
        caveats.append(f"Ages are known in bands: counted are the objects at least {edge} days old.")
    if "small-objects" in usage.measured:
        small_n = usage.small_objects_by_class.get("STANDARD", 0)
        small_b = usage.small_bytes_by_class.get("STANDARD", 0)
        # objects under 128 KiB are not worth moving (and lifecycle does not move them by default): at least
        # this many of the old ones are 128 KiB or larger
        moved_n, moved_b = max(0, old_n - small_n), max(0, old_b - small_b)
        evidence |= {"small_objects_in_standard": small_n, "movable_objects_at_least": moved_n}
        caveats.append(
            "Objects under 128 KiB are not worth moving (Standard-IA and Glacier Instant Retrieval bill them as "
            "128 KiB, Intelligent-Tiering does not tier them) and lifecycle does not move them by default: "
            "counted are the old objects that must be larger."
        )
    else:
        moved_n, moved_b = old_n, old_b
        caveats.append("This snapshot did not count objects under 128 KiB: those of them that are small stay.")
    cost_now = _share(ctx.cost, "STANDARD", "stored", moved_b, usage.bytes_by_class.get("STANDARD", 0))
    options = tuple(_option(ctx, target, moved_n, moved_b, cost_now) for target in TRANSITION_TARGETS)
    priced = [o for o in options if o.saving is not None]
    best = max(priced, key=lambda o: o.saving or ZERO, default=None)
    caveats += [
        "Standard-IA bills 30 days at least and Glacier Instant Retrieval 90 days per object, and both charge per GB "
        "read back; Intelligent-Tiering charges monitoring per object and moves objects back when read.",
        "Intelligent-Tiering is priced at its Infrequent Access tier, where objects not read for 30 days go.",
    ]
    if best is None or not best.saving or not moved_n:
        summary = f"{old_n:,} Standard object(s) are at least {edge} days old"
        if not moved_n:
            summary += ", and as far as the counts tell all of them are under 128 KiB: none is worth moving"
            why = "none: no object worth moving"
        elif best is None:
            why = "unknown: the target classes have no price in " + ctx.region
        else:
            why = "none: no class is cheaper for them"
        return Finding(
            ctx.bucket,
            ctx.region,
            "standard-old",
            summary,
            evidence,
            cost_now,
            None if best is None and moved_n else ZERO,
            why,
            ctx.caveats_for("standard-old", caveats),
            options=options if moved_n else (),
        )
    rule = whole_bucket_rule(
        new_rule_id(f"s3sa-standard-to-{best.storage_class.lower().replace('_', '-')}-after-{edge}-days", ctx.rule_ids),
        Transitions=[{"Days": edge, "StorageClass": best.storage_class}],
    )
    return Finding(
        ctx.bucket,
        ctx.region,
        "standard-old",
        f"{old_n:,} Standard object(s) are at least {edge} days old: {best.storage_class} is the cheapest of "
        f"{', '.join(TRANSITION_TARGETS)} for them",
        evidence,
        cost_now,
        best.saving,
        f"their share of Standard's cost now less their cost in {best.storage_class}; "
        "the transition requests are paid once",
        ctx.caveats_for("standard-old", caveats),
        rule=rule,
        one_off=best.one_off,
        options=options,
    )


def _option(ctx: _Context, target: str, n: int, nbytes: int, cost_now: Decimal) -> Option:
    book, region = ctx.book, ctx.region
    transition = _price(book, region, f"transition/{target}", Decimal(n) / 1000)
    if target == "INTELLIGENT_TIERING":
        stored = _price(book, region, storage_item(target, "IA"), _gb(nbytes))
        monitoring = _price(book, region, "monitoring/INTELLIGENT_TIERING", Decimal(n) / 1000)
        monthly = None if stored is None or monitoring is None else stored + monitoring
        missing = storage_item(target, "IA") if stored is None else "monitoring/INTELLIGENT_TIERING"
    else:
        monthly = _price(book, region, storage_item(target), _gb(nbytes))
        missing = storage_item(target)
    if monthly is None:
        return Option(target, None, None, transition, _unpriced_why(book, region, missing))
    note = f"{MIN_DAYS[target]} days minimum" if MIN_DAYS.get(target) else "no minimum duration"
    return Option(target, monthly, cost_now - monthly, transition, note)


def _no_lifecycle(ctx: _Context, findings: list[Finding]) -> Finding | None:
    status = ctx.lifecycle.status
    if status == "denied":
        return Finding(
            ctx.bucket,
            ctx.region,
            "lifecycle-unreadable",
            "the lifecycle configuration could not be read (AccessDenied): the rules suggested may exist already, "
            "and applying a configuration replaces any the bucket has",
            {},
            None,
            None,
            "not a saving: grant s3:GetLifecycleConfiguration to check the bucket's rules",
        )
    if status == "error":
        return Finding(
            ctx.bucket,
            ctx.region,
            "lifecycle-unreadable",
            f"the lifecycle configuration could not be read: {ctx.lifecycle.message}",
            {},
            None,
            None,
            "not a saving: the rules suggested may exist already",
        )
    if status not in ("none", "rules") or has_enabled_rule(ctx.lifecycle):
        return None
    rule = None
    if not any(f.kind == "incomplete-uploads" for f in findings) and ctx.wants("incomplete-uploads"):
        rule = whole_bucket_rule(
            new_rule_id("s3sa-abort-incomplete-uploads", ctx.rule_ids),
            AbortIncompleteMultipartUpload={"DaysAfterInitiation": UPLOAD_DAYS},
        )
    what = "has no lifecycle configuration" if status == "none" else "has no enabled lifecycle rule"
    return Finding(
        ctx.bucket,
        ctx.region,
        "no-lifecycle",
        f"the bucket {what}: unfinished uploads, old versions and old objects stay billed until deleted by hand",
        {"rules": len(ctx.lifecycle.rules)},
        None,
        None,
        "the other findings price what their rules save; this rule costs nothing and stops unfinished uploads "
        "from piling up",
        rule=rule,
    )


def _unavailable(snapshot: Snapshot, has_ages: bool) -> dict[str, str]:
    """Finding kinds this snapshot cannot give, with what they need."""
    measured = snapshot.measured
    missing: dict[str, str] = {}
    if "uploads" not in measured:
        missing["incomplete-uploads"] = NEEDS["incomplete-uploads"]
    if "versions" not in measured:
        missing["noncurrent-versions"] = NEEDS["noncurrent-versions"]
        missing["delete-markers"] = NEEDS["delete-markers"]
    counted = "small-objects" in measured or snapshot.strategy == "cloudwatch"
    if not counted and snapshot.buckets:
        missing["small-objects"] = NEEDS["small-objects"]
    if not has_ages:
        missing["standard-old"] = NEEDS["standard-old"]
    return missing


def advise(
    snapshot: Snapshot,
    cost: SnapshotCost,
    book: PriceBook,
    lifecycles: Mapping[str, Lifecycle],
    *,
    older_than: int = DEFAULT_OLDER_THAN,
) -> Advice:
    """Every bucket's findings: pure arithmetic on what was measured and read, nothing fetched or changed."""
    has_ages = AGE_CLASS in snapshot.breakdowns
    buckets = []
    for report in snapshot.buckets:
        lifecycle = lifecycles.get(report.bucket.name, NOT_READ)
        ctx = _Context(
            report,
            cost.of(report),
            book,
            lifecycle,
            snapshot.taken_at,
            older_than,
            snapshot.strategy == "cloudwatch",  # (an inventory's Intelligent-Tiering tiers fill storage_types too)
            {str(rule.get("ID")) for rule in lifecycle.rules if rule.get("ID")},
        )
        findings: list[Finding] = [f for f in (_uploads(ctx), _noncurrent(ctx), _delete_markers(ctx)) if f is not None]
        findings += _small_objects(ctx)
        findings += _archive_overhead(ctx)
        old = _old_standard(ctx, has_ages)
        if old is not None:
            findings.append(old)
        last = _no_lifecycle(ctx, findings)
        if last is not None:
            findings.append(last)
        buckets.append(
            BucketAdvice(
                report.bucket.name, report.bucket.region, lifecycle, tuple(findings), account=report.bucket.account
            )
        )
    buckets = [_with_configuration(b) for b in buckets]
    notes = [ESTIMATE_NOTE]
    if any(b.lifecycle.status == "not-read" for b in buckets):
        notes.append(NOT_READ_NOTE)
    if any(b.configuration for b in buckets):
        notes.append(REPLACES_NOTE)
    return Advice(
        snapshot.strategy,
        snapshot.taken_at,
        older_than,
        tuple(buckets),
        cost.sources,
        cost.discount,
        _unavailable(snapshot, has_ages),
        (*notes, *cost.notes),
        snapshot.failures,
        _by_account(snapshot, buckets),
        (sum(a.covered for a in snapshot.accounts), len(snapshot.accounts)),
    )


def _by_account(snapshot: Snapshot, buckets: Sequence[BucketAdvice]) -> tuple[AccountAdvice, ...]:
    """Every account the snapshot lists or a bucket names, in id order (as the report groups them); () for a
    one-account snapshot. One pass over the buckets: thousands of accounts x buckets stay linear."""
    if not snapshot.accounts:
        return ()
    listed: dict[str, Account] = {a.id: a for a in snapshot.accounts}
    owned: dict[str, list[BucketAdvice]] = {}
    for bucket in buckets:
        owned.setdefault(bucket.account, []).append(bucket)
    failures: dict[str, list[Failure]] = {}
    for failure in snapshot.failures:
        if not failure.bucket:
            failures.setdefault(failure.account, []).append(failure)
    out = []
    for account_id in sorted(listed.keys() | owned.keys()):
        account = listed.get(account_id)
        out.append(
            AccountAdvice(
                account_id,
                account.name if account is not None else "",
                account.covered if account is not None else True,
                tuple(owned.get(account_id, ())),
                tuple(failures.get(account_id, ())),
            )
        )
    return tuple(out)


def _with_configuration(advice: BucketAdvice) -> BucketAdvice:
    applied = configuration_to_apply(advice.lifecycle, advice.suggested_rules)
    if applied is None:
        return advice
    return replace(advice, configuration=applied)
