"""The ASGI app: 0.1's ``GET /?fmt=``, the v1 API, /metrics, /healthz and the API docs.

Every response comes from a stored snapshot; a request never starts an AWS
scan by itself (POST /api/v1/scans asks the scanner for one). Errors have one
JSON shape: ``{"Error": {"Code", "Message", "Hint"}}``. HEAD is answered on
every GET route; /docs and /redoc load their scripts from this server.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request, Response, Security
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from .. import __version__
from ..diff import diff
from ..errors import AnalyserError, NoSnapshotError, NotFoundError
from ..model import Snapshot
from ..pricing.book import PriceBook
from ..pricing.cost import SnapshotCost
from ..render import render
from ..render.columns import format_instant
from ..render.diff import render_diff
from ..render.history import render_history
from ..render.jsonfmt import dumps, snapshot_dict
from ..store import Store
from .account_query import AccountParam, AccountSummaries, KnownAccounts, cache_key, filtered
from .auth import Access, AuthConfig, host_is_loopback, refuse_cross_site
from .caches import CostCache, LatestSnapshot, RenderCache
from .docs_assets import ASSETS_PATH, docs_assets_dir
from .head import HeadAsGet
from .metrics import health_exposition, snapshot_exposition
from .negotiate import negotiate, wants_html
from .pages import Site, add_pages
from .scanner import Scanner, ScanStatus
from .schemas import DiffJson, HistoryJson, ReportJson, json_content
from .session import Sessions

log = logging.getLogger("s3_storage_analyser.server")

Format = Literal["json", "json_pretty", "ndjson", "tsv", "csv", "table", "prometheus"]
HistoryFormat = Literal["json", "json_pretty", "ndjson", "tsv", "csv", "table"]  # also diff's: no prometheus
FORMATS: tuple[str, ...] = ("json", "json_pretty", "ndjson", "tsv", "csv", "table", "prometheus")
MEDIA_TYPES = {
    "json": "application/json",
    "json_pretty": "application/json",
    "ndjson": "application/x-ndjson",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "table": "text/plain; charset=utf-8",
    "prometheus": CONTENT_TYPE_LATEST,
}


class ErrorDetail(BaseModel):
    Code: str
    Message: str
    Hint: str | None = None


class ErrorBody(BaseModel):
    """The one error shape of the API (PascalCase, as the report's JSON and AWS's error documents)."""

    Error: ErrorDetail


def _error_body(code: str, message: str, hint: str | None) -> dict[str, Any]:
    return {"Error": {"Code": code, "Message": message, "Hint": hint}}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    described = {
        400: "Bad parameters (the message names the valid choices)",
        401: "Missing or wrong token",
        404: "No such snapshot, scan or account",
        503: "No snapshot yet (the first scan has not finished)",
    }
    return {status: {"model": ErrorBody, "description": described[status]} for status in statuses}


_REPORT_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The answer, in the format asked (fmt, else Accept)",
        "content": {media.split(";")[0]: {} for media in dict.fromkeys(MEDIA_TYPES.values())},
    }
}
_MEDIA = [media.split(";")[0] for media in dict.fromkeys(MEDIA_TYPES.values())]
_ANSWER = "The answer, in the format asked (fmt, else Accept); as JSON:"
_REPORT_JSON = json_content(ReportJson, _MEDIA, f"{_ANSWER} the report, with its monthly cost when priced")
_HISTORY_JSON = json_content(HistoryJson, _MEDIA, f"{_ANSWER} the snapshots, each with its monthly cost when priced")
_DIFF_JSON = json_content(DiffJson, _MEDIA, f"{_ANSWER} the changes, with the cost changes when priced")


def _negotiate(fmt: str | None, accept: str) -> str:
    return fmt or negotiate(accept)


def scan_dict(status: ScanStatus) -> dict[str, Any]:
    return {
        "Id": status.id,
        "Status": status.status,
        "StartedAt": format_instant(status.started_at),
        "FinishedAt": format_instant(status.finished_at) if status.finished_at else None,
        "SnapshotId": status.snapshot_id,
        "Error": status.error,
    }


def health_dict(scanner: Scanner, has_snapshot: bool) -> dict[str, Any]:
    """/healthz's body: ``Status`` is "degraded" (with its ``Reasons``) when the service cannot keep its data fresh."""
    health = scanner.health
    reasons = []
    if not has_snapshot:
        reasons.append("NoSnapshot")
    if health.consecutive_failures:
        reasons.append("LastScanFailed")
    if not scanner.alive:
        reasons.append("ScannerStopped")
    last = datetime.fromtimestamp(health.last_success, UTC) if health.last_success else None
    return {
        "Status": "degraded" if reasons else "ok",
        "Reasons": reasons,
        "HasSnapshot": has_snapshot,
        "ScannerAlive": scanner.alive,
        "LastScanSuccess": format_instant(last) if last else None,
        "ScanFailures": health.failures,
        "ConsecutiveScanFailures": health.consecutive_failures,
    }


