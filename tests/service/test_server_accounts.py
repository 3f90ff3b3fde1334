"""The service over a history of scans of two accounts: ``?account=`` on every read endpoint (real Store)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from s3_storage_analyser.accounts import AccountOptions
from s3_storage_analyser.aws import Aws, AwsOptions
from s3_storage_analyser.config import ScanOptions
from s3_storage_analyser.pricing.book import book
from s3_storage_analyser.pricing.cost import cost_snapshot
from s3_storage_analyser.pricing.shipped import shipped_table
from s3_storage_analyser.report import scan_all
from s3_storage_analyser.server.app import create_app
from s3_storage_analyser.server.auth import AuthConfig
from s3_storage_analyser.server.scanner import Scanner
from s3_storage_analyser.store import Store
from support.account_snapshots import A1, A2, A3, GiB, one_account, two_accounts
from support.organization import MANAGEMENT, build_organization

TOKEN = "tok-accounts"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PRICES = book([shipped_table()])
READ_ROUTES = [
    "/",
    "/api/v1/report",
    "/api/v1/snapshots",
    "/api/v1/snapshots/{snapshot_id}",
    "/api/v1/diff",
    "/api/v1/advice",
    "/metrics",
]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """Snapshots 1 (one account), 2 and 3 (A1 and A2, A2 growing 2 GiB; A3 not covered); no scan runs."""
    store = Store(tmp_path / "service.sqlite3")
    for snapshot in (one_account(), two_accounts(0), two_accounts(2)):
        store.save(snapshot)
    scanner = Scanner(lambda: two_accounts(9), store, None)
    scanner.start(scan_now=False)
    app = create_app(store, scanner, AuthConfig(TOKEN), book=PRICES)
    with TestClient(app, base_url="http://127.0.0.1:8080") as test_client:
        yield test_client
    scanner.stop()
    store.close()


def get(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(path, params=params, headers=AUTH)
    assert response.status_code == 200, response.text
    return response


def a2_cost(step: int) -> Decimal:
    total = cost_snapshot(two_accounts(step), PRICES).buckets["a2-media"].total
    assert total is not None
    return total


def test_the_report_of_one_account(client: TestClient) -> None:
    body = get(client, "/api/v1/report", fmt="json", account=A2).json()
    assert [b["Bucket"] for b in body["Buckets"]] == ["a2-media"]
    assert body["Buckets"][0]["Bytes"] == 9 * GiB
    assert [f["Bucket"] for f in body["Failures"]] == ["a2-locked"]
    assert Decimal(body["Cost"]["PerMonth"]) == a2_cost(2)  # its line of the whole bill, not priced alone
    assert (
        get(client, "/", fmt="json", account=A2).content
        == get(client, "/api/v1/report", fmt="json", account=A2).content
    )


def test_no_account_is_the_whole_report_and_the_cache_keys_on_the_filter(client: TestClient) -> None:
    whole = get(client, "/api/v1/report", fmt="tsv").text
    only = get(client, "/api/v1/report", fmt="tsv", account=A1).text
    again = get(client, "/api/v1/report", fmt="tsv").text
    assert whole == again != only
    assert len(whole.splitlines()) == 4 and len(only.splitlines()) == 3  # header + 3 buckets; header + A1's 2
    assert {line.split("\t")[0] for line in only.splitlines()[1:]} == {"a1-data", "a1-logs"}


def test_several_accounts_in_any_order_are_one_filter(client: TestClient) -> None:
    one = client.get(
        "/api/v1/report?fmt=csv&account=222222222222&account=111111111111&account=222222222222", headers=AUTH
    )
    other = client.get("/api/v1/report?fmt=csv&account=111111111111&account=222222222222", headers=AUTH)
    assert one.status_code == other.status_code == 200
    assert one.content == other.content == get(client, "/api/v1/report", fmt="csv").content


def test_the_snapshots_of_one_account(client: TestClient) -> None:
    rows = get(client, "/api/v1/snapshots", fmt="json", account=A2).json()["Snapshots"]
    assert [(r["Id"], r["Buckets"], r["Files"], r["Bytes"], r["Failures"]) for r in rows] == [
        (3, 1, 7, 9 * GiB, 1),
        (2, 1, 5, 7 * GiB, 1),
    ]
    assert [Decimal(r["CostPerMonth"]) for r in rows] == [a2_cost(2), a2_cost(0)]
    failed = get(client, "/api/v1/snapshots", fmt="json", account=A3).json()["Snapshots"]
    assert [(r["Buckets"], r["Bytes"], r["Failures"], r["CostPerMonth"]) for r in failed] == [(0, 0, 1, "0.000000")] * 2
    every = get(client, "/api/v1/snapshots", fmt="json").json()["Snapshots"]
    assert [r["Id"] for r in every] == [3, 2, 1]


def test_the_snapshots_of_accounts_priced_before_and_after_the_history_is_warmed(tmp_path: Path) -> None:
    """Cold: each snapshot loaded and priced; warm (as serve does at start): summed from the kept bucket totals.
    Both give each account's share of the whole bill, to the micro-dollar; an unpriced bucket stays unknown."""
    store = Store(tmp_path / "warm.sqlite3")
    for snapshot in (one_account(), two_accounts(0), two_accounts(2)):
        store.save(snapshot)
    scanner = Scanner(lambda: two_accounts(9), store, None)
    answers = []
    try:
        for warm in (False, True):
            app = create_app(store, scanner, AuthConfig(TOKEN), book=PRICES)
            if warm:
                assert app.state.warm_costs() == 3
            with TestClient(app, base_url="http://127.0.0.1:8080") as test_client:
                answers.append(
                    [
                        get(test_client, "/api/v1/snapshots", fmt="json", account=ids).json()["Snapshots"]
                        for ids in ([A1], [A2], [A1, A2], [A3])
                    ]
                )
    finally:
        store.close()
    assert answers[0] == answers[1]
    a1, a2, both, a3 = answers[1]
    assert [Decimal(r["CostPerMonth"]) for r in a2] == [a2_cost(2), a2_cost(0)]
    whole = [cost_snapshot(two_accounts(step), PRICES).priced for step in (2, 0)]
    assert [Decimal(x["CostPerMonth"]) + Decimal(y["CostPerMonth"]) for x, y in zip(a1, a2, strict=True)] == whole
    assert [Decimal(r["CostPerMonth"]) for r in both] == whole
    assert [r["CostPerMonth"] for r in a3] == ["0.000000", "0.000000"]


