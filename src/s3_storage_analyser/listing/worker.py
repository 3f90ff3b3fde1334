"""Run one slice of a key range: a few pages, then hand back totals and the rest.

Slices keep every worker busy: a slice ends after ``max_pages`` pages and
returns its remainder, which the coordinator may split again for idle workers.
The same runner serves threads in the main process and worker processes.
"""

from __future__ import annotations

import logging
import operator
import threading
import traceback
from bisect import bisect_right
from dataclasses import dataclass, replace
from multiprocessing.queues import Queue
from typing import Any

from ..aggregate import BreakdownSpec
from ..aws import Aws, AwsOptions, RoleRequest
from ..errors import AnalyserError, UploadNotFoundError
from .checks import Trail, check_advance, check_keys, check_parts, check_prefixes
from .lifeline import Tether, hold
from .pages import PageError, VersionPage, decode_key
from .ranges import KeyRange, alphabet_of, folder_pieces, is_level
from .rawclient import RawLister
from .tally import SMALL_OBJECTS, Tally

log = logging.getLogger("s3_storage_analyser.listing")
LIST_OBJECTS, LIST_VERSIONS, LIST_UPLOADS = "ListObjectsV2", "ListObjectVersions", "ListMultipartUploads"
_OPERATION = {"objects": LIST_OBJECTS, "versions": LIST_VERSIONS, "uploads": LIST_UPLOADS}

# Folders of fewer keys than this, on average, are listed in runs, not one request each (see _fan_out).
SMALL_FOLDER_KEYS = 500
# Folder levels a probe tries (one request each) before the range is cut at midpoints instead.
PROBE_LEVELS = 3

Credentials = tuple[str, str, str | None]  # (access key, secret, session token), as Aws.frozen_credentials gives


@dataclass(frozen=True)
class Signing:
    """The parent's credentials after their ``generation``-th change (0: those the workers started with).

    Numbered so that a worker never goes back: its threads take tasks in order but may reach
    ``sign_with`` out of order, and the newer credentials are the ones to keep."""

    generation: int
    credentials: Credentials | None  # None: the worker's own credential chain (a Dask worker's role)


@dataclass(frozen=True)
class RunnerConfig:
    """Everything a worker process needs to list: picklable, no live objects."""

    aws: AwsOptions
    credentials: Credentials | None  # generation 0; a task carries newer ones once the parent's change
    spec: BreakdownSpec
    # Without credentials, a role the worker assumes itself from its own chain (a Dask worker's instance or
    # pod role), so that no key leaves the caller: a many-account scan sends the role, never its keys.
    role: RoleRequest | None = None


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
    # The remainder cut at its folders (a fan-out slice's, see KeyRange.fan_out): listed instead of ``remainder``
    pieces: list[KeyRange] | None = None
    error_code: str | None = None
    error_message: str | None = None
    error_trace: str | None = None  # the traceback of an unexpected error, for --debug


