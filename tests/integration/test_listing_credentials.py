"""Listing worker processes sign with the parent's credentials as they are refreshed, on moto over HTTP
through the fault proxy: the proxy answers ExpiredToken to a key once a newer one was issued, and to
worker requests it is told to refuse; the totals stay exact, or the bucket is a named failure.

The proxy tells the parent's requests from the workers' by a header the parent's clients add after
signing (``Aws.event_hooks``, which worker processes do not get); it serves pages of 5 keys (the
request's max-keys rewritten) so a bucket of 300 objects is 60 pages, and it slows the parent's pages
and, after its first pages, slows them further until a worker has asked for one, so the worker
processes take part (however slowly they start) and do most of the listing.
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from s3_storage_analyser.accounts import AccountOptions, scan_accounts
from s3_storage_analyser.aws import Aws, AwsOptions
from s3_storage_analyser.config import ScanOptions
from s3_storage_analyser.listing.engine import _ProcessExecutor
from s3_storage_analyser.model import Snapshot
from s3_storage_analyser.report import scan
from support.faultproxy import FaultProxy, Request, Rule, error_response
from support.organization import Organization, build_organization, role_arn

OBJECTS = 300
PAGE_KEYS = 5  # 60 pages: several per worker
ORIGIN = "x-test-origin"  # added by the parent's clients after signing: the workers' requests lack it
PARENT_PAGE_DELAY = 0.3  # seconds the proxy holds each of the parent's pages
WORKER_PAGE_DELAY = 0.03
GRACE = 0.5  # an older key is refused this long after a newer one was issued: the parent's swap is done
HOLD = 5.0  # the longest the first worker request waits for newer credentials (due 2 s after each issue)
PARENT_PAGES_ALONE = 8  # the parent's pages at PARENT_PAGE_DELAY; by then it has started the workers
WAITING_PAGE_DELAY = 1.0  # the parent's later pages until a worker has asked for one (spawning may be slow)

_KEY = re.compile(r"Credential=([^/,\s]+)/")
_ISSUED = re.compile(rb"<AccessKeyId>([^<]+)</AccessKeyId>")


def _access_key(req: Request) -> str:
    found = _KEY.search(req.headers.get("authorization", ""))
    return found.group(1) if found else ""


def _mark_parent(request: Any, **_: Any) -> None:
    request.headers[ORIGIN] = "parent"


@dataclass
class Signers:
    """The proxy's side: the role's keys in the order STS issued them, and every page request's key."""

    proxy: FaultProxy
    issued: list[tuple[str, float]] = field(default_factory=list)  # (access key, monotonic time issued)
    pages: list[tuple[str, bool, int]] = field(default_factory=list)  # (access key, from a worker, status)
    refuse_workers_after: int | None = None  # refuse worker requests once this many passed (fixed credentials)
    hold_first_worker: bool = False
    held: tuple[str, int] | None = None  # the first worker request: its key, and the answer it got
    workers_seen: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self) -> None:
        self.proxy.add(Rule(operation="AssumeRole", action="respond", responder=self._assume_role))
        self.proxy.add(Rule(operation="ListObjectsV2", action="respond", responder=self._page))

    def _forward(self, req: Request) -> tuple[int, dict[str, str], bytes]:
        status, headers, body = self.proxy._forward(req)
        return status, dict(headers), body

    def _assume_role(self, req: Request) -> tuple[int, dict[str, str], bytes]:
        status, headers, body = self._forward(req)
        found = _ISSUED.search(body)
        if status == 200 and found:
            with self._lock:
                self.issued.append((found.group(1).decode(), time.monotonic()))
        return status, headers, body

    def _superseded(self, key: str) -> bool:
        """A newer key than ``key`` was issued, more than GRACE seconds ago."""
        with self._lock:
            keys = [k for k, _ in self.issued]
            if key not in keys:
                return False
            later = self.issued[keys.index(key) + 1 :]
        return any(time.monotonic() - at > GRACE for _, at in later)

    def _page(self, req: Request) -> tuple[int, dict[str, str], bytes]:
        key, worker = _access_key(req), ORIGIN not in req.headers
        delay = WORKER_PAGE_DELAY if worker else PARENT_PAGE_DELAY
        if worker:
            self.workers_seen.set()
        elif not self.workers_seen.is_set() and sum(1 for _, w, _ in self.pages if not w) >= PARENT_PAGES_ALONE:
            delay = WAITING_PAGE_DELAY
        with self._lock:
            hold = worker and self.hold_first_worker and self.held is None
            if hold:
                self.held = (key, 0)
            passed = sum(1 for _, w, status in self.pages if w and status == 200)
        if hold:  # the first worker request: refused once the parent's credentials have changed under it
            deadline = time.monotonic() + HOLD
            while not self._superseded(key) and time.monotonic() < deadline:
                time.sleep(0.05)
        refused = hold or self._superseded(key)
        refused = refused or (worker and self.refuse_workers_after is not None and passed >= self.refuse_workers_after)
        with self._lock:
            self.pages.append((key, worker, 400 if refused else 200))
            if hold:
                self.held = (key, 400 if refused else 200)
        if refused:
            headers, body = error_response(req, 400, "ExpiredToken", "The provided token has expired.")
            return 400, headers, body
        time.sleep(delay)
        query = re.sub(r"(^|&)max-keys=\d+", rf"\g<1>max-keys={PAGE_KEYS}", req.query)
        return self._forward(replace(req, query=query))

    def order(self, key: str) -> int:
        return [k for k, _ in self.issued].index(key)


