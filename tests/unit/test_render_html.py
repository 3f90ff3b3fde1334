"""``--fmt html``: one self-contained page whose data block is exactly the JSON report, and inert names."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from s3_storage_analyser.model import Bucket, BucketReport, Failure, Notice, Snapshot, Usage
from s3_storage_analyser.pricing.book import PriceBook, book
from s3_storage_analyser.pricing.cost import cost_snapshot
from s3_storage_analyser.pricing.shipped import shipped_table
from s3_storage_analyser.render import html, parse_format, render
from s3_storage_analyser.render.jsonfmt import snapshot_dict
from s3_storage_analyser.safetext import UNSAFE
from support.html_page import Page
from support.report_fixture import SNAPSHOT

BOOK: PriceBook = book([shipped_table()])
T = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
GIB = 1024**3

HOSTILE = [
    "</script><script>alert(1)</script>",
    "<!--<script>",
    "\"quoted\" 'single' & <b>bold</b>",
    "\u202eevil\u2066bidi\u200f",
    "line\u2028sep\u2029para",
    "</SCRIPT >",
    "{{ 7*7 }}",
]


def hostile_snapshot() -> Snapshot:
    reports = tuple(
        BucketReport(
            Bucket(name, f"region-{i}{name}"),
            Usage(
                objects=i + 1,
                bytes_by_class={"STANDARD": GIB * (i + 1), f"NEW{name}": 7},
                noncurrent_bytes_by_class={"STANDARD": 5},
                noncurrent_objects_by_class={"STANDARD": 1},
                incomplete_uploads=1,
                incomplete_upload_bytes=9,
                measured=frozenset({"versions", "uploads"}),
            ),
        )
        for i, name in enumerate(HOSTILE)
    )
    failures = tuple(Failure(name, name, "list", name, f"message {name}") for name in HOSTILE)
    notices = tuple(Notice(name, f"note {name}") for name in HOSTILE)
    return Snapshot("list", T, reports, failures=failures, notices=notices)


def test_html_is_a_format() -> None:
    assert parse_format("HTML") == "html"


@pytest.mark.parametrize("priced", [False, True])
def test_the_data_block_is_the_json_report(priced: bool) -> None:
    cost = cost_snapshot(SNAPSHOT, BOOK) if priced else None
    page = Page(render(SNAPSHOT, "html", cost=cost))
    data = page.block("s3sa-data")
    assert data == json.loads(json.dumps(snapshot_dict(SNAPSHOT, cost)))
    assert data == json.loads(render(SNAPSHOT, "json", cost=cost))
    assert ("Cost" in data) is priced


def test_the_class_block_names_every_class_key_of_the_data() -> None:
    page = Page(render(SNAPSHOT, "html"))
    classes = page.block("s3sa-classes")
    keys = {k for b in page.block("s3sa-data")["Buckets"] for k in b if k.startswith("Bytes-")}
    assert {c["Key"] for c in classes} == keys
    assert {"Code": "GLACIER", "Key": "Bytes-GFR", "Column": "GFR", "Name": "Glacier Flexible Retrieval"} in classes
    assert {"Code": "FooBarStorage", "Key": "Bytes-FooBarStorage", "Column": "FooBarStorage"}.items() <= next(
        c for c in classes if c["Code"] == "FooBarStorage"
    ).items()


def test_without_cost_no_cost_is_shown() -> None:
    out = render(SNAPSHOT, "html")
    assert 'id="total-cost"' not in out and 'id="prices"' not in out
    assert 'value="cost" disabled' in out
    assert out == render(SNAPSHOT, "html", cost=None)


def test_with_cost_the_totals_and_prices_are_shown() -> None:
    cost = cost_snapshot(SNAPSHOT, BOOK)
    out = render(SNAPSHOT, "html", cost=cost)
    data = json.loads(render(SNAPSHOT, "json", cost=cost))
    assert cost.total is None  # archive-eu's unknown class has no price: the total is a lower bound
    assert f'id="total-cost" data-raw="" title="at least {data["Cost"]["PricedPerMonth"]} USD' in out
    (source,) = data["Cost"]["Prices"]
    assert f'{source["Source"]} ({source["Kind"]}, <time datetime="{source["Date"]}">' in out
    assert "Not priced in <strong>archive-eu</strong>" in out


def test_totals_and_classes_are_the_json_numbers() -> None:
    out = render(SNAPSHOT, "html")
    data = json.loads(render(SNAPSHOT, "json"))
    total = sum(b["Bytes"] for b in data["Buckets"])
    assert f'id="total-bytes" data-raw="{total}" title="{total:,} bytes"' in out
    assert f'id="total-files" data-raw="{sum(b["Files"] for b in data["Buckets"])}"' in out
    glacier = sum(b["Bytes-GFR"] for b in data["Buckets"])
    assert f'<td class="raw">{glacier}</td>' in out


def test_the_page_is_self_contained() -> None:
    out = render(SNAPSHOT, "html", cost=cost_snapshot(SNAPSHOT, BOOK))
    page = Page(out)
    assert not [a for a in page.attrs if a[1] == "src"]  # no script, image or frame from anywhere
    assert not [a for a in page.attrs if a[0] == "link"]
    assert all((v or "").startswith("#") for tag, k, v in page.attrs if k == "href")
    assert "default-src 'none'" in out  # and the browser is told to fetch nothing
    assert not re.search(r"@import|url\(", html.asset("report.css"))
    assert "echarts" in html.asset("echarts.min.js")[:2000].lower()
    assert [attrs.get("type") for attrs, _ in page.scripts] == ["application/json", "application/json", None, None]


def test_rendering_is_deterministic() -> None:
    assert render(SNAPSHOT, "html") == render(SNAPSHOT, "html")


# --- hostile text ---------------------------------------------------------------------------------


def test_hostile_names_cannot_end_the_script_or_add_markup() -> None:
    snapshot = hostile_snapshot()
    out = render(snapshot, "html", cost=cost_snapshot(snapshot, BOOK))
    page = Page(out)
    # The same four script elements as any page: nothing a name holds opened or closed one.
    assert len(page.scripts) == 4
    assert out.lower().count("<script") == 4 and out.lower().count("</script") == 4
    assert not [a for a in page.attrs if a[1].startswith("on") or a[0] in ("b", "img", "iframe")]
    # The data block holds every name exactly, as JSON.parse reads it.
    data = page.block("s3sa-data")
    assert [b["Bucket"] for b in data["Buckets"]] == HOSTILE
    assert [f["Message"] for f in data["Failures"]] == [f"message {n}" for n in HOSTILE]
    body = next(text for attrs, text in page.scripts if attrs.get("id") == "s3sa-data")
    assert not re.search("[<>&\u2028\u2029]", body)
    # The tables show them as text: the parser reads back each name, never an element.
    text = "".join(page.text)
    for name in HOSTILE:
        assert f"message {name}" in text and f"note {name}" in text
    assert "{{ 7*7 }}" in text and "49" not in text.replace("{{ 7*7 }}", "")


def test_no_raw_control_or_bidi_mark_in_the_file() -> None:
    out = render(hostile_snapshot(), "html")
    found = UNSAFE.search(out.replace("\n", ""))
    assert found is None, out[max(0, found.start() - 60) : found.end() + 60] if found else ""
    assert "&#x202e;evil&#x2066;bidi&#x200f;" in out  # in the tables: a reference the browser shows


@pytest.mark.parametrize("text", ["</script>", "<!--", "a\u2028b", "&amp;", "\ud800"])
def test_script_json_reads_back_the_same(text: str) -> None:
    block = str(html.script_json({"k": text}))
    assert not re.search("[<>&\u2028\u2029]", block)
    decoded = json.loads(block)["k"]
    assert decoded.encode("utf-16-le", "surrogatepass") == text.encode("utf-16-le", "surrogatepass")


def test_every_asset_can_be_inlined() -> None:
    for name in html.ASSETS:
        assert html.asset(name)


@pytest.mark.parametrize("text", ["a = '</script>';", "x</STYLE>", "<!-- b", "c\u202e", "d\x1b"])
def test_an_asset_that_could_end_its_element_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="cannot be inlined"):
        html.inline("x.js", text)
    assert html.inline("x.js", "a = 1;\nb = '<p>';") == "a = 1;\nb = '<p>';"


def test_hidden_costs_are_the_json_sums_and_absent_when_not_measured() -> None:
    snapshot = hostile_snapshot()
    out = render(snapshot, "html")
    data = json.loads(render(snapshot, "json"))
    noncurrent = sum(b["NoncurrentBytes"] for b in data["Buckets"])
    uploads = sum(b["IncompleteUploadBytes"] for b in data["Buckets"])
    assert f'id="hidden-noncurrent" data-raw="{noncurrent}"' in out
    assert f'id="hidden-uploads" data-raw="{uploads}"' in out
    assert f'id="hidden-markers" data-raw="{sum(b["DeleteMarkers"] for b in data["Buckets"])}"' in out
    assert f"{len(HOSTILE)} uploads, 0 parts, {uploads} bytes" in out
    assert 'id="hidden"' not in render(SNAPSHOT, "html")  # CloudWatch measures none of them
