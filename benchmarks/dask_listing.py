"""Listing on a Dask cluster against the local executor, and what a Dask task costs (issue 14).

    .venv/bin/python benchmarks/dask_listing.py [--keys 400000] [--workers 1,2,4] [--conc 4] [--quick]

The fake S3 endpoint (``tests/support/fakes3.py``) runs in its own process, a new one per
measurement (so its request counts are that measurement's), at ``--latency`` seconds per request
(30 ms) with S3-like throttling: each connection may make ``--rate`` requests a second
(``RateLimit``, "delay" mode by default). For each bucket shape (flat and hierarchical keys) and each
worker count W it measures, against that endpoint:

* ``local --conc C*W``: the CLI with the default (local) executor at the same total concurrency as
  W Dask workers of ``--conc C`` each. The baseline: every ratio divides by its keys/s.
* ``dask W --conc C``: the CLI with ``--executor dask --scheduler ADDRESS`` on a
  ``distributed.LocalCluster`` of W worker processes (``threads_per_worker`` = C), when the installed
  CLI has the flag (else the row says so and the rest still runs).
* ``tasks W x P pages``: the project's slice runner (``SliceRunner.run``, the piece-listing function
  every executor runs) as Dask tasks of P pages each, cut at known page boundaries and submitted all
  at once on the same cluster: the throughput of the listing as tasks, without the engine's splitting.

and, on each cluster, Dask's per-task cost: sequential submit -> result round trips of a no-op task
and of a one-page listing task (against the same task run in this process; on the endpoint with its
latency but without the throttling, which would pace one connection's requests), and the tasks/s of
many no-op tasks in flight. The model in docs/scaling.md takes its per-task figure from here.

Results print as tables and go to ``benchmarks/results/dask_listing-<date>.json``. Every listing's
totals must equal the truth computed from the server's key source, and the Dask CLI run's whole bucket
report must equal the local run's; otherwise the row says WRONG and the run exits 1.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import itertools
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from distributed import Client, LocalCluster, as_completed, get_task_stream, wait

import s3_storage_analyser
import testkit  # noqa: F401  (puts tests/ on sys.path: support.* is the test kit)
from common import fake_aws_env, git_commit, machine_busy_seconds
from dask_tasks import forget_runners, list_piece, noop
from s3_storage_analyser.aggregate import BreakdownSpec
from s3_storage_analyser.aws import AwsOptions
from s3_storage_analyser.listing.ranges import KeyRange
from s3_storage_analyser.listing.worker import RunnerConfig, SliceResult, SliceRunner
from support.fakes3 import BucketSpec, KeySource, RateLimit, ServerSpec, StatsSnapshot, build_keys, run_server_process

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BUCKET = "bench"
PAGE = 1000
CREDENTIALS = ("AKIAFAKEBENCHMARK000", "fake-secret-for-benchmarks", None)


# --------------------------------------------------------------------------- truth and the endpoint


@dataclass(frozen=True)
class Truth:
    objects: int
    bytes: int
    files_by_class: dict[str, int]


def compute_truth(source: KeySource) -> Truth:
    """Totals straight from the key source the server serves (no HTTP)."""
    total, by_class = 0, Counter[str]()
    for i in range(len(source)):
        obj = source.obj(i)
        total += obj.size
        by_class[obj.storage_class] += 1
    return Truth(len(source), total, dict(by_class))


@dataclass(frozen=True)
class Endpoint:
    """How every measurement's server is made: one bucket, the latency, the throttling."""

    bucket: BucketSpec
    latency: float
    rate_limit: RateLimit | None

    def spec(self) -> ServerSpec:
        return ServerSpec(buckets=(self.bucket,), latency=self.latency, rate_limit=self.rate_limit)


@contextlib.contextmanager
def serving(endpoint: Endpoint, stats: dict[str, object]) -> Iterator[str]:
    """A fresh server process for one measurement; its counters land in ``stats`` when it stops."""
    url, stop = run_server_process(endpoint.spec())
    try:
        yield url
    finally:
        stats.update(stats_dict(stop()))