class Health(BaseModel):
    """The shape of /healthz (200 when ``Status`` is "ok", 503 when "degraded")."""

    Status: Literal["ok", "degraded"]
    Reasons: list[Literal["NoSnapshot", "LastScanFailed", "ScannerStopped"]]
    HasSnapshot: bool
    ScannerAlive: bool
    LastScanSuccess: str | None
    ScanFailures: int
    ConsecutiveScanFailures: int


_BEARER = HTTPBearer(
    auto_error=False,  # auth.check decides, and answers in the API's error shape
    description="The service's token (--token-file or TOKEN). ?token= is accepted too, as 0.1 took it.",
)


def create_app(
    store: Store, scanner: Scanner, auth: AuthConfig, *, metrics_auth: bool = True, book: PriceBook | None = None
) -> FastAPI:
    """Build the app around an injected store, scanner and auth (nothing global).

    With a price ``book`` every report, history, diff and /metrics answer carries the monthly cost.
    """
    app = FastAPI(
        title="s3-storage-analyser",
        version=__version__,
        description="What is stored in S3, per bucket, region and storage class, from stored snapshots.",
        docs_url=None,  # served below from local assets, not from a CDN
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    latest = LatestSnapshot(store)
    cache = RenderCache()
    costs = CostCache(book)
    known_accounts, account_summaries = KnownAccounts(store), AccountSummaries(costs, store)
    access = Access(auth, Sessions())

    def warm() -> int:
        """What ``serve`` runs on a thread at start: the history's prices, then the overview page.
        Returns how many snapshots it priced."""
        priced = costs.warm(store)
        prepare_pages()
        return priced

    app.state.warm_costs = warm

    def require_token(
        request: Request, _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)]
    ) -> None:
        """Declares the bearer scheme in OpenAPI (so "Try it out" sends the token); ``access`` decides.

        A browser asking ``/`` for a page is let through to the page, which signs it in or redirects.
        """
        refuse_cross_site(request)
        if not is_page_request(request):
            access.check(request)

    authed = [Depends(require_token)]
    # Pages and their scripts compress well (ECharts: 1.1 MB to 0.37 MB); clients that do not ask get it plain.
    # Inside HeadAsGet, so that a HEAD has the headers of the GET it stands for, compressed length included.
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)  # level 9: 2.4x the time, 2.5 % smaller
    app.add_middleware(HeadAsGet)
    _add_docs(app)

    @app.exception_handler(AnalyserError)
    async def analyser_error(_: Request, exc: AnalyserError) -> JSONResponse:
        body = _error_body(exc.code, exc.message, exc.hint)
        headers = {"WWW-Authenticate": "Bearer"} if exc.http_status == 401 else None
        return JSONResponse(body, status_code=exc.http_status, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        """Routing's own errors (unknown path 404, wrong method 405) in the same shape.

        A 405's ``Allow`` names the methods of every route at that path (Starlette's names the first's).
        """
        code = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "HTTPError")
        body = _error_body(code, f"{exc.detail}.", None)
        headers = exc.headers
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": ", ".join(sorted(_allowed_methods(app, request)))}
        return JSONResponse(body, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors())
        # The fmt hint only when fmt is wrong, naming that route's choices (diff has no prometheus).
        expected = [
            (e.get("ctx") or {}).get("expected") for e in exc.errors() if tuple(e.get("loc", ()))[-1:] == ("fmt",)
        ]
        hint = f"fmt takes one of: {expected[0] or ', '.join(FORMATS)}." if expected else None
        if hint is None and any("account" in tuple(e.get("loc", ())) for e in exc.errors()):
            hint = "account takes an AWS account id of 12 digits (repeat it for several accounts)."
        body = _error_body("BadRequest", f"Invalid request: {problems}.", hint)
        return JSONResponse(body, status_code=400)

    @app.middleware("http")
    async def loopback_only_without_auth(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """With --no-auth, a Host that is not this machine's is refused: a DNS-rebinding page would
        otherwise read the service as if it were on its own site."""
        if auth.token is None and not host_is_loopback(request):
            body = _error_body(
                "MisdirectedRequest",
                "Without a token the service answers requests for localhost or a loopback address only.",
                "Open it as http://127.0.0.1:PORT/, or run it with a token to serve other names.",
            )
            return JSONResponse(body, status_code=421)
        return await call_next(request)

    @app.middleware("http")
    async def access_log(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        """Our own access log: path only, never the query string (it may hold the token)."""
        started = time.perf_counter()
        response = await call_next(request)
        log.info(
            "%s %s %d %.1fms",
            request.method,
            request.url.path,
            response.status_code,
            1000 * (time.perf_counter() - started),
        )
        return response

    def current() -> tuple[int, Snapshot]:
        found = latest.get()
        if found is None:
            raise NoSnapshotError(
                "No snapshot yet: the first scan has not finished.",
                hint="Retry shortly, or POST /api/v1/scans and poll GET /api/v1/scans/{id}.",
            )
        return found

    def rendered(snapshot_id: int, snapshot: Snapshot, fmt: str, ids: tuple[str, ...] = ()) -> Response:
        """The body in ``fmt``, of the accounts ``ids`` only when given; kept per (snapshot, format, accounts)."""

        def build() -> bytes:
            shown, cost = filtered(snapshot, costs.of(snapshot_id, snapshot), ids)
            return render(shown, fmt, cost=cost).encode()

        body = cache.get((snapshot_id, cache_key(fmt, ids)), build)
        return Response(body, media_type=MEDIA_TYPES[fmt])

    def _with_cost(snapshot_id: int) -> tuple[Snapshot, SnapshotCost | None]:
        found = store.load(snapshot_id)
        return found, costs.of(snapshot_id, found)

    @app.get(
        "/",
        dependencies=authed,
        summary="The latest report (the endpoint of 0.1)",
        responses={**_REPORT_JSON, **_errors(400, 401, 404, 503)},
    )
    def classic_report(
        request: Request, fmt: Annotated[Format | None, Query()] = None, account: AccountParam = None
    ) -> Response:
        """A browser asking for a page (``Accept: text/html``, no ``fmt``) gets the overview page."""
        if is_page_request(request):
            return overview_page(request)
        ids = known_accounts.check(account)
        return rendered(*current(), _negotiate(fmt, request.headers.get("accept", "")), ids)

    @app.get(
        "/api/v1/report",
        dependencies=authed,
        summary="The latest report",
        responses={**_REPORT_JSON, **_errors(400, 401, 404, 503)},
    )
    def report(
        request: Request, fmt: Annotated[Format | None, Query()] = None, account: AccountParam = None
    ) -> Response:
        ids = known_accounts.check(account)
        return rendered(*current(), _negotiate(fmt, request.headers.get("accept", "")), ids)

    @app.get(
        "/api/v1/snapshots",
        dependencies=authed,
        summary="Stored snapshots, newest first",
        responses={**_HISTORY_JSON, **_errors(400, 401, 404)},
    )
    def snapshots(
        request: Request,
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
        fmt: Annotated[HistoryFormat | None, Query()] = None,
        account: AccountParam = None,
    ) -> Response:
        """What ``history`` prints, in the same shapes (``history --account`` with ``account``)."""
        chosen = _negotiate(fmt, request.headers.get("accept", ""))
        ids = known_accounts.check(account)
        rows = store.account_history(ids, limit) if ids else store.history(limit)
        if ids:
            priced = account_summaries.of([r.id for r in rows], store.load, ids)
        else:
            priced = costs.summaries([r.id for r in rows], store.load)
        return Response(render_history(rows, chosen, cost=priced), media_type=MEDIA_TYPES[chosen])

    @app.get(
        "/api/v1/snapshots/{snapshot_id}",
        dependencies=authed,
        summary="One stored snapshot",
        responses={**_REPORT_JSON, **_errors(400, 401, 404)},
    )
    def snapshot(
        snapshot_id: int, fmt: Annotated[Format | None, Query()] = None, account: AccountParam = None
    ) -> Response:
        ids = known_accounts.check(account)
        found = store.load(snapshot_id)
        if fmt is None:
            body = {"Id": snapshot_id, **snapshot_dict(*filtered(found, costs.of(snapshot_id, found), ids))}
            return Response(dumps(body), media_type="application/json")
        return rendered(snapshot_id, found, fmt, ids)

    @app.get(
        "/api/v1/diff",
        dependencies=authed,
        summary="Growth between two snapshots (default: the last two)",
        responses={**_DIFF_JSON, **_errors(400, 401, 404)},
    )
    def growth(
        a: Annotated[int | None, Query(description="older snapshot id")] = None,
        b: Annotated[int | None, Query(description="newer snapshot id")] = None,
        fmt: Annotated[HistoryFormat, Query()] = "json",
        account: AccountParam = None,
    ) -> Response:
        ids = known_accounts.check(account)
        a, b = store.diff_pair(a, b)
        (before, old), (after, new) = filtered(*_with_cost(a), ids), filtered(*_with_cost(b), ids)
        pair = (old, new) if old is not None and new is not None else None
        body = render_diff(diff(before, after), (a, before), (b, after), fmt, None, cost=pair)
        return Response(body, media_type=MEDIA_TYPES[fmt])

    @app.post(
        "/api/v1/scans",
        dependencies=authed,
        status_code=202,
        summary="Start a scan (or join the running one)",
        responses=_errors(401),
    )
    def start_scan() -> dict[str, Any]:
        return scan_dict(scanner.trigger())

    @app.get("/api/v1/scans", dependencies=authed, summary="The recent scans, newest first", responses=_errors(401))
    def recent_scans() -> list[dict[str, Any]]:
        return [scan_dict(s) for s in scanner.recent()]

    @app.get(
        "/api/v1/scans/{scan_id}", dependencies=authed, summary="A scan's status", responses=_errors(400, 401, 404)
    )
    def scan_status(scan_id: int) -> dict[str, Any]:
        status = scanner.get(scan_id)
        if status is None:
            raise NotFoundError(f"No scan {scan_id} (only recent scans are kept).")
        return scan_dict(status)

    @app.get(
        "/healthz",
        summary="Scan health (no token needed): 200 when ok, 503 when degraded",
        response_model=Health,
        responses={
            503: {"model": Health, "description": "Degraded: no snapshot, last scan failed, or scanner stopped"}
        },
    )
    def healthz() -> JSONResponse:
        body = health_dict(scanner, bool(store.latest_ids(1)))
        return JSONResponse(body, status_code=200 if body["Status"] == "ok" else 503)

    @app.get(
        "/metrics",
        dependencies=authed if metrics_auth else [],
        summary="Prometheus exposition",
        responses={
            200: {"description": "The exposition", "content": {CONTENT_TYPE_LATEST.split(";")[0]: {}}},
            **_errors(400, 401, 404),
        },
    )
    def metrics(account: AccountParam = None) -> Response:
        ids = known_accounts.check(account)
        found = latest.get()
        gauges = (
            cache.get(
                (found[0], cache_key("metrics", ids)),
                lambda: snapshot_exposition(*filtered(found[1], costs.of(*found), ids)),
            )
            if found
            else b""
        )
        return Response(gauges + health_exposition(scanner.health), media_type=CONTENT_TYPE_LATEST)

    @app.get(
        "/api/v1/advice",
        dependencies=authed,
        summary="Savings for the latest snapshot, with the lifecycle rules that get them (estimates, as s3sa advise)",
        responses={
            200: {"description": "The advice (JSON)", "content": {"application/json": {}}},
            **_errors(400, 401, 404, 503),
        },
    )
    def advice(account: AccountParam = None) -> Response:
        """Lifecycle rules are not read (a GET calls no AWS): each suggested rule says it may exist already."""
        from ..render.advice import stored_advice_json

        ids = known_accounts.check(account)
        snapshot_id, whole = current()
        snapshot, cost = filtered(whole, costs.of(snapshot_id, whole), ids)
        if cost is None or book is None:
            raise NotFoundError("The service runs with --no-cost: there is no advice without prices.")
        body = cache.get(
            (snapshot_id, cache_key("advice", ids)), lambda: stored_advice_json(snapshot, cost, book).encode()
        )
        return Response(body, media_type="application/json")

    overview_page: Callable[[Request], Response]
    prepare_pages: Callable[[], None]
    overview_page, prepare_pages = add_pages(
        app,
        Site(store, scanner, access, latest.get, costs.of, costs.known, book),
    )
    return app


def _allowed_methods(app: FastAPI, request: Request) -> set[str]:
    allowed: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            allowed |= getattr(route, "methods", None) or set()
    return allowed


def is_page_request(request: Request) -> bool:
    """``/`` asked for by a browser (``Accept: text/html``) without 0.1's ``fmt``: the overview page."""
    return (
        request.url.path == "/" and "fmt" not in request.query_params and wants_html(request.headers.get("accept", ""))
    )


def _add_docs(app: FastAPI) -> None:
    """/docs (Swagger UI) and /redoc, with their scripts and styles served from the installed package."""
    app.mount(ASSETS_PATH, StaticFiles(directory=docs_assets_dir()), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - API",
            swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
            oauth2_redirect_url=None,
            # No validator badge: Swagger UI would fetch it from validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": True},
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - API",
            redoc_js_url=f"{root}{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
            with_google_fonts=False,
        )
