"""Where a listing's client time goes: cProfile over ``scan()`` in one process (``processes=0``).

    .venv/bin/python benchmarks/profile_listing.py [--keys 200000] [--latency 0] [--conc 2] [--top 25]

The fake S3 endpoint runs in its own process, so only the client is profiled. Every
thread of the scan is profiled (one profiler per thread, merged), and the time is
summed into coarse buckets: the fast page parser, botocore's request building and
signing, the HTTP round trip (socket waits included), tallying, and the rest.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

import testkit  # noqa: F401  (puts tests/ on sys.path: support.* is the test kit)
from common import fake_aws_env
from s3_storage_analyser.aws import Aws, AwsOptions
from s3_storage_analyser.report import ScanOptions, scan
from support.fakes3 import BucketSpec, ServerSpec, run_server_process

# (bucket, predicate on "file:function") in priority order: the first match takes the function's own time.
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("page parsing (listing/pages.py, re)", ("listing/pages.py", "method 'findall'", "method 'count' of 'str'")),
    ("tally (listing/tally.py)", ("listing/tally.py",)),
    ("socket send/recv (incl. waiting for the server)", ("method 'recv", "method 'sendall'", "method 'poll'")),
    ("urllib3 / http.client", ("urllib3/", "http/client.py", "socket.py")),
    ("signing (botocore/auth.py, hmac, hashlib)", ("botocore/auth.py", "hmac.py", "_hashlib", "openssl_")),
    ("botocore (other: hooks, serialize, endpoint, ...)", ("botocore/",)),
    ("waits for other threads (queue, locks)", ("threading.py", "queue.py", "method 'acquire'", "SimpleQueue")),
)


# (file suffix, function, what): cumulative time per page of the steps of one listing request.
STEPS: tuple[tuple[str, str, str], ...] = (
    ("listing/worker.py", "_objects", "slice loop (requests + key checks + tally)"),
    ("listing/rawclient.py", "_call", "one ListObjectsV2 call, everything included"),
    ("listing/rawclient.py", "_intercept", "  before-send hook: HTTP round trip + fast parse"),
    ("botocore/httpsession.py", "send", "    HTTP round trip (urllib3; server time included)"),
    ("listing/pages.py", "parse_objects", "    fast page parse"),
    ("botocore/auth.py", "add_auth", "  SigV4 signing"),
    ("listing/tally.py", "add_objects", "tally of a page"),
)


def steps(stats: pstats.Stats, pages: int, objects: int) -> list[str]:
    """Cumulative seconds, ms per page and us per key of the main steps (summed over threads)."""
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    lines = []
    for suffix, name, what in STEPS:
        cum = sum(v[3] for (filename, _, fn), v in raw.items() if fn == name and filename.endswith(suffix))
        per_page = cum / max(pages, 1) * 1000
        per_key = cum / max(objects, 1) * 1e6
        lines.append(f"  {what:<52} {cum:7.2f} s  {per_page:6.2f} ms/page  {per_key:6.2f} us/key")
    return lines


def _category(func: tuple[str, int, str]) -> str:
    filename, _, name = func
    label = f"{filename}:{name}"
    for category, needles in CATEGORIES:
        if any(n in label for n in needles):
            return category
    return "other"


def profile_scan(url: str, concurrency: int) -> tuple[pstats.Stats, float, int]:
    """Run one scan with a profiler in every thread; returns (merged stats, wall seconds, objects)."""
    profilers: list[cProfile.Profile] = []
    lock = threading.Lock()

    def start_thread_profiler(*_: Any) -> None:
        profiler = cProfile.Profile()
        with lock:
            profilers.append(profiler)
        profiler.enable()

    aws = Aws(AwsOptions(endpoint_url=url, max_pool_connections=max(10, concurrency)))
    main = cProfile.Profile()
    threading.setprofile(start_thread_profiler)
    started = time.perf_counter()
    main.enable()
    try:
        snapshot = scan(aws, ScanOptions(strategy="list", concurrency=concurrency, processes=0))
    finally:
        main.disable()
        threading.setprofile(None)
    wall = time.perf_counter() - started
    stats = pstats.Stats(main)
    for profiler in profilers:
        profiler.disable()
        stats.add(profiler)
    objects = sum(b.usage.objects for b in snapshot.buckets)
    return stats, wall, objects


def summarize(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Own (tot) time per category, over every profiled thread."""
    totals: dict[str, float] = {}
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    for func, (_, _, tottime, _, _) in raw.items():
        category = _category(func)
        totals[category] = totals.get(category, 0.0) + tottime
    return sorted(totals.items(), key=lambda kv: -kv[1])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="cProfile one in-process listing scan against the fake S3 endpoint.")
    parser.add_argument("--keys", type=int, default=200_000)
    parser.add_argument("--kind", choices=("flat", "tree"), default="flat")
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--conc", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    os.environ.update(fake_aws_env())
    spec = ServerSpec(buckets=(BucketSpec("bench", args.kind, args.keys),), latency=args.latency)
    url, stop = run_server_process(spec)
    try:
        stats, wall, objects = profile_scan(url, args.conc)
    finally:
        server = stop()
    cpu = sum(tottime for _, (_, _, tottime, _, _) in stats.stats.items())  # type: ignore[attr-defined]
    print(f"{objects:,} objects in {wall:.2f} s ({objects / wall:,.0f} keys/s) with --conc {args.conc} --processes 0;")
    print(f"server answered {server.requests.get('ListObjectsV2', 0)} ListObjectsV2 requests")
    print(f"profiled time summed over all threads: {cpu:.2f} s (waits included)\n")
    pages = server.requests.get("ListObjectsV2", 0)
    print("main steps (cumulative, summed over threads):")
    print("\n".join(steps(stats, pages, objects)))
    print("\nown time by category:")
    for category, seconds in summarize(stats):
        print(f"  {category:<44} {seconds:7.2f} s  {seconds / cpu:6.1%}  {seconds / max(objects, 1) * 1e6:7.2f} us/key")
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats.stream = out  # type: ignore[attr-defined]
        stats.sort_stats(order).print_stats(args.top)
        body = out.getvalue()
        print(f"\n--- top {args.top} by {order} ---")
        print(body[body.find("   ncalls") :].rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
