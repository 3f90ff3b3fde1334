"""``--fmt html`` in Chromium: the file opens from file:// offline, shows the JSON's numbers, draws its
treemap, pages through 2,000 buckets, and shows hostile names as text (the ``page`` fixture fails a test
on any console error or request leaving the machine)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from s3_storage_analyser.model import Bucket, BucketReport, Failure, Notice, Snapshot, Usage
from s3_storage_analyser.pricing.book import book
from s3_storage_analyser.pricing.cost import SnapshotCost, cost_snapshot
from s3_storage_analyser.pricing.shipped import shipped_table
from s3_storage_analyser.render import render
from support.browser import OpenFile, PageLog, file_url, painted
from support.report_fixture import SNAPSHOT
from support.snapshots import big_snapshot

BOOK = book([shipped_table()])
T = datetime(2026, 11, 29, tzinfo=UTC)

PAINTED = painted("#treemap canvas")
SERIES = "() => echarts.getInstanceByDom(document.getElementById('treemap')).getOption().series[0]"


def write(tmp_path: Path, snapshot: Snapshot, cost: SnapshotCost | None = None) -> Path:
    path = tmp_path / "report.html"
    path.write_text(render(snapshot, "html", cost=cost), encoding="utf-8")
    return path


def data_of(snapshot: Snapshot, cost: SnapshotCost | None = None) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(render(snapshot, "json", cost=cost))
    return parsed


def rows(page: Page, column: int) -> list[str]:
    """The ``data-raw`` (or the text) of one column of the bucket table's shown rows (0: the name)."""
    if column == 0:
        return page.locator("#bucket-rows tr th").all_text_contents()
    cells = page.locator(f"#bucket-rows tr > :nth-child({column + 1})")
    found = cells.evaluate_all("cells => cells.map(c => c.hasAttribute('data-raw') ? c.dataset.raw : c.textContent)")
    return [str(value) for value in found]


# --- the fixed report, priced -------------------------------------------------------------------------


def test_opens_offline_with_the_json_numbers(tmp_path: Path, open_file: OpenFile, page_log: PageLog) -> None:
    cost = cost_snapshot(SNAPSHOT, BOOK)
    path = write(tmp_path, SNAPSHOT, cost)
    page = open_file(path)
    data = data_of(SNAPSHOT, cost)
    assert page_log.requests == [file_url(path)]  # the file itself, nothing else
    assert page_log.external == []
    assert page.evaluate("JSON.parse(document.getElementById('s3sa-data').textContent)") == data
    total = sum(b["Bytes"] for b in data["Buckets"])
    assert page.get_attribute("#total-bytes", "data-raw") == str(total)
    assert page.get_attribute("#total-bytes", "title") == f"{total:,} bytes"
    assert page.inner_text("#total-files") == f"{sum(b['Files'] for b in data['Buckets']):,}"
    assert (
        page.get_attribute("#total-cost", "title")
        == f"at least {data['Cost']['PricedPerMonth']} USD: part of it has no price"
    )
    # Largest first: each shown bucket's objects, bytes and cost are the JSON's.
    assert rows(page, 0) == ["archive-eu", "logs", "empty-bucket"]
    by_name = {b["Bucket"]: b for b in data["Buckets"]}
    for name, files, size, amount in zip(rows(page, 0), rows(page, 2), rows(page, 3), rows(page, 5), strict=True):
        assert (int(files), int(size)) == (by_name[name]["Files"], by_name[name]["Bytes"])
        assert amount == (by_name[name]["CostPerMonth"] or "")
    assert page.locator("#bucket-rows tr").first.locator("td.raw").inner_text() == str(by_name["archive-eu"]["Bytes"])
    assert "GFR 3.0 TiB" in page.locator("#bucket-rows tr").first.locator("td.classes").inner_text()
    assert page.inner_text("#failures tbody th") == "secret-bucket"


