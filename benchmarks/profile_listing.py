"""Where a listing's client time goes, per page and per stage; or cProfile over a whole ``scan()``.

    .venv/bin/python benchmarks/profile_listing.py [--keys 200000] [--latency 0] [--rounds 3]
    .venv/bin/python benchmarks/profile_listing.py --cprofile [--conc 2] [--top 25]

The fake S3 endpoint runs in its own process, so only the client is measured.

The default (stages) lists the bucket on one thread, page after page, as a slice does
(request, key checks, tally), once with botocore building and signing every request and
once with the listing's own signing (``listing/signing.py``), alternating ``--rounds`` times;
each stage is timed around the functions that do it (``perf_counter``; CPU of the whole loop
from ``thread_time``), and the median round is reported in ms per page:

* request building + signing: botocore's ``list_objects_v2`` call up to its ``before-send``
  event (parameter validation, serialisation, endpoint resolution, SigV4), or the template's
  ``sign`` on the fast path;
* I/O wait: the HTTP round trip, from sending the request to the last byte of the body;
* parse: ``pages.parse_objects``;
* botocore after the answer: parsing the empty stand-in page, after-call hooks, retry checks;
* keys + checks: decoding the keys and checking their order and the token's advance;
* merge: ``Tally.add_objects``;
* inter-process transfer: pickling and unpickling a slice's result (8 pages' tally), per page.

With ``--cprofile``, every thread of one scan (``processes=0``) is profiled and the time is
summed into coarse buckets: the fast page parser, botocore's request building and signing, the
HTTP round trip (socket waits included), tallying, and the rest.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pickle
import pstats
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import testkit  # noqa: F401  (puts tests/ on sys.path: support.* is the test kit)
from common import fake_aws_env
from s3_storage_analyser.aggregate import BreakdownSpec
from s3_storage_analyser.aws import Aws, AwsOptions
from s3_storage_analyser.listing import rawclient, signing
from s3_storage_analyser.listing.checks import check_advance, check_keys
from s3_storage_analyser.listing.ranges import KeyRange
from s3_storage_analyser.listing.tally import Tally
from s3_storage_analyser.listing.worker import SliceResult
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


# --------------------------------------------------------------------------- stages

STAGES = (
    ("build", "request building + signing"),
    ("io", "I/O wait (send to last byte)"),
    ("parse", "parse (pages.parse_objects)"),
    ("after", "botocore after the answer (own signing: the rest of the call)"),
    ("checks", "keys + checks"),
    ("merge", "merge (Tally.add_objects)"),
    ("transfer", "inter-process transfer (pickle)"),
)


class StageClock:
    """Seconds per stage, summed by wrappers around the functions that do each stage (one thread)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys([name for name, _ in STAGES] + ["call"], 0.0)
        self.mark = 0.0

    def add(self, stage: str, seconds: float) -> None:
        self.seconds[stage] += seconds

    def timed(self, stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[stage] += time.perf_counter() - started

        return wrapper


def stage_round(url: str, fast: bool) -> tuple[dict[str, float], int, float, float]:
    """List the bucket once on this thread; (seconds per stage, pages, wall seconds, CPU seconds)."""
    clock = StageClock()
    aws = Aws(AwsOptions(endpoint_url=url))
    client = aws.client("s3", "us-east-1")

    def built(**_: Any) -> None:  # registered before the lister's own before-send hook: runs first
        clock.add("build", time.perf_counter() - clock.mark)

    client.meta.events.register_first("before-send.s3.ListObjectsV2", built)
    lister = rawclient.RawLister(client, fast=fast)
    session = client._endpoint.http_session
    originals = (session.send, lister._read_body, rawclient.parse_objects, signing.RequestTemplate.sign)
    session.send = clock.timed("io", session.send)
    lister._read_body = clock.timed("io", lister._read_body)  # type: ignore[method-assign]
    rawclient.parse_objects = clock.timed("parse", rawclient.parse_objects)
    signing.RequestTemplate.sign = clock.timed("build", signing.RequestTemplate.sign)  # type: ignore[method-assign]
    tally = Tally.for_spec(BreakdownSpec())
    pages, after, token = 0, None, None
    transfer = 0.0
    cpu, started = time.thread_time(), time.perf_counter()
    try:
        while True:
            clock.mark = time.perf_counter()
            page = lister.objects("bench", start_after=after)
            clock.add("call", time.perf_counter() - clock.mark)
            mark = time.perf_counter()
            keys = page.keys()
            check_keys("ListObjectsV2", keys, after=after, prefix="")
            check_advance(
                "ListObjectsV2",
                truncated=page.truncated,
                entries=len(keys),
                token=page.next_token,
                previous=token,
                name="NextContinuationToken",
            )
            token = page.next_token
            clock.add("checks", time.perf_counter() - mark)
            mark = time.perf_counter()
            tally.add_objects(page, len(keys))
            clock.add("merge", time.perf_counter() - mark)
            pages += 1
            if pages % 8 == 0 or not page.truncated:  # a slice's result crosses to the parent every 8 pages
                mark = time.perf_counter()
                result = SliceResult(KeyRange("bench", "us-east-1", "", after=after), tally, pages=8)
                pickle.loads(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
                transfer += time.perf_counter() - mark
                tally = Tally.for_spec(BreakdownSpec())
            if not page.truncated:
                break
            after = keys[-1]
    finally:
        session.send, lister._read_body, rawclient.parse_objects = originals[0], originals[1], originals[2]
        signing.RequestTemplate.sign = originals[3]  # type: ignore[method-assign]
    wall, cpu = time.perf_counter() - started, time.thread_time() - cpu
    seconds = clock.seconds
    seconds["transfer"] = transfer
    # what the call took beyond building, the round trip and the parse: botocore's handling of the answer
    seconds["after"] = max(0.0, seconds["call"] - seconds["build"] - seconds["io"] - seconds["parse"])
    return seconds, pages, wall, cpu


def stages(url: str, rounds: int) -> dict[str, dict[str, float]]:
    """Per path (botocore, fast), the median round's ms per page of each stage, total wall and CPU."""
    runs: dict[str, list[dict[str, float]]] = {"botocore": [], "fast": []}
    for _ in range(rounds):
        for path in ("botocore", "fast"):
            seconds, pages, wall, cpu = stage_round(url, fast=path == "fast")
            per_page = {stage: seconds[stage] / pages * 1000 for stage, _ in STAGES}
            per_page["total"] = wall / pages * 1000
            per_page["cpu"] = cpu / pages * 1000
            per_page["pages"] = pages
            runs[path].append(per_page)
    return {path: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for path, rs in runs.items()}


def print_stages(result: dict[str, dict[str, float]]) -> None:
    before, after = result["botocore"], result["fast"]
    print(f"ms per 1,000-key page, one thread, median of the rounds ({int(before['pages'])} pages a round)\n")
    print("| stage | botocore signing | own signing |")
    print("|---|---:|---:|")
    for stage, label in STAGES:
        print(f"| {label} | {before[stage]:.2f} | {after[stage]:.2f} |")
    print(f"| **total (wall)** | **{before['total']:.2f}** | **{after['total']:.2f}** |")
    print(f"| CPU of the loop | {before['cpu']:.2f} | {after['cpu']:.2f} |")
    print(f"| keys/s, one thread | {1e6 / before['total']:,.0f} | {1e6 / after['total']:,.0f} |")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Where the listing's client time goes: per stage, or cProfile.")
    parser.add_argument("--keys", type=int, default=200_000)
    parser.add_argument("--kind", choices=("flat", "tree"), default="flat")
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--conc", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--rounds", type=int, default=3, help="stages: rounds of each path (the median is shown)")
    parser.add_argument("--cprofile", action="store_true", help="cProfile a whole scan instead of timing stages")
    args = parser.parse_args(argv)
    os.environ.update(fake_aws_env())
    spec = ServerSpec(buckets=(BucketSpec("bench", args.kind, args.keys),), latency=args.latency)
    url, stop = run_server_process(spec)
    if not args.cprofile:
        try:
            result = stages(url, max(1, args.rounds))
        finally:
            stop()
        print_stages(result)
        return 0
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