class SliceRunner:
    """Lists slices with one RawLister per region; safe to share between threads.

    Given the parent's ``aws``, it signs through that one's own credential chain (which refreshes itself);
    in a worker process it signs with the frozen credentials the parent sends with each task (``sign_with``),
    or (none sent) with the worker's own chain, as ``config.role`` if one is named (assumed here, refreshed
    by botocore before it expires).
    """

    def __init__(self, config: RunnerConfig, aws: Aws | None = None) -> None:
        self.config = config
        self._frozen = aws is None
        self._generation = 0
        if aws is None:
            aws = Aws.with_credentials(config.aws, config.credentials)
            if config.credentials is None and config.role is not None:
                aws = aws.assume_role(config.role)
        self.aws = aws
        self._listers: dict[str, RawLister] = {}
        self._lock = threading.Lock()

    def sign_with(self, signing: Signing | None) -> None:
        """Sign the next slices with the parent's credentials as of ``signing`` (None: unchanged).

        The clients (and their open connections) are kept while the credentials are the same, and made
        anew only when newer ones come: once per refresh. A slice already running finishes with the
        clients it started with: the parent refreshes well before the old credentials expire.
        """
        if not self._frozen or signing is None or signing.generation <= self._generation:
            return
        with self._lock:
            if signing.generation > self._generation:
                self.aws = Aws.with_credentials(self.config.aws, signing.credentials)
                self._listers = {}
                self._generation = signing.generation

    def lister(self, region: str) -> RawLister:
        with self._lock:
            lister = self._listers.get(region)
            if lister is None:
                lister = self._listers[region] = RawLister(self.aws.client("s3", region))
            return lister

    def run(self, task: KeyRange, max_pages: int) -> SliceResult:
        tally = Tally.for_spec(self.config.spec)
        try:
            with self.aws.translating(f"s3:{task.mode}", bucket=task.bucket):
                if task.probe:
                    return self._folders_inside(task, tally)
                if task.mode == "uploads":
                    return self._uploads(task, tally)
                if task.mode == "versions":
                    return self._versions(task, tally, max_pages)
                return self._objects(task, tally, max_pages)
        except PageError as exc:  # the server's answer, checked and found wrong
            message = str(exc)
            if not message.startswith(("List", "Get")):  # found while decoding, after the request
                message = f"{_OPERATION[task.mode]} page: {message}"
            return SliceResult(task, tally, error_code=exc.code, error_message=message)
        except AnalyserError as exc:  # botocore's, after its retries, translated at the boundary (aws)
            return SliceResult(task, tally, error_code=exc.code, error_message=exc.message)
        except Exception as exc:  # anything else fails this bucket, never the run (nor this worker)
            log.debug("listing %s failed unexpectedly", task.bucket, exc_info=True)
            message = f"unexpected {type(exc).__name__} while listing: {exc}"
            return SliceResult(
                task, tally, error_code=type(exc).__name__, error_message=message, error_trace=traceback.format_exc()
            )

    def _objects(self, task: KeyRange, tally: Tally, max_pages: int) -> SliceResult:
        lister = self.lister(task.region)
        after = task.after
        alphabet = None
        page_first: str | None = None
        token: str | None = None
        for pages in range(1, max_pages + 1):
            page = lister.objects(task.bucket, prefix=task.prefix, start_after=after)
            keys = page.keys()
            # Checked whole, before anything is counted: past the range's end too.
            check_keys(LIST_OBJECTS, keys, after=after, prefix=task.prefix)
            check_advance(
                LIST_OBJECTS,
                truncated=page.truncated,
                entries=len(keys),
                token=page.next_token,
                previous=token,
                name="NextContinuationToken",
            )
            token = page.next_token
            count = len(keys)
            tally.measured.add(SMALL_OBJECTS)  # counted, even where there is nothing to count
            if not count:
                return SliceResult(task, tally, None, pages, alphabet)
            if alphabet is None and task.after is None:
                alphabet = alphabet_of([key[len(task.prefix) :] for key in keys])
            if task.upto is not None and keys[-1] > task.upto:
                tally.add_objects(page, bisect_right(keys, task.upto))
                return SliceResult(task, tally, None, pages, alphabet)
            tally.add_objects(page, count)
            if not page.truncated or (task.upto is not None and keys[-1] == task.upto):
                return SliceResult(task, tally, None, pages, alphabet)
            after, page_first = keys[-1], keys[0]
        remainder = replace(task, after=after, fan_out=0)
        if not task.fan_out or after is None or not any("/" in key[len(task.prefix) :] for key in keys):
            # keys without folders (flat): a delimited request would only list them again
            return SliceResult(task, tally, remainder, max_pages, alphabet, None, page_first)
        boundaries, pieces = self._fan_out(lister, task, after, tally, small=_small_folders(keys, task.prefix))
        return SliceResult(task, tally, remainder, max_pages, alphabet, boundaries, page_first, pieces)

    @staticmethod
    def _fan_out(
        lister: RawLister, task: KeyRange, after: str, tally: Tally, *, small: bool
    ) -> tuple[list[str], list[KeyRange] | None]:
        """One delimited request past the first pages: the folders, the natural places to cut the rest.

        When that answer is complete (not truncated) and has at most ``task.fan_out`` folders, its files
        are counted here and the rest is cut into one piece per folder, each listed with Prefix=folder:
        no piece then ends with a page that runs past its end. Otherwise (or for an answer that is not one
        level of the tree) nothing is counted and the folders are only cut points, as before."""
        page = lister.objects(task.bucket, prefix=task.prefix, start_after=after, delimiter="/")
        files = page.keys()
        check_keys(LIST_OBJECTS, files, after=after, prefix=task.prefix)
        folders = [decode_key(p, page.url_encoded) for p in page.common_prefixes]
        check_prefixes(LIST_OBJECTS, folders, after=after, prefix=task.prefix)
        whole = not page.truncated and task.upto is None and 0 < len(folders) <= task.fan_out and not small
        if not whole or not is_level(task.prefix, files, folders):
            return folders, None
        tally.add_objects(page, len(files))
        return folders, folder_pieces(task, after, folders)

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
            versions, keys = _in_key_order(versions)
            trail = Trail.start(LIST_VERSIONS, "VersionId", after, None)
            trail.follow(keys, versions.version_ids, [entry[4] for entry in versions.entries])
            raw, encoded, operation = versions.common_prefixes, versions.url_encoded, LIST_VERSIONS
        else:
            objects = lister.objects(task.bucket, prefix=prefix, start_after=after, delimiter="/")
            check_keys(LIST_OBJECTS, objects.keys(), after=after, prefix=prefix)
            raw, encoded, operation = objects.common_prefixes, objects.url_encoded, LIST_OBJECTS
        folders = [decode_key(p, encoded) for p in raw]
        check_prefixes(operation, folders, after=after, prefix=prefix)
        return folders

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
        trail = Trail.start(LIST_VERSIONS, "VersionId", key_marker, version_marker)
        for pages in range(1, max_pages + 1):
            page = lister.versions(
                task.bucket, prefix=task.prefix, key_marker=key_marker, version_marker=version_marker
            )
            page, keys = _in_key_order(page)
            trail.follow(keys, page.version_ids, [entry[4] for entry in page.entries])
            _check_under(LIST_VERSIONS, keys, task.prefix)
            trail.check_markers(
                truncated=page.truncated,
                entries=len(keys),
                sent=(key_marker, version_marker),
                received=(page.next_key_marker, page.next_version_marker),
                names=("NextKeyMarker", "NextVersionIdMarker"),
            )
            count = len(keys)
            tally.measured.add("versions")
            tally.measured.add(SMALL_OBJECTS)
            if not count:
                return SliceResult(task, tally, None, pages, alphabet)
            if alphabet is None and task.after is None:
                alphabet = alphabet_of([key[len(task.prefix) :] for key in keys])
            if task.upto is not None and keys[-1] > task.upto:
                tally.add_versions(page, bisect_right(keys, task.upto))
                return SliceResult(task, tally, None, pages, alphabet)
            tally.add_versions(page, count)
            if not page.truncated:
                return SliceResult(task, tally, None, pages, alphabet)
            key_marker, version_marker, page_first = page.next_key_marker, page.next_version_marker, keys[0]
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
        trail = Trail.start(LIST_UPLOADS, "UploadId", None, None)
        while True:
            page = lister.uploads(task.bucket, prefix=task.prefix, key_marker=key_marker, upload_marker=upload_marker)
            pages += 1
            keys = [decode_key(raw_key, page.url_encoded) for raw_key, _id, _initiated in page.uploads]
            order = _key_order(keys)  # S3 sorts them so; moto lists them as they were started
            if order is not None:
                page = replace(page, uploads=[page.uploads[i] for i in order])
                keys = [keys[i] for i in order]
            trail.follow(keys, [upload_id for _key, upload_id, _initiated in page.uploads])
            _check_under(LIST_UPLOADS, keys, task.prefix)
            trail.check_markers(
                truncated=page.truncated,
                entries=len(keys),
                sent=(key_marker, upload_marker),
                received=(page.next_key_marker, page.next_upload_marker),
                names=("NextKeyMarker", "NextUploadIdMarker"),
            )
            for key, (_raw, upload_id, initiated) in zip(keys, page.uploads, strict=True):
                try:
                    with self.aws.translating(f"s3:{task.mode}", bucket=task.bucket):
                        sizes, requests = self._parts(lister, task.bucket, key, upload_id)
                except UploadNotFoundError:
                    continue  # completed or aborted while we looked: no longer billed
                pages += requests
                tally.add_upload(initiated, sizes)
            if not page.truncated:
                return SliceResult(task, tally, None, pages)
            key_marker, upload_marker = page.next_key_marker, page.next_upload_marker

    @staticmethod
    def _parts(lister: RawLister, bucket: str, key: str, upload_id: str) -> tuple[list[int], int]:
        """The sizes of one upload's parts, and the requests that took; part numbers checked to advance."""
        sizes: list[int] = []
        marker = 0
        requests = 0
        while True:
            parts = lister.parts(bucket, key, upload_id, marker=str(marker) if marker else None)
            requests += 1
            following = check_parts(
                parts.numbers, marker=marker, truncated=parts.truncated, next_marker=parts.next_part_marker
            )
            sizes.extend(parts.sizes)
            if following is None:
                return sizes, requests
            marker = following


