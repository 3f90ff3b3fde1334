"""One call on a Dask cluster: a picklable, module-level function run as a task, its result or a named failure.

For work that is a whole unit rather than a key range (an account's discovery and CloudWatch collection):
the task's returned value is its only effect here, taken once when its future completes, so a worker that
dies mid-task costs a rerun elsewhere (``distributed.scheduler.allowed-failures``), never a double count.
Whatever stops the task for good (an exception in it, ``KilledWorker``, a cancelled task, a result of the
wrong type, no worker for too long) comes back as a ``RemoteFailure`` naming it, never as an exception.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from distributed import secede
from distributed.client import FutureCancelledError

from ..safetext import printable
from .dask import NO_WORKERS_TIMEOUT, DaskCluster

log = logging.getLogger(__name__)

T = TypeVar("T")
WAIT_STEP = 1.0  # seconds between looks at whether the cluster still has workers
_MAX_MESSAGE = 300
_RUN = secrets.token_hex(6)  # this process's task keys are its own, whoever else uses the cluster
_KEYS = itertools.count()


@dataclass(frozen=True)
class RemoteFailure:
    """Why a task gave no result: the cause's name (an exception's class, ``KilledWorker``, ``NoWorkers``) and
    a message fit to show (checked, bounded)."""

    code: str
    message: str


def leave_thread_pool() -> None:
    """Called first by a task that waits on the network: it leaves the worker's thread pool (``secede``), so a
    worker with one thread runs several such tasks at once. Outside a worker (called directly), nothing."""
    with contextlib.suppress(ValueError):
        secede()  # type: ignore[no-untyped-call]


def run_remote(
    cluster: DaskCluster,
    name: str,
    expect: type[T],
    fn: Callable[..., T],
    *args: Any,
    stop: threading.Event | None = None,
) -> T | RemoteFailure:
    """``fn(*args)`` as one task on ``cluster`` (key ``s3sa-<name>-...``), waited for here.

    ``fn`` must be importable by the workers (module level) and ``args`` picklable. The result is checked to be
    an ``expect``: a task's answer is read like any other untrusted input. Ctrl-C in this thread, or ``stop``
    set by another (the run ended), cancels the task on the cluster."""
    client: Any = cluster.client
    future = client.submit(fn, *args, key=f"s3sa-{name}-{_RUN}-{next(_KEYS)}", pure=False)
    starved_since: float | None = None
    try:
        while True:
            try:
                result = future.result(timeout=WAIT_STEP)
                break
            except TimeoutError:
                if stop is not None and stop.is_set():
                    client.cancel([future], force=True)
                    return RemoteFailure("CancelledError", "the run ended before this Dask task did")
                starved_since = _starved(cluster, starved_since)
                if starved_since is not None and time.monotonic() - starved_since > NO_WORKERS_TIMEOUT:
                    client.cancel([future], force=True)
                    return RemoteFailure(
                        "NoWorkers",
                        f"the Dask cluster at {printable(cluster.address)} had no workers for "
                        f"{NO_WORKERS_TIMEOUT:g} s to run this task",
                    )
    except (FutureCancelledError, Exception) as exc:  # the task failed for good: named, not raised
        return _failure(exc)
    except BaseException:  # Ctrl-C: no worker goes on for a run that has ended
        with contextlib.suppress(Exception):
            client.cancel([future], force=True)
        raise
    finally:
        with contextlib.suppress(Exception):
            future.release()
    if not isinstance(result, expect):
        return RemoteFailure("BadTaskResult", f"a Dask task returned {type(result).__name__}, not {expect.__name__}")
    return result


def _starved(cluster: DaskCluster, since: float | None) -> float | None:
    """When the cluster was first seen without workers (None: it has some)."""
    try:
        workers = cluster.workers()
    except Exception:  # a slow answer: as if it had workers
        return None
    if workers:
        return None
    return since if since is not None else time.monotonic()


def _failure(exc: BaseException) -> RemoteFailure:
    name = type(exc).__name__
    log.debug("a Dask task failed", exc_info=exc)
    if name == "KilledWorker":
        return RemoteFailure(
            name,
            "the Dask workers running this task died each time it was tried (distributed.scheduler.allowed-failures)",
        )
    if isinstance(exc, FutureCancelledError) or name == "CancelledError":
        return RemoteFailure(name, "the Dask task was cancelled (the scheduler lost it, or was shut down)")
    return RemoteFailure(name, printable(f"a Dask task failed: {name}: {exc}")[:_MAX_MESSAGE])
