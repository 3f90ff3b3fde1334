"""``--by tree``: what the folder tree costs a listing, in time and memory, and how fast a saved one reopens.

    .venv/bin/python benchmarks/tree.py [--keys 1000000] [--repeat 3] [--layouts deep,flat,wide]

Three layouts of ``--keys`` keys, in listing order:

- **deep**: ``dAA/sBB/pCC/fNNNNNNN.bin``, 10 x 99 x 100 folders three levels deep: exactly 100,000 folders,
  the default ``--tree-folders`` bound, so the largest tree kept without folding (10 keys a folder);
- **flat**: ``fNNNNNNN.bin``, no delimiter: one folder, the root;
- **wide**: ``wNNNNNNN/o.bin``, a folder per key: past the bound, so every folder is folded into the root
  while listing (the folding's worst case).

For each, the pages are built as FakeS3 serves them and parsed by the listing's own parser; then, page by
page, the same page is tallied twice: by a plain ``Tally`` (what a listing does without ``--by``) and by
one with ``--by tree``. **time** is parse + tally, best of ``--repeat``, and the ratio is with the tree
over without: what ``--by tree`` adds to the listing's CPU in its process (the network and the workers'
start-up, which the tree does not change, are left out: the ratio is an upper bound of the slowdown).
**memory** is tracemalloc's peak while the keys are added to a tree accumulator alone, and its size
once built; **pickled** is what a worker process sends back. **reopen** is ``load_tree`` (SQLite read,
inflate, check every field, build the folders) of the tree saved in a real history file, best of 5,
and **stored** its compressed size. The target: reopening a 1M-key tree under 1 s. Times are this
process's CPU seconds (``time.process_time``), which a busy shared machine disturbs less than wall time.
"""

from __future__ import annotations

import argparse
import pickle
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import s3_storage_analyser
import testkit  # noqa: F401  (puts tests/ on sys.path: support.* is the test kit)
from s3_storage_analyser.aggregate import BreakdownSpec
from s3_storage_analyser.listing.pages import ObjectPage, parse_objects
from s3_storage_analyser.listing.tally import Tally
from s3_storage_analyser.model import Bucket, BucketReport, Snapshot
from s3_storage_analyser.store import Store
from s3_storage_analyser.tree.access import load_tree
from s3_storage_analyser.tree.builder import TreeBreakdown
from s3_storage_analyser.tree.codec import encode_tree
from support.fakes3 import FakeObject, SortedKeys

PAGE = 1000
CLASSES = ("STANDARD", "STANDARD", "STANDARD_IA", "GLACIER")
TIMES = tuple(f"20{20 + y}-0{m}-1{d}T0{d}:00:00.000Z" for y in range(5) for m in range(1, 10) for d in range(5))


def deep(i: int, n: int) -> str:
    leaf = i * 99_000 // n
    return f"d{leaf // 9900:02d}/s{leaf // 100 % 99:02d}/p{leaf % 100:02d}/f{i:07d}.bin"


LAYOUTS: dict[str, Callable[[int, int], str]] = {
    "deep": deep,
    "flat": lambda i, n: f"f{i:07d}.bin",
    "wide": lambda i, n: f"w{i:07d}/o.bin",
}


class LayoutKeys(SortedKeys):
    """``n`` keys named by a layout, sizes, classes and times from the index: sorted by construction."""

    def __init__(self, n: int, name: Callable[[int, int], str]) -> None:
        self._n, self._name = n, name

    def __len__(self) -> int:
        return self._n

    def key(self, i: int) -> str:
        return self._name(i, self._n)

    def obj(self, i: int) -> FakeObject:
        return FakeObject(self.key(i), i * 7919 % 65536 + 1, CLASSES[i % 4], TIMES[i % len(TIMES)], f'"{i:032x}"')


@dataclass
class Result:
    layout: str
    folders: int
    folded: int
    listing_s: float
    with_tree_s: float
    peak_mb: float
    built_mb: float
    pickled_mb: float
    stored_mb: float
    reopen_s: float


