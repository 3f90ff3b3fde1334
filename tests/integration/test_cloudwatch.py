"""The CloudWatch strategy end to end, against moto over HTTP on loopback.

Expected figures are computed here, from the sizes uploaded and AWS's billing
rules (the 128 KiB minimum of the IA classes, the 32 KiB + 8 KiB per-object
overheads of the archive classes), independently of the demo server's code.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import boto3
import pytest

from s3_storage_analyser.aws import Aws, AwsOptions
from s3_storage_analyser.demo.seed import ACCOUNT_ID
from s3_storage_analyser.model import BucketReport, Failure
from s3_storage_analyser.report import ScanOptions, scan
from s3_storage_analyser.selection import Selection
from support.aws import make_bucket, put_storage_metric, today_midnight
from support.cli import CliResult

Cli = Callable[..., CliResult]

KIB = 1024
MIN_BILLABLE = 128 * KIB
# 0.1's JSON keys (and the classes added since), always present, in this order.
CLASS_KEYS = {
    "STANDARD": "Bytes-ST",
    "REDUCED_REDUNDANCY": "Bytes-RR",
    "STANDARD_IA": "Bytes-IA",
    "ONEZONE_IA": "Bytes-OZIA",
    "INTELLIGENT_TIERING": "Bytes-IT",
    "GLACIER_IR": "Bytes-GIR",
    "GLACIER": "Bytes-GFR",
    "DEEP_ARCHIVE": "Bytes-DA",
    "EXPRESS_ONEZONE": "Bytes-EOZ",
    "OUTPOSTS": "Bytes-OUTPOSTS",
    "SNOW": "Bytes-SNOW",
}
TYPE_CLASS = {
    "StandardStorage": "STANDARD",
    "ReducedRedundancyStorage": "REDUCED_REDUNDANCY",
    "StandardIAStorage": "STANDARD_IA",
    "StandardIASizeOverhead": "STANDARD_IA",
    "OneZoneIAStorage": "ONEZONE_IA",
    "OneZoneIASizeOverhead": "ONEZONE_IA",
    "IntelligentTieringFAStorage": "INTELLIGENT_TIERING",
    "IntelligentTieringAIAStorage": "INTELLIGENT_TIERING",
    "GlacierInstantRetrievalStorage": "GLACIER_IR",
    "GlacierInstantRetrievalSizeOverhead": "GLACIER_IR",
    "GlacierStorage": "GLACIER",
    "GlacierObjectOverhead": "GLACIER",
    "GlacierS3ObjectOverhead": "GLACIER",
    "DeepArchiveStorage": "DEEP_ARCHIVE",
    "DeepArchiveObjectOverhead": "DEEP_ARCHIVE",
    "DeepArchiveS3ObjectOverhead": "DEEP_ARCHIVE",
    "DeepArchiveStagingStorage": "DEEP_ARCHIVE",
    "ExpressOneZoneStorage": "EXPRESS_ONEZONE",
}


def aws_storage_types(objects: list[tuple[str, int]]) -> dict[str, int]:
    """BucketSizeBytes per StorageType that AWS publishes for these (class, size) objects."""
    primary = {
        "STANDARD": "StandardStorage",
        "REDUCED_REDUNDANCY": "ReducedRedundancyStorage",
        "STANDARD_IA": "StandardIAStorage",
        "ONEZONE_IA": "OneZoneIAStorage",
        "INTELLIGENT_TIERING": "IntelligentTieringFAStorage",
        "GLACIER_IR": "GlacierInstantRetrievalStorage",
        "GLACIER": "GlacierStorage",
        "DEEP_ARCHIVE": "DeepArchiveStorage",
    }
    size_overhead = {
        "STANDARD_IA": "StandardIASizeOverhead",
        "ONEZONE_IA": "OneZoneIASizeOverhead",
        "GLACIER_IR": "GlacierInstantRetrievalSizeOverhead",
    }
    out: dict[str, int] = {}

    def add(storage_type: str, value: int) -> None:
        out[storage_type] = out.get(storage_type, 0) + value

    for storage_class, size in objects:
        add(primary[storage_class], size)
        if storage_class in size_overhead and size < MIN_BILLABLE:
            add(size_overhead[storage_class], MIN_BILLABLE - size)
        if storage_class == "GLACIER":
            add("GlacierObjectOverhead", 32 * KIB)
            add("GlacierS3ObjectOverhead", 8 * KIB)
        if storage_class == "DEEP_ARCHIVE":
            add("DeepArchiveObjectOverhead", 32 * KIB)
            add("DeepArchiveS3ObjectOverhead", 8 * KIB)
    return out


def expected_bucket(
    name: str,
    region: str,
    created: str,
    *,
    files: int = 0,
    storage_types: dict[str, int] | None = None,
    data_date: date | None = None,
) -> dict[str, Any]:
    """One bucket of the JSON report, written out key by key."""
    types = storage_types or {}
    by_key = dict.fromkeys(CLASS_KEYS.values(), 0)
    for storage_type, value in types.items():
        code = TYPE_CLASS.get(storage_type, storage_type)
        key = CLASS_KEYS.get(code, f"Bytes-{code}")
        by_key[key] = by_key.get(key, 0) + value
    out: dict[str, Any] = {
        "Bucket": name,
        "Region": region,
        "Files": files,
        "Bytes": sum(types.values()),
        **by_key,
        "CreationDate": created,
        "DataDate": data_date.isoformat() if data_date else None,
    }
    if types:
        out["StorageTypes"] = dict(sorted(types.items()))
    return out


def creation_dates(aws_url: str) -> dict[str, str]:
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=aws_url)
    return {b["Name"]: b["CreationDate"].strftime("%Y-%m-%dT%H:%M:%S") for b in s3.list_buckets()["Buckets"]}


def report_json(cli: Cli, aws_url: str, *args: str) -> dict[str, Any]:
    """The JSON report's figures, written out key by key by the tests: without cost (test_cost_cli prices)."""
    result = cli("--endpoint-url", aws_url, "--fmt", "json", "--no-cost", *args)
    assert result.code == 0, result.stderr
    assert result.stderr == ""
    data: dict[str, Any] = json.loads(result.stdout)
    assert data["Failures"] == []
    assert data["Strategy"] == "cloudwatch"
    return data


