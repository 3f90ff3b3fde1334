"""--executor dask on a real LocalCluster (worker processes) against FakeS3 over loopback: the same report
as the local executor, byte for byte, on every breakdown, --top, --versions, --uploads and the costs; the
progress counts every worker's keys; and the flags' mistakes are refused (exit 2) before anything runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from s3_storage_analyser.aggregate import DIMENSIONS, BreakdownSpec
from s3_storage_analyser.aws import Aws, AwsOptions
from s3_storage_analyser.executors.base import ExecutorOptions
from s3_storage_analyser.executors.dask import connect
from s3_storage_analyser.listing.engine import ListingEngine, Target
from s3_storage_analyser.model import Bucket, BucketReport
from support.aws import ISOLATED_ENV
from support.cli import CliResult
from support.dask_cluster import shared_cluster
from support.fakes3 import FakeS3, FakeUpload, FakeVersion, FlatHexKeys, ListKeys, TreeKeys
from support.faultproxy import FaultProxy, Rule
from support.organization import Organization, build_organization, role_arn


@pytest.fixture(scope="module")
def scheduler() -> str:
    address: str = shared_cluster().scheduler_address
    return address


@pytest.fixture
def fakes3() -> Iterator[Callable[..., FakeS3]]:
    started: list[FakeS3] = []

    def start(**kwargs: Any) -> FakeS3:
        fake = FakeS3(**kwargs)
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.stop()
        assert not fake.errors, fake.errors


def history(n: int) -> list[FakeVersion]:
    """1-4 versions per key, some keys deleted (a delete marker on top), in three classes."""
    out = []
    for i in range(n):
        key = f"v/{i % 7}/{i:05d} x+y é.{('log', 'csv', 'gz')[i % 3]}"
        for j in range(1 + (i * 7) % 4):
            stamp = f"202{i % 6}-0{1 + i % 9}-01T00:00:{59 - j:02d}.000Z"
            if i % 11 == 0 and j == 0:
                out.append(FakeVersion(key, f"m{i}", True, last_modified=stamp, is_delete_marker=True))
            else:
                storage = ("STANDARD", "GLACIER", "STANDARD_IA")[j % 3]
                out.append(FakeVersion(key, f"v{i}-{j}", j == 0, (i * 131) % 5000 + j, storage, stamp))
    return sorted(out, key=lambda v: v.key)


UPLOADS = [
    FakeUpload("up/a", "u1", "2025-03-01T10:00:00.000Z", (5_242_880, 5_242_880, 17)),
    FakeUpload("up/b c+", "u2", "2024-12-31T23:59:59.000Z", (1,)),
]


def serve(fakes3: Callable[..., FakeS3]) -> FakeS3:
    """Flat keys, folders (cut at their prefixes), a small bucket, and versions with uploads: each bigger than
    one page, so that phase two cuts and spreads them."""
    fake = fakes3()
    fake.add_bucket("flat", FlatHexKeys(4_500, seed=3))
    fake.add_bucket("tree", TreeKeys(6, 8, 80, seed=5))
    fake.add_bucket("small", FlatHexKeys(40, seed=7, prefix="logs/"))
    fake.add_bucket("ver", ListKeys([]), versions=history(1_600), uploads=UPLOADS)
    fake.start()
    return fake


def report(cli: Callable[..., CliResult], fake: FakeS3, *args: str) -> dict[str, Any]:
    result = cli("report", "--strategy", "list", "--fmt", "json", "--endpoint-url", fake.url, "--quiet", *args)
    assert result.code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    data.pop("GeneratedAt")
    return data


BY = [arg for name in sorted(DIMENSIONS) for arg in ("--by", name)]


@pytest.mark.slow  # the shared cluster costs a few seconds to start; each run lists a few thousand keys
@pytest.mark.parametrize(
    "args",
    [
        pytest.param((*BY, "--top", "5"), id="objects-every-breakdown"),
        pytest.param(("--versions", "--uploads", *BY), id="versions-uploads"),
    ],
)
def test_dask_reports_what_the_local_executor_reports(
    cli: Callable[..., CliResult], fakes3: Callable[..., FakeS3], scheduler: str, args: tuple[str, ...]
) -> None:
    fake = serve(fakes3)

    local = report(cli, fake, *args, "--processes", "0")
    on_dask = report(cli, fake, *args, "--executor", "dask", "--scheduler", scheduler, "--conc", "4")

    assert on_dask == local
    assert sorted(b["Bucket"] for b in local["Buckets"]) == ["flat", "small", "tree", "ver"]
    assert not local["Failures"]
    assert local["Buckets"][0]["Breakdowns"]  # the comparison covers them


@pytest.mark.slow
def test_progress_counts_every_workers_keys(fakes3: Callable[..., FakeS3], scheduler: str) -> None:
    """The engine merges each task's tally on this side: its Progress counts the whole cluster's keys, and
    phase two really ran on several tasks (more pages than one stream would need)."""
    fake = fakes3()
    fake.add_bucket("flat", FlatHexKeys(9_000, seed=11))
    fake.start()
    cluster = connect(ExecutorOptions("dask", scheduler))
    seen: list[int] = []
    engine = ListingEngine(
        Aws(AwsOptions(endpoint_url=fake.url)),
        concurrency=4,
        spec=BreakdownSpec(),
        cluster=cluster,
        on_progress=lambda p: seen.append(p.keys),
    )

    [(_target, result)] = list(engine.run([Target(Bucket("flat", "us-east-1"))]))

    assert isinstance(result, BucketReport)
    assert result.usage.objects == 9_000
    assert engine.progress.keys == 9_000 and seen[-1] == 9_000
    assert seen == sorted(seen) and len(set(seen)) > 2  # counted as the tasks came in, not at the end
    assert engine.progress.pages >= 9


@pytest.mark.parametrize(
    ("args", "wanted"),
    [
        (
            ("--executor", "dask", "--strategy", "inventory"),
            "--executor applies only to --strategy list or cloudwatch",
        ),
        (("--strategy", "list", "--scheduler", "tcp://127.0.0.1:1"), "--scheduler applies only with --executor dask"),
        (("--strategy", "list", "--forward-credentials"), "--forward-credentials applies only with --executor dask"),
        (
            ("--strategy", "list", "--executor", "dask", "--processes", "2"),
            "--processes counts this machine's listing processes",
        ),
        (("--strategy", "list", "--executor", "dask", "--scheduler", "not an address"), "is not a Dask scheduler"),
    ],
)
def test_executor_flags_that_cannot_work_are_refused(
    cli: Callable[..., CliResult], args: tuple[str, ...], wanted: str
) -> None:
    result = cli("report", "--endpoint-url", "http://127.0.0.1:9", *args)
    assert result.code == 2, result.stderr
    assert wanted in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.slow
def test_workers_assume_each_accounts_role_themselves(
    organization: Organization, fault_proxy: FaultProxy, cli: Callable[..., CliResult], scheduler: str
) -> None:
    """A many-account scan sends the workers the role (ARN, session name), never its keys: each worker assumes
    it through the endpoint (the proxy counts the AssumeRole calls), and lists the member account's buckets."""
    alpha = organization.id("alpha")
    args = ("--role-arn", role_arn(alpha), "--endpoint-url", fault_proxy.url, "--fmt", "json", "--strategy", "list")

    on_dask = cli("report", *args, "-q", "--executor", "dask", "--scheduler", scheduler)

    assert on_dask.code == 0, on_dask.stderr
    assert {b["Bucket"]: (b["Files"], b["Bytes"]) for b in json.loads(on_dask.stdout)["Buckets"]} == {
        "alpha-logs": (1_102, 120 + sum(i % 7 for i in range(1_100))),
        "alpha-data": (1, 7),
    }
    assert fault_proxy.count("AssumeRole") > 1  # this process's (to find the buckets), and the workers'


