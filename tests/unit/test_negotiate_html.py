"""Which requests for ``/`` are a browser asking for the overview page (the HTTP side is in test_pages)."""

from __future__ import annotations

import pytest

from s3_storage_analyser.server.negotiate import negotiate, wants_html

CHROMIUM = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,"
    "application/signed-exchange;v=b3;q=0.7"
)
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
SAFARI = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
OLD_FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,*/*;q=0.8"


@pytest.mark.parametrize(
    "accept",
    [
        CHROMIUM,
        FIREFOX,
        SAFARI,
        OLD_FIREFOX,
        "text/html",
        "TEXT/HTML",
        "text/html; charset=utf-8",
        " text/html ;q=1",
        "application/json;q=0.5, text/html",
        "text/html, application/json",  # equal weight: the page (a browser names html first)
        "text/html;q=0.9, application/json;q=0.9",
        "text/html;q=0.8, */*",  # a wildcard is not a format the client named
        "text/html;q=abc",  # a malformed weight counts as 1
    ],
)
def test_browsers_want_the_page(accept: str) -> None:
    assert wants_html(accept)


@pytest.mark.parametrize(
    "accept",
    [
        "",
        "*/*",  # curl
        "application/json",
        "text/*",
        "text/html;q=0.5, application/json",
        "text/html;q=0.5, text/csv;q=0.6",
        "text/html;q=0",
        "text/html;q=0, */*",
        "text/html;q=0.0",
        "application/xhtml+xml",  # not text/html
        "text/htmlx",
        "text/csv, text/html;q=0.99",
        "application/json, text/html;q=0.1, application/json;q=0",  # the highest weight of a type counts
    ],
)
def test_other_clients_do_not(accept: str) -> None:
    assert not wants_html(accept)


@pytest.mark.parametrize("accept", [CHROMIUM, FIREFOX])
def test_a_browser_asking_the_api_still_gets_json(accept: str) -> None:
    """The API answers a browser's Accept with JSON, as 0.1 did: html is not a format it serves."""
    assert negotiate(accept) == "json"
