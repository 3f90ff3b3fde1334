"""Renderers, on a fixed Snapshot (no AWS): golden files plus the properties each format promises.

Golden files live in tests/golden/; rewrite them with ``UPDATE_GOLDEN=1`` after a
deliberate change, and read the diff.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from s3_storage_analyser.errors import UsageError
from s3_storage_analyser.model import Snapshot
from s3_storage_analyser.render import FORMATS, parse_format, render
from s3_storage_analyser.units import humanise
from support.golden import golden
from support.report_fixture import ARCHIVE, GIB, GOLDEN_NAMES, SNAPSHOT, TIB


def test_every_format_has_a_golden_file() -> None:
    assert set(GOLDEN_NAMES) == set(FORMATS) - {"html"}  # html: tests/unit/test_render_html.py


@pytest.mark.parametrize("fmt", GOLDEN_NAMES)
def test_golden(fmt: str) -> None:
    golden(GOLDEN_NAMES[fmt], render(SNAPSHOT, fmt))


def test_golden_table_with_fixed_unit() -> None:
    golden("report.table.GB.txt", render(SNAPSHOT, "table", unit="GB"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_rendering_is_deterministic(fmt: str) -> None:
    assert render(SNAPSHOT, fmt) == render(SNAPSHOT, fmt)


# --- delimited --------------------------------------------------------------------------------


def rows(text: str, delimiter: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


@pytest.mark.parametrize(("fmt", "delimiter"), [("tsv", "\t"), ("csv", ",")])
def test_delimited_exact_bytes_without_unit(fmt: str, delimiter: str) -> None:
    table = rows(render(SNAPSHOT, fmt), delimiter)
    assert [r["Bucket"] for r in table] == ["archive-eu", "empty-bucket", "logs"]
    archive = table[0]
    assert archive["Total"] == str(ARCHIVE.usage.bytes)
    assert archive["STD"] == "5000000000"
    assert archive["GFR"] == str(3 * TIB + 5)
    assert archive["FooBarStorage"] == "55"
    assert archive["Files"] == "1234567"
    assert archive["Creation(UTC)"] == "2019-03-04T05:06:07"
    assert archive["DataDate(UTC)"] == "2024-05-04"
    assert table[1]["Total"] == "0"
    assert table[1]["DataDate(UTC)"] == ""
    for row in table:  # without a unit every size is an exact integer
        for header in ("Total", "STD", "RR", "IA", "IT", "GFR", "DA"):
            assert re.fullmatch(r"\d+", row[header]), (header, row[header])


@pytest.mark.parametrize(("fmt", "delimiter"), [("tsv", "\t"), ("csv", ",")])
def test_delimited_with_unit(fmt: str, delimiter: str) -> None:
    text = render(SNAPSHOT, fmt, unit="MB")
    header = text.splitlines()[0].split(delimiter)
    assert header[:7] == ["Bucket", "Region", "Files", "Total(MB)", "STD(MB)", "RR(MB)", "IA(MB)"]
    table = rows(text, delimiter)
    archive = table[0]
    assert archive["STD(MB)"] == f"{5_000_000_000 / 1024**2:.2f}" == "4768.37"
    assert archive["Files"] == "1234567"  # counts are not sizes
    for row in table:
        for name, value in row.items():
            if name.endswith("(MB)"):
                assert re.fullmatch(r"\d+\.\d\d", value), (name, value)


@pytest.mark.parametrize("fmt", ["tsv", "csv"])
def test_delimited_with_auto_unit_humanises(fmt: str) -> None:
    """``--unit auto`` is one of the documented choices; it must not crash the delimited formats."""
    text = render(SNAPSHOT, fmt, unit="auto")
    table = rows(text, "\t" if fmt == "tsv" else ",")
    total_header = next(h for h in table[0] if h.startswith("Total"))
    assert table[0][total_header] == humanise(ARCHIVE.usage.bytes)
    assert table[1][total_header] == "0 B"


# --- JSON -------------------------------------------------------------------------------------


def all_bytes_values(bucket: dict[str, Any]) -> list[Any]:
    values = [v for k, v in bucket.items() if k.startswith("Bytes")]
    values += list(bucket.get("StorageTypes", {}).values())
    return values


@pytest.mark.parametrize("fmt", ["json", "json_pretty"])
def test_json_bytes_are_exact_ints(fmt: str) -> None:
    data = json.loads(render(SNAPSHOT, fmt))
    archive, empty, logs = data["Buckets"]
    for bucket in data["Buckets"]:
        assert all(type(v) is int for v in all_bytes_values(bucket)), bucket
        assert type(bucket["Files"]) is int
    assert archive["Bytes"] == ARCHIVE.usage.bytes == 5_000_000_000 + 3 * TIB + 5 + 123_456_789 + 42 * GIB + 55
    assert archive["Bytes-GFR"] == 3 * TIB + 5
    assert archive["Bytes-IT"] == 42 * GIB
    assert archive["Bytes-FooBarStorage"] == 55
    assert archive["StorageTypes"] == dict(sorted(ARCHIVE.usage.storage_types.items()))
    assert archive["DataDate"] == "2024-05-04"
    assert (empty["Bytes"], empty["Files"], empty["DataDate"]) == (0, 0, None)
    assert logs["FilesByClass"] == {"STANDARD": 10, "REDUCED_REDUNDANCY": 1, "STANDARD_IA": 2}
    assert list(logs)[:5] == ["Bucket", "Region", "Files", "Bytes", "Bytes-ST"]  # 0.1's shape
    assert data["Failures"] == [
        {
            "Bucket": "secret-bucket",
            "Region": None,
            "Stage": "region",
            "Error": "AccessDenied",
            "Message": "Access denied calling s3:GetBucketLocation on bucket 'secret-bucket': Access Denied",
        }
    ]
    assert data["Strategy"] == "cloudwatch"
    assert data["GeneratedAt"] == "2024-05-06T07:08:09Z"


def test_ndjson_is_one_object_per_line() -> None:
    lines = render(SNAPSHOT, "ndjson").splitlines()
    objects = [json.loads(line) for line in lines]
    assert [o["Bucket"] for o in objects] == ["archive-eu", "empty-bucket", "logs", "secret-bucket"]
    assert "Error" not in objects[0]
    assert objects[-1]["Error"] == "AccessDenied"
    assert objects == [
        *json.loads(render(SNAPSHOT, "json"))["Buckets"],
        *json.loads(render(SNAPSHOT, "json"))["Failures"],
    ]


# --- table ------------------------------------------------------------------------------------


def test_table_shows_humanised_and_exact_totals() -> None:
    text = render(SNAPSHOT, "table")
    total = SNAPSHOT.total.bytes
    assert f"Total: {humanise(total)} ({total:,} bytes) in {SNAPSHOT.total.objects:,} objects, 3 buckets" in text
    assert "data of 2024-05-04 to 2024-05-05" in text
    assert "1 bucket failed: listed on stderr." in text
    header = text.splitlines()[0].split()
    assert header[:7] == ["Bucket", "Region", "Files", "Total", "STD", "RR", "IA"]
    assert {"IT", "GFR", "DA", "FooBarStorage"} <= set(header)
    assert "3.0 TiB" in text  # GLACIER, humanised
    assert "TOTAL (3 buckets)" in text


def test_table_with_fixed_unit_labels_headers() -> None:
    header = render(SNAPSHOT, "table", unit="GB").splitlines()[0].split()
    assert header[:5] == ["Bucket", "Region", "Files", "Total(GB)", "STD(GB)"]


def test_table_of_nothing() -> None:
    text = render(Snapshot("cloudwatch", datetime(2024, 1, 1, tzinfo=UTC), ()), "table")
    assert "Total: 0 B (0 bytes) in 0 objects, 0 buckets" in text


# --- Prometheus -------------------------------------------------------------------------------


def test_prometheus_parses_with_exact_values_and_no_total_suffix() -> None:
    families = {f.name: f for f in text_string_to_metric_families(render(SNAPSHOT, "prometheus"))}
    assert families, "nothing parsed"
    for family in families.values():
        assert family.type == "gauge", family.name
        assert not family.name.endswith("_total"), family.name
        for sample in family.samples:
            assert not sample.name.endswith("_total"), sample.name

    sizes = {(s.labels["bucket"], s.labels["storage_class"]): s.value for s in families["s3_bucket_size_bytes"].samples}
    expected = {
        (report.bucket.name, code): value
        for report in SNAPSHOT.buckets
        for code, value in (report.usage.bytes_by_class or {"STANDARD": 0}).items()  # empty buckets show 0
    }
    assert sizes == expected  # float == int: exact below 2**53, which these are
    assert all(value == int(value) for value in sizes.values())
    assert sizes[("archive-eu", "GLACIER")] == 3 * TIB + 5

    objects = {(s.labels["bucket"], s.labels["storage_class"]): s.value for s in families["s3_bucket_objects"].samples}
    assert objects[("archive-eu", "all")] == 1_234_567
    assert objects[("empty-bucket", "all")] == 0
    assert objects[("logs", "STANDARD_IA")] == 2

    data_time = {s.labels["bucket"]: s.value for s in families["s3_bucket_data_timestamp_seconds"].samples}
    assert data_time == {
        "archive-eu": datetime(2024, 5, 4, tzinfo=UTC).timestamp(),
        "logs": datetime(2024, 5, 5, tzinfo=UTC).timestamp(),
    }
    failed = families["s3_bucket_scan_failed"].samples
    assert [(s.labels["bucket"], s.labels["error"], s.value) for s in failed] == [("secret-bucket", "AccessDenied", 1)]


# --- formats ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("json", "json"), ("JSON", "json"), (" tsv ", "tsv"), ("json-pretty", "json_pretty"), ("NDJSON", "ndjson")],
)
def test_parse_format(raw: str, expected: str) -> None:
    assert parse_format(raw) == expected


@pytest.mark.parametrize("raw", ["yaml", "", "jsonl", "prom"])
def test_parse_format_rejects(raw: str) -> None:
    with pytest.raises(UsageError, match="Unknown format") as info:
        parse_format(raw)
    assert info.value.hint is not None
    assert "prometheus" in info.value.hint
