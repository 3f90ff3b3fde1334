"""The served dashboard in Chromium: first paint, charts drawn and bytes transferred, as a ratio to the file.

    .venv/bin/python benchmarks/dashboard.py [--snapshots 100] [--buckets 2000] [--repeat 3] [--db PATH]
                                             [--no-auth] [--bucket NAME]
    .venv/bin/python benchmarks/dashboard.py --snapshots 10 --buckets 200 --repeat 1   # smoke run, ~20 s

Issue 12's target: the overview of 2,000 buckets x 8 classes with 100 snapshots of history paints its first
content in under 1 s and transfers under 2 MB. The script builds that history (``--snapshots`` snapshots of
``--buckets`` buckets in 8 classes, a day apart, growing 0.5 % a snapshot; saving the full 100 x 2,000 takes
25-40 s on a 2-core machine: ``--db`` names a file to keep and reuse it), serves it with
``support.live_service`` priced with the shipped prices and warmed (the warm-up pricing is timed apart: the
pages then show priced history at once), signs in through the form with a token (``--no-auth``: no token,
no sign-in), and opens the overview (``/``), the history page (``/history``) and a bucket page in Chromium:

* cold: a fresh browser context with the cache disabled (DevTools' ``Network.setCacheDisabled``);
* warm: the same context, cache on, after one visit that fills it (the pages are ``no-store``, the
  scripts and styles are cached for a year).

Per page, medians of ``--repeat``: the first byte of the page (``responseStart``: the server's time, mostly), first
contentful paint, when every chart says ``data-drawn=true`` (the
treemap and the history chart), DOMContentLoaded and load (from navigation start), the bytes transferred
(``transferSize`` of the Navigation and Resource Timing entries: bodies as sent, gzip as Chromium
negotiates it, plus headers; 0 for a cache hit), the encoded bodies and the uncompressed bodies. The
baseline is the standalone file ``show ID --fmt html`` writes for the newest snapshot (everything inline,
its history priced), opened from file:// in the same browser: the overview's first paint is reported as a
ratio to it (timings as same-run ratios, as the other benchmarks do).

At the full size the run takes about 5 minutes on a busy 2-core machine: the warm-up prices 100 snapshots
(60-100 s), the baseline file prices them again (~75 s), and each page is visited 3 x ``--repeat`` times.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from s3_storage_analyser.model import BucketReport, Snapshot
from s3_storage_analyser.pricing.book import book
from s3_storage_analyser.pricing.cost import cost_snapshot
from s3_storage_analyser.pricing.shipped import shipped_table
from s3_storage_analyser.render import render
from s3_storage_analyser.render.html.history import export_history
from s3_storage_analyser.store import Store

sys.path[:0] = [str(Path(__file__).parent.parent / "tests")]

from support.browser import CHROMIUM, CHROMIUM_ARGS, chromium_missing  # noqa: E402
from support.live_service import LiveService, live_service  # noqa: E402
from support.snapshots import T_BIG, big_snapshot  # noqa: E402

TOKEN = "dashboard-benchmark-token"
GROWTH = 0.005  # per snapshot: the history chart has a slope
FIRST_PAINT_TARGET = 1.0  # seconds
TRANSFER_TARGET = 2_000_000  # bytes
MB = 1_000_000

# Everything after navigation start, from the page's own timing entries (milliseconds, bytes).
TIMINGS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByType('paint').find(p => p.name === 'first-contentful-paint');
  const all = [nav, ...performance.getEntriesByType('resource')];
  const sum = key => all.reduce((n, e) => n + (e[key] || 0), 0);
  return {ttfb: nav.responseStart, fcp: fcp ? fcp.startTime : NaN,
          dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
          transfer: sum('transferSize'), encoded: sum('encodedBodySize'), decoded: sum('decodedBodySize'),
          requests: all.length};
}"""
# When every chart on the page is drawn (report.js and history.js set data-drawn), on the page's clock.
ALL_DRAWN = """() => {
  const charts = [...document.querySelectorAll('.chart')];
  return charts.length > 0 && charts.every(c => c.dataset.drawn === 'true') ? performance.now() : false;
}"""


