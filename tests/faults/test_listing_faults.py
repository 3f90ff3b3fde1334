"""The listing engine against the fast fake S3: exact at scale, through faults, in parallel.

The truth is what each bucket's KeySource generates (``keys.obj(i)``), so buckets of
hundreds of thousands of keys cost nothing to set up. Faults are injected by the
server on real HTTP connections; botocore's standard retries must absorb them, and
a bucket that keeps failing must be reported as a failure, never half-counted.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from s3_storage_analyser.aggregate import BreakdownSpec
from s3_storage_analyser.aws import Aws, AwsOptions
from s3_storage_analyser.listing.engine import _ProcessExecutor
from s3_storage_analyser.listing.ranges import KeyRange
from s3_storage_analyser.listing.worker import RunnerConfig, SliceResult, SliceRunner
from s3_storage_analyser.report import ScanOptions, scan
from support.cli import CliResult
from support.fakes3 import (
    FakeObject,
    FakeS3,
    FakeUpload,
    FakeVersion,
    Fault,
    FlatHexKeys,
    KeySource,
    ListKeys,
    TreeKeys,
)
from support.keys import tricky_keys, truth
from support.listing import Obj, assert_counts, reference_breakdowns

RETRIED_KINDS = ["500", "503-slowdown", "throttle", "reset", "truncate"]
PAGE = 1000


def folder_keys() -> ListKeys:
    keys = (
        ["a/", "a/b/", "a/b/c/", "z/", "a/b/c/d"] + [f"a/b/{i:04d}" for i in range(1500)] + [f"z/{i}" for i in range(7)]
    )
    return ListKeys(FakeObject(k, 0 if k.endswith("/") else len(k), "STANDARD") for k in keys)


@pytest.fixture
def fakes3() -> Iterator[Callable[..., FakeS3]]:
    """Start FakeS3 servers on loopback; stop them after the test and check none hit a bug."""
    started: list[FakeS3] = []

    def start(buckets: dict[str, KeySource] | None = None, **kwargs: Any) -> FakeS3:
        fake = FakeS3(**kwargs)
        for name, keys in (buckets or {}).items():
            fake.add_bucket(name, keys, region="eu-west-1" if name.startswith("eu-") else None)
        fake.start()
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.stop()
        assert fake.errors == []


def run_json(cli: Any, fake: FakeS3, *args: str, expect: int = 0) -> tuple[dict[str, Any], CliResult]:
    result: CliResult = cli("--strategy", "list", "--fmt", "json", "--endpoint-url", fake.url, "--quiet", *args)
    assert result.code == expect, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data, result


def by_name(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["Bucket"]: b for b in data["Buckets"]}


def assert_exact(data: dict[str, Any], fake: FakeS3, names: Sequence[str]) -> None:
    buckets = by_name(data)
    for name in names:
        objects, sizes = truth(fake.keys(name))
        assert_counts(buckets[name], objects, sizes)


def pages_of(fake: FakeS3, names: Sequence[str]) -> int:
    return sum(max(1, -(-len(fake.keys(name)) // PAGE)) for name in names)


# --------------------------------------------------------------------------- exact at scale

SCALE_BUCKETS: dict[str, KeySource] = {
    "flat": FlatHexKeys(60_000, seed=1),
    "tree": TreeKeys(20, 50, 30),
    "one-prefix": FlatHexKeys(200_000, seed=2, prefix="logs/"),
    "eu-tricky": tricky_keys(2500),
    "eu-empty": ListKeys([]),
    "folders": folder_keys(),
}


@pytest.mark.slow
@pytest.mark.parametrize("processes", ["0", "2"])
def test_exact_against_the_key_sources(cli: Any, fakes3: Callable[..., FakeS3], processes: str) -> None:
    fake = fakes3(SCALE_BUCKETS)

    data, result = run_json(cli, fake, "--processes", processes, "--conc", "4")

    assert sorted(by_name(data)) == sorted(SCALE_BUCKETS)
    assert_exact(data, fake, list(SCALE_BUCKETS))
    assert data["Failures"] == [] and result.stderr == ""
    assert by_name(data)["eu-tricky"]["Region"] == "eu-west-1"
    assert by_name(data)["eu-empty"]["Files"] == 0
    # Every page is fetched once; splitting costs a few extra requests, never a second listing.
    requests = fake.stats.requests["ListObjectsV2"]
    pages = pages_of(fake, list(SCALE_BUCKETS))
    assert pages <= requests <= pages * 1.5 + 20


def test_prefix_scope_is_split_and_exact(cli: Any, fakes3: Callable[..., FakeS3]) -> None:
    keys = ListKeys(
        [FakeObject(f"a/{i:05d}", 1) for i in range(3000)]
        + [FakeObject(f"logs/{i % 17} é+%/{i:05d}.gz", i % 1000, ("STANDARD", "GLACIER")[i % 2]) for i in range(6000)]
        + [FakeObject(f"logs2/{i}", 5) for i in range(1200)]
        + [FakeObject(f"z/{i:05d}", 3) for i in range(3000)]
    )
    fake = fakes3({"mixed": keys})

    data, _ = run_json(cli, fake, "--bucket", "s3://mixed/logs/", "--conc", "8", "--processes", "0")

    assert list(by_name(data)) == ["mixed/logs/"]
    objects, sizes = truth(keys, "logs/")
    assert sum(objects.values()) == 6000
    assert_counts(by_name(data)["mixed/logs/"], objects, sizes)
    assert fake.stats.requests["ListObjectsV2"] <= 6 * 1.5 + 20


def test_breakdowns_merge_exactly_across_worker_processes(cli: Any, fakes3: Callable[..., FakeS3]) -> None:
    keys = TreeKeys(6, 30, 60, exts=("bin", "CSV", "json.gz", "parquet", "averyveryverylongext", "t"))
    fake = fakes3({"tree": keys})
    objects: list[Obj] = [(o.key, o.size, o.storage_class, 0.0) for o in map(keys.obj, range(len(keys)))]

    args = ("--by", "prefix", "--depth", "2", "--limit", "4", "--by", "extension", "--by", "size", "--top", "5")
    data, _ = run_json(cli, fake, *args, "--processes", "2", "--conc", "4")

    bucket = by_name(data)["tree"]
    expected = reference_breakdowns(objects, depth=2, limit=4, top=5)
    for dimension in ("prefix", "extension", "size"):
        assert bucket["Breakdowns"][dimension] == expected[dimension], dimension
    top = [{k: row[k] for k in ("Key", "Bytes", "StorageClass")} for row in bucket["Breakdowns"]["top"]]
    assert top == expected["top"]


def test_top_objects_with_ties_do_not_depend_on_slicing(cli: Any, fakes3: Callable[..., FakeS3]) -> None:
    """5,000 equal sizes listed in many slices: the smallest keys win, as in a single pass."""
    keys = ListKeys([FakeObject(f"k{i:05d}", 64) for i in range(5000)] + [FakeObject("m-big", 65)])
    fake = fakes3({"ties": keys})

    data, _ = run_json(cli, fake, "--top", "4", "--conc", "8", "--processes", "0")

    top = [(row["Key"], row["Bytes"]) for row in by_name(data)["ties"]["Breakdowns"]["top"]]
    assert top == [("m-big", 65), ("k00000", 64), ("k00001", 64), ("k00002", 64)]


# --------------------------------------------------------------------------- faults

FAULT_BUCKETS: dict[str, KeySource] = {"flat": FlatHexKeys(20_000, seed=5), "tree": TreeKeys(5, 10, 200)}


@pytest.mark.parametrize(
    ("kind", "processes"),
    [(kind, "0") for kind in RETRIED_KINDS] + [("500", "2"), ("truncate", "2")],
)
def test_transient_faults_are_retried_and_results_stay_exact(
    cli: Any, fakes3: Callable[..., FakeS3], kind: str, processes: str
) -> None:
    fake = fakes3(FAULT_BUCKETS, faults=[Fault("ListObjectsV2", kind, every=7)])

    data, result = run_json(cli, fake, "--processes", processes, "--conc", "4")

    assert data["Failures"] == [] and result.stderr == ""
    assert_exact(data, fake, list(FAULT_BUCKETS))
    injected = fake.stats.faults.get(kind, 0)
    assert injected >= 3
    pages = pages_of(fake, list(FAULT_BUCKETS))
    assert pages + injected <= fake.stats.requests["ListObjectsV2"] <= pages * 1.5 + 20 + injected


@pytest.mark.parametrize("processes", [0, 2])
def test_read_timeouts_are_retried_and_results_stay_exact(fakes3: Callable[..., FakeS3], processes: int) -> None:
    """The CLI has no read-timeout setting (60 s): lower it through AwsOptions, in workers too."""
    fake = fakes3(FAULT_BUCKETS, faults=[Fault("ListObjectsV2", "timeout", every=7)], timeout_sleep=0.6)
    aws = Aws(AwsOptions(endpoint_url=fake.url, read_timeout=0.2))

    snapshot = scan(aws, ScanOptions(strategy="list", concurrency=4, processes=processes))

    assert snapshot.failures == ()
    for report in snapshot.buckets:
        objects, sizes = truth(fake.keys(report.bucket.name))
        assert dict(report.usage.objects_by_class) == objects
        assert dict(report.usage.bytes_by_class) == sizes
    assert sorted(r.bucket.name for r in snapshot.buckets) == sorted(FAULT_BUCKETS)
    assert fake.stats.faults.get("timeout", 0) >= 3


@pytest.mark.parametrize(
    ("kind", "every", "processes", "error"),
    [
        ("500", 1, "0", "InternalError"),  # every attempt fails: retries run out
        ("403", 1, "0", "AccessDenied"),  # not retried at all
        ("403", 3, "2", "AccessDenied"),  # first page and probe counted, then a worker process fails
    ],
    ids=["500-always", "403-first", "403-in-worker"],
)
def test_a_failing_bucket_is_a_failure_never_half_counted(
    cli: Any, fakes3: Callable[..., FakeS3], kind: str, every: int, processes: str, error: str
) -> None:
    buckets = {"bad": FlatHexKeys(20_000, seed=9), **FAULT_BUCKETS}
    fake = fakes3(buckets, faults=[Fault("ListObjectsV2", kind, every=every, bucket="bad")])

    data, result = run_json(cli, fake, "--processes", processes, "--conc", "4", expect=3)

    assert sorted(by_name(data)) == sorted(FAULT_BUCKETS)  # "bad" is absent, not partly counted
    assert_exact(data, fake, list(FAULT_BUCKETS))
    [failure] = data["Failures"]
    assert failure["Bucket"] == "bad" and failure["Stage"] == "list-objects" and failure["Error"] == error
    assert "bucket bad" in result.stderr
    assert fake.stats.faults[kind] >= 1


def test_failure_of_a_prefix_scope_is_labelled_with_it(cli: Any, fakes3: Callable[..., FakeS3]) -> None:
    buckets = {"bad": FlatHexKeys(100, prefix="p/"), **FAULT_BUCKETS}
    fake = fakes3(buckets, faults=[Fault("ListObjectsV2", "403", every=1, bucket="bad")])

    data, _ = run_json(cli, fake, "--bucket", "s3://bad/p/", "--bucket", "flat", "--processes", "0", expect=3)

    assert list(by_name(data)) == ["flat"]
    assert [f["Bucket"] for f in data["Failures"]] == ["bad/p/"]


# --------------------------------------------------------------------------- versions and uploads under faults


def history(n: int) -> list[FakeVersion]:
    """1-4 versions per key, some keys deleted (a delete marker on top), in three classes."""
    out = []
    for i in range(n):
        key = f"v/{i:05d} x+y é"
        for j in range(1 + (i * 7) % 4):
            stamp = f"2025-01-01T00:00:{59 - j:02d}.000Z"
            if i % 11 == 0 and j == 0:
                out.append(FakeVersion(key, f"m{i}", True, last_modified=stamp, is_delete_marker=True))
            else:
                storage = ("STANDARD", "GLACIER", "STANDARD_IA")[j % 3]
                out.append(FakeVersion(key, f"v{i}-{j}", j == 0, i % 100 + j, storage, stamp))
    return out


UPLOADS = [
    FakeUpload("up/a", "u1", "2025-03-01T10:00:00.000Z", (5_242_880, 5_242_880, 17)),
    FakeUpload("up/b c+", "u2", "2024-12-31T23:59:59.000Z", (1,)),
    FakeUpload("up/c", "u3", "2025-06-01T00:00:00.000Z", tuple(range(1, 1201))),  # two ListParts pages
]


@pytest.mark.slow
@pytest.mark.parametrize("processes", ["0", "2"])
def test_versions_and_uploads_stay_exact_under_faults(cli: Any, fakes3: Callable[..., FakeS3], processes: str) -> None:
    versions = history(5000)
    faults = [
        Fault("ListObjectVersions", "500", every=6),
        Fault("ListObjectVersions", "reset", every=5),
        Fault("ListParts", "503-slowdown", every=2),
        Fault("ListMultipartUploads", "truncate", every=1, limit=1),  # one page: its first answer cut
    ]
    fake = fakes3(faults=faults)
    fake.add_bucket("ver", ListKeys([]), versions=versions, uploads=UPLOADS)

    data, _ = run_json(cli, fake, "--versions", "--uploads", "--processes", processes, "--conc", "4")

    bucket = by_name(data)["ver"]
    live = [v for v in versions if not v.is_delete_marker]
    objects: dict[str, int] = {}
    sizes: dict[str, int] = {}
    noncurrent: dict[str, list[int]] = {}
    for v in live:
        if v.is_latest:
            objects[v.storage_class] = objects.get(v.storage_class, 0) + 1
            sizes[v.storage_class] = sizes.get(v.storage_class, 0) + v.size
        else:
            cell = noncurrent.setdefault(v.storage_class, [0, 0])
            cell[0] += 1
            cell[1] += v.size
    assert_counts(bucket, objects, sizes)
    assert bucket["NoncurrentFiles"] == sum(c for c, _ in noncurrent.values())
    assert bucket["NoncurrentBytesByClass"] == {c: b for c, (_, b) in noncurrent.items()}
    assert bucket["DeleteMarkers"] == sum(v.is_delete_marker for v in versions)
    parts = [size for upload in UPLOADS for size in upload.part_sizes]
    assert bucket["IncompleteUploads"] == 3
    assert bucket["IncompleteUploadParts"] == len(parts)
    assert bucket["IncompleteUploadBytes"] == sum(parts)
    assert bucket["OldestIncompleteUpload"] == "2024-12-31T23:59:59Z"
    faults_seen = fake.stats.faults
    assert faults_seen.get("500", 0) + faults_seen.get("reset", 0) >= 3
    assert faults_seen.get("503-slowdown", 0) >= 1 and faults_seen.get("truncate", 0) >= 1


def test_uploads_whose_keys_need_url_encoding(cli: Any, fakes3: Callable[..., FakeS3]) -> None:
    fake = fakes3()
    uploads = [
        FakeUpload("ctl\x01.bin", "u1", "2025-01-01T00:00:00.000Z", (5, 6)),
        FakeUpload("plain", "u2", "2025-02-01T00:00:00.000Z", (7,)),
    ]
    fake.add_bucket("ctl", ListKeys([FakeObject("ctl\x01.bin", 3)]), uploads=uploads)

    data, _ = run_json(cli, fake, "--uploads", "--processes", "0")

    bucket = by_name(data)["ctl"]
    assert (bucket["Files"], bucket["Bytes"]) == (1, 3)  # the object listing itself copes with the key
    assert (bucket["IncompleteUploads"], bucket["IncompleteUploadParts"], bucket["IncompleteUploadBytes"]) == (2, 3, 18)


# --------------------------------------------------------------------------- parallel splitting


class RecordingKeys(FlatHexKeys):
    """Flat keys that remember which index runs each page served."""

    def __init__(self, n: int) -> None:
        super().__init__(n, seed=11)
        self.runs: list[tuple[int, int]] = []
        self._lock = threading.Lock()

    def contents_xml(self, start: int, stop: int, url: bool) -> str:
        with self._lock:
            self.runs.append((start, stop))
        return super().contents_xml(start, stop, url)


def test_a_flat_bucket_is_listed_from_several_places_at_once(fakes3: Callable[..., FakeS3]) -> None:
    n = 50_000
    keys = RecordingKeys(n)
    fake = fakes3({"flat": keys}, latency=0.01)

    snapshot = scan(Aws(AwsOptions(endpoint_url=fake.url)), ScanOptions(strategy="list", concurrency=8, processes=0))

    [report] = snapshot.buckets
    objects, sizes = truth(keys)
    assert dict(report.usage.objects_by_class) == objects and dict(report.usage.bytes_by_class) == sizes
    requests = fake.stats.requests["ListObjectsV2"]
    assert n // PAGE <= requests <= n // PAGE * 1.5 + 20
    # Each run starts where an earlier page stopped, or where a split let a new slice begin.
    stops = {stop for _, stop in keys.runs}
    fresh_starts = sorted({start for start, _ in keys.runs if start not in stops})
    assert len(fresh_starts) >= 4, fresh_starts  # several slices, not one sequential walk
    covered = sorted(keys.runs)
    assert covered[0][0] == 0 and max(stop for _, stop in covered) == n
    reach = 0
    for start, stop in covered:  # no gap anywhere
        assert start <= reach
        reach = max(reach, stop)
    served = sum(stop - start for start, stop in keys.runs)
    assert served <= n * 1.5


def test_long_shared_paths_are_split_without_error(cli: Any, fakes3: Callable[..., FakeS3]) -> None:
    """Regression: pages whose keys agree over a long stretch (d00/s000/f00000... vs f00999...) made
    the pages-left estimate infinite, and int(inf) failed the whole run (found by the benchmark)."""
    keys = TreeKeys(3, 10, 1500)  # 15 pages per top-level prefix: slices come back with remainders
    fake = fakes3({"deep": keys})

    data, result = run_json(cli, fake, "--processes", "0", "--conc", "16")

    assert data["Failures"] == [] and result.stderr == ""
    assert_exact(data, fake, ["deep"])


def probe(
    fake: FakeS3, bucket: str, after: str | None, upto: str | None, prefix: str = "", mode: str = "objects"
) -> SliceResult:
    runner = SliceRunner(RunnerConfig(AwsOptions(endpoint_url=fake.url), None, BreakdownSpec()))
    return runner.run(KeyRange(bucket, "us-east-1", prefix, after=after, upto=upto, mode=mode, probe=True), 8)


def test_a_probe_finds_the_folders_to_cut_at(fakes3: Callable[..., FakeS3]) -> None:
    """Cut points for a hierarchical range are its folders: from the key's parent folder upwards."""
    fake = fakes3({"tree": TreeKeys(4, 10, 100)})  # d00/s000/f00000.bin ... d03/s009/f00099.txt

    inside_a_folder = probe(fake, "tree", "d01/s003/f00099.txt", "d02/")
    assert inside_a_folder.boundaries == [f"d01/s{i:03d}/" for i in range(4, 10)]
    assert inside_a_folder.tally.keys == 0 and inside_a_folder.remainder is None  # it counts nothing
    assert inside_a_folder.pages == 1  # the key's own folder (a leaf) is not asked

    # At the end of a folder, the level above has the cut points.
    assert probe(fake, "tree", "d01/s009/f00099.txt", None).boundaries == ["d02/", "d03/"]
    # A range that starts at a folder cuts inside it; the bound is respected.
    assert probe(fake, "tree", "d02/", "d02/s003/").boundaries == ["d02/s000/", "d02/s001/", "d02/s002/", "d02/s003/"]
    # Inside one leaf folder there is nothing to cut at: the engine falls back to midpoints.
    leaf = probe(fake, "tree", "d00/s000/f00010.json", "d00/s000/f00090.bin")
    assert leaf.boundaries == [] and leaf.pages == 2  # d00/, then the bucket's top level
    # A scoped range (s3://tree/d03/) stays inside its prefix.
    assert probe(fake, "tree", "d03/s007/f00050.bin", None, prefix="d03/").boundaries == ["d03/s008/", "d03/s009/"]


