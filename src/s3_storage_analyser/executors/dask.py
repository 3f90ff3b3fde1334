"""Slices as tasks on a Dask cluster (``--executor dask``): Dask places, retries and balances them.

Each key-range slice is one ``client.submit`` of ``list_slice``, which lists the range within its page budget
on a worker and returns the ``SliceResult``; the engine merges it once, when its future completes, and submits
the remainder's pieces as new tasks. A worker that dies mid-slice costs a rerun elsewhere (the scheduler's
``distributed.scheduler.allowed-failures``), never a double or a missing count: nothing a task counted
reaches the engine but its returned result. A task that still fails fails its bucket, named.

Connecting checks, before anything is listed, that the scheduler answers (a short timeout) and that every
worker runs this package at this version: either problem is a usage error (exit 2), not a hang.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import platform
import queue
import re
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import dask.config
from dask.utils import parse_timedelta
from distributed import Client, secede
from distributed.client import FutureCancelledError

from .. import __version__
from ..errors import AnalyserError, UsageError
from ..listing.ranges import KeyRange
from ..listing.tally import Tally
from ..listing.worker import RunnerConfig, Signing, SliceResult, SliceRunner
from ..safetext import printable
from .base import ExecutorOptions

log = logging.getLogger("s3_storage_analyser.listing")

CONNECT_TIMEOUT = 5.0  # seconds, at most: Dask's own default (30 s) is long to wait for a typo
WORKERS_TIMEOUT = 10.0  # seconds to wait for a first worker of a cluster that has none yet
NO_WORKERS_TIMEOUT = 120.0  # seconds with tasks pending and no worker at all before the run gives up
FETCHERS = 8  # threads fetching finished tasks' results from the workers at once
CAPACITY_CHECK = 2.0  # seconds between looks at how many workers the cluster has
_ADDRESS = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?[^\s/]+$", re.ASCII)
_MAX_MESSAGE = 300
_HOW_TO_GIVE = (
    "Give --scheduler tcp://HOST:8786 (tls://HOST:8786 with Dask's TLS settings), or set DASK_SCHEDULER_ADDRESS "
    "(or scheduler-address in Dask's configuration)."
)


def scheduler_address(options: ExecutorOptions) -> str:
    """--scheduler, else Dask's configuration (``scheduler-address``, which DASK_SCHEDULER_ADDRESS sets), checked."""
    address = options.scheduler or dask.config.get("scheduler-address", default=None)
    if not address:
        raise UsageError(
            "--executor dask needs the address of a Dask scheduler, and none was given.", hint=_HOW_TO_GIVE
        )
    if not isinstance(address, str) or not _ADDRESS.match(address):
        raise UsageError(f"{printable(str(address))[:200]!r} is not a Dask scheduler address.", hint=_HOW_TO_GIVE)
    return address


def _connect_timeout() -> float:
    configured = parse_timedelta(dask.config.get("distributed.comm.timeouts.connect", default="30s"), "s")
    return min(float(configured or CONNECT_TIMEOUT), CONNECT_TIMEOUT)


def fingerprint() -> tuple[str, str]:
    """What a worker runs (this package's version, Python's major.minor): runs on each worker at connect."""
    return __version__, ".".join(platform.python_version_tuple()[:2])


def _shown(exc: BaseException) -> str:
    return printable(f"{type(exc).__name__}: {exc}")[:_MAX_MESSAGE]


@dataclass
class DaskCluster:
    """A connected, checked client and the run's choice about credentials."""

    client: Any  # distributed.Client (partly typed: its methods are called untyped)
    address: str
    forward_credentials: bool

    def executor(self, config: RunnerConfig, concurrency: int) -> DaskExecutor:
        return DaskExecutor(self, config, concurrency)

    def workers(self) -> int:
        return len(self.client.scheduler_info(n_workers=-1).get("workers", {}))

    def check_workers(self) -> None:
        """Every worker imports this package at this version: one cheap call to all of them."""
        try:
            self.client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
        except (TimeoutError, OSError) as exc:
            raise UsageError(
                f"The Dask scheduler at {self.address} has no workers (waited {WORKERS_TIMEOUT:g} s).",
                hint="Start workers (`dask worker ADDRESS`) with this package installed, then run again.",
            ) from exc
        answers = self.client.run(fingerprint, on_error="return")
        wanted = fingerprint()
        wrong = {
            worker: (_shown(answer) if isinstance(answer, BaseException) else f"{answer[0]} on Python {answer[1]}")
            for worker, answer in answers.items()
            if isinstance(answer, BaseException) or tuple(answer) != wanted
        }
        if wrong:
            listed = "; ".join(f"{printable(w)}: {what}" for w, what in sorted(wrong.items())[:5])
            more = f" (and {len(wrong) - 5} more)" if len(wrong) > 5 else ""
            raise UsageError(
                f"{len(wrong)} of {len(answers)} Dask workers cannot run this listing: it needs "
                f"s3-storage-analyser {wanted[0]} on Python {wanted[1]} on every worker. {listed}{more}",
                hint=f"Install s3-storage-analyser=={wanted[0]} (with Python {wanted[1]}) in the workers' "
                "environment, or point --scheduler at a cluster that has it.",
            )

    def close(self) -> None:
        with _LOCK:
            if _CLUSTERS.get(self.address) is self:
                del _CLUSTERS[self.address]
        with contextlib.suppress(Exception):
            self.client.close(timeout=CONNECT_TIMEOUT)


