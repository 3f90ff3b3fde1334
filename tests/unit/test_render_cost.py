"""Cost in every report format: golden files, exact decimals that add up, unknown never shown as 0.

The snapshot is test_render's (CloudWatch figures, one bucket with a class no price covers) priced with
the price table shipped in the package; golden files are in tests/golden/cost/ (``UPDATE_GOLDEN=1``).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from s3_storage_analyser.model import Bucket, BucketReport, Snapshot, Usage
from s3_storage_analyser.pricing.book import PriceBook, book, parse_json
from s3_storage_analyser.pricing.cost import SnapshotCost, cost_snapshot, money
from s3_storage_analyser.pricing.shipped import shipped_table
from s3_storage_analyser.render import FORMATS, render
from s3_storage_analyser.render.costs import humanise_money, signed_money
from support.golden import golden
from support.report_fixture import GOLDEN_NAMES, SNAPSHOT

BOOK: PriceBook = book([shipped_table()])
COST: SnapshotCost = cost_snapshot(SNAPSHOT, BOOK)
EXACT = re.compile(r"\d+\.\d{6}")
GIB = 1024**3
COST_GAUGE = "s3_bucket_cost_dollars_per_month"


def _priced_snapshot() -> Snapshot:
    """Every bucket fully priced: a listing in us-east-1 with Standard, Standard-IA and Glacier."""
    usage = Usage(
        objects=7,
        bytes_by_class={"STANDARD": 600 * GIB + 3, "STANDARD_IA": 5 * GIB, "GLACIER": 70 * GIB},
        objects_by_class={"STANDARD": 3, "STANDARD_IA": 2, "GLACIER": 2},
    )
    small = Usage(objects=1, bytes_by_class={"STANDARD": 12_345}, objects_by_class={"STANDARD": 1})
    return Snapshot(
        "list",
        datetime(2024, 5, 6, tzinfo=UTC),
        (
            BucketReport(Bucket("big", "us-east-1"), usage),
            BucketReport(Bucket("tiny", "us-east-1"), small),
            BucketReport(Bucket("eu", "eu-west-1"), replace(small, bytes_by_class={"STANDARD": 3 * GIB})),
        ),
    )


PRICED = _priced_snapshot()
PRICED_COST = cost_snapshot(PRICED, BOOK)


def test_the_fixture_has_an_unpriced_bucket_and_priced_ones() -> None:
    assert COST.buckets["archive-eu"].total is None
    assert COST.buckets["logs"].total is not None
    assert PRICED_COST.total is not None and PRICED_COST.total > 0


@pytest.mark.parametrize("fmt", GOLDEN_NAMES)
def test_golden_with_cost(fmt: str) -> None:
    golden(f"cost/{GOLDEN_NAMES[fmt]}", render(SNAPSHOT, fmt, cost=COST))


def test_golden_table_with_cost_and_fixed_unit() -> None:
    golden("cost/report.table.GB.txt", render(SNAPSHOT, "table", unit="GB", cost=COST))


@pytest.mark.parametrize("fmt", GOLDEN_NAMES)  # html's page names cost anyway: test_render_html.py
def test_cost_none_is_the_report_without_prices(fmt: str) -> None:
    assert render(SNAPSHOT, fmt, cost=None) == render(SNAPSHOT, fmt)
    assert "Cost" not in render(SNAPSHOT, fmt) and "cost" not in render(SNAPSHOT, fmt)


# --- humanised money (the table only) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        ("1234.5678", "$1,234.57"),
        ("0.0021", "$0.0021"),
        ("0.00214999", "$0.0021"),
        ("0.009999", "$0.01"),
        ("0.01", "$0.01"),
        ("0", "$0"),
        ("0.000000", "$0"),
        ("12.345", "$12.34"),  # half-even, like every rounding of money here
        ("1000000", "$1,000,000.00"),
        ("-2.5", "-$2.50"),
    ],
)
def test_humanise_money(amount: str, shown: str) -> None:
    assert humanise_money(Decimal(amount)) == shown


def test_signed_money() -> None:
    assert [signed_money(Decimal(x)) for x in ("1.5", "-0.0031", "0")] == ["+$1.50", "-$0.0031", "$0"]


# --- table ------------------------------------------------------------------------------------


def _table_lines(text: str) -> list[str]:
    lines = text.splitlines()
    return lines[: next(i for i, line in enumerate(lines) if line.startswith("Total: "))]


def test_table_cost_column_total_and_notes() -> None:
    text = render(PRICED, "table", cost=PRICED_COST)
    header = _table_lines(text)[0].split()
    assert header.index("Cost/month") == header.index("GFR") + 1  # after the class columns
    assert header.index("Cost/month") < header.index("Creation(UTC)")
    total = PRICED_COST.total
    assert total is not None
    totals_row = _table_lines(text)[-1]
    assert totals_row.startswith("TOTAL (3 buckets)") and totals_row.endswith(humanise_money(total))
    assert f"Prices: {PRICED_COST.describe_sources()}." in text.splitlines()
    for note in PRICED_COST.notes:
        assert text.count(note) == 1
    assert "≥" not in text


def test_table_is_as_wide_as_its_rows_and_the_notes_do_not_widen_it() -> None:
    text = render(SNAPSHOT, "table", cost=COST)
    rows = _table_lines(text)
    widest = max(len(line) for line in rows)
    assert len(rows[0]) == widest == len(_table_lines(render(SNAPSHOT, "table"))[0]) + len("  Cost/month")
    assert any(len(line) > widest for line in text.splitlines())  # the notes are longer, and printed after
    assert [line for line in text.splitlines() if line != line.rstrip()] == []


def test_table_shows_an_unpriced_bucket_as_at_least_its_priced_part_and_names_it() -> None:
    text = render(SNAPSHOT, "table", cost=COST)
    archive = next(line for line in text.splitlines() if line.startswith("archive-eu"))
    priced = COST.buckets["archive-eu"].priced
    assert f"≥{humanise_money(priced)}" in archive
    assert _table_lines(text)[-1].endswith(f"≥{humanise_money(COST.priced)}")  # the total is unknown too
    reason = COST.buckets["archive-eu"].unpriced[0].reason
    assert f"Not priced in archive-eu (FooBarStorage): {reason}." in text.splitlines()
    empty = next(line for line in text.splitlines() if line.startswith("empty-bucket"))
    assert " $0 " in empty


# --- TSV / CSV --------------------------------------------------------------------------------


def _rows(text: str, fmt: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text), delimiter="\t" if fmt == "tsv" else ","))


@pytest.mark.parametrize("fmt", ["tsv", "csv"])
def test_delimited_cost_columns(fmt: str) -> None:
    text = render(SNAPSHOT, fmt, cost=COST)
    header = text.splitlines()[0].split("\t" if fmt == "tsv" else ",")
    assert header[:7] == ["Bucket", "Region", "Files", "Total", "STD", "RR", "IA"]  # 0.1's never move
    assert header[header.index("FooBarStorage") + 1 : header.index("FooBarStorage") + 4] == [
        "Cost/month",
        "Prices",
        "Creation(UTC)",
    ]
    rows = {r["Bucket"]: r for r in _rows(text, fmt)}
    assert rows["archive-eu"]["Cost/month"] == ""  # unknown, never 0
    assert rows["empty-bucket"]["Cost/month"] == "0.000000"
    assert rows["logs"]["Cost/month"] == money(COST.buckets["logs"].priced)
    assert {r["Prices"] for r in rows.values()} == {COST.describe_sources()}


@pytest.mark.parametrize("fmt", ["tsv", "csv"])
def test_delimited_amounts_are_exact_and_add_up(fmt: str) -> None:
    rows = _rows(render(PRICED, fmt, unit="MB", cost=PRICED_COST), fmt)
    amounts = [r["Cost/month"] for r in rows]
    assert all(EXACT.fullmatch(a) for a in amounts), amounts
    assert sum(Decimal(a) for a in amounts) == PRICED_COST.total
    assert "Cost/month(MB)" not in rows[0]  # a unit is for sizes


# --- JSON -------------------------------------------------------------------------------------


def _money_strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() if k not in ("Prices", "Unpriced", "Notes") for s in _money_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _money_strings(v)]
    return [value] if isinstance(value, str) else []


@pytest.mark.parametrize("fmt", ["json", "json_pretty"])
def test_json_cost_keys_exact_and_adding_up(fmt: str) -> None:
    data = json.loads(render(PRICED, fmt, cost=PRICED_COST), parse_float=Decimal)
    cost = data["Cost"]
    assert cost["Currency"] == "USD"
    assert cost["PerMonth"] == cost["PricedPerMonth"] == money(PRICED_COST.total or Decimal(-1))
    assert cost["Prices"] == [
        {"Source": s.name, "Date": s.date.isoformat(), "Kind": s.kind} for s in PRICED_COST.sources
    ]
    assert cost["Discount"] == "0"
    assert cost["Notes"] == list(PRICED_COST.notes)
    buckets = data["Buckets"]
    strings = [b["CostPerMonth"] for b in buckets] + _money_strings([b["CostByClass"] for b in buckets])
    strings += _money_strings([b["CostByPart"] for b in buckets]) + _money_strings(cost["ByClass"])
    assert strings and all(isinstance(s, str) and EXACT.fullmatch(s) for s in strings), strings
    assert all(money(Decimal(s)) == s for s in strings)  # each string reads back as the same amount
    assert sum(Decimal(b["CostPerMonth"]) for b in buckets) == Decimal(cost["PerMonth"])
    for b in buckets:
        assert sum(map(Decimal, b["CostByClass"].values())) == Decimal(b["CostPerMonth"])
        assert sum(map(Decimal, b["CostByPart"].values())) == Decimal(b["CostPerMonth"])
        assert "Unpriced" not in b
    for code, amount in cost["ByClass"].items():
        assert sum(Decimal(b["CostByClass"].get(code, "0")) for b in buckets) == Decimal(amount)


def test_json_unpriced_bucket_is_null_and_named() -> None:
    data = json.loads(render(SNAPSHOT, "json", cost=COST))
    archive, empty, logs = data["Buckets"]
    assert archive["CostPerMonth"] is None
    assert archive["Unpriced"] == [
        {
            "Region": "eu-west-1",
            "StorageClass": "FooBarStorage",
            "Item": "storage/FooBarStorage",
            "Reason": COST.buckets["archive-eu"].unpriced[0].reason,
        }
    ]
    assert "FooBarStorage" not in archive["CostByClass"]
    assert empty["CostPerMonth"] == "0.000000" and "Unpriced" not in empty
    assert logs["CostPerMonth"] == money(COST.buckets["logs"].priced)
    assert data["Cost"]["PerMonth"] is None
    assert data["Cost"]["PricedPerMonth"] == money(COST.priced)


def test_ndjson_bucket_lines_carry_cost_and_prices() -> None:
    lines = [json.loads(line) for line in render(SNAPSHOT, "ndjson", cost=COST).splitlines()]
    report = json.loads(render(SNAPSHOT, "json", cost=COST))
    prices = report["Cost"]["Prices"]
    buckets, failures = lines[:3], lines[3:]
    assert buckets == [{**b, "Prices": prices} for b in report["Buckets"]]
    assert buckets[0]["CostPerMonth"] is None
    assert failures == report["Failures"]


def test_a_bucket_the_cost_does_not_cover_is_unknown_everywhere() -> None:
    """A report of more buckets than were priced: the extra one is unknown in every format, never 0."""
    partial = cost_snapshot(replace(PRICED, buckets=PRICED.buckets[:2]), BOOK)
    assert json.loads(render(PRICED, "json", cost=partial))["Buckets"][2]["CostPerMonth"] is None
    assert _rows(render(PRICED, "tsv", cost=partial), "tsv")[2]["Cost/month"] == ""
    assert "≥$0" in render(PRICED, "table", cost=partial).splitlines()[3]
    assert "eu" not in {bucket for bucket, _code in _cost_samples(render(PRICED, "prometheus", cost=partial))}


def test_totals_are_of_the_buckets_shown() -> None:
    """``--min-size`` shows fewer buckets than were priced: the totals add up the rows shown."""
    shown = replace(PRICED, buckets=PRICED.buckets[:1])
    data = json.loads(render(shown, "json", cost=PRICED_COST))
    assert data["Cost"]["PerMonth"] == money(PRICED_COST.buckets["big"].priced)
    table = render(shown, "table", cost=PRICED_COST)
    assert _table_lines(table)[-1].endswith(humanise_money(PRICED_COST.buckets["big"].priced))


def test_a_discount_is_an_exact_fraction() -> None:
    text = json.dumps(
        {
            "format": "s3sa-prices/1",
            "source": "our contract",
            "date": "2026-01-01",
            "discount": "0.125",
            "prices": [{"region": "*", "item": "storage/STANDARD", "from_gb": "0", "usd": "0.02"}],
        }
    )
    table = parse_json(text, "contract.json", "file")
    cost = cost_snapshot(PRICED, book([table, shipped_table()]))
    data = json.loads(render(PRICED, "json", cost=cost))
    assert data["Cost"]["Discount"] == "0.125"
    assert "12.5% discount" in render(PRICED, "table", cost=cost)


# --- Prometheus -------------------------------------------------------------------------------


def _cost_samples(text: str) -> dict[tuple[str, str], float]:
    families = {f.name: f for f in text_string_to_metric_families(text)}
    return {
        (s.labels["bucket"], s.labels["storage_class"]): s.value
        for s in families["s3_bucket_cost_dollars_per_month"].samples
    }


def test_prometheus_cost_gauges_parse_with_the_exact_values() -> None:
    text = render(SNAPSHOT, "prometheus", cost=COST)
    families = {f.name: f for f in text_string_to_metric_families(text)}
    for family in families.values():
        assert family.type in ("gauge", "info"), family.name
        assert not family.name.endswith("_total")
    samples = _cost_samples(text)
    expected = {
        (name, code): float(amount) for name, bucket in COST.buckets.items() for code, amount in bucket.by_class.items()
    }
    expected[("empty-bucket", "STANDARD")] = 0.0  # an empty bucket costs $0, as its size gauge shows 0 B
    assert samples == expected
    assert ("archive-eu", "FooBarStorage") not in samples  # unpriced: no sample, never 0
    unpriced = families["s3_bucket_cost_unpriced"].samples
    assert [(s.labels["bucket"], s.labels["storage_class"], s.value) for s in unpriced] == [
        ("archive-eu", "FooBarStorage", 1.0)
    ]
    info = families["s3_cost_prices_info"].samples
    assert [(s.labels["source"], s.labels["date"], s.labels["kind"], s.value) for s in info] == [
        (s.name, s.date.isoformat(), s.kind, 1.0) for s in COST.sources
    ]
    regions = {s.labels["bucket"]: s.labels["region"] for s in families["s3_bucket_size_bytes"].samples}
    cost_regions = {s.labels["bucket"]: s.labels["region"] for s in families[COST_GAUGE].samples}
    assert cost_regions == regions  # labelled like the size gauges


def test_prometheus_cost_of_a_fully_priced_report_sums_to_the_total() -> None:
    samples = _cost_samples(render(PRICED, "prometheus", cost=PRICED_COST))
    total = PRICED_COST.total
    assert total is not None
    assert sum(samples.values()) == pytest.approx(float(total), rel=1e-12)
    text = render(PRICED, "prometheus", cost=PRICED_COST)
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert families["s3_bucket_cost_unpriced"].samples == []


def test_an_empty_report_has_a_cost_of_zero() -> None:
    nothing = Snapshot("cloudwatch", datetime(2024, 1, 1, tzinfo=UTC), ())
    cost = cost_snapshot(nothing, BOOK)
    assert json.loads(render(nothing, "json", cost=cost))["Cost"]["PerMonth"] == "0.000000"
    assert "Prices: none needed." in render(nothing, "table", cost=cost)


def test_dates_of_the_prices_are_shown() -> None:
    assert date(2026, 7, 1) in {s.date for s in COST.sources}
    assert "(2026-07-01)" in render(SNAPSHOT, "table", cost=COST)


# --- diff and history -------------------------------------------------------------------------


def _grown() -> Snapshot:
    """PRICED a month later: big grew by 100 GiB of Standard, tiny was deleted, a new bucket appeared."""
    big = PRICED.buckets[0]
    usage = replace(
        big.usage,
        bytes_by_class={**big.usage.bytes_by_class, "STANDARD": big.usage.bytes_by_class["STANDARD"] + 100 * GIB},
    )
    new = BucketReport(Bucket("new", "us-east-1"), Usage(objects=1, bytes_by_class={"STANDARD": GIB}))
    return replace(
        PRICED, taken_at=datetime(2024, 6, 6, tzinfo=UTC), buckets=(replace(big, usage=usage), PRICED.buckets[2], new)
    )


GROWN = _grown()
GROWN_COST = cost_snapshot(GROWN, BOOK)


def _diff(fmt: str, before: Snapshot = PRICED, after: Snapshot = GROWN) -> str:
    from s3_storage_analyser.diff import diff
    from s3_storage_analyser.render.diff import render_diff

    pair = (cost_snapshot(before, BOOK), cost_snapshot(after, BOOK))
    return render_diff(diff(before, after), (1, before), (2, after), fmt, None, cost=pair)


def test_diff_json_has_the_cost_change_next_to_the_bytes_change() -> None:
    data = json.loads(_diff("json"))
    rows = {(c["Bucket"], c["StorageClass"]): c for c in data["Changes"]}
    big, tiny, new = rows[("big", "ALL")], rows[("tiny", "ALL")], rows[("new", "ALL")]
    assert big["CostBefore"] == money(PRICED_COST.buckets["big"].priced)
    assert big["CostAfter"] == money(GROWN_COST.buckets["big"].priced)
    assert Decimal(big["CostChange"]) == Decimal(big["CostAfter"]) - Decimal(big["CostBefore"]) > 0
    assert (tiny["CostAfter"], new["CostBefore"]) == ("0.000000", "0.000000")  # deleted / created: absent is 0
    assert Decimal(tiny["CostChange"]) == -PRICED_COST.buckets["tiny"].priced
    std = rows[("big", "STANDARD")]
    assert std["CostBefore"] == money(PRICED_COST.buckets["big"].by_class["STANDARD"])
    assert data["Before"]["CostPerMonth"] == money(PRICED_COST.priced)
    assert data["After"]["CostPerMonth"] == money(GROWN_COST.priced)
    assert data["Currency"] == "USD"
    assert data["Prices"] == [
        {"Source": s.name, "Date": s.date.isoformat(), "Kind": s.kind} for s in GROWN_COST.sources
    ]
    total_change = sum(Decimal(c["CostChange"]) for c in data["Changes"] if c["StorageClass"] == "ALL")
    assert total_change == Decimal(data["After"]["CostPerMonth"]) - Decimal(data["Before"]["CostPerMonth"])


def test_diff_table_and_tsv_with_cost() -> None:
    text = _diff("table")
    assert text.splitlines()[1].endswith("Change%  Cost/month  Cost change")
    assert PRICED_COST.total is not None and GROWN_COST.total is not None
    change = signed_money(GROWN_COST.total - PRICED_COST.total)
    assert f"Cost change: {change} per month" in text
    assert f"Both snapshots priced with the same prices: {GROWN_COST.describe_sources()}." in text
    assert [line for line in text.splitlines() if line != line.rstrip()] == []
    rows = _rows(_diff("tsv"), "tsv")
    assert list(rows[0])[-4:] == ["CostBefore", "CostAfter", "CostChange", "Prices"]
    assert all(EXACT.fullmatch(r["CostAfter"]) for r in rows)
    lines = [json.loads(line) for line in _diff("ndjson").splitlines()]
    assert all("CostChange" in line and line["Prices"] for line in lines)


def test_diff_with_an_unpriced_bucket_says_unknown() -> None:
    text = _diff("table", SNAPSHOT, SNAPSHOT)
    archive = next(line for line in text.splitlines() if line.startswith("archive-eu") and " ALL " in line)
    assert archive.split()[-2:] == ["unknown", "unknown"]
    assert "Cost change: unknown" in text
    data = json.loads(_diff("json", SNAPSHOT, SNAPSHOT))
    rows = {(c["Bucket"], c["StorageClass"]): c for c in data["Changes"]}
    assert rows[("archive-eu", "ALL")]["CostChange"] is None
    assert rows[("archive-eu", "FooBarStorage")]["CostAfter"] is None
    assert rows[("archive-eu", "GLACIER")]["CostChange"] == "0.000000"
    assert rows[("logs", "ALL")]["CostChange"] == "0.000000"
    assert data["After"]["CostPerMonth"] is None


def test_diff_without_cost_is_unchanged() -> None:
    from s3_storage_analyser.diff import diff
    from s3_storage_analyser.render.diff import render_diff

    for fmt in ("table", "tsv", "json", "ndjson"):
        plain = render_diff(diff(PRICED, GROWN), (1, PRICED), (2, GROWN), fmt, None)
        assert (
            "Cost" not in plain
            and render_diff(diff(PRICED, GROWN), (1, PRICED), (2, GROWN), fmt, None, cost=None) == plain
        )


def test_history_lists_each_snapshots_cost() -> None:
    from s3_storage_analyser.render.history import price_history, render_history
    from s3_storage_analyser.store import SnapshotSummary

    snapshots = {1: PRICED, 2: GROWN, 3: SNAPSHOT}
    rows = [
        SnapshotSummary(i, s.taken_at, s.strategy, len(s.buckets), s.total.objects, s.total.bytes, len(s.failures))
        for i, s in snapshots.items()
    ]
    costs = price_history([1, 2, 3], snapshots.__getitem__, BOOK)
    data = json.loads(render_history(rows, "json", cost=costs))["Snapshots"]
    assert [d["CostPerMonth"] for d in data] == [money(PRICED_COST.priced), money(GROWN_COST.priced), None]
    assert data[2]["PricedPerMonth"] == money(COST.priced)
    assert data[0]["Prices"] == [{"Source": s.name, "Date": s.date.isoformat(), "Kind": s.kind} for s in BOOK.sources]
    table = render_history(rows, "table", cost=costs)
    assert table.splitlines()[0].split()[-1] == "Cost/month"
    assert table.splitlines()[1].endswith(humanise_money(PRICED_COST.priced))
    assert table.splitlines()[3].endswith(f"≥{humanise_money(COST.priced)}")
    assert f"Prices (the same for every snapshot): {COST.describe_sources()}." in table
    tsv = _rows(render_history(rows, "tsv", cost=costs), "tsv")
    assert [r["Cost/month"] for r in tsv] == [money(PRICED_COST.priced), money(GROWN_COST.priced), ""]
    assert render_history(rows, "tsv") == render_history(rows, "tsv", cost=None)
    assert "Cost" not in render_history(rows, "table")
    unpriced = json.loads(render_history(rows, "ndjson", cost={1: costs[1]}).splitlines()[1])
    assert unpriced["CostPerMonth"] is None  # a snapshot left out is unknown, not 0


def test_outside_text_in_the_cost_lines_is_inert() -> None:
    """A hostile bucket name and region reach the notes under the table and the unpriced reasons: escaped."""
    name, region = "evil\x1b[2J\u202e[bold]x", "zz-evil-9\x07"
    report = BucketReport(Bucket(name, region), Usage(objects=1, bytes_by_class={"STANDARD": GIB}))
    snapshot = Snapshot("list", datetime(2024, 1, 1, tzinfo=UTC), (report,))
    cost = cost_snapshot(snapshot, BOOK)
    assert cost.buckets[name].total is None  # no price in that region
    for fmt in FORMATS:
        out = render(snapshot, fmt, cost=cost)
        assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out, fmt
    data = json.loads(render(snapshot, "json", cost=cost))
    assert data["Buckets"][0]["Bucket"] == name and data["Buckets"][0]["Unpriced"][0]["Region"] == region
    table = render(snapshot, "table", cost=cost)
    assert "Not priced in evil\\x1b[2J\\u202e[bold]x (STANDARD)" in table
    assert "Prices: none found (below)." in table  # not "none needed": nothing here had a price
