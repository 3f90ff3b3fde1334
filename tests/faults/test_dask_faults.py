"""--executor dask under faults, on a real LocalCluster (worker processes) and FakeS3 over loopback.

A worker killed mid-range costs a rerun, never a count; a slice whose workers keep dying fails its bucket by
name (KilledWorker), the others exact; a refused or hostile listing on a worker fails its bucket by name;
Ctrl-C cancels the run's tasks on the cluster; an unreachable scheduler, no scheduler at all, or long-term
keys with --forward-credentials end the run at start (exit 2, no traceback).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import dask.config
import pytest

from s3_storage_analyser import __version__
from s3_storage_analyser.aggregate import BreakdownSpec
from s3_storage_analyser.aws import Aws, AwsOptions
from s3_storage_analyser.errors import UsageError
from s3_storage_analyser.executors.base import ExecutorOptions
from s3_storage_analyser.executors.dask import DaskCluster, connect
from s3_storage_analyser.listing.engine import ListingEngine, Target
from s3_storage_analyser.model import Bucket, BucketReport, Failure, Progress
from support.aws import ISOLATED_ENV
from support.cli import CliResult
from support.dask_cluster import shared_cluster, wait_for_workers
from support.fakes3 import FakeS3, Fault, FlatHexKeys

SLICE_KEY = "s3sa-slice-"


@pytest.fixture(scope="module")
def cluster() -> Any:
    return shared_cluster()


@pytest.fixture
def fakes3() -> Iterator[Callable[..., FakeS3]]:
    started: list[FakeS3] = []

    def start(**kwargs: Any) -> FakeS3:
        fake = FakeS3(**kwargs)
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.stop()
        assert not fake.errors, fake.errors


def engine(
    fake: FakeS3, dask: DaskCluster | None, on_progress: Callable[[Progress], None] | None = None
) -> ListingEngine:
    return ListingEngine(
        Aws(AwsOptions(endpoint_url=fake.url)),
        concurrency=4,
        processes=0,
        spec=BreakdownSpec(dimensions=("storage-class",)),
        cluster=dask,
        on_progress=on_progress,
    )


def listed(
    fake: FakeS3, dask: DaskCluster | None, names: list[str], **kwargs: Any
) -> dict[str, BucketReport | Failure]:
    run = engine(fake, dask, **kwargs).run([Target(Bucket(name, "us-east-1")) for name in names])
    return {target.bucket.name: result for target, result in run}


def slices_on(cluster: Any, address: str) -> set[str]:
    """The run's slices the scheduler has on that worker now."""
    worker = cluster.scheduler.workers.get(address)
    return {str(ts.key) for ts in (worker.processing if worker else ()) if str(ts.key).startswith(SLICE_KEY)}


class Killer:
    """An on_progress callback that kills (SIGKILL) a worker busy with slices, once, after ``after`` keys."""

    def __init__(self, cluster: Any, after: int) -> None:
        self.cluster, self.after = cluster, after
        self.killed: tuple[str, set[str]] | None = None  # worker address, slices it was running

    def __call__(self, progress: Progress) -> None:
        if self.killed is not None or progress.keys < self.after:
            return
        for address, worker in list(self.cluster.scheduler.workers.items()):
            busy = slices_on(self.cluster, address)
            if busy and worker.pid:
                os.kill(worker.pid, signal.SIGKILL)
                self.killed = (address, busy)
                return


@pytest.mark.slow
def test_a_worker_killed_mid_listing_costs_a_rerun_not_a_count(cluster: Any, fakes3: Callable[..., FakeS3]) -> None:
    fake = fakes3(latency=0.03)
    fake.add_bucket("flat", FlatHexKeys(20_000, seed=21))
    fake.start()
    truth = listed(fake, None, ["flat"])["flat"]
    dask = connect(ExecutorOptions("dask", cluster.scheduler_address))
    killer = Killer(cluster, after=3_000)
    try:
        result = listed(fake, dask, ["flat"], on_progress=killer)["flat"]
    finally:
        wait_for_workers(cluster.scheduler_address)

    assert killer.killed is not None and killer.killed[1], "no worker was killed while it listed"
    assert isinstance(result, BucketReport) and isinstance(truth, BucketReport)
    assert result.usage == truth.usage
    assert result.usage.objects == 20_000


