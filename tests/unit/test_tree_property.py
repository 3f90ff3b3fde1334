"""The folder tree equals a brute-force fold of the keys, whatever the delimiter, the fold limit, and the
split of the keys into pieces and the order those pieces merge in (as a listing's key ranges and worker
processes do), and survives pickling and the history's codec unchanged."""

from __future__ import annotations

import pickle
import random
from dataclasses import astuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from s3_storage_analyser.aggregate import PrefixBreakdown
from s3_storage_analyser.tree.builder import TreeBreakdown
from s3_storage_analyser.tree.codec import decode_tree, encode_tree
from support.tree_truth import Obj, brute_force, flattened

# Multi-character, overlapping ("aa"), control, non-ASCII and regex-special delimiters.
DELIMITERS = ["/", "-", "//", "aa", "ab", "\x00", "é", ".", "*", "\n"]
TIMES = ["2020-01-01T00:00:00.000Z", "2023-06-30T12:00:00.000Z", "2024-12-31T23:59:59.999Z", ""]
CLASSES = ["STANDARD", "GLACIER", "STANDARD_IA"]


def objects(delimiter: str) -> st.SearchStrategy[list[Obj]]:
    # Few distinct characters, so that folders repeat, nest, and hold empty segments ("a//b").
    alphabet = st.sampled_from(["a", "b", delimiter, delimiter, "\x1b", "日"])
    key = st.lists(alphabet, max_size=10).map("".join)
    return st.lists(
        st.tuples(key, st.integers(0, 10**12), st.sampled_from(CLASSES), st.sampled_from(TIMES)), max_size=40
    )


def built(objs: list[Obj], delimiter: str, max_folders: int) -> TreeBreakdown:
    tree = TreeBreakdown(delimiter, max_folders)
    for key, size, storage, modified in objs:
        tree.add(key, size, storage, modified)
    return tree


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(data=st.data(), delimiter=st.sampled_from(DELIMITERS), max_folders=st.integers(0, 12))
def test_the_tree_is_the_brute_force_fold_of_its_keys(data: st.DataObject, delimiter: str, max_folders: int) -> None:
    objs = data.draw(objects(delimiter))
    tree = built(objs, delimiter, max_folders).tree("b")
    expected = brute_force(objs, delimiter, max_folders)
    assert flattened(tree) == expected
    assert tree.folded == sum(1 for cell in expected.values() if cell[4])
    assert (tree.depth is None) == (tree.folded == 0)
    assert len(expected) - 1 <= max_folders  # the bound: folders below the root
    totals = tree.root.totals()
    assert totals.total_objects == len(objs) and totals.total_bytes == sum(o[1] for o in objs)
    assert flattened(decode_tree(encode_tree(tree))) == expected  # the history keeps it exactly
    # the report's rows: the first level, as --by prefix --depth 1 counts it (unless all is in the root)
    rows = built(objs, delimiter, max_folders).rows()
    if tree.depth != 0:
        prefixes = PrefixBreakdown(1, delimiter, 20)
        for obj in objs:
            prefixes.add(*obj)
        assert [astuple(r)[1:4] for r in rows] == [astuple(r)[1:4] for r in prefixes.rows()]
    else:
        assert [astuple(r)[1:4] for r in rows] == ([("(no prefix)", len(objs), totals.total_bytes)] if objs else [])


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(
    data=st.data(),
    delimiter=st.sampled_from(DELIMITERS),
    max_folders=st.integers(0, 12),
    seed=st.integers(0, 2**32),
)
def test_pieces_merged_in_any_split_and_order_equal_the_whole(
    data: st.DataObject, delimiter: str, max_folders: int, seed: int
) -> None:
    objs = data.draw(objects(delimiter))
    rng = random.Random(seed)
    # Key ranges (contiguous runs of the sorted keys, as the listing splits them) or any subsets.
    if rng.random() < 0.5:
        objs = sorted(objs)
    cuts = sorted(rng.sample(range(len(objs) + 1), min(len(objs) + 1, rng.randint(1, 6))))
    pieces = [objs[a:b] for a, b in zip([0, *cuts], [*cuts, len(objs)], strict=True)]
    pool = [pickle.loads(pickle.dumps(built(piece, delimiter, max_folders))) for piece in pieces]
    while len(pool) > 1:  # merge random pairs: any bracketing, any order
        first = pool.pop(rng.randrange(len(pool)))
        second = pool.pop(rng.randrange(len(pool)))
        first.merge(second)
        pool.append(pickle.loads(pickle.dumps(first)))
    whole = built(objs, delimiter, max_folders).tree("b")
    merged = pool[0].tree("b")
    assert flattened(merged) == flattened(whole) == brute_force(objs, delimiter, max_folders)
    assert pool[0].rows() == built(objs, delimiter, max_folders).rows()
    assert (merged.folded, merged.depth) == (whole.folded, whole.depth)
