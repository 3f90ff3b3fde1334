"""An abandoned listing (Ctrl-C, an error) stops without a traceback from a slice still in flight."""

from __future__ import annotations

import threading
import time
from typing import Any

from s3_storage_analyser.aggregate import BreakdownSpec
from s3_storage_analyser.aws import AwsOptions
from s3_storage_analyser.listing.engine import _ProcessExecutor
from s3_storage_analyser.listing.ranges import KeyRange
from s3_storage_analyser.listing.worker import RunnerConfig, Signing


class _SlowRunner:
    """Stands in for a SliceRunner whose request is still in flight when the run is abandoned."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.finished = threading.Event()

    def sign_with(self, credentials: object) -> None:
        pass

    def run(self, task: KeyRange, max_pages: int) -> str:
        self.started.set()
        time.sleep(0.5)
        self.finished.set()
        return "result"


def test_abandoning_leaves_a_slice_in_flight_room_to_finish(monkeypatch: Any) -> None:
    errors: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", errors.append)
    runner = _SlowRunner()
    config = RunnerConfig(AwsOptions(), None, BreakdownSpec())
    executor = _ProcessExecutor(config, 0, 1, runner)  # type: ignore[arg-type]
    executor.submit(1, KeyRange("bucket", "us-east-1", ""), 1, Signing(0, ("key", "secret", None)))
    assert runner.started.wait(10)

    executor.close(abandon=True)

    assert runner.finished.wait(10)
    time.sleep(0.2)  # the thread's put, after its request
    assert [f"{e.exc_type.__name__}: {e.exc_value}" for e in errors] == []