def test_one_snapshot_of_one_account(client: TestClient) -> None:
    body = get(client, "/api/v1/snapshots/2", account=A1).json()
    assert body["Id"] == 2
    assert sorted(b["Bucket"] for b in body["Buckets"]) == ["a1-data", "a1-logs"]
    assert sum(b["Bytes"] for b in body["Buckets"]) == (60 * 1024 + 8) * GiB
    assert body["Failures"] == []
    tsv = get(client, "/api/v1/snapshots/2", fmt="tsv", account=A1).text
    assert len(tsv.splitlines()) == 3
    assert get(client, "/api/v1/snapshots/1", account=A1).json()["Buckets"] == []  # one account: none of A1's


def test_the_diff_of_one_account(client: TestClient) -> None:
    body = get(client, "/api/v1/diff", account=A2).json()
    assert (body["Before"]["Bytes"], body["After"]["Bytes"]) == (7 * GiB, 9 * GiB)
    assert {c["Bucket"] for c in body["Changes"]} == {"a2-media"}
    [total] = [c for c in body["Changes"] if c["StorageClass"] == "ALL"]
    assert (total["BytesChange"], Decimal(total["CostChange"])) == (2 * GiB, a2_cost(2) - a2_cost(0))
    unchanged = get(client, "/api/v1/diff", a=2, b=3, account=A1).json()
    assert unchanged["Before"]["Bytes"] == unchanged["After"]["Bytes"]


def test_the_advice_of_one_account(client: TestClient) -> None:
    body = get(client, "/api/v1/advice", account=A1).json()
    assert [b["Bucket"] for b in body["Buckets"]] == ["a1-data", "a1-logs"]
    every = get(client, "/api/v1/advice").json()
    assert [b["Bucket"] for b in every["Buckets"]] == ["a1-data", "a1-logs", "a2-media"]


