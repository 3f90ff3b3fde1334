"""The browser's state without a terminal: sums, details, rows, order, filter, path."""

from __future__ import annotations

import pytest

from s3_storage_analyser.browse.rows import age, bar, fit, parse_time
from s3_storage_analyser.browse.view import Browser, Kind, SortKey, subtree_sums
from s3_storage_analyser.tree.model import Folder, FolderTree
from support.browse_trees import random_tree, small_tree


@pytest.mark.parametrize(
    ("keys", "folders", "depth", "seed"), [(500, 60, 1, 1), (3_000, 400, 6, 2), (2_000, 300, 40, 3)]
)
def test_sums_and_details_equal_a_walk_of_each_folder(keys: int, folders: int, depth: int, seed: int) -> None:
    """One pass children-first gives every folder what walking its subtree gives (``Folder.totals``)."""
    tree = random_tree(keys, folders, depth=depth, seed=seed)
    sums = subtree_sums(tree.root)
    browser = Browser(tree, sums=sums)
    assert sums[id(tree.root)][0] == keys
    for folder in tree.root.walk():
        truth = folder.totals()
        assert sums[id(folder)] == (truth.total_objects, truth.total_bytes, truth.folders)
        detail = browser.details(folder)
        assert (detail.objects, detail.bytes, detail.newest, detail.oldest) == (
            truth.objects,
            truth.bytes,
            truth.newest,
            truth.oldest,
        )


def test_a_deep_chain_needs_no_recursion() -> None:
    root = Folder("")
    node = root
    for level in range(5_000):  # far past Python's recursion limit
        child = Folder(f"l{level}/", objects={"STANDARD": 1}, bytes={"STANDARD": 2})
        node.children[child.name] = child
        node = child
    browser = Browser(FolderTree("deep", root))
    assert browser.sum_of(root) == (5_000, 10_000, 5_001)
    assert browser.details(root).total_bytes == 10_000


def test_rows_of_a_folder_and_the_path() -> None:
    browser = Browser(small_tree())
    rows = browser.entries()
    assert [(e.kind, e.name) for e in rows][:2] == [(Kind.FOLDER, "2024/"), (Kind.FOLDER, "2023/")]
    assert sum(e.bytes for e in rows) == browser.sum_of(browser.current)[1]  # the rows add up to the total
    assert browser.open(rows[1])
    assert browser.location() == "s3://photos/2023/"
    assert [e.kind for e in browser.entries()] == [Kind.PARENT, Kind.FOLDER, Kind.FOLDER]
    assert not browser.open(next(e for e in Browser(small_tree()).entries() if e.kind is Kind.FILES))
    assert browser.up() is rows[1].folder
    assert browser.up() is None


def test_ties_are_broken_by_name_in_every_order() -> None:
    root = Folder("", children={n: Folder(n, objects={"STANDARD": 1}, bytes={"STANDARD": 9}) for n in "cab"})
    browser = Browser(FolderTree("b", root))
    assert [e.name for e in browser.entries()] == ["a", "b", "c"]
    browser.sort_by(SortKey.SIZE)  # the same key again: smallest first, ties still A to Z
    assert [e.name for e in browser.entries()] == ["a", "b", "c"]
    browser.sort_by(SortKey.OBJECTS)
    assert [e.name for e in browser.entries()] == ["a", "b", "c"]
    browser.sort_by(SortKey.NAME)
    browser.sort_by(SortKey.NAME)
    assert [e.name for e in browser.entries()] == ["c", "b", "a"]


def test_filter_is_a_case_insensitive_substring_of_the_current_folder() -> None:
    browser = Browser(small_tree())
    browser.filter = "2"
    assert {e.name for e in browser.entries()} == {"2023/", "2024/"}
    browser.filter = "FILES"
    assert [e.kind for e in browser.entries()] == [Kind.FILES]
    browser.open(Browser(small_tree()).entries()[0])  # a foreign entry of another tree's folder is still a folder
    assert browser.filter == ""


def test_formatting_helpers() -> None:
    assert bar(0.0) == "[          ]" and bar(1.0) == "[##########]" and bar(0.44) == "[####      ]"
    assert fit("abc", 5) == "abc  " and fit("abcdef", 4) == "abc~"
    assert fit("日本語", 4) == "日 ~"  # wide characters count two cells: cut to 4 cells exactly
    when = parse_time("2024-01-01T00:00:00.000Z")
    assert when is not None and parse_time("not a time") is None and parse_time(None) is None
    later = parse_time("2026-01-01T00:00:00+00:00")
    assert later is not None
    assert age(when, when) == "today" and age(when, later) == "2 years ago"


def test_a_scan_scoped_to_a_prefix_opens_at_its_folder() -> None:
    """``s3://photos/2024/``: the report (and its tree) is named ``photos/2024/``, the tree starts at the bucket's
    root; the browser opens at 2024/, shows real locations, and can still go up."""
    scoped = Folder("2024/", objects={"STANDARD": 2}, bytes={"STANDARD": 4})
    browser = Browser(FolderTree("photos/2024/", Folder("", children={"2024/": scoped})))
    assert browser.current is scoped
    assert browser.location() == "s3://photos/2024/"
    assert browser.up() is scoped and browser.location() == "s3://photos/"
    unknown = Browser(FolderTree("photos/2099/x", Folder("", children={"2024/": scoped})))
    assert unknown.location() == "s3://photos/"  # a scope the tree has not: its root
    prefixed = Browser(FolderTree("photos", Folder(""), prefix="logs/"))
    assert prefixed.location() == "s3://photos/logs/"


def test_a_tree_without_a_delimiter_opens_at_its_root() -> None:
    tree = FolderTree("photos/2024/", Folder("", objects={"STANDARD": 1}, bytes={"STANDARD": 1}), delimiter="")
    assert Browser(tree).location() == "s3://photos/"
