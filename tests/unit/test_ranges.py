"""Key ranges: splitting keeps exact coverage (every key in exactly one piece) and balances."""

from __future__ import annotations

import random
from dataclasses import replace
from itertools import pairwise

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from s3_storage_analyser.listing.ranges import (
    DEFAULT_ALPHABET,
    KeyRange,
    alphabet_of,
    midpoints,
    split,
    split_at,
    spread,
)

HEX = "0123456789abcdef"
NO_SURROGATES = st.characters(exclude_categories=["Cs"])
# Character pools: tiny (many shared prefixes), hex, printable ASCII with delimiters, any code point.
POOLS = [
    st.sampled_from("ab/"),
    st.sampled_from(HEX),
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    NO_SURROGATES,
    st.sampled_from(["a", "\ud7ff", "\ue000", "\U0010ffff", "\x00", "/"]),  # around the surrogate gap and the ends
]


@st.composite
def scenarios(draw: st.DrawFn, with_prefix: bool = False) -> tuple[KeyRange, list[str]]:
    chars = draw(st.sampled_from(POOLS))
    text = st.text(chars, max_size=8)
    prefix = draw(st.text(chars, min_size=1, max_size=3)) if with_prefix else ""
    keys = draw(st.lists(text, unique=True, max_size=40))
    if with_prefix:
        keys = sorted({*keys, *(prefix + k for k in draw(st.lists(text, max_size=40)))})
    bound = st.one_of(st.none(), st.sampled_from(keys) if keys else st.none(), text, text.map(lambda t: prefix + t))
    after, upto = draw(bound), draw(bound.filter(lambda b: b != ""))  # S3 keys are never empty
    if after is not None and upto is not None and after > upto:
        after, upto = upto, after
    marker = draw(st.one_of(st.none(), st.just("vid-1")))
    mode = draw(st.sampled_from(["objects", "versions"]))
    task = KeyRange("bucket", "eu-west-1", prefix, after, upto, marker if after is not None else None, mode)
    return task, sorted(keys)


def assert_partition(task: KeyRange, pieces: list[KeyRange], keys: list[str]) -> None:
    """Consecutive pieces sharing boundaries, covering exactly the keys of ``task``."""
    assert pieces
    assert pieces[0].after == task.after
    assert pieces[-1].upto == task.upto
    for left, right in pairwise(pieces):
        assert left.upto is not None
        assert left.upto == right.after
    if len(pieces) > 1:
        for piece in pieces:  # no empty or inverted interval
            if piece.after is not None and piece.upto is not None:
                assert piece.after < piece.upto
    for piece in pieces:
        assert (piece.bucket, piece.region, piece.prefix) == (task.bucket, task.region, task.prefix)
        assert piece.mode == task.mode
    assert pieces[0].version_marker == task.version_marker  # the first piece resumes where the task was
    assert all(p.version_marker is None for p in pieces[1:])
    probes = set(keys)
    probes.update(p.upto for p in pieces if p.upto is not None)
    probes.update(p.after for p in pieces if p.after is not None)
    probes.update(b + "\x00" for b in list(probes))
    for key in probes:
        holders = sum(piece.contains(key) for piece in pieces)
        assert holders == (1 if task.contains(key) else 0), (key, pieces)


# --------------------------------------------------------------------------- split


@settings(max_examples=150, deadline=None)
@given(scenarios(), st.integers(1, 20), st.booleans())
def test_split_partitions_the_range(scenario: tuple[KeyRange, list[str]], pieces: int, observed: bool) -> None:
    task, keys = scenario
    alphabet = alphabet_of(keys) if observed else DEFAULT_ALPHABET
    parts = split(task, pieces, alphabet)
    assert 1 <= len(parts) <= pieces
    assert_partition(task, parts, keys)


