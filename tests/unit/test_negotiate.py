"""Which report format an Accept header gets (the HTTP side is in test_server)."""

from __future__ import annotations

import pytest

from s3_storage_analyser.server.negotiate import negotiate


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("", "json"),
        ("image/png", "json"),  # nothing we serve: the first version's default, not a 406
        ("text/csv", "csv"),
        ("TEXT/CSV", "csv"),
        ("text/csv; charset=utf-8", "csv"),
        ("text/plain, text/csv", "table"),  # equal weights: the client's order
        ("text/plain;q=0.4, text/csv;q=0.5", "csv"),
        ("text/*", "tsv"),  # a wildcard takes the first format of its type
        ("text/*, text/csv;q=0.9", "tsv"),
        ("text/*;q=0.5, text/csv", "csv"),  # at higher weight the exact type wins
        ("text/*;q=0.5, text/csv;q=0.5", "csv"),  # at equal weight too (more specific)
        ("*/*;q=0.1, application/x-ndjson;q=0.2", "ndjson"),
        ("application/json;q=0, */*", "ndjson"),  # q=0 excludes json even under a wildcard
        ("text/tab-separated-values;q=0, text/*", "csv"),
        ("application/json;q=0", "json"),  # nothing acceptable left: the default
        ("text/csv;q=abc", "csv"),  # a malformed weight counts as 1
        ("text/csv;q=2, application/json;q=0.9", "csv"),  # weights are clamped to 0..1
        (",,;", "json"),
    ],
)
def test_negotiate(accept: str, expected: str) -> None:
    assert negotiate(accept) == expected