def by_name(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["Bucket"]: b for b in data["Buckets"]}


def put_all(client: Any, bucket: str, objects: list[tuple[str, int]]) -> None:
    for i, (storage_class, size) in enumerate(objects):
        client.put_object(Bucket=bucket, Key=f"obj-{i}", Body=b"x" * size, StorageClass=storage_class)


EAST_OBJECTS = [
    ("STANDARD", 100),
    ("STANDARD", 5000),
    ("STANDARD_IA", 1000),  # under 128 KiB: billed as 128 KiB
    ("STANDARD_IA", 200_000),  # over: no overhead
    ("GLACIER", 10),
    ("REDUCED_REDUNDANCY", 300),
]
EU_OBJECTS = [
    ("ONEZONE_IA", 4096),
    ("GLACIER_IR", 2048),
    ("DEEP_ARCHIVE", 70),
    ("INTELLIGENT_TIERING", 500),
    ("STANDARD", 1),
]


def test_regions_and_storage_classes_match_what_was_put(aws_url: str, cli: Cli) -> None:
    east = make_bucket(aws_url, "alpha-east")  # us-east-1: GetBucketLocation answers None
    put_all(east, "alpha-east", EAST_OBJECTS)
    eu = make_bucket(aws_url, "beta-eu", "eu-west-1")
    put_all(eu, "beta-eu", EU_OBJECTS)
    # Versions, a delete marker and an unfinished multipart upload are all billed and counted.
    ap = make_bucket(aws_url, "gamma-ap", "ap-southeast-2")
    ap.put_bucket_versioning(Bucket="gamma-ap", VersioningConfiguration={"Status": "Enabled"})
    ap.put_object(Bucket="gamma-ap", Key="doc", Body=b"1" * 100)
    ap.put_object(Bucket="gamma-ap", Key="doc", Body=b"2" * 250)
    ap.put_object(Bucket="gamma-ap", Key="gone", Body=b"3" * 40)
    ap.delete_object(Bucket="gamma-ap", Key="gone")
    upload = ap.create_multipart_upload(Bucket="gamma-ap", Key="big")
    ap.upload_part(Bucket="gamma-ap", Key="big", UploadId=upload["UploadId"], PartNumber=1, Body=b"4" * 1000)
    make_bucket(aws_url, "empty-east")

    today = today_midnight().date()
    data = report_json(cli, aws_url)
    created = creation_dates(aws_url)
    assert data["Buckets"] == [
        expected_bucket(
            "alpha-east",
            "us-east-1",
            created["alpha-east"],
            files=len(EAST_OBJECTS),
            storage_types=aws_storage_types(EAST_OBJECTS),
            data_date=today,
        ),
        expected_bucket(
            "beta-eu",
            "eu-west-1",
            created["beta-eu"],
            files=len(EU_OBJECTS),
            storage_types=aws_storage_types(EU_OBJECTS),
            data_date=today,
        ),
        expected_bucket("empty-east", "us-east-1", created["empty-east"]),
        expected_bucket(
            "gamma-ap",
            "ap-southeast-2",
            created["gamma-ap"],
            files=5,  # two versions of doc, gone + its delete marker, one part
            storage_types={"StandardStorage": 100 + 250 + 40 + 1000},
            data_date=today,
        ),
    ]
    # Spot-check the arithmetic the helpers did, so a shared mistake cannot hide.
    alpha = by_name(data)["alpha-east"]
    assert alpha["Bytes-IA"] == MIN_BILLABLE + 200_000
    assert alpha["Bytes-GFR"] == 10 + 32 * KIB + 8 * KIB
    assert alpha["Bytes"] == 100 + 5000 + MIN_BILLABLE + 200_000 + 10 + 40 * KIB + 300
    # JSON carries exact integers, never floats.
    assert all(type(v) is int for b in data["Buckets"] for k, v in b.items() if k.startswith("Bytes"))