def stats_dict(stats: StatsSnapshot) -> dict[str, object]:
    return {
        "requests": stats.requests,
        "list_requests": stats.requests.get("ListObjectsV2", 0),
        "keys_served": stats.keys_listed,
        "throttled": stats.throttled,
        "throttle_wait_seconds": round(stats.throttle_wait_seconds, 3),
        "connections": stats.connections,
        "max_in_flight": stats.max_in_flight,
    }


# --------------------------------------------------------------------------- rows


@dataclass
class Row:
    """One measured listing of the whole bucket."""

    shape: str
    workers: int
    tool: str
    keys: int
    seconds: float
    ok: bool = True
    note: str = ""
    ratio: float | None = None
    server: dict[str, object] = field(default_factory=dict)
    other_cores: float = 0.0
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def keys_per_s(self) -> float:
        return self.keys / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "shape": self.shape,
            "workers": self.workers,
            "tool": self.tool,
            "keys": self.keys,
            "seconds": round(self.seconds, 3),
            "keys_per_s": round(self.keys_per_s, 1),
            "ratio_vs_local": None if self.ratio is None else round(self.ratio, 3),
            "correct": self.ok,
            "note": self.note,
            "server": self.server,
            "other_load_cores": round(self.other_cores, 2),
            **self.extra,
        }


class BusyWatch:
    """Average cores the whole machine kept busy while a block ran (server, tool and others alike)."""

    def __enter__(self) -> BusyWatch:
        self._busy, self._wall = machine_busy_seconds(), time.perf_counter()
        self.cores = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.perf_counter() - self._wall
        self.cores = (machine_busy_seconds() - self._busy) / wall if wall > 0 else 0.0


# --------------------------------------------------------------------------- the CLI, local or on Dask


def cli_argv() -> list[str]:
    script = Path(sys.executable).parent / "s3-storage-analyser"
    return [str(script)] if script.exists() else [sys.executable, "-m", "s3_storage_analyser"]


def cli_has_dask() -> bool:
    """Whether the installed CLI has ``--executor`` (issue 14's executor has landed)."""
    done = subprocess.run(
        [*cli_argv(), "report", "--help"], check=False, capture_output=True, text=True, env=fake_aws_env(), timeout=120
    )
    return "--executor" in done.stdout


def _last_json(stdout: str) -> dict[str, Any] | None:
    for line in reversed(stdout.strip().splitlines()):
        with contextlib.suppress(ValueError):
            value = json.loads(line)
            if isinstance(value, dict):
                return value
    return None


def run_cli(
    endpoint: Endpoint, truth: Truth, label: str, workers: int, flags: Sequence[str], shape: str
) -> tuple[Row, dict[str, Any] | None]:
    """The whole command as a user runs it; the row, and its bucket's report (to compare runs)."""
    argv = [*cli_argv(), "--strategy", "list", "--fmt", "json", "--quiet", *flags]
    stats: dict[str, object] = {}
    with serving(endpoint, stats) as url, BusyWatch() as busy:
        started, epoch = time.perf_counter(), time.time()
        done = subprocess.run(
            [*argv, "--endpoint-url", url],
            check=False,
            capture_output=True,
            text=True,
            env=fake_aws_env(),
            timeout=3600,
        )
        seconds = time.perf_counter() - started
    row = Row(shape, workers, label, truth.objects, seconds, server=stats, extra={"argv": " ".join(argv[1:])})
    row.extra["machine_busy_cores"] = round(busy.cores, 2)
    row.extra["started_epoch"] = epoch
    out = _last_json(done.stdout)
    if done.returncode != 0 or out is None:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        row.ok, row.note = False, f"exit {done.returncode}: {tail}"
        return row, None
    found = [b for b in out.get("Buckets") or [] if isinstance(b, dict) and b.get("Bucket") == BUCKET]
    report = found[0] if found else None
    got = (report.get("Files"), report.get("Bytes"), report.get("FilesByClass")) if report else None
    expected = (truth.objects, truth.bytes, truth.files_by_class)
    if out.get("Failures") or got != expected:
        row.ok, row.note = False, f"expected {expected}, got {got}; failures: {out.get('Failures')}"
    return row, report


