"""The service in-process: a real Store in tmp_path, a real Scanner thread with an injected scan callable."""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from s3_storage_analyser.errors import UsageError
from s3_storage_analyser.model import Failure, Snapshot
from s3_storage_analyser.pricing.book import PriceBook, book
from s3_storage_analyser.pricing.shipped import shipped_table
from s3_storage_analyser.server.app import FORMATS
from s3_storage_analyser.server.auth import AuthConfig, load_auth
from s3_storage_analyser.server.scanner import Scanner
from s3_storage_analyser.store import Store
from support.golden import golden
from support.service import InProcess, default_scan, seed, wait_for_scan
from support.snapshots import T0, rich_snapshot, small_snapshot

TOKEN = "tok-3f9a1c"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
HEALTH_PREFIX = "s3_analyser_"


class Service(InProcess):
    """One app around a store and a scanner; ``client`` talks to it in-process."""

    def __init__(
        self,
        store: Store,
        run_scan: Callable[[], Snapshot],
        *,
        metrics_auth: bool,
        token: str | None,
        book: PriceBook | None = None,
    ):
        super().__init__(store, run_scan, token=token, book=book, metrics_auth=metrics_auth)
        self.client = TestClient(self.app, base_url="http://127.0.0.1:8080")

    def wait_for_scan(self, scan_id: int) -> dict[str, Any]:
        return wait_for_scan(self.client, scan_id, AUTH)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "service.sqlite3")
    yield s
    s.close()


@pytest.fixture
def service(store: Store) -> Iterator[Callable[..., Service]]:
    made: list[Service] = []

    def make(
        run_scan: Callable[[], Snapshot] | None = None,
        *,
        metrics_auth: bool = True,
        token: str | None = TOKEN,
        start: bool = True,
        book: PriceBook | None = None,
    ) -> Service:
        svc = Service(
            store,
            run_scan or default_scan,
            metrics_auth=metrics_auth,
            token=token,
            book=book,
        )
        if start:
            svc.scanner.start(scan_now=False)
        made.append(svc)
        return svc

    yield make
    for svc in made:
        svc.client.close()
        if svc.scanner._thread.is_alive():
            svc.scanner.stop()


@pytest.fixture
def seeded(store: Store, service: Callable[..., Service]) -> Service:
    seed(store)
    return service()


def metric_samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def labels(**kw: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(kw.items()))


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error: dict[str, Any] = response.json()["Error"]
    assert set(error) == {"Code", "Message", "Hint"}
    assert error["Code"] == code
    assert error["Message"]
    return error


# --- authentication -----------------------------------------------------------------------------


REFUSED = {
    "none": ({}, {}),
    "wrong-bearer": ({"Authorization": "Bearer wrong"}, {}),
    "basic-scheme": ({"Authorization": f"Basic {TOKEN}"}, {}),
    "empty-bearer": ({"Authorization": "Bearer"}, {}),
    "wrong-query": ({}, {"token": "wrong"}),
    "empty-query": ({}, {"token": ""}),
    "bearer-wins": ({"Authorization": "Bearer wrong"}, {"token": TOKEN}),
}


@pytest.mark.parametrize("path", ["/", "/api/v1/report", "/api/v1/snapshots", "/api/v1/diff", "/metrics"])
def test_requests_without_the_token_are_refused(seeded: Service, path: str) -> None:
    for case, (headers, params) in REFUSED.items():
        response = seeded.client.get(path, headers=headers, params=params)
        error = assert_error(response, 401, "Unauthorized")
        assert response.headers["www-authenticate"] == "Bearer", case
        assert "Bearer" in error["Hint"]
        assert TOKEN not in response.text


@pytest.mark.parametrize(
    ("headers", "params"),
    [(AUTH, {}), ({"Authorization": f"bearer {TOKEN}"}, {}), ({}, {"token": TOKEN})],
    ids=["bearer", "lowercase-scheme", "query-token"],
)
def test_the_token_is_accepted(seeded: Service, headers: dict[str, str], params: dict[str, str]) -> None:
    response = seeded.client.get("/", headers=headers, params={**params, "fmt": "json"})
    assert response.status_code == 200, response.text
    assert [b["Bucket"] for b in response.json()["Buckets"]] == ["alpha", "beta"]


