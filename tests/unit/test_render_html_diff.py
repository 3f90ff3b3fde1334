"""``diff --fmt html``: one self-contained page whose data block is exactly ``diff --fmt json``, with the
JSON's numbers in its header, totals and class table, and bucket names that stay inert text."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from s3_storage_analyser.errors import UsageError
from s3_storage_analyser.render import html
from s3_storage_analyser.render.html import diff as html_diff
from s3_storage_analyser.safetext import UNSAFE, printable
from s3_storage_analyser.storage_classes import class_info
from support.diff_pages import HOSTILE, Pair, as_json, hostile_pair, render_pair, small_pair
from support.html_page import Page


def page_of(pair: Pair, *, priced: bool = False) -> tuple[str, Page]:
    out = render_pair(pair, "html", priced=priced)
    return out, Page(out)


# --- the data block and the numbers --------------------------------------------------------------------


@pytest.mark.parametrize("priced", [False, True])
def test_the_data_block_is_the_diff_json(priced: bool) -> None:
    _, page = page_of(small_pair(), priced=priced)
    data = page.block("s3sa-data")
    assert data == as_json(small_pair(), priced=priced)
    assert ("Prices" in data) is priced
    assert {r["Bucket"] for r in data["Changes"]} == {"growing", "shrinking", "deleted", "created"}  # not flaky


def test_the_header_names_both_snapshots() -> None:
    out, page = page_of(small_pair())
    data = as_json(small_pair())
    assert (page.by_id["before-taken"]["datetime"], page.by_id["after-taken"]["datetime"]) == (
        data["Before"]["TakenAt"],
        data["After"]["TakenAt"],
    )
    assert "<title>S3 storage growth, snapshot 1 to 2</title>" in out
    assert '<td id="before-strategy"><code>list</code></td>' in out
    assert "(7 d 2 h)" in out
    assert 'id="strategy-warning"' not in out and 'id="order-warning"' not in out
    # The failed bucket is named as left out, since its change is unknown.
    assert "<strong>flaky</strong>" in out.split('id="left-out"')[1].split("</p>")[0]


def test_different_strategies_are_warned_about() -> None:
    out, page = page_of(small_pair(strategies=("cloudwatch", "list")))
    assert "strategy-warning" in page.by_id
    warning = out.split('id="strategy-warning"')[1].split("</p>")[0]
    assert "<code>cloudwatch</code>" in warning and "<code>list</code>" in warning


def test_a_backwards_diff_says_so() -> None:
    before, after = small_pair()
    out = render_pair((after, before), "html")
    assert 'id="order-warning"' in out and " earlier)" in out


def test_totals_are_the_json_numbers() -> None:
    pair = small_pair()
    _, page = page_of(pair, priced=True)
    data = as_json(pair, priced=True)
    before, after = data["Before"], data["After"]
    assert page.raw("total-bytes-before") == str(before["Bytes"])
    assert page.raw("total-bytes-after") == str(after["Bytes"])
    assert page.raw("total-bytes-change") == str(after["Bytes"] - before["Bytes"])
    assert page.by_id["total-bytes-change"]["title"] == f"{after['Bytes'] - before['Bytes']:+,} bytes"
    assert page.by_id["total-bytes-after"]["title"] == f"{after['Bytes']:,} bytes"
    # Objects: the snapshots' totals (the JSON has none): here, every row's objects.
    files = [sum(r[k] for r in data["Changes"] if r["StorageClass"] == "ALL") for k in ("FilesBefore", "FilesAfter")]
    files[0] += pair[0].buckets[3].usage.objects  # flaky was measured before: in that snapshot's total
    assert [page.raw("total-files-before"), page.raw("total-files-after")] == [str(n) for n in files]
    # Cost: the JSON's exact strings and their exact difference.
    assert page.raw("total-cost-before") == before["CostPerMonth"]
    assert page.raw("total-cost-after") == after["CostPerMonth"]
    change = Decimal(after["CostPerMonth"]) - Decimal(before["CostPerMonth"])
    assert page.raw("total-cost-change") == str(change) and change > 0
    assert page.by_id["total-cost-change"]["title"] == f"{change} USD"
    counts = [page.raw(f"buckets-{k}") for k in ("grew", "shrank", "unchanged")]
    assert counts == ["2", "2", "0"]  # growing and created grew; shrinking and deleted shrank
    (source,) = data["Prices"]
    prices = page_of(pair, priced=True)[0].split('id="prices"')[1].split("</p>")[0]
    assert f'{source["Source"]} ({source["Kind"]}, <time datetime="{source["Date"]}">' in prices


def test_without_prices_no_cost_is_shown() -> None:
    out, _ = page_of(small_pair())
    assert 'id="total-cost-change"' not in out and 'id="prices"' not in out
    assert 'value="cost" disabled' in out
    assert 'data-sort="CostChange"' not in out


def test_the_class_table_sums_the_json_rows() -> None:
    pair = small_pair()
    out, _ = page_of(pair, priced=True)
    data = as_json(pair, priced=True)
    for code in ("STANDARD", "GLACIER", "STANDARD_IA", "DEEP_ARCHIVE"):
        rows = [r for r in data["Changes"] if r["StorageClass"] == code]
        before, after = sum(r["BytesBefore"] for r in rows), sum(r["BytesAfter"] for r in rows)
        cost = sum(Decimal(r["CostAfter"]) - Decimal(r["CostBefore"]) for r in rows)
        line = out.split(f'<tr data-class="{code}">')[1].split("</tr>")[0]
        assert f'<td data-raw="{before}" title="{before:,} bytes">' in line
        assert f'<td data-raw="{after}" title="{after:,} bytes">' in line
        assert f'<td class="raw">{html_diff.signed_count(after - before)}</td>' in line
        assert f'<td data-raw="{cost}"' in line
    assert "<td>new</td>" in out.split('<tr data-class="DEEP_ARCHIVE">')[1].split("</tr>")[0]


def test_the_helpers_format_as_the_diff_table_does() -> None:
    assert html_diff.signed_bytes(1536) == "+1.5 KiB" and html_diff.signed_bytes(-7) == "-7 B"
    assert html_diff.signed_bytes(0) == "0 B"
    assert html_diff.share(0, 5) == "new" and html_diff.share(0, 0) == "-" and html_diff.share(200, 100) == "-50.0%"
    assert html_diff.signed_count(1234) == "+1,234" and html_diff.signed_count(0) == "0"


def test_the_page_is_self_contained_and_deterministic() -> None:
    out, page = page_of(small_pair(), priced=True)
    assert not [a for a in page.attrs if a[1] == "src"]
    assert not [a for a in page.attrs if a[0] == "link"]
    assert all((v or "").startswith("#") for _tag, k, v in page.attrs if k == "href")
    assert "default-src 'none'" in out
    assert [attrs.get("type") for attrs, _ in page.scripts] == ["application/json", "application/json", None, None]
    assert not re.search(r"@import|url\(", html.asset("diff.css"))
    assert out == render_pair(small_pair(), "html", priced=True)


def test_the_diff_assets_can_be_inlined_and_are_listed() -> None:
    for name in ("diff.css", "diff.js"):
        assert name in html.ASSETS
        assert html.asset(name)


def test_the_shared_environment_is_not_changed() -> None:
    html_diff.diff_environment()
    assert "signed_bytes" in html_diff.diff_environment().filters
    assert "signed_bytes" not in html.environment().filters


def test_an_unknown_format_still_names_html_as_a_choice() -> None:
    with pytest.raises(UsageError, match="diff cannot be shown as 'prometheus'") as caught:
        render_pair(small_pair(), "prometheus")
    assert "html" in (caught.value.hint or "")


# --- hostile names --------------------------------------------------------------------------------------


def test_hostile_names_cannot_end_the_script_or_add_markup() -> None:
    out, page = page_of(hostile_pair(), priced=True)
    assert len(page.scripts) == 4
    assert out.lower().count("<script") == 4 and out.lower().count("</script") == 4
    assert not [a for a in page.attrs if a[1].startswith("on") or a[0] in ("b", "img", "iframe", "svg")]
    data = page.block("s3sa-data")
    assert data == as_json(hostile_pair(), priced=True)
    assert {r["Bucket"] for r in data["Changes"]} == set(HOSTILE[:-1])
    body = next(text for attrs, text in page.scripts if attrs.get("id") == "s3sa-data")
    assert not re.search("[<>&\u2028\u2029]", body)
    classes = page.block("s3sa-classes")
    assert {f"NEW{n}" for n in HOSTILE[:-1]} <= set(classes)
    # The left-out (failed) name and the new classes' names are shown as text.
    text = "".join(page.text)
    assert HOSTILE[-1] in text and "{{ 7*7 }}" in text and "49" not in text
    for name in HOSTILE[:-1]:
        assert printable(class_info(f"NEW{name}").name) in text  # the class table's row header


def test_no_raw_control_or_bidi_mark_in_the_file() -> None:
    out, _ = page_of(hostile_pair(), priced=True)
    found = UNSAFE.search(out.replace("\n", ""))
    assert found is None, out[max(0, found.start() - 60) : found.end() + 60] if found else ""
    # Shown with its controls and bidi marks as visible escapes: it cannot reorder the text around it.
    assert '<th scope="row" title="NEW\\u202eevil\\u2066bidi\\u200f">New\\u202eEvil\\u2066Bidi\\u200f</th>' in out
    # Exact where it is a value: the class filter's option (a character reference) and the data block.
    assert '<option value="NEW&#x202e;evil&#x2066;bidi&#x200f;">' in out
    assert "\\u202eevil\\u2066bidi\\u200f" in out.split('id="s3sa-data">')[1]
