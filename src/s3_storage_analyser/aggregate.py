"""Breakdowns of a bucket's objects, each defined once and mergeable, and their registry.

Every breakdown is an accumulator with ``add`` (one object), ``merge``
(another accumulator of the same kind, from another key range or worker) and
``rows`` (the result). Memory is bounded whatever the bucket holds: prefix and
extension tables fold their smallest entries into ``(other)`` when they grow
past a cap, so totals stay exact. The bucket edges and labels here are the
single definition the inventory strategy reuses.

``DIMENSIONS`` (at the end) maps each ``--by`` name to its accumulator, its SQL
form for inventory reports and its labels; adding a breakdown is one ``register``.
"""

from __future__ import annotations

import heapq
import string
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from .model import BreakdownRow, Usage
from .storage_classes import sort_classes
from .tree.builder import DEFAULT_MAX_FOLDERS, TreeBreakdown

__all__ = [  # BreakdownRow is defined with the data, in model, and re-exported here
    "AGE_EDGES_DAYS",
    "AGE_LABELS",
    "DIMENSIONS",
    "GIB",
    "KIB",
    "MIB",
    "NO_EXTENSION",
    "NO_PREFIX",
    "OTHER",
    "SIZE_EDGES",
    "SIZE_LABELS",
    "AgeBreakdown",
    "AgeClassBreakdown",
    "Breakdown",
    "BreakdownRow",
    "BreakdownSpec",
    "Columns",
    "Dimension",
    "ExtensionBreakdown",
    "PrefixBreakdown",
    "SizeBreakdown",
    "TopObjects",
    "age_cutoffs",
    "dimensions_shaped_by",
    "merge_all",
    "register",
]

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

AGE_EDGES_DAYS: tuple[int, ...] = (30, 90, 365, 730, 1825)
AGE_LABELS: tuple[str, ...] = ("<30 d", "30-90 d", "90 d-1 y", "1-2 y", "2-5 y", ">=5 y")
# 128 KiB is the minimum billable size of IA, One Zone-IA, Glacier IR and Intelligent-Tiering objects.
SIZE_EDGES: tuple[int, ...] = (1, 128 * KIB, MIB, 16 * MIB, 128 * MIB, GIB, 5 * GIB)
SIZE_LABELS: tuple[str, ...] = (
    "0 B",
    "<128 KiB",
    "128 KiB-1 MiB",
    "1-16 MiB",
    "16-128 MiB",
    "128 MiB-1 GiB",
    "1-5 GiB",
    ">=5 GiB",
)
OTHER = "(other)"
NO_PREFIX = "(no prefix)"
NO_EXTENSION = "(none)"


class Breakdown(Protocol):
    """A mergeable accumulator over objects."""

    dimension: str

    def add(self, key: str, size: int, storage_class: str, last_modified: str) -> None: ...

    def merge(self, other: Breakdown) -> None: ...

    def rows(self) -> list[BreakdownRow]: ...


_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ASCII_LOWER = str.maketrans(_UPPER, _UPPER.lower())


def _re_literal(text: str) -> str:
    """Text matched literally by RE2."""
    return "".join("\\" + ch if ch in string.punctuation else ch for ch in text)


def _re_class(char: str) -> str:
    """One character, safe inside an RE2 character class."""
    return "\\" + char if char in string.punctuation else char


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _bump(table: dict[str, list[int]], key: str, size: int) -> None:
    cell = table.get(key)
    if cell is None:
        table[key] = [1, size]
    else:
        cell[0] += 1
        cell[1] += size


def _fold(table: dict[str, list[int]], keep: int) -> None:
    """Keep the ``keep`` largest entries by bytes; fold the rest into ``(other)``."""
    other = table.pop(OTHER, [0, 0])
    ranked = sorted(table.items(), key=lambda item: item[1][1], reverse=True)
    for key, (objects, size) in ranked[keep:]:
        other[0] += objects
        other[1] += size
        del table[key]
    if other[0]:
        table[OTHER] = other


