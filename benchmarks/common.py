"""Measurement helpers shared by the benchmarks: subprocess runs with wall time, CPU and peak memory.

Stdlib only (Linux ``/proc``): the client under test runs as a subprocess, so its
CPU comes from ``getrusage(RUSAGE_CHILDREN)`` deltas (the CLI waits for its worker
processes, so their time is included) and its memory from sampling ``/proc`` for
the whole process tree.
"""

from __future__ import annotations

import contextlib
import os
import resource
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")


def fake_aws_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a client under test: fake credentials, no IMDS, no user AWS or tool config."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "S3SA_", "BOTO_")) and k not in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy")
    }
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "AKIAFAKEBENCHMARK000",
            "AWS_SECRET_ACCESS_KEY": "fake-secret-for-benchmarks",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            # Neither the user's profiles nor their retry/addressing settings may change what is measured.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "NO_PROXY": "127.0.0.1,localhost",
        }
    )
    if extra:
        env.update(extra)
    return env


# --------------------------------------------------------------------------- /proc readers


def _status_kb(pid: int, fields: Sequence[str]) -> dict[str, int]:
    """Some ``kB`` fields of /proc/<pid>/status (missing when the process is gone or a zombie)."""
    out: dict[str, int] = {}
    try:
        text = (PROC / str(pid) / "status").read_text()
    except OSError:
        return out
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name in fields:
            out[name] = int(value.split()[0])
    return out


def _pss_kb(pid: int) -> int:
    """Proportional set size: private pages plus a fair share of shared ones (0 if unreadable)."""
    try:
        text = (PROC / str(pid) / "smaps_rollup").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def _parents() -> dict[int, int]:
    """pid -> parent pid for every process (one pass over /proc)."""
    parents: dict[int, int] = {}
    for entry in os.scandir(PROC):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields start after the last ')'.
        parents[int(entry.name)] = int(stat[stat.rfind(")") + 2 :].split()[1])
    return parents


def descendants(root: int) -> list[int]:
    """``root`` and every process below it."""
    children: dict[int, list[int]] = {}
    for pid, ppid in _parents().items():
        children.setdefault(ppid, []).append(pid)
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


