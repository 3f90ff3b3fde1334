"""Start-up: how long the CLI takes before it does anything, and the imports that take it.

    .venv/bin/python benchmarks/startup.py [--repeat 7] [--baseline-src DIR]

Medians of ``--repeat`` runs of: the bare interpreter, ``import s3_storage_analyser.cli``,
``s3-storage-analyser --version``, ``s3-storage-analyser report --help``, and the time from starting
``s3-storage-analyser --strategy list --endpoint-url URL`` to its first request (ListBuckets) arriving
at a loopback endpoint that answers with no buckets; then the imports of ``s3_storage_analyser.cli``
that take the longest (``python -X importtime``, cumulative). Each also shows the CPU seconds (user +
system) the command used, in all, which moves far less than wall time with the load of a shared machine.

``--baseline-src DIR`` (a ``src`` directory of another checkout, e.g. ``git archive HEAD~3 src | tar -x
-C /tmp/before``) runs every measurement on that code too, interleaved with this checkout's so that both
see the same load, and prints this checkout's time as a ratio of the baseline's.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from common import fake_aws_env

EMPTY_BUCKETS = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    b"<Owner><ID>x</ID></Owner><Buckets></Buckets></ListAllMyBucketsResult>"
)
# The code under test: None is this checkout (the installed package); a path is another checkout's ``src``.
Source = str | None


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


def environment(source: Source) -> dict[str, str]:
    """Fake credentials; with ``source``, that checkout's package ahead of the installed one."""
    return fake_aws_env({"PYTHONPATH": source} if source else None)


def cli(source: Source) -> list[str]:
    script = Path(sys.executable).parent / "s3-storage-analyser"
    if source is None and script.exists():
        return [str(script)]
    # the console script's own two lines, so that PYTHONPATH decides which package runs
    return [sys.executable, "-c", "import sys; from s3_storage_analyser.cli import entry; sys.exit(entry())"]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wall(argv: list[str], source: Source) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of ``argv``."""
    cpu, started = children_cpu(), time.perf_counter()
    subprocess.run(argv, env=environment(source), capture_output=True, check=False)
    return time.perf_counter() - started, children_cpu() - cpu


def to_first_request(source: Source) -> tuple[float, float]:
    """(seconds from the start to the first request, CPU seconds of the whole run: it lists no bucket)."""
    endpoint = FirstRequest()
    cpu, started = children_cpu(), time.perf_counter()
    argv = [*cli(source), "--strategy", "list", "--endpoint-url", endpoint.url, "--fmt", "json", "--quiet"]
    subprocess.run(argv, env=environment(source), capture_output=True, check=False)
    used = children_cpu() - cpu
    endpoint.server.shutdown()
    return (endpoint.first or float("nan")) - started, used


IMPORT_CLI = "import s3_storage_analyser.cli"


def measurements() -> dict[str, Callable[[Source], tuple[float, float]]]:
    return {
        "bare interpreter": lambda src: wall([sys.executable, "-c", "pass"], src),
        "import s3_storage_analyser.cli": lambda src: wall([sys.executable, "-c", IMPORT_CLI], src),
        "s3-storage-analyser --version": lambda src: wall([*cli(src), "--version"], src),
        "s3-storage-analyser report --help": lambda src: wall([*cli(src), "report", "--help"], src),
        "list: start to first request": to_first_request,
    }


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
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--baseline-src", metavar="DIR", help="Another checkout's src directory to compare with.")
    args = parser.parse_args(argv)
    n = max(1, args.repeat)
    baseline = os.path.abspath(args.baseline_src) if args.baseline_src else None
    sources: list[Source] = [None, baseline] if baseline else [None]
    load_before = os.getloadavg()
    times: dict[tuple[str, Source], list[tuple[float, float]]] = {}
    for name, measure in measurements().items():
        for _ in range(n):
            for source in sources:  # interleaved: both see the same moment's load
                times.setdefault((name, source), []).append(measure(source))
    load_after = os.getloadavg()
    print(f"median of {n} runs, wall seconds (CPU seconds)")
    print(f"{'':36} {'this':>13}" + (f" {'baseline':>13} {'ratio':>11}" if baseline else ""))
    for name in measurements():
        mine = [statistics.median(run[i] for run in times[(name, None)]) for i in (0, 1)]
        line = f"{name:36} {mine[0]:5.2f} ({mine[1]:4.2f})"
        if baseline:
            theirs = [statistics.median(run[i] for run in times[(name, baseline)]) for i in (0, 1)]
            line += f" {theirs[0]:5.2f} ({theirs[1]:4.2f}) {mine[0] / theirs[0]:4.2f} ({mine[1] / theirs[1]:4.2f})"
        print(line)
    print(f"load average (1 min) {load_before[0]:.2f} before, {load_after[0]:.2f} after; {os.cpu_count()} CPUs")
    print(f"\nslowest imports of s3_storage_analyser.cli (cumulative, one run, -X importtime, top {args.top}):")
    for seconds, name in slowest_imports(args.top):
        print(f"  {seconds:6.3f} s  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