def grown(base: Snapshot, i: int, count: int) -> Snapshot:
    """Snapshot ``i`` of ``count``: the newest is ``base``; older ones are a day apart and a little smaller."""
    factor = (1 + GROWTH) ** (i - count + 1)
    reports = tuple(
        BucketReport(
            r.bucket,
            dataclasses.replace(
                r.usage,
                bytes_by_class={c: int(b * factor) for c, b in r.usage.bytes_by_class.items()},
                objects_by_class={c: max(1, int(n * factor)) for c, n in r.usage.objects_by_class.items()},
                objects=sum(max(1, int(n * factor)) for n in r.usage.objects_by_class.values()),
            ),
            r.data_date,
        )
        for r in base.buckets
    )
    return Snapshot(base.strategy, base.taken_at - timedelta(days=count - 1 - i), reports)


def build(path: Path, snapshots: int, buckets: int) -> Snapshot:
    """The history in ``path`` (reused when it already holds ``snapshots`` snapshots); the newest snapshot."""
    base = big_snapshot(buckets, T_BIG)
    store = Store(path)
    try:
        if store.count_upto() == snapshots:
            print(f"reusing {path} ({snapshots} snapshots)")
            return base
        if store.count_upto():
            raise SystemExit(f"{path} holds another history; name a new --db")
        started = time.perf_counter()
        for i in range(snapshots):
            store.save(grown(base, i, snapshots))
        print(f"saved {snapshots} snapshots x {buckets:,} buckets x 8 classes in {time.perf_counter() - started:.1f} s")
    finally:
        store.close()
    return base


@dataclass
class Visit:
    ttfb: float  # seconds from navigation start: the server's time, mostly
    fcp: float
    drawn: float
    dcl: float
    load: float
    transfer: int
    encoded: int
    decoded: int
    requests: int


def visit(page: Any, url: str) -> Visit:
    page.goto(url, wait_until="load")
    drawn = page.wait_for_function(ALL_DRAWN, polling="raf", timeout=60_000).json_value()
    page.wait_for_function("() => performance.getEntriesByType('navigation')[0].loadEventEnd > 0")
    t = page.evaluate(TIMINGS)
    return Visit(
        t["ttfb"] / 1000,
        t["fcp"] / 1000,
        drawn / 1000,
        t["dcl"] / 1000,
        t["load"] / 1000,
        int(t["transfer"]),
        int(t["encoded"]),
        int(t["decoded"]),
        int(t["requests"]),
    )


def median_visit(visits: list[Visit]) -> Visit:
    fields = [f.name for f in dataclasses.fields(Visit)]
    values = {name: statistics.median(getattr(v, name) for v in visits) for name in fields}
    return Visit(
        **{
            name: (int(v) if name in ("transfer", "encoded", "decoded", "requests") else v)
            for name, v in values.items()
        }
    )


