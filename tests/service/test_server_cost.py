"""The service with a price book: every JSON, text and Prometheus answer carries the monthly cost, the
OpenAPI document describes the cost keys, and the answers match it; without a book nothing changes.

In-process (TestClient) for the shapes, and uvicorn on a loopback socket for the answers over HTTP.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # no stubs in the dev lock
from prometheus_client.parser import text_string_to_metric_families

from s3_storage_analyser.model import Bucket, BucketReport, Snapshot, Usage
from s3_storage_analyser.pricing.book import PriceBook, book
from s3_storage_analyser.pricing.cost import cost_snapshot, money
from s3_storage_analyser.pricing.shipped import shipped_table
from s3_storage_analyser.server.app import create_app
from s3_storage_analyser.server.auth import AuthConfig
from s3_storage_analyser.server.bind import bind_listener, bound_port
from s3_storage_analyser.server.guard import Limits
from s3_storage_analyser.server.run import uvicorn_config
from s3_storage_analyser.server.scanner import Scanner
from s3_storage_analyser.store import Store
from support.snapshots import T0, rich_snapshot, small_snapshot

TOKEN = "cost-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BOOK: PriceBook = book([shipped_table()])
GUARD = 30.0  # seconds before calling a wait a hang (not a timing assertion)


def _unpriced_snapshot() -> Snapshot:
    """The rich snapshot plus a bucket in a region the shipped table does not price."""
    rich = rich_snapshot(T0 + timedelta(hours=2))
    far = BucketReport(Bucket("far-away", "af-south-1"), Usage(objects=1, bytes_by_class={"STANDARD": 5000}))
    return replace(rich, buckets=(*rich.buckets, far))


SNAPSHOTS = [small_snapshot(T0, standard=500, objects=2), rich_snapshot(T0 + timedelta(hours=1)), _unpriced_snapshot()]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "cost.sqlite3")
    for snapshot in SNAPSHOTS:
        s.save(snapshot)
    yield s
    s.close()


def _app(store: Store, price_book: PriceBook | None) -> FastAPI:
    return create_app(store, Scanner(lambda: SNAPSHOTS[-1], store, None), AuthConfig(TOKEN), book=price_book)


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    with TestClient(_app(store, BOOK)) as c:
        yield c


def _validate(document: dict[str, Any], component: str, body: Any) -> None:
    schema = {"$ref": f"#/components/schemas/{component}", "components": document["components"]}
    errors = sorted(Draft202012Validator(schema).iter_errors(body), key=str)
    assert not errors, [e.message for e in errors[:5]]


def test_report_json_carries_the_cost_and_matches_the_schema(client: TestClient) -> None:
    answer = client.get("/api/v1/report", params={"fmt": "json"}, headers=AUTH)
    assert answer.status_code == 200
    data = answer.json()
    expected = cost_snapshot(SNAPSHOTS[-1], BOOK)
    assert data["Cost"]["PerMonth"] is None  # af-south-1 has no price: unknown, not 0
    assert data["Cost"]["PricedPerMonth"] == money(expected.priced)
    buckets = {b["Bucket"]: b for b in data["Buckets"]}
    assert buckets["far-away"]["CostPerMonth"] is None
    assert buckets["far-away"]["Unpriced"][0]["Region"] == "af-south-1"
    assert buckets["alpha"]["CostPerMonth"] == money(expected.buckets["alpha"].priced)
    assert sum(Decimal(b["CostPerMonth"] or "0") for b in data["Buckets"]) == Decimal(data["Cost"]["PricedPerMonth"])
    _validate(client.get("/openapi.json").json(), "ReportJson", data)
    pretty = client.get("/", params={"fmt": "json_pretty"}, headers=AUTH).json()
    assert pretty == data


def test_every_format_of_the_report_carries_the_cost(client: TestClient, store: Store) -> None:
    first = store.latest_ids(3)[-1]  # the small snapshot: no breakdowns, so TSV has a row per bucket
    tsv = client.get(f"/api/v1/snapshots/{first}", params={"fmt": "tsv"}, headers=AUTH).text
    rows = list(csv.DictReader(io.StringIO(tsv), delimiter="\t"))
    assert rows[0]["Cost/month"] == money(cost_snapshot(SNAPSHOTS[0], BOOK).priced)
    assert rows[0]["Prices"].startswith("AWS public S3 prices")
    table = client.get("/api/v1/report", params={"fmt": "table"}, headers=AUTH).text
    assert "Cost/month" in table and "Prices: " in table and "Not priced in far-away" in table
    lines = [
        json.loads(x) for x in client.get("/api/v1/report", params={"fmt": "ndjson"}, headers=AUTH).text.splitlines()
    ]
    assert all("Prices" in line for line in lines if "Error" not in line)
    prom = client.get("/api/v1/report", params={"fmt": "prometheus"}, headers=AUTH).text
    names = {f.name for f in text_string_to_metric_families(prom)}
    assert {"s3_bucket_cost_dollars_per_month", "s3_cost_prices_info", "s3_bucket_cost_unpriced"} <= names


def test_metrics_carry_the_cost_gauges(client: TestClient) -> None:
    text = client.get("/metrics", headers=AUTH).text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    dollars = {
        (s.labels["bucket"], s.labels["storage_class"]) for s in families["s3_bucket_cost_dollars_per_month"].samples
    }
    assert ("beta", "STANDARD") in dollars
    assert not any(bucket == "far-away" for bucket, _ in dollars)
    assert [s.labels["bucket"] for s in families["s3_bucket_cost_unpriced"].samples] == ["far-away"]
    assert "s3_analyser_scans" in families  # the health gauges are still there


def test_history_and_one_snapshot_carry_each_cost(client: TestClient, store: Store) -> None:
    document = client.get("/openapi.json").json()
    history = client.get("/api/v1/snapshots", params={"fmt": "json"}, headers=AUTH).json()
    _validate(document, "HistoryJson", history)
    by_id = {s["Id"]: s for s in history["Snapshots"]}
    ids = store.latest_ids(3)[::-1]
    assert by_id[ids[0]]["CostPerMonth"] == money(cost_snapshot(SNAPSHOTS[0], BOOK).priced)
    assert by_id[ids[2]]["CostPerMonth"] is None
    assert by_id[ids[2]]["PricedPerMonth"] == money(cost_snapshot(SNAPSHOTS[2], BOOK).priced)
    one = client.get(f"/api/v1/snapshots/{ids[1]}", headers=AUTH).json()
    assert one["Id"] == ids[1]
    assert one["Cost"]["PerMonth"] == money(cost_snapshot(SNAPSHOTS[1], BOOK).priced)
    _validate(document, "ReportJson", one)
    assert "Cost/month" in client.get("/api/v1/snapshots", params={"fmt": "table"}, headers=AUTH).text


def test_diff_carries_the_cost_change(client: TestClient, store: Store) -> None:
    old_id, new_id = store.latest_ids(3)[::-1][:2]
    answer = client.get("/api/v1/diff", params={"a": old_id, "b": new_id}, headers=AUTH).json()
    _validate(client.get("/openapi.json").json(), "DiffJson", answer)
    before, after = cost_snapshot(SNAPSHOTS[0], BOOK), cost_snapshot(SNAPSHOTS[1], BOOK)
    assert answer["Before"]["CostPerMonth"] == money(before.priced)
    assert answer["After"]["CostPerMonth"] == money(after.priced)
    solo = next(c for c in answer["Changes"] if c["Bucket"] == "solo" and c["StorageClass"] == "ALL")
    assert solo["CostAfter"] == "0.000000"  # gone in the newer snapshot
    assert Decimal(solo["CostChange"]) == -before.buckets["solo"].priced
    assert answer["Prices"][0]["Kind"] == "shipped"


def test_the_openapi_document_names_the_cost_keys(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert {"CostPerMonth", "CostByClass", "CostByPart", "Unpriced"} <= set(schemas["BucketJson"]["properties"])
    assert {"Currency", "PerMonth", "PricedPerMonth", "ByClass", "Prices", "Discount", "Notes"} <= set(
        schemas["CostJson"]["properties"]
    )
    assert "Cost" in schemas["ReportJson"]["properties"]
    assert {"CostBefore", "CostAfter", "CostChange"} <= set(schemas["ChangeJson"]["properties"])
    assert "CostPerMonth" in schemas["SnapshotLineJson"]["properties"]
    report = document["paths"]["/api/v1/report"]["get"]["responses"]["200"]["content"]
    assert report["application/json"]["schema"] == {"$ref": "#/components/schemas/ReportJson"}
    assert {"text/csv", "text/tab-separated-values", "application/x-ndjson"} <= set(report)


def test_without_a_book_nothing_about_cost(store: Store) -> None:
    with TestClient(_app(store, None)) as plain:
        data = plain.get("/api/v1/report", params={"fmt": "json"}, headers=AUTH).json()
        assert "Cost" not in data and all("CostPerMonth" not in b for b in data["Buckets"])
        _validate(plain.get("/openapi.json").json(), "ReportJson", data)
        assert "cost" not in plain.get("/metrics", headers=AUTH).text
        history = plain.get("/api/v1/snapshots", params={"fmt": "json"}, headers=AUTH).json()
        assert all("CostPerMonth" not in s for s in history["Snapshots"])
        assert "Cost" not in plain.get("/api/v1/diff", headers=AUTH).text


def test_the_service_answers_with_cost_over_http(store: Store) -> None:
    """uvicorn on a loopback port, as ``serve`` runs it, with a price book."""
    listener = bind_listener("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn_config(_app(store, BOOK), Limits()))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + GUARD
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        base = f"http://127.0.0.1:{bound_port(listener)}"
        with httpx.Client(base_url=base, headers=AUTH, timeout=GUARD) as http:
            report = http.get("/api/v1/report", params={"fmt": "json"})
            assert report.status_code == 200
            assert report.json()["Cost"]["Prices"][0]["Date"] == "2026-07-01"
            metrics = http.get("/metrics").text
            assert 's3_bucket_cost_dollars_per_month{bucket="beta"' in metrics
            assert "s3_cost_prices_info{" in metrics
    finally:
        server.should_exit = True
        thread.join(GUARD)
        listener.close()
