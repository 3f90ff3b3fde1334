"""Price files: the documented JSON and CSV forms are read exactly; anything else is refused, named."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from s3_storage_analyser.errors import EXIT_USAGE, UsageError
from s3_storage_analyser.pricing.book import FORMAT, load_file, parse_json, table_to_json
from s3_storage_analyser.pricing.shipped import shipped_table

GOOD_JSON = {
    "format": FORMAT,
    "source": "Acme negotiated rates",
    "date": "2026-11-01",
    "currency": "USD",
    "discount": "0.05",
    "prices": [
        {"region": "us-east-1", "item": "storage/STANDARD", "from_gb": "0", "usd": "0.021"},
        {"region": "us-east-1", "item": "storage/STANDARD", "from_gb": "51200", "usd": "0.0205"},
        {"region": "*", "item": "storage/GLACIER", "from_gb": "0", "usd": "0.0030"},
        {"region": "eu-west-1", "item": "storage/INTELLIGENT_TIERING/AIA", "from_gb": 0, "usd": "0.004"},
    ],
}

GOOD_CSV = """# source: Acme negotiated rates
# date: 2026-11-01
# discount: 0.05
region,item,from_gb,usd
us-east-1,storage/STANDARD,0,0.021
us-east-1,storage/STANDARD,51200,0.0205
*,storage/GLACIER,0,0.0030
eu-west-1,storage/INTELLIGENT_TIERING/AIA,0,0.004
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_json_and_csv_forms_give_the_same_table(tmp_path: Path) -> None:
    from_json = load_file(_write(tmp_path, "p.json", json.dumps(GOOD_JSON)))
    from_csv = load_file(_write(tmp_path, "p.csv", GOOD_CSV))
    assert from_json.prices == from_csv.prices
    assert from_json.source.date == from_csv.source.date == date(2026, 11, 1)
    assert from_json.source.discount == Decimal("0.05")
    tiers = from_json.prices[("us-east-1", "storage/STANDARD")]
    assert [(t.from_gb, t.usd) for t in tiers] == [(Decimal(0), Decimal("0.021")), (Decimal(51200), Decimal("0.0205"))]


def test_a_json_number_is_read_from_its_text_exactly_never_through_a_float() -> None:
    data = json.loads(json.dumps(GOOD_JSON))
    data["prices"][0]["usd"] = 0.1
    text = json.dumps(data).replace('"usd": 0.1', '"usd": 0.10000000000000000001')
    table = parse_json(text, "p.json", "file")
    assert table.prices[("us-east-1", "storage/STANDARD")][0].usd == Decimal("0.10000000000000000001")


def test_the_canonical_json_reads_back_to_the_same_table() -> None:
    table = shipped_table()
    again = parse_json(table_to_json(table), "again", "shipped")
    assert again.prices == table.prices
    assert again.source.date == table.source.date


BAD: list[tuple[str, object, str]] = [
    ("exponent", {"usd": "2.3e-2"}, "plain decimal"),
    ("exponent number", {"usd": 2.3e-2 * 10**-20}, "plain decimal"),
    ("boolean", {"usd": True}, "plain decimal"),
    ("negative", {"usd": "-0.01"}, "plain decimal"),
    ("nan", {"usd": "NaN"}, "plain decimal"),
    ("unknown item", {"item": "storage/standard"}, "unknown item"),
    ("made-up item", {"item": "egress/GB"}, "unknown item"),
    ("bad region", {"region": "US East"}, "region must be"),
    ("extra field", {"note": "x"}, "unknown field"),
]


@pytest.mark.parametrize(("name", "change", "says"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_row_is_refused_with_its_row_number(name: str, change: dict[str, object], says: str) -> None:
    data = json.loads(json.dumps(GOOD_JSON))
    data["prices"][1].update(change)
    with pytest.raises(UsageError) as caught:
        parse_json(json.dumps(data), "p.json", "file")
    assert "row 2" in str(caught.value) and says in str(caught.value)
    assert caught.value.exit_code == EXIT_USAGE


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"date": "yesterday"}, "YYYY-MM-DD"),
        ({"date": None}, "YYYY-MM-DD"),
        ({"currency": "EUR"}, "USD"),
        ({"discount": "1.5"}, "fraction below 1"),
        ({"format": "other/2"}, "format must be"),
        ({"colour": "blue"}, "unknown key"),
        ({"prices": {"a": 1}}, "list of rows"),
    ],
)
def test_bad_file_level_fields_are_refused(change: dict[str, object], says: str) -> None:
    data = {**GOOD_JSON, **change}
    with pytest.raises(UsageError, match=says):
        parse_json(json.dumps(data), "p.json", "file")


def test_tiers_must_start_at_zero_and_not_repeat() -> None:
    data = json.loads(json.dumps(GOOD_JSON))
    data["prices"] = [{"region": "us-east-1", "item": "storage/STANDARD", "from_gb": "51200", "usd": "0.02"}]
    with pytest.raises(UsageError, match="no tier starting at 0"):
        parse_json(json.dumps(data), "p.json", "file")
    data["prices"] = [GOOD_JSON["prices"][0], GOOD_JSON["prices"][0]]
    with pytest.raises(UsageError, match="given twice"):
        parse_json(json.dumps(data), "p.json", "file")


def test_files_that_are_not_price_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not valid JSON"):
        load_file(_write(tmp_path, "p.json", "{not json"))
    with pytest.raises(UsageError, match="header must be"):
        load_file(_write(tmp_path, "p.csv", "# date: 2026-01-01\na,b,c\n"))
    with pytest.raises(UsageError, match="comment lines"):
        load_file(_write(tmp_path, "p.csv", "# owner: me\nregion,item,from_gb,usd\n"))
    with pytest.raises(UsageError, match="YYYY-MM-DD"):
        load_file(_write(tmp_path, "p.csv", "region,item,from_gb,usd\nus-east-1,storage/STANDARD,0,0.02\n"))
    binary = tmp_path / "p.bin"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(UsageError, match="not UTF-8"):
        load_file(binary)
    with pytest.raises(UsageError, match="Cannot read prices file"):
        load_file(tmp_path / "missing.json")
