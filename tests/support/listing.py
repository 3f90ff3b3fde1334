"""The listing's truth: objects to seed, and the breakdowns and counts a listing of them must report."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from s3_storage_analyser.storage_classes import KNOWN_CLASSES, class_info
from support.snapshots import CLASSES

KIB = 1024


MIB = 1024 * KIB


def assert_counts(reported: dict[str, Any], objects: dict[str, int], sizes: dict[str, int]) -> None:
    """Files, Bytes, FilesByClass and every per-class byte column equal the expected sums."""
    assert reported["Files"] == sum(objects.values())
    assert reported["Bytes"] == sum(sizes.values())
    assert reported.get("FilesByClass", {}) == objects
    for code in set(KNOWN_CLASSES) | set(sizes):
        assert reported[class_info(code).json_key] == sizes.get(code, 0), code


SIZE_EDGES = [1, 128 * KIB, MIB, 16 * MIB, 128 * MIB, 1024 * MIB, 5 * 1024 * MIB]


SIZE_LABELS = ["0 B", "<128 KiB", "128 KiB-1 MiB", "1-16 MiB", "16-128 MiB", "128 MiB-1 GiB", "1-5 GiB", ">=5 GiB"]


AGE_EDGES = [30, 90, 365, 730, 1825]


AGE_LABELS = ["<30 d", "30-90 d", "90 d-1 y", "1-2 y", "2-5 y", ">=5 y"]


def _ranked(table: dict[str, list[int]], limit: int) -> list[dict[str, Any]]:
    ranked = sorted(table.items(), key=lambda kv: (-kv[1][1], kv[0]))
    rows = [{"Key": k, "Files": v[0], "Bytes": v[1]} for k, v in ranked[:limit]]
    rest = ranked[limit:]
    if rest:
        rows.append({"Key": "(other)", "Files": sum(v[0] for _, v in rest), "Bytes": sum(v[1] for _, v in rest)})
    return rows


def _bump(table: dict[str, list[int]], key: str, size: int) -> None:
    cell = table.setdefault(key, [0, 0])
    cell[0] += 1
    cell[1] += size


Obj = tuple[str, int, str, float]  # key, size, storage class, age in days


def prefix_levels(objects: Iterable[Obj], depth: int, limit: int) -> list[list[dict[str, Any]]]:
    """Per level: the ``limit`` largest prefixes by bytes (ties by key), then (other)."""
    levels: list[dict[str, list[int]]] = [{} for _ in range(depth)]
    for key, size, _storage, _age in objects:
        parts = key.split("/")
        if len(parts) == 1:
            _bump(levels[0], "(no prefix)", size)
        for level in range(1, min(depth, len(parts) - 1) + 1):
            _bump(levels[level - 1], "/".join(parts[:level]) + "/", size)
    return [_ranked(table, limit) for table in levels]


def extension_of(key: str) -> str:
    name = key.rsplit("/", 1)[-1]
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem and ext and len(ext) <= 11 else "(none)"


def reference_breakdowns(objects: list[Obj], *, depth: int, limit: int, top: int) -> dict[str, list[dict[str, Any]]]:
    """Every breakdown by the documented rules, in JSON row shape (top rows without LastModified)."""
    sizes = [[0, 0] for _ in SIZE_LABELS]
    ages = [[0, 0] for _ in AGE_LABELS]
    extensions: dict[str, list[int]] = {}
    classes: dict[str, list[int]] = {}
    for key, size, storage, age in objects:
        for table, index in ((sizes, sum(size >= e for e in SIZE_EDGES)), (ages, sum(age >= e for e in AGE_EDGES))):
            table[index][0] += 1
            table[index][1] += size
        _bump(extensions, extension_of(key), size)
        _bump(classes, storage, size)
    largest = sorted(objects, key=lambda o: (-o[1], o[0]))[:top]
    return {
        "prefix": [row for level in prefix_levels(objects, depth, limit) for row in level],
        "size": [{"Key": label, "Files": c, "Bytes": b} for label, (c, b) in zip(SIZE_LABELS, sizes, strict=True)],
        "age": [{"Key": label, "Files": c, "Bytes": b} for label, (c, b) in zip(AGE_LABELS, ages, strict=True)],
        "extension": _ranked(extensions, limit),
        "storage-class": [{"Key": c, "Files": v[0], "Bytes": v[1]} for c in CLASSES if (v := classes.get(c))],
        "top": [{"Key": k, "Bytes": s, "StorageClass": c} for k, s, c, _age in largest],
    }