@settings(max_examples=120, deadline=None)
@given(scenarios(with_prefix=True), st.integers(1, 20))
def test_split_of_a_prefix_task_stays_within_the_prefix(scenario: tuple[KeyRange, list[str]], pieces: int) -> None:
    task, keys = scenario
    alphabet = alphabet_of([k[len(task.prefix) :] for k in keys if k.startswith(task.prefix)])
    parts = split(task, pieces, alphabet)
    assert_partition(task, parts, keys)
    # Every new boundary is a key of the prefix: no piece lists keys outside it.
    for piece in parts[1:]:
        assert piece.after is not None
        assert piece.after.startswith(task.prefix)
    # Every key of the prefix the task holds is in exactly one piece.
    for key in keys:
        if key.startswith(task.prefix) and task.contains(key):
            assert sum(p.contains(key) for p in parts) == 1


@settings(max_examples=80, deadline=None)
@given(scenarios(), st.integers(2, 8), st.integers(2, 8), st.data())
def test_split_again_after_partial_listing(
    scenario: tuple[KeyRange, list[str]], first: int, second: int, data: st.DataObject
) -> None:
    """As the engine does: a piece is listed up to some key, and its remainder is split again."""
    task, keys = scenario
    alphabet = alphabet_of(keys)
    parts = split(task, first, alphabet)
    final: list[KeyRange] = []
    consumed: list[KeyRange] = []
    for piece in parts:
        inside = [k for k in keys if piece.contains(k)]
        if bool(inside) and data.draw(st.booleans()):
            listed_to = data.draw(st.sampled_from(inside))
            consumed.append(replace(piece, upto=listed_to))
            remainder = replace(piece, after=listed_to, version_marker=None)
            final.extend(split(remainder, second, alphabet))
        else:
            final.append(piece)
    for key in keys:
        holders = sum(p.contains(key) for p in final) + sum(p.contains(key) for p in consumed)
        assert holders == (1 if task.contains(key) else 0)


def test_split_into_one_piece_is_the_task() -> None:
    task = KeyRange("b", "r", "p/", "p/a", "p/z", "v1")
    assert split(task, 1) == [task]
    assert split(task, 0) == [task]


def test_split_of_an_open_bucket_gives_all_pieces() -> None:
    task = KeyRange("b", "r")
    for pieces in range(2, 21):
        parts = split(task, pieces)
        assert len(parts) == pieces
        assert_partition(task, parts, [])


def test_split_keeps_mode_and_resume_marker() -> None:
    task = KeyRange("b", "r", "", "8", None, "v123", "versions")
    parts = split(task, 4, HEX)
    assert len(parts) > 1
    assert parts[0].version_marker == "v123"
    assert {p.mode for p in parts} == {"versions"}
    assert all(p.version_marker is None for p in parts[1:])


# --------------------------------------------------------------------------- balance


def _shares(keys: list[str], parts: list[KeyRange]) -> list[float]:
    counts = [sum(1 for k in keys if p.contains(k)) for p in parts]
    assert sum(counts) == len(keys)
    return [c / len(keys) for c in counts]


@pytest.fixture(scope="module")
def hex_keys() -> list[str]:
    rng = random.Random(20240601)
    return sorted(f"{rng.getrandbits(128):032x}" for _ in range(10_000))


def test_hex_keys_split_evenly_into_16(hex_keys: list[str]) -> None:
    parts = split(KeyRange("b", "r"), 16, alphabet_of(hex_keys))
    assert len(parts) == 16
    shares = _shares(hex_keys, parts)
    assert max(shares) <= 0.25
    assert sum(1 for s in shares if s >= 0.03) >= 14  # nearly every piece does real work


def test_hex_keys_under_a_prefix_split_evenly(hex_keys: list[str]) -> None:
    keys = [f"logs/{k}" for k in hex_keys]
    task = KeyRange("b", "r", prefix="logs/")
    parts = split(task, 16, alphabet_of([k[len("logs/") :] for k in keys]))
    assert len(parts) == 16
    assert max(_shares(keys, parts)) <= 0.25