# --------------------------------------------------------------------------- listing as Dask tasks


def runner_config(url: str, conc: int) -> RunnerConfig:
    return RunnerConfig(AwsOptions(endpoint_url=url, max_pool_connections=max(10, conc)), CREDENTIALS, BreakdownSpec())


def pieces(source: KeySource, pages: int) -> list[KeyRange]:
    """The bucket cut at known page boundaries: pieces of ``pages`` full pages (the last one shorter)."""
    size = pages * PAGE
    bounds = [None, *(source.key(i - 1) for i in range(size, len(source), size)), None]
    return [KeyRange(BUCKET, "us-east-1", after=a, upto=b) for a, b in itertools.pairwise(bounds)]


def run_tasks(client: Any, endpoint: Endpoint, truth: Truth, workers: int, conc: int, pages: int, shape: str) -> Row:
    """Every piece submitted at once; keys/s from the first submit to the last result."""
    source = build_keys(endpoint.bucket)
    work = pieces(source, pages)
    stats: dict[str, object] = {}
    errors: list[str] = []
    keys = bytes_ = 0
    with serving(endpoint, stats) as url, BusyWatch() as busy:
        config = runner_config(url, conc)
        client.run(forget_runners)
        started = time.perf_counter()
        futures = [client.submit(list_piece, config, task, pages, pure=False) for task in work]
        for future in as_completed(futures):
            result: SliceResult = future.result()
            if result.error_code:
                errors.append(f"{result.error_code}: {result.error_message}")
            keys += result.tally.keys
            bytes_ += sum(result.tally.bytes.values())
        seconds = time.perf_counter() - started
    row = Row(shape, workers, f"tasks {workers}x{conc} threads, {pages} page(s) each", keys, seconds, server=stats)
    row.extra.update({"tasks": len(work), "pages_per_task": pages, "machine_busy_cores": round(busy.cores, 2)})
    if errors or (keys, bytes_) != (truth.objects, truth.bytes):
        row.ok = False
        row.note = f"expected {(truth.objects, truth.bytes)}, got {(keys, bytes_)}; {errors[:3]}"
    return row


# --------------------------------------------------------------------------- Dask's per-task cost


def per_task_cost(client: Any, endpoint: Endpoint, conc: int, rounds: int, bulk: int) -> dict[str, object]:
    """Seconds per task, sequential and in bulk, of a no-op and of a one-page listing task."""
    out: dict[str, object] = {}
    client.submit(noop, -1, pure=False).result()  # warm: the function shipped once

    def round_trips(make: Any) -> list[float]:
        times = []
        for i in range(rounds):
            started = time.perf_counter()
            make(i).result()
            times.append(time.perf_counter() - started)
        return times

    noop_times = round_trips(lambda i: client.submit(noop, i, pure=False))
    out["noop_round_trip_s"] = _summary(noop_times)
    started = time.perf_counter()
    futures = [client.submit(noop, i, pure=False) for i in range(bulk)]
    submitted = time.perf_counter() - started
    for _ in as_completed(futures):
        pass
    elapsed = time.perf_counter() - started
    out["noop_bulk"] = {
        "tasks": bulk,
        "seconds": round(elapsed, 4),
        "tasks_per_s": round(bulk / elapsed, 1),
        "seconds_per_task": elapsed / bulk,
        "submit_seconds": round(submitted, 4),
    }
    futures = client.map(noop, range(bulk), pure=False)
    started = time.perf_counter()
    wait(futures)
    out["noop_map_wait_tasks_per_s"] = round(bulk / (time.perf_counter() - started), 1)

    source = build_keys(endpoint.bucket)
    work = pieces(source, 1)[: rounds + 1]
    stats: dict[str, object] = {}
    # The latency without the throttling: one task at a time on one connection would be paced by the
    # rate limit alone (every request waits for its token), which is no part of what a task costs.
    with serving(replace(endpoint, rate_limit=None), stats) as url:
        config = runner_config(url, conc)
        client.run(forget_runners)
        client.submit(list_piece, config, work[-1], 1, pure=False).result()  # warm: this worker's clients
        # (the other workers' first tasks pay for their clients: the median hides those few)
        page_times = round_trips(lambda i: client.submit(list_piece, config, work[i], 1, pure=False))
        direct = SliceRunner(config)
        direct.run(work[-1], 1)
        direct_times = []
        for task in work[:rounds]:
            started = time.perf_counter()
            result = direct.run(task, 1)
            direct_times.append(time.perf_counter() - started)
            assert result.error_code is None, result.error_message
    out["page_round_trip_s"] = _summary(page_times)
    out["page_in_process_s"] = _summary(direct_times)
    out["page_overhead_s"] = round(statistics.median(page_times) - statistics.median(direct_times), 5)
    out["page_server"] = stats
    return out


