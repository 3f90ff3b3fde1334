"""A scan of several accounts in Chromium: the report file and the service's overview show an Account
column (searchable by id and by name) and an accounts table, both equal to the JSON report's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page

from s3_storage_analyser.diff import diff
from s3_storage_analyser.pricing.book import book
from s3_storage_analyser.pricing.cost import cost_snapshot
from s3_storage_analyser.pricing.shipped import shipped_table
from s3_storage_analyser.render import render
from s3_storage_analyser.render.diff import render_diff
from s3_storage_analyser.store import Store
from support.accounts_fixture import AUDIT, DEV, HOSTILE, MULTI, PROD
from support.browser import OpenFile
from support.live_service import LiveService, live_service

BOOK = book([shipped_table()])
TOKEN = "accounts-secret-41f2"
BEARER = {"Authorization": f"Bearer {TOKEN}"}

# Each shown bucket row: [bucket, the Account cell's data-account, its text].
BUCKET_ROWS = """rows => rows.map(r => {
  const cell = r.querySelector('td.account');
  return [r.dataset.bucket, cell.dataset.account, cell.textContent];
})"""
# Each accounts-table row: [id, name, covered text, buckets, files, bytes, cost] as shown (data-raw where set).
ACCOUNT_ROWS = """rows => rows.map(r => [r.dataset.account, ...Array.from(r.children).slice(1).map(
  c => c.hasAttribute('data-raw') ? c.dataset.raw : c.textContent)])"""


def label(bucket: dict[str, Any]) -> str:
    return f"{bucket['Account']} ({bucket['AccountName']})" if bucket["AccountName"] else bucket["Account"]


def expected_accounts(report: dict[str, Any]) -> list[list[str]]:
    rows = []
    for a in report["Accounts"]:
        if a["Covered"]:
            numbers = [str(a["Buckets"]), str(a["Files"]), str(a["Bytes"]), str(a["Bytes"])]
            covered = "yes"
        else:
            numbers = ["", "", "", ""]
            why = [f for f in report["Failures"] if f["Account"] == a["Id"] and not f["Bucket"]]
            covered = "not covered" + "".join(
                f"{': ' if i == 0 else '; '}{f['Stage']}: {f['Error']}: {f['Message']}" for i, f in enumerate(why)
            )
        cost = [a["CostPerMonth"] or ""] if "CostPerMonth" in a else []
        rows.append([a["Id"], a["Name"], covered, *numbers, *cost])
    return rows


def check_page(page: Page, report: dict[str, Any]) -> None:
    """The Account column and the accounts table are the JSON report's; search finds an account by id and name."""
    page.select_option("#bucket-page-size", "500")
    shown = page.locator("#bucket-rows tr").evaluate_all(BUCKET_ROWS)
    assert sorted(map(tuple, shown)) == sorted((b["Bucket"], b["Account"], label(b)) for b in report["Buckets"])
    table = page.locator("#account-table tbody tr").evaluate_all(ACCOUNT_ROWS)
    assert table == expected_accounts(report)
    assert page.locator(f'#account-table tr[data-account="{DEV}"] td').first.text_content() == HOSTILE
    covered = page.locator("#total-accounts")
    assert (covered.get_attribute("data-covered"), covered.get_attribute("data-found")) == (
        str(report["AccountsCovered"]),
        str(report["AccountsFound"]),
    )
    for query, account in ((PROD, PROD), ("<script>alert", DEV)):  # the id, and part of the hostile name
        page.fill("#bucket-search", query)
        found = page.locator("#bucket-rows tr").evaluate_all(BUCKET_ROWS)
        assert sorted(row[0] for row in found) == sorted(
            b["Bucket"] for b in report["Buckets"] if b["Account"] == account
        )
    page.fill("#bucket-search", AUDIT)
    assert page.locator("#bucket-rows td.account").count() == 0  # not covered: no bucket of it
    assert page.locator("#bucket-count").text_content() == f"0 of {len(report['Buckets'])} buckets"
    page.fill("#bucket-search", "")
    page.click('#bucket-table th[data-sort="Account"] button')
    order = [row[1] for row in page.locator("#bucket-rows tr").evaluate_all(BUCKET_ROWS)]
    assert order == sorted(order)


def test_report_file_shows_the_accounts_of_its_json(tmp_path: Path, open_file: OpenFile) -> None:
    cost = cost_snapshot(MULTI, BOOK)
    path = tmp_path / "report.html"
    path.write_text(render(MULTI, "html", cost=cost), encoding="utf-8")
    page = open_file(path)
    report = json.loads(render(MULTI, "json", cost=cost))
    assert json.loads(page.locator("#s3sa-data").text_content() or "") == report
    check_page(page, report)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[LiveService]:
    store = Store(tmp_path / "history.sqlite3")
    store.save(MULTI)
    latest = store.latest()
    assert latest is not None
    with live_service(store, lambda: latest[1], token=TOKEN, book=BOOK) as running:
        yield running
    store.close()


def test_overview_shows_the_accounts_of_the_api(page: Page, service: LiveService) -> None:
    page.goto(service.url + "/")
    page.fill("#token", TOKEN)
    page.click("form.signin button[type=submit]")
    page.wait_for_load_state("load")
    response = httpx.get(service.url + "/api/v1/report", headers=BEARER, timeout=30)
    assert response.status_code == 200, response.text
    report = response.json()
    assert [a["Id"] for a in report["Accounts"]] == [PROD, DEV, AUDIT]
    assert json.loads(page.locator("#s3sa-data").text_content() or "") == report
    check_page(page, report)
    # Each bucket's own page names its account.
    link = page.locator('#bucket-rows tr[data-bucket="dev-scratch"] th a')
    link.click()
    page.wait_for_load_state("load")
    account = page.locator("#bucket-account")
    assert account.get_attribute("data-account") == DEV
    assert account.text_content() == f"{DEV} ({HOSTILE})"


def test_diff_page_shows_and_searches_the_account(tmp_path: Path, open_file: OpenFile) -> None:
    later = replace(
        MULTI,
        buckets=tuple(replace(r, usage=replace(r.usage, objects=r.usage.objects + 1)) for r in MULTI.buckets),
    )
    path = tmp_path / "diff.html"
    rows = diff(MULTI, later)
    path.write_text(render_diff(rows, (1, MULTI), (2, later), "html", None), encoding="utf-8")
    page = open_file(path)
    page.fill("#change-search", PROD)
    shown = page.locator("#change-rows tr").evaluate_all(
        "rows => rows.map(r => [r.dataset.bucket, r.querySelector('td.account').textContent])"
    )
    expected = {(r.bucket, r.account) for r in rows if r.account == PROD}
    assert expected and set(map(tuple, shown)) == expected
