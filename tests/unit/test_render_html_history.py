"""The HTML history view's data (``history_data``) on a real SQLite history, and its section in the page:
exact numbers, each point's strategy kept, nulls where a snapshot lacks a bucket, untrusted names escaped."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from s3_storage_analyser.model import Bucket, BucketReport, Snapshot, Usage
from s3_storage_analyser.pricing.book import book
from s3_storage_analyser.pricing.cost import cost_snapshot
from s3_storage_analyser.pricing.shipped import shipped_table
from s3_storage_analyser.render import render
from s3_storage_analyser.render.costs import CostSummary
from s3_storage_analyser.render.html.history import export_history, history_data
from s3_storage_analyser.store import Store

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
EVIL = '</script><script>alert("x")</script>\u202e<!--'
BLOB = "bl\udc80ob"  # stored as a BLOB


def report(name: str, objects: int, **by_class: int) -> BucketReport:
    return BucketReport(Bucket(name, "us-east-1"), Usage(objects=objects, bytes_by_class=by_class))


SNAPSHOTS = (
    Snapshot("cloudwatch", T0, (report("big", 10, STANDARD=1000, GLACIER=500), report(EVIL, 1, STANDARD=7))),
    Snapshot("list", T0 + timedelta(days=1), (report("big", 12, STANDARD=1200), report(BLOB, 2, STANDARD_IA=30))),
    Snapshot("cloudwatch", T0 + timedelta(days=2), (report("big", 13, STANDARD=1300, GLACIER=600),)),
)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    writer = Store(tmp_path / "history.sqlite3")
    for snap in SNAPSHOTS:
        writer.save(snap)
    writer.close()
    return Store(tmp_path / "history.sqlite3", read_only=True)


def summary(total: str | None, by_class: dict[str, str | None], by_bucket: dict[str, str | None]) -> CostSummary:
    def d(v: str | None) -> Decimal | None:
        return None if v is None else Decimal(v)

    return CostSummary(
        Decimal(total or "0"),
        d(total),
        (),
        by_class={k: d(v) for k, v in by_class.items()},
        by_bucket={k: d(v) for k, v in by_bucket.items()},
    )


def test_the_account_history_is_exact_and_keeps_each_points_strategy(store: Store) -> None:
    costs = {
        1: summary("1.5", {"STANDARD": "1", "GLACIER": "0.5"}, {"big": "1.4", EVIL: "0.1"}),
        2: summary(None, {"STANDARD": "2", "STANDARD_IA": None}, {"big": "2", BLOB: None}),
        # snapshot 3 not priced: nulls, never 0
    }
    data = history_data(store, top=2, costs=costs)
    assert data == {
        "Bucket": None,
        "Limit": 100,
        "Top": 2,
        "Shown": 3,
        "Stored": 3,
        "Priced": True,
        "Currency": "USD",
        "Prices": [],
        "Strategies": ["cloudwatch", "list"],
        "Snapshots": [
            {"Id": 1, "TakenAt": "2026-03-01T12:00:00Z", "Strategy": "cloudwatch", "Files": 11, "Bytes": 1507,
             "CostPerMonth": "1.500000"},
            {"Id": 2, "TakenAt": "2026-03-02T12:00:00Z", "Strategy": "list", "Files": 14, "Bytes": 1230,
             "CostPerMonth": None},
            {"Id": 3, "TakenAt": "2026-03-03T12:00:00Z", "Strategy": "cloudwatch", "Files": 13, "Bytes": 1900,
             "CostPerMonth": None},
        ],
        "Classes": [
            {"Code": "STANDARD", "Name": "Standard", "Bytes": [1007, 1200, 1300],
             "CostPerMonth": ["1.000000", "2.000000", None]},
            {"Code": "STANDARD_IA", "Name": "Standard-IA", "Bytes": [0, 30, 0],
             "CostPerMonth": ["0.000000", None, None]},
            {"Code": "GLACIER", "Name": "Glacier Flexible Retrieval", "Bytes": [500, 0, 600],
             "CostPerMonth": ["0.500000", "0.000000", None]},
        ],
        # the largest in the newest snapshot (only "big" is left in it), then nothing else
        "Buckets": [
            {"Bucket": "big", "Files": [10, 12, 13], "Bytes": [1500, 1200, 1900],
             "CostPerMonth": ["1.400000", "2.000000", None]},
        ],
    }  # fmt: skip
    json.dumps(data)  # JSON-able as is


def test_a_buckets_history_has_nulls_where_a_snapshot_lacks_it(store: Store) -> None:
    data = history_data(store, bucket=BLOB, costs={2: summary(None, {}, {BLOB: None})})
    assert [(s["Files"], s["Bytes"], s["CostPerMonth"]) for s in data["Snapshots"]] == [
        (None, None, None),
        (2, 30, None),
        (None, None, None),
    ]
    assert data["Classes"] == [{"Code": "STANDARD_IA", "Name": "Standard-IA", "Bytes": [None, 30, None]}]
    assert "Buckets" not in data and data["Bucket"] == BLOB
    evil = history_data(store, bucket=EVIL)
    assert [s["Bytes"] for s in evil["Snapshots"]] == [7, None, None]
    assert evil["Classes"] == [{"Code": "STANDARD", "Name": "Standard", "Bytes": [7, None, None]}]
    assert "CostPerMonth" not in evil["Snapshots"][0] and evil["Priced"] is False


def test_the_window_and_the_current_snapshot(store: Store) -> None:
    data = history_data(store, upto=2, limit=1)
    assert (data["Shown"], data["Stored"], [s["Id"] for s in data["Snapshots"]]) == (1, 2, [2])
    assert data["Strategies"] == ["list"]
    now = Snapshot("inventory", T0 + timedelta(days=9), (report("big", 20, STANDARD=5000), report("new", 1, GLACIER=9)))
    cost = CostSummary.of(cost_snapshot(now, book([shipped_table()])))
    data = history_data(store, limit=3, current=now, current_cost=cost, top=5)
    assert [s["Id"] for s in data["Snapshots"]] == [2, 3, None]  # the newest 2 stored, then this report
    assert (data["Shown"], data["Stored"], data["Strategies"]) == (3, 4, ["list", "cloudwatch", "inventory"])
    assert data["Snapshots"][-1] == {
        "Id": None,
        "TakenAt": "2026-03-10T12:00:00Z",
        "Strategy": "inventory",
        "Files": 21,
        "Bytes": 5009,
        "CostPerMonth": f"{cost.total:f}",
    }
    assert [b["Bucket"] for b in data["Buckets"]] == ["big", "new"]
    assert data["Buckets"][1]["Bytes"] == [None, None, 9]
    assert data["Snapshots"][0]["CostPerMonth"] is None  # stored snapshots the caller did not price


def test_cost_summary_keeps_per_class_and_per_bucket_totals() -> None:
    snap = SNAPSHOTS[0]
    cost = cost_snapshot(snap, book([shipped_table()]))
    found = CostSummary.of(cost)
    assert found.by_bucket == {"big": cost.buckets["big"].total, EVIL: cost.buckets[EVIL].total}
    assert list(found.by_class) == ["STANDARD", "GLACIER"] and found.by_class == cost.by_class
    assert sum(v for v in found.by_class.values() if v is not None) == found.priced
    nothing = CostSummary.of(cost_snapshot(snap, book([])))  # no prices: unknown per class, never 0
    assert nothing.total is None and set(nothing.by_class.values()) == {None}
    assert set(nothing.by_bucket.values()) == {None}


HISTORY_BLOCK = re.compile(r'<script type="application/json" id="s3sa-history">(.*?)</script>', re.DOTALL)


def test_the_page_carries_the_history_escaped(store: Store) -> None:
    data = export_history(store, None, current=SNAPSHOTS[0])  # its largest two: big and the evil name
    assert data is not None and [b["Bucket"] for b in data["Buckets"]] == ["big", EVIL]
    page = render(SNAPSHOTS[0], "html", history=data)
    (block,) = HISTORY_BLOCK.findall(page)
    assert json.loads(block) == data  # the data block reads back as the dict
    assert "<script>alert" not in page
    section = page.split('<section id="history"')[1].split("</section>")[0]
    assert "<script>alert" not in section and "\u202e" not in page and "<!--" not in section
    assert "&lt;/script&gt;&lt;script&gt;alert" in section  # the evil name, shown as text in the bucket table
    assert 'id="history-chart"' in section and 'id="history-table"' in section
    assert page.count('id="s3sa-history"') == 1
    row: Any = re.findall(r'<tr data-index="2">.*?</tr>', section)[0]
    assert 'data-value="1900"' in row and ">cloudwatch<" in row
    assert 'value="cost" disabled' in section  # not priced: the cost toggle is off


def test_no_history_section_for_one_snapshot_or_none(tmp_path: Path) -> None:
    writer = Store(tmp_path / "one.sqlite3")
    assert export_history(writer, None) is None
    writer.save(SNAPSHOTS[0])
    assert export_history(writer, None) is None
    assert export_history(writer, None, current=SNAPSHOTS[1]) is not None  # the stored one and this report
    page = render(SNAPSHOTS[0], "html")
    assert 'id="history"' not in page and "s3sa-history" not in page and "history-chart" not in page