def test_hex_remainder_splits_evenly(hex_keys: list[str]) -> None:
    """A range partly listed (after = some key, maybe upto = another) still splits evenly over what is left."""
    for after, upto in ((hex_keys[5000], None), (hex_keys[2000], hex_keys[6000]), (None, hex_keys[3000])):
        task = KeyRange("b", "r", after=after, upto=upto)
        left = [k for k in hex_keys if task.contains(k)]
        parts = split(task, 16, HEX)
        assert len(parts) >= 12
        assert max(_shares(left, parts)) <= 0.25


def test_default_alphabet_does_not_balance_hex_keys(hex_keys: list[str]) -> None:
    """The contrast that makes the observed alphabet worth computing."""
    parts = split(KeyRange("b", "r"), 16, DEFAULT_ALPHABET)
    assert max(_shares(hex_keys, parts)) > 0.25


def test_uuid_like_keys_split_evenly() -> None:
    rng = random.Random(7)
    keys = sorted(f"{rng.getrandbits(32):08x}-{rng.getrandbits(80):020x}" for _ in range(5_000))
    parts = split(KeyRange("b", "r"), 8, alphabet_of(keys))
    assert len(parts) == 8
    assert max(_shares(keys, parts)) <= 0.25


# --------------------------------------------------------------------------- split_at


@settings(max_examples=80, deadline=None)
@given(st.one_of(scenarios(), scenarios(with_prefix=True)), st.data())
def test_split_at_partitions_the_range(scenario: tuple[KeyRange, list[str]], data: st.DataObject) -> None:
    task, keys = scenario
    chars = st.text(st.sampled_from(sorted(set("".join(keys)) or {"a"})), max_size=6)
    extra = data.draw(st.lists(st.one_of(chars, st.text(NO_SURROGATES, max_size=4)), max_size=10))
    points = data.draw(st.lists(st.sampled_from(keys), max_size=10)) if keys else []
    points += extra
    if task.after is not None:
        points.append(task.after)
    if task.upto is not None:
        points.append(task.upto)
    parts = split_at(task, points)
    assert_partition(task, parts, keys)
    inside = sorted({p for p in points if task.contains(p) and p != task.upto})
    assert [p.upto for p in parts[:-1]] == inside


def test_split_at_with_no_point_inside_is_the_task() -> None:
    task = KeyRange("b", "r", "", "m", "p", "v")
    assert split_at(task, []) == [task]
    assert split_at(task, ["a", "m", "p", "z"]) == [task]  # on or outside the bounds
    parts = split_at(task, ["n", "o", "n", "a"])
    assert [(p.after, p.upto, p.version_marker) for p in parts] == [("m", "n", "v"), ("n", "o", None), ("o", "p", None)]


def test_split_at_common_prefixes() -> None:
    task = KeyRange("b", "r", after="a/0009")
    keys = [f"{d}/{i:04d}" for d in "abcd" for i in range(20)]
    parts = split_at(task, ["b/", "c/", "d/"])
    assert len(parts) == 4
    assert_partition(task, parts, keys)
    assert [sum(p.contains(k) for k in keys) for p in parts] == [10, 20, 20, 20]


# --------------------------------------------------------------------------- midpoints


@st.composite
def intervals(draw: st.DrawFn) -> tuple[str, str, str]:
    chars = draw(st.sampled_from(POOLS))
    low = draw(st.text(chars, max_size=10))
    high = draw(st.one_of(st.just(""), st.text(chars, min_size=1, max_size=10)))
    assume(not high or low < high)
    alphabet = draw(
        st.one_of(st.just(DEFAULT_ALPHABET), st.just(HEX), st.lists(st.text(chars, max_size=6)).map(alphabet_of))
    )
    return low, high, alphabet


