"""The real service: `python -m s3_storage_analyser serve` on uvicorn, scanning moto over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from s3_storage_analyser.store import Store
from support.aws import make_bucket

SECRET = "secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(aws_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    make_bucket(aws_url, "alpha", "eu-west-1").put_object(Bucket="alpha", Key="k", Body=b"x" * 4321)
    make_bucket(aws_url, "beta").put_object(Bucket="beta", Key="k", Body=b"y" * 99)
    port = free_port()
    env = {**os.environ, "TOKEN": SECRET}
    env.pop("S3SA_DB", None)
    stderr_path = tmp_path / "server.stderr"
    with stderr_path.open("wb") as stderr:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "s3_storage_analyser",
                "serve",
                "--port",
                str(port),
                "--db",
                str(tmp_path / "h.db"),
                "--endpoint-url",
                aws_url,
                "--interval",
                "0",
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_snapshot(proc, base, stderr_path)
        yield {"proc": proc, "base": base, "stderr": stderr_path, "db": tmp_path / "h.db"}
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def _wait_for_snapshot(proc: subprocess.Popen[bytes], base: str, stderr_path: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}:\n{stderr_path.read_text()}")
        try:
            health = httpx.get(f"{base}/healthz", timeout=2)
            if health.status_code == 200 and health.json()["HasSnapshot"]:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"no snapshot within 30 s:\n{stderr_path.read_text()}")
        time.sleep(0.1)


@pytest.mark.slow
def test_serves_scans_and_shuts_down_gracefully(server: dict[str, Any]) -> None:
    base, proc = server["base"], server["proc"]

    tsv = httpx.get(f"{base}/", params={"token": SECRET, "fmt": "tsv"}, timeout=10)
    assert tsv.status_code == 200, tsv.text
    assert tsv.headers["content-type"].startswith("text/tab-separated-values")
    lines = tsv.text.splitlines()
    assert lines[0].split("\t")[:4] == ["Bucket", "Region", "Files", "Total"]
    rows = {line.split("\t")[0]: line.split("\t") for line in lines[1:]}
    assert rows["alpha"][1:4] == ["eu-west-1", "1", "4321"]
    assert rows["beta"][1:4] == ["us-east-1", "1", "99"]

    as_json = httpx.get(f"{base}/", headers={"Authorization": f"Bearer {SECRET}"}, timeout=10)
    assert as_json.status_code == 200
    sizes = {b["Bucket"]: b["Bytes"] for b in as_json.json()["Buckets"]}
    assert sizes == {"alpha": 4321, "beta": 99}

    head = httpx.head(f"{base}/", headers={"Authorization": f"Bearer {SECRET}"}, timeout=10)
    assert head.status_code == 200  # HEAD through uvicorn itself: same headers, no body
    assert head.content == b""
    assert head.headers["content-length"] == as_json.headers["content-length"]
    health = httpx.get(f"{base}/healthz", timeout=10)
    assert (health.status_code, health.json()["Status"], health.json()["Reasons"]) == (200, "ok", [])
    docs = httpx.get(f"{base}/docs", timeout=10)
    assert docs.status_code == 200
    assert "://" not in docs.text  # no CDN: every script and style is a path on this server

    snapshots = httpx.get(f"{base}/api/v1/snapshots", headers={"Authorization": f"Bearer {SECRET}"}, timeout=10)
    assert [s["Id"] for s in snapshots.json()["Snapshots"]] == [1]

    wrong = httpx.get(f"{base}/", params={"token": "not-the-secret", "fmt": "json"}, timeout=10)
    assert wrong.status_code == 401
    assert wrong.json()["Error"]["Code"] == "Unauthorized"
    assert wrong.headers["www-authenticate"] == "Bearer"
    assert httpx.get(f"{base}/metrics", timeout=10).status_code == 401

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    # The store was closed (SQLite checkpoints and removes the WAL on the last clean close).
    assert server["db"].exists()
    assert not Path(f"{server['db']}-wal").exists()
    store = Store(server["db"])
    try:
        assert store.latest_ids(5) == [1]
        assert {r.bucket.name: r.usage.bytes for r in store.load(1).buckets} == {"alpha": 4321, "beta": 99}
    finally:
        store.close()

    log = server["stderr"].read_text()
    assert "GET / 200" in log  # the access log did record the requests...
    assert "GET / 401" in log
    assert SECRET not in log  # ...but never the token sent in the query string
    assert "Traceback" not in log


def test_serve_without_a_token_exits_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TOKEN"}
    done = subprocess.run(
        [sys.executable, "-m", "s3_storage_analyser", "serve", "--port", str(free_port()), "--db", str(tmp_path / "h")],
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "No API token" in done.stderr
    assert "TOKEN" in done.stderr
    assert not (tmp_path / "h").exists()