def cpu_seconds_of(pid: int) -> float | None:
    """utime + stime of a live process, from /proc/<pid>/stat."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class TreeMemorySampler:
    """Samples the resident memory of a process tree every ``interval`` seconds, on a thread.

    ``peak_tree_kb`` is the largest sum of VmRSS over the tree seen at one instant
    (shared pages, e.g. the interpreter's, are counted once per process, so this
    errs high); ``peak_process_kb`` is the largest VmHWM (kernel-kept peak RSS)
    seen for any single process of the tree; ``peak_tree_pss_kb`` is the largest sum
    of PSS (shared pages split between the processes sharing them): the tree's real
    footprint.
    """

    def __init__(self, root: int, interval: float = 0.05) -> None:
        self.root = root
        self.interval = interval
        self.peak_tree_kb = 0
        self.peak_tree_pss_kb = 0
        self.peak_process_kb = 0
        self.peak_processes = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> TreeMemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(self.interval):
                return

    def sample(self) -> None:
        total, pss, count = 0, 0, 0
        for pid in descendants(self.root):
            status = _status_kb(pid, ("VmRSS", "VmHWM"))
            if not status:
                continue
            count += 1
            total += status.get("VmRSS", 0)
            pss += _pss_kb(pid)
            self.peak_process_kb = max(self.peak_process_kb, status.get("VmHWM", 0))
        self.samples += 1
        self.peak_tree_pss_kb = max(self.peak_tree_pss_kb, pss)
        if total > self.peak_tree_kb:
            self.peak_tree_kb, self.peak_processes = total, count


# --------------------------------------------------------------------------- measured runs


@dataclass
class Measured:
    """One subprocess run: its output, and what it cost."""

    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    cpu_seconds: float  # user + sys of the process and every child it waited for
    peak_tree_mb: float
    peak_tree_pss_mb: float
    peak_process_mb: float
    peak_processes: int


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_measured(argv: Sequence[str], env: Mapping[str, str], *, timeout: float = 3600.0) -> Measured:
    """Run ``argv`` to completion, measuring wall time, CPU and the peak memory of its process tree."""
    cpu_before = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.Popen(list(argv), env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with TreeMemorySampler(proc.pid) as sampler:
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
            stderr += f"\n[benchmark: killed after {timeout:.0f} s]"
    seconds = time.perf_counter() - started
    return Measured(
        argv=list(argv),
        returncode=proc.returncode,
        stdout=stdout,
        stderr=stderr,
        seconds=seconds,
        cpu_seconds=_children_cpu() - cpu_before,
        peak_tree_mb=sampler.peak_tree_kb / 1024,
        peak_tree_pss_mb=sampler.peak_tree_pss_kb / 1024,
        peak_process_mb=sampler.peak_process_kb / 1024,
        peak_processes=sampler.peak_processes,
    )


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent busy since boot (everything but idle and iowait), from /proc/stat."""
    fields = [int(v) for v in (PROC / "stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    # guest time is already counted in user/nice
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


class CpuWatch:
    """CPU spent while a block runs: by the fake S3 server process, by this process, and by the whole machine.

    ``other(tool_cpu)`` is what remains once the server, this process and the tool
    under test are accounted for: other users' load, which makes a run noisy.
    """

    def __init__(self, server_pid: int | None) -> None:
        self.server_pid = server_pid
        self.server_seconds: float | None = None
        self.busy_seconds = 0.0
        self.self_seconds = 0.0
        self._server = self._busy = self._self = 0.0

    def __enter__(self) -> CpuWatch:
        self._server = (cpu_seconds_of(self.server_pid) if self.server_pid else None) or 0.0
        self._busy, self._self = machine_busy_seconds(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.busy_seconds = machine_busy_seconds() - self._busy
        self.self_seconds = time.process_time() - self._self
        after = cpu_seconds_of(self.server_pid) if self.server_pid else None
        if after is not None:
            self.server_seconds = after - self._server

    def other(self, tool_cpu: float | None) -> float:
        """Busy CPU seconds of the machine not spent by the server, this process or the tool."""
        return max(0.0, self.busy_seconds - self.self_seconds - (self.server_seconds or 0.0) - (tool_cpu or 0.0))


# --------------------------------------------------------------------------- reporting


@dataclass
class Row:
    """One line of the results table."""

    scenario: str
    tool: str
    keys: int
    seconds: float
    cpu_seconds: float | None
    peak_rss_mb: float | None
    ok: bool = True
    ratio: float | None = None
    peak_process_mb: float | None = None
    peak_pss_mb: float | None = None
    server_cpu_seconds: float | None = None
    other_cpu_seconds: float | None = None
    note: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def keys_per_s(self) -> float:
        return self.keys / self.seconds if self.seconds > 0 else 0.0

    @property
    def keys_per_cpu_s(self) -> float | None:
        """Keys per CPU second of the tool (not the server): less sensitive to other load than keys/s."""
        return self.keys / self.cpu_seconds if self.cpu_seconds else None


def median_row(rows: Sequence[Row]) -> Row:
    """The run with the median wall time (the lower middle one for an even count)."""
    ordered = sorted(rows, key=lambda r: r.seconds)
    return ordered[(len(ordered) - 1) // 2] if ordered else rows[0]


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


TABLE_HEADER = ("scenario", "tool", "keys", "seconds", "keys/s", "CPU s", "peak RSS MB", "ratio vs baseline")


def table(rows: Sequence[Row]) -> str:
    """A plain-text table of the rows."""
    cells = [TABLE_HEADER] + [
        (
            r.scenario,
            r.tool,
            f"{r.keys:,}",
            f"{r.seconds:.2f}",
            f"{r.keys_per_s:,.0f}",
            _num(r.cpu_seconds, ".2f"),
            _num(r.peak_rss_mb, ".1f"),
            ("WRONG " if not r.ok else "") + (f"{r.ratio:.1f}x" if r.ratio is not None else "-"),
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(TABLE_HEADER))]
    left = {0, 1}
    lines = []
    for n, row in enumerate(cells):
        lines.append(
            "  ".join(c.ljust(widths[i]) if i in left else c.rjust(widths[i]) for i, c in enumerate(row)).rstrip()
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def row_dict(row: Row) -> dict[str, object]:
    """A row as JSON-ready data."""
    return {
        "scenario": row.scenario,
        "tool": row.tool,
        "keys": row.keys,
        "seconds": round(row.seconds, 4),
        "keys_per_s": round(row.keys_per_s, 1),
        "keys_per_cpu_s": None if row.keys_per_cpu_s is None else round(row.keys_per_cpu_s, 1),
        "cpu_seconds": None if row.cpu_seconds is None else round(row.cpu_seconds, 3),
        "peak_rss_mb": None if row.peak_rss_mb is None else round(row.peak_rss_mb, 1),
        "peak_pss_mb": None if row.peak_pss_mb is None else round(row.peak_pss_mb, 1),
        "peak_single_process_hwm_mb": None if row.peak_process_mb is None else round(row.peak_process_mb, 1),
        "ratio_vs_baseline": None if row.ratio is None else round(row.ratio, 2),
        "server_cpu_seconds": None if row.server_cpu_seconds is None else round(row.server_cpu_seconds, 3),
        "other_load_cpu_seconds": None if row.other_cpu_seconds is None else round(row.other_cpu_seconds, 3),
        "correct": row.ok,
        "note": row.note,
        **row.extra,
    }


def spread_of(values: Sequence[float]) -> str:
    """``min..max`` of repeated measurements, for the notes."""
    if len(values) < 2:
        return ""
    return f"{min(values):.2f}..{max(values):.2f} s over {len(values)} runs (median {statistics.median(values):.2f})"


def git_commit(repo: Path) -> str | None:
    """The checked-out commit (read-only), and whether the tree has local changes."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        head = subprocess.run(
            ["git", "--no-optional-locks", "rev-parse", "HEAD"],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no"],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        return head + ("+local-changes" if dirty else "")
    return None


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    """The median wall time of ``repeat`` calls of ``fn`` in this process, in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)
