"""Golden files: expected outputs kept in tests/golden/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

GOLDEN_DIR = Path(__file__).parents[1] / "golden"


def golden(name: str, actual: str) -> None:
    """Compare with tests/golden/NAME; UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN_DIR / name
    if os.environ.get("UPDATE_GOLDEN") or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual)
        if not os.environ.get("UPDATE_GOLDEN"):
            pytest.fail(f"golden file {name} did not exist; written, check it and rerun")
    assert actual == path.read_text()
