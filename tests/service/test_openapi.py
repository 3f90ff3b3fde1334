"""Property-based tests of every operation in the app's own OpenAPI document (schemathesis v4, in-process ASGI)."""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from prometheus_client.parser import text_string_to_metric_families

from s3_storage_analyser.pricing.book import book
from s3_storage_analyser.pricing.shipped import shipped_table
from s3_storage_analyser.server.app import create_app
from s3_storage_analyser.server.auth import AuthConfig
from s3_storage_analyser.server.scanner import Scanner
from s3_storage_analyser.store import Store
from support.snapshots import T0, rich_snapshot, small_snapshot

TOKEN = "openapi-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

# The schema is loaded at import (schemathesis parametrizes at collection), so the store lives in its own
# temporary directory for the module's lifetime rather than in a per-test tmp_path.
_DIR = tempfile.TemporaryDirectory(prefix="s3sa-openapi-")
STORE = Store(Path(_DIR.name) / "history.sqlite3")
STORE.save(small_snapshot(T0, standard=500, objects=2))
STORE.save(rich_snapshot(T0 + timedelta(hours=1)))
SCANS: list[int] = []
_SCANS_LOCK = threading.Lock()


def stub_scan() -> Any:
    """The injected scan callable: counts its calls and returns a fixed snapshot."""
    with _SCANS_LOCK:
        SCANS.append(1)
    return rich_snapshot(T0 + timedelta(days=1))


SCANNER = Scanner(stub_scan, STORE, None)
SCANNER.start(scan_now=False)
# With the shipped prices, so the answers checked against the document carry the cost keys too.
APP = create_app(STORE, SCANNER, AuthConfig(TOKEN), book=book([shipped_table()]))

schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def _shutdown() -> Any:
    yield
    SCANNER.stop()
    STORE.close()
    _DIR.cleanup()


def test_the_document_lists_every_route() -> None:
    paths = set(schema.raw_schema["paths"])
    assert {
        "/",
        "/api/v1/report",
        "/api/v1/snapshots",
        "/api/v1/snapshots/{snapshot_id}",
        "/api/v1/diff",
        "/api/v1/scans",
        "/api/v1/scans/{scan_id}",
        "/healthz",
        "/metrics",
    } <= paths


# FastAPI documents only 200 and 422 per operation and application/json everywhere, while the app answers 400
# (validation), 401, 404, 503 in its error shape and text formats by fmt: those two conformance checks would
# only restate that gap. Every other built-in check runs (server errors, response schemas, negative data...).
EXCLUDED: list[Callable[..., bool | None]] = []  # every check runs: the spec documents error statuses and content types


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation(case: schemathesis.Case[Any]) -> None:
    # The bearer scheme is declared, so schemathesis sends an Authorization header of its own (replaced by the
    # real token here), or, to check that the token is required, none at all (then none is sent: 401).
    headers = AUTH if "Authorization" in (case.headers or {}) else {}
    response = case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code} {response.text}"
    if response.status_code >= 400 and case.path != "/healthz":  # a degraded /healthz answers 503 in its own shape
        body = response.json()
        assert set(body) == {"Error"}, f"{case.method} {case.formatted_path}: {response.text}"
        assert set(body["Error"]) == {"Code", "Message", "Hint"}
        assert body["Error"]["Message"]
    assert TOKEN not in response.text
    if not headers:
        assert response.status_code == 401 or case.path in ("/healthz", "/openapi.json"), case.path
    elif case.path == "/metrics" and case.method.upper() == "GET" and "account" not in (case.query or {}):
        assert response.status_code == 200  # ?account= may name no account of the history (404) or a bad id (400)
        names = {f.name for f in text_string_to_metric_families(response.text)}
        assert "s3_bucket_size_bytes" in names


def test_scans_run_only_the_injected_stub() -> None:
    """POST /api/v1/scans (also exercised above) starts the stub, whose snapshot is then stored."""
    from fastapi.testclient import TestClient

    client = TestClient(APP)
    assert client.post("/api/v1/scans").status_code == 401
    started = client.post("/api/v1/scans", headers=AUTH)
    assert started.status_code == 202
    scan_id = started.json()["Id"]
    deadline = time.monotonic() + 15
    while (status := client.get(f"/api/v1/scans/{scan_id}", headers=AUTH).json())["Status"] == "running":
        assert time.monotonic() < deadline, status
        time.sleep(0.01)
    assert status["Status"] == "succeeded"
    assert SCANS
    assert STORE.load(status["SnapshotId"]) == rich_snapshot(T0 + timedelta(days=1))


def test_the_bearer_scheme_is_declared_on_the_routes_that_need_the_token() -> None:
    """So that Swagger UI's "Authorize" button sends `Authorization: Bearer <token>` with "Try it out"."""
    document = schema.raw_schema
    schemes = document["components"]["securitySchemes"]
    bearer = [name for name, scheme in schemes.items() if scheme == {**scheme, "type": "http", "scheme": "bearer"}]
    assert len(bearer) == 1
    operations = {(path, method): op for path, item in document["paths"].items() for method, op in item.items()}
    for path, method in [("/", "get"), ("/api/v1/report", "get"), ("/api/v1/scans", "post"), ("/metrics", "get")]:
        assert operations[(path, method)]["security"] == [{bearer[0]: []}], (path, method)
    assert "security" not in operations[("/healthz", "get")]


def test_the_api_docs_load_nothing_from_outside() -> None:
    """/docs and /redoc reference only this server: no CDN, no fonts, no validator badge."""
    import re

    from fastapi.testclient import TestClient

    client = TestClient(APP)
    for page in ("/docs", "/redoc"):
        response = client.get(page)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        html = response.text
        assert not re.search(r"(?i)\b(https?:)?//[a-z0-9]", html), re.findall(r"(?i)(?:https?:)?//[^\s\"'<>]+", html)
        assets = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert assets, html
        for asset in assets:
            fetched = client.get(asset)
            assert fetched.status_code == 200, asset
            assert len(fetched.content) > 1000, asset
    swagger = client.get("/docs").text
    assert '"validatorUrl": null' in swagger  # Swagger UI would otherwise load a badge from validator.swagger.io
