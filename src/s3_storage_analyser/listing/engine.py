"""The coordinator: hands key-range slices to workers, splits ranges for idle ones, merges.

Phase one lists the first page of every target on threads in this process:
most buckets end there, and no process is started for a small account. What is
left runs on worker processes (parsing is CPU-bound, so one per core), each
with threads for the requests in flight, or as tasks on a Dask cluster
(``--executor dask``; the executors live in ``executors/``). Whenever a slice comes back with a
remainder while workers are idle, the remainder is split so they all have work.
A bucket is reported once all its slices are in; any slice that fails (after
botocore's retries) fails the whole bucket, which is then never half-counted.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ..aggregate import BreakdownSpec
from ..aws import Aws, RoleRequest
from ..errors import AnalyserError, CredentialsError
from ..executors.base import Executor, check_forwardable
from ..executors.local import ProcessExecutor, ThreadExecutor
from ..model import Bucket, BucketReport, Failure, Progress
from .ranges import DEFAULT_ALPHABET, KeyRange, pages_left, split, split_at, spread
from .tally import Tally
from .worker import RunnerConfig, Signing, SliceResult, SliceRunner

if TYPE_CHECKING:
    from ..executors.dask import DaskCluster

# The local executors' names before they moved to executors/ (the tests patch _ProcessExecutor's timing).
_ThreadExecutor = ThreadExecutor
_ProcessExecutor = ProcessExecutor

log = logging.getLogger("s3_storage_analyser.listing")

FIRST_SLICE_PAGES = 1
SLICE_PAGES = 8
# Each piece of a range ends with a page that overshoots it: pieces of at least a few folders keep
# that waste down (1M tree keys, 3 runs each: 1,484 requests with one folder per piece, 1,359 with 3).
FOLDERS_PER_PIECE = 3
# Pieces cut before phase two hold this many pages each at least (by the first page's estimate): each ends
# with a page partly its own (20k flat keys, 32 pieces: 1.28x the minimum requests).
PAGES_PER_PIECE = 5
# A slice refused for its credentials, sent before the parent's were refreshed, is sent again with the new
# ones (it counted nothing yet: its tally is dropped); at most this many times, then the bucket fails.
CREDENTIAL_RETRIES = 3


@dataclass(frozen=True)
class Target:
    """A bucket, optionally narrowed to a key prefix (``s3://bucket/prefix/``)."""

    bucket: Bucket
    prefix: str = ""


@dataclass
class _TargetState:
    target: Target
    tally: Tally
    outstanding: int = 0
    failed: bool = False
    alphabet: str = DEFAULT_ALPHABET
    boundaries: list[str] | None = None
    by_folder: bool = False  # what is left is listed folder by folder: pieces not to be cut again up front
    # Folder pieces not yet back: one that comes back with a remainder lists another slice whole before it
    # is cut (a folder of 10 pages, 8 a slice: a cut costs a probe and a page past each piece's end, and
    # gains no time; 200k keys in 20 folders: 242 requests cut, 2xx whole).
    fresh: set[KeyRange] = field(default_factory=set)
    pages_left: float = float("inf")  # the first page's estimate of the pages after it


class ListingEngine:
    """Lists targets exactly, in parallel within and across buckets."""

    def __init__(
        self,
        aws: Aws,
        *,
        concurrency: int,
        processes: int | None = None,
        spec: BreakdownSpec | None = None,
        versions: bool = False,
        uploads: bool = False,
        slice_pages: int = SLICE_PAGES,
        on_progress: Callable[[Progress], None] | None = None,
        cluster: DaskCluster | None = None,
        role: RoleRequest | None = None,
    ) -> None:
        """``cluster``: list every slice on that Dask cluster instead of here; ``role``: the role ``aws`` signs
        as (a many-account scan), for workers that assume it themselves rather than receive its keys."""
        self.aws = aws
        self.cluster = cluster
        self.role = role
        self.concurrency = max(1, concurrency)
        # This process parses pages too: one worker per other core (2 cores: main + 1 worker listed 1M keys
        # in 3.8 s and 170 MB, against 4.3 s and 245 MB with 2 workers fighting over the same cores).
        self.processes = max(0, (os.cpu_count() or 1) - 1) if processes is None else processes
        self.spec = spec or BreakdownSpec()
        self.versions = versions
        self.uploads = uploads
        self.slice_pages = slice_pages
        self.on_progress = on_progress
        self.progress = Progress()
        self._signing: Signing | None = None

    @property
    def _forwarding(self) -> bool:
        """Whether workers sign with this process's credentials (always for local ones; opt-in for Dask's)."""
        return self.cluster is None or self.cluster.forward_credentials

    def _config(self) -> RunnerConfig:
        if not self._forwarding:
            # Dask workers sign with their own chain (their instance or pod role) and assume the target role
            # themselves: no key leaves this process. The endpoint this process resolved goes with them (it
            # may come from its environment or profile), the profile name does not (the worker has its own).
            options = replace(
                self.aws.options,
                endpoint_url=self.aws.endpoint_for("s3"),
                region=self.aws.options.region or self.aws.default_region,
                profile=None,
            )
            self._signing = Signing(0, None)
            return RunnerConfig(options, None, self.spec, self.role)
        credentials = self.aws.frozen_credentials()
        if self.cluster is not None:
            check_forwardable(credentials)
        self._signing = Signing(0, credentials)
        return RunnerConfig(self.aws.options, credentials, self.spec)

    def _current_signing(self) -> Signing:
        """The parent's credentials now, for the next task: botocore refreshes refreshable ones (an
        assumed role, SSO, an instance role) here when they are due, once, and makes no request otherwise.
        A refresh that fails keeps the last ones: slices signed with them are refused once they expire,
        and fail their bucket by name."""
        assert self._signing is not None, "_config() resolves them first"
        if not self._forwarding:
            return self._signing  # the workers' own chains refresh themselves
        try:
            credentials = self.aws.frozen_credentials()
        except AnalyserError as exc:
            log.debug("the credentials could not be refreshed: %s", exc)
            return self._signing
        if credentials != self._signing.credentials:
            self._signing = Signing(self._signing.generation + 1, credentials)
        return self._signing

    def run(self, targets: Sequence[Target]) -> Iterator[tuple[Target, BucketReport | Failure]]:
        config = self._config()
        states = [_TargetState(t, Tally.for_spec(self.spec)) for t in targets]
        self.progress = Progress(targets=len(targets))
        pending: deque[tuple[int, KeyRange]] = deque()
        mode = "versions" if self.versions else "objects"
        # The first slice of a listing of objects finds its folders: up to two a worker's requests in flight
        fan_out = 2 * self.concurrency if mode == "objects" else 0
        for index, state in enumerate(states):
            bucket = state.target.bucket
            first = KeyRange(bucket.name, bucket.region, state.target.prefix, mode=mode, fan_out=fan_out)
            pending.append((index, first))
            if self.uploads:
                pending.append((index, KeyRange(bucket.name, bucket.region, state.target.prefix, mode="uploads")))
            state.outstanding = 2 if self.uploads else 1
        if self.cluster is not None:
            yield from self._on_cluster(self.cluster, config, states, pending)
            return
        # Phase one: first pages on threads here. Phase two: the rest on processes.
        yield from self._first_pages(config, states, pending)
        if not pending:
            return
        executor: Executor
        capacity = self.concurrency
        pending = self._spread(pending, states, capacity)
        if self.processes > 0:
            executor = _ProcessExecutor(config, self.processes, self.concurrency, SliceRunner(config, self.aws))
        else:
            executor = _ThreadExecutor(SliceRunner(config, self.aws), self.concurrency)
        finished = False
        try:
            yield from self._drive(executor, states, pending, self.slice_pages, split_idle=True)
            finished = True
        finally:
            executor.close(abandon=not finished)

    def _first_pages(
        self, config: RunnerConfig, states: list[_TargetState], pending: deque[tuple[int, KeyRange]]
    ) -> Iterator[tuple[Target, BucketReport | Failure]]:
        """Phase one: every target's first page on threads here; what is left stays in ``pending``."""
        threads = _ThreadExecutor(SliceRunner(config, self.aws), self.concurrency)
        finished = False
        try:
            yield from self._drive(threads, states, pending, FIRST_SLICE_PAGES, split_idle=False)
            finished = True
        finally:
            threads.close(abandon=not finished)

    def _on_cluster(
        self,
        cluster: DaskCluster,
        config: RunnerConfig,
        states: list[_TargetState],
        pending: deque[tuple[int, KeyRange]],
    ) -> Iterator[tuple[Target, BucketReport | Failure]]:
        """Phase one on threads here, as for a local run; what is left as tasks on a Dask cluster.

        First pages stay here, signed by the identity that found the buckets: measured with 300 one-page
        buckets at 30 ms a request, they took 16 s as tasks on a 2-worker LocalCluster against 2.6 s on
        threads here (a Dask task costs tens of ms of scheduling and result fetching; a first page is one
        request). Big buckets, the ones a cluster is for, spend all but their first page on the cluster."""
        yield from self._first_pages(config, states, pending)
        if not pending:
            return
        executor = cluster.executor(config, self.concurrency)
        finished = False
        try:
            pending = self._spread(pending, states, executor.capacity)
            yield from self._drive(executor, states, pending, self.slice_pages, split_idle=True)
            finished = True
        finally:
            executor.close(abandon=not finished)

    @staticmethod
    def _spread(
        pending: deque[tuple[int, KeyRange]], states: list[_TargetState], capacity: int
    ) -> deque[tuple[int, KeyRange]]:
        """Before phase two: cut what is left so every worker starts with work.

        Hierarchical buckets are cut at their top-level prefixes (from the probe),
        others at even points of their observed alphabet.
        """
        share = max(1, capacity // max(1, len(pending)))
        out: deque[tuple[int, KeyRange]] = deque()
        for index, task in pending:
            state = states[index]
            if state.by_folder:
                out.append((index, task))
                continue
            natural = spread(state.boundaries or [], 2 * share)
            # each piece ends with a page that is partly its own: at most one piece per PAGES_PER_PIECE pages
            # (two at least from 4 pages: one more request at most, half the wait)
            least = 2 if state.pages_left >= 4 else 1
            pieces_for = (
                share if state.pages_left == float("inf") else max(least, int(state.pages_left // PAGES_PER_PIECE))
            )
            pieces = split_at(task, natural) if natural else split(task, max(1, min(share, pieces_for)), state.alphabet)
            state.outstanding += len(pieces) - 1
            out.extend((index, piece) for piece in pieces)
        return out

    def _drive(
        self,
        executor: Executor,
        states: list[_TargetState],
        pending: deque[tuple[int, KeyRange]],
        max_pages: int,
        *,
        split_idle: bool,
    ) -> Iterator[tuple[Target, BucketReport | Failure]]:
        """Run slices until none is pending; in phase one, remainders wait for phase two.

        ``outstanding`` counts a target's slices queued or in flight: a target is done
        when it drops to zero.
        """
        in_flight: dict[int, tuple[int, int, int]] = {}  # task id -> target, credentials' generation, tries
        later: deque[tuple[int, KeyRange]] = deque()
        next_id = 0
        while pending or in_flight:
            while pending and len(in_flight) < executor.capacity:
                index, task = pending.popleft()
                if states[index].failed:
                    states[index].outstanding -= 1
                    continue
                signing = self._current_signing()
                executor.submit(next_id, task, max_pages, signing)
                in_flight[next_id] = (index, signing.generation, 0)
                next_id += 1
            if not in_flight:
                break
            task_id, result = executor.next_result()
            executor.maybe_grow()
            index, sent, tries = in_flight.pop(task_id)
            state = states[index]
            if result.error_code == CredentialsError.code and tries < CREDENTIAL_RETRIES and not state.failed:
                current = self._current_signing()
                if current.generation != sent:  # refused as the credentials changed under it: again, new ones
                    log.debug("listing %s: slice sent again with refreshed credentials", state.target.bucket.name)
                    executor.submit(next_id, result.task, max_pages, current)
                    in_flight[next_id] = (index, current.generation, tries + 1)
                    next_id += 1
                    continue
            state.outstanding -= 1
            idle = max(1, executor.capacity - len(in_flight) - len(pending))
            try:
                done = self._absorb(state, result)
                if done is None and not state.failed:
                    self._follow_up(index, state, result, idle, pending, later if not split_idle else None)
                    if state.outstanding == 0:
                        done = self._finish(state)
            except Exception as exc:  # a bug or a value no check foresaw: this bucket's failure, not the run's
                log.debug("listing %s failed unexpectedly", state.target.bucket.name, exc_info=True)
                done = self._absorb(state, _unexpected(result.task, exc))
            if done is not None:
                yield state.target, done
        pending.extend(later)

    @staticmethod
    def _follow_up(
        index: int,
        state: _TargetState,
        result: SliceResult,
        idle: int,
        pending: deque[tuple[int, KeyRange]],
        later: deque[tuple[int, KeyRange]] | None,
    ) -> None:
        """Queue what is left of a slice: cut for ``idle`` workers, or (phase one: ``later``) kept whole."""
        if result.task.probe:
            # the folders inside a remainder are in: cut it there, into as many pieces as workers idle
            remainder = replace(result.task, probe=False)
            folders = result.boundaries or []
            points = spread(folders, min(idle, max(1, len(folders) // FOLDERS_PER_PIECE)))
            pieces = split_at(remainder, points) if points else split(remainder, idle, state.alphabet)
            state.outstanding += len(pieces)
            pending.extend((index, piece) for piece in pieces)
            return
        if result.remainder is None:
            return
        if later is not None:
            state.boundaries = result.boundaries
            if result.pieces is not None:  # the rest by folder: each ends where its folder does
                later.extend((index, piece) for piece in result.pieces)
                state.outstanding += len(result.pieces)
                state.by_folder = True
                state.fresh.update(result.pieces)
                return
            later.append((index, result.remainder))
            state.outstanding += 1
            remainder = result.remainder
            if result.last_page_first is not None and remainder.after is not None:
                end = remainder.prefix + chr(0x10FFFF) if remainder.prefix else None  # the prefix's last key
                state.pages_left = pages_left(
                    result.last_page_first, remainder.after, end, state.alphabet, past_all=True
                )
            return
        remainder = result.remainder
        if result.task in state.fresh:
            state.fresh.discard(result.task)
            pending.append((index, remainder))
            state.outstanding += 1
            return
        if result.last_page_first is not None and remainder.after is not None:
            # no more pieces than pages left: each piece ends with a page that overshoots
            left = pages_left(result.last_page_first, remainder.after, remainder.upto, state.alphabet)
            if left < 2 * idle:  # (inf when the page's keys look alike to the estimate)
                idle = max(1, int(left / 2))
        if idle >= 2 and state.boundaries and remainder.mode != "uploads":
            # keys in folders: find the folders first (one request), rather than cut between them
            pending.appendleft((index, replace(remainder, probe=True)))
            state.outstanding += 1
            return
        pieces = split(remainder, idle, state.alphabet)
        state.outstanding += len(pieces)
        pending.extend((index, piece) for piece in pieces)

    def _absorb(self, state: _TargetState, result: SliceResult) -> BucketReport | Failure | None:
        """Merge a slice; returns a Failure the first time a target fails."""
        if state.failed:
            return None
        if result.error_code is not None:
            state.failed = True
            self.progress.targets_done += 1
            self._notify()
            if result.error_trace:
                log.debug("listing %s: %s", state.target.bucket.name, result.error_trace)
            bucket = state.target.bucket
            return Failure(
                _label(state.target),
                bucket.region,
                f"list-{result.task.mode}",
                result.error_code,
                result.error_message or result.error_code,
            )
        if result.alphabet:
            state.alphabet = result.alphabet
        state.tally.merge(result.tally)
        self.progress.keys += result.tally.keys
        self.progress.bytes += sum(result.tally.bytes.values()) + sum(result.tally.noncurrent_bytes.values())
        self.progress.pages += result.pages
        self._notify()
        return None

    def _finish(self, state: _TargetState) -> BucketReport:
        self.progress.targets_done += 1
        self._notify()
        bucket = state.target.bucket
        if state.target.prefix:
            bucket = replace(bucket, name=_label(state.target))
        return BucketReport(bucket, state.tally.to_usage(), None)

    def _notify(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.progress)


def _unexpected(task: KeyRange, exc: Exception) -> SliceResult:
    """A slice result that fails its bucket with an error no check named (type and message kept)."""
    message = f"unexpected {type(exc).__name__} while listing: {exc}"
    return SliceResult(task, Tally(), error_code=type(exc).__name__, error_message=message)


def _label(target: Target) -> str:
    return f"{target.bucket.name}/{target.prefix}" if target.prefix else target.bucket.name
