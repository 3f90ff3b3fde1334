"""Service throughput: ``s3-storage-analyser serve`` under concurrent load, /metrics and the JSON report.

    .venv/bin/python benchmarks/service.py [--buckets 2000] [--clients 200] [--seconds 10] [--quick]

One run:

* builds a history database in a temporary directory holding one snapshot of
  ``--buckets`` buckets x 8 storage classes (CloudWatch-shaped: realistic names,
  regions, per-class bytes and storage types), built directly and ``Store.save``-d;
* starts the real server as a subprocess
  (``s3-storage-analyser serve --port P --db DB --interval 0 --no-initial-scan``,
  ``TOKEN=bench``, fake AWS credentials, no IMDS; no scan ever runs) and waits
  for ``/healthz``;
* checks one response of each endpoint is right (``/metrics`` has buckets x 8
  ``s3_bucket_size_bytes`` samples with the known values, the report has every
  bucket and the known total; a request without the token gets 401), so a fast
  wrong answer cannot pass;
* loads ``GET /metrics`` and ``GET /api/v1/report`` (JSON) in turn with
  ``--clients`` concurrent keep-alive connections on loopback for ``--seconds``
  each, with ``Authorization: Bearer bench``: through ``wrk`` when it is on PATH,
  else through the asyncio generator below, run in its own process (raw HTTP/1.1,
  one coroutine per connection, per-request latency, every response's status and
  size checked against the verified one).

Requests/s counts responses completed inside the window. With the asyncio
generator, requests in flight when the window closes may finish during a grace
period (``--grace``); their latency counts towards p50/p99, and any still
unfinished are reported. wrk drops in-flight requests at the end of its window
(``--timeout`` is set to the grace so slow responses are not censored early).

When /metrics serves fewer than ``--poor`` requests/s (or with ``--profile``),
the script profiles in-process where one request's time goes (latest-id query,
snapshot load, metric families, exposition text, JSON) and measures the same
endpoint shapes serving pre-rendered bytes (a tiny FastAPI app defined here,
with the same threadpool endpoint, token check and latest-id query): what caching
the rendered body per snapshot id would give. Nothing under ``src/`` is changed.

The machine's cores are shared by the server and the load generator: the server
is one Python process (one core at most, the GIL), the generator takes the rest.

Results go to stdout as a table and to ``benchmarks/results/service-<date>.json``.
Exit status 1 when a verification fails or a load run saw errors or wrong responses.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import importlib.metadata
import io
import json
import math
import os
import platform
import pstats
import random
import re
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

# Third-party imports at module level: FastAPI resolves the cached-bytes app's string annotations here.
import uvicorn
from fastapi import Depends, FastAPI, Request, Response
from starlette.middleware.base import RequestResponseEndpoint

from common import cpu_seconds_of, fake_aws_env, git_commit
from s3_storage_analyser.model import Bucket, BucketReport, Snapshot, Usage
from s3_storage_analyser.server.auth import AuthConfig
from s3_storage_analyser.store import Store

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
VENV_BIN = Path(sys.executable).parent
TOKEN = "bench"
HOST = "127.0.0.1"
ENDPOINTS: tuple[tuple[str, str], ...] = (("/metrics", "/metrics"), ("/api/v1/report", "/api/v1/report?fmt=json"))
CORES_NOTE = (
    "{cores} CPU core(s), shared by the server and the load generator on loopback: the server is one "
    "Python process (at most one core, the GIL), the generator competes with it for the rest."
)

# --------------------------------------------------------------------------- the snapshot

# (region, weight): most buckets in a few home regions, a long tail elsewhere.
REGIONS: tuple[tuple[str, int], ...] = (
    ("us-east-1", 40),
    ("eu-west-1", 18),
    ("us-west-2", 14),
    ("eu-central-1", 9),
    ("ap-southeast-2", 5),
    ("ap-northeast-1", 4),
    ("us-east-2", 4),
    ("eu-west-2", 3),
    ("sa-east-1", 1),
    ("ca-central-1", 1),
    ("ap-south-1", 1),
)
TEAMS = ("acme", "payments", "search", "ml", "data", "platform", "media", "analytics", "identity", "growth")
PURPOSES = ("logs", "backups", "artifacts", "raw", "curated", "exports", "uploads", "cdn-origin", "archive", "tmp")
ENVS = ("prod", "staging", "dev", "sandbox")

# The 8 classes every bucket reports, each with the CloudWatch storage types billed to it
# (bytes split main type / overhead) and the median bytes of a bucket in that class.
CLASSES: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("STANDARD", ("StandardStorage",), 200e9),
    ("REDUCED_REDUNDANCY", ("ReducedRedundancyStorage",), 0.5e9),
    ("STANDARD_IA", ("StandardIAStorage", "StandardIASizeOverhead"), 80e9),
    ("ONEZONE_IA", ("OneZoneIAStorage", "OneZoneIASizeOverhead"), 10e9),
    ("INTELLIGENT_TIERING", ("IntelligentTieringFAStorage", "IntelligentTieringIAStorage"), 120e9),
    ("GLACIER_IR", ("GlacierInstantRetrievalStorage", "GlacierInstantRetrievalSizeOverhead"), 40e9),
    ("GLACIER", ("GlacierStorage", "GlacierObjectOverhead"), 300e9),
    ("DEEP_ARCHIVE", ("DeepArchiveStorage", "DeepArchiveObjectOverhead"), 900e9),
)


def build_snapshot(buckets: int, seed: int = 20240601) -> Snapshot:
    """A CloudWatch-shaped snapshot: every bucket with bytes in all 8 classes, deterministic."""
    rng = random.Random(seed)
    regions = [r for r, _ in REGIONS]
    weights = [w for _, w in REGIONS]
    taken = datetime(2024, 6, 2, 6, 0, tzinfo=UTC)
    data_day = date(2024, 6, 1)
    reports = []
    for n in range(buckets):
        name = f"{rng.choice(TEAMS)}-{rng.choice(PURPOSES)}-{rng.choice(ENVS)}-{n:05d}"
        region = rng.choices(regions, weights)[0]
        created = taken - timedelta(days=rng.randint(30, 3650), seconds=rng.randint(0, 86399))
        storage_types: dict[str, int] = {}
        by_class: dict[str, int] = {}
        for code, types, median in CLASSES:
            total = max(1, int(rng.lognormvariate(math.log(median), 2.0)))
            main = total if len(types) == 1 else int(total * rng.uniform(0.97, 0.999))
            split = [main, total - main][: len(types)]
            storage_types.update(zip(types, split, strict=True))
            by_class[code] = total
        objects = max(1, sum(by_class.values()) // rng.randint(64_000, 8_000_000))
        usage = Usage(objects=objects, bytes_by_class=by_class, storage_types=storage_types)
        reports.append(BucketReport(Bucket(name, region, created), usage, data_day))
    return Snapshot(strategy="cloudwatch", taken_at=taken, buckets=tuple(reports))


def build_db(path: Path, snapshot: Snapshot) -> int:
    store = Store(path)
    try:
        return store.save(snapshot)
    finally:
        store.close()


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def fetch(url: str, token: str | None = TOKEN, timeout: float = 60.0) -> tuple[int, bytes]:
    """One GET: status and body (error statuses included)."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


