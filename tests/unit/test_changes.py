"""The overview's baselines: the newest snapshot of the same strategy at least so old, per period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from s3_storage_analyser.changes import PERIODS, baselines
from s3_storage_analyser.store import SnapshotSummary

NOW = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)


def row(snapshot_id: int, age: timedelta, strategy: str = "list", size: int = 0, objects: int = 0) -> SnapshotSummary:
    return SnapshotSummary(snapshot_id, NOW - age, strategy, 1, objects, size, 0)


def picked(rows: list[SnapshotSummary], latest: SnapshotSummary) -> dict[str, int | None]:
    return {c.key: None if c.baseline is None else c.baseline.id for c in baselines(rows, latest)}


def test_periods_in_order() -> None:
    latest = row(9, timedelta(0))
    assert [c.key for c in baselines([latest], latest)] == ["previous", "7d", "30d"]
    assert [c.label for c in baselines([latest], latest)] == [label for _, label, _ in PERIODS]


def test_the_newest_snapshot_at_least_that_old() -> None:
    latest = row(10, timedelta(0), size=1000, objects=50)
    rows = [
        latest,
        row(9, timedelta(hours=6), size=900, objects=40),
        row(8, timedelta(days=6, hours=23)),  # not quite 7 days
        row(7, timedelta(days=7), size=700, objects=30),  # exactly 7 days: old enough
        row(6, timedelta(days=12)),
        row(5, timedelta(days=29, hours=23)),
        row(4, timedelta(days=31), size=100, objects=10),
        row(3, timedelta(days=90)),
    ]
    found = baselines(rows, latest)
    assert {c.key: c.baseline.id if c.baseline else None for c in found} == {"previous": 9, "7d": 7, "30d": 4}
    assert [(c.bytes(latest), c.objects(latest)) for c in found] == [(100, 10), (300, 20), (900, 40)]


def test_the_order_of_the_rows_does_not_matter() -> None:
    latest = row(10, timedelta(0))
    rows = [row(4, timedelta(days=31)), row(6, timedelta(days=8)), latest, row(5, timedelta(days=40))]
    assert picked(rows, latest) == picked(list(reversed(rows)), latest) == {"previous": 6, "7d": 6, "30d": 4}


def test_other_strategies_are_never_a_baseline() -> None:
    """A cloudwatch snapshot between two listings is skipped: strategies measure differently."""
    latest = row(10, timedelta(0), "list", size=5000)
    rows = [
        latest,
        row(9, timedelta(hours=1), "cloudwatch", size=1),
        row(8, timedelta(days=8), "inventory", size=2),
        row(7, timedelta(days=8, hours=1), "list", size=4000),
        row(6, timedelta(days=31), "cloudwatch", size=3),
        row(5, timedelta(days=45), "list", size=1000),
    ]
    found = baselines(rows, latest)
    assert {c.key: c.baseline.id if c.baseline else None for c in found} == {"previous": 7, "7d": 7, "30d": 5}
    assert [c.bytes(latest) for c in found] == [1000, 1000, 4000]


def test_none_when_no_snapshot_of_the_strategy_is_that_old() -> None:
    latest = row(10, timedelta(0))
    assert picked([latest], latest) == {"previous": None, "7d": None, "30d": None}
    only_other = [latest, row(3, timedelta(days=60), "cloudwatch")]
    assert picked(only_other, latest) == {"previous": None, "7d": None, "30d": None}
    recent = [latest, row(9, timedelta(days=2)), row(8, timedelta(days=8))]
    assert picked(recent, latest) == {"previous": 9, "7d": 8, "30d": None}
    change = baselines(recent, latest)[2]
    assert change.bytes(latest) is None and change.objects(latest) is None  # unknown, never 0


def test_ties_take_the_newest_id() -> None:
    latest = row(10, timedelta(0))
    rows = [latest, row(3, timedelta(days=8)), row(4, timedelta(days=8)), row(2, timedelta(days=8))]
    assert picked(rows, latest) == {"previous": 4, "7d": 4, "30d": None}


def test_a_snapshot_taken_at_the_same_instant_is_the_previous_one_but_never_itself() -> None:
    latest = row(10, timedelta(0))
    twin = row(9, timedelta(0))
    assert picked([latest, twin], latest) == {"previous": 9, "7d": None, "30d": None}
    assert picked([latest], latest)["previous"] is None


def test_snapshots_newer_than_the_latest_are_ignored() -> None:
    """The baselines of an older snapshot look only back from it."""
    middle = row(5, timedelta(days=10))
    rows = [row(10, timedelta(0)), row(7, timedelta(days=2)), middle, row(4, timedelta(days=18))]
    assert picked(rows, middle) == {"previous": 4, "7d": 4, "30d": None}