def _summary(times: Sequence[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "median": round(statistics.median(ordered), 5),
        "p90": round(ordered[int(0.9 * (len(ordered) - 1))], 5),
        "min": round(ordered[0], 5),
        "n": len(ordered),
    }


# --------------------------------------------------------------------------- running


@contextlib.contextmanager
def cluster(workers: int, threads: int) -> Iterator[tuple[Any, str]]:
    """A LocalCluster of ``workers`` worker processes with ``threads`` threads each, and a client."""
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=threads,
            processes=True,
            dashboard_address=":0",  # any free port: never clash with another cluster
            silence_logs=logging.CRITICAL,
        ) as local,
        Client(local) as client,
    ):
        client.wait_for_workers(workers, timeout=120)
        yield client, str(local.scheduler_address)


def scrub_environment() -> None:
    """Worker processes inherit this environment: fake credentials, no IMDS, no user AWS config."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "S3SA_", "BOTO_")):
            del os.environ[name]
    os.environ.update(fake_aws_env())


def measure_shape(
    args: argparse.Namespace, shape: str, dask_cli: bool
) -> tuple[list[Row], dict[int, dict[str, object]]]:
    spec = BucketSpec(BUCKET, "flat" if shape == "flat" else "tree", args.keys)
    endpoint = Endpoint(spec, args.latency, RateLimit(args.rate, args.burst, args.rate_mode))
    started = time.perf_counter()
    truth = compute_truth(build_keys(spec))
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(
        f"\n== {shape}: {truth.objects:,} keys, {truth.bytes:,} bytes"
        f" (truth in {time.perf_counter() - started:.1f} s; load average {load})",
        flush=True,
    )
    rows: list[Row] = []
    costs: dict[int, dict[str, object]] = {}
    for workers in args.workers:
        total = args.conc * workers
        local, local_report = run_cli(endpoint, truth, f"local --conc {total}", workers, ("--conc", str(total)), shape)
        _show(local)
        rows.append(local)
        with cluster(workers, args.conc) as (client, address):
            if dask_cli:
                flags = ("--executor", "dask", "--scheduler", address, "--conc", str(args.conc), *args.dask_flags)
                with get_task_stream(client) as stream:
                    row, report = run_cli(endpoint, truth, f"dask {workers}x --conc {args.conc}", workers, flags, shape)
                row.extra.update(task_spread(stream.data, float(str(row.extra.pop("started_epoch")))))
                if row.ok and local_report is not None and report != local_report:
                    row.ok, row.note = False, "the bucket's report differs from the local executor's"
            else:
                row = Row(shape, workers, f"dask {workers}x --conc {args.conc}", 0, 0.0, ok=True)
                row.note = "not run: the installed CLI has no --executor yet"
            if row.seconds:
                _show(row)
            rows.append(row)
            for pages in args.task_pages:
                tasks = run_tasks(client, endpoint, truth, workers, args.conc, pages, shape)
                _show(tasks)
                rows.append(tasks)
            if shape == args.shapes[0]:
                costs[workers] = per_task_cost(client, endpoint, args.conc, args.rounds, args.bulk)
                _show_cost(workers, costs[workers])
        for row in rows:
            if row.workers == workers and row.seconds and local.ok and local.keys_per_s:
                row.ratio = row.keys_per_s / local.keys_per_s
    return rows, costs


def task_spread(records: Sequence[dict[str, Any]], started: float) -> dict[str, object]:
    """Where the CLI's tasks ran and when: tasks per worker, the first task's start after the command's,
    the span from the first task's start to the last one's end, and the median task's seconds."""
    per_worker = Counter(str(r.get("worker")) for r in records)
    spans = [(s["start"], s["stop"]) for r in records for s in r.get("startstops", ()) if s.get("action") == "compute"]
    if not spans:
        return {"tasks": len(records)}
    first, last = min(a for a, _ in spans), max(b for _, b in spans)
    return {
        "tasks": len(records),
        "tasks_per_worker": sorted(per_worker.values(), reverse=True),
        "first_task_after_s": round(first - started, 3),
        "task_span_s": round(last - first, 3),
        "median_task_s": round(statistics.median(b - a for a, b in spans), 4),
    }