@pytest.fixture
def organization(aws_url: str) -> Organization:
    """alpha's two buckets, one of two listing pages (its second is listed on the workers)."""
    from moto.s3.models import s3_backends

    org = build_organization(aws_url, ["alpha"])
    org.bucket(org.id("alpha"), "alpha-logs", {"a": b"x" * 100, "b": b"y" * 20})
    org.bucket(org.id("alpha"), "alpha-data", {"c": b"z" * 7})
    backend = s3_backends[org.id("alpha")]["aws"]  # written in-process: 1,100 PUTs over HTTP take ~7 s
    for i in range(1_100):
        backend.put_object("alpha-logs", f"k/{i:05d}", b"x" * (i % 7))
    return org


@pytest.mark.slow
def test_forwarded_session_credentials_sign_the_workers_requests(
    fakes3: Callable[..., FakeS3], cli: Callable[..., CliResult], scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The proxy refuses any listing signed with the workers' own keys: with --forward-credentials the workers
    sign with this process's session credentials and list; without, they use their own and are refused."""
    fake = fakes3()
    fake.add_bucket("fwd", FlatHexKeys(3_000, seed=9))  # pages after the first are listed on the workers
    fake.start()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIAFORWARDED0000000")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "session-token")
    own_keys = ISOLATED_ENV["AWS_ACCESS_KEY_ID"]
    with FaultProxy(fake.url) as proxy:
        proxy.add(Rule(operation="ListObjectsV2", header_contains={"Authorization": f"Credential={own_keys}/"}))
        args = ("report", "--strategy", "list", "--fmt", "json", "--no-cost", "--endpoint-url", proxy.url)
        dask = ("--executor", "dask", "--scheduler", scheduler)

        forwarded = cli(*args, *dask, "--forward-credentials", "-v")
        own = cli(*args, *dask, "-v")

    assert forwarded.code == 0, forwarded.stderr
    assert [(b["Bucket"], b["Files"]) for b in json.loads(forwarded.stdout)["Buckets"]] == [("fwd", 3_000)]
    assert own.code == 1, own.stderr  # nothing measured: the only bucket refused on the workers
    plan = f"pages after the first on the Dask cluster at {scheduler}, 32 requests in flight per worker, signed with"
    assert f"{plan} this process's session credentials." in forwarded.stderr
    assert f"{plan} the workers' own." in own.stderr
    [failure] = json.loads(own.stdout)["Failures"]
    assert (failure["Bucket"], failure["Stage"], failure["Error"]) == ("fwd", "list-objects", "AccessDenied")
