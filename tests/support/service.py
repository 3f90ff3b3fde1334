"""What the in-process service tests share (tests/service/test_server.py, test_server_pages.py): the app
around a real Store and a real Scanner thread, the scan it runs unless a test says otherwise, the two
snapshots a ``seeded`` service starts with, and waiting for a scan to end over the API."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from s3_storage_analyser.model import Snapshot
from s3_storage_analyser.pricing.book import PriceBook
from s3_storage_analyser.server.app import create_app
from s3_storage_analyser.server.auth import AuthConfig
from s3_storage_analyser.server.scanner import Scanner
from s3_storage_analyser.store import Store
from support.snapshots import T0, rich_snapshot, small_snapshot


class InProcess:
    """One app around ``store`` and a scanner that runs ``run_scan`` (started by the test's fixture)."""

    def __init__(
        self,
        store: Store,
        run_scan: Callable[[], Snapshot],
        *,
        token: str | None,
        book: PriceBook | None = None,
        metrics_auth: bool = True,
    ) -> None:
        self.store = store
        self.scanner = Scanner(run_scan, store, None)
        self.app = create_app(store, self.scanner, AuthConfig(token), metrics_auth=metrics_auth, book=book)


def default_scan() -> Snapshot:
    """What a test service's scan produces unless told otherwise: the rich snapshot, after the seeded ones."""
    return rich_snapshot(T0 + timedelta(days=1))


def seed(store: Store) -> None:
    """The two snapshots a ``seeded`` service starts with: a small one, then the rich one an hour later."""
    store.save(small_snapshot(T0, standard=500, objects=2))
    store.save(rich_snapshot(T0 + timedelta(hours=1)))


def wait_for_scan(client: TestClient, scan_id: int, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The scan's API body once it is no longer running; fails after 15 s."""
    deadline = time.monotonic() + 15
    while True:
        response = client.get(f"/api/v1/scans/{scan_id}", headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["Status"] != "running":
            return body
        assert time.monotonic() < deadline, f"scan {scan_id} still running: {body}"
        time.sleep(0.01)
