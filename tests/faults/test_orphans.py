"""Processes end together: no listing worker or resource tracker outlives its parent.

The CLI runs in its own session (``start_new_session``), so every process it
starts shares that session id, even once orphaned and re-parented; the tests
find them by it in /proc and kill only their own tree. FakeS3 answers slowly,
so the listing is still running when the parent is killed.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnContext
from multiprocessing.process import BaseProcess
from pathlib import Path

import pytest

from s3_storage_analyser.listing.lifeline import ORPHANED, Lifeline, Tether, hold
from support.fakes3 import FakeS3, FlatHexKeys

pytestmark = pytest.mark.slow

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds processes through /proc")

# The real entry point, with the workers started at the first check instead of after a CPU-bound second
# (a latency-bound listing would never start them otherwise).
CLI = (
    "import sys; from s3_storage_analyser.listing.engine import _ProcessExecutor; _ProcessExecutor.BUSY_WINDOWS = 0; "
    "from s3_storage_analyser.cli import entry; sys.exit(entry(sys.argv[1:]))"
)
DEADLINE = 90.0  # hang guard for each wait; everything ends within seconds when it works


@dataclass(frozen=True)
class Proc:
    pid: int
    state: str
    cmdline: str

    @property
    def worker(self) -> bool:
        return "multiprocessing.spawn" in self.cmdline

    @property
    def threads(self) -> int:
        try:
            return len(os.listdir(f"/proc/{self.pid}/task"))
        except OSError:
            return 0


def session(sid: int) -> list[Proc]:
    """Live (not zombie) processes in session ``sid``."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{name}/stat").read_text()
            cmdline = Path(f"/proc/{name}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # ended while we looked
        fields = stat.rpartition(")")[2].split()  # the command name may hold spaces and parentheses
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(Proc(int(name), fields[0], cmdline))
    return found


def wait_for(what: str, check: Callable[[list[Proc]], bool], sid: int) -> list[Proc]:
    """Poll the session until ``check(procs)`` holds; fail naming what is still there."""
    end = time.monotonic() + DEADLINE
    while True:
        procs = session(sid)
        if check(procs):
            return procs
        if time.monotonic() > end:
            pytest.fail(f"{what}: still {procs}")
        time.sleep(0.1)


@pytest.fixture
def slow_s3() -> Iterator[FakeS3]:
    """A million keys at 0.1 s a page, 4 pages at a time: the listing lasts 25 s or more."""
    fake = FakeS3(latency=0.1)
    fake.add_bucket("big", FlatHexKeys(1_000_000, seed=9))
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def listing(slow_s3: FakeS3) -> Iterator[subprocess.Popen[str]]:
    """``s3sa --strategy list --processes 2`` in a new session; whatever is left is killed afterwards."""
    args = ["--strategy", "list", "--processes", "2", "--conc", "4", "--fmt", "json", "--quiet"]
    proc = subprocess.Popen(
        [sys.executable, "-c", CLI, *args, "--endpoint-url", slow_s3.url],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    yield proc
    for left in session(proc.pid):
        os.kill(left.pid, signal.SIGKILL)
    proc.kill()
    proc.communicate(timeout=DEADLINE)


def workers(procs: list[Proc], *, serving: bool) -> bool:
    """Both workers exist; ``serving``: both are past their start (they run threads)."""
    found = [p for p in procs if p.worker]
    return len(found) == 2 and (not serving or all(p.threads > 1 for p in found))


@pytest.mark.parametrize(
    ("sig", "serving"),
    [(signal.SIGKILL, True), (signal.SIGKILL, False), (signal.SIGTERM, True)],
    ids=["sigkill", "sigkill-while-workers-start", "sigterm"],
)
def test_killing_the_parent_ends_every_process_it_started(
    listing: subprocess.Popen[str], sig: signal.Signals, serving: bool
) -> None:
    before = wait_for("workers never started", lambda ps: workers(ps, serving=serving), listing.pid)
    assert len(before) >= 4, before  # parent, resource tracker, two workers

    os.kill(listing.pid, sig)

    assert listing.wait(timeout=DEADLINE) == -sig
    wait_for("orphans outlived the parent", lambda ps: ps == [], listing.pid)


@pytest.mark.parametrize("serving", [True, False], ids=["ctrl-c", "ctrl-c-while-workers-start"])
def test_ctrl_c_interrupts_the_run_and_leaves_no_process(listing: subprocess.Popen[str], serving: bool) -> None:
    """Ctrl-C reaches the whole foreground process group; only the parent acts on it (a worker still
    importing would print a KeyboardInterrupt traceback, had it not been spawned with SIGINT blocked)."""
    wait_for("workers never started", lambda ps: workers(ps, serving=serving), listing.pid)

    os.killpg(listing.pid, signal.SIGINT)

    _, err = listing.communicate(timeout=DEADLINE)
    assert listing.returncode == 130, err
    assert "Interrupted." in err and "Traceback" not in err, err
    wait_for("processes outlived an interrupted run", lambda ps: ps == [], listing.pid)


# --------------------------------------------------------------------------- the lifeline on its own


def _tethered(tether: Tether, control: Connection) -> None:
    """A worker that answers pings until its lifeline ends it."""
    hold(tether)
    control.send(os.getpid())
    while True:
        control.send(control.recv())


def _spawn_tethered(context: SpawnContext, lifeline: Lifeline) -> tuple[BaseProcess, Connection]:
    control, child_end = context.Pipe()
    worker = context.Process(target=_tethered, args=(lifeline.tether(), child_end), daemon=True)
    lifeline.start([worker])
    child_end.close()
    return worker, control


def _answers(control: Connection) -> bool:
    control.send("ping")
    return control.poll(DEADLINE) and control.recv() == "ping"


def test_a_cut_lifeline_ends_a_worker_that_ignores_ctrl_c() -> None:
    context = multiprocessing.get_context("spawn")
    lifeline = Lifeline(context)
    worker, control = _spawn_tethered(context, lifeline)
    try:
        assert control.poll(DEADLINE), "the worker never started"
        pid = control.recv()
        status = Path(f"/proc/{pid}/status").read_text()
        ignored = int(next(line for line in status.splitlines() if line.startswith("SigIgn:")).split()[1], 16)
        assert ignored & (1 << (signal.SIGINT - 1)), status  # Ctrl-C is the parent's to handle
        assert _answers(control)

        lifeline.cut()

        worker.join(DEADLINE)
        assert worker.exitcode == ORPHANED
    finally:
        if worker.is_alive():
            worker.kill()


def test_a_worker_outlives_the_thread_that_spawned_it() -> None:
    """PR_SET_PDEATHSIG follows the spawning thread: a scan thread that ends must not take its workers along."""
    context = multiprocessing.get_context("spawn")
    lifeline = Lifeline(context)
    spawned: list[tuple[BaseProcess, Connection]] = []

    def spawn_and_wait() -> None:  # the thread ends only once the worker runs (and holds its tether)
        worker, control = _spawn_tethered(context, lifeline)
        spawned.append((worker, control))
        if control.poll(DEADLINE):
            control.recv()

    thread = threading.Thread(target=spawn_and_wait)
    thread.start()
    thread.join(DEADLINE)
    [(worker, control)] = spawned
    try:
        assert _answers(control)  # its spawning thread is gone, it still serves

        lifeline.cut()

        worker.join(DEADLINE)
        assert worker.exitcode == ORPHANED
    finally:
        if worker.is_alive():
            worker.kill()
