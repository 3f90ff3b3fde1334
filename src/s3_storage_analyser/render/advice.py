"""``s3sa advise`` output: the findings per bucket as a terminal text or JSON (exact decimal strings in USD)."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from ..model import Snapshot
from ..pricing.advise import Advice, BucketAdvice, Finding, advise
from ..pricing.book import PriceBook
from ..pricing.cost import MICRO, SnapshotCost
from ..pricing.lifecycle import jsonable
from ..safetext import printable
from ..units import plural
from .columns import format_instant
from .jsonfmt import dumps, failure_dict

ADVICE_FORMATS: tuple[str, ...] = ("table", "json", "json_pretty")


def money(amount: Decimal | None) -> str | None:
    """An exact amount: USD as a plain decimal string with micro-dollar places (None stays None)."""
    return None if amount is None else f"{amount.quantize(MICRO, rounding=ROUND_HALF_EVEN):f}"


def shown_money(amount: Decimal | None) -> str:
    """For people: cents from a dollar up, micro-dollars below (the demo's amounts are that small)."""
    if amount is None:
        return "unknown"
    if abs(amount) >= 1:
        return f"${amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_EVEN):,f}"
    return f"${amount.quantize(MICRO, rounding=ROUND_HALF_EVEN):f}"


def finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "Kind": finding.kind,
        "Title": finding.title,
        "Summary": finding.summary,
        "Evidence": dict(finding.evidence),
        "MonthlyCostNow": money(finding.cost_now),
        "EstimatedMonthlySaving": money(finding.saving),
        "SavingBasis": finding.basis,
        "OneOffCost": money(finding.one_off),
        "Options": [
            {
                "StorageClass": o.storage_class,
                "MonthlyCost": money(o.monthly),
                "EstimatedMonthlySaving": money(o.saving),
                "OneOffCost": money(o.one_off),
                "Note": o.note,
            }
            for o in finding.options
        ],
        "Caveats": list(finding.caveats),
        "Rule": jsonable(finding.rule) if finding.rule is not None else None,
        "Command": finding.command,
    }


def bucket_dict(advice: BucketAdvice) -> dict[str, Any]:
    return {
        "Bucket": advice.bucket,
        "Region": advice.region,
        "Lifecycle": advice.lifecycle.status,
        "LifecycleRules": len(advice.lifecycle.rules),
        "LifecycleMessage": advice.lifecycle.message or None,
        "EstimatedMonthlySaving": money(advice.saving),
        "Findings": [finding_dict(f) for f in advice.findings],
        "LifecycleConfiguration": jsonable(advice.configuration) if advice.configuration is not None else None,
        "Command": advice.command(),
    }


def advice_dict(advice: Advice) -> dict[str, Any]:
    """The JSON form (the CLI's and the service's): every amount a decimal string in USD, never a float."""
    return {
        "Currency": "USD",
        "Estimates": True,
        "Strategy": advice.strategy,
        "GeneratedAt": format_instant(advice.taken_at),
        "OlderThanDays": advice.older_than,
        "Prices": [
            {"Source": s.name, "Date": s.date.isoformat(), "Kind": s.kind, "Discount": str(s.discount)}
            for s in advice.sources
        ],
        "PricesUsed": advice.describe_sources(),
        "EstimatedMonthlySaving": money(advice.saving),
        "Buckets": [bucket_dict(b) for b in advice.buckets],
        "Unavailable": [{"Kind": kind, "Needs": needs} for kind, needs in advice.unavailable.items()],
        "Failures": [failure_dict(f) for f in advice.failures],
        "Notes": list(advice.notes),
    }


def _finding_lines(finding: Finding) -> list[str]:
    figures = []
    if finding.cost_now is not None:
        figures.append(f"cost now {shown_money(finding.cost_now)}/month")
    if finding.saving is not None:
        figures.append(f"estimated saving {shown_money(finding.saving)}/month")
    head = f"  {finding.title}" + (f": {', '.join(figures)}" if figures else "")
    lines = [head, f"    {printable(finding.summary)}", f"    saving: {printable(finding.basis)}"]
    if finding.one_off is not None:
        lines.append(f"    one-off: {shown_money(finding.one_off)} (requests the fix makes once)")
    for option in finding.options:
        if option.monthly is None:
            lines.append(f"    in {option.storage_class}: unknown ({printable(option.note)})")
            continue
        lines.append(
            f"    in {option.storage_class}: {shown_money(option.monthly)}/month, saving {shown_money(option.saving)}"
            f"/month, one-off {shown_money(option.one_off)} ({option.note})"
        )
    lines += [f"    caveat: {printable(c)}" for c in finding.caveats]
    if finding.rule is not None:
        lines.append(f"    rule: {printable(json.dumps(jsonable(finding.rule)))}")
    if finding.command is not None:
        lines.append(f"    fix: {printable(finding.command)}")
    return lines


def render_table(advice: Advice) -> str:
    lines = [
        f"Savings (estimates, USD per month) from the {advice.strategy} snapshot of {format_instant(advice.taken_at)}",
        f"prices: {printable(advice.describe_sources())}",
        "",
    ]
    for bucket in advice.buckets:
        lifecycle = {
            "rules": plural(len(bucket.lifecycle.rules), "lifecycle rule"),
            "none": "no lifecycle configuration",
            "denied": "lifecycle rules not readable (AccessDenied)",
            "error": "lifecycle rules not read",
            "not-read": "lifecycle rules not read",
        }.get(bucket.lifecycle.status, bucket.lifecycle.status)
        lines.append(f"{printable(bucket.bucket)} ({printable(bucket.region)}): {lifecycle}")
        if not bucket.findings:
            lines.append("  nothing found")
        for finding in bucket.findings:
            lines += _finding_lines(finding)
        if bucket.configuration is not None:
            lines.append(f"  estimated saving for the bucket: {shown_money(bucket.saving)}/month")
            lines.append(f"  apply: {printable(bucket.command() or '')}")
            lines.append(f"  with {printable(bucket.bucket)}.lifecycle.json holding:")
            texts = [json.dumps(rule) for rule in jsonable(bucket.configuration)["Rules"]]
            lines.append('    {"Rules": [')
            lines += [f"      {printable(text)}{',' if i < len(texts) - 1 else ''}" for i, text in enumerate(texts)]
            lines.append("    ]}")
        lines.append("")
    lines.append(f"Total estimated saving: {shown_money(advice.saving)}/month")
    for failure in advice.failures:
        if not failure.bucket and failure.account:  # a whole account (its role, its state)
            lines.append(f"account not covered, no advice: {printable(failure.account)} ({printable(failure.error)})")
        else:
            lines.append(f"not measured, no advice: {printable(failure.bucket)} ({printable(failure.error)})")
    for kind, needs in advice.unavailable.items():
        lines.append(f"not found from this snapshot: {kind} (needs {needs})")
    lines += [f"note: {note}" for note in advice.notes]
    return "\n".join(lines) + "\n"


def render_advice(advice: Advice, fmt: str) -> str:
    if fmt == "table":
        return render_table(advice)
    return dumps(advice_dict(advice), indent=2 if fmt == "json_pretty" else None) + "\n"


def stored_advice_json(snapshot: Snapshot, cost: SnapshotCost, book: PriceBook, *, indent: int | None = None) -> str:
    """The service's advice for a stored snapshot: its findings under the book, lifecycle rules not read
    (a GET never calls AWS), so the rules are suggested with that caveat."""
    return dumps(advice_dict(advise(snapshot, cost, book, {})), indent=indent) + "\n"
