"""``s3sa advise`` output: the findings per bucket as a terminal text or JSON (exact decimal strings in USD).

In a scan of several accounts each bucket and failure names its account, the text groups the buckets by
account with a subtotal line each, and the JSON has an ``Accounts`` list; one account's output is unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from ..model import Failure, Snapshot
from ..pricing.advise import AccountAdvice, Advice, BucketAdvice, Finding, advise
from ..pricing.book import PriceBook
from ..pricing.cost import MICRO, SnapshotCost
from ..pricing.lifecycle import jsonable
from ..safetext import printable
from ..units import plural
from .accounts import label
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


def bucket_dict(advice: BucketAdvice, accounts: Mapping[str, str] | None = None) -> dict[str, Any]:
    """One bucket's advice; with ``accounts`` (id -> name, several accounts) its ``Account``/``AccountName``."""
    out: dict[str, Any] = {"Bucket": advice.bucket}
    if accounts is not None:
        out["Account"] = advice.account
        out["AccountName"] = accounts.get(advice.account, "")
    return out | {
        "Region": advice.region,
        "Lifecycle": advice.lifecycle.status,
        "LifecycleRules": len(advice.lifecycle.rules),
        "LifecycleMessage": advice.lifecycle.message or None,
        "EstimatedMonthlySaving": money(advice.saving),
        "Findings": [finding_dict(f) for f in advice.findings],
        "LifecycleConfiguration": jsonable(advice.configuration) if advice.configuration is not None else None,
        "Command": advice.command(),
    }


def account_dict(account: AccountAdvice) -> dict[str, Any]:
    """One account's saving: the exact sum of its buckets' (``null`` when not covered: unknown, never 0)."""
    return {
        "Id": account.id,
        "Name": account.name,
        "Covered": account.covered,
        "Buckets": len(account.buckets) if account.known else None,
        "EstimatedMonthlySaving": money(account.saving),
    }


def advice_dict(advice: Advice) -> dict[str, Any]:
    """The JSON form (the CLI's and the service's): every amount a decimal string in USD, never a float.

    Several accounts add ``Account``/``AccountName`` to each bucket and failure, the ``Accounts`` list and
    ``AccountsCovered``/``AccountsFound``, as the report's JSON.
    """
    names = {a.id: a.name for a in advice.accounts} if advice.accounts else None
    out = {
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
        "Buckets": [bucket_dict(b, names) for b in advice.buckets],
        "Unavailable": [{"Kind": kind, "Needs": needs} for kind, needs in advice.unavailable.items()],
        "Failures": [failure_dict(f, names) for f in advice.failures],
        "Notes": list(advice.notes),
    }
    if advice.accounts:
        covered, found = advice.covered
        out |= {
            "Accounts": [account_dict(a) for a in advice.accounts],
            "AccountsCovered": covered,
            "AccountsFound": found,
        }
    return out


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


def _bucket_lines(bucket: BucketAdvice) -> list[str]:
    lines: list[str] = []
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
    return lines


def _account_lines(account: AccountAdvice) -> list[str]:
    """One account: a heading, its buckets, and a subtotal line (or why it was not covered)."""
    name = printable(label(account.id, account.name))
    lines = [f"== account {name} =="]
    if not account.known:
        why = ", ".join(printable(f.error) for f in account.failures) or "no reason recorded"
        return [*lines, f"not covered, no advice ({why})", ""]
    for bucket in account.buckets:
        lines += _bucket_lines(bucket)
    count = plural(len(account.buckets), "bucket")
    return [*lines, f"Subtotal for account {name} ({count}): {shown_money(account.saving)}/month", ""]


def _failure_line(failure: Failure, names: Mapping[str, str]) -> str:
    if not failure.bucket and failure.account:  # a whole account (its role, its state)
        return f"account not covered, no advice: {printable(failure.account)} ({printable(failure.error)})"
    owner = f" in account {printable(label(failure.account, names.get(failure.account)))}" if failure.account else ""
    return f"not measured, no advice: {printable(failure.bucket)}{owner} ({printable(failure.error)})"


def render_table(advice: Advice) -> str:
    lines = [
        f"Savings (estimates, USD per month) from the {advice.strategy} snapshot of {format_instant(advice.taken_at)}",
        f"prices: {printable(advice.describe_sources())}",
        "",
    ]
    if advice.accounts:
        for account in advice.accounts:
            lines += _account_lines(account)
    else:
        for bucket in advice.buckets:
            lines += _bucket_lines(bucket)
    lines.append(f"Total estimated saving: {shown_money(advice.saving)}/month")
    if advice.accounts:
        covered, found = advice.covered
        lines.append(f"Accounts: {covered:,} of {found:,} covered.")
    names = {a.id: a.name for a in advice.accounts}
    lines += [_failure_line(f, names) for f in advice.failures]
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
