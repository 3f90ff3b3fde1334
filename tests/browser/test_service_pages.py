"""The service's pages in Chromium, over a real loopback HTTP server (``support.live_service``).

On the demo account (scanned by ``s3sa demo --strategy list``, saved twice) and on 2,000 buckets x 8
classes: sign-in refuses a wrong token and shows no data; signed in, every page loads with no console
error and no request leaving the machine (the ``page`` fixture fails the test otherwise; a CSP violation
is a console error); the numbers shown are the JSON API's; the treemap and the history chart draw; the
start-scan button starts a scan that ends in a new snapshot; sign-out ends the session.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page

from s3_storage_analyser.pricing.book import book
from s3_storage_analyser.pricing.shipped import shipped_table
from s3_storage_analyser.store import Store
from support.browser import PageLog
from support.live_service import LiveService, live_service
from support.snapshots import T_BIG, big_snapshot

TOKEN = "browser-secret-7c1d"
BOOK = book([shipped_table()])
BEARER = {"Authorization": f"Bearer {TOKEN}"}


def api(service: LiveService, path: str) -> Any:
    response = httpx.get(service.url + path, headers=BEARER, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def sign_in(page: Page, service: LiveService, token: str = TOKEN, path: str = "/") -> None:
    page.goto(service.url + path)
    page.fill("#token", token)
    page.click("form.signin button[type=submit]")
    page.wait_for_load_state("load")


def canvas_painted(page: Page, selector: str) -> bool:
    """Whether the chart's canvas has any pixel that is not transparent."""
    return bool(
        page.locator(f"{selector} canvas").first.evaluate(
            """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                      for (let i = 3; i < d.length; i += 4) if (d[i]) return true; return false; }"""
        )
    )


# --- the demo account ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo account listed twice (versions, uploads, prefixes) into a history: the served snapshots."""
    db = tmp_path_factory.mktemp("demo") / "history.sqlite3"
    command = [
        sys.executable,
        "-m",
        "s3_storage_analyser",
        "demo",
        "--scale",
        "0.05",
        "--strategy",
        "list",
        "--versions",
        "--uploads",
        "--by",
        "prefix",
        "--save",
        "--db",
        str(db),
        "--fmt",
        "json",
        "--output",
        str(db.with_suffix(".json")),
    ]
    for _ in range(2):
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
    return db


@pytest.fixture
def demo(demo_db: Path) -> Iterator[LiveService]:
    store = Store(demo_db)
    latest = store.latest()
    assert latest is not None
    with live_service(store, lambda: latest[1], token=TOKEN, book=BOOK, warm=True) as service:
        yield service
    store.close()


@pytest.mark.allow_console_errors  # Chromium logs the 401 of the refused sign-in; it is checked to be the only one
def test_sign_in_refuses_a_wrong_token_and_shows_no_data(page: Page, demo: LiveService, page_log: PageLog) -> None:
    page.goto(demo.url + "/")
    assert page.url == demo.url + "/signin?next=/"
    sign_in(page, demo, token="not-the-token")
    assert "not the service's token" in page.locator("#signin-error").inner_text()
    names = [b["Bucket"] for b in api(demo, "/api/v1/report")["Buckets"]]
    content = page.content()
    assert page.locator("#s3sa-data").count() == 0
    assert not [name for name in names if name in content]
    assert page.context.cookies() == []
    assert page_log.page_errors == []
    assert page_log.console_errors == [
        f"Failed to load resource: the server responded with a status of 401 (Unauthorized) ({demo.url}/signin)"
    ]


def test_overview_shows_the_apis_numbers_and_draws(page: Page, demo: LiveService) -> None:
    sign_in(page, demo)
    assert page.url == demo.url + "/"
    report = api(demo, "/api/v1/report")
    assert int(page.locator("#total-bytes").get_attribute("data-raw") or "") == sum(
        b["Bytes"] for b in report["Buckets"]
    )
    assert int(page.locator("#total-files").get_attribute("data-raw") or "") == sum(
        b["Files"] for b in report["Buckets"]
    )
    assert page.locator("#total-cost").get_attribute("data-raw") == report["Cost"]["PerMonth"]
    assert json.loads(page.locator("#s3sa-data").text_content() or "") == report
    shown = page.locator("#bucket-rows tr").evaluate_all(
        "rows => rows.map(r => [r.dataset.bucket, Number(r.children[3].dataset.raw)])"
    )
    assert sorted(map(tuple, shown)) == sorted((b["Bucket"], b["Bytes"]) for b in report["Buckets"])
    page.wait_for_selector("#treemap[data-drawn=true]")
    assert canvas_painted(page, "#treemap")
    # The hidden costs the demo's listing found, as the API has them.
    noncurrent = sum(b.get("NoncurrentBytes", 0) for b in report["Buckets"])
    assert int(page.locator("#hidden-noncurrent").get_attribute("data-raw") or "") == noncurrent
    # Two listings of the same account: the change since the previous one is there, and it is zero.
    previous = page.locator("#changes-table tr[data-period=previous] td[data-raw]").first
    assert previous.get_attribute("data-raw") == "0"
    # The history of both listings draws, and its points are /api/v1/snapshots' (oldest first).
    page.wait_for_selector("#history-chart[data-drawn=true]")
    assert canvas_painted(page, "#history-chart")
    history = json.loads(page.locator("#s3sa-history").text_content() or "")
    listed = api(demo, "/api/v1/snapshots")["Snapshots"]
    assert [(p["Id"], p["Bytes"]) for p in history["Snapshots"]] == [(s["Id"], s["Bytes"]) for s in reversed(listed)]
    # The session cookie is out of the page's reach.
    assert page.evaluate("document.cookie") == ""
    cookie = next(c for c in page.context.cookies() if c["name"] == "s3sa_session")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"


