"""Where a listing's requests go beyond the minimum (keys / 1,000): probes, first pages, pieces' last pages.

    .venv/bin/python benchmarks/request_budget.py [--keys 200000] [--kind flat|tree] [--latency 0.03] [--conc 32]

Runs one scan in this process (``processes=0``: the same decisions as worker processes make, on
threads, so that every request can be seen) against the fake S3 endpoint, and sorts each
ListObjectsV2 request by what it was for:

* delimited probes (``Delimiter=/``): the folders to cut at (the first one's files are counted);
* first pages of folders listed whole (``Prefix=folder``: they end where the folder ends);
* full pages: 1,000 keys, all counted;
* short pages: fewer than 1,000 keys counted, because the page is a piece's last (it reached the
  piece's end, ``upto``, and its keys past that end are thrown away) or the bucket's last;
* keys served but not counted: the overshoot of pieces' last pages, read and thrown away.

Every request beyond keys/1,000 is a probe or a short page; the engine (``listing/engine.py``)
decides how many of each there are.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import testkit  # noqa: F401  (puts tests/ on sys.path: support.* is the test kit)
from common import fake_aws_env
from s3_storage_analyser.aws import Aws, AwsOptions
from s3_storage_analyser.listing import worker
from s3_storage_analyser.listing.pages import ObjectPage
from s3_storage_analyser.listing.rawclient import RawLister
from s3_storage_analyser.report import ScanOptions, scan
from support.fakes3 import BucketSpec, ServerSpec, run_server_process


class RequestLog:
    """Each ListObjectsV2 request of the scan: whether delimited, how many keys it returned, how many counted."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.kinds: Counter[str] = Counter()
        self.served = 0
        self.slices: Counter[str] = Counter()
        self.spans: list[tuple[float, float]] = []  # (start, end) of each request, perf_counter seconds

    def install(self) -> None:
        objects = RawLister.objects
        run = worker.SliceRunner.run
        log = self

        def logged_objects(lister: RawLister, bucket: str, **kwargs: Any) -> ObjectPage:
            started = time.perf_counter()
            page = objects(lister, bucket, **kwargs)
            with log.lock:
                log.spans.append((started, time.perf_counter()))
                log.served += len(page.entries)
                if kwargs.get("delimiter"):
                    log.kinds["delimited probe"] += 1
                elif kwargs.get("start_after") is None and kwargs.get("prefix"):
                    log.kinds["first page of a folder (Prefix=folder)"] += 1
                elif kwargs.get("start_after") is None:
                    log.kinds["first page of a bucket"] += 1
                elif len(page.entries) >= 1000:
                    log.kinds["page of 1,000 entries"] += 1
                else:
                    log.kinds["page of fewer than 1,000 entries"] += 1
            return page

        def logged_run(runner: worker.SliceRunner, task: Any, max_pages: int) -> worker.SliceResult:
            result = run(runner, task, max_pages)
            with log.lock:
                if task.probe:
                    log.slices["probe slices"] += 1
                elif result.pieces is not None:
                    log.slices["first slices cut into folders (listed with Prefix=folder)"] += 1
                elif task.upto is None and task.prefix and result.remainder is None:
                    log.slices["folder pieces ended where the folder ends (no overshoot)"] += 1
                elif task.upto is not None and result.remainder is None:
                    log.slices["pieces ended at upto (their last page overshoots)"] += 1
                else:
                    log.slices["other slices"] += 1
            return result

        RawLister.objects = logged_objects  # type: ignore[method-assign,assignment]
        worker.SliceRunner.run = logged_run  # type: ignore[method-assign,assignment]


def timeline(spans: list[tuple[float, float]], origin: float, levels: Sequence[int]) -> list[str]:
    """When the first request started, and when ``levels`` requests were first in flight at once."""
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    lines = [f"first request at {min(s for s, _ in spans) - origin:.2f} s" if spans else "no requests"]
    in_flight, reached = 0, {}
    for moment, step in events:
        in_flight += step
        for level in levels:
            if in_flight >= level and level not in reached:
                reached[level] = moment - origin
    for level in levels:
        at = reached.get(level)
        lines.append(f"{level} in flight at {at:.2f} s" if at is not None else f"never {level} in flight")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=200_000)
    parser.add_argument("--kind", choices=("flat", "tree"), default="flat")
    parser.add_argument("--latency", type=float, default=0.03)
    parser.add_argument("--conc", type=int, default=32)
    args = parser.parse_args(argv)
    os.environ.update(fake_aws_env())
    url, stop = run_server_process(
        ServerSpec(buckets=(BucketSpec("bench", args.kind, args.keys),), latency=args.latency)
    )
    log = RequestLog()
    log.install()
    started = time.perf_counter()
    try:
        snapshot = scan(
            Aws(AwsOptions(endpoint_url=url, max_pool_connections=args.conc)),
            ScanOptions(strategy="list", concurrency=args.conc, processes=0),
        )
    finally:
        stats = stop()
    seconds = time.perf_counter() - started
    moments = timeline(log.spans, started, (2, 8, 16, args.conc))
    objects = sum(b.usage.objects for b in snapshot.buckets)
    requests = stats.requests.get("ListObjectsV2", 0)
    minimum = -(-objects // 1000)
    print(f"{args.keys:,} {args.kind} keys at {args.latency * 1000:g} ms, --conc {args.conc}, processes 0:")
    print(f"{objects:,} objects in {seconds:.2f} s; {requests:,} ListObjectsV2 requests = {requests / minimum:.2f}x")
    thrown = stats.keys_listed - objects
    print(f"the minimum of {minimum:,}; {stats.keys_listed:,} keys served ({thrown:,} thrown away)")
    for kind, count in sorted(log.kinds.items(), key=lambda kv: -kv[1]):
        print(f"  {kind:<40} {count:>6,}")
    print("timeline: " + "; ".join(moments))
    print("slices:")
    for kind, count in sorted(log.slices.items(), key=lambda kv: -kv[1]):
        print(f"  {kind:<52} {count:>6,}")
    extra = requests - minimum
    overshoots = log.slices["pieces ended at upto (their last page overshoots)"]
    print(
        f"beyond the minimum: {extra:,} requests; {log.kinds['delimited probe']:,} delimited probes,"
        f" {overshoots:,} pieces whose last page overshoots their end, {log.kinds['first page of a bucket']:,}"
        " first page(s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