def test_table_lists_extra_classes_and_exact_total(aws_url: str, cli: Cli) -> None:
    east = make_bucket(aws_url, "alpha-east")
    put_all(east, "alpha-east", EAST_OBJECTS)
    result = cli("--endpoint-url", aws_url)
    assert result.code == 0, result.stderr
    header = result.stdout.splitlines()[0].split()
    assert header[:7] == ["Bucket", "Region", "Files", "Total", "STD", "RR", "IA"]
    assert "GFR" in header
    total = sum(aws_storage_types(EAST_OBJECTS).values())
    assert f"({total:,} bytes) in {len(EAST_OBJECTS)} objects" in result.stdout


@pytest.mark.slow
def test_seeded_and_unknown_storage_types_are_counted(aws_url: str, cli: Cli) -> None:
    make_bucket(aws_url, "seeded", "eu-central-1")
    seeded = {
        "IntelligentTieringAIAStorage": 7_000,
        "DeepArchiveStagingStorage": 9_000,
        "ExpressOneZoneStorage": 1_234,
        "FooBarStorage": 55,  # a StorageType AWS might add tomorrow
    }
    for storage_type, value in seeded.items():
        put_storage_metric(aws_url, "eu-central-1", "seeded", storage_type, value)
    put_storage_metric(aws_url, "eu-central-1", "seeded", "AllStorageTypes", 4, metric="NumberOfObjects")

    data = report_json(cli, aws_url)
    bucket = by_name(data)["seeded"]
    created = creation_dates(aws_url)["seeded"]
    assert bucket == expected_bucket(
        "seeded", "eu-central-1", created, files=4, storage_types=seeded, data_date=today_midnight().date()
    )
    assert bucket["Bytes"] == 7_000 + 9_000 + 1_234 + 55
    assert bucket["Bytes-IT"] == 7_000
    assert bucket["Bytes-DA"] == 9_000
    assert bucket["Bytes-EOZ"] == 1_234
    assert bucket["Bytes-FooBarStorage"] == 55
    assert bucket["StorageTypes"] == seeded

    # The unknown class gets its own column in the table and its own label in Prometheus.
    table = cli("--endpoint-url", aws_url)
    assert table.code == 0
    assert "FooBarStorage" in table.stdout.splitlines()[0]
    prom = cli("--endpoint-url", aws_url, "--fmt", "prometheus")
    assert 's3_bucket_size_bytes{bucket="seeded",region="eu-central-1",storage_class="FooBarStorage"} 55.0' in (
        prom.stdout
    )