def test_bucket_page_shows_the_buckets_entry(page: Page, demo: LiveService) -> None:
    sign_in(page, demo)
    first = page.locator("#bucket-rows tr th a").first
    name = first.inner_text()
    first.click()
    page.wait_for_load_state("load")
    assert page.locator("#bucket-name").inner_text() == name
    entry = next(b for b in api(demo, "/api/v1/report")["Buckets"] if b["Bucket"] == name)
    assert int(page.locator("#total-bytes").get_attribute("data-raw") or "") == entry["Bytes"]
    shown = page.locator("#class-table tbody tr[data-key]").evaluate_all(
        "rows => rows.map(r => [r.dataset.key, Number(r.querySelector('td.raw').dataset.raw)])"
    )
    assert shown and dict(shown) == {k: v for k, v in entry.items() if k.startswith("Bytes-") and v}
    assert page.locator("#breakdown-prefix tbody tr").count() == len(entry["Breakdowns"]["prefix"][:200])


def test_history_page_lists_the_apis_snapshots(page: Page, demo: LiveService) -> None:
    sign_in(page, demo, path="/history")
    assert page.url == demo.url + "/history"
    rows = page.locator("#snapshot-table tbody tr").evaluate_all(
        "rows => rows.map(r => [Number(r.dataset.id), Number(r.children[6].dataset.raw)])"
    )
    listed = api(demo, "/api/v1/snapshots")["Snapshots"]
    assert [tuple(r) for r in rows] == [(s["Id"], s["Bytes"]) for s in listed]


def test_start_scan_button_makes_a_new_snapshot(page: Page, demo: LiveService) -> None:
    before = demo.store.latest_ids(1)[0]
    sign_in(page, demo, path="/scans")
    page.click("#start-scan")
    page.wait_for_selector("#scan-table tr[data-status=succeeded]", timeout=30_000)  # the page reloads itself
    assert demo.store.latest_ids(1)[0] == before + 1
    scans = api(demo, "/api/v1/scans")
    assert scans[0]["Status"] == "succeeded" and scans[0]["SnapshotId"] == before + 1


def test_sign_out_ends_the_session(page: Page, demo: LiveService) -> None:
    sign_in(page, demo)
    session = next(c for c in page.context.cookies() if c["name"] == "s3sa_session")
    page.click("form.signout button")
    page.wait_for_load_state("load")
    assert page.url.startswith(demo.url + "/signin")
    page.goto(demo.url + "/history")
    assert page.url.startswith(demo.url + "/signin")
    assert page.locator("#snapshot-table").count() == 0
    stale = httpx.get(demo.url + "/api/v1/report", cookies={"s3sa_session": session["value"]}, timeout=10)
    assert stale.status_code == 401


# --- 2,000 buckets x 8 classes, with history -------------------------------------------------------------


@pytest.fixture(scope="module")
def big_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("big") / "history.sqlite3"
    store = Store(db)
    for day in range(3):
        store.save(big_snapshot(2000, T_BIG - timedelta(days=10 * (2 - day)), seed=12 + day))
    store.close()
    return db


def test_two_thousand_buckets_load_search_and_page(page: Page, big_db: Path) -> None:
    store = Store(big_db)
    try:
        with live_service(store, lambda: big_snapshot(2000), token=None, book=BOOK, warm=True) as service:
            page.goto(service.url + "/")  # --no-auth on loopback: no sign-in
            report = api(service, "/api/v1/report")
            assert int(page.locator("#total-buckets").get_attribute("data-raw") or "") == 2000
            # Part of it has no price (ap-southeast-1 is partly priced): shown as at least the priced part.
            assert report["Cost"]["PerMonth"] is None
            assert report["Cost"]["PricedPerMonth"] in (page.locator("#total-cost").get_attribute("title") or "")
            page.wait_for_selector("#treemap[data-drawn=true]")
            assert page.locator("#bucket-rows tr").count() == 50
            page.fill("#bucket-search", "bucket-01999")
            assert page.locator("#bucket-rows tr").count() == 1
            page.fill("#bucket-search", "")
            page.click("#bucket-next")
            assert "Rows 51–100 of 2,000" in page.locator("#bucket-page").inner_text()
            page.goto(service.url + "/history")
            assert page.locator("#snapshot-table tbody tr").count() == 3
            page.wait_for_selector("#history-chart[data-drawn=true]")
            assert canvas_painted(page, "#history-chart")
            priced = json.loads(page.locator("#s3sa-history").text_content() or "")
            assert priced["Priced"] is True  # warmed at start: the history's costs are all there
            page.goto(service.url + "/bucket/bucket-00007")
            assert page.locator("#bucket-name").inner_text() == "bucket-00007"
    finally:
        store.close()
