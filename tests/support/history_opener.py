"""The body of one process in the concurrent-open tests: kept apart so a spawned child imports only the store."""

from __future__ import annotations

from datetime import UTC, datetime
from multiprocessing.synchronize import Barrier
from typing import Any

from s3_storage_analyser.model import Bucket, BucketReport, Snapshot, Usage
from s3_storage_analyser.store import Store


def open_and_save(path: str, barrier: Barrier, results: Any, index: int) -> None:
    """Wait for the others, open the database, save one snapshot of ``index + 1`` bytes, report back."""
    try:
        barrier.wait(timeout=120)
        store = Store(path)
        try:
            report = BucketReport(Bucket("solo", "us-east-1"), Usage(objects=1, bytes_by_class={"STANDARD": index + 1}))
            snapshot_id = store.save(Snapshot("cloudwatch", datetime(2024, 5, 1, tzinfo=UTC), (report,)))
            results.put(("ok", index, store.applied, store.version, snapshot_id))
        finally:
            store.close()
    except BaseException as exc:  # reported to the test, which names it
        results.put(("error", index, repr(exc), None, None))
