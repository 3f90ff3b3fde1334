"""The service's pages for people: overview, bucket, history, scans, and sign-in.

A browser asking ``/`` for ``text/html`` gets the overview; ``/?fmt=...`` and every other client keep
0.1's answers. Pages show stored snapshots only, like the API, and every number on them is the API's
(the same ``snapshot_dict`` in the same data block). The token is asked for once, by the sign-in form;
after that a session cookie (``session``) stands for it. A page a visitor may not see redirects to the
sign-in form and carries no data. Responses forbid framing and load nothing from elsewhere (CSP).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from ..changes import baselines
from ..model import Snapshot
from ..pricing.book import PriceBook
from ..pricing.cost import SnapshotCost
from ..render.columns import format_instant
from ..render.costs import CostSummary
from ..render.history import summary_dict
from ..render.html.history import history_data
from ..render.html.pages import bucket_context, overview_context, render_page
from ..render.jsonfmt import failure_dict, snapshot_dict
from ..store import Store
from ..units import plural
from .auth import Access, offered_token, refuse_cross_site
from .page_headers import PAGE_HEADERS, page
from .scanner import Scanner
from .session import masked
from .signin import add_signin, form_session, read_form, start_session
from .spliced import SLOT, SplicedPage, accepts_gzip
from .static import add_static

log = logging.getLogger("s3_storage_analyser.server")

HISTORY_POINTS = 100  # snapshots drawn in a history chart
HISTORY_ROWS = 1000  # snapshots listed on the history page
ADVICE_ROWS = 10


@dataclass(frozen=True)
class Site:
    """What the pages read, injected by ``create_app``."""

    store: Store
    scanner: Scanner
    access: Access
    latest: Callable[[], tuple[int, Snapshot] | None]
    cost_of: Callable[[int, Snapshot], SnapshotCost | None]
    known_costs: Callable[[list[int]], dict[int, CostSummary]]
    book: PriceBook | None


class _Views:
    """Per-snapshot page parts, kept like rendered API bodies (a stored snapshot never changes). Thread-safe:
    FastAPI runs the page handlers on a thread pool."""

    def __init__(self, size: int = 4) -> None:
        self._size = size
        self._items: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = build()  # outside the lock: a slow build must not hold up pages already kept
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


def add_pages(app: FastAPI, site: Site) -> tuple[Callable[[Request], Response], Callable[[], None]]:
    """Add the pages' routes; returns the overview's handler, which ``/`` calls for a browser, and a
    function that renders the latest overview ahead of the first visit (``serve`` runs it at start)."""
    views = _Views()
    histories = _Views(16)
    rendered_pages = _Views(16)
    access = site.access

    def signed_in_context(request: Request) -> dict[str, Any] | None:
        """The layout's context for a visitor who may see pages; None when they must sign in."""
        if access.auth.token is None:
            return {"signed_in": False, "csrf": ""}
        session = access.session(request)
        if session is not None:
            return {"signed_in": True, "csrf": masked(session.csrf)}
        if offered_token(request) and access.auth.matches(offered_token(request)):
            return {"signed_in": False, "csrf": ""}  # a script or tool with the token: no forms for it
        return None

    def to_signin(request: Request) -> Response:
        target = quote(request.scope["path"])  # the decoded path as a URL again: a name's ?, #, & or % stays
        offered = request.query_params.get("token")
        # 0.1's ?token= in a browser: trade it for a session, and drop it from the address bar.
        if access.auth.token is not None and offered and access.auth.matches(offered):
            return start_session(RedirectResponse(target, status_code=303), request, access)
        return RedirectResponse(f"/signin?next={quote(target, safe='/')}", status_code=303)

    def guarded(request: Request, build: Callable[[dict[str, Any]], Response]) -> Response:
        context = signed_in_context(request)
        if context is None or (request.query_params.get("token") and access.auth.token is not None):
            return to_signin(request)
        return build(context)

    def no_snapshot(context: dict[str, Any], active: str) -> Response:
        html = render_page(
            "nodata",
            heading="No snapshot yet",
            message="The first scan has not finished.",
            hint="It runs in the background; see Scans, or reload in a moment.",
            active=active,
            **context,
        )
        return page(html, 503)

    def history_costs(upto: int) -> dict[int, CostSummary] | None:
        """The costs of the history's points up to ``upto``, when every one is priced already (the
        start-up thread does that): a page never waits to price a hundred snapshots, it shows bytes until then."""
        ids = [s.id for s in site.store.window(HISTORY_POINTS, upto)]  # the points history_data draws
        known = site.known_costs(ids) if site.book is not None else {}
        return known if site.book is not None and len(known) == len(ids) else None

    def history_context(bucket: str | None, upto: int, costs: dict[int, CostSummary] | None) -> dict[str, Any]:
        """The history section's data, up to snapshot ``upto`` (none with a single point)."""
        data = histories.get(
            (upto, bucket, costs is not None),  # the same snapshots, the same answer: kept
            lambda: history_data(site.store, bucket=bucket, upto=upto, limit=HISTORY_POINTS, costs=costs),
        )
        return {"history": data if len(data["Snapshots"]) > 1 else None}

    def cached(request: Request, key: tuple[Any, ...], context: dict[str, Any], render: Callable[[], str]) -> Response:
        """The page kept rendered and compressed (``spliced``), with this response's CSRF token put in."""
        spliced = rendered_pages.get((*key, context["signed_in"]), lambda: SplicedPage.of(render()))
        return spliced_response(request, spliced, context["csrf"])

    def spliced_response(request: Request, spliced: SplicedPage, token: str) -> Response:
        if accepts_gzip(request.headers.get("accept-encoding", "")):
            headers = {**PAGE_HEADERS, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
            return Response(spliced.gzipped(token), media_type="text/html; charset=utf-8", headers=headers)
        return Response(spliced.plain(token), media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)

    def overview_spliced(snapshot_id: int, snapshot: Snapshot, signed_in: bool) -> SplicedPage:
        costs = history_costs(snapshot_id)

        def render() -> str:
            cost = site.cost_of(snapshot_id, snapshot)
            return render_page(
                "overview",
                active="overview",
                bucket_link="/bucket/",
                snapshot_id=snapshot_id,
                changes=changes(snapshot_id),
                advice=advice(snapshot, cost),
                **history_context(None, snapshot_id, costs),
                **overview_context(snapshot_dict(snapshot, cost)),
                signed_in=signed_in,
                csrf=SLOT,
            )

        key = (snapshot_id, "overview", costs is not None, signed_in)
        spliced: SplicedPage = rendered_pages.get(key, lambda: SplicedPage.of(render()))
        return spliced

    def overview(request: Request) -> Response:
        def build(context: dict[str, Any]) -> Response:
            found = site.latest()
            if found is None:
                return no_snapshot(context, "overview")
            return spliced_response(request, overview_spliced(*found, context["signed_in"]), context["csrf"])

        return guarded(request, build)

    def prepare() -> None:
        """Render the latest overview before anyone asks (the first took ~4 s at 2,000 buckets)."""
        found = site.latest()
        if found is not None:
            overview_spliced(*found, access.auth.token is not None)

    def changes(snapshot_id: int) -> list[dict[str, Any]]:
        rows = site.store.history(HISTORY_ROWS)
        latest = next((r for r in rows if r.id == snapshot_id), None)
        if latest is None:
            return []
        found = baselines(rows, latest)
        if all(c.baseline is None for c in found):
            return []
        ids = [snapshot_id, *(c.baseline.id for c in found if c.baseline is not None)]
        priced = site.known_costs(ids) if site.book is not None else {}
        if site.book is not None and len(priced) < len(set(ids)):  # the few needed are priced now
            load = site.store.load
            for i in ids:
                if i not in priced:
                    cost = site.cost_of(i, load(i))
                    if cost is not None:
                        priced[i] = CostSummary.of(cost)
        out = []
        for change in found:
            base = change.baseline
            cost_change: Decimal | None = None
            if base is not None and snapshot_id in priced and base.id in priced:
                now, then = priced[snapshot_id].total, priced[base.id].total
                cost_change = None if now is None or then is None else now - then
            out.append(
                {
                    "key": change.key,
                    "label": change.label,
                    "baseline": base,
                    "baseline_at": format_instant(base.taken_at) if base else None,
                    "bytes": change.bytes(latest),
                    "objects": change.objects(latest),
                    "cost": None if cost_change is None else f"{cost_change:f}",
                }
            )
        return out

    def advice(snapshot: Snapshot, cost: SnapshotCost | None) -> dict[str, Any] | None:
        if cost is None or site.book is None:
            return None
        from ..pricing.advise import advise

        found = advise(snapshot, cost, site.book, {})
        findings = sorted(
            ((b, f) for b in found.buckets for f in b.findings),
            key=lambda item: (-(item[1].saving or 0), item[0].bucket),
        )
        names = {a.id: a.name for a in found.accounts}  # empty for one account: no Account column
        return {
            "accounts": bool(found.accounts),
            "saving": None if found.saving is None else f"{found.saving:f}",
            "prices": found.describe_sources(),
            "total": len(findings),
            "more": len(findings) > ADVICE_ROWS,
            "unavailable": "; ".join(f"{kind}: needs {needs}" for kind, needs in found.unavailable.items()),
            "findings": [
                {
                    "bucket": bucket.bucket,
                    "account": bucket.account,
                    "account_name": names.get(bucket.account, ""),
                    "title": f.title,
                    "summary": f.summary,
                    "now": None if f.cost_now is None else f"{f.cost_now:f}",
                    "saving": None if f.saving is None else f"{f.saving:f}",
                }
                for bucket, f in findings[:ADVICE_ROWS]
            ],
        }

    @app.get("/bucket/{name:path}", include_in_schema=False)
    def bucket_page(request: Request, name: str) -> Response:
        def build(context: dict[str, Any]) -> Response:
            found = site.latest()
            if found is None:
                return no_snapshot(context, "overview")
            snapshot_id, snapshot = found
            cost = site.cost_of(snapshot_id, snapshot)
            data = views.get((snapshot_id, "data"), lambda: snapshot_dict(snapshot, cost))
            bucket = next((b for b in data["Buckets"] if b["Bucket"] == name), None)
            if bucket is None:
                html = render_page(
                    "nodata",
                    heading="No such bucket",
                    message=f"The latest snapshot ({snapshot_id}) has no bucket {name}.",
                    hint="The overview lists the buckets it has.",
                    active="overview",
                    **context,
                )
                return page(html, 404)
            costs = history_costs(snapshot_id)

            def render() -> str:
                return render_page(
                    "bucket",
                    active="overview",
                    snapshot_id=snapshot_id,
                    **bucket_context(data, bucket),
                    **history_context(name, snapshot_id, costs),
                    **{**context, "csrf": SLOT},
                )

            return cached(request, (snapshot_id, "bucket", name, costs is not None), context, render)

        return guarded(request, build)

    @app.get("/history", include_in_schema=False)
    def history_page(request: Request) -> Response:
        def build(context: dict[str, Any]) -> Response:
            rows = site.store.history(HISTORY_ROWS)
            priced = site.book is not None
            known = site.known_costs([r.id for r in rows]) if priced else {}
            listed = []
            for r in rows:
                summary = known.get(r.id)
                listed.append(
                    {
                        **summary_dict(r),
                        "CostPerMonth": None if summary is None or summary.total is None else f"{summary.total:f}",
                        "Pending": priced and summary is None,
                    }
                )
            latest = rows[0].id if rows else 0
            costs = history_costs(latest) if rows else None

            def render() -> str:
                return render_page(
                    "history",
                    active="history",
                    rows=listed,
                    more=len(rows) >= HISTORY_ROWS,
                    priced=priced,
                    **(history_context(None, latest, costs) if rows else {"history": None}),
                    **{**context, "csrf": SLOT},
                )

            return cached(request, (latest, "history", len(known), len(rows)), context, render)

        return guarded(request, build)

    @app.get("/scans", include_in_schema=False)
    def scans_page(request: Request) -> Response:
        def build(context: dict[str, Any]) -> Response:
            from .app import health_dict, scan_dict  # app imports this module: import at call time

            found = site.latest()
            interval = site.scanner.interval
            html = render_page(
                "scans",
                active="scans",
                scans=[scan_dict(s) for s in site.scanner.recent()],
                running=site.scanner.running,
                every=f"every {plural(round(interval), 'second')}" if interval else "when asked (no --interval)",
                health=health_dict(site.scanner, found is not None),
                failures=[failure_dict(f) for f in found[1].failures] if found else [],
                **context,
            )
            return page(html)

        return guarded(request, build)

    @app.post("/scans", include_in_schema=False)
    async def start_from_page(request: Request) -> Response:
        refuse_cross_site(request)
        fields = await read_form(request)
        if access.auth.token is not None and form_session(access, request, fields) is None:
            return RedirectResponse("/signin?next=/scans", status_code=303)
        status = site.scanner.trigger()
        log.info("scan %d asked for from the scans page", status.id)
        return RedirectResponse("/scans", status_code=303)

    add_signin(app, access)
    add_static(app)
    return overview, prepare