def _gauges(text: str, name: str) -> dict[str, float]:
    return {
        sample.labels["bucket"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and sample.labels.get("storage_class") == "STANDARD"
    }


def test_the_metrics_of_one_account(client: TestClient) -> None:
    only = get(client, "/metrics", account=A2).text
    assert _gauges(only, "s3_bucket_size_bytes") == {"a2-media": 9 * GiB}
    whole = get(client, "/metrics").text
    assert set(_gauges(whole, "s3_bucket_size_bytes")) == {"a1-data", "a1-logs", "a2-media"}
    assert _gauges(only, "s3_bucket_cost_dollars_per_month") == {"a2-media": float(a2_cost(2))}
    assert "s3_analyser_scans" in only  # the scanner's health, as on every scrape


@pytest.mark.parametrize("route", READ_ROUTES)
@pytest.mark.parametrize("bad", ["12345", "abcdefghijkl", "1234567890123", "%0a12345678901"])
def test_a_bad_account_is_a_400_naming_the_parameter(client: TestClient, route: str, bad: str) -> None:
    path = route.replace("{snapshot_id}", "2")
    response = client.get(f"{path}?fmt=json&account={bad}" if route == "/" else f"{path}?account={bad}", headers=AUTH)
    assert response.status_code == 400, response.text
    error = response.json()["Error"]
    assert error["Code"] == "BadRequest"
    assert "account" in error["Message"]
    assert error["Hint"] == "account takes an AWS account id of 12 digits (repeat it for several accounts)."


@pytest.mark.parametrize("route", READ_ROUTES)
def test_an_account_the_history_lacks_is_a_404_listing_those_it_has(client: TestClient, route: str) -> None:
    path = route.replace("{snapshot_id}", "2")
    params = {"account": ["999999999999", A1], **({"fmt": "json"} if route == "/" else {})}
    response = client.get(path, params=params, headers=AUTH)
    assert response.status_code == 404, response.text
    error = response.json()["Error"]
    assert (error["Code"], error["Message"]) == ("NotFound", "The history has no account 999999999999.")
    assert error["Hint"] == f"It has these accounts: {A1}, {A2}, {A3}."


def test_the_token_is_still_needed(client: TestClient) -> None:
    assert client.get("/api/v1/report", params={"account": A1}).status_code == 401


def test_the_openapi_document_declares_account_on_every_read_route(client: TestClient) -> None:
    document = get(client, "/openapi.json").json()
    for route in READ_ROUTES:
        [parameter] = [p for p in document["paths"][route]["get"]["parameters"] if p["name"] == "account"]
        assert parameter["in"] == "query" and not parameter.get("required", False)
        [array] = [s for s in parameter["schema"]["anyOf"] if s.get("type") == "array"]
        assert array["items"]["pattern"] == "^[0-9]{12}$"
        assert {"400", "404"} <= set(document["paths"][route]["get"]["responses"]), route
    assert json.dumps(document).count('"name": "account"') == len(READ_ROUTES)


# --- end to end: the service's own scan of an organisation on moto over HTTP ---------------------------------


def test_the_service_scans_two_accounts_and_serves_each(aws_url: str, tmp_path: Path) -> None:
    """The scanner runs ``scan_all`` over an organisation (as ``serve --organization`` does); two scans, alpha
    growing in between; each account's figures through ``?account=`` are its own buckets, exactly."""
    organization = build_organization(aws_url, ["alpha"])
    alpha = organization.id("alpha")
    organization.bucket(MANAGEMENT, "mgmt-logs", {"a": b"x" * 10})
    organization.bucket(alpha, "alpha-data", {"c": b"z" * 700, "d": b"z" * 300})
    aws = Aws(AwsOptions(endpoint_url=aws_url))
    options = ScanOptions(strategy="list", processes=0)
    store = Store(tmp_path / "served.sqlite3")
    scanner = Scanner(lambda: scan_all(aws, options, AccountOptions(organization=True)), store, None)
    scanner.start(scan_now=False)
    app = create_app(store, scanner, AuthConfig(TOKEN), book=PRICES)
    try:
        with TestClient(app, base_url="http://127.0.0.1:8080") as client:
            first = _scan(client)
            organization.bucket(alpha, "alpha-more", {"e": b"q" * 2000})
            second = _scan(client)
            rows = get(client, "/api/v1/snapshots", fmt="json", account=alpha).json()["Snapshots"]
            assert [(r["Id"], r["Buckets"], r["Files"], r["Bytes"]) for r in rows] == [
                (second, 2, 3, 3000),
                (first, 1, 2, 1000),
            ]
            mine = get(client, "/api/v1/snapshots", fmt="json", account=MANAGEMENT).json()["Snapshots"]
            assert [(r["Buckets"], r["Bytes"]) for r in mine] == [(1, 10), (1, 10)]
            report = get(client, "/api/v1/report", fmt="json", account=alpha).json()
            assert {b["Bucket"]: (b["Account"], b["Bytes"]) for b in report["Buckets"]} == {
                "alpha-data": (alpha, 1000),
                "alpha-more": (alpha, 2000),
            }
            changes = get(client, "/api/v1/diff", account=alpha).json()["Changes"]
            assert {(c["Bucket"], c["BytesChange"]) for c in changes if c["StorageClass"] == "ALL"} == {
                ("alpha-data", 0),
                ("alpha-more", 2000),
            }
            gauges = _gauges(get(client, "/metrics", account=MANAGEMENT).text, "s3_bucket_size_bytes")
            assert gauges == {"mgmt-logs": 10.0}
            unknown = client.get("/api/v1/report", params={"account": "999999999999"}, headers=AUTH)
            assert unknown.status_code == 404
            assert (
                unknown.json()["Error"]["Hint"] == f"It has these accounts: {', '.join(sorted([MANAGEMENT, alpha]))}."
            )
    finally:
        scanner.stop()
        store.close()


def _scan(client: TestClient) -> int:
    """POST a scan and wait for its snapshot id."""
    started = client.post("/api/v1/scans", headers=AUTH)
    assert started.status_code == 202, started.text
    deadline = time.monotonic() + 60
    while (status := client.get(f"/api/v1/scans/{started.json()['Id']}", headers=AUTH).json())["Status"] == "running":
        assert time.monotonic() < deadline, status
        time.sleep(0.02)
    assert status["Status"] == "succeeded", status
    return int(status["SnapshotId"])
