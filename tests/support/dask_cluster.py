"""One real Dask LocalCluster for the whole test session: 2 worker processes (under nannies, which restart a
killed one) of 1 thread each, the scheduler in this process.

Workers take their credentials from the environment they are started with (the tests' fake keys, no AWS
config, no instance metadata), as a cluster's workers take theirs from their own role. Starting a cluster
costs ~3-5 s on this machine: every Dask test shares this one.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
from typing import Any

from support.aws import ISOLATED_ENV

WORKERS = 2
_LOCK = threading.Lock()
_STARTED: list[Any] = []  # the LocalCluster, once started


def worker_env() -> dict[str, str]:
    """The tests' isolated AWS environment, for the worker processes (fixed at their start)."""
    empty = "/nonexistent/s3sa-tests"
    return {**ISOLATED_ENV, "AWS_CONFIG_FILE": f"{empty}/config", "AWS_SHARED_CREDENTIALS_FILE": f"{empty}/credentials"}


def shared_cluster() -> Any:
    """The session's LocalCluster (a ``distributed.LocalCluster``), started on first use."""
    from distributed import LocalCluster

    with _LOCK:
        if not _STARTED:
            for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_REGION"):
                os.environ.pop(key, None)  # not inherited by the workers either
            cluster = LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=WORKERS,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                env=worker_env(),
            )
            _STARTED.append(cluster)
            atexit.register(_close)
        return _STARTED[0]


def _close() -> None:
    for cluster in _STARTED:
        with contextlib.suppress(Exception):
            cluster.close(timeout=10)
    _STARTED.clear()


def wait_for_workers(address: str, count: int = WORKERS, timeout: float = 60) -> None:
    """Until the cluster has ``count`` workers again (a nanny restarts a killed one)."""
    from distributed import Client

    with Client(address, set_as_default=False, timeout=10) as client:  # type: ignore[no-untyped-call]
        client.wait_for_workers(count, timeout=timeout)
