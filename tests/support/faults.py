"""Assertions and sockets shared by the failure tests."""

from __future__ import annotations

import socket

from support.cli import CliResult


def assert_clean_failure(result: CliResult, code: int, *messages: str) -> None:
    """The exit code, each message on stderr, and no traceback."""
    assert result.code == code, (result.code, result.stderr)
    for message in messages:
        assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