def test_empty_bucket_is_reported_with_zeros(aws_url: str, cli: Cli) -> None:
    make_bucket(aws_url, "nothing-here", "eu-west-1")
    data = report_json(cli, aws_url)
    assert data["Buckets"] == [
        expected_bucket("nothing-here", "eu-west-1", creation_dates(aws_url)["nothing-here"]),
    ]
    assert data["Buckets"][0]["DataDate"] is None
    assert "StorageTypes" not in data["Buckets"][0]


def test_newest_datapoint_wins_and_old_ones_are_ignored(aws_url: str, cli: Cli) -> None:
    midnight = today_midnight()
    make_bucket(aws_url, "history")
    put_storage_metric(aws_url, "us-east-1", "history", "StandardStorage", 1_000, when=midnight - timedelta(days=2))
    put_storage_metric(aws_url, "us-east-1", "history", "StandardStorage", 3_000, when=midnight - timedelta(days=1))
    # A series silent on the newest day no longer holds bytes.
    put_storage_metric(aws_url, "us-east-1", "history", "GlacierStorage", 500, when=midnight - timedelta(days=2))
    for days_ago, count in ((2, 10), (1, 30)):
        put_storage_metric(
            aws_url,
            "us-east-1",
            "history",
            "AllStorageTypes",
            count,
            metric="NumberOfObjects",
            when=midnight - timedelta(days=days_ago),
        )
    make_bucket(aws_url, "stale")
    put_storage_metric(aws_url, "us-east-1", "stale", "StandardStorage", 777, when=midnight - timedelta(days=5))

    created = creation_dates(aws_url)
    yesterday = (midnight - timedelta(days=1)).date()
    data = report_json(cli, aws_url, "--days", "3")
    assert data["Buckets"] == [
        expected_bucket(
            "history",
            "us-east-1",
            created["history"],
            files=30,
            storage_types={"StandardStorage": 3_000},
            data_date=yesterday,
        ),
        expected_bucket("stale", "us-east-1", created["stale"]),  # 5 days old: outside --days 3
    ]

    wider = by_name(report_json(cli, aws_url, "--days", "7"))
    assert wider["stale"]["Bytes"] == 777
    assert wider["stale"]["DataDate"] == (midnight - timedelta(days=5)).date().isoformat()
    assert wider["history"]["Bytes"] == 3_000


@pytest.fixture
def named_buckets(aws_url: str) -> list[str]:
    names = ["data-1", "logs-a", "logs-b", "logs-prod-eu"]
    for name in names:
        make_bucket(aws_url, name, "eu-west-1" if name.endswith("-eu") else "us-east-1")
    return names


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], ["data-1", "logs-a", "logs-b", "logs-prod-eu"]),
        (["--prefix", "logs-*"], ["logs-a", "logs-b", "logs-prod-eu"]),
        (["--prefix", "s3://logs-?"], ["logs-a", "logs-b"]),
        (["--prefix", "S3://logs-*-eu/"], ["logs-prod-eu"]),
        (["--prefix", "logs-[a]", "--prefix", "*-1"], ["data-1", "logs-a"]),
        (["--bucket", "logs-b"], ["logs-b"]),
        (["--bucket", "s3://data-1"], ["data-1"]),
        (["--bucket", "data-1", "--prefix", "logs-prod-*"], ["data-1", "logs-prod-eu"]),
    ],
)
def test_selection(aws_url: str, cli: Cli, named_buckets: list[str], args: list[str], expected: list[str]) -> None:
    data = report_json(cli, aws_url, *args)
    assert [b["Bucket"] for b in data["Buckets"]] == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--prefix", "nomatch-*"], "No bucket matches --prefix nomatch-* (4 buckets in the account)"),
        (["--prefix", "logs"], "No bucket matches --prefix logs"),  # globs match whole names
        (["--bucket", "not-there"], "Bucket not found in the account: not-there"),
        (["--bucket", "logs-a", "--bucket", "not-there"], "not found in the account: not-there"),
    ],
)
def test_nothing_selected_is_a_usage_error(
    aws_url: str, cli: Cli, named_buckets: list[str], args: list[str], message: str
) -> None:
    result = cli("--endpoint-url", aws_url, *args)
    assert result.code == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert "hint:" in result.stderr
    assert "Traceback" not in result.stderr


def test_empty_account_is_an_empty_report(aws_url: str, cli: Cli) -> None:
    result = cli("--endpoint-url", aws_url, "--fmt", "json")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["Buckets"] == []
    named = cli("--endpoint-url", aws_url, "--prefix", "logs-*")
    assert named.code == 2
    assert "The account has no buckets to analyse." in named.stderr


