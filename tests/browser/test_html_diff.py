"""``diff --fmt html`` in Chromium: the file opens from file:// offline, shows the JSON's numbers, draws its
bar chart, searches, sorts and pages through 2,000 buckets x 8 classes, and shows hostile names as text
(the ``page`` fixture fails a test on any console error or request leaving the machine)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from s3_storage_analyser.safetext import printable
from support.browser import OpenFile, PageLog, file_url, painted
from support.diff_pages import HOSTILE, Pair, as_json, big_pair, hostile_pair, render_pair, small_pair

PAINTED = painted("#chart canvas")  # non-transparent pixels of the chart: 0 when nothing was drawn
OPTION = "() => echarts.getInstanceByDom(document.getElementById('chart')).getOption()"


def write(tmp_path: Path, pair: Pair, *, priced: bool = False) -> Path:
    path = tmp_path / "diff.html"
    path.write_text(render_pair(pair, "html", priced=priced), encoding="utf-8")
    return path


def column(page: Page, index: int, table: str = "change-rows") -> list[str]:
    """One column of a table's shown rows: each cell's ``data-raw`` when it has one, else its text."""
    cells = page.locator(f"#{table} tr > :nth-child({index + 1})")
    found = cells.evaluate_all("cells => cells.map(c => c.hasAttribute('data-raw') ? c.dataset.raw : c.textContent)")
    return [str(value) for value in found]


def bars(page: Page) -> list[tuple[str, Any]]:
    """The chart's bars as (bucket, value), largest first: grows and shrinks are two series on one axis."""
    option = page.evaluate(OPTION)
    names = option["yAxis"][0]["data"]
    grows, shrinks = (s["data"] for s in option["series"])
    values = [g["value"] if g["value"] is not None else s["value"] for g, s in zip(grows, shrinks, strict=True)]
    return list(reversed(list(zip(names, values, strict=True))))


# --- the small pair, priced -----------------------------------------------------------------------------


def test_opens_offline_with_the_json_numbers(tmp_path: Path, open_file: OpenFile, page_log: PageLog) -> None:
    pair = small_pair(strategies=("cloudwatch", "list"))
    path = write(tmp_path, pair, priced=True)
    page = open_file(path)
    data = as_json(pair, priced=True)
    assert page_log.requests == [file_url(path)]  # the file itself, nothing else
    assert page.evaluate("JSON.parse(document.getElementById('s3sa-data').textContent)") == data
    assert page.is_visible("#strategy-warning")
    assert page.inner_text("#before-strategy") == "cloudwatch" and page.inner_text("#after-strategy") == "list"
    change = data["After"]["Bytes"] - data["Before"]["Bytes"]
    assert page.get_attribute("#total-bytes-change", "data-raw") == str(change)
    assert page.get_attribute("#total-bytes-change", "title") == f"{change:+,} bytes"
    assert page.get_attribute("#total-cost-after", "data-raw") == data["After"]["CostPerMonth"]
    # Every row, in the JSON's order (largest change either way first), with its exact numbers.
    assert page.inner_text("#change-count") == f"{len(data['Changes'])} rows"
    shown = list(
        zip(
            page.locator("#change-rows tr th").all_text_contents(),
            column(page, 2),
            column(page, 3),
            column(page, 4),
            column(page, 7),
            strict=True,
        )
    )
    assert shown == [
        (r["Bucket"], str(r["BytesBefore"]), str(r["BytesAfter"]), str(r["BytesChange"]), r["CostChange"] or "")
        for r in data["Changes"]
    ]
    assert page.locator("#change-rows tr[data-bucket='created'][data-class='ALL'] td").nth(4).inner_text() == "new"
    # Sorted by cost change: the largest growth in money first, unknown last.
    page.click("#change-table th[data-sort='CostChange'] button")
    costs = [Decimal(v) for v in column(page, 7) if v]
    assert costs == sorted(costs, reverse=True) and costs[0] > 0


