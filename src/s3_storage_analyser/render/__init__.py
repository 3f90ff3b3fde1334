"""Renderers turn a Snapshot into text. They never fetch, and only the table and the HTML page humanise.

Each renderer is imported when its format is asked for: the formats' names and checks here are read
by every command's flags (``--help``, ``--version`` too), and rich, prometheus_client and Jinja2 take
longer to import than most commands take to parse their flags.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import UsageError

if TYPE_CHECKING:
    from ..model import Snapshot
    from ..pricing.cost import SnapshotCost

FORMATS: tuple[str, ...] = ("table", "tsv", "csv", "json", "json_pretty", "ndjson", "prometheus", "html")
# The folder trees of --by tree (tree/ncdu.py, tree/jsontree.py): only the buckets' trees, not the report.
TREE_FORMATS: tuple[str, ...] = ("ncdu", "tree_json")


def parse_format(raw: str) -> str:
    value = raw.strip().lower().replace("-", "_")
    if value not in FORMATS and value not in TREE_FORMATS:
        raise UsageError(f"Unknown format {raw!r}.", hint=f"Use one of: {', '.join((*FORMATS, *TREE_FORMATS))}.")
    return value


def check_tree_format(fmt: str, dimensions: tuple[str, ...]) -> None:
    """A tree format writes the folder tree: a scan for it must build one (before any AWS call)."""
    if fmt in TREE_FORMATS and "tree" not in dimensions:
        shown = fmt.replace("_", "-")
        raise UsageError(f"--fmt {shown} writes the folder tree, which --by tree builds.", hint="Add --by tree.")


def render(
    snapshot: Snapshot,
    fmt: str,
    *,
    unit: str | None = None,
    color: bool = False,
    cost: SnapshotCost | None = None,
    history: dict[str, Any] | None = None,
) -> str:
    """The whole output for one format; ``unit`` None means exact bytes (or auto in the table).

    ``cost`` (the snapshot's ``pricing.cost_snapshot``) adds the monthly cost to every format; None leaves
    each output exactly as it is without prices. ``history`` (``html.history.history_data``) adds the
    history section to the HTML page; the other formats ignore it.
    """
    if fmt == "table":
        from . import table

        return table.render(snapshot, unit=unit or "auto", color=color, cost=cost)
    if fmt in ("tsv", "csv"):
        from . import delimited

        return delimited.render(snapshot, fmt=fmt, unit=unit, cost=cost)
    if fmt in ("json", "json_pretty", "ndjson"):
        from . import jsonfmt

        if fmt == "ndjson":
            return jsonfmt.render_lines(snapshot, cost=cost)
        return jsonfmt.render(snapshot, indent=2 if fmt == "json_pretty" else None, cost=cost)
    if fmt == "prometheus":
        from . import prometheus

        return prometheus.render(snapshot, cost=cost)
    if fmt == "html":
        from . import html  # Jinja2 and the page's assets only when asked

        return html.render(snapshot, cost=cost, history=history)
    if fmt == "ncdu":
        from ..tree.ncdu import render_ncdu

        return render_ncdu(snapshot)
    if fmt == "tree_json":
        from ..tree.jsontree import render_tree_json

        return render_tree_json(snapshot)
    raise UsageError(f"Unknown format {fmt!r}.", hint=f"Use one of: {', '.join(FORMATS)}.")
