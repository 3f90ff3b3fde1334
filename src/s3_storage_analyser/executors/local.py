"""The local executors: slices on threads of this process, and on worker processes once parsing saturates it."""

from __future__ import annotations

import multiprocessing
import queue
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from ..errors import AnalyserError
from ..listing.lifeline import Lifeline
from ..listing.ranges import KeyRange
from ..listing.worker import RunnerConfig, Signing, SliceResult, SliceRunner, serve_slices, worker_main


class ThreadExecutor:
    """Slices on threads of this process (phase one, or ``--processes 0``)."""

    def __init__(self, runner: SliceRunner, threads: int) -> None:
        self.capacity = threads
        self._pool = ThreadPoolExecutor(max_workers=threads)
        self._done: queue.SimpleQueue[tuple[int, Future[SliceResult]]] = queue.SimpleQueue()
        self._runner = runner

    def maybe_grow(self) -> None:
        return None

    def submit(self, task_id: int, task: KeyRange, max_pages: int, signing: Signing) -> None:
        """(``signing`` is for worker processes: these threads sign through the parent's own chain.)"""
        future = self._pool.submit(self._runner.run, task, max_pages)
        future.add_done_callback(lambda f: self._done.put((task_id, f)))

    def next_result(self) -> tuple[int, SliceResult]:
        task_id, future = self._done.get()
        return task_id, future.result()

    def close(self, *, abandon: bool = False) -> None:
        """Wait for the slices in flight, or (``abandon``: Ctrl-C, an error) drop the queued ones."""
        self._pool.shutdown(wait=not abandon, cancel_futures=abandon)


class ProcessExecutor:
    """Slices on this process's threads, plus worker processes once parsing saturates it.

    Latency-bound listings (a real region, tens of ms per page) keep one core
    busy only in part and need no more processes; a CPU-bound listing (a fast
    endpoint, parsing under the GIL) is detected by this process using most of
    a core, and then ``processes`` workers are started (spawned, ~0.5 s to import)
    and serve the same queue, each with ``threads`` threads. ``capacity`` stays
    ``--conc``: that many slices are in flight in all, whichever process runs them.
    """

    CPU_BOUND = 0.75  # share of one core this process uses when the GIL is the bottleneck
    WINDOW = 0.5  # seconds between checks
    BUSY_WINDOWS = 2  # consecutive CPU-bound windows before spawning: short listings never pay for it

    def __init__(self, config: RunnerConfig, processes: int, threads: int, local: SliceRunner) -> None:
        self._context = multiprocessing.get_context("spawn")  # safe beside threads; no inherited locks
        self._config = config
        self._processes = processes
        self.capacity = threads
        self._tasks: Any = self._context.Queue()
        self._results: Any = self._context.Queue()
        self._threads = threads
        self._procs: list[Any] = []
        self._local = serve_slices(local, self._tasks, self._results, threads)
        self._mark = (time.monotonic(), time.process_time())
        self._busy = 0

    def maybe_grow(self) -> None:
        """Start the worker processes if this one has been CPU-bound since the last check."""
        if self._procs or not self._processes:
            return
        wall, cpu = time.monotonic(), time.process_time()
        if wall - self._mark[0] < self.WINDOW:
            return
        busy = (cpu - self._mark[1]) / (wall - self._mark[0])
        self._mark = (wall, cpu)
        self._busy = self._busy + 1 if busy >= self.CPU_BOUND else 0
        if self._busy < self.BUSY_WINDOWS:
            return
        self._lifeline = Lifeline(self._context)  # workers exit when it closes: with this process, however it ends
        tether = self._lifeline.tether()
        self._procs = [
            self._context.Process(
                target=worker_main, args=(self._config, self._tasks, self._results, self._threads, tether), daemon=True
            )
            for _ in range(self._processes)
        ]
        self._lifeline.start(self._procs)

    def submit(self, task_id: int, task: KeyRange, max_pages: int, signing: Signing) -> None:
        """Queue a slice, with the parent's credentials once they have changed since the workers started
        (a worker takes whichever task comes next: a separate message would reach only one of them).
        Credentials that never change (long-term keys) are sent once, as the workers start, and no more."""
        self._tasks.put((task_id, task, max_pages, signing if signing.generation else None))

    def next_result(self) -> tuple[int, SliceResult]:
        while True:
            try:
                result: tuple[int, SliceResult] = self._results.get(timeout=1.0)
                return result
            except queue.Empty:
                if self._procs and not all(proc.is_alive() for proc in self._procs):
                    raise AnalyserError(
                        "A listing worker process exited unexpectedly (out of memory?); nothing was reported.",
                        hint="Rerun with --processes 0 to list in one process, and --debug.",
                    ) from None

    def close(self, *, abandon: bool = False) -> None:
        """Stop the threads and workers; ``abandon`` (Ctrl-C, an error) ends the workers at once
        rather than after the slices queued before the stop markers."""
        if abandon and self._procs:
            self._lifeline.cut()
        for _ in range((len(self._procs) + 1) * self._threads):
            self._tasks.put(None)
        for thread in [] if abandon else self._local:
            thread.join(timeout=5)
        for proc in self._procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
        if abandon:
            # This process's slice threads may still be finishing a request: closing the queues under
            # them would make their last put raise. Leave them open, and never wait at exit to flush
            # tasks that no process will read.
            self._tasks.cancel_join_thread()
            self._results.cancel_join_thread()
            return
        self._tasks.close()
        self._results.close()
