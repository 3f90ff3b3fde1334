"""What the ``cli`` fixture (conftest.py) returns: one in-process run of the CLI's real entry point."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str
