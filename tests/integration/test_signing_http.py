"""The listing's own signatures over HTTP, through a proxy that checks SigV4 as S3 does (botocore's math).

A wrong signature is a failed test here, not a silent fallback: every request must pass the check,
and the pages must have come through the fast path (the lister's own counters say so).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from s3_storage_analyser.aws import Aws, AwsOptions
from s3_storage_analyser.errors import AnalyserError
from s3_storage_analyser.listing.rawclient import RawLister
from support.fakes3 import FakeS3, FlatHexKeys
from support.keys import tricky_keys
from support.sigcheck import SigV4CheckingProxy

ACCESS_KEY = "AKIASIGCHECK00000000"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYSIGCHECK"
TOKEN = "FwoGZXIvYXdzE//////////token with  spaces+/="
REGION = "eu-west-1"


@pytest.fixture()
def proxy() -> Iterator[SigV4CheckingProxy]:
    fake = FakeS3(region=REGION)
    fake.add_bucket("tricky", tricky_keys(200), region=REGION)
    fake.add_bucket("flat", FlatHexKeys(2500), region=REGION)
    with fake, SigV4CheckingProxy(fake.url, {ACCESS_KEY: SECRET}) as checking:
        yield checking


def lister_for(url: str, secret: str = SECRET, token: str | None = TOKEN) -> RawLister:
    aws = Aws.with_credentials(AwsOptions(endpoint_url=url, region=REGION), (ACCESS_KEY, secret, token))
    return RawLister(aws.client("s3", REGION), fast=True)


def every_key(
    lister: RawLister, bucket: str, *, prefix: str = "", max_keys: int = 1000, tokens: bool = False
) -> list[str]:
    """The bucket's keys, page by page: by StartAfter (the listing's way) or by continuation token."""
    keys: list[str] = []
    after: str | None = None
    token: str | None = None
    while True:
        page = lister.objects(
            bucket, prefix=prefix, start_after=None if tokens else after, token=token, max_keys=max_keys
        )
        keys.extend(page.keys())
        if not page.truncated:
            return keys
        after, token = keys[-1], page.next_token if tokens else None


def test_fast_signed_requests_pass_a_sigv4_check(proxy: SigV4CheckingProxy) -> None:
    """Hostile keys as StartAfter values, continuation tokens, hostile prefixes, a session token with runs of
    spaces, a region other than us-east-1: every request passes, and the keys are exactly the bucket's."""
    lister = lister_for(proxy.url)
    source = tricky_keys(200)
    expected = [source.key(i) for i in range(len(source))]
    assert every_key(lister, "tricky", max_keys=7) == expected
    assert every_key(lister, "tricky", max_keys=11, tokens=True) == expected
    for prefix in {key[:2] for key in expected[::50]}:
        assert every_key(lister, "tricky", prefix=prefix, max_keys=5) == [k for k in expected if k.startswith(prefix)]
    flat = every_key(lister, "flat")
    assert len(flat) == 2500
    assert proxy.refused == []
    assert lister.fast_handed_over == 0
    # the first request per bucket is botocore's (the template is taken from it): every other is the lister's
    assert lister.fast_pages >= proxy.passed - 2 and lister.fast_pages > 50


def test_no_session_token(proxy: SigV4CheckingProxy) -> None:
    lister = lister_for(proxy.url, token=None)
    assert len(every_key(lister, "flat", max_keys=500)) == 2500
    assert proxy.refused == [] and lister.fast_pages == 4


def test_a_wrong_signature_is_refused_and_named(proxy: SigV4CheckingProxy) -> None:
    """The check is real: a request signed with another secret is refused, and the listing fails by name."""
    aws = Aws.with_credentials(AwsOptions(endpoint_url=proxy.url, region=REGION), (ACCESS_KEY, "not-the-secret", None))
    lister = RawLister(aws.client("s3", REGION), fast=True)
    with pytest.raises(AnalyserError) as raised, aws.translating("s3:objects", bucket="flat"):
        lister.objects("flat")
    assert "SignatureDoesNotMatch" in str(raised.value.code) + str(raised.value)
    assert proxy.refused and all(r.startswith("SignatureDoesNotMatch") for r in proxy.refused)


def test_fast_signing_off_sends_every_request_through_botocore(
    proxy: SigV4CheckingProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """S3SA_FAST_SIGNING=0: botocore builds and signs every request (the benchmark's "before"), still exact."""
    monkeypatch.setenv("S3SA_FAST_SIGNING", "0")
    aws = Aws.with_credentials(AwsOptions(endpoint_url=proxy.url, region=REGION), (ACCESS_KEY, SECRET, TOKEN))
    lister = RawLister(aws.client("s3", REGION))
    assert len(every_key(lister, "flat", max_keys=500)) == 2500
    assert lister.fast_pages == 0 and proxy.passed == 5 and proxy.refused == []
