"""One snapshot as a self-contained HTML page: ``--fmt html``.

The page is one file that opens offline: its CSS, its script, the vendored Apache ECharts (``assets/``,
see its README) and the data are inlined. The data is exactly the JSON report (``jsonfmt.snapshot_dict``)
in a ``<script type="application/json">`` block; the summary tables are rendered here with Jinja2 from the
same dict, the treemap and the bucket table by ``assets/report.js`` from the data block.

Names, keys, regions and messages come from servers and are untrusted. They reach the page two ways only:
Jinja2's autoescape (with the characters ``safetext.UNSAFE`` names written as character references, so no
raw bidi mark or control is in the file), or the JSON block, where ``<``, ``>`` and ``&`` are ``\\u``
escapes so that no ``</script>`` or ``<!--`` can end or change the script element. The script only ever
sets ``textContent``. The templates are meant to be reused by the service's pages.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from ... import __version__
from ...model import Snapshot
from ...pricing.cost import SnapshotCost
from ...safetext import UNSAFE
from ...storage_classes import KNOWN_CLASSES, class_info, sort_classes
from ...units import humanise, plural
from ..costs import humanise_money
from ..jsonfmt import dumps, snapshot_dict

# common.js: the helpers the three scripts share, loaded (or inlined) ahead of them.
ASSETS = (
    "common.js",
    "report.css",
    "report.js",
    "echarts.min.js",
    "pages.css",
    "diff.css",
    "diff.js",
    "history.css",
    "history.js",
)
_SCRIPT_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_SCRIPT_UNSAFE_RE = re.compile("[<>&\u2028\u2029]")
_END_TAG = re.compile(r"</(script|style)|<!--", re.IGNORECASE)


def script_json(value: Any) -> Markup:
    """JSON for a ``<script type="application/json">`` block: what ``JSON.parse`` reads back as ``value``.

    ``jsonfmt.dumps`` already writes controls, bidi marks, separators and lone surrogates as ``\\u``
    escapes; ``<``, ``>``, ``&`` (and U+2028/2029, should they be left) are escaped too, so the text can
    neither close the element nor open a comment in it. They only occur inside JSON strings, where the
    escape means the same character.
    """
    text = dumps(value)
    return Markup(_SCRIPT_UNSAFE_RE.sub(lambda m: _SCRIPT_UNSAFE[m.group()], text))


def _finalize(value: Any) -> Any:
    """Autoescape, and the unsafe characters as numeric references: the page shows them, the file holds none raw."""
    if value is None or isinstance(value, Markup):
        return value
    escaped = str(escape(value))
    return Markup(UNSAFE.sub(lambda m: f"&#x{ord(m.group()):x};", escaped))


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("s3_storage_analyser.render.html", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["bytes"] = human_bytes
    env.filters["count"] = lambda n: f"{n:,}"
    env.filters["money"] = human_money
    env.filters["plural"] = plural
    env.filters["script_json"] = script_json  # a data block in a reusable template (history.html.j2)
    return env


@cache
def asset(name: str) -> Markup:
    """A vendored or own asset, inlined as is; one that could end its element is refused, not written."""
    return inline(name, files(__name__).joinpath("assets", name).read_text(encoding="utf-8"))


def inline(name: str, text: str) -> Markup:
    """``text`` to go inside a ``<script>`` or ``<style>`` element as is, refused if it could end it early."""
    if _END_TAG.search(text) or UNSAFE.search(text.replace("\n", "")):
        raise ValueError(f"asset {name} cannot be inlined: it holds an end tag, a comment or a raw control")
    return Markup(text)


def human_bytes(num: int) -> str:
    return humanise(num)


def human_money(amount: str | None) -> str:
    return "unknown" if amount is None else humanise_money(Decimal(amount))


def class_meta(data: dict[str, Any]) -> list[dict[str, str]]:
    """Each storage-class JSON key the data holds, with its class code and names, in the report's order."""
    code_of = {info.json_key: code for code, info in KNOWN_CLASSES.items()}
    keys = dict.fromkeys(k for b in data["Buckets"] for k in b if k.startswith("Bytes-"))
    codes = {code_of.get(k, k.removeprefix("Bytes-")): k for k in keys}
    return [
        {"Code": code, "Key": codes[code], "Column": class_info(code).column, "Name": class_info(code).name}
        for code in sort_classes(list(codes))
    ]


_HIDDEN = (
    "NoncurrentFiles",
    "NoncurrentBytes",
    "DeleteMarkers",
    "IncompleteUploads",
    "IncompleteUploadParts",
    "IncompleteUploadBytes",
)
HIDDEN_ROWS = 100


def _hidden_weight(bucket: dict[str, Any]) -> int:
    return int(bucket.get("NoncurrentBytes") or 0) + int(bucket.get("IncompleteUploadBytes") or 0)


def summary(data: dict[str, Any]) -> dict[str, Any]:
    """What the page's tables show, all from the JSON report: totals, classes, hidden costs."""
    buckets: list[dict[str, Any]] = data["Buckets"]
    cost: dict[str, Any] | None = data.get("Cost")
    total_bytes = sum(int(b["Bytes"]) for b in buckets)
    classes = []
    for meta in class_meta(data):
        code = meta["Code"]
        size = sum(int(b.get(meta["Key"]) or 0) for b in buckets)
        counted = [b["FilesByClass"] for b in buckets if "FilesByClass" in b]
        amount = cost["ByClass"].get(code) if cost else None
        if not size and amount is None:
            continue
        classes.append(
            {
                **meta,
                "bytes": size,
                "share": f"{100 * size / total_bytes:.1f} %" if total_bytes else "",
                "files": sum(int(c.get(code, 0)) for c in counted) if counted else None,
                "cost": amount,
            }
        )
    hidden = {key: sum(int(b.get(key) or 0) for b in buckets) for key in _HIDDEN}
    rows = sorted((b for b in buckets if any(b.get(k) for k in _HIDDEN)), key=_hidden_weight, reverse=True)
    return {
        "buckets": len(buckets),
        "bytes": total_bytes,
        "files": sum(int(b["Files"]) for b in buckets),
        "classes": classes,
        "versions": any("NoncurrentBytes" in b for b in buckets),
        "uploads": any("IncompleteUploads" in b for b in buckets),
        "hidden": hidden,
        "hidden_rows": rows[:HIDDEN_ROWS],
        "hidden_more": max(0, len(rows) - HIDDEN_ROWS),
        "unpriced": [(b["Bucket"], u) for b in buckets for u in b.get("Unpriced", ())],
    }


def render(snapshot: Snapshot, cost: SnapshotCost | None = None, history: dict[str, Any] | None = None) -> str:
    """The page; ``cost`` adds the monthly cost (and the prices used) wherever the JSON report has it.

    ``history`` (``history.history_data``'s dict) adds the history section, its data block and its script.
    """
    data = snapshot_dict(snapshot, cost)
    template = environment().get_template("report.html.j2")
    return template.render(
        data=data,
        data_json=script_json(data),
        classes_json=script_json(class_meta(data)),
        s=summary(data),
        cost=data.get("Cost"),
        version=__version__,
        css=asset("report.css"),
        common=asset("common.js"),  # the helpers report.js and history.js share, ahead of them
        script=asset("report.js"),
        echarts=asset("echarts.min.js"),
        history=history,
        history_css=asset("history.css") if history else "",
        history_script=asset("history.js") if history else "",
    )
