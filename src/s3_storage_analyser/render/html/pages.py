"""The service's pages: the report's sections around one layout, with navigation, sign-in and forms.

The pages reuse the HTML report's templates and script (``report.html.j2``'s sections, ``report.js``);
what differs is that assets are linked from the service (``/static/...``, cached by the browser)
rather than inlined, and that the layout carries the navigation and the signed-in browser's CSRF
token. Every number is the JSON API's: the data blocks are ``jsonfmt.snapshot_dict`` as
``/api/v1/report`` answers it.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

from jinja2 import Environment

from ... import __version__
from ...units import humanise
from ..costs import humanise_money
from . import class_meta, environment, script_json, summary

STATIC = "/static"
# Each breakdown table on a bucket page shows at most this many rows (the JSON has them all).
BREAKDOWN_ROWS = 200


def _signed(value: int) -> str:
    return f"{value:+,}" if value else "0"


def _signed_bytes(value: int) -> str:
    return ("+" if value > 0 else "-" if value < 0 else "") + humanise(abs(value))


def _signed_money(amount: str | Decimal | None) -> str:
    if amount is None:
        return "unknown"
    value = Decimal(amount)
    return ("+" if value > 0 else "") + humanise_money(value)


@cache
def page_environment() -> Environment:
    """The report's environment (autoescape, its filters) with the pages' own filters on top."""
    env = environment().overlay()
    env.filters = dict(env.filters)  # an overlay shares its parent's filters: keep the report's own unchanged
    env.filters["signed"] = _signed
    env.filters["signed_bytes"] = _signed_bytes
    env.filters["signed_money"] = _signed_money
    return env


def render_page(template: str, **context: Any) -> str:
    """A page: ``pages/<template>.html.j2`` with the layout's common context filled in."""
    context.setdefault("csrf", "")
    context.setdefault("signed_in", False)
    return (
        page_environment()
        .get_template(f"pages/{template}.html.j2")
        .render(static=STATIC, version=__version__, **context)
    )


def overview_context(data: dict[str, Any]) -> dict[str, Any]:
    """What the overview's report sections need, from the JSON report (computed once per snapshot)."""
    return {
        "data": data,
        "data_json": script_json(data),
        "classes_json": script_json(class_meta(data)),
        "s": summary(data),
        "cost": data.get("Cost"),
    }


def bucket_context(data: dict[str, Any], bucket: dict[str, Any]) -> dict[str, Any]:
    """A bucket page's context: the bucket's JSON entry and its classes (as the report's classes table)."""
    one = {**data, "Buckets": [bucket]}
    costs = bucket.get("CostByClass") or {}
    classes = []
    for row in summary(one)["classes"]:
        if row["bytes"] or row["Code"] in costs:
            classes.append({**row, "cost": costs.get(row["Code"])})
    return {"data": data, "b": bucket, "classes": classes, "cost": data.get("Cost"), "row_limit": BREAKDOWN_ROWS}
