"""The top objects come from the same scan as every other figure (``analyse``).

Only objects at least as large as a bound read from the first rows reach the
top-n aggregate. These tests make that sample tiny, so the bound is wrong in
every way it can be: sizes growing through the report, ties across the n-th
place, noncurrent versions and delete markers larger than any current object,
a ``--bucket s3://name/prefix`` scope, and too few rows for a bound at all.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from s3_storage_analyser.aggregate import BreakdownSpec, TopObjects
from s3_storage_analyser.demo.inventory_writer import InventoryRow, save_local, write_report
from s3_storage_analyser.inventory import analyse as analyse_module
from s3_storage_analyser.inventory.analyse import analyse, connect, open_source
from s3_storage_analyser.inventory.manifest import parse_manifest

FORMATS = ("CSV", "Parquet", "ORC")
START = datetime(2025, 3, 4, 5, 6, 7, 891000, tzinfo=UTC)


def report_rows(seed: int) -> list[InventoryRow]:
    """Sizes mostly growing with the row number, many ties, and old versions bigger than all."""
    rng = random.Random(seed)
    rows = []
    for i in range(300):
        size = i // 7 * 10 + rng.choice([0, 0, 5])  # runs of equal sizes across the n-th place
        key = f"{rng.choice(['logs', 'img', 'tmp'])}/{rng.randrange(10**6):06d}-{i}"
        modified = START + timedelta(seconds=i, milliseconds=i)
        rows.append(InventoryRow(key, size, rng.choice(["STANDARD", "GLACIER"]), modified, version_id=f"v{i}"))
        if i % 50 == 0:  # a noncurrent version and a delete marker, larger than any current object
            rows.append(InventoryRow(key, 10**9, "STANDARD", modified, version_id=f"old{i}", is_latest=False))
            rows.append(InventoryRow(f"gone/{i}", 10**9 + 1, "STANDARD", modified, is_delete_marker=True))
    return rows


def expected_top(rows: list[InventoryRow], n: int, prefix: str = "") -> list[tuple[str, int, str, str]]:
    current = [r for r in rows if r.is_latest and not r.is_delete_marker and r.key.startswith(prefix)]
    ranked = sorted(current, key=lambda r: (-(r.size or 0), r.key))[:n]
    stamp = "%Y-%m-%dT%H:%M:%S"
    return [
        (r.key, r.size or 0, r.storage_class, f"{r.last_modified:{stamp}}.{r.last_modified.microsecond // 1000:03d}Z")
        for r in ranked
    ]


def top_of(
    tmp_path: Path, fmt: str, rows: list[InventoryRow], n: int, prefix: str = ""
) -> list[tuple[str, int, str, str]]:
    report = write_report(rows, source_bucket="src", destination_bucket="dst", fmt=fmt, rows_per_file=64)
    manifest_path = save_local(report, tmp_path / fmt)
    manifest = parse_manifest(manifest_path.read_bytes(), str(manifest_path))
    paths = [tmp_path / fmt / item.key for item in manifest.files]
    con = connect(paths, threads=2)
    try:
        source = open_source(con, manifest, paths)
        usage = analyse(con, source, BreakdownSpec(top_objects=n), key_prefix=prefix)
    finally:
        con.close()
    return [
        (r.key, r.bytes, r.storage_class, r.last_modified)
        for r in usage.breakdowns
        if r.dimension == TopObjects.dimension
    ]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("sample", [1, 20, 150, 10**6])
def test_top_objects_whatever_the_sample(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, sample: int
) -> None:
    monkeypatch.setattr(analyse_module, "TOP_SAMPLE_ROWS", sample)
    rows = report_rows(seed=sample)
    assert top_of(tmp_path, fmt, rows, 10) == expected_top(rows, 10)


@pytest.mark.parametrize("fmt", FORMATS)
def test_top_objects_in_a_scope(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    """The bound comes from in-scope rows only: out-of-scope giants in the sample must not raise it."""
    monkeypatch.setattr(analyse_module, "TOP_SAMPLE_ROWS", 40)
    giants = [InventoryRow(f"big/{i}", 10**12 + i, "STANDARD", START) for i in range(30)]
    rows = giants + report_rows(seed=7)
    got = top_of(tmp_path, fmt, rows, 5, prefix="img/")
    assert got == expected_top(rows, 5, prefix="img/")
    assert len(got) == 5 and all(key.startswith("img/") for key, *_ in got)


def test_fewer_objects_than_asked(tmp_path: Path) -> None:
    rows = [InventoryRow("a", 3), InventoryRow("b", 3), InventoryRow("c", 1, is_latest=False)]
    assert top_of(tmp_path, "Parquet", rows, 10) == expected_top(rows, 10)
    assert [key for key, *_ in top_of(tmp_path, "CSV", rows, 10)] == ["a", "b"]
