"""Snapshots to plain JSON-able dicts and back, losslessly (for the history store and the API).

Strings (keys, bucket names, messages) go in as the server sent them, never
cleaned: controls and lone surrogates included. ``json.dumps`` with its default
``ensure_ascii`` writes those as ``\\uXXXX`` and ``json.loads`` gives them back
exactly (tests/faults/test_hostile_keys.py); the one thing JSON cannot tell apart is a
high surrogate followed by a low one and the character they encode.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from .aggregate import BreakdownRow
from .model import Account, Bucket, BucketReport, Failure, Notice, Snapshot, Usage


def _time(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def usage_to_dict(usage: Usage) -> dict[str, Any]:
    return {
        "objects": usage.objects,
        "bytes_by_class": dict(usage.bytes_by_class),
        "objects_by_class": dict(usage.objects_by_class),
        "storage_types": dict(usage.storage_types),
        "noncurrent_objects_by_class": dict(usage.noncurrent_objects_by_class),
        "noncurrent_bytes_by_class": dict(usage.noncurrent_bytes_by_class),
        "delete_markers": usage.delete_markers,
        "incomplete_uploads": usage.incomplete_uploads,
        "incomplete_upload_parts": usage.incomplete_upload_parts,
        "incomplete_upload_bytes": usage.incomplete_upload_bytes,
        "oldest_incomplete_upload": _time(usage.oldest_incomplete_upload),
        "measured": sorted(usage.measured),
        "breakdowns": [
            [r.dimension, r.key, r.objects, r.bytes, r.storage_class, r.last_modified] for r in usage.breakdowns
        ],
        **{name: dict(getattr(usage, name)) for name in SMALL_COUNTS},
    }


# Objects under 128 KiB per class and their bytes (listing and inventory): absent from snapshots stored before.
SMALL_COUNTS = (
    "small_objects_by_class",
    "small_bytes_by_class",
    "noncurrent_small_objects_by_class",
    "noncurrent_small_bytes_by_class",
)


def _counts(data: dict[str, Any], name: str) -> dict[str, int]:
    """A stored map of counts (class -> objects or bytes), checked: a stored snapshot is read as untrusted
    input, so each key must be a string and each value a non-negative integer (not a bool, float or text)."""
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ValueError(f"stored usage: {name} is {type(value).__name__}, not an object")
    for key, count in value.items():
        if not isinstance(key, str) or type(count) is not int or count < 0:
            shown = f"{name}[{repr(key)[:60]}] = {repr(count)[:60]}"  # bounded: the value is untrusted
            raise ValueError(f"stored usage: {shown} is not a non-negative integer")
    return dict(value)


def usage_from_dict(data: dict[str, Any]) -> Usage:
    return Usage(
        objects=int(data.get("objects", 0)),
        bytes_by_class=dict(data.get("bytes_by_class", {})),
        objects_by_class=dict(data.get("objects_by_class", {})),
        storage_types=dict(data.get("storage_types", {})),
        noncurrent_objects_by_class=dict(data.get("noncurrent_objects_by_class", {})),
        noncurrent_bytes_by_class=dict(data.get("noncurrent_bytes_by_class", {})),
        delete_markers=int(data.get("delete_markers", 0)),
        incomplete_uploads=int(data.get("incomplete_uploads", 0)),
        incomplete_upload_parts=int(data.get("incomplete_upload_parts", 0)),
        incomplete_upload_bytes=int(data.get("incomplete_upload_bytes", 0)),
        oldest_incomplete_upload=_parse_time(data.get("oldest_incomplete_upload")),
        measured=frozenset(data.get("measured", ())),
        breakdowns=tuple(BreakdownRow(*row) for row in data.get("breakdowns", ())),
        small_objects_by_class=_counts(data, "small_objects_by_class"),
        small_bytes_by_class=_counts(data, "small_bytes_by_class"),
        noncurrent_small_objects_by_class=_counts(data, "noncurrent_small_objects_by_class"),
        noncurrent_small_bytes_by_class=_counts(data, "noncurrent_small_bytes_by_class"),
    )


MAX_ACCOUNT_TEXT = 256  # an account id is 12 digits and a name at most 50 characters: room to spare


def account_text(data: dict[str, Any], name: str) -> str:
    """An account id or name as stored (absent in one-account snapshots: ""), checked: text, bounded."""
    value = data.get(name, "")
    if not isinstance(value, str) or len(value) > MAX_ACCOUNT_TEXT:
        raise ValueError(f"stored {name} is not a string of at most {MAX_ACCOUNT_TEXT} characters: {repr(value)[:60]}")
    return value


def report_to_dict(report: BucketReport) -> dict[str, Any]:
    out = {
        "bucket": report.bucket.name,
        "region": report.bucket.region,
        "created": _time(report.bucket.created),
        "data_date": report.data_date.isoformat() if report.data_date else None,
        "usage": usage_to_dict(report.usage),
    }
    if report.bucket.account:
        out["account"] = report.bucket.account
    return out


def report_from_dict(data: dict[str, Any]) -> BucketReport:
    return BucketReport(
        Bucket(data["bucket"], data["region"], _parse_time(data.get("created")), account_text(data, "account")),
        usage_from_dict(data["usage"]),
        date.fromisoformat(data["data_date"]) if data.get("data_date") else None,
    )


def failure_to_dict(failure: Failure) -> dict[str, Any]:
    out = {
        "bucket": failure.bucket,
        "region": failure.region,
        "stage": failure.stage,
        "error": failure.error,
        "message": failure.message,
    }
    if failure.account:
        out["account"] = failure.account
    return out


def failure_from_dict(data: dict[str, Any]) -> Failure:
    return Failure(
        data["bucket"], data.get("region"), data["stage"], data["error"], data["message"], account_text(data, "account")
    )


def account_to_dict(account: Account) -> dict[str, Any]:
    return {"id": account.id, "name": account.name, "covered": account.covered}


def account_from_dict(data: Any) -> Account:
    if not isinstance(data, dict) or not isinstance(data.get("covered", True), bool):
        raise ValueError(f"stored account is not an account: {repr(data)[:60]}")
    return Account(account_text(data, "id"), account_text(data, "name"), data.get("covered", True))


def snapshot_to_dict(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "strategy": snapshot.strategy,
        "taken_at": _time(snapshot.taken_at),
        "buckets": [report_to_dict(r) for r in snapshot.buckets],
        "failures": [failure_to_dict(f) for f in snapshot.failures],
        "breakdowns": list(snapshot.breakdowns),
        "notices": [[n.bucket, n.message] for n in snapshot.notices],
        "accounts": [account_to_dict(a) for a in snapshot.accounts],
    }


def snapshot_from_dict(data: dict[str, Any]) -> Snapshot:
    taken = _parse_time(data["taken_at"])
    assert taken is not None
    return Snapshot(
        strategy=data["strategy"],
        taken_at=taken,
        buckets=tuple(report_from_dict(r) for r in data["buckets"]),
        failures=tuple(failure_from_dict(f) for f in data.get("failures", ())),
        breakdowns=tuple(data.get("breakdowns", ())),
        notices=tuple(Notice(b, m) for b, m in data.get("notices", ())),
        accounts=tuple(account_from_dict(a) for a in data.get("accounts", ())),
    )