_CLUSTERS: dict[str, DaskCluster] = {}
_RUNNING: dict[int, int] = {}  # id(client) -> executors using it (the accounts of a many-account scan)
_LOCK = threading.Lock()


def _using(client: Any, change: int) -> int:
    """Count an executor in (+1) or out (-1) of ``client``; how many are left."""
    with _LOCK:
        left = _RUNNING.get(id(client), 0) + change
        if left > 0:
            _RUNNING[id(client)] = left
        else:
            _RUNNING.pop(id(client), None)
        return left


def connect(options: ExecutorOptions) -> DaskCluster:
    """The cluster ``options`` name, connected and checked; one client per address, shared by the
    accounts of a many-account scan and by a service's scans."""
    address = scheduler_address(options)
    with _LOCK:
        known = _CLUSTERS.get(address)
        if known is not None and known.client.status == "running":
            return DaskCluster(known.client, address, options.forward_credentials)
        timeout = _connect_timeout()
        try:
            client: Any = Client(address, timeout=timeout, set_as_default=False)  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError) as exc:
            raise UsageError(
                f"The Dask scheduler at {printable(address)} could not be reached in {timeout:g} s: {_shown(exc)}",
                hint="Check the address and that the scheduler runs; for tls:// give Dask's TLS settings "
                "(distributed.comm.tls.*). " + _HOW_TO_GIVE,
            ) from exc
        except (ValueError, TypeError) as exc:
            raise UsageError(
                f"{printable(address)!r} is not a Dask scheduler address: {_shown(exc)}", hint=_HOW_TO_GIVE
            ) from exc
        cluster = DaskCluster(client, address, options.forward_credentials)
        try:
            cluster.check_workers()
        except BaseException:
            with contextlib.suppress(Exception):
                client.close(timeout=CONNECT_TIMEOUT)
            raise
        _CLUSTERS[address] = cluster
        return cluster


@functools.lru_cache(maxsize=16)
def _runner(config: RunnerConfig) -> SliceRunner:
    """One SliceRunner per worker process and config: its clients, connections and assumed role are reused by
    every slice of a run (an error is not cached: the next slice tries again)."""
    return SliceRunner(config)


def list_slice(config: RunnerConfig, task: KeyRange, max_pages: int, signing: Signing | None) -> SliceResult:
    """A Dask task: list ``task`` within ``max_pages`` pages on this worker and return what it counted.

    It leaves the worker's thread pool first (``secede``): a slice waits on S3, not on a core, so a worker
    runs as many at once as the engine sends it (``--conc`` per worker), whatever its ``--nthreads``."""
    with contextlib.suppress(ValueError):  # not on a worker (called directly): nothing to leave
        secede()  # type: ignore[no-untyped-call]
    try:
        runner = _runner(config)
    except AnalyserError as exc:  # the worker's own credentials, or its role, refused
        return SliceResult(task, Tally(), error_code=exc.code, error_message=f"on a Dask worker: {exc.message}")
    runner.sign_with(signing)
    return runner.run(task, max_pages)