@contextmanager
def signed_in_context(chromium: Any, service: LiveService, token: str | None) -> Iterator[Any]:
    """A fresh context (empty cache, no cookies), signed in through the form when the service has a token."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        if token is not None:
            page = context.new_page()
            page.goto(service.url + "/signin?next=/scans")
            page.fill("#token", token)
            page.click("form.signin button[type=submit]")
            page.wait_for_url(service.url + "/scans")
            page.close()
        yield context
    finally:
        context.close()


def measure(chromium: Any, service: LiveService, paths: list[str], token: str | None, repeat: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in paths:
        cold, warm = [], []
        for _ in range(repeat):
            with signed_in_context(chromium, service, token) as context:
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
                cold.append(visit(page, service.url + path))
                cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
                visit(page, service.url + path)  # fills the cache
                warm.append(visit(page, service.url + path))
        out[path] = (median_visit(cold), median_visit(warm))
    return out


def file_paint(chromium: Any, path: Path, repeat: int) -> Visit:
    visits = []
    for _ in range(repeat):
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        visits.append(visit(context.new_page(), path.as_uri()))
        context.close()
    return median_visit(visits)


def row(name: str, v: Visit) -> str:
    return (
        f"{name:<22} {v.ttfb:>6.2f} {v.fcp:>6.2f} {v.drawn:>6.2f} {v.dcl:>6.2f} {v.load:>6.2f}"
        f" {v.transfer / MB:>9.3f} {v.encoded / MB:>8.3f} {v.decoded / MB:>8.3f} {v.requests:>4}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshots", type=int, default=100)
    parser.add_argument("--buckets", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", type=Path, default=None, help="keep the history here (reused when it fits)")
    parser.add_argument("--no-auth", action="store_true", help="serve with no token (no sign-in)")
    parser.add_argument("--bucket", default="bucket-00007", help="the bucket page measured")
    args = parser.parse_args()
    missing = chromium_missing()
    if missing:
        raise SystemExit(missing)
    from playwright.sync_api import sync_playwright

    tmp = tempfile.TemporaryDirectory()
    db = args.db or Path(tmp.name) / "history.sqlite3"
    newest = build(db, args.snapshots, args.buckets)
    prices = book([shipped_table()])
    token = None if args.no_auth else TOKEN

    store = Store(db)
    newest_id = store.latest_ids(1)[0]
    started = time.perf_counter()
    standalone = render(
        newest, "html", cost=cost_snapshot(newest, prices), history=export_history(store, prices, upto=newest_id)
    )
    file_render = time.perf_counter() - started
    file_path = Path(tmp.name) / "report.html"
    file_path.write_text(standalone, encoding="utf-8")

    def serve(warm: bool) -> tuple[Any, float]:
        started = time.perf_counter()
        manager = live_service(store, lambda: newest, token=token, book=prices, warm=warm)
        service = manager.__enter__()
        return (manager, service), time.perf_counter() - started

    (manager, _), cold_start = serve(False)
    manager.__exit__(None, None, None)
    (manager, service), warm_start = serve(True)
    paths = ["/", "/history", f"/bucket/{args.bucket}"]
    try:
        with sync_playwright() as driver:
            chromium = driver.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
            baseline = file_paint(chromium, file_path, args.repeat)
            results = measure(chromium, service, paths, token, args.repeat)
            chromium.close()
    finally:
        manager.__exit__(None, None, None)
        store.close()

    print(
        f"\n{args.snapshots} snapshots x {args.buckets:,} buckets x 8 classes, shipped prices,"
        f" {'no token (--no-auth)' if token is None else 'signed in through the form'}; medians of {args.repeat}"
    )
    print(
        f"service start: {cold_start:.2f} s without warm-up, {warm_start:.2f} s with it"
        f" (warm-up pricing ~{warm_start - cold_start:.2f} s)"
    )
    print(f"standalone file (show ID --fmt html): rendered in {file_render:.2f} s, {len(standalone.encode()):,} bytes")
    print(
        f"\n{'page':<22} {'ttfb s':>6} {'fcp s':>6} {'drawn':>6} {'dcl s':>6} {'load s':>6}"
        f" {'sent MB':>9} {'body MB':>8} {'raw MB':>8} {'req':>4}"
    )
    print(row("file:// standalone", baseline))
    for path in paths:
        cold, warm = results[path]
        print(row(f"{path[:15]} cold", cold))
        print(row(f"{path[:15]} warm", warm))
    overview = results["/"][0]
    paint_ok = "PASS" if overview.fcp < FIRST_PAINT_TARGET else "FAIL"
    size_ok = "PASS" if overview.transfer < TRANSFER_TARGET else "FAIL"
    print(
        f"\noverview, cold: first paint {overview.fcp:.2f} s (target < {FIRST_PAINT_TARGET:.0f} s): {paint_ok};"
        f" transferred {overview.transfer / MB:.3f} MB (target < {TRANSFER_TARGET / MB:.0f} MB): {size_ok}"
    )
    print(
        f"overview's first paint, cold: {overview.ttfb:.2f} s to the first byte (the server) and"
        f" {overview.fcp - overview.ttfb:.2f} s after it (the browser)"
    )
    print(
        f"overview first paint / standalone file's: cold {overview.fcp / baseline.fcp:.2f}x,"
        f" warm {results['/'][1].fcp / baseline.fcp:.2f}x; charts drawn cold {overview.drawn / baseline.drawn:.2f}x"
    )
    tmp.cleanup()


if __name__ == "__main__":
    main()