def page_bodies(keys: LayoutKeys) -> list[str]:
    return [
        '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult>'
        + keys.contents_xml(start, min(start + PAGE, len(keys)), False)
        + "</ListBucketResult>"
        for start in range(0, len(keys), PAGE)
    ]


def timed_listing(bodies: list[str]) -> tuple[float, float, Tally]:
    """(parse + plain tally, parse + tally with the tree) over every page, and the tree's tally."""
    plain, with_tree = Tally.for_spec(BreakdownSpec()), Tally.for_spec(BreakdownSpec(("tree",)))
    parse_s = plain_s = tree_s = 0.0
    for body in bodies:
        t0 = time.process_time()
        page: ObjectPage = parse_objects(body)
        t1 = time.process_time()
        plain.add_objects(page, len(page.entries))
        t2 = time.process_time()
        with_tree.add_objects(page, len(page.entries))
        t3 = time.process_time()
        parse_s, plain_s, tree_s = parse_s + t1 - t0, plain_s + t2 - t1, tree_s + t3 - t2
    return parse_s + plain_s, parse_s + tree_s, with_tree


def memory(keys: LayoutKeys) -> tuple[float, float]:
    """tracemalloc's peak while a tree accumulator takes every key, and what it holds then (MB)."""
    objs = [keys.obj(i) for i in range(len(keys))]
    tracemalloc.start()
    tree = TreeBreakdown()
    for obj in objs:
        tree.add(obj.key, obj.size, obj.storage_class, obj.last_modified)
    built, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del tree
    return peak / 1e6, built / 1e6


def measure(layout: str, n: int, repeat: int, db: Path) -> Result:
    keys = LayoutKeys(n, LAYOUTS[layout])
    bodies = page_bodies(keys)
    runs = [timed_listing(bodies) for _ in range(repeat)]
    listing_s = min(r[0] for r in runs)
    with_tree_s = min(r[1] for r in runs)
    accumulator = next(b for b in runs[0][2].breakdowns if isinstance(b, TreeBreakdown))
    pickled = len(pickle.dumps(accumulator, protocol=pickle.HIGHEST_PROTOCOL))
    usage = runs[0][2].to_usage()
    tree = usage.tree
    assert tree is not None and tree.root.totals().total_objects == n
    del runs, bodies
    peak_mb, built_mb = memory(keys)
    store = Store(db)
    report = BucketReport(Bucket(layout, "us-east-1"), usage)
    snapshot_id = store.save(Snapshot("list", datetime.now(UTC), (report,), breakdowns=("tree",)))
    reopen = float("inf")
    for _ in range(5):
        start = time.process_time()
        loaded = load_tree(store, snapshot_id, layout)
        reopen = min(reopen, time.process_time() - start)
        assert loaded is not None
    store.close()
    return Result(
        layout,
        folders=tree.root.totals().folders - 1,
        folded=tree.folded,
        listing_s=listing_s,
        with_tree_s=with_tree_s,
        peak_mb=peak_mb,
        built_mb=built_mb,
        pickled_mb=pickled / 1e6,
        stored_mb=len(encode_tree(tree)) / 1e6,
        reopen_s=reopen,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--layouts", default="deep,flat,wide")
    args = parser.parse_args()
    print(s3_storage_analyser.__file__)
    print(
        f"{'layout':<6} {'folders':>8} {'folded':>6} {'list s':>7} {'+tree s':>8} {'ratio':>6} "
        f"{'peak MB':>8} {'held MB':>8} {'pickle MB':>9} {'stored MB':>9} {'reopen s':>8}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for layout in args.layouts.split(","):
            r = measure(layout, args.keys, args.repeat, Path(tmp) / "history.sqlite3")
            print(
                f"{r.layout:<6} {r.folders:>8,} {r.folded:>6,} {r.listing_s:>7.2f} {r.with_tree_s:>8.2f} "
                f"{r.with_tree_s / r.listing_s:>6.2f} {r.peak_mb:>8.1f} {r.built_mb:>8.1f} {r.pickled_mb:>9.2f} "
                f"{r.stored_mb:>9.2f} {r.reopen_s:>8.3f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