def test_selection_limits_region_lookups(aws_url: str, named_buckets: list[str]) -> None:
    calls: list[str] = []
    aws = Aws(AwsOptions(endpoint_url=aws_url))
    aws.event_hooks.append(
        ("before-parameter-build.s3.GetBucketLocation", lambda params, **_: calls.append(params["Bucket"]))
    )
    snapshot = scan(aws, ScanOptions(selection=Selection.parse(["s3://logs-?"], [])))
    assert [r.bucket.name for r in snapshot.buckets] == ["logs-a", "logs-b"]
    assert sorted(calls) == ["logs-a", "logs-b"]


BUCKETS_AT_SCALE = 600


@pytest.mark.slow
def test_request_count_at_scale(aws_url: str) -> None:
    """600 buckets in one region (1,200 series: three GetMetricData calls of at most 500) cost a handful of
    CloudWatch calls, not one per metric."""
    from moto.s3.models import s3_backends

    names = [f"scale-{i:04d}" for i in range(BUCKETS_AT_SCALE)]
    # Made in the in-process moto backend, as the demo seed makes its objects: 600 CreateBucket calls over HTTP
    # took seconds and are not what this counts (the scan still lists and locates them over HTTP).
    for name in names:
        s3_backends[ACCOUNT_ID]["aws"].create_bucket(name, "us-east-1")
    # The 1,200 series are published as S3 publishes them (one object and a distinct size per bucket), in
    # PutMetricData calls of up to 1,000 datapoints: 600 PutObject calls (half the seeding time) would only
    # make moto derive the same datapoints.
    midnight = today_midnight()
    datapoints: list[Any] = [
        {
            "MetricName": metric,
            "Dimensions": [
                {"Name": "BucketName", "Value": name},
                {"Name": "StorageType", "Value": storage_type},
            ],
            "Timestamp": midnight,
            "Value": float(value),
            "Unit": unit,
        }
        for i, name in enumerate(names)
        for metric, storage_type, value, unit in (
            ("BucketSizeBytes", "StandardStorage", i + 1, "Bytes"),
            ("NumberOfObjects", "AllStorageTypes", 1, "Count"),
        )
    ]
    cw = boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=aws_url)
    for start in range(0, len(datapoints), 1000):
        cw.put_metric_data(Namespace="AWS/S3", MetricData=datapoints[start : start + 1000])

    calls: dict[str, int] = {"GetMetricData": 0, "ListMetrics": 0}
    queries: list[int] = []

    def count_get_metric_data(**_: Any) -> None:
        calls["GetMetricData"] += 1

    def count_queries(params: dict[str, Any], **_: Any) -> None:
        queries.append(len(params["MetricDataQueries"]))

    def count_list_metrics(**_: Any) -> None:
        calls["ListMetrics"] += 1

    aws = Aws(AwsOptions(endpoint_url=aws_url))
    aws.event_hooks.append(("before-call.cloudwatch.GetMetricData", count_get_metric_data))
    aws.event_hooks.append(("before-call.cloudwatch.ListMetrics", count_list_metrics))
    aws.event_hooks.append(("before-parameter-build.cloudwatch.GetMetricData", count_queries))
    snapshot = scan(aws, ScanOptions(concurrency=4))

    assert snapshot.failures == ()
    assert len(snapshot.buckets) == BUCKETS_AT_SCALE
    for i, report in enumerate(snapshot.buckets):  # sorted by name = by i
        assert report.bucket.name == names[i]
        assert report.bucket.region == "us-east-1"
        assert report.usage.bytes == i + 1
        assert report.usage.bytes_by_class == {"STANDARD": i + 1}
        assert report.usage.objects == 1
    assert 1 <= calls["GetMetricData"] <= 10, calls
    assert len(queries) == calls["GetMetricData"]
    assert max(queries) <= 500  # GetMetricData's limit per call
    assert sum(queries) == 2 * BUCKETS_AT_SCALE  # size + count, only the series that exist
    assert 1 <= calls["ListMetrics"] <= 10, calls


