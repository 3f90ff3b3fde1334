"""Keys, bucket names and messages as a hostile server could send them, through every output.

Keys are kept as the server sent them. Each output shows them safely in its own
syntax: the table as literal text with visible escapes, TSV with backslash
escapes, CSV with quoting, JSON with ``\\uXXXX``, Prometheus with printable label
values; every output encodes as UTF-8 (the service sends bytes), and the stored
form gives the key back exactly.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from s3_storage_analyser.aggregate import BreakdownRow
from s3_storage_analyser.codec import snapshot_from_dict, snapshot_to_dict
from s3_storage_analyser.diff import diff
from s3_storage_analyser.model import Bucket, BucketReport, Failure, Notice, Snapshot, Usage
from s3_storage_analyser.render import FORMATS, render
from s3_storage_analyser.render.delimited import csv_field
from s3_storage_analyser.render.diff import render_diff
from s3_storage_analyser.safetext import UNSAFE, escape_tsv, printable, unescape_tsv
from s3_storage_analyser.server.app import FORMATS as SERVED_FORMATS
from s3_storage_analyser.server.app import create_app
from s3_storage_analyser.server.auth import AuthConfig
from s3_storage_analyser.server.scanner import Scanner
from s3_storage_analyser.store import Store
from support.fakes3 import FakeObject, FakeS3, ListKeys

T = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)

# What CSV cannot carry exactly: every unsafe character but tabs and line breaks, which its quoting carries.
CSV_UNSAFE = re.compile(f"(?![\t\n\r]){UNSAFE.pattern}")
# What no output may hold raw: the same (escape sequences, C1, bidi, surrogates). Tabs and line breaks
# are the delimited formats' own syntax, and a quoted CSV field carries them exactly.
RAW_IN_OUTPUT = CSV_UNSAFE
# The table is stricter: no outside tab or carriage return either, only its own line feeds.
RAW_IN_TABLE = re.compile(f"(?!\n){UNSAFE.pattern}")

HOSTILE_KEYS = [
    "a\ud800b",  # lone high surrogate (a stored snapshot with it made the service answer 500)
    "lone\udfff",  # lone low surrogate
    "\x1b[31mred\x1b[0m",  # CSI colour
    "\x1b]0;pwned\x07",  # OSC: sets the terminal's title
    "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x9b2J",  # C1 CSI: clears the screen on 8-bit terminals
    "\u202egnp.exe",  # right-to-left override: shows as "exe.png"
    "[bold red]x[/]",  # rich markup
    "[link=https://evil.example]click[/link]",
    ":smile:",  # rich emoji code
    "tab\there",
    "new\nline",
    "cr\rret",
    "crlf\r\nend",
    "back\\slash",
    "not\\x1b an escape",  # a literal backslash before what looks like an escape
    'quo"te',
    "com,ma",
    "\u2028line separator",
    "nul\x00byte",
    "del\x7f",
]
ORDINARY_KEYS = ["logs/2024/06/01.gz", "café/naïve.txt", "日本語/ファイル", "a b+c=d&e", "emoji 😀.png"]


def hostile_snapshot(keys: list[str] = HOSTILE_KEYS, bucket: str = "b\x1b[2Jx[bold]y") -> Snapshot:
    """One bucket whose name, storage classes and breakdown keys are hostile, plus a hostile failure."""
    rows = tuple(BreakdownRow("prefix", k, 1, i + 1) for i, k in enumerate(keys))
    rows += tuple(BreakdownRow("top", k, 1, i + 1, "STANDARD\x1b[5m", "2024\u202e-01") for i, k in enumerate(keys))
    report = BucketReport(
        Bucket(bucket, "us-east-1\x1b[0m", T),
        Usage(
            objects=len(keys),
            bytes_by_class={"STANDARD": 10, "WEIRD\x1b[1m[red]": 5},
            objects_by_class={"STANDARD": 1, "WEIRD\x1b[1m[red]": 1},
            breakdowns=rows,
        ),
    )
    failure = Failure("f\u202eail\ud800", None, "list", "Bad\x1b[0m", "message \x1b]0;x\x07 [red]y[/] \ud800")
    return Snapshot(
        "list",
        T,
        (report,),
        failures=(failure,),
        breakdowns=("prefix", "top"),
        notices=(Notice(bucket, "stale \x1b[31m\ud800"),),
    )


def tsv_rows(text: str) -> list[list[str]]:
    """README's rule for reading the TSV: split lines on LF, fields on tab, then unescape each field."""
    return [[unescape_tsv(f) for f in line.split("\t")] for line in text.split("\n")[:-1]]


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def json_form(text: str) -> str:
    """What a JSON reader gives for ``text``: JSON has one spelling for a surrogate pair and its character."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


# --- every format ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_encodes_as_utf8(fmt: str) -> None:
    out = render(hostile_snapshot(), fmt)
    out.encode("utf-8")  # raised UnicodeEncodeError for every format
    assert out.endswith("\n")


@pytest.mark.parametrize("fmt", ["table", "tsv", "csv", "json", "json_pretty", "ndjson", "prometheus"])
def test_no_terminal_escape_reaches_the_output(fmt: str) -> None:
    """ESC, C1, bidi controls and surrogates are never written raw; line feeds only where the format puts them."""
    out = render(hostile_snapshot(), fmt)
    found = (RAW_IN_TABLE if fmt == "table" else RAW_IN_OUTPUT).search(out)
    assert found is None, (fmt, found, out[max(0, found.start() - 40) : found.end() + 40] if found else "")


# --- table -------------------------------------------------------------------------------------


@pytest.mark.parametrize("color", [False, True])
def test_table_shows_keys_literally(color: bool) -> None:
    out = render(hostile_snapshot(), "table", color=color)
    for key in HOSTILE_KEYS:
        assert printable(key) in out, key
    assert "[bold red]x[/]" in out  # not read as markup
    assert "[link=https://evil.example]click[/link]" in out
    assert ":smile:" in out and "\U0001f604" not in out  # not an emoji
    assert "\x1b]8;" not in out  # no hyperlink made by rich or passed through
    assert "b\\x1b[2Jx[bold]y: largest objects" in out  # the section title, literally
    assert "WEIRD\\x1b[1m[red]" in out  # a storage class from the server as a column header
    if not color:
        assert "\x1b" not in out


def test_table_of_ordinary_keys_is_unchanged() -> None:
    out = render(hostile_snapshot(ORDINARY_KEYS, bucket="photos"), "table")
    for key in ORDINARY_KEYS:
        assert key in out


# --- TSV ---------------------------------------------------------------------------------------


def test_tsv_keeps_row_structure_and_gives_keys_back() -> None:
    out = render(hostile_snapshot(), "tsv")
    lines = out.split("\n")[:-1]
    assert len(lines) == 1 + 2 * len(HOSTILE_KEYS)  # a key's line break never starts a row
    assert all(line.count("\t") == 6 for line in lines)  # nor a tab a field
    rows = tsv_rows(out)
    assert rows[0] == ["Bucket", "Dimension", "Key", "Files", "Bytes", "StorageClass", "LastModified"]
    assert [r[2] for r in rows[1:]] == HOSTILE_KEYS * 2
    assert {r[0] for r in rows[1:]} == {"b\x1b[2Jx[bold]y"}
    assert rows[-1][5:] == ["STANDARD\x1b[5m", "2024\u202e-01"]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("plain/key.txt", "plain/key.txt"),
        ("a\tb", "a\\tb"),
        ("a\nb", "a\\nb"),
        ("a\rb", "a\\rb"),
        ("a\\b", "a\\\\b"),
        ("a\\tb", "a\\\\tb"),
        ("\x1b[0m", "\\x1b[0m"),
        ("\x9b", "\\x9b"),
        ("\u202e", "\\u202e"),
        ("\ud800", "\\ud800"),
        ('"q",', '"q",'),  # no quoting in TSV
    ],
)
def test_tsv_escape_rule(text: str, field: str) -> None:
    assert escape_tsv(text) == field
    assert unescape_tsv(field) == text


def test_tsv_of_ordinary_keys_is_unchanged() -> None:
    out = render(hostile_snapshot(ORDINARY_KEYS, bucket="photos"), "tsv")
    assert "photos\tprefix\tlogs/2024/06/01.gz\t1\t1\t\t\n" in out
    assert [r[2] for r in tsv_rows(out)[1:]] == ORDINARY_KEYS * 2


# --- CSV ---------------------------------------------------------------------------------------


def test_csv_quotes_keys_and_reads_back() -> None:
    out = render(hostile_snapshot(), "csv")
    rows = csv_rows(out)
    assert len(rows) == 1 + 2 * len(HOSTILE_KEYS)
    keys = [r[2] for r in rows[1:]]
    for key, read in zip(HOSTILE_KEYS * 2, keys, strict=True):
        assert read == csv_field(key)
        if not CSV_UNSAFE.search(key):
            assert read == key  # tabs, line breaks, quotes, commas, backslashes: exact, by quoting
    assert "tab\there" in keys and "crlf\r\nend" in keys and 'quo"te' in keys
    assert "\\x1b[31mred\\x1b[0m" in keys  # as in the table


def test_csv_field_keeps_line_breaks_for_quoting() -> None:
    assert csv_field("a\r\nb\t\x1b") == "a\r\nb\t\\x1b"


# --- JSON --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "json_pretty"])
def test_json_gives_every_key_back_exactly(fmt: str) -> None:
    out = render(hostile_snapshot(), fmt)
    data = json.loads(out)
    (bucket,) = data["Buckets"]
    assert bucket["Bucket"] == "b\x1b[2Jx[bold]y"
    assert [r["Key"] for r in bucket["Breakdowns"]["prefix"]] == HOSTILE_KEYS
    assert [r["Key"] for r in bucket["Breakdowns"]["top"]] == HOSTILE_KEYS
    assert bucket["Bytes-WEIRD\x1b[1m[red]"] == 5
    assert data["Failures"][0]["Message"] == "message \x1b]0;x\x07 [red]y[/] \ud800"
    assert data["Warnings"][0]["Message"] == "stale \x1b[31m\ud800"
    assert "\\ud800" in out and "\\u202e" in out and "\\u001b" in out


def test_json_keeps_ordinary_text_readable() -> None:
    out = render(hostile_snapshot(ORDINARY_KEYS, bucket="photos"), "json")
    assert "café/naïve.txt" in out and "日本語/ファイル" in out and "emoji 😀.png" in out


def test_ndjson_lines_stay_lines() -> None:
    lines = render(hostile_snapshot(), "ndjson").split("\n")[:-1]
    assert len(lines) == 2  # the bucket and the failure: no key breaks a line
    assert [r["Key"] for r in json.loads(lines[0])["Breakdowns"]["prefix"]] == HOSTILE_KEYS


# --- Prometheus --------------------------------------------------------------------------------


def test_prometheus_label_values_are_printable() -> None:
    out = render(hostile_snapshot(), "prometheus")
    families = {f.name: f for f in text_string_to_metric_families(out)}
    sizes = {
        (s.labels["bucket"], s.labels["region"], s.labels["storage_class"])
        for s in families["s3_bucket_size_bytes"].samples
    }
    assert sizes == {
        ("b\\x1b[2Jx[bold]y", "us-east-1\\x1b[0m", "STANDARD"),
        ("b\\x1b[2Jx[bold]y", "us-east-1\\x1b[0m", "WEIRD\\x1b[1m[red]"),
    }
    (failed,) = families["s3_bucket_scan_failed"].samples
    assert failed.labels == {"bucket": "f\\u202eail\\ud800", "stage": "list", "error": "Bad\\x1b[0m"}


# --- diff and history --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["table", "tsv", "csv", "json", "json_pretty", "ndjson"])
def test_diff_renders_hostile_bucket_names(fmt: str) -> None:
    before = Snapshot("list", T, ())
    after = hostile_snapshot()
    out = render_diff(diff(before, after), (1, before), (2, after), fmt, None)
    out.encode("utf-8")
    assert (RAW_IN_TABLE if fmt == "table" else RAW_IN_OUTPUT).search(out) is None
    name = "b\x1b[2Jx[bold]y"
    if fmt == "table":
        assert printable(name) in out
    elif fmt == "tsv":
        assert tsv_rows(out)[1][0] == name
    elif fmt == "json":
        assert json.loads(out)["Changes"][0]["Bucket"] == name


# --- the stored form ---------------------------------------------------------------------------


def test_codec_round_trips_hostile_text_exactly() -> None:
    snapshot = hostile_snapshot()
    stored = json.dumps(snapshot_to_dict(snapshot))  # the store's JSON columns
    stored.encode("utf-8")
    assert snapshot_from_dict(json.loads(stored)) == snapshot


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "hostile.sqlite3")
    yield s
    s.close()


def stored_snapshot(store: Store) -> tuple[int, Snapshot]:
    """A snapshot as S3 could have sent it (bucket names are checked by S3 itself; keys, not)."""
    snapshot = hostile_snapshot(bucket="hostile-keys")
    return store.save(snapshot), snapshot


def test_store_keeps_hostile_keys_exactly(store: Store) -> None:
    snapshot_id, snapshot = stored_snapshot(store)
    loaded = store.load(snapshot_id)
    assert loaded.buckets == snapshot.buckets
    assert loaded.failures == snapshot.failures


@pytest.mark.parametrize("fmt", [None, *SERVED_FORMATS])
def test_service_serves_a_stored_snapshot_with_hostile_keys(store: Store, fmt: str | None) -> None:
    """A stored snapshot with the key ``a\\ud800b`` made every format but Prometheus answer 500."""
    snapshot_id, _ = stored_snapshot(store)
    app = create_app(store, Scanner(lambda: Snapshot("list", T, ()), store, None), AuthConfig(None))
    with TestClient(app, raise_server_exceptions=False, base_url="http://127.0.0.1") as client:
        query = {} if fmt is None else {"fmt": fmt}
        response = client.get(f"/api/v1/snapshots/{snapshot_id}", params=query)
    assert response.status_code == 200, response.text
    body = response.content.decode("utf-8")
    assert (RAW_IN_TABLE if fmt == "table" else RAW_IN_OUTPUT).search(body) is None
    if fmt in (None, "json", "json_pretty"):
        keys = [r["Key"] for r in json.loads(body)["Buckets"][0]["Breakdowns"]["prefix"]]
        assert keys == HOSTILE_KEYS


# --- any key -----------------------------------------------------------------------------------

NASTY = [
    "\x1b[31m",
    "\x1b]0;t\x07",
    "\x9b",
    "\x85",
    "[bold]",
    "[/]",
    "[link=http://x]",
    ":smile:",
    "\\",
    "\\x1b",
    "\t",
    "\n",
    "\r\n",
    '"',
    ",",
    "\u202e",
    "\u2066",
    "\u2028",
    "\ud800",
    "\udfff",
    "\ud83d\ude00",
]
any_char = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
any_key = st.lists(st.one_of(any_char, st.sampled_from(NASTY)), max_size=12).map("".join)


@functools.cache
def inlined_assets() -> tuple[str, ...]:
    """The html report's own scripts and styles, inlined the same in every report (ECharts alone is ~1 MB),
    each searched once here; an example then searches the rest of its html, the part a key can reach."""
    folder = files("s3_storage_analyser.render.html").joinpath("assets")
    texts = [f.read_text(encoding="utf-8") for f in folder.iterdir() if f.name.endswith((".js", ".css"))]
    for text in texts:
        assert RAW_IN_OUTPUT.search(text) is None
    return tuple(sorted(texts, key=len, reverse=True))


def outside_assets(html: str) -> str:
    for text in inlined_assets():
        html = html.replace(text, "")
    return html


@settings(max_examples=150, deadline=None)
@given(key=any_key, name=any_key)
def test_any_key_renders_safely_in_every_format(key: str, name: str) -> None:
    report = BucketReport(
        Bucket(name, "us-east-1"),
        Usage(objects=1, bytes_by_class={"STANDARD": 7}, breakdowns=(BreakdownRow("top", key, 1, 7, "STANDARD", ""),)),
    )
    snapshot = Snapshot("list", T, (report,), failures=(Failure(name, None, "list", "E", key),), breakdowns=("top",))
    outputs = {fmt: render(snapshot, fmt) for fmt in FORMATS}
    for fmt, out in outputs.items():
        out.encode("utf-8")
        searched = outside_assets(out) if fmt == "html" else out  # the assets were searched once, whole
        assert (RAW_IN_TABLE if fmt == "table" else RAW_IN_OUTPUT).search(searched) is None, fmt

    assert printable(key) in outputs["table"]
    row = tsv_rows(outputs["tsv"])[1]
    assert (row[0], row[2]) == (name, key)
    doc = json.loads(outputs["json"])
    assert doc["Buckets"][0]["Breakdowns"]["top"][0]["Key"] == json_form(key)
    assert doc["Buckets"][0]["Bucket"] == json_form(name)
    assert doc["Failures"][0]["Message"] == json_form(key)
    read = csv_rows(outputs["csv"])[1][2]
    assert read == csv_field(key)
    if not CSV_UNSAFE.search(key):
        assert read == key
    (sample,) = next(
        f for f in text_string_to_metric_families(outputs["prometheus"]) if f.name == "s3_bucket_size_bytes"
    ).samples
    assert sample.labels["bucket"] == printable(name)
    loaded = snapshot_from_dict(json.loads(json.dumps(snapshot_to_dict(snapshot))))  # the stored form
    assert loaded.buckets[0].usage.breakdowns[0].key == json_form(key)
    assert (loaded.buckets[0].bucket.name, loaded.failures[0].message) == (json_form(name), json_form(key))


# --- end to end: keys listed from a real endpoint, through the CLI -------------------------------

LISTED_KEYS = [
    "\x1b[31mred/x.txt",
    "\u202eevil/y.gz",
    "[bold red]x[/]/z.[b]",
    "tab\there/new\nline",
    "\x9b2J/q",
    "back\\slash/k",
]


@pytest.fixture
def fake_s3() -> Iterator[FakeS3]:
    server = FakeS3()
    server.add_bucket("odd-keys", ListKeys(FakeObject(k, i + 1) for i, k in enumerate(LISTED_KEYS)))
    server.start()
    yield server
    server.stop()


def test_cli_renders_listed_hostile_keys(fake_s3: FakeS3, cli: Any) -> None:
    """Keys with escape sequences, bidi overrides and markup, listed over HTTP (EncodingType=url) by the CLI."""
    aws_url = fake_s3.url
    args = ("--strategy", "list", "--endpoint-url", aws_url, "--quiet", "--by", "prefix", "--top", "10")
    table = cli(*args, "--fmt", "table")
    assert table.code == 0, table.stderr
    assert RAW_IN_TABLE.search(table.stdout) is None
    assert "\\x1b[31mred/" in table.stdout and "[bold red]x[/]/z.[b]" in table.stdout
    tsv = cli(*args, "--fmt", "tsv")
    assert tsv.code == 0, tsv.stderr
    assert sorted(r[2] for r in tsv_rows(tsv.stdout)[1:] if r[1] == "top") == sorted(LISTED_KEYS)
    doc = json.loads(cli(*args, "--fmt", "json").stdout)
    assert sorted(r["Key"] for r in doc["Buckets"][0]["Breakdowns"]["top"]) == sorted(LISTED_KEYS)