def test_post_needs_the_token_too(seeded: Service) -> None:
    assert_error(seeded.client.post("/api/v1/scans"), 401, "Unauthorized")
    assert seeded.scanner.get(1) is None  # nothing was started


def test_healthz_needs_no_token(seeded: Service) -> None:
    response = seeded.client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "Status": "ok",
        "Reasons": [],
        "HasSnapshot": True,
        "ScannerAlive": True,
        "LastScanSuccess": None,
        "ScanFailures": 0,
        "ConsecutiveScanFailures": 0,
    }


def test_no_metrics_auth_opens_metrics_only(store: Store, service: Callable[..., Service]) -> None:
    store.save(rich_snapshot())
    svc = service(metrics_auth=False)
    metrics = svc.client.get("/metrics")
    assert metrics.status_code == 200
    assert "s3_bucket_size_bytes" in metrics.text
    assert_error(svc.client.get("/api/v1/snapshots"), 401, "Unauthorized")
    assert_error(svc.client.get("/?fmt=json"), 401, "Unauthorized")
    assert svc.client.get("/api/v1/snapshots", headers=AUTH).status_code == 200


def test_auth_off_serves_without_a_token(store: Store, service: Callable[..., Service]) -> None:
    store.save(rich_snapshot())
    svc = service(token=None)
    assert svc.client.get("/api/v1/snapshots").status_code == 200
    assert svc.client.get("/metrics").status_code == 200


# --- 0.1's endpoint and content negotiation ------------------------------------------------