@pytest.mark.slow
def test_a_slice_whose_worker_keeps_dying_fails_its_bucket_by_name(cluster: Any, fakes3: Callable[..., FakeS3]) -> None:
    """With no failure allowed, the killed worker's slices are KilledWorker: that bucket fails, named, at its
    stage; the bucket finished before stays exact."""
    fake = fakes3(latency=0.03)
    fake.add_bucket("big", FlatHexKeys(20_000, seed=22))
    fake.add_bucket("small", FlatHexKeys(700, seed=23))
    fake.start()
    truth = listed(fake, None, ["small"])["small"]
    dask = connect(ExecutorOptions("dask", cluster.scheduler_address))
    killer = Killer(cluster, after=3_000)
    allowed = cluster.scheduler.allowed_failures
    cluster.scheduler.allowed_failures = 0
    try:
        results = listed(fake, dask, ["big", "small"], on_progress=killer)
    finally:
        cluster.scheduler.allowed_failures = allowed
        wait_for_workers(cluster.scheduler_address)

    assert killer.killed is not None
    failure = results["big"]
    assert isinstance(failure, Failure)
    assert (failure.bucket, failure.stage, failure.error) == ("big", "list-objects", "KilledWorker")
    assert "died" in failure.message
    assert isinstance(results["small"], BucketReport) and isinstance(truth, BucketReport)
    assert results["small"].usage == truth.usage


@pytest.mark.slow
def test_refused_and_hostile_listings_on_workers_fail_their_buckets_by_name(
    cli: Callable[..., CliResult], cluster: Any, fakes3: Callable[..., FakeS3]
) -> None:
    # The first page and the probe for folders are listed here; the faults come after them, on the workers.
    fake = fakes3(faults=[Fault("ListObjectsV2", "403", every=3, bucket="denied")])
    fake.add_bucket("good", FlatHexKeys(2_500, seed=24))
    fake.add_bucket("denied", FlatHexKeys(2_500, seed=25))
    fake.add_bucket("hostile", FlatHexKeys(2_500, seed=26), hostile="overlap")
    fake.start()
    args = ("report", "--strategy", "list", "--fmt", "json", "--endpoint-url", fake.url, "--quiet", "--no-cost")

    local = cli(*args, "--processes", "0")
    on_dask = cli(*args, "--executor", "dask", "--scheduler", cluster.scheduler_address)

    assert (local.code, on_dask.code) == (3, 3), on_dask.stderr
    data, truth = json.loads(on_dask.stdout), json.loads(local.stdout)
    assert data["Buckets"] == truth["Buckets"]
    assert [b["Bucket"] for b in data["Buckets"]] == ["good"]
    failures = {f["Bucket"]: (f["Stage"], f["Error"]) for f in data["Failures"]}
    assert failures == {"denied": ("list-objects", "AccessDenied"), "hostile": ("list-objects", "ListingOutOfOrder")}


@pytest.mark.slow
def test_ctrl_c_cancels_the_runs_tasks_on_the_cluster(cluster: Any, fakes3: Callable[..., FakeS3]) -> None:
    fake = fakes3(latency=0.1)
    fake.add_bucket("huge", FlatHexKeys(200_000, seed=27))
    fake.start()
    dask = connect(ExecutorOptions("dask", cluster.scheduler_address))

    in_flight: list[int] = []

    def interrupt(progress: Progress) -> None:
        """Ctrl-C once phase two runs: past the first page, with slices on the cluster."""
        running = [key for key in cluster.scheduler.tasks if str(key).startswith(SLICE_KEY)]
        if progress.keys > 1_000 and len(running) > 1:
            in_flight.append(len(running))
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        listed(fake, dask, ["huge"], on_progress=interrupt)

    deadline = time.monotonic() + 20
    while any(str(key).startswith(SLICE_KEY) for key in cluster.scheduler.tasks) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert in_flight and in_flight[0] > 1
    assert not [key for key in cluster.scheduler.tasks if str(key).startswith(SLICE_KEY)]
    assert dask.client.status in ("closing", "closed")
    # Slices already running finish their page budget (Dask does not interrupt a running task), and stop there:
    # the count settles far below the 200 pages the whole bucket takes.
    assert settled(lambda: fake.stats.requests.get("ListObjectsV2", 0)) < 120