def test_the_chart_draws_the_largest_changes_and_its_table_holds_its_numbers(
    tmp_path: Path, open_file: OpenFile
) -> None:
    pair = small_pair()
    page = open_file(write(tmp_path, pair, priced=True))
    page.wait_for_selector("#chart[data-drawn='true'] canvas")
    assert page.evaluate(PAINTED) > 5_000
    data = as_json(pair, priced=True)
    totals = [r for r in data["Changes"] if r["StorageClass"] == "ALL" and r["BytesChange"]]
    expected = sorted(((r["Bucket"], r["BytesChange"]) for r in totals), key=lambda b: -abs(b[1]))
    assert bars(page) == expected
    option = page.evaluate(OPTION)
    grows = [d["value"] for d in option["series"][0]["data"] if d["value"] is not None]
    assert grows and all(v > 0 for v in grows)
    assert all(d["value"] is None or d["value"] < 0 for d in option["series"][1]["data"])
    # The chart's numbers, in its table: the same bars, exact.
    page.click("#chart-numbers summary")
    table = page.locator("#chart-rows tr th").all_text_contents()
    assert list(zip(table, [int(v) for v in column(page, 1, "chart-rows")], strict=True)) == expected
    # Monthly cost: the JSON's exact change strings.
    page.check("#chart-measure input[value='cost']")
    priced = [r for r in totals if r["CostChange"] and Decimal(r["CostChange"])]
    assert [b[0] for b in bars(page)] == [
        r["Bucket"] for r in sorted(priced, key=lambda r: -abs(Decimal(r["CostChange"])))
    ]
    assert set(column(page, 1, "chart-rows")) == {r["CostChange"] for r in priced}
    assert page.evaluate(PAINTED) > 5_000


def test_without_prices_the_cost_chart_is_off(tmp_path: Path, open_file: OpenFile) -> None:
    page = open_file(write(tmp_path, small_pair()))
    assert page.is_disabled("#chart-measure input[value='cost']")
    assert page.locator("#total-cost-change").count() == 0
    assert page.locator("#change-table thead th").count() == 7
    assert page.locator("#strategy-warning").count() == 0


# --- 2,000 buckets x 8 classes --------------------------------------------------------------------------


def test_search_sort_and_pages_over_2000_buckets(tmp_path: Path, open_file: OpenFile) -> None:
    pair = big_pair()
    page = open_file(write(tmp_path, pair, priced=True))
    data = as_json(pair, priced=True)
    changes = data["Changes"]
    assert len(changes) == 2000 * 9
    assert page.inner_text("#change-count") == "18,000 rows"
    assert page.inner_text("#change-page") == "Rows 1–50 of 18,000 (page 1 of 360)"
    assert column(page, 4) == [str(r["BytesChange"]) for r in changes[:50]]
    page.click("#change-next")
    assert column(page, 4) == [str(r["BytesChange"]) for r in changes[50:100]]
    # Bucket totals only, sorted by change: the largest growth first, then the largest shrinkage first.
    page.select_option("#change-class", "ALL")
    assert page.inner_text("#change-count") == "2,000 of 18,000 rows"
    totals = [r["BytesChange"] for r in changes if r["StorageClass"] == "ALL"]
    page.click("#change-table th[data-sort='BytesChange'] button")
    assert page.get_attribute("#change-table th[data-sort='BytesChange']", "aria-sort") == "descending"
    assert [int(v) for v in column(page, 4)] == sorted(totals, reverse=True)[:50]
    page.click("#change-table th[data-sort='BytesChange'] button")
    assert [int(v) for v in column(page, 4)] == sorted(totals)[:50]
    page.select_option("#change-page-size", "500")
    assert page.locator("#change-rows tr").count() == 500
    # Search within the class filter, then over every class.
    page.fill("#change-search", "bucket-0199")
    assert page.inner_text("#change-count") == "10 of 18,000 rows"
    page.select_option("#change-class", "GLACIER")
    assert page.inner_text("#change-count") == "10 of 18,000 rows"
    glacier = {r["Bucket"]: r for r in changes if r["StorageClass"] == "GLACIER"}
    shown = page.locator("#change-rows tr th").all_text_contents()
    assert sorted(shown) == [f"bucket-0199{i}" for i in range(10)]
    assert column(page, 3) == [str(glacier[name]["BytesAfter"]) for name in shown]
    assert column(page, 7) == [glacier[name]["CostChange"] or "" for name in shown]  # "" when unknown
    page.select_option("#change-class", "")
    assert page.inner_text("#change-count") == "90 of 18,000 rows"
    assert page.is_disabled("#change-next")
    page.click("#change-table th[data-sort='Bucket'] button")
    assert page.locator("#change-rows tr th").first.inner_text() == "bucket-01990"
    page.fill("#change-search", "no-such-bucket")
    assert page.inner_text("#change-rows") == "No change matches."
    # The class table adds up the JSON's rows; the chart shows the 30 largest bucket changes.
    before = sum(r["BytesBefore"] for r in glacier.values())
    assert page.get_attribute("#class-table tr[data-class='GLACIER'] td:nth-of-type(1)", "data-raw") == str(before)
    assert page.evaluate(PAINTED) > 5_000
    top = sorted((r for r in changes if r["StorageClass"] == "ALL"), key=lambda r: -abs(r["BytesChange"]))[:30]
    assert bars(page) == [(r["Bucket"], r["BytesChange"]) for r in top]