class ServerProcess:
    """A server subprocess with its output in a log file; stopped with SIGTERM (then SIGKILL)."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], log_path: Path, port: int) -> None:
        self.argv = list(argv)
        self.port = port
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(self.argv, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def wait_ready(self, path: str = "/healthz", timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                status, _ = fetch(self.base + path, token=None, timeout=2.0)
                if status == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"server not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        self._log.flush()
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


@contextlib.contextmanager
def running(argv: Sequence[str], env: dict[str, str], log_path: Path, port: int, ready: str) -> Iterator[ServerProcess]:
    server = ServerProcess(argv, env, log_path, port)
    try:
        server.wait_ready(ready)
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------- verification


SAMPLE = re.compile(r'^s3_bucket_size_bytes\{bucket="([^"]*)",region="([^"]*)",storage_class="([^"]*)"\} (\S+)$')


def verify_metrics(body: bytes, snapshot: Snapshot) -> list[str]:
    """Every bucket x class sample present once, with the snapshot's value."""
    expected = {
        (r.bucket.name, r.bucket.region, code): value
        for r in snapshot.buckets
        for code, value in r.usage.bytes_by_class.items()
    }
    problems: list[str] = []
    seen: dict[tuple[str, str, str], float] = {}
    for line in body.decode("utf-8").splitlines():
        match = SAMPLE.match(line)
        if match:
            seen[(match[1], match[2], match[3])] = float(match[4])
    count = sum(1 for line in body.splitlines() if line.startswith(b"s3_bucket_size_bytes{"))
    if count != len(expected):
        problems.append(f"/metrics has {count} s3_bucket_size_bytes samples, expected {len(expected)}")
    wrong = [k for k, v in expected.items() if k not in seen or not math.isclose(seen[k], v, rel_tol=1e-12)]
    if wrong:
        problems.append(f"/metrics: {len(wrong)} samples missing or with the wrong value, e.g. {wrong[0]}")
    return problems


def verify_report(body: bytes, snapshot: Snapshot) -> list[str]:
    """Every bucket once, with its bytes, files and region; the known total."""
    data = json.loads(body)
    rows = {row["Bucket"]: row for row in data.get("Buckets", [])}
    problems: list[str] = []
    if len(data.get("Buckets", [])) != len(snapshot.buckets):
        problems.append(f"report has {len(data.get('Buckets', []))} buckets, expected {len(snapshot.buckets)}")
    for r in snapshot.buckets:
        row = rows.get(r.bucket.name)
        if row is None or (row["Bytes"], row["Files"], row["Region"]) != (
            r.usage.bytes,
            r.usage.objects,
            r.bucket.region,
        ):
            problems.append(f"report row for {r.bucket.name} is missing or wrong")
            break
    total = sum(int(row["Bytes"]) for row in data.get("Buckets", []))
    if total != snapshot.total.bytes:
        problems.append(f"report total {total} != {snapshot.total.bytes}")
    return problems


