"""GET /api/v1/advice: the latest snapshot's savings as JSON, with the token, from stored data only."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from s3_storage_analyser.pricing.advise import advise
from s3_storage_analyser.pricing.book import PriceBook, book
from s3_storage_analyser.pricing.cost import cost_snapshot
from s3_storage_analyser.pricing.lifecycle import NOT_READ_NOTE
from s3_storage_analyser.pricing.shipped import shipped_table
from s3_storage_analyser.render.advice import advice_dict
from s3_storage_analyser.server.app import create_app
from s3_storage_analyser.server.auth import AuthConfig
from s3_storage_analyser.server.scanner import Scanner
from s3_storage_analyser.store import Store
from support.snapshots import T0, rich_snapshot

TOKEN = "advice-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BOOK: PriceBook = book([shipped_table()])
SNAPSHOT = rich_snapshot(T0)


def _client(store: Store, price_book: PriceBook | None) -> TestClient:
    app = create_app(store, Scanner(lambda: SNAPSHOT, store, None), AuthConfig(TOKEN), book=price_book)
    return TestClient(app)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "advice.sqlite3")
    yield s
    s.close()


def test_advice_for_the_latest_snapshot(store: Store) -> None:
    with _client(store, BOOK) as client:
        assert client.get("/api/v1/advice", headers=AUTH).status_code == 503  # no snapshot yet
        store.save(SNAPSHOT)
        assert client.get("/api/v1/advice").status_code == 401
        answer = client.get("/api/v1/advice", headers=AUTH)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    data = answer.json()
    stored = store.load(store.latest_ids(1)[0])
    expected = advice_dict(advise(stored, cost_snapshot(stored, BOOK), BOOK, {}))
    assert data == expected
    # the rich snapshot's alpha has unfinished uploads and old versions: priced, with their rules
    alpha = next(b for b in data["Buckets"] if b["Bucket"] == "alpha")
    kinds = [f["Kind"] for f in alpha["Findings"]]
    assert kinds[:3] == ["incomplete-uploads", "noncurrent-versions", "delete-markers"]
    assert alpha["Lifecycle"] == "not-read"
    assert Decimal(data["EstimatedMonthlySaving"]) > 0
    assert {f["Bucket"] for f in data["Failures"]} == {"gamma", "delta"}  # not measured: named, no advice
    assert NOT_READ_NOTE in data["Notes"]  # a GET reads no lifecycle rule from AWS, and says so


def test_no_advice_without_prices(store: Store) -> None:
    store.save(SNAPSHOT)
    with _client(store, None) as client:
        answer = client.get("/api/v1/advice", headers=AUTH)
    assert answer.status_code == 404
    assert "--no-cost" in answer.json()["Error"]["Message"]