def test_the_treemap_draws_bytes_and_cost(tmp_path: Path, open_file: OpenFile) -> None:
    cost = cost_snapshot(SNAPSHOT, BOOK)
    page = open_file(write(tmp_path, SNAPSHOT, cost))
    page.wait_for_selector("#treemap[data-drawn='true'] canvas")
    assert page.evaluate(PAINTED) > 10_000
    series = page.evaluate(SERIES)
    data = data_of(SNAPSHOT, cost)
    assert {n["name"]: n["value"] for n in series["data"]} == {
        b["Bucket"]: b["Bytes"] for b in data["Buckets"] if b["Bytes"]
    }
    page.check("#treemap-measure input[value='cost']")
    series = page.evaluate(SERIES)
    assert series["name"] == "Monthly cost"
    logs = next(b for b in data["Buckets"] if b["Bucket"] == "logs")
    (node,) = [n for n in series["data"] if n["name"] == "logs"]
    assert {c["code"]: c["exact"] for c in node["children"]} == {
        code: amount for code, amount in logs["CostByClass"].items() if float(amount) > 0
    }
    assert page.evaluate(PAINTED) > 10_000


def test_without_prices_the_cost_treemap_is_off(tmp_path: Path, open_file: OpenFile) -> None:
    page = open_file(write(tmp_path, SNAPSHOT))
    assert page.is_disabled("#treemap-measure input[value='cost']")
    assert page.locator("#total-cost").count() == 0
    assert page.locator("#bucket-table thead th").all_text_contents()[:5] == [
        "Bucket",
        "Region",
        "Objects",
        "Size",
        "Bytes",
    ]


# --- 2,000 buckets x 8 classes -------------------------------------------------------------------------


def test_search_sort_and_pages_over_2000_buckets(tmp_path: Path, open_file: OpenFile) -> None:
    snapshot = big_snapshot()
    page = open_file(write(tmp_path, snapshot))
    data = data_of(snapshot)
    sizes = sorted((b["Bytes"] for b in data["Buckets"]), reverse=True)
    assert page.inner_text("#bucket-count") == "2,000 buckets"
    assert page.locator("#bucket-rows tr").count() == 50
    assert [int(v) for v in rows(page, 3)] == sizes[:50]
    assert page.inner_text("#bucket-page") == "Rows 1–50 of 2,000 (page 1 of 40)"
    page.click("#bucket-next")
    assert [int(v) for v in rows(page, 3)] == sizes[50:100]
    assert page.is_enabled("#bucket-prev")
    # Sort by size again: smallest first, from the first page.
    page.click("#bucket-table th[data-sort='Bytes'] button")
    assert page.get_attribute("#bucket-table th[data-sort='Bytes']", "aria-sort") == "ascending"
    assert [int(v) for v in rows(page, 3)] == sorted(sizes)[:50]
    page.click("#bucket-table th[data-sort='Bucket'] button")
    assert rows(page, 0)[:3] == ["bucket-00000", "bucket-00001", "bucket-00002"]
    page.select_option("#bucket-page-size", "500")
    assert page.locator("#bucket-rows tr").count() == 500
    page.fill("#bucket-search", "bucket-0199")
    assert rows(page, 0) == [f"bucket-0199{i}" for i in range(10)]
    assert page.inner_text("#bucket-count") == "10 of 2,000 buckets"
    assert page.is_disabled("#bucket-next")
    page.fill("#bucket-search", "eu-west-1")
    assert page.inner_text("#bucket-count") == "500 of 2,000 buckets"
    page.fill("#bucket-search", "no-such-bucket")
    assert page.inner_text("#bucket-rows") == "No bucket matches."
    # The classes table adds up to the JSON's.
    gfr = sum(b["Bytes-GFR"] for b in data["Buckets"])
    assert page.inner_text("#classes tr[data-class='GLACIER'] td.raw") == str(gfr)
    # The treemap: the largest 200 buckets, and one tile of the other 1,800 holding the rest of the bytes.
    assert page.evaluate(PAINTED) > 10_000
    tiles = page.evaluate(SERIES)["data"]
    assert [t["name"] for t in tiles[:200]] == [
        b["Bucket"] for b in sorted(data["Buckets"], key=lambda b: -b["Bytes"])
    ][:200]
    assert tiles[200]["name"] == "1,800 other buckets"
    assert tiles[200]["value"] == sum(sizes[200:])
    assert {c["code"]: c["value"] for c in tiles[200]["children"]}["GLACIER"] == gfr - sum(
        t["value"] for tile in tiles[:200] for t in tile["children"] if t["code"] == "GLACIER"
    )