def _show(row: Row) -> None:
    flag = "" if row.ok else f"  WRONG: {row.note}"
    if "tasks_per_worker" in row.extra:
        flag = (
            f"  tasks per worker {row.extra['tasks_per_worker']}, first after {row.extra['first_task_after_s']} s,"
            f" span {row.extra['task_span_s']} s"
        ) + flag
    server = row.server
    print(
        f"   {row.tool:<36} {row.keys:>10,} keys {row.seconds:7.2f} s {row.keys_per_s:>9,.0f} keys/s"
        f"  {server.get('list_requests', 0):>6} LIST  {server.get('throttled', 0):>6} throttled"
        f"  {server.get('connections', 0):>4} conns  busy {row.extra.get('machine_busy_cores', 0)} cores{flag}",
        flush=True,
    )


def _show_cost(workers: int, cost: dict[str, Any]) -> None:
    noop_rt, page_rt, direct = cost["noop_round_trip_s"], cost["page_round_trip_s"], cost["page_in_process_s"]
    bulk = cost["noop_bulk"]
    print(
        f"   per-task cost on {workers} worker(s): no-op round trip {noop_rt['median'] * 1000:.2f} ms"
        f" (p90 {noop_rt['p90'] * 1000:.2f}); {bulk['tasks_per_s']:,.0f} no-op tasks/s in bulk;"
        f" one-page task {page_rt['median'] * 1000:.1f} ms vs {direct['median'] * 1000:.1f} ms in this process"
        f" (+{cost['page_overhead_s'] * 1000:.1f} ms)",
        flush=True,
    )