def test_seed_json_has_the_seed_keys(seeded: Service) -> None:
    response = seeded.client.get("/", params={"fmt": "json"}, headers=AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    data = response.json()
    assert set(data) >= {"Buckets"}
    alpha, beta = data["Buckets"]
    for bucket in (alpha, beta):
        assert list(bucket)[:4] == ["Bucket", "Region", "Files", "Bytes"]
        assert "CreationDate" in bucket
        assert "DataDate" in bucket
    assert (alpha["Bucket"], alpha["Region"], alpha["Files"], alpha["Bytes"]) == ("alpha", "eu-west-1", 3, 6000)
    assert (beta["Bucket"], beta["Region"], beta["Files"], beta["Bytes"]) == ("beta", "us-east-1", 10, 123_463)
    assert alpha["Bytes-ST"] == 1000
    assert beta["DataDate"] == "2024-04-30"
    assert alpha["NoncurrentBytes"] == 400
    assert alpha["IncompleteUploadBytes"] == 15_000_000
    assert [f["Bucket"] for f in data["Failures"]] == ["gamma", "delta"]


def test_seed_tsv(seeded: Service) -> None:
    response = seeded.client.get("/", params={"fmt": "tsv", "token": TOKEN})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/tab-separated-values")
    rows = list(csv.reader(io.StringIO(response.text), delimiter="\t"))
    # A snapshot with breakdowns renders the long table.
    assert rows[0] == ["Bucket", "Dimension", "Key", "Files", "Bytes", "StorageClass", "LastModified"]
    assert ["alpha", "prefix", "logs/", "2", "1000", "", ""] in rows


def test_seed_tsv_header_without_breakdowns(store: Store, service: Callable[..., Service]) -> None:
    store.save(small_snapshot(T0, standard=500, objects=2))
    svc = service()
    response = svc.client.get("/", params={"fmt": "tsv"}, headers=AUTH)
    rows = list(csv.reader(io.StringIO(response.text), delimiter="\t"))
    assert rows[0][:4] == ["Bucket", "Region", "Files", "Total"]
    assert rows[1][:4] == ["solo", "us-east-1", "2", "500"]


@pytest.mark.parametrize(
    ("accept", "media", "first"),
    [
        ("text/csv", "text/csv", "Bucket,"),
        ("application/json", "application/json", '{"Buckets"'),
        ("text/tab-separated-values", "text/tab-separated-values", "Bucket\t"),
        ("application/x-ndjson", "application/x-ndjson", '{"Bucket": "alpha"'),
        ("*/*", "application/json", '{"Buckets"'),
        # q-values: the highest weight wins, whatever the order; q=0 rules a format out
        ("application/json;q=0.5, text/csv", "text/csv", "Bucket,"),
        ("text/csv;q=0.2, text/tab-separated-values;q=0.9", "text/tab-separated-values", "Bucket\t"),
        ("application/json;q=0, text/*;q=0.1", "text/tab-separated-values", "Bucket\t"),
        ("text/html;q=0.5, application/json", "application/json", '{"Buckets"'),
    ],
)
def test_accept_negotiation(seeded: Service, accept: str, media: str, first: str) -> None:
    for path in ("/", "/api/v1/report"):
        response = seeded.client.get(path, headers={**AUTH, "Accept": accept})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(media)
        assert response.text.startswith(first)


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_browser_gets_the_page_at_root_and_json_from_the_api(seeded: Service) -> None:
    """0.1 answered a browser with JSON; now ``/`` shows it the overview page. The API and ``?fmt=`` do not change."""
    page = seeded.client.get("/", headers={**AUTH, "Accept": BROWSER})
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>S3 storage</h1>" in page.text
    for path in ("/?fmt=json", "/api/v1/report"):
        response = seeded.client.get(path, headers={**AUTH, "Accept": BROWSER})
        assert response.headers["content-type"].startswith("application/json"), path
        assert response.text.startswith('{"Buckets"'), path


def test_fmt_wins_over_accept(seeded: Service) -> None:
    response = seeded.client.get("/", params={"fmt": "csv"}, headers={**AUTH, "Accept": "application/json"})
    assert response.headers["content-type"].startswith("text/csv")


def test_a_bad_fmt_names_the_choices(seeded: Service) -> None:
    for path in ("/", "/api/v1/report", "/api/v1/snapshots/1"):
        response = seeded.client.get(path, params={"fmt": "xml"}, headers=AUTH)
        error = assert_error(response, 400, "BadRequest")
        assert "fmt" in error["Message"]
        for name in FORMATS:
            assert name in error["Hint"]


def test_prometheus_format_of_the_report(seeded: Service) -> None:
    response = seeded.client.get("/api/v1/report", params={"fmt": "prometheus"}, headers=AUTH)
    assert response.status_code == 200
    values = metric_samples(response.text)
    assert values[("s3_bucket_size_bytes", labels(bucket="beta", region="us-east-1", storage_class="STANDARD"))] == (
        123_456
    )


def test_no_snapshot_yet_is_503(service: Callable[..., Service]) -> None:
    svc = service()
    for path in ("/", "/api/v1/report"):
        error = assert_error(svc.client.get(path, headers=AUTH), 503, "NoSnapshotYet")
        assert "/api/v1/scans" in error["Hint"]
    assert svc.client.get("/api/v1/snapshots", headers=AUTH).json() == {"Snapshots": []}
    health = svc.client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["HasSnapshot"] is False
    assert health.json()["Reasons"] == ["NoSnapshot"]
    metrics = svc.client.get("/metrics", headers=AUTH)
    assert metrics.status_code == 200
    assert "s3_bucket_size_bytes{" not in metrics.text
    assert "s3_analyser_scans_total 0.0" in metrics.text


# --- the v1 API ---------------------------------------------------------------------------------


def test_snapshots_list(seeded: Service) -> None:
    response = seeded.client.get("/api/v1/snapshots", headers=AUTH)
    assert response.status_code == 200
    listing = response.json()["Snapshots"]
    assert [s["Id"] for s in listing] == [2, 1]
    assert listing[0] == {
        "Id": 2,
        "TakenAt": f"{T0 + timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}",
        "Strategy": "list",
        "Buckets": 2,
        "Files": 13,
        "Bytes": 129_463,
        "Failures": 2,
    }
    assert listing[1]["Bytes"] == 500
    limited = seeded.client.get("/api/v1/snapshots?limit=1", headers=AUTH).json()["Snapshots"]
    assert [s["Id"] for s in limited] == [2]
    assert_error(seeded.client.get("/api/v1/snapshots?limit=0", headers=AUTH), 400, "BadRequest")


def test_snapshots_list_is_what_history_prints(seeded: Service, cli: Any, service: Callable[..., Service]) -> None:
    """One shape for the same data: the API's list is ``history``'s output, in every format, with and without
    cost (the CLI prices with the shipped table when no --prices file or Price List cache is there)."""
    priced = service(book=book([shipped_table()]))
    for fmt in ("json", "tsv", "csv", "table"):
        printed = cli("history", "--db", str(seeded.store.path), "--fmt", fmt)
        assert printed.code == 0, printed.stderr
        served = priced.client.get("/api/v1/snapshots", params={"fmt": fmt}, headers=AUTH)
        assert served.status_code == 200
        assert served.text == printed.stdout, fmt
        printed = cli("history", "--db", str(seeded.store.path), "--fmt", fmt, "--no-cost")
        assert printed.code == 0, printed.stderr
        served = seeded.client.get("/api/v1/snapshots", params={"fmt": fmt}, headers=AUTH)
        assert served.text == printed.stdout, fmt
    by_accept = seeded.client.get("/api/v1/snapshots", headers={**AUTH, "Accept": "text/csv"})
    assert by_accept.headers["content-type"].startswith("text/csv")
    assert by_accept.text.splitlines()[0] == "Id,TakenAt,Strategy,Buckets,Files,Bytes,Failures"
    assert_error(seeded.client.get("/api/v1/snapshots?fmt=prometheus", headers=AUTH), 400, "BadRequest")


def test_one_snapshot(seeded: Service) -> None:
    response = seeded.client.get("/api/v1/snapshots/1", headers=AUTH)
    assert response.status_code == 200
    body = response.json()
    assert body["Id"] == 1
    assert body["Strategy"] == "cloudwatch"
    assert [(b["Bucket"], b["Bytes"]) for b in body["Buckets"]] == [("solo", 500)]
    tsv = seeded.client.get("/api/v1/snapshots/1", params={"fmt": "tsv"}, headers=AUTH)
    assert tsv.text.splitlines()[1].split("\t")[:4] == ["solo", "us-east-1", "2", "500"]


def test_a_missing_snapshot_is_404(seeded: Service) -> None:
    error = assert_error(seeded.client.get("/api/v1/snapshots/99", headers=AUTH), 404, "SnapshotNotFound")
    assert "99" in error["Message"]
    # the server's file system is none of the client's business
    assert seeded.store.path.name not in str(error) and str(seeded.store.path.parent) not in str(error)
    assert_error(seeded.client.get("/api/v1/scans/99", headers=AUTH), 404, "NotFound")
    assert_error(seeded.client.get("/api/v1/diff?a=1&b=99", headers=AUTH), 404, "SnapshotNotFound")


def test_ids_beyond_sqlite_integers_are_404_not_500(seeded: Service) -> None:
    huge = str(2**63)
    error = assert_error(seeded.client.get(f"/api/v1/snapshots/{huge}", headers=AUTH), 404, "SnapshotNotFound")
    assert huge in error["Message"]
    assert_error(seeded.client.get(f"/api/v1/diff?a=1&b={huge}", headers=AUTH), 404, "SnapshotNotFound")
    assert_error(seeded.client.get(f"/api/v1/snapshots/-{huge}1", headers=AUTH), 404, "SnapshotNotFound")


def test_routing_errors_have_the_error_shape(seeded: Service) -> None:
    assert_error(seeded.client.get("/api/v2/nothing-here", headers=AUTH), 404, "NotFound")
    wrong_method = seeded.client.delete("/api/v1/snapshots", headers=AUTH)
    assert_error(wrong_method, 405, "MethodNotAllowed")
    assert wrong_method.headers["allow"] == "GET"


def test_validation_hints_name_the_routes_choices(seeded: Service) -> None:
    limit = assert_error(seeded.client.get("/api/v1/snapshots?limit=0", headers=AUTH), 400, "BadRequest")
    assert "limit" in limit["Message"]
    assert limit["Hint"] is None  # not a misleading "fmt takes one of" for a bad limit
    diff_fmt = assert_error(seeded.client.get("/api/v1/diff?fmt=prometheus", headers=AUTH), 400, "BadRequest")
    assert "'tsv'" in diff_fmt["Hint"]
    assert "prometheus" not in diff_fmt["Hint"]  # diff has no prometheus format


def test_diff_defaults_to_the_last_two(seeded: Service) -> None:
    response = seeded.client.get("/api/v1/diff", headers=AUTH)
    assert response.status_code == 200
    doc = response.json()
    assert (doc["Before"]["Id"], doc["After"]["Id"]) == (1, 2)
    assert doc["After"]["Bytes"] - doc["Before"]["Bytes"] == 129_463 - 500
    top = doc["Changes"][0]
    assert (top["Bucket"], top["StorageClass"], top["BytesBefore"], top["BytesAfter"], top["BytesChange"]) == (
        "beta",
        "ALL",
        0,
        123_463,
        123_463,
    )
    solo = [c for c in doc["Changes"] if c["Bucket"] == "solo" and c["StorageClass"] == "ALL"]
    assert solo[0]["BytesChange"] == -500
    explicit = seeded.client.get("/api/v1/diff?a=1&b=2", headers=AUTH).json()
    assert explicit == doc
    tsv = seeded.client.get("/api/v1/diff?fmt=tsv", headers=AUTH)
    assert tsv.headers["content-type"].startswith("text/tab-separated-values")
    assert tsv.text.splitlines()[1].split("\t")[:5] == ["beta", "ALL", "0", "123463", "123463"]


def test_diff_leaves_out_buckets_that_failed(store: Store, service: Callable[..., Service]) -> None:
    store.save(rich_snapshot(T0))
    later = rich_snapshot(T0 + timedelta(days=1), alpha_standard=9999)
    failed = (Failure("alpha", "eu-west-1", "measure", "E", "m"),)
    store.save(replace(later, buckets=later.buckets[1:], failures=failed))
    svc = service()
    changes = svc.client.get("/api/v1/diff", headers=AUTH).json()["Changes"]
    assert changes
    assert {c["Bucket"] for c in changes} == {"beta"}  # alpha's change is unknown, not -6000


def test_diff_with_one_snapshot_is_400(store: Store, service: Callable[..., Service]) -> None:
    store.save(rich_snapshot())
    svc = service()
    error = assert_error(svc.client.get("/api/v1/diff", headers=AUTH), 400, "BadRequest")
    assert "two snapshots" in error["Message"]


# --- scans --------------------------------------------------------------------------------------


def test_post_scan_before_the_thread_runs_returns_the_requested_scan(service: Callable[..., Service]) -> None:
    svc = service(start=False)
    first = svc.client.post("/api/v1/scans", headers=AUTH)
    second = svc.client.post("/api/v1/scans", headers=AUTH)
    assert first.status_code == second.status_code == 202
    assert first.json()["Id"] == second.json()["Id"] == 1
    assert first.json()["Status"] == "running"


def test_scan_lifecycle(store: Store, service: Callable[..., Service]) -> None:
    started, release = threading.Event(), threading.Event()
    produced = rich_snapshot(T0 + timedelta(days=2), alpha_standard=4242)

    def run_scan() -> Snapshot:
        started.set()
        release.wait(30)
        return produced

    svc = service(run_scan)
    try:
        first = svc.client.post("/api/v1/scans", headers=AUTH)
        assert first.status_code == 202
        body = first.json()
        assert set(body) == {"Id", "Status", "StartedAt", "FinishedAt", "SnapshotId", "Error"}
        assert body["Status"] == "running"
        assert body["SnapshotId"] is None
        assert body["StartedAt"].endswith("Z") and body["FinishedAt"] is None
        assert started.wait(10)
        second = svc.client.post("/api/v1/scans", headers=AUTH)
        assert second.status_code == 202
        assert second.json()["Id"] == body["Id"]  # joins the running scan
        during = svc.client.get(f"/api/v1/scans/{body['Id']}", headers=AUTH).json()
        assert during["Status"] == "running"
        assert during["FinishedAt"] is None
        assert_error(svc.client.get("/", headers=AUTH), 503, "NoSnapshotYet")
    finally:
        release.set()
    done = svc.wait_for_scan(body["Id"])
    assert done["Status"] == "succeeded"
    assert done["Error"] is None
    assert done["FinishedAt"] >= done["StartedAt"]
    assert done["SnapshotId"] == store.latest_ids(1)[0]
    assert store.load(done["SnapshotId"]) == produced
    report = svc.client.get("/?fmt=json", headers=AUTH).json()
    assert report["Buckets"][0]["Bytes-ST"] == 4242
    # A new request after it finished is a new scan.
    third = svc.client.post("/api/v1/scans", headers=AUTH).json()
    assert third["Id"] == body["Id"] + 1
    assert svc.wait_for_scan(third["Id"])["Status"] == "succeeded"
    values = metric_samples(svc.client.get("/metrics", headers=AUTH).text)
    assert values[("s3_analyser_scans_total", ())] == 2
    assert values[("s3_analyser_scan_failures_total", ())] == 0
    assert ("s3_analyser_last_scan_timestamp_seconds", ()) in values
    assert ("s3_analyser_scan_duration_seconds", ()) in values


def test_a_failed_scan_keeps_the_last_good_snapshot(
    seeded: Service, store: Store, service: Callable[..., Service]
) -> None:
    def run_scan() -> Snapshot:
        raise RuntimeError("AccessDenied while listing buckets")

    svc = service(run_scan)
    before = svc.client.get("/?fmt=json", headers=AUTH).json()
    scan = svc.client.post("/api/v1/scans", headers=AUTH).json()
    done = svc.wait_for_scan(scan["Id"])
    assert done["Status"] == "failed"
    assert done["SnapshotId"] is None
    assert "AccessDenied while listing buckets" in done["Error"]
    assert store.latest_ids(5) == [2, 1]
    assert svc.client.get("/?fmt=json", headers=AUTH).json() == before
    metrics = svc.client.get("/metrics", headers=AUTH)
    values = metric_samples(metrics.text)
    assert values[("s3_analyser_scan_failures_total", ())] == 1
    assert values[("s3_analyser_scans_total", ())] == 1
    assert ("s3_analyser_last_scan_timestamp_seconds", ()) not in values
    assert (
        values[("s3_bucket_size_bytes", labels(bucket="alpha", region="eu-west-1", storage_class="STANDARD"))] == 1000
    )
    health = svc.client.get("/healthz")
    assert health.status_code == 503  # a snapshot is served, but it is getting stale
    assert health.json()["Status"] == "degraded"
    assert health.json()["Reasons"] == ["LastScanFailed"]
    assert health.json()["ScanFailures"] == 1
    assert health.json()["ConsecutiveScanFailures"] == 1
    assert health.json()["LastScanSuccess"] is None


# --- /metrics -----------------------------------------------------------------------------------


def test_metrics_exposition(seeded: Service) -> None:
    response = seeded.client.get("/metrics", headers=AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    for family in families.values():
        if family.type == "gauge":
            assert not family.name.endswith("_total"), family.name
    assert families["s3_analyser_scan_failures"].type == "counter"
    assert families["s3_analyser_scans"].type == "counter"
    sizes = {
        (s.labels["bucket"], s.labels["region"], s.labels["storage_class"]): s.value
        for s in families["s3_bucket_size_bytes"].samples
    }
    assert sizes == {
        ("alpha", "eu-west-1", "STANDARD"): 1000,
        ("alpha", "eu-west-1", "GLACIER"): 5000,
        ("beta", "us-east-1", "STANDARD"): 123_456,
        ("beta", "us-east-1", "STANDARD_IA"): 7,
    }
    values = metric_samples(response.text)
    assert (
        values[
            ("s3_bucket_noncurrent_size_bytes", labels(bucket="alpha", region="eu-west-1", storage_class="STANDARD"))
        ]
        == 400
    )
    assert values[("s3_bucket_incomplete_upload_size_bytes", labels(bucket="alpha", region="eu-west-1"))] == 15_000_000
    assert values[("s3_bucket_scan_failed", labels(bucket="gamma", stage="measure", error="AccessDenied"))] == 1
    assert values[("s3_bucket_data_timestamp_seconds", labels(bucket="beta", region="us-east-1"))] == 1714435200


def test_metrics_follow_the_newest_snapshot(seeded: Service, store: Store) -> None:
    store.save(small_snapshot(T0 + timedelta(days=3), standard=777))
    values = metric_samples(seeded.client.get("/metrics", headers=AUTH).text)
    sizes = {k: v for k, v in values.items() if k[0] == "s3_bucket_size_bytes"}
    assert sizes == {("s3_bucket_size_bytes", labels(bucket="solo", region="us-east-1", storage_class="STANDARD")): 777}


def test_metrics_golden(seeded: Service) -> None:
    text = seeded.client.get("/metrics", headers=AUTH).text
    stable = "".join(line + "\n" for line in text.splitlines() if HEALTH_PREFIX not in line)
    assert HEALTH_PREFIX in text
    golden("server/metrics.txt", stable)


# --- load_auth ----------------------------------------------------------------------------------


def test_load_auth_refuses_to_start_without_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOKEN", raising=False)
    with pytest.raises(UsageError) as caught:
        load_auth("127.0.0.1", None, False)
    assert "TOKEN" in str(caught.value)
    monkeypatch.setenv("TOKEN", "   ")
    with pytest.raises(UsageError):
        load_auth("0.0.0.0", None, False)


def test_load_auth_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKEN", " from-env \n")
    assert load_auth("0.0.0.0", None, False) == AuthConfig("from-env")


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::", "example.com"])
def test_no_auth_is_refused_off_loopback(host: str) -> None:
    with pytest.raises(UsageError) as caught:
        load_auth(host, None, True)
    assert "loopback" in str(caught.value)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_no_auth_is_accepted_on_loopback(host: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKEN", "ignored")
    assert load_auth(host, None, True) == AuthConfig(None)


def test_load_auth_reads_the_token_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKEN", "from-env")
    path = tmp_path / "token"
    path.write_text("from-file\n")
    assert load_auth("0.0.0.0", path, False) == AuthConfig("from-file")
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(UsageError):
        load_auth("0.0.0.0", empty, False)
    with pytest.raises(UsageError) as caught:
        load_auth("0.0.0.0", tmp_path / "missing", False)
    assert "--token-file" in str(caught.value)


def test_serve_flags_are_checked_before_serving(tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOKEN", raising=False)
    refused = cli("serve", "--host", "0.0.0.0", "--no-auth", "--db", str(tmp_path / "h.db"))
    assert refused.code == 2
    assert "--no-auth is only allowed on a loopback address" in refused.stderr
    no_token = cli("serve", "--db", str(tmp_path / "h.db"))
    assert no_token.code == 2
    assert "No API token" in no_token.stderr


def test_the_token_is_compared_exactly(store: Store, service: Callable[..., Service]) -> None:
    store.save(rich_snapshot())
    svc = service()
    for offered in (TOKEN + "x", TOKEN[:-1], TOKEN.upper(), f" {TOKEN}x"):
        assert svc.client.get("/api/v1/snapshots", headers={"Authorization": f"Bearer {offered}"}).status_code == 401
    assert json.loads(svc.client.get("/api/v1/snapshots", headers=AUTH).text)["Snapshots"][0]["Id"] == 1


# --- health -------------------------------------------------------------------------------------


def test_healthz_recovers_after_a_good_scan(store: Store, service: Callable[..., Service]) -> None:
    outcomes = iter([RuntimeError("endpoint down"), RuntimeError("endpoint down"), None])

    def run_scan() -> Snapshot:
        failure = next(outcomes)
        if failure is not None:
            raise failure
        return rich_snapshot(T0)

    svc = service(run_scan)
    for expected in ("failed", "failed"):
        assert svc.wait_for_scan(svc.client.post("/api/v1/scans", headers=AUTH).json()["Id"])["Status"] == expected
        health = svc.client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["Reasons"] == ["NoSnapshot", "LastScanFailed"]
    assert health.json()["ConsecutiveScanFailures"] == 2
    assert svc.wait_for_scan(svc.client.post("/api/v1/scans", headers=AUTH).json()["Id"])["Status"] == "succeeded"
    health = svc.client.get("/healthz")
    assert health.status_code == 200
    assert health.json()["Status"] == "ok"
    assert health.json()["ConsecutiveScanFailures"] == 0
    assert health.json()["ScanFailures"] == 2
    assert health.json()["LastScanSuccess"] is not None


def test_healthz_is_degraded_when_the_scanner_thread_is_not_running(seeded: Service) -> None:
    assert seeded.client.get("/healthz").status_code == 200
    seeded.scanner.stop()
    health = seeded.client.get("/healthz")
    assert health.status_code == 503
    assert health.json() | {"LastScanSuccess": None} == {
        "Status": "degraded",
        "Reasons": ["ScannerStopped"],
        "HasSnapshot": True,
        "ScannerAlive": False,
        "LastScanSuccess": None,
        "ScanFailures": 0,
        "ConsecutiveScanFailures": 0,
    }


@pytest.mark.parametrize("interval", [float("inf"), float("nan"), -1.0, 0.0])
def test_the_scanner_refuses_an_interval_it_could_not_wait(store: Store, interval: float) -> None:
    with pytest.raises(ValueError, match="interval"):
        Scanner(lambda: rich_snapshot(T0), store, interval)


def test_a_scan_that_raises_anything_leaves_the_thread_running(store: Store, service: Callable[..., Service]) -> None:
    def run_scan() -> Snapshot:
        raise MemoryError("not really")  # not an AnalyserError, not even a RuntimeError

    svc = service(run_scan)
    done = svc.wait_for_scan(svc.client.post("/api/v1/scans", headers=AUTH).json()["Id"])
    assert done["Status"] == "failed"
    assert svc.scanner.alive
    assert svc.client.get("/healthz").json()["ScannerAlive"] is True


# --- HEAD ---------------------------------------------------------------------------------------


def _get_routes(app: Any) -> list[str]:
    from starlette.routing import Route

    return [r.path for r in app.routes if isinstance(r, Route) and "GET" in (r.methods or ())]


def test_head_works_on_every_get_route(seeded: Service, service: Callable[..., Service]) -> None:
    seeded = service(book=book([shipped_table()]))  # priced: /api/v1/advice answers only with prices
    paths = _get_routes(seeded.app)
    assert {"/", "/api/v1/report", "/healthz", "/metrics", "/docs", "/redoc", "/openapi.json"} <= set(paths)
    concrete = [
        p.replace("{snapshot_id}", "1").replace("{scan_id}", "1").replace("{name:path}", "alpha") for p in paths
    ]
    concrete = [p.replace("{name}", "report.js") if p.startswith("/static/") else p for p in concrete]
    concrete.append("/docs-assets/swagger-ui.css")
    seeded.scanner.trigger()
    seeded.wait_for_scan(1)
    for path in concrete:
        get = seeded.client.get(path, headers=AUTH)
        head = seeded.client.head(path, headers=AUTH)
        assert head.status_code == get.status_code == 200, (path, head.status_code, get.text)
        assert head.content == b"", path
        assert head.headers["content-type"] == get.headers["content-type"], path
        if "content-length" in get.headers and path not in ("/healthz", "/metrics", "/api/v1/scans/1"):
            assert head.headers["content-length"] == get.headers["content-length"], path


def test_head_keeps_the_errors_of_get(seeded: Service) -> None:
    assert seeded.client.head("/api/v1/report").status_code == 401
    assert seeded.client.head("/api/v1/snapshots/999", headers=AUTH).status_code == 404
    assert seeded.client.head("/api/v1/nothing", headers=AUTH).status_code == 404
    refused = seeded.client.head("/signout", headers=AUTH)  # POST only
    assert refused.status_code == 405
    assert refused.headers["allow"] == "POST"
    assert seeded.scanner.get(1) is None
