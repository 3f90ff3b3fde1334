"""A bucket's lifecycle rules: reading the ones it has, and writing the ones ``advise`` suggests.

Kept apart from the findings (``advise``) because it is a separate question: which of the bucket's own rules
already do what a finding's fix would (enabled, for the whole bucket, or only in part), and how a suggested
rule and the whole configuration to apply are written. PutBucketLifecycleConfiguration replaces a bucket's
configuration, it does not add to it, so the configuration keeps the bucket's own rules. No AWS call here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..storage_classes import SMALL_OBJECT_BYTES

REPLACES_NOTE = (
    "PutBucketLifecycleConfiguration replaces a bucket's whole configuration: apply the configuration shown "
    "(it keeps the bucket's own rules), not a rule on its own; it leaves TransitionDefaultMinimumObjectSize at "
    "S3's default (objects under 128 KiB are not transitioned)."
)

NOT_READ_NOTE = (
    "Lifecycle rules were not read (the service reads none): rules are suggested whether or not the bucket has "
    "them, and buckets without rules are not named; `s3sa advise` reads them."
)


@dataclass(frozen=True)
class Lifecycle:
    """A bucket's lifecycle configuration as read: ``status`` is "rules" (``rules`` holds them, as S3 returns
    them), "none" (NoSuchLifecycleConfiguration), "denied" (AccessDenied), "error" (``message`` says what)
    or "not-read" (nobody asked: the service reads none)."""

    status: str
    rules: tuple[Mapping[str, Any], ...] = ()
    message: str = ""


NOT_READ = Lifecycle("not-read", message="lifecycle rules were not read")


# --- reading the bucket's own rules ---------------------------------------------------------------------


def rule_scope(rule: Mapping[str, Any]) -> str | None:
    """None when an enabled rule applies to every object of the bucket, else what it is limited to
    ("disabled", "prefix 'logs/'", "tags", "objects over 131072 bytes"...)."""
    if rule.get("Status") != "Enabled":
        return "disabled"
    limits: list[str] = []
    legacy = rule.get("Prefix")
    if legacy:
        limits.append(f"prefix {str(legacy)!r}")
    raw = rule.get("Filter")
    given: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    parts: list[Mapping[str, Any]] = [given]
    if isinstance(given.get("And"), Mapping):
        parts.append(given["And"])
    for part in parts:
        if part.get("Prefix"):
            limits.append(f"prefix {str(part['Prefix'])!r}")
        if part.get("Tag") or part.get("Tags"):
            limits.append("tags")
        if part.get("ObjectSizeGreaterThan") is not None:
            limits.append(f"objects over {part['ObjectSizeGreaterThan']} bytes")
        if part.get("ObjectSizeLessThan") is not None:
            limits.append(f"objects under {part['ObjectSizeLessThan']} bytes")
    return ", ".join(limits) or None


def _does(kind: str, rule: Mapping[str, Any]) -> bool:
    """Whether ``rule`` (enabled or not, whatever its filter) takes the action a finding's fix is."""
    if kind == "incomplete-uploads":
        return "AbortIncompleteMultipartUpload" in rule
    if kind == "noncurrent-versions":
        return any(k in rule for k in ("NoncurrentVersionExpiration", "NoncurrentVersionTransitions"))
    if kind == "delete-markers":
        expiration = rule.get("Expiration")
        return isinstance(expiration, Mapping) and expiration.get("ExpiredObjectDeleteMarker") is True
    if kind == "standard-old":
        transitions = rule.get("Transitions") or ([rule["Transition"]] if "Transition" in rule else [])
        return any(isinstance(t, Mapping) and t.get("StorageClass") not in (None, "STANDARD") for t in transitions)
    return False


def covered(kind: str, lifecycle: Lifecycle) -> tuple[bool, list[str]]:
    """(an enabled whole-bucket rule does what finding ``kind``'s fix does, the rules that do it only in part,
    named with their limits)."""
    partial: list[str] = []
    for rule in lifecycle.rules:
        if not _does(kind, rule):
            continue
        scope = rule_scope(rule)
        if scope is None or (kind == "standard-old" and _large_objects_only(rule)):
            return True, []
        partial.append(f"rule {str(rule.get('ID') or '(no ID)')!r} does this for {scope} only")
    return False, partial


def _large_objects_only(rule: Mapping[str, Any]) -> bool:
    """An enabled rule for every object of 128 KiB or more: a transition rule limited so still moves every
    object worth moving."""
    raw = rule.get("Filter")
    given: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    above = given.get("ObjectSizeGreaterThan")
    return (
        rule.get("Status") == "Enabled"
        and not rule.get("Prefix")
        and set(given) == {"ObjectSizeGreaterThan"}
        and isinstance(above, int)
        and above <= SMALL_OBJECT_BYTES
    )


def has_enabled_rule(lifecycle: Lifecycle) -> bool:
    return any(rule.get("Status") == "Enabled" for rule in lifecycle.rules)


def transitions_into(lifecycle: Lifecycle, code: str) -> list[str]:
    """The bucket's enabled rules that move objects of any size into ``code``."""
    found = []
    for rule in lifecycle.rules:
        scope = rule_scope(rule) or ""
        if scope == "disabled" or "objects over" in scope:
            continue
        transitions = rule.get("Transitions") or []
        if any(isinstance(t, Mapping) and t.get("StorageClass") == code for t in transitions):
            found.append(f"rule {str(rule.get('ID') or '(no ID)')!r} moves objects of any size into {code}")
    return found


# --- writing the suggested rules ---------------------------------------------------------------------


def new_rule_id(base: str, taken: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3``... whichever no rule uses yet (added to ``taken``)."""
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    taken.add(name)
    return name


def whole_bucket_rule(rule_id: str, **actions: Any) -> dict[str, Any]:
    """An enabled rule for every object of the bucket, as PutBucketLifecycleConfiguration takes it."""
    return {"ID": rule_id, "Filter": {"Prefix": ""}, "Status": "Enabled", **actions}


def configuration_to_apply(lifecycle: Lifecycle, suggested: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The configuration to apply: the bucket's own rules as read plus the suggested ones (None: nothing to
    suggest)."""
    if not suggested:
        return None
    return {"Rules": [jsonable(rule) for rule in (*lifecycle.rules, *suggested)]}


def jsonable(value: Any) -> Any:
    """A rule as read (botocore gives an Expiration Date as a datetime) in the form JSON and the aws cli take."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def configuration_json(configuration: Mapping[str, Any]) -> str:
    """The file ``--lifecycle-configuration file://...`` reads."""
    return json.dumps(jsonable(configuration), indent=2) + "\n"
