"""``advise``'s findings from hand-built snapshots: every saving is worked out in the test, in decimals.

The prices are round test prices (USD per GB-month, per 1,000 requests or objects), so each amount can be
checked by hand: Standard 0.02, Standard-IA 0.01, Glacier IR 0.004, Glacier 0.004, Intelligent-Tiering's
Infrequent Access tier 0.0125 and monitoring 0.0025, transitions 0.01 (IA, IT) and 0.02 (Glacier IR),
PUT/COPY/LIST 0.005.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from s3_storage_analyser.model import BreakdownRow, Bucket, BucketReport, Snapshot, Usage
from s3_storage_analyser.pricing.advise import AGE_CLASS, Advice, Finding, advise
from s3_storage_analyser.pricing.book import PriceSource, book, rows_to_table
from s3_storage_analyser.pricing.cost import cost_snapshot
from s3_storage_analyser.pricing.lifecycle import Lifecycle, configuration_json, rule_scope
from s3_storage_analyser.render.advice import advice_dict, render_advice

GIB = 2**30
KIB = 1024
NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)
REGION = "us-east-1"
SOURCE = PriceSource("test prices", date(2026, 11, 1), "file")
BOOK = book(
    [
        rows_to_table(
            [
                {"region": "*", "item": item, "from_gb": "0", "usd": usd}
                for item, usd in (
                    ("storage/STANDARD", "0.02"),
                    ("storage/STANDARD_IA", "0.01"),
                    ("storage/ONEZONE_IA", "0.008"),
                    ("storage/GLACIER_IR", "0.004"),
                    ("storage/GLACIER", "0.004"),
                    ("storage/DEEP_ARCHIVE", "0.001"),
                    ("storage/INTELLIGENT_TIERING/FA", "0.02"),
                    ("storage/INTELLIGENT_TIERING/IA", "0.0125"),
                    ("monitoring/INTELLIGENT_TIERING", "0.0025"),
                    ("transition/STANDARD_IA", "0.01"),
                    ("transition/INTELLIGENT_TIERING", "0.01"),
                    ("transition/GLACIER_IR", "0.02"),
                    ("requests/LIST", "0.005"),
                )
            ],
            SOURCE,
            "test",
        )
    ]
)
LISTED = frozenset({"versions", "uploads", "small-objects"})


def _advice(
    usage: Usage,
    lifecycle: Lifecycle | None = None,
    *,
    older_than: int = 90,
    breakdowns: tuple[str, ...] = (AGE_CLASS,),
    strategy: str = "list",
) -> Advice:
    snapshot = Snapshot(strategy, NOW, (BucketReport(Bucket("b", REGION), usage),), breakdowns=breakdowns)
    lifecycles = {"b": lifecycle} if lifecycle is not None else {}
    return advise(snapshot, cost_snapshot(snapshot, BOOK), BOOK, lifecycles, older_than=older_than)


def _kinds(advice: Advice) -> list[str]:
    return [f.kind for f in advice.findings]


def _one(advice: Advice, kind: str) -> Finding:
    found = [f for f in advice.findings if f.kind == kind]
    assert len(found) == 1, _kinds(advice)
    return found[0]


UPLOADS = Usage(
    incomplete_uploads=2,
    incomplete_upload_parts=3,
    incomplete_upload_bytes=10 * GIB,
    oldest_incomplete_upload=NOW - timedelta(days=10),
    measured=LISTED,
)
ABORT = {"AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}


def test_incomplete_uploads_older_than_7_days_save_what_they_cost() -> None:
    advice = _advice(UPLOADS, Lifecycle("none"))
    found = _one(advice, "incomplete-uploads")
    assert found.cost_now == Decimal("0.2")  # 10 GB at Standard's 0.02
    assert found.saving == Decimal("0.2")
    assert found.evidence == {"uploads": 2, "parts": 3, "bytes": 10 * GIB, "oldest_days": 10}
    assert found.rule == {
        "ID": "s3sa-abort-incomplete-uploads",
        "Filter": {"Prefix": ""},
        "Status": "Enabled",
        **ABORT,
    }
    # the bucket's configuration to apply holds that rule once (the no-lifecycle finding adds none)
    bucket = advice.buckets[0]
    assert bucket.configuration == {"Rules": [found.rule]}
    assert _one(advice, "no-lifecycle").rule is None
    assert advice.saving == Decimal("0.2")


def test_young_uploads_save_nothing_yet_but_the_rule_is_still_suggested() -> None:
    young = Usage(
        incomplete_uploads=1,
        incomplete_upload_bytes=GIB,
        oldest_incomplete_upload=NOW - timedelta(days=3),
        measured=LISTED,
    )
    found = _one(_advice(young, Lifecycle("none")), "incomplete-uploads")
    assert found.cost_now == Decimal("0.02")
    assert found.saving == 0
    assert found.rule is not None


def test_a_rule_the_bucket_has_is_not_suggested_again() -> None:
    whole = {"ID": "mine", "Status": "Enabled", "Filter": {}, **ABORT}
    advice = _advice(UPLOADS, Lifecycle("rules", (whole,)))
    assert "incomplete-uploads" not in _kinds(advice)
    assert "no-lifecycle" not in _kinds(advice)
    assert advice.buckets[0].configuration is None
    # the legacy form (a Prefix of "" and no Filter) covers the whole bucket too
    legacy = {"ID": "old", "Status": "Enabled", "Prefix": "", **ABORT}
    assert "incomplete-uploads" not in _kinds(_advice(UPLOADS, Lifecycle("rules", (legacy,))))


@pytest.mark.parametrize(
    ("rule", "why"),
    [
        ({"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, **ABORT}, "prefix 'tmp/'"),
        ({"ID": "off", "Status": "Disabled", "Filter": {"Prefix": ""}, **ABORT}, "disabled"),
    ],
)
def test_a_rule_for_part_of_the_bucket_or_disabled_does_not_count(rule: dict[str, Any], why: str) -> None:
    advice = _advice(UPLOADS, Lifecycle("rules", (rule,)))
    found = _one(advice, "incomplete-uploads")
    assert any(why in caveat and repr(rule["ID"]) in caveat for caveat in found.caveats), found.caveats
    # the configuration to apply keeps the bucket's own rule, first, and adds the new one
    assert advice.buckets[0].configuration == {"Rules": [rule, found.rule]}


def test_a_suggested_rule_never_reuses_an_id_the_bucket_has() -> None:
    ours = {"ID": "s3sa-abort-incomplete-uploads", "Status": "Disabled", "Filter": {"Prefix": ""}, **ABORT}
    found = _one(_advice(UPLOADS, Lifecycle("rules", (ours,))), "incomplete-uploads")
    assert found.rule is not None and found.rule["ID"] == "s3sa-abort-incomplete-uploads-2"


def test_noncurrent_versions_and_delete_markers() -> None:
    usage = Usage(
        noncurrent_objects_by_class={"STANDARD": 5, "GLACIER_IR": 1},
        noncurrent_bytes_by_class={"STANDARD": 4 * GIB, "GLACIER_IR": GIB},
        delete_markers=3,
        measured=LISTED,
    )
    advice = _advice(usage, Lifecycle("none"))
    versions = _one(advice, "noncurrent-versions")
    assert versions.cost_now == Decimal("0.084")  # 4 GB x 0.02 + 1 GB x 0.004
    assert versions.saving == Decimal("0.084")
    assert versions.evidence == {"versions": 6, "bytes": 5 * GIB}
    assert versions.rule is not None and versions.rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert any("GLACIER_IR 90 days" in c for c in versions.caveats)  # its minimum is longer than the 30 days
    markers = _one(advice, "delete-markers")
    assert markers.saving is None and "not priced" in markers.basis
    assert markers.rule is not None and markers.rule["Expiration"] == {"ExpiredObjectDeleteMarker": True}
    assert advice.saving == Decimal("0.084")  # an unknown saving is not counted
    # a rule that expires noncurrent versions, or transitions them, is enough
    transition = {
        "ID": "nv",
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "NoncurrentVersionTransitions": [{"NoncurrentDays": 30, "StorageClass": "GLACIER"}],
    }
    assert "noncurrent-versions" not in _kinds(_advice(usage, Lifecycle("rules", (transition,))))


def test_small_objects_in_standard_ia_pay_for_bytes_they_do_not_hold() -> None:
    # 8,192 objects holding 0.25 GiB in Standard-IA are billed as 8,192 x 128 KiB = 1 GiB.
    usage = Usage(
        objects=8192,
        bytes_by_class={"STANDARD_IA": GIB // 4},
        objects_by_class={"STANDARD_IA": 8192},
        small_objects_by_class={"STANDARD_IA": 8192},
        small_bytes_by_class={"STANDARD_IA": GIB // 4},
        measured=LISTED,
    )
    found = _one(_advice(usage, Lifecycle("none")), "small-objects")
    # now: 0.25 GB stored + 0.75 GB of padding, at 0.01; in Standard: 0.25 GB at 0.02
    assert found.cost_now == Decimal("0.01")
    assert found.saving == Decimal("0.005")
    assert found.one_off == Decimal("0.04096")  # 8,192 COPY requests at 0.005 per 1,000
    assert found.evidence == {
        "storage_class": "STANDARD_IA",
        "objects": 8192,
        "bytes": GIB // 4,
        "billed_bytes": GIB,
    }
    assert found.rule is None and found.command is not None and "--storage-class STANDARD" in found.command


def test_the_table_humanises_sizes_and_separates_thousands_and_json_keeps_the_integers() -> None:
    usage = Usage(
        objects=8192,
        bytes_by_class={"STANDARD_IA": GIB // 4},
        objects_by_class={"STANDARD_IA": 8192},
        small_objects_by_class={"STANDARD_IA": 8192},
        small_bytes_by_class={"STANDARD_IA": GIB // 4},
        measured=LISTED,
    )
    advice = _advice(usage, Lifecycle("rules", ({"ID": "x", "Status": "Disabled", **ABORT},)))
    table = render_advice(advice, "table")
    assert (
        "8,192 object(s) under 128 KiB in STANDARD_IA hold 256 MiB (268,435,456 bytes) and are billed as "
        "1.0 GiB (1,073,741,824 bytes)"
    ) in table
    assert "b (us-east-1): 1 lifecycle rule\n" in table
    assert "268435456" not in table and "8192 " not in table
    (finding,) = json.loads(render_advice(advice, "json"))["Buckets"][0]["Findings"][:1]
    assert finding["Evidence"] == {
        "storage_class": "STANDARD_IA",
        "objects": 8192,
        "bytes": GIB // 4,
        "billed_bytes": GIB,
    }
    uploads = _one(
        _advice(Usage(incomplete_uploads=1, incomplete_upload_bytes=1000, measured=LISTED)), "incomplete-uploads"
    )
    assert uploads.summary.startswith("1 incomplete multipart upload(s) hold 1,000 bytes of parts")


def test_small_objects_near_128_kib_are_cheaper_where_they_are() -> None:
    # 1,024 objects of 120 KiB in Standard-IA: 128 MiB billed at 0.01 is less than 120 MiB at 0.02
    usage = Usage(
        objects=1024,
        bytes_by_class={"STANDARD_IA": 1024 * 120 * KIB},
        objects_by_class={"STANDARD_IA": 1024},
        small_objects_by_class={"STANDARD_IA": 1024},
        small_bytes_by_class={"STANDARD_IA": 1024 * 120 * KIB},
        measured=LISTED,
    )
    found = _one(_advice(usage, Lifecycle("none")), "small-objects")
    assert found.saving == 0
    assert "cost no less in Standard" in found.basis


def test_archive_objects_whose_overhead_costs_more_than_their_bytes() -> None:
    # 32,768 Glacier objects holding 0.5 GiB: 32 KiB each (1 GiB) at 0.004 and 8 KiB each (0.25 GiB) at 0.02
    usage = Usage(
        objects=32768,
        bytes_by_class={"GLACIER": GIB // 2},
        objects_by_class={"GLACIER": 32768},
        measured=LISTED,
    )
    found = _one(_advice(usage, Lifecycle("none")), "archive-overhead")
    assert found.cost_now == Decimal("0.011")  # 0.002 stored + 0.009 overhead
    assert found.saving == Decimal("0.009")
    assert found.evidence["average_bytes"] == GIB // 2 // 32768
    # large archive objects: their own bytes cost more than the overhead, no finding
    large = Usage(objects=2, bytes_by_class={"GLACIER": GIB}, objects_by_class={"GLACIER": 2}, measured=LISTED)
    assert "archive-overhead" not in _kinds(_advice(large, Lifecycle("none")))


def _aged(small_objects: int = 0, small_bytes: int = 0) -> Usage:
    rows = (
        BreakdownRow(AGE_CLASS, "<30 d", 200, 2 * GIB, storage_class="STANDARD"),
        BreakdownRow(AGE_CLASS, "90 d-1 y", 500, 5 * GIB, storage_class="STANDARD"),
        BreakdownRow(AGE_CLASS, "1-2 y", 300, 3 * GIB, storage_class="STANDARD"),
        BreakdownRow(AGE_CLASS, "1-2 y", 999, 9 * GIB, storage_class="GLACIER_IR"),  # not Standard: not counted
    )
    return Usage(
        objects=1000,
        bytes_by_class={"STANDARD": 10 * GIB},
        objects_by_class={"STANDARD": 1000},
        small_objects_by_class={"STANDARD": small_objects} if small_objects else {},
        small_bytes_by_class={"STANDARD": small_bytes} if small_bytes else {},
        measured=LISTED,
        breakdowns=rows,
    )


def test_old_standard_objects_priced_in_three_classes() -> None:
    found = _one(_advice(_aged(), Lifecycle("none")), "standard-old")
    # 800 objects, 8 GB at least 90 days old: 8/10 of Standard's 0.2 now
    assert found.evidence == {
        "older_than_days": 90,
        "objects": 800,
        "bytes": 8 * GIB,
        "small_objects_in_standard": 0,
        "movable_objects_at_least": 800,
    }
    assert found.cost_now == Decimal("0.16")
    options = {o.storage_class: o for o in found.options}
    assert (options["STANDARD_IA"].monthly, options["STANDARD_IA"].saving) == (Decimal("0.08"), Decimal("0.08"))
    assert options["STANDARD_IA"].one_off == Decimal("0.008")  # 800 transitions at 0.01 per 1,000
    # Intelligent-Tiering: 8 GB at 0.0125 and 800 objects' monitoring at 0.0025 per 1,000
    assert (options["INTELLIGENT_TIERING"].monthly, options["INTELLIGENT_TIERING"].saving) == (
        Decimal("0.102"),
        Decimal("0.058"),
    )
    assert (options["GLACIER_IR"].monthly, options["GLACIER_IR"].saving) == (Decimal("0.032"), Decimal("0.128"))
    # the cheapest is suggested, with its one-off transitions
    assert found.saving == Decimal("0.128")
    assert found.one_off == Decimal("0.016")
    assert found.rule is not None
    assert found.rule["Transitions"] == [{"Days": 90, "StorageClass": "GLACIER_IR"}]
    assert any("30 days at least" in c and "90 days" in c for c in found.caveats)


def test_old_objects_under_128_kib_are_not_worth_moving() -> None:
    # 100 small objects (1 MiB) somewhere in Standard: at least 700 old ones are larger
    found = _one(_advice(_aged(100, 1024 * KIB), Lifecycle("none")), "standard-old")
    assert found.evidence["movable_objects_at_least"] == 700
    # (8 GiB - 1 MiB) / 10 GiB of Standard's 0.2 = 0.16 - 0.2 / 10240 = 0.15998046875
    assert found.cost_now == Decimal("0.159980")
    # every Standard object small: nothing to move, no rule
    none = _one(_advice(_aged(1000, 1000 * KIB), Lifecycle("none")), "standard-old")
    assert none.saving == 0 and none.rule is None and none.options == ()
    assert "under 128 KiB" in none.summary


def test_older_than_goes_to_the_next_age_band_edge() -> None:
    found = _one(_advice(_aged(), Lifecycle("none"), older_than=60), "standard-old")
    assert found.evidence["older_than_days"] == 90
    assert any("at least 90 days old" in c for c in found.caveats)
    year = _one(_advice(_aged(), Lifecycle("none"), older_than=365), "standard-old")
    assert (year.evidence["objects"], year.evidence["bytes"]) == (300, 3 * GIB)
    assert year.saving == Decimal("0.048")  # 3 GB: 0.06 in Standard, 0.012 in Glacier IR
    assert "standard-old" not in _kinds(_advice(_aged(), Lifecycle("none"), older_than=400))  # none 730+ days


def test_a_transition_rule_already_there_stops_the_old_objects_finding() -> None:
    rule = {
        "ID": "ia",
        "Status": "Enabled",
        "Filter": {"ObjectSizeGreaterThan": 131072},
        "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}],
    }
    assert "standard-old" not in _kinds(_advice(_aged(), Lifecycle("rules", (rule,))))
    # limited to objects over 1 MiB, it leaves the others in Standard: still a finding, the rule named
    only_large = {**rule, "Filter": {"ObjectSizeGreaterThan": 2**20}}
    found = _one(_advice(_aged(), Lifecycle("rules", (only_large,))), "standard-old")
    assert any("'ia' does this for objects over 1048576 bytes only" in c for c in found.caveats), found.caveats


def test_buckets_without_rules_and_unreadable_rules() -> None:
    empty = Usage(measured=LISTED)
    none = _one(_advice(empty, Lifecycle("none")), "no-lifecycle")
    assert none.rule is not None and "AbortIncompleteMultipartUpload" in none.rule
    disabled = {"ID": "x", "Status": "Disabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 30}}
    assert "no enabled lifecycle rule" in _one(_advice(empty, Lifecycle("rules", (disabled,))), "no-lifecycle").summary
    denied = _advice(UPLOADS, Lifecycle("denied", message="Access denied"))
    assert _kinds(denied) == ["incomplete-uploads", "lifecycle-unreadable"]
    assert any("could not be read" in c for c in _one(denied, "incomplete-uploads").caveats)
    # not read at all (the service): no finding about rules either way
    assert _kinds(_advice(empty)) == []


def test_what_a_cloudwatch_snapshot_cannot_tell_is_named() -> None:
    usage = Usage(
        bytes_by_class={"STANDARD_IA": GIB},
        storage_types={"StandardIAStorage": GIB, "StandardIASizeOverhead": GIB // 2},
    )
    advice = _advice(
        usage,
        Lifecycle("rules", ({"ID": "a", "Status": "Enabled", "Filter": {}, **ABORT},)),
        breakdowns=(),
        strategy="cloudwatch",
    )
    assert set(advice.unavailable) == {"incomplete-uploads", "noncurrent-versions", "delete-markers", "standard-old"}
    found = _one(advice, "small-objects")
    assert found.cost_now == Decimal("0.005")  # 0.5 GB of padding at 0.01
    assert found.saving is None and "CloudWatch" in found.basis


@pytest.mark.parametrize(
    ("rule", "scope"),
    [
        ({"Status": "Enabled", "Filter": {"Prefix": ""}}, None),
        ({"Status": "Enabled", "Filter": {}}, None),
        ({"Status": "Enabled"}, None),
        ({"Status": "Enabled", "Prefix": "logs/"}, "prefix 'logs/'"),
        ({"Status": "Enabled", "Filter": {"Tag": {"Key": "k", "Value": "v"}}}, "tags"),
        (
            {"Status": "Enabled", "Filter": {"And": {"Prefix": "a/", "ObjectSizeLessThan": 10}}},
            "prefix 'a/', objects under 10 bytes",
        ),
        ({"Status": "Disabled", "Filter": {}}, "disabled"),
    ],
)
def test_rule_scope(rule: dict[str, Any], scope: str | None) -> None:
    assert rule_scope(rule) == scope


def test_json_has_exact_decimal_strings_and_the_configuration_is_valid_json() -> None:
    dated = {
        "ID": "dated",
        "Status": "Enabled",
        "Filter": {"Prefix": "tmp/"},
        "Expiration": {"Date": datetime(2027, 1, 1, tzinfo=UTC)},  # as botocore parses it
    }
    advice = _advice(UPLOADS, Lifecycle("rules", (dated,)))
    data = json.loads(render_advice(advice, "json"))
    assert data == json.loads(json.dumps(advice_dict(advice)))
    assert data["Currency"] == "USD" and data["Estimates"] is True
    assert data["EstimatedMonthlySaving"] == "0.200000"
    assert data["Prices"] == [{"Source": "test prices", "Date": "2026-11-01", "Kind": "file", "Discount": "0"}]
    (bucket,) = data["Buckets"]
    assert bucket["Findings"][0]["MonthlyCostNow"] == "0.200000"
    rules = bucket["LifecycleConfiguration"]["Rules"]
    assert rules[0]["Expiration"] == {"Date": "2027-01-01T00:00:00+00:00"}
    assert json.loads(configuration_json(advice.buckets[0].configuration or {}))["Rules"] == rules
    table = render_advice(advice, "table")
    assert "estimated saving $0.200000/month" in table and "prices: test prices (2026-11-01)" in table
    assert "Total estimated saving: $0.200000/month" in table
