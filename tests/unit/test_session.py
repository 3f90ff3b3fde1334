"""Browser sessions (in memory, bounded, expiring) and masked CSRF tokens."""

from __future__ import annotations

import secrets

import pytest

from s3_storage_analyser.server.session import Sessions, csrf_matches, masked


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_open_get_close() -> None:
    sessions = Sessions()
    one, two = sessions.open(), sessions.open()
    assert one.id != two.id
    assert one.csrf != two.csrf
    assert len(one.csrf) == 32
    assert len(sessions) == 2
    assert sessions.get(one.id) == one
    assert sessions.get(two.id) == two
    sessions.close(one.id)
    assert sessions.get(one.id) is None
    assert sessions.get(two.id) == two  # closing one leaves the others
    sessions.close(one.id)  # closing twice (or an unknown id) is harmless
    sessions.close("never-opened")
    assert len(sessions) == 1


def test_a_session_expires_after_its_ttl() -> None:
    clock = Clock()
    sessions = Sessions(ttl=60, clock=clock)
    session = sessions.open()
    assert session.expires == 1060.0
    clock.now = 1059.9
    assert sessions.get(session.id) == session
    clock.now = 1060.0  # expired at its instant, not a tick later
    assert sessions.get(session.id) is None
    assert len(sessions) == 0  # dropped, not only hidden
    clock.now = 0.0  # even if the clock went back, the expired session is gone
    assert sessions.get(session.id) is None


def test_each_session_has_its_own_expiry() -> None:
    clock = Clock()
    sessions = Sessions(ttl=100, clock=clock)
    early = sessions.open()
    clock.now += 50
    late = sessions.open()
    clock.now += 60
    assert sessions.get(early.id) is None
    assert sessions.get(late.id) == late


def test_past_the_limit_the_oldest_session_ends_first() -> None:
    sessions = Sessions(limit=3)
    opened = [sessions.open() for _ in range(5)]
    assert len(sessions) == 3
    assert [sessions.get(s.id) for s in opened[:2]] == [None, None]
    assert [sessions.get(s.id) for s in opened[2:]] == opened[2:]


@pytest.mark.parametrize(
    "session_id",
    [None, "", "x", "a" * 129, "a" * 10_000, "../../etc/passwd", "\x00", "\u202e", "s3sa_session=abc"],
)
def test_unknown_malformed_and_overlong_ids_are_no_session(session_id: str | None) -> None:
    sessions = Sessions()
    sessions.open()
    assert sessions.get(session_id) is None
    assert len(sessions) == 1


def test_an_overlong_id_is_refused_even_when_it_is_a_prefix_of_nothing_real() -> None:
    """The id a cookie carries is at most 128 characters; a real id (43) is well under it."""
    sessions = Sessions()
    session = sessions.open()
    assert len(session.id) <= 128
    assert sessions.get(session.id + "x" * (129 - len(session.id))) is None
    assert sessions.get(session.id) == session


def test_masked_differs_per_call_yet_matches() -> None:
    secret = secrets.token_bytes(32)
    tokens = {masked(secret) for _ in range(50)}
    assert len(tokens) == 50  # a fresh pad each time: a compressed page never repeats the secret's bytes
    for token in tokens:
        assert len(token) == 128
        assert int(token, 16) >= 0  # hex only
        assert secret.hex() not in token
        assert csrf_matches(secret, token)
        assert csrf_matches(secret, token.upper())  # hex is hex


def test_csrf_refuses_what_is_not_a_masking_of_the_secret() -> None:
    secret = secrets.token_bytes(32)
    other = secrets.token_bytes(32)
    token = masked(secret)
    assert not csrf_matches(other, token)  # another session's token
    assert not csrf_matches(secret, masked(other))
    assert not csrf_matches(secret, secret.hex() * 2)  # the secret itself, with a pad of itself
    flipped = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert not csrf_matches(secret, flipped)
    assert not csrf_matches(secret, token[:-2])  # wrong length
    assert not csrf_matches(secret, token + "00")
    assert not csrf_matches(secret, token[:64])
    assert not csrf_matches(secret, "")
    assert not csrf_matches(secret, None)
    assert not csrf_matches(secret, "zz" + token[2:])  # right length, not hex
    assert not csrf_matches(secret, "\u00e9" * 128)  # right length, not ASCII


def test_csrf_with_whitespace_of_the_right_length_is_refused_not_an_error() -> None:
    """``bytes.fromhex`` skips spaces: a 128-character value with spaces decodes to fewer bytes, and
    the XOR of unequal halves raised ValueError (a 500 for any header a client sends)."""
    secret = secrets.token_bytes(32)
    token = masked(secret)
    spaced = " ".join(token[i : i + 2] for i in range(0, len(token), 2))[:128]
    assert len(spaced) == 128
    assert not csrf_matches(secret, spaced)
    assert not csrf_matches(secret, " " * 128)
    assert not csrf_matches(secret, token[:126] + " " + token[126])
