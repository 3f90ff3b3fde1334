"""Pages compressed once with a per-response token spliced in: every splice is a valid gzip stream of the page."""

from __future__ import annotations

import gzip
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from s3_storage_analyser.server.spliced import SLOT, SplicedPage, accepts_gzip


@given(pieces=st.lists(st.text(max_size=3000), min_size=1, max_size=5), token=st.text(max_size=80))
def test_a_splice_decompresses_to_the_page_with_the_token(pieces: list[str], token: str) -> None:
    page = str(SLOT).join(pieces)
    spliced = SplicedPage.of(page)
    expected = token.join(pieces).encode()
    assert spliced.plain(token) == expected
    body = spliced.gzipped(token)
    assert gzip.decompress(body) == expected  # CRC-32 and length checked by the reader
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    assert inflate.decompress(body) == expected and inflate.eof and not inflate.unused_data


def test_the_token_is_compressed_apart_from_the_page() -> None:
    """A token equal to text in the page still costs its full length: it shares no match with the page."""
    page = "x" * 10_000 + "secret-token-value" * 50 + str(SLOT) + "y" * 10_000
    spliced = SplicedPage.of(page)
    assert len(spliced.gzipped("secret-token-value")) > len(spliced.gzipped("")) + len("secret-token-value") // 2


@pytest.mark.parametrize(
    ("header", "allowed"),
    [
        ("gzip, deflate, br, zstd", True),  # Chromium's
        ("gzip;q=0", False),
        ("*", True),
        ("*;q=0, gzip", True),
        ("gzip;q=0, *", False),
        ("identity", False),
        ("", False),
        ("gzip;q=bad", True),
    ],
)
def test_accept_encoding(header: str, allowed: bool) -> None:
    assert accepts_gzip(header) is allowed
