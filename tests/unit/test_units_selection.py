"""Unit tests for units.py (humanise, in_unit, parse_unit) and selection.py (globs, names, errors)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from s3_storage_analyser.errors import NothingSelectedError, UsageError
from s3_storage_analyser.selection import Selection
from s3_storage_analyser.units import UNIT_CHOICES, UNITS, humanise, in_unit, parse_unit

MAX_BYTES = 2**63
IEC = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4, "PiB": 1024**5, "EiB": 1024**6}

# --- units --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("num", "text"),
    [
        (0, "0 B"),
        (1, "1 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1536, "1.5 KiB"),
        (99 * 1024, "99.0 KiB"),
        (150 * 1024, "150 KiB"),
        (1_288_490_188, "1.2 GiB"),
        (5 * 1024**4, "5.0 TiB"),
        (2**60, "1.0 EiB"),
        (MAX_BYTES, "8.0 EiB"),
        (2000 * 1024**6, "2000 EiB"),  # beyond the last suffix: no overflow into nonsense
    ],
)
def test_humanise(num: int, text: str) -> None:
    assert humanise(num) == text


@given(st.integers(min_value=0, max_value=MAX_BYTES))
def test_humanise_is_total_and_close(num: int) -> None:
    text = humanise(num)
    match = re.fullmatch(r"(\d+)(\.\d)? (B|KiB|MiB|GiB|TiB|PiB|EiB)", text)
    assert match, text
    shown = Decimal(match.group(1) + (match.group(2) or ""))
    unit = IEC[match.group(3)]
    if unit == 1:
        assert shown == num  # exact below 1 KiB
        assert match.group(2) is None
    else:
        # Off by at most half the last digit shown.
        half_digit = Decimal("0.05") if match.group(2) else Decimal("0.5")
        assert abs(shown - Decimal(num) / unit) <= half_digit + Decimal("1e-9")
        assert num >= 1024


@given(st.integers(min_value=0, max_value=MAX_BYTES))
def test_in_unit_bytes_is_the_exact_integer(num: int) -> None:
    assert in_unit(num, "B") == str(num)


@given(st.integers(min_value=0, max_value=MAX_BYTES), st.sampled_from(["KB", "MB", "GB", "TB", "PB"]))
def test_in_unit_has_two_decimals_and_is_close(num: int, unit: str) -> None:
    text = in_unit(num, unit)
    assert re.fullmatch(r"\d+\.\d\d", text), text
    exact = Decimal(num) / UNITS[unit]
    assert abs(Decimal(text) - exact) <= Decimal("0.005") + exact * Decimal("1e-15")


@pytest.mark.parametrize(
    ("num", "unit", "text"),
    [
        (1536, "KB", "1.50"),
        (0, "MB", "0.00"),
        (1024**2, "MB", "1.00"),
        (5 * 1024**3 // 2, "GB", "2.50"),
        (1024**4, "TB", "1.00"),
        (1024**5, "PB", "1.00"),
        (1_288_490_188, "auto", "1.2 GiB"),
    ],
)
def test_in_unit(num: int, unit: str, text: str) -> None:
    assert in_unit(num, unit) == text


@pytest.mark.parametrize("unit", UNIT_CHOICES)
def test_in_unit_accepts_every_choice(unit: str) -> None:
    assert in_unit(3 * 1024**3, unit)


@pytest.mark.parametrize(
    ("raw", "unit"),
    [("B", "B"), ("b", "B"), ("kb", "KB"), (" MB ", "MB"), ("Gb", "GB"), ("tb", "TB"), ("pb", "PB"), ("AUTO", "auto")],
)
def test_parse_unit(raw: str, unit: str) -> None:
    assert parse_unit(raw) == unit


@pytest.mark.parametrize("raw", ["", "XB", "KiB", "kilobytes", "1MB", "EB"])
def test_parse_unit_rejects(raw: str) -> None:
    with pytest.raises(UsageError, match="Unknown unit") as info:
        parse_unit(raw)
    assert info.value.exit_code == 2
    assert info.value.hint is not None
    assert "auto" in info.value.hint


@given(st.sampled_from(UNIT_CHOICES), st.lists(st.booleans(), min_size=4, max_size=4))
def test_parse_unit_ignores_case(unit: str, upper: list[bool]) -> None:
    mixed = "".join(c.upper() if up else c.lower() for c, up in zip(unit, upper * 2, strict=False))
    assert parse_unit(mixed) == unit


# --- selection ----------------------------------------------------------------------------------

BUCKETS = ["data-1", "logs-a", "logs-b", "logs-prod.eu", "media"]
bucket_names = st.from_regex(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", fullmatch=True)


def test_empty_selection_is_everything() -> None:
    selection = Selection.parse([], [])
    assert selection.everything
    assert selection.apply(BUCKETS) == BUCKETS


@pytest.mark.parametrize(
    ("globs", "names", "chosen"),
    [
        (["logs-*"], [], ["logs-a", "logs-b", "logs-prod.eu"]),
        (["s3://logs-?"], [], ["logs-a", "logs-b"]),
        (["S3://logs-?/"], [], ["logs-a", "logs-b"]),
        (["  logs-[ab]  "], [], ["logs-a", "logs-b"]),
        (["logs-[!a]"], [], ["logs-b"]),
        (["*.eu"], [], ["logs-prod.eu"]),
        (["*"], [], BUCKETS),
        ([], ["media"], ["media"]),
        ([], ["s3://media/"], ["media"]),
        ([], ["media", "data-1"], ["data-1", "media"]),  # account order, not argument order
        (["logs-a"], ["media"], ["logs-a", "media"]),
        (["logs-*"], ["logs-a"], ["logs-a", "logs-b", "logs-prod.eu"]),  # union, no duplicates
    ],
)
def test_apply(globs: list[str], names: list[str], chosen: list[str]) -> None:
    assert Selection.parse(globs, names).apply(BUCKETS) == chosen


def test_globs_match_whole_names_case_sensitively() -> None:
    selection = Selection.parse(["logs"], [])
    assert not selection.matches("logs-a")
    assert Selection.parse(["logs*"], []).matches("logs-a")
    assert not Selection.parse(["LOGS*"], []).matches("logs-a")


def test_scheme_and_slashes_are_stripped() -> None:
    selection = Selection.parse(["s3://logs-*/"], ["S3://media"])
    assert selection.globs == ("logs-*",)
    assert selection.names == ("media",)


def test_bucket_with_key_prefix_is_a_scope() -> None:
    selection = Selection.parse([], ["s3://media/photos/2024/", "s3://media/videos/", "data-1"])
    assert selection.names == ("media", "data-1")
    assert selection.prefixes() == {"media": ("photos/2024/", "videos/")}
    # Naming the bucket whole as well wins over its prefixes.
    assert Selection.parse([], ["s3://media/photos/", "media"]).prefixes() == {}


@given(bucket_names)
def test_any_valid_name_selects_itself(name: str) -> None:
    for raw in (name, f"s3://{name}", f"s3://{name}/", f"S3://{name}"):
        selection = Selection.parse([], [raw])
        assert selection.names == (name,)
        assert selection.apply(["other-bucket", name]) == [name]
    assert Selection.parse([f"s3://{name}/"], []).globs == (name,)
    assert Selection.parse([name], []).matches(name)


@pytest.mark.parametrize(
    ("glob", "message"),
    [
        ("", "Empty bucket glob"),
        ("s3://", "Empty bucket glob"),
        ("/", "Empty bucket glob"),
        ("a/b", "contains '/'"),
        ("s3://logs/2024/*", "contains '/'"),
        ("bad name!", "has characters no bucket name can contain: ' '"),
        ("logs+*", "has characters no bucket name can contain: '+'"),
        ("logs-[0-9", "unclosed '['"),
    ],
)
def test_bad_globs(glob: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        Selection.parse([glob], [])
    assert message in info.value.message
    assert info.value.exit_code == 2
    assert info.value.hint


@pytest.mark.parametrize("name", ["", "s3://", "bad name", "-dash-first", ".dot-first", "a", "x" * 300, "logs-*"])
def test_bad_names(name: str) -> None:
    with pytest.raises(UsageError, match="is not a valid bucket name") as info:
        Selection.parse([], [name])
    assert info.value.exit_code == 2
    assert "--prefix" in (info.value.hint or "")  # points at globs


def test_nothing_matches() -> None:
    with pytest.raises(NothingSelectedError) as info:
        Selection.parse(["nomatch-*"], []).apply(BUCKETS)
    assert info.value.message == "No bucket matches --prefix nomatch-* (5 buckets in the account)."
    assert info.value.exit_code == 2


def test_missing_names_are_listed() -> None:
    with pytest.raises(NothingSelectedError) as info:
        Selection.parse([], ["media", "gone-1", "gone-2"]).apply(BUCKETS)
    assert "gone-1, gone-2" in info.value.message
    assert "media" not in info.value.message


def test_no_buckets_at_all() -> None:
    assert Selection.parse([], []).apply([]) == []  # an empty account is an empty report
    with pytest.raises(NothingSelectedError, match="no buckets"):
        Selection.parse(["logs-*"], []).apply([])


def test_legacy_upper_case_bucket_names_can_be_named() -> None:
    assert Selection.parse([], ["Legacy_Bucket"]).apply(["Legacy_Bucket", "other"]) == ["Legacy_Bucket"]


@given(st.lists(bucket_names, unique=True, max_size=20), st.lists(bucket_names, max_size=3))
def test_apply_keeps_account_order_and_only_selected(buckets: list[str], globs: list[str]) -> None:
    selection = Selection.parse(globs, [])
    expected = [b for b in buckets if selection.matches(b)]
    if not expected and not (selection.everything and not buckets):
        with pytest.raises(NothingSelectedError):
            selection.apply(buckets)
        return
    assert selection.apply(buckets) == expected