def _fill(s3: Any, bucket: str) -> int:
    """``OBJECTS`` objects of 1-7 bytes; their total size."""
    s3.create_bucket(Bucket=bucket)
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(lambda i: s3.put_object(Bucket=bucket, Key=f"k/{i:04d}", Body=b"x" * (i % 7 + 1)), range(OBJECTS))
        )
    return sum(i % 7 + 1 for i in range(OBJECTS))


@pytest.fixture
def early_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Worker processes start at the first check (0.5 s), not only once this process is CPU-bound."""
    monkeypatch.setattr(_ProcessExecutor, "BUSY_WINDOWS", 0)


def _sizes(snapshot: Snapshot) -> dict[str, tuple[int, int]]:
    return {r.bucket.name: (r.usage.objects, r.usage.bytes) for r in snapshot.buckets}


@pytest.mark.slow
@pytest.mark.usefixtures("early_workers")
def test_workers_sign_with_the_refreshed_credentials(aws_url: str, fault_proxy: FaultProxy) -> None:
    """An assumed role refreshed 2 s after each issue (900 s sessions, an 898 s window): the first page a
    worker asks for is held until newer credentials were issued, then refused as expired; the slice is
    sent again with the new ones, and the workers go on with them. Every key is refused once superseded."""
    org: Organization = build_organization(aws_url, ["alpha"])
    alpha = org.id("alpha")
    size = _fill(org.s3(alpha), "alpha-big")
    org.bucket(alpha, "alpha-small", {"a": b"x" * 10})
    signers = Signers(fault_proxy, hold_first_worker=True)
    signers.install()
    aws = Aws(AwsOptions(endpoint_url=fault_proxy.url))
    aws.event_hooks.append(("before-send.s3.ListObjectsV2", _mark_parent))
    accounts = AccountOptions(role_arns=(role_arn(alpha),), duration=900, refresh_window=898)

    snapshot = scan_accounts(aws, ScanOptions(strategy="list", concurrency=2, processes=2), accounts).snapshot

    assert not snapshot.failures
    assert _sizes(snapshot) == {"alpha-big": (OBJECTS, size), "alpha-small": (1, 10)}
    assert signers.held is not None
    held_key, held_status = signers.held
    assert held_status == 400  # held, then refused: the parent's credentials changed mid-listing
    worker_pages = [(key, status) for key, worker, status in signers.pages if worker]
    newer = [status for key, status in worker_pages if signers.order(key) > signers.order(held_key)]
    assert 200 in newer  # the workers listed on with the refreshed credentials
    listed_with = {key for key, _worker, status in signers.pages if status == 200}
    assert len(listed_with) >= 2
    refused = [key for key, _worker, status in signers.pages if status == 400]
    assert all(signers.order(key) < signers.order(signers.issued[-1][0]) for key in refused)


@pytest.mark.slow
@pytest.mark.usefixtures("early_workers")
def test_credentials_refused_in_a_worker_fail_the_bucket_by_name(s3: Any, fault_proxy: FaultProxy) -> None:
    """One account, fixed credentials: once a worker's are refused (ExpiredToken), nothing newer comes,
    and the bucket is a named failure, never a total missing the refused pages; the other bucket is exact."""
    _fill(s3, "big")
    s3.create_bucket(Bucket="small")
    s3.put_object(Bucket="small", Key="a", Body=b"x" * 10)
    signers = Signers(fault_proxy, refuse_workers_after=2)
    signers.install()
    aws = Aws(AwsOptions(endpoint_url=fault_proxy.url))
    aws.event_hooks.append(("before-send.s3.ListObjectsV2", _mark_parent))

    snapshot = scan(aws, ScanOptions(strategy="list", concurrency=2, processes=2))

    assert _sizes(snapshot) == {"small": (1, 10)}
    [failure] = snapshot.failures
    assert (failure.bucket, failure.stage, failure.error) == ("big", "list-objects", "CredentialsError")
    assert "ExpiredToken" in failure.message
    assert any(worker and status == 400 for _key, worker, status in signers.pages)
