"""Folder trees made up for the browser's tests and measurements: a small fixed one, and large random ones."""

from __future__ import annotations

import random

from s3_storage_analyser.tree.model import Folder, FolderTree

CLASSES = ("STANDARD", "STANDARD_IA", "GLACIER", "DEEP_ARCHIVE")


def folder(
    name: str,
    *,
    objects: dict[str, int] | None = None,
    sizes: dict[str, int] | None = None,
    newest: str | None = None,
    oldest: str | None = None,
    children: list[Folder] | None = None,
    folded: bool = False,
) -> Folder:
    return Folder(
        name,
        objects=dict(objects or {}),
        bytes=dict(sizes or {}),
        newest=newest,
        oldest=oldest,
        children={child.name: child for child in children or []},
        folded=folded,
    )


def small_tree() -> FolderTree:
    """A bucket a person can check by eye: the numbers the browser's tests expect on screen come from here.

    photos/ (s3://photos/): 2 own objects; 2023/ (jan/, feb/); 2024/ (the largest); logs/ (many small
    objects, deeper folders folded into it); and a hostile name full of control characters and markup.
    """
    jan = folder(
        "jan/",
        objects={"STANDARD": 3, "GLACIER": 1},
        sizes={"STANDARD": 3_000_000, "GLACIER": 10_000_000},
        newest="2023-01-31T10:00:00.000Z",
        oldest="2023-01-02T08:00:00.000Z",
    )
    feb = folder(
        "feb/",
        objects={"STANDARD": 2},
        sizes={"STANDARD": 2_000_000},
        newest="2023-02-20T10:00:00.000Z",
        oldest="2023-02-01T08:00:00.000Z",
    )
    y2023 = folder("2023/", children=[jan, feb])
    raw = folder(
        "raw/",
        objects={"DEEP_ARCHIVE": 40},
        sizes={"DEEP_ARCHIVE": 4_000_000_000},
        newest="2024-06-01T00:00:00.000Z",
        oldest="2024-01-01T00:00:00.000Z",
    )
    y2024 = folder(
        "2024/",
        objects={"STANDARD_IA": 5},
        sizes={"STANDARD_IA": 500_000_000},
        newest="2024-07-01T00:00:00.000Z",
        oldest="2024-02-01T00:00:00.000Z",
        children=[raw],
    )
    logs = folder(
        "logs/",
        objects={"STANDARD": 9000},
        sizes={"STANDARD": 9_000_000},
        newest="2026-11-29T00:00:00.000Z",
        oldest="2022-01-01T00:00:00.000Z",
        folded=True,
    )
    hostile = folder(
        "evil\x1b[31m[bold red]x[/]\u202e/",
        objects={"STANDARD": 1},
        sizes={"STANDARD": 7},
        newest="2025-01-01T00:00:00.000Z",
        oldest="2025-01-01T00:00:00.000Z",
    )
    root = folder(
        "",
        objects={"STANDARD": 2},
        sizes={"STANDARD": 1000},
        newest="2026-11-01T00:00:00.000Z",
        oldest="2020-05-05T00:00:00.000Z",
        children=[y2023, y2024, logs, hostile],
    )
    return FolderTree("photos", root, max_folders=8, folded=1, depth=1)


def random_tree(keys: int, folders: int, *, depth: int = 8, seed: int = 15, bucket: str = "big") -> FolderTree:
    """``folders`` folders at most ``depth`` deep, ``keys`` objects spread over them at random.

    Each new folder goes under a random earlier folder not yet at ``depth``, so the shape is bushy near the
    top and deep below; ``depth=1`` gives one folder of ``folders`` children (the flat case).
    """
    rng = random.Random(seed)
    root = Folder("")
    placed: list[tuple[Folder, int]] = [(root, 0)]
    open_parents = [0]
    for number in range(folders):
        parent, level = placed[rng.choice(open_parents)]
        child = Folder(f"d{number:06d}-{rng.randrange(1 << 20):05x}/")
        parent.children[child.name] = child
        placed.append((child, level + 1))
        if level + 1 < depth:
            open_parents.append(len(placed) - 1)
    for _ in range(keys):
        target = placed[rng.randrange(len(placed))][0]
        code = CLASSES[rng.randrange(len(CLASSES))]
        target.objects[code] = target.objects.get(code, 0) + 1
        target.bytes[code] = target.bytes.get(code, 0) + rng.randrange(1, 1 << 24)
        day = f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T00:00:00.000Z"
        if target.newest is None or day > target.newest:
            target.newest = day
        if target.oldest is None or day < target.oldest:
            target.oldest = day
    return FolderTree(bucket, root, max_folders=folders + 1)