@settings(max_examples=150, deadline=None)
@given(intervals(), st.integers(1, 20))
def test_midpoints_are_increasing_inside_and_valid(interval: tuple[str, str, str], pieces: int) -> None:
    low, high, alphabet = interval
    points = midpoints(low, high, pieces, alphabet=alphabet)
    assert len(points) <= max(pieces - 1, 0)
    for a, b in pairwise(points):
        assert a < b
    for point in points:
        assert point > low
        if high:
            assert point < high
        assert not any(0xD800 <= ord(c) <= 0xDFFF for c in point)
        assert all(ord(c) <= 0x10FFFF for c in point)
        point.encode("utf-8")  # a valid key: encodable


def test_midpoints_order_matches_utf8_byte_order() -> None:
    """S3 sorts keys by UTF-8 bytes; code-point order must agree for the points to be usable."""
    points = midpoints("", "", 20, alphabet=alphabet_of(["a", "é", "日", "\U0001f600", "\ue000"]))
    assert points == sorted(points, key=lambda p: p.encode())


@pytest.mark.parametrize("alphabet", [DEFAULT_ALPHABET, HEX])
def test_midpoints_of_an_open_interval_are_all_there(alphabet: str) -> None:
    for pieces in range(2, 17):
        assert len(midpoints("", "", pieces, alphabet=alphabet)) == pieces - 1


def test_midpoints_surrogate_gap_is_skipped() -> None:
    alphabet = "\ud7fe\ud7ff"  # the character past it would be U+D800
    for low, high in (("", ""), ("\ud7ff", ""), ("\ud7fe", "\ue000")):
        for point in midpoints(low, high, 20, alphabet=alphabet):
            assert not any(0xD800 <= ord(c) <= 0xDFFF for c in point)


def test_midpoints_of_a_narrow_interval() -> None:
    assert midpoints("a", "a\x00", 10) == []  # nothing lies strictly between
    for point in midpoints("abc", "abd", 4, alphabet="abcd"):
        assert "abc" < point < "abd"
        assert point.startswith("abc")


# --------------------------------------------------------------------------- spread and alphabet_of


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=5), unique=True, max_size=60).map(sorted), st.integers(-1, 30))
def test_spread_takes_evenly_spaced_points(points: list[str], pieces: int) -> None:
    chosen = spread(points, pieces)
    if pieces < 2 or not points:
        assert chosen == []
        return
    assert chosen == sorted(set(chosen))
    assert set(chosen) <= set(points)
    assert len(chosen) <= pieces - 1
    if len(points) < pieces:
        assert chosen == points
        return
    assert len(chosen) == pieces - 1
    index = [points.index(p) for p in chosen]
    step = len(points) / pieces
    for k, i in enumerate(index, start=1):
        assert i == int(step * k)


def test_alphabet_of() -> None:
    assert alphabet_of(["ba", "ab", "c"]) == "abc"
    assert alphabet_of(["0f", "a9"]) == "09af"
    assert alphabet_of([]) == DEFAULT_ALPHABET
    assert alphabet_of(["aaaa"]) == DEFAULT_ALPHABET  # one character gives no arithmetic
    assert alphabet_of(["é", "a"]) == "aé"
    assert "".join(chr(c) for c in range(0x20, 0x7F)) == DEFAULT_ALPHABET


@pytest.mark.parametrize(
    ("task", "key", "inside"),
    [
        (KeyRange("b", "r"), "", True),
        (KeyRange("b", "r", after="a"), "a", False),
        (KeyRange("b", "r", after="a"), "a\x00", True),
        (KeyRange("b", "r", upto="m"), "m", True),
        (KeyRange("b", "r", upto="m"), "m\x00", False),
        (KeyRange("b", "r", after="a", upto="a"), "a", False),
    ],
)
def test_contains_is_after_exclusive_upto_inclusive(task: KeyRange, key: str, inside: bool) -> None:
    assert task.contains(key) is inside
