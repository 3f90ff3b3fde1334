"""A breakdown is defined once, in aggregate's DIMENSIONS: the CLI choices, the spec, the listing, the
inventory path and the renderers read it. A dimension registered here, and nowhere else, is a working
``--by`` for a listing run end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from s3_storage_analyser.aggregate import (
    AGE_LABELS,
    DIMENSIONS,
    SIZE_LABELS,
    Breakdown,
    BreakdownSpec,
    Dimension,
    dimensions_shaped_by,
    register,
)
from s3_storage_analyser.config import ScanOptions, setting
from s3_storage_analyser.errors import UsageError
from s3_storage_analyser.model import BreakdownRow

TOY = "first-letter"


class FirstLetter:
    """Objects and bytes per first character of the key: a toy accumulator."""

    dimension = TOY

    def __init__(self) -> None:
        self.table: dict[str, list[int]] = {}

    def add(self, key: str, size: int, storage_class: str, last_modified: str) -> None:
        cell = self.table.setdefault(key[:1], [0, 0])
        cell[0] += 1
        cell[1] += size

    def merge(self, other: Breakdown) -> None:
        assert isinstance(other, FirstLetter)
        for letter, (objects, size) in other.table.items():
            cell = self.table.setdefault(letter, [0, 0])
            cell[0] += objects
            cell[1] += size

    def rows(self) -> list[BreakdownRow]:
        return [BreakdownRow(TOY, k, v[0], v[1]) for k, v in sorted(self.table.items())]


@pytest.fixture
def toy() -> Iterator[Dimension]:
    before = dict(DIMENSIONS)
    yield register(Dimension(TOY, make=lambda spec: FirstLetter(), settings=("limit",)))
    DIMENSIONS.clear()
    DIMENSIONS.update(before)


def test_the_registry_holds_the_seven_dimensions_in_cli_order() -> None:
    assert list(DIMENSIONS) == ["prefix", "storage-class", "age", "age-class", "size", "extension", "tree"]
    assert DIMENSIONS["age"].labels == AGE_LABELS and DIMENSIONS["size"].labels == SIZE_LABELS
    assert dimensions_shaped_by("limit") == ("prefix", "extension", "tree")
    assert dimensions_shaped_by("depth") == ("prefix",)
    assert dimensions_shaped_by("delimiter") == ("prefix", "tree")
    assert dimensions_shaped_by("tree_folders") == ("tree",)
    # every dimension is counted one way: from each object (and then in SQL too), or from the totals
    for dimension in DIMENSIONS.values():
        assert (dimension.make is not None) == (dimension.sql is not None) != (dimension.derive is not None)


def test_a_registered_dimension_is_a_choice_and_in_the_spec(toy: Dimension) -> None:
    by = setting("by").type
    assert TOY in by.choices
    assert by.convert("FIRST-LETTER", None, None) == TOY
    spec = BreakdownSpec((TOY, "size"))
    made = spec.make()
    assert isinstance(made[0], FirstLetter) and spec.needs_keys
    # a dimension with no SQL form is refused for inventory reports, before any call
    with pytest.raises(UsageError, match="first-letter"):
        ScanOptions(strategy="inventory", breakdowns=spec).validate()


def test_without_registration_it_is_no_choice(cli: Any) -> None:
    result = cli("report", "--strategy", "list", "--by", TOY)
    assert result.code == 2
    assert TOY not in setting("by").type.choices


@pytest.mark.slow
def test_a_registered_dimension_flows_through_a_listing_to_the_renderers(
    toy: Dimension, aws_url: str, cli: Any
) -> None:
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=aws_url)
    s3.create_bucket(Bucket="toys")
    for key, size in (("apple", 3), ("avocado", 5), ("banana", 7)):
        s3.put_object(Bucket="toys", Key=key, Body=b"x" * size)
    common = ("report", "--endpoint-url", aws_url, "--strategy", "list", "--processes", "0", "--by", TOY)
    result = cli(*common, "--limit", "5", "--fmt", "json")  # --limit shapes it, so it applies
    assert result.code == 0, result.stderr
    (bucket,) = json.loads(result.stdout)["Buckets"]
    assert bucket["Breakdowns"][TOY] == [
        {"Key": "a", "Files": 2, "Bytes": 8},
        {"Key": "b", "Files": 1, "Bytes": 7},
    ]
    table = cli(*common, "--fmt", "table")
    assert table.code == 0 and f"toys by {TOY}" in table.stdout
    tsv = cli(*common, "--fmt", "tsv")
    assert f"toys\t{TOY}\ta\t2\t8" in tsv.stdout
