"""JSON in 0.1's shape, ``{"Buckets": [...]}``, with exact integer bytes."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ..model import BreakdownRow, BucketReport, Failure, Snapshot
from ..pricing.cost import BucketCost, SnapshotCost, money
from ..safetext import UNSAFE
from ..storage_classes import KNOWN_CLASSES, class_info, sort_classes
from .accounts import AccountGroup, covered_count, groups, names
from .columns import breakdown_rows, format_created, format_date, format_instant
from .costs import bucket_cost, bucket_keys, money_or_none, shown_cost, snapshot_keys, sources_list


def _row_dict(row: BreakdownRow) -> dict[str, Any]:
    if row.dimension == "top":
        return {
            "Key": row.key,
            "Bytes": row.bytes,
            "StorageClass": row.storage_class,
            "LastModified": row.last_modified,
        }
    if row.storage_class:  # a row per (key, class): age-class
        return {"Key": row.key, "StorageClass": row.storage_class, "Files": row.objects, "Bytes": row.bytes}
    return {"Key": row.key, "Files": row.objects, "Bytes": row.bytes}


def bucket_dict(
    report: BucketReport,
    dimensions: tuple[str, ...] = (),
    cost: BucketCost | None = None,
    accounts: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """One bucket: 0.1's keys, a key per storage class, the finer detail, and its cost when priced.

    ``accounts`` (id -> name, for a scan of several accounts) adds ``Account`` and ``AccountName``.
    """
    usage = report.usage
    out: dict[str, Any] = {"Bucket": report.bucket.name}
    if accounts is not None:
        out["Account"] = report.bucket.account
        out["AccountName"] = accounts.get(report.bucket.account, "")
    out |= {
        "Region": report.bucket.region,
        "Files": usage.objects,
        "Bytes": usage.bytes,
    }
    codes = sort_classes(set(KNOWN_CLASSES) | set(usage.bytes_by_class))
    for code in codes:
        out[class_info(code).json_key] = usage.bytes_by_class.get(code, 0)
    out["CreationDate"] = format_created(report.bucket.created)
    out["DataDate"] = format_date(report.data_date) or None
    if usage.objects_by_class:
        out["FilesByClass"] = {c: usage.objects_by_class[c] for c in sort_classes(list(usage.objects_by_class))}
    if usage.storage_types:
        out["StorageTypes"] = dict(sorted(usage.storage_types.items()))
    if "versions" in usage.measured:
        out["NoncurrentFiles"] = usage.noncurrent_objects
        out["NoncurrentBytes"] = usage.noncurrent_bytes
        out["NoncurrentBytesByClass"] = {
            c: usage.noncurrent_bytes_by_class[c] for c in sort_classes(list(usage.noncurrent_bytes_by_class))
        }
        out["DeleteMarkers"] = usage.delete_markers
    if "uploads" in usage.measured:
        out["IncompleteUploads"] = usage.incomplete_uploads
        out["IncompleteUploadParts"] = usage.incomplete_upload_parts
        out["IncompleteUploadBytes"] = usage.incomplete_upload_bytes
        oldest = usage.oldest_incomplete_upload
        out["OldestIncompleteUpload"] = format_instant(oldest) if oldest else None
    if dimensions:
        out["Breakdowns"] = {
            dim: [_row_dict(row) for row in rows] for dim, rows in breakdown_rows(report, dimensions).items()
        }
    if cost is not None:
        out.update(bucket_keys(cost))
    return out


def failure_dict(failure: Failure, accounts: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A failure; with ``accounts``, the account it is of (a whole account's failure has ``Bucket`` "")."""
    out: dict[str, Any] = {"Bucket": failure.bucket}
    if accounts is not None:
        out["Account"] = failure.account
        out["AccountName"] = accounts.get(failure.account, "")
    return out | {
        "Region": failure.region,
        "Stage": failure.stage,
        "Error": failure.error,
        "Message": failure.message,
    }