class DaskExecutor:
    """Slices as Dask tasks; results are merged by the engine as their futures complete."""

    def __init__(self, cluster: DaskCluster, config: RunnerConfig, concurrency: int) -> None:
        self._cluster = cluster
        self._client: Any = cluster.client
        self._config = config
        self._concurrency = concurrency
        # Task keys unique to this executor, whoever else uses the cluster: the engine's task ids start again
        # at 0 in each phase, and a key the scheduler still knows would answer with its old result.
        self._run = secrets.token_hex(6)
        self._keys = itertools.count()
        self._done: queue.SimpleQueue[tuple[int, SliceResult]] = queue.SimpleQueue()
        self._fetchers = ThreadPoolExecutor(max_workers=FETCHERS, thread_name_prefix="dask-results")
        _using(self._client, +1)
        self._futures: dict[int, tuple[Any, KeyRange]] = {}  # distributed.Future
        self._workers = max(1, cluster.workers())
        self.capacity = concurrency * self._workers
        self._checked = time.monotonic()
        self._starved_since: float | None = None

    def maybe_grow(self) -> None:
        """Follow the cluster's size: ``--conc`` slices in flight per worker, as workers come and go."""
        now = time.monotonic()
        if now - self._checked < CAPACITY_CHECK:
            return
        self._checked = now
        with contextlib.suppress(Exception):  # a slow answer keeps the last count
            self._workers = self._cluster.workers()
            self.capacity = self._concurrency * max(1, self._workers)

    def submit(self, task_id: int, task: KeyRange, max_pages: int, signing: Signing) -> None:
        """Send newer forwarded credentials with the task (workers are long-lived: the first ones travel in
        the config); without forwarding there are none to send."""
        fresh = signing if signing.generation and signing.credentials is not None else None
        future = self._client.submit(
            list_slice,
            self._config,
            task,
            max_pages,
            fresh,
            key=f"s3sa-slice-{self._run}-{next(self._keys)}",
            pure=False,
        )
        self._futures[task_id] = (future, task)
        future.add_done_callback(lambda done: self._on_done(task_id, done, task))

    def next_result(self) -> tuple[int, SliceResult]:
        while True:
            try:
                task_id, result = self._done.get(timeout=1.0)
                break
            except queue.Empty:
                self._check_starved()
        self._futures.pop(task_id, None)
        self._starved_since = None
        return task_id, result

    def _on_done(self, task_id: int, future: Any, task: KeyRange) -> None:
        with contextlib.suppress(RuntimeError):  # closed (Ctrl-C): nobody waits for it any more
            self._fetchers.submit(self._fetch, task_id, future, task)

    def _fetch(self, task_id: int, future: Any, task: KeyRange) -> None:
        """Fetch a finished task's result (on a fetcher thread) and queue it for the engine; a failed task
        (KilledWorker, an exception in it, a result lost with its worker) is its slice's failure.

        Fetched by several threads at once: one fetch is a round trip to the worker holding the result
        (~0.15 s here under load), and one at a time made 300 one-page buckets take 21 s instead of 3."""
        try:
            result = future.result()
            if not isinstance(result, SliceResult):
                raise TypeError(f"a task returned {type(result).__name__}, not a SliceResult")
        except (FutureCancelledError, Exception) as exc:
            result = _failed(task, exc)
        finally:
            future.release()
        self._done.put((task_id, result))

    def _check_starved(self) -> None:
        """Tasks wait for workers that may never come: give up after a while rather than hang."""
        self.maybe_grow()
        if self._workers:
            self._starved_since = None
            return
        now = time.monotonic()
        self._starved_since = self._starved_since or now
        if now - self._starved_since > NO_WORKERS_TIMEOUT:
            raise AnalyserError(
                f"The Dask cluster at {printable(self._cluster.address)} has had no workers for "
                f"{NO_WORKERS_TIMEOUT:g} s; nothing was reported.",
                hint="Start workers, or rerun with --executor local.",
            )

    def close(self, *, abandon: bool = False) -> None:
        """Release the futures; ``abandon`` (Ctrl-C, an error) cancels this run's tasks on the cluster and,
        unless another account's listing still uses it, closes the client, so that no worker goes on
        listing for a run that has ended."""
        futures = [future for future, _task in self._futures.values()]
        self._futures.clear()
        self._fetchers.shutdown(wait=not abandon, cancel_futures=abandon)
        others = _using(self._client, -1)
        if not abandon:
            for future in futures:
                future.release()
            return
        log.debug("cancelling %d listing tasks on the Dask cluster", len(futures))
        with contextlib.suppress(Exception):
            self._client.cancel(futures, force=True)
        if not others:
            self._cluster.close()


def _failed(task: KeyRange, exc: BaseException) -> SliceResult:
    """A slice whose task failed for good: its bucket fails, named by the cause."""
    name = type(exc).__name__
    if name == "KilledWorker":
        message = (
            "the Dask workers running this slice died each time it was tried (distributed.scheduler.allowed-failures)"
        )
    elif isinstance(exc, FutureCancelledError) or name == "CancelledError":
        message = "the Dask task listing this slice was cancelled (the scheduler lost it, or was shut down)"
    else:
        message = f"a Dask task listing this slice failed: {_shown(exc)}"
    log.debug("listing %s: task failed", task.bucket, exc_info=exc)
    return SliceResult(task, Tally(), error_code=name, error_message=message)