# --- hostile names -----------------------------------------------------------------------------------


def test_hostile_names_are_shown_as_text_and_run_nothing(
    tmp_path: Path, open_file: OpenFile, page_log: PageLog
) -> None:
    path = write(tmp_path, hostile_pair(), priced=True)
    page = open_file(path)
    page.wait_for_selector("#chart[data-drawn='true'] canvas")
    assert page.evaluate("window.__pwned") is None
    assert page.locator("main img, main svg").count() == 0  # ECharts draws on canvas; no name became an element
    # Shown with controls and bidi marks as visible escapes (no name reorders its row); exact in data-bucket.
    names = page.locator("#change-rows tr[data-class='ALL'] th").all_text_contents()
    assert sorted(names) == sorted(printable(n) for n in HOSTILE[:-1])
    assert "\\u202eevil\\u2066bidi\\u200f" in names
    exact = page.locator("#change-rows tr[data-class='ALL']").evaluate_all("rows => rows.map(r => r.dataset.bucket)")
    assert sorted(exact) == sorted(HOSTILE[:-1])
    assert HOSTILE[-1] in page.inner_text("#left-out")
    # The tooltip (built by the page's script) shows a name as text too.
    page.locator("#chart").scroll_into_view_if_needed()
    box = page.locator("#chart").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + 60)
    page.wait_for_function("() => document.querySelector('#chart div strong') !== null")
    assert page.locator("#chart div strong").first.inner_text() in [printable(n) for n in HOSTILE]
    page.fill("#change-search", "svg")
    assert set(page.locator("#change-rows tr th").all_text_contents()) == {HOSTILE[2]}
    assert page.evaluate("window.__pwned") is None
    assert page_log.requests == [file_url(path)]


def test_an_empty_diff_opens_without_error(tmp_path: Path, open_file: OpenFile) -> None:
    before, _ = small_pair()
    empty = type(before)("list", before.taken_at, ())
    page = open_file(write(tmp_path, (empty, empty), priced=True))
    page.wait_for_selector("#chart[data-drawn='true']")
    assert page.inner_text("#change-count") == "0 rows"
    assert page.inner_text("#change-rows") == "No buckets in either snapshot."
    assert page.get_attribute("#total-bytes-change", "data-raw") == "0"
    page.check("#chart-measure input[value='cost']")
    assert page.evaluate(OPTION)["yAxis"][0]["data"] == []
