"""The tasks ``dask_listing.py`` runs on Dask workers, in a module of their own.

A function of the script itself (``__main__``) would be pickled by value with every task, and a cache
beside it would start empty each time; a worker imports this module by name (spawned workers get the
benchmark's ``sys.path``), as it imports the package's own task functions.
"""

from __future__ import annotations

from typing import Any

from s3_storage_analyser.listing.ranges import KeyRange
from s3_storage_analyser.listing.worker import RunnerConfig, SliceResult, SliceRunner

_RUNNERS: dict[str, SliceRunner] = {}  # per endpoint, in each worker process: clients and connections kept


def noop(i: int) -> int:
    """The cheapest task: what Dask itself costs per task."""
    return i


def list_piece(config: RunnerConfig, task: KeyRange, pages: int) -> SliceResult:
    """List up to ``pages`` pages of ``task`` with the project's slice runner (the piece-listing function)."""
    endpoint = config.aws.endpoint_url or ""
    runner = _RUNNERS.get(endpoint)
    if runner is None:
        runner = _RUNNERS[endpoint] = SliceRunner(config)
    return runner.run(task, pages)


def forget_runners(**_: Any) -> None:
    """Each measurement's endpoint is new: drop the runners (and connections) of the previous ones."""
    _RUNNERS.clear()