def _small_folders(keys: list[str], prefix: str) -> bool:
    """Whether the folders a page lists whole (all but its last) hold under half a page on average:
    one request per folder would then cost more than listing them in runs."""
    start = len(prefix)
    folders = [key[: key.find("/", start) + 1] for key in keys]
    whole = [folder for folder in folders if folder and folder != folders[-1]]
    distinct = len(set(whole))
    return distinct > 0 and len(whole) / distinct < SMALL_FOLDER_KEYS


def _in_key_order(page: VersionPage) -> tuple[VersionPage, list[str]]:
    """A versions page's entries as one list in key order, and their keys.

    S3 interleaves versions and delete markers in key order; moto lists the markers after the
    versions, and the response's model (two lists) does not say which is right. The entries are
    a set either way: what must hold (nothing listed twice, nothing behind the markers) is checked
    on this order.
    """
    keys = page.keys()
    order = _key_order(keys)
    if order is None:
        return page, keys
    ids = page.version_ids
    entries = [page.entries[i] for i in order]
    return replace(page, entries=entries, version_ids=[ids[i] for i in order] if ids else []), [keys[i] for i in order]


def _key_order(keys: list[str]) -> list[int] | None:
    """The indexes of ``keys`` in key order (stable: one key's entries keep theirs); None if already."""
    if all(map(operator.le, keys, keys[1:])):
        return None
    return sorted(range(len(keys)), key=keys.__getitem__)


def _check_under(operation: str, keys: list[str], prefix: str) -> None:
    """Keys in order (checked before) under the prefix: the first and the last are enough."""
    for key in keys[:1] + keys[-1:]:
        if not key.startswith(prefix):
            check_keys(operation, [key], after=None, prefix=prefix)  # raises, naming the key


def serve_slices(runner: SliceRunner, tasks: Queue[Any], results: Queue[Any], threads: int) -> list[threading.Thread]:
    """Start ``threads`` threads that take (id, task, max_pages, signing) from ``tasks`` until they get None."""

    def loop() -> None:
        while True:
            item = tasks.get()
            if item is None:
                return
            task_id, task, max_pages, signing = item
            runner.sign_with(signing)
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
