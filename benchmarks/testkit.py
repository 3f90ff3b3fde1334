"""The test kit (``tests/support``) for benchmarks run as scripts (``python benchmarks/listing.py``).

Importing this module puts ``tests/`` on ``sys.path`` once, so a benchmark imports
``support.fakes3`` exactly as the tests do; the fake endpoints are not part of the
installed package.
"""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = str(Path(__file__).resolve().parent.parent / "tests")
if TESTS not in sys.path:
    sys.path.append(TESTS)
