"""Numbers read from outside are ASCII digits: ``\\d`` and ``str.isdigit`` accept any script's digits."""

from __future__ import annotations

import pytest

from s3_storage_analyser.errors import AwsError
from s3_storage_analyser.inventory.locate import _STAMP
from s3_storage_analyser.strategies.cloudwatch import _answered


def test_an_inventory_folder_stamp_in_other_digits_is_not_a_report() -> None:
    assert _STAMP.search("inv/src/config/2024-01-02T01-00Z/") is not None
    assert _STAMP.search("inv/src/config/２０２４-01-02T01-00Z/") is None


def test_a_metric_answer_id_in_other_digits_was_never_asked() -> None:
    batch: list[object] = ["first", "second"]
    assert _answered(batch, "m1") == "second"  # type: ignore[arg-type,comparison-overlap]
    with pytest.raises(AwsError, match="not asked"):
        _answered(batch, "m１")  # type: ignore[arg-type]