def account_dict(group: AccountGroup, cost: SnapshotCost | None = None) -> dict[str, Any]:
    """One account's totals: the exact sums of its buckets in the report (and of their cost lines).

    An account not covered has ``null`` totals: what it holds is unknown, never 0.
    """
    out: dict[str, Any] = {"Id": group.id, "Name": group.name, "Covered": group.covered}
    known = group.covered or bool(group.buckets)
    out |= {
        "Buckets": len(group.buckets) if known else None,
        "Files": group.objects if known else None,
        "Bytes": group.bytes if known else None,
    }
    if cost is not None:
        shown = group.cost(cost)
        out["CostPerMonth"] = money_or_none(shown.total) if known else None
        out["PricedPerMonth"] = money(shown.priced) if known else None
    return out


def snapshot_dict(snapshot: Snapshot, cost: SnapshotCost | None = None) -> dict[str, Any]:
    """The report; with ``cost``, each bucket's cost keys and a top-level ``Cost``.

    A scan of several accounts adds ``Account``/``AccountName`` to each bucket and failure, the
    ``Accounts`` list (per-account totals) and ``AccountsCovered``/``AccountsFound``.
    """
    known = names(snapshot) if snapshot.accounts else None
    out: dict[str, Any] = {
        "Buckets": [
            bucket_dict(r, snapshot.breakdowns, bucket_cost(cost, r) if cost is not None else None, known)
            for r in snapshot.buckets
        ],
        "Failures": [failure_dict(f, known) for f in snapshot.failures],
        "Warnings": [{"Bucket": n.bucket, "Message": n.message} for n in snapshot.notices],
        "Strategy": snapshot.strategy,
        "GeneratedAt": format_instant(snapshot.taken_at),
    }
    if cost is not None:
        out["Cost"] = snapshot_keys(shown_cost(snapshot, cost))
    if known is not None:
        covered, found = covered_count(snapshot)
        out["Accounts"] = [account_dict(g, cost) for g in groups(snapshot)]
        out["AccountsCovered"] = covered
        out["AccountsFound"] = found
    return out


# Left raw by json.dumps(ensure_ascii=False): C1 controls, DEL, bidi, line separators, surrogates.
_JSON_UNSAFE = re.compile(f"(?![\x00-\x1f]){UNSAFE.pattern}")


def dumps(value: Any, *, indent: int | None = None) -> str:
    """JSON text that is exact, valid UTF-8 and inert in a terminal, whatever strings ``value`` holds.

    Readable UTF-8 for ordinary text; what ``safetext.UNSAFE`` names (controls, bidi
    marks, line separators, lone surrogates) as ``\\uXXXX``, which any JSON reader
    decodes back to the same character. Those characters only occur inside string
    literals of ``json.dumps``'s output, so escaping them there keeps the JSON valid
    (C0 controls it escapes itself: a raw one is the indentation's line break).
    """
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    return _JSON_UNSAFE.sub(_u_escape, text) if _JSON_UNSAFE.search(text) else text


def _u_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def render(snapshot: Snapshot, *, indent: int | None, cost: SnapshotCost | None = None) -> str:
    return dumps(snapshot_dict(snapshot, cost), indent=indent) + "\n"


def render_lines(snapshot: Snapshot, cost: SnapshotCost | None = None) -> str:
    """One JSON object per line: buckets, then failures (which carry an ``Error`` key).

    With ``cost`` each bucket line carries its cost keys and the ``Prices`` they used. A scan of several
    accounts: bucket and failure lines carry ``Account``/``AccountName``, and one line per account
    (``"Kind": "account"``, its ``Account`` id and the ``Accounts`` entry's keys) follows the failures.
    """
    known = names(snapshot) if snapshot.accounts else None
    if cost is None:
        lines = [dumps(bucket_dict(r, snapshot.breakdowns, accounts=known)) for r in snapshot.buckets]
    else:
        prices = sources_list(cost.sources)
        lines = [
            dumps({**bucket_dict(r, snapshot.breakdowns, bucket_cost(cost, r), known), "Prices": prices})
            for r in snapshot.buckets
        ]
    lines += [dumps(failure_dict(f, known)) for f in snapshot.failures]
    if known is not None:
        for group in groups(snapshot):
            entry = account_dict(group, cost)
            line = {"Kind": "account", "Account": entry.pop("Id"), "AccountName": entry.pop("Name")}
            lines.append(dumps(line | entry))
    return "".join(line + "\n" for line in lines)