def settled(count: Callable[[], int], quiet: float = 1.0, timeout: float = 20) -> int:
    """``count`` once it has not changed for ``quiet`` seconds."""
    deadline = time.monotonic() + timeout
    last, since = count(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = count()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return now
    raise AssertionError(f"still counting after {timeout} s: {last}")


# --------------------------------------------------------------------------- at start: exit 2, no traceback


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DASK_")}
    environ.update(ISOLATED_ENV)
    environ.update(env or {})
    command = [sys.executable, "-m", "s3_storage_analyser", *args]
    return subprocess.run(command, check=False, capture_output=True, text=True, timeout=120, env=environ)


def test_an_unreachable_scheduler_ends_the_run_at_start(cli: Callable[..., CliResult]) -> None:
    address = f"tcp://127.0.0.1:{closed_port()}"
    args = ("report", "--strategy", "list", "--executor", "dask", "--endpoint-url", "http://127.0.0.1:9")

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        result = cli(*args, "--scheduler", address)

    assert result.code == 2, result.stderr
    assert result.stderr.startswith(f"error: The Dask scheduler at {address} could not be reached in 1 s")
    assert "hint: " in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.slow
def test_dask_schedulers_own_variable_is_the_default_and_unreachable_is_exit_2() -> None:
    """A process of its own (Dask reads DASK_SCHEDULER_ADDRESS as it is imported): the run ends at start,
    with the message and no traceback."""
    address = f"tcp://127.0.0.1:{closed_port()}"
    env = {"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "1s", "DASK_SCHEDULER_ADDRESS": address}
    args = ("report", "--strategy", "list", "--executor", "dask", "--endpoint-url", "http://127.0.0.1:9")

    done = run_cli(*args, env=env)

    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"error: The Dask scheduler at {address} could not be reached in 1 s"), done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_no_scheduler_at_all_says_how_to_give_one(cli: Callable[..., CliResult]) -> None:
    with dask.config.set({"scheduler-address": None}):
        result = cli("report", "--strategy", "list", "--executor", "dask", "--endpoint-url", "http://127.0.0.1:9")

    assert result.code == 2, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == "error: --executor dask needs the address of a Dask scheduler, and none was given."
    assert "--scheduler tcp://HOST:8786" in result.stderr and "DASK_SCHEDULER_ADDRESS" in result.stderr
    assert "Traceback" not in result.stderr


def test_forwarding_long_term_keys_is_refused(cli: Callable[..., CliResult]) -> None:
    """The tests' credentials are access keys without a session token: they never leave this process."""
    result = cli(
        "report",
        "--strategy",
        "list",
        "--executor",
        "dask",
        "--scheduler",
        f"tcp://127.0.0.1:{closed_port()}",
        "--forward-credentials",
        "--endpoint-url",
        "http://127.0.0.1:9",
    )

    assert result.code == 2, result.stderr
    assert "long-term access keys (no session token)" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_workers_on_another_version_end_the_run_at_start(cluster: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each worker says which version of the package it imports (one client.run): any other than this one's
    is refused before anything is listed, naming the workers and what they run."""
    from s3_storage_analyser.executors import dask as on_dask

    monkeypatch.setattr(on_dask, "_CLUSTERS", {})  # a fresh connection, checked (not the session's, cached)
    monkeypatch.setattr(on_dask, "__version__", "9.9.9")  # this side only: the workers import their own

    with pytest.raises(UsageError) as refused:
        connect(ExecutorOptions("dask", cluster.scheduler_address))

    message = str(refused.value)
    assert message.startswith("2 of 2 Dask workers cannot run this listing: it needs s3-storage-analyser 9.9.9")
    assert f"{__version__} on Python 3." in message
    assert "hint: Install s3-storage-analyser==9.9.9" in message
