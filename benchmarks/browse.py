"""``s3sa browse``: how long a large folder tree takes to show, and to answer a key, in the real UI.

    .venv/bin/python benchmarks/browse.py [--keys 1000000] [--folders 100000] [--repeat 2] [--layouts deep,flat]

Two made-up trees of ``--keys`` objects in ``--folders`` folders (tests/support/browse_trees.py):

- **deep**: each folder under a random earlier one, at most 8 levels: bushy near the top, deep below;
- **flat**: every folder in the root: one folder of ``--folders`` children, the browser's worst case.

Each tree is saved in a real history file (the store's codec, as ``--save`` does). Then, best of
``--repeat``: **reopen** is ``load_tree`` (what ``browse --snapshot`` reads); **first screen** is from
``BrowseApp(tree)`` to the first screen drawn by Textual's pilot at 80x24 (summing every folder, sorting
the root's entries, drawing); **baseline** is the same for a tree of one folder, in the same process
(Textual's own start-up), so **ratio** is what the tree's size adds. Then one key each, timed until the
screen is drawn again: End (the last of the root's entries), ``n`` (sort by name), ``/`` and a letter
(filter), Down (the next entry's detail: its bytes per class, summed once).

``--datatable`` also times Textual's own DataTable showing the same root's rows (the four columns, as
text) to its first screen, in the same process: the widget the browser does not use, and why.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import DataTable

import s3_storage_analyser
import testkit  # noqa: F401  (puts tests/ on sys.path: support.* is the test kit)
from s3_storage_analyser.browse.app import BrowseApp
from s3_storage_analyser.browse.rows import row_columns
from s3_storage_analyser.browse.view import Browser
from s3_storage_analyser.model import Bucket, BucketReport, Snapshot, Usage
from s3_storage_analyser.store import Store
from s3_storage_analyser.tree.access import load_tree
from s3_storage_analyser.tree.model import Folder, FolderTree
from support.browse_trees import random_tree

DEPTHS = {"deep": 8, "flat": 1}
KEYS = (("end",), ("n",), ("slash", "d"), ("escape",), ("down",))


@dataclass
class Result:
    layout: str
    keys: int
    folders: int
    root_entries: int
    reopen_s: float
    first_screen_s: float
    baseline_s: float
    key_s: dict[str, float]
    datatable_s: float | None = None

    @property
    def ratio(self) -> float:
        return self.first_screen_s / self.baseline_s


async def show(tree: FolderTree, keys: tuple[tuple[str, ...], ...] = ()) -> tuple[float, dict[str, float], int]:
    """Seconds to the first screen, then seconds per key (to the next screen), and the root's entry count."""
    start = time.perf_counter()
    app = BrowseApp(tree)
    timings: dict[str, float] = {}
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        first = time.perf_counter() - start
        entries = len(app.rows.entries)
        for key in keys:
            began = time.perf_counter()
            await pilot.press(*key)
            await pilot.pause()
            timings["+".join(key)] = time.perf_counter() - began
    return first, timings, entries


class TableApp(App[None]):
    """The root's rows in a DataTable: what the browser's list would cost on Textual's own table."""

    def __init__(self, rows: list[tuple[str, ...]]) -> None:
        super().__init__()
        self.table_rows = rows

    def compose(self) -> ComposeResult:
        yield DataTable(cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Size", "Share", "Objects", "Name")
        table.add_rows(self.table_rows)


async def datatable_first_screen(tree: FolderTree) -> float:
    start = time.perf_counter()
    browser = Browser(tree)
    whole = browser.sum_of(browser.current)[1]
    rows = [row_columns(e, whole, 80) for e in browser.entries()]
    async with TableApp([(size, share, objects, name) for size, share, _, objects, _, name in rows]).run_test(
        size=(80, 24)
    ) as pilot:
        await pilot.pause()
    return time.perf_counter() - start


def measure(layout: str, keys: int, folders: int, repeat: int, history: Path, datatable: bool) -> Result:
    tree = random_tree(keys, folders, depth=DEPTHS[layout], bucket=layout)
    store = Store(history)
    report = BucketReport(Bucket(layout, "us-east-1"), Usage(tree=tree))
    snapshot_id = store.save(Snapshot("list", datetime.now(UTC), (report,), breakdowns=("tree",)))
    reopen, loaded = float("inf"), None
    for _ in range(repeat):
        began = time.perf_counter()
        loaded = load_tree(store, snapshot_id, layout)
        reopen = min(reopen, time.perf_counter() - began)
    store.close()
    assert loaded is not None
    tiny = FolderTree("tiny", Folder("", objects={"STANDARD": 1}, bytes={"STANDARD": 1}))
    baseline = min(asyncio.run(show(tiny))[0] for _ in range(repeat))
    first, per_key, entries = float("inf"), dict[str, float](), 0
    for _ in range(repeat):
        seconds, timings, entries = asyncio.run(show(loaded, KEYS))
        first = min(first, seconds)
        per_key = {k: min(v, per_key.get(k, v)) for k, v in timings.items()}
    table = asyncio.run(datatable_first_screen(loaded)) if datatable else None
    return Result(layout, keys, folders, entries, reopen, first, baseline, per_key, table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--folders", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--layouts", default="deep,flat")
    parser.add_argument("--output", type=Path)
    parser.add_argument("--datatable", action="store_true", help="also time Textual's DataTable on the root's rows")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for layout in args.layouts.split(","):
            history = Path(tmp) / f"{layout}.sqlite3"
            result = measure(layout, args.keys, args.folders, args.repeat, history, args.datatable)
            results.append(result)
            keys = "  ".join(f"{k} {v * 1000:.0f} ms" for k, v in result.key_s.items())
            print(
                f"{layout:5} {result.keys:,} keys, {result.folders:,} folders ({result.root_entries:,} entries in "
                f"the root): reopen {result.reopen_s:.2f} s, first screen {result.first_screen_s:.2f} s "
                f"(baseline {result.baseline_s:.2f} s, x{result.ratio:.1f}); {keys}"
                + (f"; DataTable {result.datatable_s:.2f} s" if result.datatable_s is not None else ""),
                flush=True,
            )
    output = args.output or Path(__file__).parent / "results" / f"browse-{datetime.now(UTC):%Y-%m-%d}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(
        json.dumps(
            {"package": s3_storage_analyser.__file__, "results": [asdict(r) | {"ratio": r.ratio} for r in results]},
            indent=2,
        )
    )
    print(f"written to {output}")


if __name__ == "__main__":
    main()
