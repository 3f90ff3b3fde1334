"""Run one slice of a key range: a few pages, then hand back totals and the rest.

Slices keep every worker busy: a slice ends after ``max_pages`` pages and
returns its remainder, which the coordinator may split again for idle workers.
The same runner serves threads in the main process and worker processes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from multiprocessing.queues import Queue
from typing import Any

import botocore.exceptions as bex

from ..aggregate import BreakdownSpec
from ..aws import Aws, AwsOptions, translate
from ..errors import AnalyserError
from .lifeline import Tether, hold
from .pages import decode_key
from .ranges import KeyRange, alphabet_of
from .rawclient import RawLister
from .tally import Tally

# Folder levels a probe tries (one request each) before the range is cut at midpoints instead.
PROBE_LEVELS = 3


@dataclass(frozen=True)
class RunnerConfig:
    """Everything a worker process needs to list: picklable, no live objects."""

    aws: AwsOptions
    credentials: tuple[str, str, str | None] | None
    spec: BreakdownSpec


@dataclass
class SliceResult:
    """What one slice counted, and what is left of its range."""

    task: KeyRange
    tally: Tally
    remainder: KeyRange | None = None
    pages: int = 0
    alphabet: str | None = None
    boundaries: list[str] | None = None  # natural split points (CommonPrefixes), from the first slice
    last_page_first: str | None = None  # first key of the last page: with the remainder, the key density
    error_code: str | None = None
    error_message: str | None = None


class SliceRunner:
    """Lists slices with one RawLister per region; safe to share between threads."""

    def __init__(self, config: RunnerConfig, aws: Aws | None = None) -> None:
        self.config = config
        self.aws = aws or Aws.with_credentials(config.aws, config.credentials)
        self._listers: dict[str, RawLister] = {}
        self._lock = threading.Lock()

    def lister(self, region: str) -> RawLister:
        with self._lock:
            lister = self._listers.get(region)
            if lister is None:
                lister = self._listers[region] = RawLister(self.aws.client("s3", region))
            return lister

    def run(self, task: KeyRange, max_pages: int) -> SliceResult:
        tally = Tally.for_spec(self.config.spec)
        try:
            if task.probe:
                return self._folders_inside(task, tally)
            if task.mode == "uploads":
                return self._uploads(task, tally)
            if task.mode == "versions":
                return self._versions(task, tally, max_pages)
            return self._objects(task, tally, max_pages)
        except AnalyserError as exc:
            return SliceResult(task, tally, error_code=exc.code, error_message=exc.message)
        except (bex.BotoCoreError, bex.ClientError) as exc:
            err = translate(exc, what=f"s3:{task.mode}", bucket=task.bucket, endpoint=self.aws.endpoint_url)
            return SliceResult(task, tally, error_code=err.code, error_message=err.message)

    def _objects(self, task: KeyRange, tally: Tally, max_pages: int) -> SliceResult:
        lister = self.lister(task.region)
        after = task.after
        alphabet = None
        page_first: str | None = None
        for pages in range(1, max_pages + 1):
            page = lister.objects(task.bucket, prefix=task.prefix, start_after=after)
            count = len(page.entries)
            if not count:
                return SliceResult(task, tally, None, pages, alphabet)
            last = page.key(count - 1)
            if alphabet is None and task.after is None:
                alphabet = alphabet_of([page.key(i)[len(task.prefix) :] for i in range(count)])
            if task.upto is not None and last > task.upto:
                while count and page.key(count - 1) > task.upto:
                    count -= 1
                tally.add_objects(page, count)
                return SliceResult(task, tally, None, pages, alphabet)
            tally.add_objects(page, count)
            if not page.truncated:
                return SliceResult(task, tally, None, pages, alphabet)
            after, page_first = last, page.key(0)
        boundaries = self._probe(lister, task, after) if task.after is None and after is not None else None
        return SliceResult(task, tally, replace(task, after=after), max_pages, alphabet, boundaries, page_first)

    def _probe(self, lister: RawLister, task: KeyRange, after: str) -> list[str]:
        """One delimited request past the first page: where keys are hierarchical, its
        CommonPrefixes are the natural places to cut the rest of the bucket."""
        return self._folders(lister, task, task.prefix, after)

    @staticmethod
    def _folders(lister: RawLister, task: KeyRange, prefix: str, after: str | None) -> list[str]:
        """The folders (CommonPrefixes) under ``prefix`` after ``after``: one delimited request of the
        task's own kind, so a versions listing needs no permission beyond ListBucketVersions."""
        if task.mode == "versions":
            versions = lister.versions(task.bucket, prefix=prefix, key_marker=after, delimiter="/")
            raw, encoded = versions.common_prefixes, versions.url_encoded
        else:
            objects = lister.objects(task.bucket, prefix=prefix, start_after=after, delimiter="/")
            raw, encoded = objects.common_prefixes, objects.url_encoded
        return [decode_key(p, encoded) for p in raw]

    def _folders_inside(self, task: KeyRange, tally: Tally) -> SliceResult:
        """Cut points for the rest of a hierarchical range: the folders after ``task.after``,
        from the folder it is in upwards, until a level has at least two inside the range.

        Midpoints of the key space fall between folders, where there are no keys (each such
        piece costs a request that finds nothing), whereas folders are where the keys are.
        Nothing is counted: the range is listed afterwards, in pieces cut at these points.
        """
        lister = self.lister(task.region)
        after = task.after or task.prefix
        levels = [after[: i + 1] for i in range(len(after) - 1, len(task.prefix) - 1, -1) if after[i] == "/"]
        if levels and not after.endswith("/"):
            levels = levels[1:]  # the folder of the key itself: usually a leaf, all files and no folders
        points: list[str] = []
        pages = 0
        for folder in [*levels, task.prefix][:PROBE_LEVELS]:
            points = [p for p in self._folders(lister, task, folder, task.after) if task.contains(p)]
            pages += 1
            if len(points) >= 2:
                break
        return SliceResult(task, tally, None, pages, boundaries=points)

    def _versions(self, task: KeyRange, tally: Tally, max_pages: int) -> SliceResult:
        lister = self.lister(task.region)
        key_marker, version_marker = task.after, task.version_marker
        alphabet = None
        page_first: str | None = None
        for pages in range(1, max_pages + 1):
            page = lister.versions(
                task.bucket, prefix=task.prefix, key_marker=key_marker, version_marker=version_marker
            )
            count = len(page.entries)
            tally.measured.add("versions")
            if not count:
                return SliceResult(task, tally, None, pages, alphabet)

            def key(i: int, page: Any = page) -> str:
                return decode_key(page.entries[i][0], page.url_encoded)

            last = key(count - 1)
            if alphabet is None and task.after is None:
                alphabet = alphabet_of([key(i)[len(task.prefix) :] for i in range(count)])
            if task.upto is not None and last > task.upto:
                while count and key(count - 1) > task.upto:
                    count -= 1
                tally.add_versions(page, count)
                return SliceResult(task, tally, None, pages, alphabet)
            tally.add_versions(page, count)
            if not page.truncated or page.next_key_marker is None:
                return SliceResult(task, tally, None, pages, alphabet)
            key_marker, version_marker, page_first = page.next_key_marker, page.next_version_marker, key(0)
        remainder = replace(task, after=key_marker, version_marker=version_marker)
        boundaries = self._probe(lister, task, key_marker) if task.after is None and key_marker is not None else None
        return SliceResult(task, tally, remainder, max_pages, alphabet, boundaries, page_first)

    def _uploads(self, task: KeyRange, tally: Tally) -> SliceResult:
        """Incomplete multipart uploads and the bytes of their parts, parsed by us: keys may hold
        characters that only EncodingType=url (or our parser) survives."""
        lister = self.lister(task.region)
        tally.measured.add("uploads")
        pages = 0
        key_marker: str | None = None
        upload_marker: str | None = None
        while True:
            page = lister.uploads(task.bucket, prefix=task.prefix, key_marker=key_marker, upload_marker=upload_marker)
            pages += 1
            for raw_key, upload_id, initiated in page.uploads:
                key = decode_key(raw_key, page.url_encoded)
                sizes: list[int] = []
                marker: str | None = None
                try:
                    while True:
                        parts = lister.parts(task.bucket, key, upload_id, marker=marker)
                        pages += 1
                        sizes.extend(parts.sizes)
                        if not parts.truncated or not parts.next_part_marker:
                            break
                        marker = parts.next_part_marker
                except bex.ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") != "NoSuchUpload":
                        raise
                    continue  # completed or aborted while we looked: no longer billed
                tally.add_upload(initiated, sizes)
            if not page.truncated or page.next_key_marker is None:
                return SliceResult(task, tally, None, pages)
            key_marker, upload_marker = page.next_key_marker, page.next_upload_marker


def serve_slices(runner: SliceRunner, tasks: Queue[Any], results: Queue[Any], threads: int) -> list[threading.Thread]:
    """Start ``threads`` threads that take (id, task, max_pages) from ``tasks`` until they get None."""

    def loop() -> None:
        while True:
            item = tasks.get()
            if item is None:
                return
            task_id, task, max_pages = item
            results.put((task_id, runner.run(task, max_pages)))

    pool = [threading.Thread(target=loop, name="slices", daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    return pool


def worker_main(config: RunnerConfig, tasks: Queue[Any], results: Queue[Any], threads: int, tether: Tether) -> None:
    """A worker process: serves slices until told to stop, or until its parent is gone."""
    hold(tether)
    for thread in serve_slices(SliceRunner(config), tasks, results, threads):
        thread.join()