def table(rows: Sequence[Row]) -> str:
    header = ("shape", "workers", "tool", "keys", "seconds", "keys/s", "vs local", "LIST requests", "throttled")
    cells = [header] + [
        (
            r.shape,
            str(r.workers),
            r.tool,
            f"{r.keys:,}",
            f"{r.seconds:.2f}" if r.seconds else "-",
            f"{r.keys_per_s:,.0f}" if r.seconds else "-",
            ("WRONG " if not r.ok else "") + (f"{r.ratio:.2f}x" if r.ratio is not None else "-"),
            f"{r.server.get('list_requests', '-')}",
            f"{r.server.get('throttled', '-')}",
        )
        for r in rows
    ]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    lines = []
    for n, line in enumerate(cells):
        lines.append("  ".join(c.ljust(widths[i]) if i in (0, 2) else c.rjust(widths[i]) for i, c in enumerate(line)))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Listing on a Dask LocalCluster against the local executor.")
    parser.add_argument("--keys", type=int, help="keys per bucket (default 400,000; quick 50,000)")
    parser.add_argument("--shapes", default="flat,tree", help="bucket shapes: flat, tree (default both)")
    parser.add_argument("--workers", default="1,2,4", help="Dask worker counts (default 1,2,4)")
    parser.add_argument("--conc", type=int, default=4, help="--conc per Dask worker (its threads; default 4)")
    parser.add_argument("--latency", type=float, default=0.03, help="seconds added per request (default 0.03)")
    parser.add_argument("--rate", type=float, default=5.0, help="requests a second per connection (default 5)")
    parser.add_argument("--burst", type=int, default=5, help="requests a connection may make at once (default 5)")
    parser.add_argument("--rate-mode", choices=("delay", "slowdown"), default="delay", help="past the rate (delay)")
    parser.add_argument("--task-pages", default="1,8", help="pages per task in the task runs (default 1,8)")
    parser.add_argument("--rounds", type=int, default=100, help="sequential round trips per task kind (default 100)")
    parser.add_argument("--bulk", type=int, default=2000, help="no-op tasks in flight at once (default 2,000)")
    parser.add_argument("--dask-flags", default="", help="extra CLI flags for the Dask runs, space-separated")
    parser.add_argument("--no-cli-dask", action="store_true", help="skip the CLI's --executor dask runs")
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke check in about a minute")
    parser.add_argument("--output", type=Path, help="JSON path (default benchmarks/results/dask_listing-<date>.json)")
    args = parser.parse_args(argv)
    args.keys = args.keys or (50_000 if args.quick else 400_000)
    args.shapes = [s for s in args.shapes.split(",") if s]
    args.workers = [int(w) for w in args.workers.split(",") if w]
    args.task_pages = [int(p) for p in args.task_pages.split(",") if p]
    args.dask_flags = args.dask_flags.split()
    if args.quick:
        args.rounds, args.bulk = min(args.rounds, 30), min(args.bulk, 500)
    if not set(args.shapes) <= {"flat", "tree"} or not args.workers or min(args.workers) < 1:
        parser.error("--shapes takes flat and/or tree; --workers positive counts")
    return args


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    scrub_environment()
    started = datetime.now(UTC)
    cores = os.cpu_count() or 1
    dask_cli = not args.no_cli_dask and cli_has_dask()
    print(
        f"dask listing benchmark: {cores} cores shared by the fake S3 server, the cluster and the client;"
        f" {args.latency * 1000:g} ms a request, {args.rate:g} requests/s per connection (burst {args.burst},"
        f" {args.rate_mode}); CLI --executor dask: {'yes' if dask_cli else 'not installed yet'}",
        flush=True,
    )
    rows: list[Row] = []
    costs: dict[int, dict[str, object]] = {}
    for shape in args.shapes:
        shape_rows, shape_costs = measure_shape(args, shape, dask_cli)
        rows += shape_rows
        costs.update(shape_costs)

    print()
    print(table(rows))
    print()
    for workers, cost in costs.items():
        _show_cost(workers, cost)
    output = args.output or HERE / "results" / f"dask_listing-{started:%Y-%m-%d}{'-quick' if args.quick else ''}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": "dask_listing",
        "started_at": started.isoformat(timespec="seconds"),
        "seconds": round((datetime.now(UTC) - started).total_seconds(), 1),
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "machine": {"cpus": cores, "platform": platform.platform(), "python": platform.python_version()},
        "versions": {d: _version(d) for d in ("s3-storage-analyser", "dask", "distributed", "botocore")},
        "commit": git_commit(REPO),
        "package": str(Path(s3_storage_analyser.__file__).parent),
        "cli_has_dask_executor": dask_cli,
        "rows": [r.as_dict() for r in rows],
        "per_task_cost": {str(w): c for w, c in costs.items()},
    }
    output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nwrote {output}")
    wrong = [r for r in rows if not r.ok]
    for r in wrong:
        print(f"ERROR: {r.shape} / {r.tool}: {r.note}", file=sys.stderr)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