# --- hostile names ------------------------------------------------------------------------------------

HOSTILE = [
    "</script><script>window.__pwned = 1</script>",
    '<img src=x onerror="window.__pwned = 2">',
    "\"'><svg onload=window.__pwned=3>",
    "\u202eevil\u2066bidi",
    "<!--<script>window.__pwned = 4</script>",
]


def test_hostile_names_are_shown_as_text_and_run_nothing(
    tmp_path: Path, open_file: OpenFile, page_log: PageLog
) -> None:
    reports = tuple(
        BucketReport(Bucket(name, "us-east-1"), Usage(objects=1, bytes_by_class={"STANDARD": 10**9 * (i + 1)}))
        for i, name in enumerate(HOSTILE)
    )
    snapshot = Snapshot(
        "list",
        T,
        reports,
        failures=tuple(Failure(name, None, "list", "E", f"message {name}") for name in HOSTILE),
        notices=(Notice(HOSTILE[1], HOSTILE[0]),),
    )
    page = open_file(write(tmp_path, snapshot, cost_snapshot(snapshot, BOOK)))
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img, svg").count() == 0  # ECharts draws on canvas; no name became an element
    assert sorted(rows(page, 0)) == sorted(HOSTILE)
    assert page.locator("#failures tbody th").all_text_contents() == HOSTILE
    assert page.locator("#failures td.message").all_text_contents() == [f"message {n}" for n in HOSTILE]
    # The tooltip (built by the page's script) shows a name as text too.
    box = page.locator("#treemap").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.6)
    page.wait_for_function("document.querySelector('#treemap div strong') !== null")
    assert page.locator("#treemap div strong").first.inner_text().split(" › ")[0] in HOSTILE
    page.fill("#bucket-search", "svg")
    assert rows(page, 0) == [HOSTILE[2]]
    assert page.evaluate("window.__pwned") is None
    assert page_log.requests == [file_url(tmp_path / "report.html")]


# --- the demo account, through the CLI ----------------------------------------------------------------


@pytest.mark.slow
def test_the_demo_report_opens(tmp_path: Path, open_file: OpenFile) -> None:
    out = tmp_path / "demo.html"
    run = subprocess.run(
        # A small demo account (as tests/integration/test_demo.py runs it): the page, not the seeding, is tested.
        [sys.executable, "-m", "s3_storage_analyser", "demo", "--scale", "0.05", "--fmt", "html", "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    page = open_file(out)
    data = page.evaluate("JSON.parse(document.getElementById('s3sa-data').textContent)")
    assert len(data["Buckets"]) >= 5 and "Cost" in data
    assert page.get_attribute("#total-bytes", "data-raw") == str(sum(b["Bytes"] for b in data["Buckets"]))
    assert page.get_attribute("#total-cost", "data-raw") == data["Cost"]["PerMonth"]
    assert page.locator("#bucket-rows tr").count() == len(data["Buckets"])
    page.wait_for_selector("#treemap[data-drawn='true'] canvas")
    assert page.evaluate(PAINTED) > 10_000


@pytest.mark.parametrize("buckets", [0, 1])
def test_an_empty_account_opens_without_error(tmp_path: Path, open_file: OpenFile, buckets: int) -> None:
    reports = tuple(BucketReport(Bucket(f"empty-{i}", "us-east-1"), Usage()) for i in range(buckets))
    snapshot = Snapshot("cloudwatch", T, reports)
    page = open_file(write(tmp_path, snapshot, cost_snapshot(snapshot, BOOK)))
    page.wait_for_selector("#treemap[data-drawn='true']")
    assert page.inner_text("#bucket-count") == ("0 buckets" if buckets == 0 else "1 bucket")
    if buckets:
        assert rows(page, 0) == ["empty-0"] and rows(page, 3) == ["0"]
    else:
        assert page.inner_text("#bucket-rows") == "No buckets."
    assert page.get_attribute("#total-bytes", "data-raw") == "0"
    page.check("#treemap-measure input[value='cost']")
    assert page.evaluate(SERIES)["data"] == []
