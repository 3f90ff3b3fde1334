"""The HTML report's history section in Chromium, from file:// with the network blocked (the ``page`` fixture
fails a test on any console error or request leaving the machine): the chart draws, two strategies give
two series that never share a point (so no line joins them), the toggles redraw, the tables are the data,
and a hostile bucket name is text in the tooltip and the table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from s3_storage_analyser.model import Bucket, BucketReport, Snapshot, Usage
from s3_storage_analyser.pricing.book import book
from s3_storage_analyser.pricing.cost import cost_snapshot
from s3_storage_analyser.pricing.shipped import shipped_table
from s3_storage_analyser.render import render
from s3_storage_analyser.render.html.history import export_history
from s3_storage_analyser.store import Store
from support.browser import OpenFile, PageLog, file_url, painted

BOOK = book([shipped_table()])
T0 = datetime(2026, 6, 1, tzinfo=UTC)
EVIL = '<img src=x onerror="window.pwned=1">\u202e'
SHOWN = EVIL.replace("\u202e", "\\u202e")  # how the chart writes it: the bidi mark as a visible escape
# cloudwatch, list, cloudwatch, cloudwatch, list: a strategy's points with the other's between them
STRATEGIES = ("cloudwatch", "list", "cloudwatch", "cloudwatch", "list")

PAINTED = painted("#history-chart canvas")
OPTION = """() => {
  const option = echarts.getInstanceByDom(document.getElementById('history-chart')).getOption();
  return option.series.map(s => ({name: s.name, data: s.data, connectNulls: s.connectNulls, type: s.type}));
}"""
HISTORY = "JSON.parse(document.getElementById('s3sa-history').textContent)"


def snapshots() -> list[Snapshot]:
    out = []
    for i, strategy in enumerate(STRATEGIES):
        reports = (
            BucketReport(
                Bucket("big", "us-east-1"), Usage(objects=10 + i, bytes_by_class={"STANDARD": 10**12 * (i + 1)})
            ),
            BucketReport(
                Bucket(EVIL, "us-east-1"),
                Usage(objects=3, bytes_by_class={"STANDARD_IA": 5 * 10**11, "GLACIER": 10**9 * i}),
            ),
        )
        out.append(Snapshot(strategy, T0 + timedelta(days=i), reports))
    return out


def write_page(tmp_path: Path, priced: bool = True) -> tuple[Path, dict[str, Any]]:
    store = Store(tmp_path / "history.sqlite3")
    saved = snapshots()
    for snap in saved:
        store.save(snap)
    history = export_history(store, BOOK if priced else None)
    store.close()
    assert history is not None
    path = tmp_path / "report.html"
    cost = cost_snapshot(saved[-1], BOOK) if priced else None
    path.write_text(render(saved[-1], "html", cost=cost, history=history), encoding="utf-8")
    return path, history


def check_no_joins(series: list[dict[str, Any]], history: dict[str, Any]) -> None:
    """Each series holds the points of one strategy only (others null, never connected)."""
    strategies = [s["Strategy"] for s in history["Snapshots"]]
    for line in series:
        assert line["type"] == "line" and line["connectNulls"] is False
        own = {strategies[i] for i, v in enumerate(line["data"]) if v is not None}
        assert len(own) == 1, line["name"]
        assert line["name"].endswith(" · " + own.pop())


def test_the_history_draws_one_series_per_strategy(tmp_path: Path, open_file: OpenFile, page_log: PageLog) -> None:
    path, history = write_page(tmp_path)
    page = open_file(path)
    assert page_log.requests == [file_url(path)] and page_log.external == []
    page.wait_for_selector("#history-chart[data-drawn='true'] canvas")
    assert page.evaluate(PAINTED) > 5_000
    assert page.evaluate(HISTORY) == history
    assert (
        page.inner_text("#history-count") == "5 of 5 snapshots shown, oldest first, each priced with the same prices."
    )
    series = page.evaluate(OPTION)
    assert [s["name"] for s in series] == ["Total · cloudwatch", "Total · list"]
    check_no_joins(series, history)
    totals = [s["Bytes"] for s in history["Snapshots"]]
    assert series[0]["data"] == [totals[0], None, totals[2], totals[3], None]  # a gap where list measured
    assert series[1]["data"] == [None, totals[1], None, None, totals[4]]
    for view, measure, names in (
        ("classes", "bytes", 6),  # 3 classes x 2 strategies
        ("buckets", "bytes", 4),
        ("buckets", "cost", 4),
        ("total", "cost", 2),
    ):
        page.check(f"#history-view input[value='{view}']")
        page.check(f"#history-measure input[value='{measure}']")
        assert page.get_attribute("#history-chart", "data-view") == f"{view}/{measure}"
        series = page.evaluate(OPTION)
        assert len(series) == names, (view, measure)
        check_no_joins(series, history)
    expected = [float(s["CostPerMonth"]) for s in history["Snapshots"]]
    assert [v for s in series for v in s["data"] if v is not None] == [
        expected[i] for i in (0, 2, 3, 1, 4)
    ]  # cloudwatch's points, then list's
    assert page.evaluate(PAINTED) > 5_000


def test_the_tables_are_the_data(tmp_path: Path, open_file: OpenFile) -> None:
    path, history = write_page(tmp_path)
    page = open_file(path)
    page.click("#history-numbers summary")
    cells = page.locator("#history-table tbody tr").evaluate_all(
        "rows => rows.map(r => [r.querySelector('th').textContent, r.children[2].textContent,"
        " r.children[3].dataset.value, r.children[4].dataset.value, r.children[5].dataset.cost])"
    )
    assert cells == [
        [str(s["Id"]), s["Strategy"], str(s["Files"]), str(s["Bytes"]), s["CostPerMonth"] or ""]
        for s in history["Snapshots"]
    ]
    heads = page.locator("#history-buckets-table thead th").all_text_contents()
    assert heads == ["Snapshot", *(b["Bucket"] for b in history["Buckets"])]  # the hostile name as text
    values = page.locator("#history-buckets-table tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.querySelectorAll('td')).map(c => [c.dataset.value, c.dataset.cost]))"
    )
    assert values == [
        [[str(b["Bytes"][i]), b["CostPerMonth"][i] or ""] for b in history["Buckets"]]
        for i in range(len(history["Snapshots"]))
    ]
    classes = page.locator("#history-classes-table tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.querySelectorAll('td')).map(c => c.dataset.value))"
    )
    assert classes == [[str(c["Bytes"][i]) for c in history["Classes"]] for i in range(len(history["Snapshots"]))]
    assert page.locator("#history-buckets-table img").count() == 0
    assert page.evaluate("window.pwned") is None


def test_the_tooltip_names_the_strategy_and_shows_names_as_text(tmp_path: Path, open_file: OpenFile) -> None:
    path, history = write_page(tmp_path, priced=False)
    page = open_file(path)
    page.wait_for_selector("#history-chart[data-drawn='true']")
    assert page.is_disabled("#history-measure input[value='cost']")
    page.check("#history-view input[value='buckets']")
    series = page.evaluate(OPTION)
    index = next(i for i, s in enumerate(series) if s["name"] == f"{SHOWN} · list")
    page.evaluate(
        "i => echarts.getInstanceByDom(document.getElementById('history-chart'))"
        ".dispatchAction({type: 'showTip', seriesIndex: i, dataIndex: 4})",
        index,
    )
    tip = page.wait_for_selector(".history-tip")
    assert tip is not None
    text = tip.inner_text()
    assert SHOWN in text and "\u202e" not in text and "strategy: list" in text and "snapshot 5" in text
    assert f"{history['Buckets'][1]['Bytes'][4]:,} bytes" in text
    assert page.locator(".history-tip img").count() == 0 and page.evaluate("window.pwned") is None
