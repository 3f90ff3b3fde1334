"""The history and diff tables are shaped as the report's: no line ends in spaces, nothing is cut."""

from __future__ import annotations

from datetime import UTC, datetime

from s3_storage_analyser.diff import diff
from s3_storage_analyser.model import Bucket, BucketReport, Snapshot, Usage
from s3_storage_analyser.render.diff import render_diff
from s3_storage_analyser.render.history import render_history
from s3_storage_analyser.store import SnapshotSummary

T = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
LONG = "a-bucket-name-that-is-as-long-as-s3-allows-it-to-be-63-chars-xx"
LONG_CLASS = "A_STORAGE_CLASS_AN_S3_COMPATIBLE_SERVER_MADE_UP_" * 3


def _report(name: str, size: int) -> BucketReport:
    return BucketReport(Bucket(name, "eu-west-1", T), Usage(objects=1, bytes_by_class={LONG_CLASS: size}))


def test_history_table_has_no_trailing_spaces() -> None:
    rows = [SnapshotSummary(7, T, "list", 2, 10, 1234, 0), SnapshotSummary(12345, T, "cloudwatch", 1, 1, 1, 1)]
    out = render_history(rows, "table")
    assert "12345" in out and "cloudwatch" in out
    assert [line for line in out.splitlines() if line != line.rstrip()] == []


def test_diff_table_has_no_trailing_spaces_and_cuts_no_wide_row() -> None:
    before = Snapshot("list", T, (_report(LONG, 1),))
    after = Snapshot("list", T, (_report(LONG, 5_000_000), _report("short", 2)))
    out = render_diff(diff(before, after), (1, before), (2, after), "table", None)
    assert [line for line in out.splitlines() if line != line.rstrip()] == []
    assert LONG in out and LONG_CLASS in out  # a row wider than 200 columns is not truncated