# --------------------------------------------------------------------------- load: results


@dataclass
class LoadResult:
    """One endpoint under load."""

    endpoint: str
    generator: str
    clients: int
    seconds: float
    completed: int  # responses completed inside the window
    requests_per_s: float
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    bytes_per_response: int
    errors: int = 0  # connection errors / timeouts
    non_2xx: int = 0
    wrong_size: int = 0  # 2xx with a size other than the verified response's
    drained: int = 0  # started in the window, finished during the grace period
    unfinished: int = 0  # still in flight when the grace period ended
    server_cpu_s: float | None = None
    generator_cpu_s: float | None = None
    other_load_cpu_s: float | None = None  # machine busy time minus server and generator: other users
    wall_s: float | None = None  # the whole load run: window, grace and generator start-up
    note: str = ""
    command: str = ""

    @property
    def server_cpu_ms_per_response(self) -> float | None:
        """Server CPU over the whole run (window and grace) per response it completed."""
        done = self.completed + self.drained
        return None if self.server_cpu_s is None or not done else 1000 * self.server_cpu_s / done

    @property
    def ok(self) -> bool:
        return self.completed > 0 and not (self.errors or self.non_2xx or self.wrong_size)


def percentile(ordered: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile of sorted values."""
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, max(0, math.ceil(pct / 100 * len(ordered)) - 1))]


# --------------------------------------------------------------------------- load: wrk


_WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _wrk_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"unparsable wrk duration {text!r}")
    return float(match[1]) * _WRK_UNITS[match[2]]


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests/s, latency percentiles and error counts from ``wrk --latency`` output."""
    out: dict[str, Any] = {"errors": 0, "non_2xx": 0}
    if match := re.search(r"Requests/sec:\s+([\d.]+)", output):
        out["requests_per_s"] = float(match[1])
    if match := re.search(r"(\d+) requests in ([\d.]+\w+),", output):
        out["completed"] = int(match[1])
    for pct in ("50", "90", "99"):
        if match := re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", output, re.MULTILINE):
            out[f"p{pct}_ms"] = _wrk_ms(match[1])
    if match := re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", output):
        out["max_ms"] = _wrk_ms(match[1])
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        out["errors"] = sum(int(g) for g in match.groups())
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        out["non_2xx"] = int(match[1])
    return out


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine_busy_seconds() -> float | None:
    """CPU seconds all cores have been busy since boot (all but idle and iowait), from /proc/stat."""
    try:
        ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def run_wrk(wrk: str, url: str, clients: int, seconds: float, grace: float, size: int, endpoint: str) -> LoadResult:
    threads = max(1, min(2, clients))
    argv = [
        wrk,
        f"-t{threads}",
        f"-c{clients}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={max(1, round(grace))}s",
        "--latency",
        "-H",
        f"Authorization: Bearer {TOKEN}",
        url,
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + grace + 60, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    parsed = parse_wrk(done.stdout)
    return LoadResult(
        endpoint=endpoint,
        generator="wrk",
        clients=clients,
        seconds=seconds,
        completed=int(parsed.get("completed", 0)),
        requests_per_s=float(parsed.get("requests_per_s", 0.0)),
        p50_ms=parsed.get("p50_ms"),
        p90_ms=parsed.get("p90_ms"),
        p99_ms=parsed.get("p99_ms"),
        max_ms=parsed.get("max_ms"),
        bytes_per_response=size,
        errors=int(parsed["errors"]),
        non_2xx=int(parsed["non_2xx"]),
        note="wrk: latency of requests completed inside the window; response sizes not checked by wrk",
        command=shlex.join(argv),
    )


# --------------------------------------------------------------------------- load: asyncio generator


@dataclass
class _GenState:
    started: int = 0
    errors: int = 0
    last_error: str = ""
    samples: list[tuple[float, float, int, int]] = field(default_factory=list)  # start, end, status, bytes


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, int, bool]:
    """Status, body size, and whether the server closes the connection."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    headers: dict[bytes, bytes] = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name:
            headers[name.strip().lower()] = value.strip().lower()
    if headers.get(b"transfer-encoding") == b"chunked":
        size = 0
        while True:
            chunk = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if chunk == 0:
                await reader.readuntil(b"\r\n")
                break
            size += len(await reader.readexactly(chunk + 2)) - 2
    else:
        size = int(headers.get(b"content-length", b"0"))
        remaining = size
        while remaining:
            data = await reader.read(min(remaining, 1 << 20))
            if not data:
                raise asyncio.IncompleteReadError(b"", remaining)
            remaining -= len(data)
    return status, size, headers.get(b"connection") == b"close"


async def _connection(
    host: str, port: int, request: bytes, deadline: float, max_requests: int, state: _GenState
) -> None:
    writer: asyncio.StreamWriter | None = None
    reader: asyncio.StreamReader | None = None
    try:
        while time.perf_counter() < deadline and state.started < max_requests:
            try:
                if writer is None or reader is None:
                    reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
                state.started += 1
                began = time.perf_counter()
                writer.write(request)
                status, size, closes = await _read_response(reader)
                state.samples.append((began, time.perf_counter(), status, size))
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
                state.errors += 1
                state.last_error = repr(exc)
                closes = True
                await asyncio.sleep(0.05)
            if closes and writer is not None:
                writer.close()
                writer, reader = None, None
    finally:
        if writer is not None:
            writer.close()


async def _generate(url: str, clients: int, seconds: float, grace: float, max_requests: int) -> dict[str, Any]:
    parsed = urllib.parse.urlsplit(url)
    host, port = parsed.hostname or HOST, parsed.port or 80
    target = parsed.path + (f"?{parsed.query}" if parsed.query else "")
    request = (
        f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {TOKEN}\r\n"
        "Accept: */*\r\nUser-Agent: s3sa-bench\r\n\r\n"
    ).encode()
    state = _GenState()
    start = time.perf_counter()
    deadline = start + seconds
    tasks = [
        asyncio.create_task(_connection(host, port, request, deadline, max_requests, state)) for _ in range(clients)
    ]
    _, pending = await asyncio.wait(tasks, timeout=seconds + grace)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    in_window = [s for s in state.samples if s[1] <= deadline]
    latencies = sorted(1000 * (end - began) for began, end, _, _ in state.samples)
    statuses: dict[int, int] = {}
    sizes: dict[int, int] = {}
    for _, _, status, size in state.samples:
        statuses[status] = statuses.get(status, 0) + 1
        sizes[size] = sizes.get(size, 0) + 1
    return {
        "completed": len(in_window),
        "requests_per_s": len(in_window) / seconds,
        "drained": len(state.samples) - len(in_window),
        "unfinished": state.started - len(state.samples) - state.errors,
        "errors": state.errors,
        "last_error": state.last_error,
        "statuses": statuses,
        "sizes": sizes,
        "p50_ms": percentile(latencies, 50),
        "p90_ms": percentile(latencies, 90),
        "p99_ms": percentile(latencies, 99),
        "max_ms": latencies[-1] if latencies else None,
    }


def loadgen_main(argv: Sequence[str]) -> int:
    """Child-process mode: load one URL, print the result as one JSON line."""
    parser = argparse.ArgumentParser(prog="service.py --_loadgen")
    parser.add_argument("url")
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--grace", type=float, required=True)
    parser.add_argument("--max-requests", type=int, required=True)
    args = parser.parse_args(argv)
    result = asyncio.run(_generate(args.url, args.clients, args.seconds, args.grace, args.max_requests))
    print(json.dumps(result))
    return 0


def run_asyncio(
    url: str, clients: int, seconds: float, grace: float, max_requests: int, size: int, endpoint: str
) -> LoadResult:
    argv = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--_loadgen",
        url,
        f"--clients={clients}",
        f"--seconds={seconds}",
        f"--grace={grace}",
        f"--max-requests={max_requests}",
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + grace + 60, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    non_2xx = sum(n for status, n in data["statuses"].items() if not 200 <= int(status) < 300)
    wrong = sum(n for got, n in data["sizes"].items() if int(got) != size) - non_2xx
    note = "asyncio generator (own process, raw HTTP/1.1 keep-alive): p50/p99 over every completed request"
    if data["errors"]:
        note += f"; last error: {data['last_error']}"
    return LoadResult(
        endpoint=endpoint,
        generator="python-asyncio",
        clients=clients,
        seconds=seconds,
        completed=int(data["completed"]),
        requests_per_s=float(data["requests_per_s"]),
        p50_ms=data["p50_ms"],
        p90_ms=data["p90_ms"],
        p99_ms=data["p99_ms"],
        max_ms=data["max_ms"],
        bytes_per_response=size,
        errors=int(data["errors"]),
        non_2xx=non_2xx,
        wrong_size=max(0, wrong),
        drained=int(data["drained"]),
        unfinished=int(data["unfinished"]),
        note=note,
        command=shlex.join(argv),
    )


def load(
    server: ServerProcess, endpoint: str, path: str, size: int, args: argparse.Namespace, wrk: str | None
) -> LoadResult:
    url = server.base + path
    cpu_before, busy_before, generator_before = cpu_seconds_of(server.proc.pid), machine_busy_seconds(), _children_cpu()
    began = time.perf_counter()
    if wrk:
        result = run_wrk(wrk, url, args.clients, args.seconds, args.grace, size, endpoint)
    else:
        result = run_asyncio(url, args.clients, args.seconds, args.grace, args.max_requests, size, endpoint)
    cpu_after, busy_after = cpu_seconds_of(server.proc.pid), machine_busy_seconds()
    result.wall_s = round(time.perf_counter() - began, 3)
    result.generator_cpu_s = round(_children_cpu() - generator_before, 3)
    if cpu_before is not None and cpu_after is not None:
        result.server_cpu_s = round(cpu_after - cpu_before, 3)
        if busy_before is not None and busy_after is not None:
            other = busy_after - busy_before - result.server_cpu_s - result.generator_cpu_s
            result.other_load_cpu_s = round(max(0.0, other), 3)
    return result


# --------------------------------------------------------------------------- profile (in-process)


def _best_ms(fn: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` calls, in ms: the intrinsic cost, least disturbed by other load."""
    best = math.inf
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        best = min(best, 1000 * (time.perf_counter() - began))
    return best


def _top(fn: Callable[[], object], count: int = 8) -> list[str]:
    """The functions with the most own time in one call of ``fn``."""
    profiler = cProfile.Profile()
    profiler.runcall(fn)
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    rows = []
    for (filename, line, name), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{Path(filename).parent.name}/{Path(filename).name}:{line}" if line else filename
        rows.append((own, f"{1000 * own:7.1f} ms own {1000 * cumulative:7.1f} ms cum {calls:>7} calls  {name} {where}"))
    return [text for _, text in sorted(rows, reverse=True)[:count]]


def profile_in_process(db: Path, repeat: int) -> dict[str, Any]:
    """Where one request's time goes, measured with perf_counter in this process (same code as the server)."""
    from prometheus_client.core import Metric
    from prometheus_client.exposition import generate_latest
    from prometheus_client.registry import Collector, CollectorRegistry

    from s3_storage_analyser.render import render
    from s3_storage_analyser.render.jsonfmt import snapshot_dict
    from s3_storage_analyser.render.prometheus import SnapshotCollector
    from s3_storage_analyser.server.metrics import build_registry, exposition
    from s3_storage_analyser.server.scanner import ScanHealth

    store = Store(db)
    try:
        snapshot_id = store.latest_ids(1)[0]
        latest_ids_ms = _best_ms(lambda: store.latest_ids(1), 200)
        load_ms = _best_ms(lambda: store.load(snapshot_id), max(1, repeat // 2))
        snapshot = store.load(snapshot_id)
    finally:
        store.close()
    registry = build_registry(lambda: snapshot, ScanHealth())
    families = list(SnapshotCollector(snapshot).collect())
    samples = sum(len(f.samples) for f in families)
    size_samples = sum(len(f.samples) for f in families if f.name == "s3_bucket_size_bytes")

    class _Fixed(Collector):
        def collect(self) -> Iterator[Metric]:
            return iter(families)

    fixed = CollectorRegistry(auto_describe=False)
    fixed.register(_Fixed())

    document = snapshot_dict(snapshot)
    collect_ms = _best_ms(lambda: list(SnapshotCollector(snapshot).collect()), repeat)
    encode_only_ms = _best_ms(lambda: generate_latest(fixed), repeat)
    exposition_ms = _best_ms(lambda: exposition(registry), repeat)
    json_dict_ms = _best_ms(lambda: snapshot_dict(snapshot), repeat)
    json_dumps_ms = _best_ms(lambda: json.dumps(document, ensure_ascii=False).encode("utf-8"), repeat)
    json_ms = _best_ms(lambda: render(snapshot, "json").encode("utf-8"), repeat)
    metrics_bytes = exposition(registry)
    return {
        "snapshot_id": snapshot_id,
        "metric_samples": samples,
        "size_samples": size_samples,
        "latest_ids_ms": round(latest_ids_ms, 3),
        "store_load_ms": round(load_ms, 1),
        "metrics_collect_ms": round(collect_ms, 1),
        "metrics_generate_latest_ms": round(encode_only_ms, 1),
        "metrics_exposition_ms": round(exposition_ms, 1),
        "metrics_bytes": len(metrics_bytes),
        "json_snapshot_dict_ms": round(json_dict_ms, 1),
        "json_render_ms": round(json_ms, 1),
        "json_dumps_ms": round(json_dumps_ms, 1),
        "timing": f"best of {repeat} calls (latest_ids: of 200), perf_counter, one thread",
        "exposition_top": _top(lambda: exposition(registry)),
        "json_top": _top(lambda: render(snapshot, "json")),
    }


# --------------------------------------------------------------------------- experiment: cached bytes


def cached_server_main(argv: Sequence[str]) -> int:
    """Child-process mode: the proposed fix's shape, serving bodies rendered once.

    Same stack as the real endpoints (FastAPI on uvicorn/h11, a sync endpoint in the
    threadpool, the bearer-token dependency, an access-log middleware, one
    ``latest_ids(1)`` query per request), but the body is bytes rendered before the
    server starts, as caching them per snapshot id would give.
    """
    import logging

    parser = argparse.ArgumentParser(prog="service.py --_cached-server")
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--metrics", required=True, help="file holding the /metrics body")
    parser.add_argument("--report", required=True, help="file holding the report body")
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    log = logging.getLogger("bench.cached")
    store = Store(args.db)
    auth = AuthConfig(TOKEN)
    bodies = {"metrics": Path(args.metrics).read_bytes(), "report": Path(args.report).read_bytes()}
    app = FastAPI()

    def require_token(request: Request) -> None:
        auth.check(request)

    @app.middleware("http")
    async def access_log(request: Request, call_next: RequestResponseEndpoint) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        log.info(
            "%s %s %d %.1fms",
            request.method,
            request.url.path,
            response.status_code,
            1000 * (time.perf_counter() - started),
        )
        return response

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics", dependencies=[Depends(require_token)])
    def metrics() -> Response:
        store.latest_ids(1)
        return Response(bodies["metrics"], media_type="text/plain; version=0.0.4; charset=utf-8")

    @app.get("/api/v1/report", dependencies=[Depends(require_token)])
    def report() -> Response:
        store.latest_ids(1)
        return Response(bodies["report"], media_type="application/json")

    uvicorn.run(app, host=HOST, port=args.port, access_log=False, log_config=None, lifespan="off")
    return 0


# --------------------------------------------------------------------------- reporting


TABLE_HEADER = (
    "endpoint",
    "generator",
    "clients",
    "requests/s",
    "p50 ms",
    "p99 ms",
    "bytes/response",
    "server CPU/resp ms",
    "server CPU use",
)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def table(rows: Sequence[LoadResult]) -> str:
    cells = [TABLE_HEADER] + [
        (
            r.endpoint + ("" if r.ok else "  WRONG/ERRORS"),
            r.generator,
            str(r.clients),
            f"{r.requests_per_s:,.1f}",
            _ms(r.p50_ms),
            _ms(r.p99_ms),
            f"{r.bytes_per_response:,}",
            _ms(r.server_cpu_ms_per_response),
            "-" if r.server_cpu_s is None or not r.wall_s else f"{100 * r.server_cpu_s / r.wall_s:.0f}%",
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(TABLE_HEADER))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(c.ljust(widths[i]) if i < 2 else c.rjust(widths[i]) for i, c in enumerate(row)))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _row_json(r: LoadResult) -> dict[str, Any]:
    cpu_ms = r.server_cpu_ms_per_response
    return asdict(r) | {"ok": r.ok, "server_cpu_ms_per_response": None if cpu_ms is None else round(cpu_ms, 2)}


def findings(profile: dict[str, Any], real: Sequence[LoadResult], cached: Sequence[LoadResult]) -> list[str]:
    """Plain-language conclusions from the profile and the cached-bytes experiment."""
    out = []
    expo, collect, encode = (
        profile["metrics_exposition_ms"],
        profile["metrics_collect_ms"],
        profile["metrics_generate_latest_ms"],
    )
    out.append(
        f"/metrics re-renders the exposition on every scrape: one render of {profile['metric_samples']:,} samples "
        f"({profile['size_samples']:,} of them s3_bucket_size_bytes; {profile['metrics_bytes']:,} bytes) takes "
        f"{expo:.1f} ms in-process. Timed apart: SnapshotCollector.collect (building the metric families) "
        f"{collect:.1f} ms, prometheus_client's generate_latest on ready families (formatting the text, with "
        f"per-sample label-name validation and escaping) {encode:.1f} ms. One core therefore caps /metrics at "
        f"~{1000 / expo:.0f} req/s before any HTTP work, though the body only changes when a scan saves a new snapshot."
    )
    out.append(
        f"/api/v1/report re-renders the JSON on every request: {profile['json_render_ms']:.1f} ms "
        f"({profile['json_snapshot_dict_ms']:.1f} ms in jsonfmt.snapshot_dict, {profile['json_dumps_ms']:.1f} ms "
        f"in json.dumps + encode): ~{1000 / profile['json_render_ms']:.0f} req/s per core at best."
    )
    out.append(
        f"Per request the server also runs store.latest_ids(1) ({profile['latest_ids_ms']:.3f} ms, "
        f"under the store's lock); the snapshot itself is cached (a reload, {profile['store_load_ms']:.0f} ms, "
        "happens only when a newer snapshot id appears)."
    )
    by_endpoint = {r.endpoint: r for r in real}
    for row in real:
        cpu = row.server_cpu_ms_per_response
        alone = expo if row.endpoint == "/metrics" else profile["json_render_ms"]
        if cpu is not None:
            out.append(
                f"Under load the server spent {cpu:,.1f} ms of CPU per {row.endpoint} response "
                f"(the render alone, in one thread in-process: {alone:,.1f} ms; the rest is HTTP, the access log "
                "and up to 40 renders sharing one GIL in the threadpool): one server core gives at most "
                f"~{1000 / cpu:,.1f} responses/s."
            )
    for c in cached:
        r = by_endpoint.get(c.endpoint)
        if r is None or not r.requests_per_s:
            continue
        cpu, now_cpu = c.server_cpu_ms_per_response, r.server_cpu_ms_per_response
        cpu_text = (
            f" Server CPU per response fell from {now_cpu:,.1f} ms to {cpu:,.2f} ms (a one-core ceiling of "
            f"~{1000 / cpu:,.0f} responses/s for the server alone)."
            if cpu and now_cpu
            else ""
        )
        out.append(
            f"Serving {c.endpoint}'s body pre-rendered (same FastAPI/uvicorn stack, token check and latest-id "
            f"query; {c.generator}, {c.clients} clients) reached {c.requests_per_s:,.1f} req/s, p99 "
            f"{_ms(c.p99_ms)} ms, against {r.requests_per_s:,.1f} req/s, p99 {_ms(r.p99_ms)} ms now "
            f"({c.requests_per_s / r.requests_per_s:.1f}x): caching the rendered bytes per snapshot id "
            f"(for the report, per snapshot id and format) would make it about that.{cpu_text}"
        )
    return out


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("s3-storage-analyser", "fastapi", "starlette", "uvicorn", "h11", "anyio", "prometheus-client"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            out[name] = importlib.metadata.version(name)
    return out


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--buckets", type=int, default=None, help="buckets in the snapshot (default 2000)")
    parser.add_argument("--clients", type=int, default=None, help="concurrent connections (default 200)")
    parser.add_argument("--seconds", type=float, default=None, help="load window per endpoint (default 10)")
    parser.add_argument("--quick", action="store_true", help="200 buckets, 20 clients, 3 s")
    parser.add_argument(
        "--grace", type=float, default=60.0, help="seconds in-flight requests may finish after the window"
    )
    parser.add_argument("--max-requests", type=int, default=1_000_000, help="cap on requests per endpoint")
    parser.add_argument("--poor", type=float, default=50.0, help="profile when /metrics serves fewer req/s")
    parser.add_argument("--profile", action="store_true", help="profile even when the numbers are good")
    parser.add_argument("--no-wrk", action="store_true", help="use the asyncio generator even if wrk is on PATH")
    parser.add_argument("--output", type=Path, default=None, help="JSON results file")
    args = parser.parse_args(argv)
    quick = (200, 20, 3.0) if args.quick else (2000, 200, 10.0)
    args.buckets = args.buckets or quick[0]
    args.clients = args.clients or quick[1]
    args.seconds = args.seconds or quick[2]
    return args


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    wrk = None if args.no_wrk else shutil.which("wrk")
    generator = "wrk" if wrk else "python-asyncio (wrk not on PATH)"
    cores = os.cpu_count() or 1
    print(
        f"generator: {generator}; {args.buckets} buckets x {len(CLASSES)} classes, {args.clients} clients, "
        f"{args.seconds:g} s per endpoint"
    )
    print(CORES_NOTE.format(cores=cores))

    snapshot = build_snapshot(args.buckets)
    rows: list[LoadResult] = []
    cached_rows: list[LoadResult] = []
    problems: list[str] = []
    profile: dict[str, Any] | None = None
    server_argv: list[str] = []
    with tempfile.TemporaryDirectory(prefix="s3sa-service-bench-") as tmp_name:
        tmp = Path(tmp_name)
        db = tmp / "history.sqlite3"
        began = time.perf_counter()
        build_db(db, snapshot)
        print(f"history database: {db.stat().st_size:,} bytes, built in {time.perf_counter() - began:.1f} s")
        env = fake_aws_env({"TOKEN": TOKEN})
        port = free_port()
        server_argv = [
            str(VENV_BIN / "s3-storage-analyser"),
            "serve",
            "--port",
            str(port),
            "--db",
            str(db),
            "--interval",
            "0",
            "--no-initial-scan",
        ]
        bodies: dict[str, bytes] = {}
        with running(server_argv, env, tmp / "server.log", port, "/healthz") as server:
            status, _ = fetch(server.base + "/metrics", token=None)
            if status != 401:
                problems.append(f"/metrics without a token answered {status}, expected 401")
            for endpoint, path in ENDPOINTS:
                began = time.perf_counter()
                status, body = fetch(server.base + path)
                first_ms = 1000 * (time.perf_counter() - began)
                if status != 200:
                    problems.append(f"{endpoint} answered {status}: {body[:200]!r}")
                    continue
                check = verify_metrics if endpoint == "/metrics" else verify_report
                found = check(body, snapshot)
                problems += found
                bodies[endpoint] = body
                print(
                    f"verified {endpoint}: {len(body):,} bytes, {'OK' if not found else 'WRONG'} "
                    f"(first request {first_ms:.0f} ms, includes loading the snapshot)"
                )
            if problems:
                print("\n".join(f"FAILED: {p}" for p in problems), file=sys.stderr)
                print(server.log_tail(), file=sys.stderr)
                return 1
            for endpoint, path in ENDPOINTS:
                print(f"loading {endpoint} for {args.seconds:g} s ...", flush=True)
                rows.append(load(server, endpoint, path, len(bodies[endpoint]), args, wrk))
        metrics_rps = next(r.requests_per_s for r in rows if r.endpoint == "/metrics")
        if args.profile or metrics_rps < args.poor:
            print(f"/metrics at {metrics_rps:.1f} req/s (< {args.poor:g}) or --profile: profiling ...", flush=True)
            profile = profile_in_process(db, repeat=3 if args.quick else 5)
            (tmp / "metrics.body").write_bytes(bodies["/metrics"])
            (tmp / "report.body").write_bytes(bodies["/api/v1/report"])
            cached_port = free_port()
            cached_argv = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--_cached-server",
                f"--db={db}",
                f"--port={cached_port}",
                f"--metrics={tmp / 'metrics.body'}",
                f"--report={tmp / 'report.body'}",
            ]
            with running(cached_argv, env, tmp / "cached.log", cached_port, "/healthz") as cached:
                for endpoint, path in ENDPOINTS:
                    status, body = fetch(cached.base + path)
                    if status != 200 or body != bodies[endpoint]:
                        problems.append(f"cached-bytes experiment: {endpoint} answered {status}")
                        continue
                    print(f"loading {endpoint} (pre-rendered bytes experiment) for {args.seconds:g} s ...", flush=True)
                    result = load(cached, endpoint, path, len(body), args, wrk)
                    result.note = "EXPERIMENT, not the real server: body pre-rendered once. " + result.note
                    cached_rows.append(result)

    print()
    print(table(rows))
    if cached_rows:
        print("\nexperiment - the same bodies pre-rendered (what caching per snapshot id would give):")
        print(table(cached_rows))
    for r in [*rows, *cached_rows]:
        extras = [f"{r.completed:,} completed in window"]
        if r.drained or r.unfinished:
            extras.append(f"{r.drained} finished in the grace period, {r.unfinished} unfinished")
        if r.errors or r.non_2xx or r.wrong_size:
            extras.append(f"errors {r.errors}, non-2xx {r.non_2xx}, wrong size {r.wrong_size}")
        extras.append(f"p90 {_ms(r.p90_ms)} ms, max {_ms(r.max_ms)} ms")
        extras.append(f"CPU s: server {r.server_cpu_s}, generator {r.generator_cpu_s}, other load {r.other_load_cpu_s}")
        extras.append(f"server CPU per response {_ms(r.server_cpu_ms_per_response)} ms")
        print(f"  {r.endpoint} ({r.generator}{', experiment' if r in cached_rows else ''}): {'; '.join(extras)}")
    print("\n" + CORES_NOTE.format(cores=cores))
    busy = [
        r for r in [*rows, *cached_rows] if r.other_load_cpu_s and r.wall_s and r.other_load_cpu_s > 0.25 * r.wall_s
    ]
    if busy:
        print(
            "WARNING: other processes used more than a quarter core during "
            + ", ".join(f"{r.endpoint} ({r.other_load_cpu_s:.1f} CPU s in {r.wall_s:.0f} s)" for r in busy)
            + ": the machine was shared, rerun when it is quiet."
        )

    notes: list[str] = []
    if profile is not None:
        notes = findings(profile, rows, cached_rows)
        print(f"\nprofile (in-process, {profile['timing']}):")
        for line in notes:
            print(f"- {line}")
        print("  own-time top of one /metrics exposition:")
        print("\n".join(f"    {line}" for line in profile["exposition_top"]))
        print("  own-time top of one JSON report render:")
        print("\n".join(f"    {line}" for line in profile["json_top"]))

    today = datetime.now(UTC).date().isoformat()
    output = args.output or HERE / "results" / f"service-{today}{'-quick' if args.quick else ''}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": "service",
        "date": today,
        "command": shlex.join([Path(sys.executable).name, "benchmarks/service.py", *argv]),
        "server_command": shlex.join(server_argv) + "  (env TOKEN=bench, fake AWS credentials)",
        "generator": generator,
        "machine": {
            "platform": platform.platform(),
            "cpu_count": cores,
            "load_average_at_end": os.getloadavg(),
            "note": CORES_NOTE.format(cores=cores),
        },
        "versions": versions(),
        "commit": git_commit(REPO),
        "parameters": {
            "buckets": args.buckets,
            "storage_classes": len(CLASSES),
            "clients": args.clients,
            "seconds": args.seconds,
            "grace": args.grace,
            "max_requests": args.max_requests,
            "quick": args.quick,
        },
        "results": [_row_json(r) for r in rows],
        "cached_bytes_experiment": [_row_json(r) for r in cached_rows],
        "profile": profile,
        "findings": notes,
        "problems": problems,
    }
    output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nwrote {output.relative_to(REPO) if output.is_relative_to(REPO) else output}")
    failed = problems or not all(r.ok for r in [*rows, *cached_rows])
    if failed:
        print("FAILED: " + "; ".join(problems or ["a load run saw errors or wrong responses"]), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--_loadgen":
        sys.exit(loadgen_main(sys.argv[2:]))
    if len(sys.argv) > 1 and sys.argv[1] == "--_cached-server":
        sys.exit(cached_server_main(sys.argv[2:]))
    sys.exit(main(sys.argv[1:]))
