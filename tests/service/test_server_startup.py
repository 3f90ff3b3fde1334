"""`serve` and `demo` start-up: --interval is bounded and validated, and a bind error (port in use, bad host)
fails at once with an `error:` line and exit 1, before any scan and before the history is created."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from s3_storage_analyser.cli import parse_duration
from s3_storage_analyser.errors import UsageError

RUN_GUARD = 120  # seconds: a hang guard for each subprocess, far above the few seconds a start-up takes


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        ("0", None),
        ("0s", None),
        ("0h0m", None),
        ("60", 60.0),
        ("90s", 90.0),
        ("30m", 1800.0),
        ("1h30m", 5400.0),
        ("2d12h", 216000.0),
        ("1d2h3m4s", 93784.0),
        ("1.5h", 5400.0),
        (" 6H ", 21600.0),
        ("30d", 2592000.0),
    ],
)
def test_intervals(raw: str, seconds: float | None) -> None:
    assert parse_duration(raw) == seconds


@pytest.mark.parametrize(
    "raw",
    ["", " ", "inf", "nan", "-1", "-5m", "1e9", "abc", "5x", "1h 30m", "30m1h", "1h1h", "h", "1.h", "0x10", "1_000"],
)
def test_bad_intervals_are_usage_errors_with_a_hint(raw: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_duration(raw)
    assert caught.value.exit_code == 2
    assert caught.value.hint and "1h30m" in caught.value.hint


@pytest.mark.parametrize("raw", ["59s", "1", "30d1s", "31d", "100000000"])
def test_intervals_out_of_range_are_refused(raw: str) -> None:
    with pytest.raises(UsageError, match="out of range"):
        parse_duration(raw)


def test_serve_with_a_bad_interval_exits_2(tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKEN", "t")
    for raw in ("inf", "nan", "-1h", ""):
        done = cli("serve", "--interval", raw, "--db", str(tmp_path / "h.db"))
        assert done.code == 2, done.stderr
        assert done.stderr.startswith("error: ")
        assert "hint:" in done.stderr
    assert not (tmp_path / "h.db").exists()


# --- bind errors --------------------------------------------------------------------------------


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port that another socket listens on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield int(holder.getsockname()[1])


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "S3SA_"))}
    env.update(TOKEN="secret", AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_EC2_METADATA_DISABLED="true")
    return subprocess.run(
        [sys.executable, "-m", "s3_storage_analyser", *args],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=RUN_GUARD,
        check=False,
    )


def unused_endpoint() -> str:
    """An endpoint URL nothing listens on: a scan against it would fail (and be logged), not hang."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_serve_on_a_busy_port_fails_before_scanning(busy_port: int, tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    args = ("--port", str(busy_port), "--db", str(db), "--endpoint-url", unused_endpoint())
    done = run_cli("serve", *args, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("error: Cannot listen on 127.0.0.1:")
    assert "already in use" in done.stderr and "--port" in done.stderr
    assert "scan" not in done.stderr  # no scan was started (nor logged)
    assert "Traceback" not in done.stderr
    assert not db.exists()  # nor was the history created


@pytest.mark.parametrize(
    ("host", "message"),
    [("no-such-host.invalid", "does not resolve"), ("192.0.2.1", "not on this machine")],
)
def test_serve_on_a_bad_host_fails_before_scanning(host: str, message: str, tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    done = run_cli("serve", "--host", host, "--port", "0", "--db", str(db), "--endpoint-url", unused_endpoint(),
                   cwd=tmp_path)  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("error: Cannot listen on ")
    assert message in done.stderr and "hint: " in done.stderr
    assert not db.exists()


def test_demo_on_a_busy_port_fails_at_once(busy_port: int, tmp_path: Path) -> None:
    done = run_cli("demo", "--port", str(busy_port), "--scale", "0.01", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "error: Cannot listen on 127.0.0.1:" in done.stderr
    assert "already in use" in done.stderr
    assert "seeding" not in done.stderr
    assert "Traceback" not in done.stderr
