"""Key sources with awkward keys, and their exact counts (computed once per source)."""

from __future__ import annotations

from support.fakes3 import (
    FakeObject,
    KeySource,
    ListKeys,
)

# Characters that need URL (or XML) encoding, spread over the key space.
_TRICKY = [" ", "+", "%", "&", "<", ">", "'", '"', "\x01", "\x1f", "\t", "é", "日", "\U0001f600", "?", "#", "~"]


def tricky_keys(n: int) -> ListKeys:
    """``n`` keys where every one needs encoding, with folder markers among them."""
    objects = []
    for i in range(n):
        a, b = _TRICKY[i % len(_TRICKY)], _TRICKY[(i * 7 + 3) % len(_TRICKY)]
        key = f"{a}dir{i % 13}{b}/" if i % 50 == 0 else f"{a}dir{i % 13}{b}/f{b}{i:05d}{a}.txt"
        objects.append(FakeObject(key, (i * 31) % 5000, ("STANDARD", "STANDARD_IA", "GLACIER")[i % 3]))
    return ListKeys(objects)


# (id of the source, prefix) -> (the source, kept alive so its id is never reused; objects; bytes)
_TRUTH: dict[tuple[int, str], tuple[KeySource, dict[str, int], dict[str, int]]] = {}


def truth(source: KeySource, prefix: str = "") -> tuple[dict[str, int], dict[str, int]]:
    """(objects per class, bytes per class) of the source's keys under ``prefix``, summed from ``obj(i)``."""
    cached = _TRUTH.get((id(source), prefix))
    if cached is None:
        objects: dict[str, int] = {}
        sizes: dict[str, int] = {}
        for i in range(len(source)):
            obj = source.obj(i)
            if obj.key.startswith(prefix):
                objects[obj.storage_class] = objects.get(obj.storage_class, 0) + 1
                sizes[obj.storage_class] = sizes.get(obj.storage_class, 0) + obj.size
        cached = _TRUTH[(id(source), prefix)] = (source, objects, sizes)
    return cached[1], cached[2]