def test_scan_reports_each_bucket_once_across_regions(aws_url: str) -> None:
    regions = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2"]
    for i, region in enumerate(regions):
        client = make_bucket(aws_url, f"r{i}-bucket", region)
        client.put_object(Bucket=f"r{i}-bucket", Key="k", Body=b"x" * (10 * (i + 1)))
    seen: list[str] = []

    def on_result(result: BucketReport | Failure) -> None:
        seen.append(result.bucket if isinstance(result, Failure) else result.bucket.name)

    aws = Aws(AwsOptions(endpoint_url=aws_url))
    snapshot = scan(aws, ScanOptions(concurrency=3), on_result=on_result)
    assert sorted(seen) == [f"r{i}-bucket" for i in range(len(regions))]
    assert [(r.bucket.name, r.bucket.region, r.usage.bytes) for r in snapshot.buckets] == [
        (f"r{i}-bucket", region, 10 * (i + 1)) for i, region in enumerate(regions)
    ]
    assert snapshot.data_dates == {today_midnight().date()}


@pytest.mark.parametrize(("unit", "total"), [("MB", "0.03"), ("auto", "27.7 KiB"), ("B", "28367")])
def test_delimited_units_through_the_cli(aws_url: str, cli: Cli, unit: str, total: str) -> None:
    make_bucket(aws_url, "sized").put_object(Bucket="sized", Key="k", Body=b"x" * 28_367)
    result = cli("--endpoint-url", aws_url, "--fmt", "tsv", "--unit", unit)
    assert result.code == 0, result.stderr
    header, row = result.stdout.splitlines()
    assert header.split("\t")[3].startswith("Total")
    assert row.split("\t")[3] == total


# --- dimensions in the order ListMetrics gives them ---------------------------------------------


def put_reversed(aws_url: str, bucket: str, storage_type: str, value: float, metric: str = "BucketSizeBytes") -> None:
    """A datapoint published as moto's own S3 metrics are: [StorageType, BucketName]."""
    cw = boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=aws_url)
    cw.put_metric_data(
        Namespace="AWS/S3",
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [
                    {"Name": "StorageType", "Value": storage_type},
                    {"Name": "BucketName", "Value": bucket},
                ],
                "Timestamp": today_midnight(),
                "Value": value,
            }
        ],
    )


@pytest.mark.parametrize("days", ["3", "20"])  # 20: documented series are queried too; none may count twice
def test_dimensions_in_the_order_list_metrics_gave(aws_url: str, cli: Cli, days: str) -> None:
    make_bucket(aws_url, "reversed")  # empty: the endpoint itself publishes nothing for it
    put_reversed(aws_url, "reversed", "StandardStorage", 1000)
    put_reversed(aws_url, "reversed", "StandardIAStorage", 300)
    put_reversed(aws_url, "reversed", "AllStorageTypes", 4, metric="NumberOfObjects")
    result = cli("--endpoint-url", aws_url, "--fmt", "json", "--days", days)
    assert result.code == 0, result.stderr
    (bucket,) = json.loads(result.stdout)["Buckets"]
    assert (bucket["Files"], bucket["Bytes"], bucket["Bytes-ST"], bucket["Bytes-IA"]) == (4, 1300, 1000, 300)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def plain_moto() -> Iterator[str]:
    """moto's own server in a process of its own: its S3 metrics as moto publishes them, untouched by the
    demo endpoint's replacement (installed in this test process)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_plain_moto_metrics_are_read(plain_moto: str, cli: Cli) -> None:
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=plain_moto)
    s3.create_bucket(Bucket="plain-moto")
    for key in ("a", "b", "c"):
        s3.put_object(Bucket="plain-moto", Key=key, Body=b"x" * 10)
    cw = boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=plain_moto)
    listed = cw.list_metrics(Namespace="AWS/S3", MetricName="NumberOfObjects")["Metrics"]
    assert [d["Name"] for d in listed[0]["Dimensions"]] == ["StorageType", "BucketName"]  # what this test is about

    result = cli("--endpoint-url", plain_moto, "--fmt", "json", "--bucket", "plain-moto")
    assert result.code == 0, result.stderr
    (bucket,) = json.loads(result.stdout)["Buckets"]
    assert bucket["Files"] == 3
    assert bucket["Bytes"] > 0  # moto counts Python object sizes, not stored bytes: only "not zero" is exact
    assert bucket["DataDate"] == today_midnight().date().isoformat()