def _merge_tables(into: dict[str, list[int]], other: dict[str, list[int]]) -> None:
    for key, (objects, size) in other.items():
        cell = into.get(key)
        if cell is None:
            into[key] = [objects, size]
        else:
            cell[0] += objects
            cell[1] += size


def _ranked_rows(dimension: str, table: dict[str, list[int]], top: int) -> list[BreakdownRow]:
    ranked = sorted(((k, v) for k, v in table.items() if k != OTHER), key=lambda kv: (-kv[1][1], kv[0]))
    rows = [BreakdownRow(dimension, k, v[0], v[1]) for k, v in ranked[:top]]
    rest_objects = sum(v[0] for _, v in ranked[top:]) + table.get(OTHER, [0, 0])[0]
    rest_bytes = sum(v[1] for _, v in ranked[top:]) + table.get(OTHER, [0, 0])[1]
    if rest_objects:
        rows.append(BreakdownRow(dimension, OTHER, rest_objects, rest_bytes))
    return rows


class PrefixBreakdown:
    """Objects and bytes per prefix, for every level down to ``depth``.

    A key counts towards each of its prefixes (``a/``, ``a/b/``...) up to the depth;
    keys with no delimiter at all are counted as ``(no prefix)`` at level 1.
    """

    dimension = "prefix"

    def __init__(self, depth: int = 1, delimiter: str = "/", top: int = 20, cap: int = 5000) -> None:
        self.depth = depth
        self.delimiter = delimiter
        self.top = top
        self.cap = max(cap, 4 * top)
        self.levels: list[dict[str, list[int]]] = [{} for _ in range(depth)]

    def add(self, key: str, size: int, storage_class: str, last_modified: str) -> None:
        parts = key.split(self.delimiter, self.depth)
        if len(parts) == 1:
            _bump(self.levels[0], NO_PREFIX, size)
            return
        prefix = ""
        for level in range(len(parts) - 1):
            prefix += parts[level] + self.delimiter
            table = self.levels[level]
            _bump(table, prefix, size)
            if len(table) > self.cap:
                _fold(table, self.cap // 2)

    def sql(self, key: str) -> str:
        """The key's deepest prefix down to ``depth`` in SQL (DuckDB): one anchored regular expression,
        ``''`` where the key has no delimiter. ``add_group`` rolls it up to every level, so each key is
        searched once however deep the breakdown (a regex per level cost twice as much in DuckDB)."""
        d = self.delimiter
        # (?s): a multi-character delimiter's lazy ".*?" must cross newlines, which keys may hold.
        segment = f"[^{_re_class(d)}]*{_re_literal(d)}" if len(d) == 1 else f"(?s:.*?){_re_literal(d)}"
        return f"regexp_extract({key}, {_sql_literal(f'^(?:{segment}){{1,{self.depth}}}')})"

    def add_group(self, deepest: str, objects: int, size: int) -> None:
        """Counts grouped elsewhere by what ``sql`` yields: they count towards each of its prefixes."""
        if not deepest:
            self._add_cell(0, NO_PREFIX, objects, size)
            return
        parts = deepest.split(self.delimiter)
        prefix = ""
        for level in range(len(parts) - 1):
            prefix += parts[level] + self.delimiter
            self._add_cell(level, prefix, objects, size)

    def _add_cell(self, level: int, prefix: str, objects: int, size: int) -> None:
        table = self.levels[level]
        cell = table.get(prefix)
        if cell is None:
            table[prefix] = [objects, size]
            if len(table) > self.cap:
                _fold(table, self.cap // 2)
        else:
            cell[0] += objects
            cell[1] += size

    def merge(self, other: Breakdown) -> None:
        assert isinstance(other, PrefixBreakdown)
        for mine, theirs in zip(self.levels, other.levels, strict=True):
            _merge_tables(mine, theirs)
            if len(mine) > self.cap:
                _fold(mine, self.cap // 2)

    def rows(self) -> list[BreakdownRow]:
        return [row for table in self.levels for row in _ranked_rows(self.dimension, table, self.top)]


class ExtensionBreakdown:
    """Objects and bytes per file extension (ASCII letters lower-cased), the largest ``top`` by bytes.

    Only A-Z are folded: Unicode case rules differ between Python and DuckDB
    (``İ``, final ``Σ``), and both strategies must name an extension the same way.
    """

    dimension = "extension"

    def __init__(self, top: int = 20, cap: int = 5000) -> None:
        self.top = top
        self.cap = max(cap, 4 * top)
        self.table: dict[str, list[int]] = {}

    @staticmethod
    def fold(extension: str) -> str:
        """Case folding of A-Z only (SQL engines and Python disagree on the rest of Unicode)."""
        return extension.translate(_ASCII_LOWER)

    @classmethod
    def extension(cls, key: str) -> str:
        name = key[key.rfind("/") + 1 :]
        dot = name.rfind(".")
        if dot <= 0 or dot == len(name) - 1 or len(name) - dot > 12:
            return NO_EXTENSION
        return cls.fold(name[dot + 1 :])

    def add(self, key: str, size: int, storage_class: str, last_modified: str) -> None:
        _bump(self.table, self.extension(key), size)
        if len(self.table) > self.cap:
            _fold(self.table, self.cap // 2)

    @staticmethod
    def sql(key: str) -> str:
        """The extension in SQL, with the character and dot before it (``'e.txt'``), or ``''``: the one
        match of a short end-anchored regex without a capture group, the cheapest form measured in DuckDB.
        ``add_group`` strips those two characters and folds the case of the few distinct groups."""
        return rf"regexp_extract({key}, '[^/]\.[^./]{{1,11}}$')"

    def add_group(self, found: str, objects: int, size: int) -> None:
        """Counts grouped elsewhere by what ``sql`` yields."""
        extension = self.fold(found[2:]) if found else NO_EXTENSION
        cell = self.table.setdefault(extension, [0, 0])
        cell[0] += objects
        cell[1] += size
        if len(self.table) > self.cap:
            _fold(self.table, self.cap // 2)

    def merge(self, other: Breakdown) -> None:
        assert isinstance(other, ExtensionBreakdown)
        _merge_tables(self.table, other.table)
        if len(self.table) > self.cap:
            _fold(self.table, self.cap // 2)

    def rows(self) -> list[BreakdownRow]:
        return _ranked_rows(self.dimension, self.table, self.top)


class _Histogram:
    dimension = ""
    labels: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.counts = [0] * len(self.labels)
        self.sizes = [0] * len(self.labels)

    def _bin(self, size: int, last_modified: str) -> int:
        raise NotImplementedError

    def add(self, key: str, size: int, storage_class: str, last_modified: str) -> None:
        index = self._bin(size, last_modified)
        self.counts[index] += 1
        self.sizes[index] += size

    def add_group(self, index: int, objects: int, size: int) -> None:
        self.counts[index] += objects
        self.sizes[index] += size

    def merge(self, other: Breakdown) -> None:
        assert isinstance(other, _Histogram)
        for i in range(len(self.labels)):
            self.counts[i] += other.counts[i]
            self.sizes[i] += other.sizes[i]

    def rows(self) -> list[BreakdownRow]:
        return [
            BreakdownRow(self.dimension, label, c, s)
            for label, c, s in zip(self.labels, self.counts, self.sizes, strict=True)
        ]


class SizeBreakdown(_Histogram):
    """Objects per size band; the 128 KiB edge shows what IA-class minimums would bill."""

    dimension = "size"
    labels = SIZE_LABELS

    def _bin(self, size: int, last_modified: str) -> int:
        return bisect_right(SIZE_EDGES, size)

    @staticmethod
    def sql(size: str) -> str:
        """``bisect_right(SIZE_EDGES, size)`` in SQL: how many edges are <= size."""
        return " + ".join(f"({size} >= {edge})::INTEGER" for edge in SIZE_EDGES)


def age_cutoffs(now: datetime) -> list[str]:
    """ISO-8601 cut-offs (oldest first) to compare LastModified strings with, no datetime per key."""
    utc = now.astimezone(UTC)  # LastModified is always UTC
    return [(utc - timedelta(days=d)).strftime("%Y-%m-%dT%H:%M:%S") for d in reversed(AGE_EDGES_DAYS)]


class AgeBreakdown(_Histogram):
    """Objects per LastModified age band, relative to ``now``."""

    dimension = "age"
    labels = AGE_LABELS

    def __init__(self, now: datetime) -> None:
        super().__init__()
        self.cutoffs = age_cutoffs(now)

    def _bin(self, size: int, last_modified: str) -> int:
        return len(self.cutoffs) - bisect_left(self.cutoffs, last_modified[:19])

    def sql(self, last_modified: str, *, timestamp: bool = False) -> str:
        """The same bin in SQL: cut-offs strictly before the (whole-second) time are subtracted.

        Over ISO-8601 text (CSV reports) the first 19 characters are compared, as in
        Python; over a TIMESTAMP column (Parquet, ORC) the cut-offs are timestamps,
        which spares formatting every row.
        """
        if timestamp:
            # a whole-second cut-off is before the time's second exactly when the time is a second or more
            # past it; a missing time counts as oldest, as the empty string does in Python
            after = [datetime.fromisoformat(c) + timedelta(seconds=1) for c in self.cutoffs]
            older = " + ".join(
                f"coalesce({last_modified} >= TIMESTAMP '{a:%Y-%m-%d %H:%M:%S}', false)::INTEGER" for a in after
            )
        else:
            older = " + ".join(f"({_sql_literal(c)} < left({last_modified}, 19))::INTEGER" for c in self.cutoffs)
        return f"{len(self.cutoffs)} - ({older})"


class AgeClassBreakdown:
    """Objects and bytes per (LastModified age band, storage class): which classes old objects sit in.

    Rows go by age band (``AGE_LABELS`` order), then class (``sort_classes``); only cells holding
    objects are shown, as the classes are open-ended. ``s3sa advise`` reads it to find objects in
    STANDARD older than some number of days.
    """

    dimension = "age-class"

    def __init__(self, now: datetime) -> None:
        self.age = AgeBreakdown(now)  # its bands and their SQL form
        self.cutoffs = self.age.cutoffs
        self.table: dict[tuple[int, str], list[int]] = {}

    def add(self, key: str, size: int, storage_class: str, last_modified: str) -> None:
        ident = (len(self.cutoffs) - bisect_left(self.cutoffs, last_modified[:19]), storage_class)
        cell = self.table.get(ident)
        if cell is None:
            self.table[ident] = [1, size]
        else:
            cell[0] += 1
            cell[1] += size

    def sql(self, last_modified: str, storage_class: str, *, timestamp: bool = False) -> str:
        """``<age band index>:<class>`` in SQL; ``add_group`` splits it at the first colon."""
        return f"CAST({self.age.sql(last_modified, timestamp=timestamp)} AS VARCHAR) || ':' || {storage_class}"

    def add_group(self, value: str, objects: int, size: int) -> None:
        """Counts grouped elsewhere by what ``sql`` yields."""
        index, _, storage_class = value.partition(":")
        cell = self.table.setdefault((int(index), storage_class), [0, 0])
        cell[0] += objects
        cell[1] += size

    def merge(self, other: Breakdown) -> None:
        assert isinstance(other, AgeClassBreakdown)
        for ident, (objects, size) in other.table.items():
            cell = self.table.get(ident)
            if cell is None:
                self.table[ident] = [objects, size]
            else:
                cell[0] += objects
                cell[1] += size

    def rows(self) -> list[BreakdownRow]:
        order = {code: i for i, code in enumerate(sort_classes({code for _, code in self.table}))}
        return [
            BreakdownRow(self.dimension, AGE_LABELS[index], objects, size, storage_class)
            for (index, storage_class), (objects, size) in sorted(
                self.table.items(), key=lambda item: (item[0][0], order[item[0][1]])
            )
            if objects
        ]


class _LargerKeyFirst(str):
    """Reverses string order inside the min-heap: among equal sizes the larger key is dropped first."""

    __slots__ = ()

    def __lt__(self, other: str) -> bool:
        return str.__gt__(self, other)

    def __gt__(self, other: str) -> bool:
        return str.__lt__(self, other)


class TopObjects:
    """The ``n`` largest objects; among equal sizes the smallest keys win (as SQL's
    ``ORDER BY size DESC, key``), whatever order objects and merges arrive in."""

    dimension = "top"

    def __init__(self, n: int = 10) -> None:
        self.n = n
        # min-heap of (size, key) where the root is the worst kept: smallest size, then largest key
        self.heap: list[tuple[int, _LargerKeyFirst, str, str]] = []

    def _offer(self, item: tuple[int, _LargerKeyFirst, str, str]) -> None:
        if len(self.heap) < self.n:
            heapq.heappush(self.heap, item)
        elif item[:2] > self.heap[0][:2]:
            heapq.heapreplace(self.heap, item)

    def add(self, key: str, size: int, storage_class: str, last_modified: str) -> None:
        if len(self.heap) < self.n or size >= self.heap[0][0]:
            self._offer((size, _LargerKeyFirst(key), storage_class, last_modified))

    def merge(self, other: Breakdown) -> None:
        assert isinstance(other, TopObjects)
        for item in other.heap:
            self._offer(item)

    def rows(self) -> list[BreakdownRow]:
        ranked = sorted(self.heap, key=lambda item: (-item[0], str(item[1])))
        return [BreakdownRow(self.dimension, str(key), 1, size, sc, lm) for size, key, sc, lm in ranked]


@dataclass(frozen=True)
class BreakdownSpec:
    """Which breakdowns to compute; ``make`` builds fresh accumulators (one per key range).

    Its field defaults are the ``--depth``, ``--delimiter``, ``--limit`` and ``--top`` defaults
    (config's table reads them from here)."""

    dimensions: tuple[str, ...] = ()
    depth: int = 1
    delimiter: str = "/"
    limit: int = 20
    top_objects: int = 0
    now: datetime | None = None
    tree_folders: int = DEFAULT_MAX_FOLDERS  # --tree-folders: folders a --by tree keeps before folding

    def make(self) -> list[Breakdown]:
        made = [made for name in self.dimensions if (made := DIMENSIONS[name].accumulator(self)) is not None]
        if self.top_objects:
            made.append(TopObjects(self.top_objects))
        return made

    @property
    def needs_keys(self) -> bool:
        """Whether any breakdown needs each object (not only the totals per class)."""
        return any(DIMENSIONS[name].make is not None for name in self.dimensions) or self.top_objects > 0


@dataclass(frozen=True)
class Columns:
    """The names an inventory query gives an object's fields, for a dimension's SQL form."""

    key: str = "k"
    size: str = "s"
    last_modified: str = "m"
    storage_class: str = "c"
    timestamps: bool = False  # last_modified is a TIMESTAMP column (Parquet, ORC), not ISO-8601 text (CSV)


@dataclass(frozen=True)
class Dimension:
    """One ``--by`` breakdown, defined once: the CLI choices, the listing, the inventory query and the
    renderers all read it from ``DIMENSIONS``.

    ``make`` builds the accumulator the listing feeds each object to (``add``); ``sql`` is the same
    grouping as an SQL expression over an inventory report's ``Columns``, whose groups the accumulator
    takes (``add_group``); ``derive`` builds the rows from a bucket's totals instead, for a breakdown
    that needs no object (storage class). ``settings`` are the flags that shape it (their ``dest``
    names), refused without it; ``labels`` its fixed rows in order, where it has them.

    Register at import of this module (or of one the listing workers import): worker processes are
    spawned, so they know only the dimensions registered on import."""

    name: str
    make: Callable[[BreakdownSpec], Breakdown] | None = None
    sql: Callable[[Any, Columns], str] | None = None
    derive: Callable[[Usage], list[BreakdownRow]] | None = None
    settings: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    title: str = ""  # the section's title in the table, after the bucket's name

    def accumulator(self, spec: BreakdownSpec) -> Breakdown | None:
        return self.make(spec) if self.make is not None else None

    @property
    def heading(self) -> str:
        return self.title or f"by {self.name}"


DIMENSIONS: dict[str, Dimension] = {}  # in the order the CLI lists them


def register(dimension: Dimension) -> Dimension:
    """Add (or replace) a dimension: the one step a new breakdown needs."""
    DIMENSIONS[dimension.name] = dimension
    return dimension


def dimensions_shaped_by(setting: str) -> tuple[str, ...]:
    """The dimensions a setting (by ``dest`` name) shapes: ``--limit`` -> prefix, extension."""
    return tuple(name for name, dimension in DIMENSIONS.items() if setting in dimension.settings)


def _class_rows(usage: Usage) -> list[BreakdownRow]:
    """Objects and bytes per storage class: the totals every strategy has, as breakdown rows."""
    return [
        BreakdownRow("storage-class", code, usage.objects_by_class.get(code, 0), usage.bytes_by_class[code])
        for code in sort_classes(list(usage.bytes_by_class))
    ]


register(
    Dimension(
        "prefix",
        make=lambda spec: PrefixBreakdown(spec.depth, spec.delimiter, spec.limit),
        sql=lambda breakdown, columns: breakdown.sql(columns.key),
        settings=("depth", "delimiter", "limit"),
    )
)
register(Dimension("storage-class", derive=_class_rows))
register(
    Dimension(
        "age",
        make=lambda spec: AgeBreakdown(spec.now or datetime.now(UTC)),
        sql=lambda breakdown, columns: breakdown.sql(columns.last_modified, timestamp=columns.timestamps),
        labels=AGE_LABELS,
    )
)
register(
    Dimension(
        "age-class",
        make=lambda spec: AgeClassBreakdown(spec.now or datetime.now(UTC)),
        sql=lambda breakdown, columns: breakdown.sql(
            columns.last_modified, columns.storage_class, timestamp=columns.timestamps
        ),
        title="by age and storage class",
    )
)
register(
    Dimension(
        "size",
        make=lambda spec: SizeBreakdown(),
        sql=lambda breakdown, columns: breakdown.sql(columns.size),
        labels=SIZE_LABELS,
    )
)
register(
    Dimension(
        "extension",
        make=lambda spec: ExtensionBreakdown(spec.limit),
        sql=lambda breakdown, columns: breakdown.sql(columns.key),
        settings=("limit",),
    )
)

register(
    Dimension(
        "tree",
        make=lambda spec: TreeBreakdown(spec.delimiter, spec.tree_folders, spec.limit),
        sql=lambda breakdown, columns: folder_sql(columns.key, breakdown.delimiter),
        settings=("delimiter", "tree_folders", "limit"),
        title="folder tree (first level)",
    )
)


def folder_sql(key: str, delimiter: str) -> str:
    """A key's folder (up to its last delimiter, found left to right as ``tree.builder.folder_of`` does) in
    SQL (DuckDB), ``''`` for a key in the root: one anchored regular expression."""
    d = delimiter
    if len(d) == 1:
        return f"regexp_extract({key}, {_sql_literal(f'^(?s:.*){_re_literal(d)}')})"
    return f"regexp_extract({key}, {_sql_literal(f'^(?:(?s:.*?){_re_literal(d)})*')})"


def merge_all(into: Sequence[Breakdown], other: Sequence[Breakdown]) -> None:
    for mine, theirs in zip(into, other, strict=True):
        mine.merge(theirs)
