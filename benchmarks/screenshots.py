"""The service's pages as PNGs for the docs (docs/images/service-*.png), remade by one command.

    .venv/bin/python benchmarks/screenshots.py [--out docs/images] [--width 1280] [--height 900] [--max-height 2400]

The demo account (``s3sa demo --scale 0.05 --strategy list --versions --uploads --by prefix --by age --by size
--by extension --top 5``, saved once into a temporary history) is the newest snapshot of a seeded history: the same
snapshot at ``--points`` earlier dates a week apart, each 4 % smaller than the next (bytes, objects and the
hidden costs), so the history chart draws a line. It is served by ``support.live_service`` with a token and
the shipped prices (warmed, so the history is priced), and Chromium (a 1280 x 900 viewport) signs in through
the form, then shoots the sign-in form, the overview, the largest bucket's page, the history page and, after
pressing "Start a scan", the scans page. Each shot is the full page cut at ``--max-height`` pixels; with
Pillow installed the PNG is re-encoded with ``optimize`` (Chromium's PNGs are not), and a shot over
``--budget`` bytes is cut shorter until it fits.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from s3_storage_analyser.model import BucketReport, Snapshot
from s3_storage_analyser.pricing.book import book
from s3_storage_analyser.pricing.shipped import shipped_table
from s3_storage_analyser.store import Store

sys.path[:0] = [str(Path(__file__).parent.parent / "tests")]

from support.browser import CHROMIUM, CHROMIUM_ARGS, chromium_missing  # noqa: E402
from support.live_service import live_service  # noqa: E402

TOKEN = "screenshots-token-5e2a"
SHRINK = 0.96  # each earlier point of the seeded history, relative to the next
DEMO = [
    "demo",
    "--scale",
    "0.05",
    "--strategy",
    "list",
    "--versions",
    "--uploads",
    *("--by", "prefix", "--by", "age", "--by", "size", "--by", "extension"),
    "--top",
    "5",
    "--fmt",
    "json",
    "--output",
    "/dev/null",
    "--save",
]


def scaled(mapping: Any, factor: float) -> dict[str, int]:
    return {key: int(value * factor) for key, value in mapping.items()}


def earlier(snapshot: Snapshot, weeks: int) -> Snapshot:
    """The demo snapshot ``weeks`` weeks earlier, a little smaller (breakdowns kept: only the newest is shown)."""
    factor = SHRINK**weeks
    reports = []
    for r in snapshot.buckets:
        u = r.usage
        usage = dataclasses.replace(
            u,
            objects=int(u.objects * factor),
            bytes_by_class=scaled(u.bytes_by_class, factor),
            objects_by_class=scaled(u.objects_by_class, factor),
            storage_types=scaled(u.storage_types, factor),
            noncurrent_bytes_by_class=scaled(u.noncurrent_bytes_by_class, factor),
            noncurrent_objects_by_class=scaled(u.noncurrent_objects_by_class, factor),
            incomplete_upload_bytes=int(u.incomplete_upload_bytes * factor),
        )
        reports.append(BucketReport(r.bucket, usage, r.data_date))
    return dataclasses.replace(snapshot, taken_at=snapshot.taken_at - timedelta(weeks=weeks), buckets=tuple(reports))


def seed_history(db: Path, points: int) -> Snapshot:
    """``points`` snapshots in ``db``: the demo's listing, newest last, and its seeded past."""
    scratch = db.with_name("demo-once.sqlite3")
    command = [sys.executable, "-m", "s3_storage_analyser", *DEMO, "--db", str(scratch)]
    subprocess.run(command, check=True, capture_output=True, timeout=600)
    source = Store(scratch)
    found = source.latest()
    source.close()
    assert found is not None
    demo = found[1]
    store = Store(db)
    for weeks in range(points - 1, -1, -1):
        store.save(earlier(demo, weeks) if weeks else demo)
    store.close()
    return demo


def shoot(page: Any, path: Path, max_height: int, budget: int) -> tuple[int, int]:
    """The full page, cut at ``max_height`` and shorter while over ``budget`` bytes; (height, bytes)."""
    full = int(page.evaluate("document.documentElement.scrollHeight"))
    width = int(page.viewport_size["width"])
    height = min(full, max_height)
    while True:
        data = page.screenshot(full_page=True, clip={"x": 0, "y": 0, "width": width, "height": height})
        data = optimised(data)
        if len(data) <= budget or height <= 600:
            path.write_bytes(data)
            return height, len(data)
        height = int(height * 0.8)


def optimised(png: bytes) -> bytes:
    try:
        from PIL import Image  # type: ignore[import-not-found]
    except ImportError:
        return png
    out = io.BytesIO()
    Image.open(io.BytesIO(png)).save(out, format="PNG", optimize=True)
    return min(png, out.getvalue(), key=len)


def settle(page: Any) -> None:
    """Every chart drawn and its entry animation over."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('.chart')].every(c => c.dataset.drawn === 'true')", timeout=60_000
    )
    page.wait_for_timeout(2000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent.parent / "docs" / "images")
    parser.add_argument("--points", type=int, default=8, help="snapshots in the seeded history")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--max-height", type=int, default=2400)
    parser.add_argument("--budget", type=int, default=400_000, help="bytes a PNG may have")
    args = parser.parse_args()
    missing = chromium_missing()
    if missing:
        raise SystemExit(missing)
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "history.sqlite3"
        demo = seed_history(db, args.points)
        largest = max(demo.buckets, key=lambda r: (r.usage.bytes, r.bucket.name)).bucket.name
        store = Store(db)
        prices = book([shipped_table()])
        with (
            live_service(
                store,
                lambda: dataclasses.replace(demo, taken_at=demo.taken_at + timedelta(days=1)),
                token=TOKEN,
                book=prices,
                warm=True,
            ) as service,
            sync_playwright() as driver,
        ):
            chromium = driver.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
            context = chromium.new_context(viewport={"width": args.width, "height": args.height})
            page = context.new_page()
            shots = []

            def take(name: str, path: str | None = None) -> None:
                if path is not None:
                    page.goto(service.url + path, wait_until="load")
                settle(page)
                height, size = shoot(page, args.out / f"service-{name}.png", args.max_height, args.budget)
                shots.append((name, height, size))

            page.goto(service.url + "/")
            page.wait_for_url("**/signin?next=/")
            take("signin")
            page.fill("#token", TOKEN)
            page.click("form.signin button[type=submit]")
            page.wait_for_url(service.url + "/")
            take("overview")
            take("bucket", f"/bucket/{largest}")
            take("history", "/history")
            page.goto(service.url + "/scans")
            page.click("#start-scan")
            deadline = time.monotonic() + 60
            while service.scanner.running and time.monotonic() < deadline:
                time.sleep(0.2)
            take("scans", "/scans")
            chromium.close()
        store.close()
    for name, height, size in shots:
        print(f"{args.out / f'service-{name}.png'}: {args.width} x {height} px, {size:,} bytes")


if __name__ == "__main__":
    main()
