"""Start-up: how long the CLI takes before it does anything, and the imports that take it.

    .venv/bin/python benchmarks/startup.py [--repeat 5]

Medians of ``--repeat`` runs of: the bare interpreter, ``s3-storage-analyser --version``, and the
time from starting ``s3-storage-analyser --strategy list --endpoint-url URL`` to its first request
(ListBuckets) arriving at a loopback endpoint that answers with no buckets; then the imports of
``s3_storage_analyser.cli`` that take the longest (``python -X importtime``, cumulative).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from common import fake_aws_env

EMPTY_BUCKETS = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    b"<Owner><ID>x</ID></Owner><Buckets></Buckets></ListAllMyBucketsResult>"
)


class FirstRequest:
    """A loopback endpoint that notes when its first request arrives and answers every one with no buckets."""

    def __init__(self) -> None:
        self.first: float | None = None
        watcher = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_GET(self) -> None:
                if watcher.first is None:
                    watcher.first = time.perf_counter()
                self.send_response(200)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(EMPTY_BUCKETS)))
                self.end_headers()
                self.wfile.write(EMPTY_BUCKETS)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


def cli() -> list[str]:
    script = Path(sys.executable).parent / "s3-storage-analyser"
    return [str(script)] if script.exists() else [sys.executable, "-m", "s3_storage_analyser"]


def wall(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=fake_aws_env(), capture_output=True, check=False)
    return time.perf_counter() - started


def to_first_request() -> float:
    endpoint = FirstRequest()
    started = time.perf_counter()
    argv = [*cli(), "--strategy", "list", "--endpoint-url", endpoint.url, "--fmt", "json", "--quiet"]
    subprocess.run(argv, env=fake_aws_env(), capture_output=True, check=False)
    endpoint.server.shutdown()
    return (endpoint.first or float("nan")) - started


def slowest_imports(top: int) -> list[tuple[float, str]]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import s3_storage_analyser.cli"],
        env=fake_aws_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    rows = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]) / 1e6, parts[2].rstrip()))
    return sorted(rows, reverse=True)[:top]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    n = max(1, args.repeat)
    bare = statistics.median(wall([sys.executable, "-c", "pass"]) for _ in range(n))
    version = statistics.median(wall([*cli(), "--version"]) for _ in range(n))
    first = statistics.median(to_first_request() for _ in range(n))
    print(f"bare interpreter                       {bare:6.2f} s")
    print(f"s3-storage-analyser --version          {version:6.2f} s")
    print(f"list: start to first request           {first:6.2f} s")
    print(f"\nslowest imports of s3_storage_analyser.cli (cumulative, one run, -X importtime, top {args.top}):")
    for seconds, name in slowest_imports(args.top):
        print(f"  {seconds:6.3f} s  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
