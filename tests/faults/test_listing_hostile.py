"""The listing strategy against a hostile endpoint: FakeS3's hostile mode, one misbehaviour per bucket.

Each bad bucket must end as a named failure (or, where the page still means one thing, exact), the
good bucket beside them exact, exit code 3, and all within a bounded time: the CLI runs in a
subprocess with a generous timeout as the hang guard.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from s3_storage_analyser.aggregate import BreakdownSpec
from s3_storage_analyser.aws import Aws, AwsOptions
from s3_storage_analyser.listing.engine import ListingEngine, Target
from s3_storage_analyser.model import Bucket, BucketReport, Failure
from support.fakes3 import FakeS3, FakeUpload, FlatHexKeys, KeySource, ListKeys
from support.keys import truth
from support.listing import assert_counts

GOOD = FlatHexKeys(3000, seed=1)
UPLOADS = [
    FakeUpload("up/a", "u1", "2025-03-01T10:00:00.000Z", (5, 6, 7)),
    FakeUpload("up/b", "u2", "2024-12-31T23:59:59.000Z", (1,)),
]
MANY_PARTS = [FakeUpload("up/many", "u9", "2025-01-01T00:00:00.000Z", tuple(range(1, 2501)))]

# bucket (= misbehaviour) -> the failure codes that name it; None: the bucket must be exact; "exact" among
# the codes: exact is right too (the listing pages by StartAfter, so a token that never changes harms nothing;
# it is caught when one slice sees it twice).
OBJECT_KINDS: dict[str, set[str] | None] = {
    "unordered": {"ListingOutOfOrder"},
    "overlap": {"ListingOutOfOrder"},
    "ignores-start": {"ListingOutOfOrder"},
    "stuck-token": {"ListingStuck", "exact"},
    "no-token": {"ListingStuck"},
    "empty-truncated": {"ListingStuck"},
    "outside-prefix": {"ListingOutOfOrder"},
    "drip": {"RequestDeadline"},
    "bad-entity": {"InvalidPage"},
    "surrogate": {"InvalidPage"},
    "bad-url": {"InvalidPage"},
    "negative-size": {"InvalidPage"},
    "huge-size": {"InvalidPage"},
    "bad-date": {"InvalidPage"},
    "bare-ampersand": None,  # "&" not starting a reference can only mean "&": kept as sent
}
VERSION_KINDS: dict[str, set[str] | None] = {
    "versions-overlap": {"ListingOutOfOrder"},
    "versions-stuck": {"ListingOutOfOrder", "ListingStuck"},
    "versions-no-marker": {"ListingStuck"},
    "uploads-stuck": {"ListingOutOfOrder", "ListingStuck"},
    "parts-stuck": {"ListingOutOfOrder", "ListingStuck"},
    "parts-overlap": {"ListingOutOfOrder"},
    "bad-initiated": {"InvalidPage"},
    "drip": {"RequestDeadline"},
}
HANG_GUARD = 240  # seconds: far above what a working run takes here, far below "forever"


@pytest.fixture
def hostile() -> Iterator[FakeS3]:
    fake = FakeS3(drip_interval=0.3)
    fake.add_bucket("good", GOOD, uploads=UPLOADS)
    yield fake
    fake.stop()
    assert fake.errors == []


def run_cli(fake: FakeS3, *args: str) -> tuple[int, dict[str, Any], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("S3SA_")}
    # A drip of one byte every 0.3 s never trips the 60 s read timeout; the deadline ends it.
    env.update(S3SA_REQUEST_DEADLINE="2", AWS_MAX_ATTEMPTS="2")
    argv = [sys.executable, "-m", "s3_storage_analyser", "--strategy", "list", "--fmt", "json", "--quiet"]
    proc = subprocess.run(
        [*argv, "--endpoint-url", fake.url, *args],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def assert_named(data: dict[str, Any], kinds: dict[str, set[str] | None], stage_op: dict[str, str]) -> None:
    failures = {f["Bucket"].split("/")[0]: f for f in data["Failures"]}
    reported = {b["Bucket"].split("/")[0]: b for b in data["Buckets"]}
    for kind, codes in kinds.items():
        if codes is None:
            assert kind in reported and kind not in failures, kind
            continue
        if "exact" in codes and kind in reported:
            assert_good(reported[kind], FlatHexKeys(3000, seed=2))
            continue
        assert kind not in reported, f"{kind} was counted: {reported.get(kind)}"
        failure = failures[kind]
        assert failure["Error"] in codes, (kind, failure)
        assert stage_op[failure["Stage"]] in failure["Message"] or failure["Error"] == "RequestDeadline", failure
        assert "internal error" not in failure["Message"]


def assert_good(bucket: dict[str, Any], source: KeySource) -> None:
    objects, sizes = truth(source)
    assert bucket["Files"] == sum(objects.values()) == len(source)
    assert_counts(bucket, objects, sizes)


OPS = {"list-objects": "ListObjectsV2", "list-versions": "ListObjectVersions", "list-uploads": "List"}


@pytest.mark.slow
@pytest.mark.parametrize("processes", ["0", "2"])
def test_every_object_listing_misbehaviour_is_named_and_the_good_bucket_exact(hostile: FakeS3, processes: str) -> None:
    for kind in OBJECT_KINDS:
        keys = FlatHexKeys(3000, seed=2, prefix="p/") if kind == "outside-prefix" else FlatHexKeys(3000, seed=2)
        hostile.add_bucket(kind, keys, hostile=kind)
    hostile.start()
    scopes = [f"s3://{k}/p/" if k == "outside-prefix" else k for k in OBJECT_KINDS]
    selection = [arg for scope in ["good", *scopes] for arg in ("--bucket", scope)]

    code, data, stderr = run_cli(hostile, *selection, "--processes", processes, "--conc", "8")

    assert code == 3, stderr
    assert "internal error" not in stderr and "Traceback" not in stderr
    assert_named(data, OBJECT_KINDS, OPS)
    buckets = {b["Bucket"]: b for b in data["Buckets"]}
    assert_good(buckets["good"], GOOD)
    assert_good(buckets["bare-ampersand"], FlatHexKeys(3000, seed=2))
    assert "unordered" in stderr and "ListObjectsV2 page out of order" in stderr


@pytest.mark.slow
def test_every_version_and_upload_misbehaviour_is_named_and_the_good_bucket_exact(hostile: FakeS3) -> None:
    for kind in VERSION_KINDS:
        uploads = MANY_PARTS if kind == "parts-overlap" else UPLOADS
        hostile.add_bucket(kind, FlatHexKeys(3000, seed=3), uploads=uploads, hostile=kind)
    hostile.start()

    code, data, stderr = run_cli(hostile, "--versions", "--uploads", "--processes", "0", "--conc", "8")

    assert code == 3, stderr
    assert "internal error" not in stderr and "Traceback" not in stderr
    assert_named(data, VERSION_KINDS, OPS)
    [good] = [b for b in data["Buckets"] if b["Bucket"] == "good"]
    assert_good(good, GOOD)
    assert (good["IncompleteUploads"], good["IncompleteUploadParts"], good["IncompleteUploadBytes"]) == (2, 4, 19)
    assert good["NoncurrentFiles"] == 0 and good["DeleteMarkers"] == 0


# --------------------------------------------------------------------------- the unforeseen


class Trap:
    """A breakdown with a bug: adding a "trap" key raises; merging a tally that saw a "boom" key raises."""

    dimension = "trap"

    def __init__(self) -> None:
        self.boom = False

    def add(self, key: str, size: int, storage_class: str, last_modified: str) -> None:
        if key.startswith("trap"):
            raise ZeroDivisionError(f"sprung by {key}")
        self.boom |= key.startswith("boom")

    def merge(self, other: Any) -> None:
        if other.boom:
            raise KeyError("merged a boom")

    def rows(self) -> list[Any]:
        return []


@dataclass(frozen=True)
class TrapSpec(BreakdownSpec):
    def make(self) -> list[Any]:
        return [Trap()]


def test_an_unforeseen_error_fails_its_bucket_only(caplog: pytest.LogCaptureFixture) -> None:
    """In a slice (worker side) or while merging (coordinator side): that bucket's failure, typed, traced."""
    fake = FakeS3()
    fake.add_bucket("good", GOOD)
    fake.add_bucket("trap", ListKeys.from_keys([f"trap{i:04d}" for i in range(1500)], 3))
    fake.add_bucket("boom", ListKeys.from_keys([f"boom{i:04d}" for i in range(1500)], 3))
    with fake, caplog.at_level(logging.DEBUG, logger="s3_storage_analyser.listing"):
        aws = Aws(AwsOptions(endpoint_url=fake.url))
        engine = ListingEngine(aws, concurrency=4, processes=0, spec=TrapSpec())
        targets = [Target(Bucket(name, "us-east-1", None)) for name in ("boom", "good", "trap")]
        results = {target.bucket.name: result for target, result in engine.run(targets)}

    good = results["good"]
    assert isinstance(good, BucketReport)
    objects, sizes = truth(GOOD)
    assert dict(good.usage.objects_by_class) == objects and dict(good.usage.bytes_by_class) == sizes
    trap, boom = results["trap"], results["boom"]
    assert isinstance(trap, Failure) and trap.error == "ZeroDivisionError" and "sprung by trap0000" in trap.message
    assert isinstance(boom, Failure) and boom.error == "KeyError" and "merged a boom" in boom.message
    assert "Traceback" in caplog.text and "ZeroDivisionError" in caplog.text and "KeyError" in caplog.text