def test_a_versions_probe_asks_list_object_versions(fakes3: Callable[..., FakeS3]) -> None:
    """A --versions listing may be allowed ListBucketVersions only: its probes list versions too."""
    fake = fakes3({"tree": TreeKeys(4, 10, 100)})

    found = probe(fake, "tree", "d01/s003/f00099.txt", "d02/", mode="versions")

    assert found.boundaries == [f"d01/s{i:03d}/" for i in range(4, 10)]
    assert found.tally.keys == 0 and found.remainder is None
    assert fake.stats.requests == {"ListObjectVersions": 1}


@pytest.mark.slow
@pytest.mark.parametrize("versions", [False, True])
def test_hierarchical_buckets_are_cut_at_folders_not_between_them(
    fakes3: Callable[..., FakeS3], versions: bool
) -> None:
    """Midpoints of d00/ .. d01/ (d000, d00q...) hold no keys, and each such piece costs a request
    that finds nothing; cuts at folders do not. Exact either way; here also nearly as cheap as one walk."""
    keys = TreeKeys(5, 20, 1000)  # 100 folders of one page each
    fake = fakes3({"tree": keys}, latency=0.005)

    options = ScanOptions(strategy="list", concurrency=16, processes=0, versions=versions)
    snapshot = scan(Aws(AwsOptions(endpoint_url=fake.url)), options)

    [report] = snapshot.buckets
    objects, sizes = truth(keys)
    assert dict(report.usage.objects_by_class) == objects and dict(report.usage.bytes_by_class) == sizes
    served = fake.stats.snapshot().keys_listed
    assert served <= len(keys) * 1.25, served  # cut between folders: 1.35-1.6x; at folders: ~1.15x


@pytest.mark.slow
def test_conc_bounds_the_requests_in_flight_across_worker_processes(
    fakes3: Callable[..., FakeS3], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--conc is the total in flight (as README says), also once worker processes have started:
    each process has --conc threads, but the coordinator hands out no more than --conc slices."""
    monkeypatch.setattr(_ProcessExecutor, "BUSY_WINDOWS", 0)  # start the workers at the first check
    keys = FlatHexKeys(200_000, seed=11)
    fake = fakes3({"flat": keys}, latency=0.03)  # 200 pages, 3 at a time: 2 s, the workers serve most

    snapshot = scan(Aws(AwsOptions(endpoint_url=fake.url)), ScanOptions(strategy="list", concurrency=3, processes=2))

    [report] = snapshot.buckets
    objects, sizes = truth(keys)
    assert dict(report.usage.objects_by_class) == objects and dict(report.usage.bytes_by_class) == sizes
    assert fake.stats.max_in_flight == 3
