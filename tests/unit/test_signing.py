"""The listing's own SigV4 against botocore's: the same signature on thousands of random requests."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode_sequence

from s3_storage_analyser.listing.rawclient import objects_query
from s3_storage_analyser.listing.signing import (
    RequestTemplate,
    amz_date,
    encode_params,
    host_of,
    read_authorization,
    signing_key,
    split_query,
    template_from,
)

# Characters keys, prefixes, markers and tokens may hold that an encoder can get wrong.
HOSTILE = [
    " ", "+", "%", "%2F", "&", "=", "?", "#", "/", "//", "~", "*", "'", "(", ")", "!", ":", "@", ";", ",", "$",
    "\x00", "\x01", "\x1f", "\x7f", "\t", "\n", "é", "日本", "\U0001f600", "\u200b", "\ufeff", "..", ".", "-", "_",
    "A", "z", "0", "9",
]  # fmt: skip
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1", "cn-north-1", "me-central-1", "local"]
ENDPOINTS = [
    "http://127.0.0.1:9000/{bucket}",
    "http://localhost/{bucket}",
    "https://s3.{region}.amazonaws.com/{bucket}",
    "https://{bucket}.s3.{region}.amazonaws.com/",
    "https://{bucket}.s3.{region}.amazonaws.com:443/",
    "http://[::1]:8080/{bucket}",
    "https://minio.example:9443/{bucket}",
]
BUCKETS = ["bench", "my.bucket", "a-b-c", "x" * 63, "b1"]


def hostile_text(rng: random.Random, most: int = 12) -> str:
    return "".join(rng.choice(HOSTILE) for _ in range(rng.randint(1, most)))


def random_params(rng: random.Random, bucket: str) -> dict[str, object]:
    """ListObjectsV2 parameters, as the lister passes them to botocore."""
    params: dict[str, object] = {"Bucket": bucket, "EncodingType": "url", "MaxKeys": rng.choice([1, 7, 1000])}
    if rng.random() < 0.6:
        params["Prefix"] = hostile_text(rng)
    if rng.random() < 0.3:
        params["ContinuationToken"] = hostile_text(rng, 40)
    elif rng.random() < 0.7:
        params["StartAfter"] = hostile_text(rng, 30)
    if rng.random() < 0.3:
        params["Delimiter"] = rng.choice(["/", "-", "日", " "])
    return params


def random_credentials(rng: random.Random) -> Credentials:
    secret = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") for _ in range(40))
    token = None
    if rng.random() < 0.5:  # session tokens are base64, long; a hostile one has spaces runs and odd characters
        token = "".join(rng.choice("AZaz09+/=  \t~%&") for _ in range(rng.randint(1, 400))).strip() or "t"
    return Credentials(f"AKIA{rng.randrange(16**16):016X}", secret, token)


def random_moment(rng: random.Random) -> datetime:
    return datetime(2000, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(60 * 365 * 86400))


def botocore_signed(
    url: str, credentials: Credentials, region: str, moment: datetime, user_agent: str = "Botocore/test"
) -> Any:
    """The request signed by botocore's S3SigV4Auth exactly as ``add_auth`` does, at a chosen moment."""
    request: Any = AWSRequest(method="GET", url=url, headers={"User-Agent": user_agent})
    auth: Any = S3SigV4Auth(credentials, "s3", region)
    request.context["timestamp"] = amz_date(moment)
    auth._modify_request_before_signing(request)
    canonical = auth.canonical_request(request)
    auth._inject_signature_to_request(request, auth.signature(auth.string_to_sign(request, canonical), request))
    return request


def url_for(endpoint: str, bucket: str, region: str, params: dict[str, object]) -> str:
    """The URL botocore's serializer makes for these parameters (``percent_encode_sequence``)."""
    base = endpoint.format(bucket=bucket, region=region)
    return f"{base}?{percent_encode_sequence(dict(objects_query(params)))}"


def test_the_query_is_encoded_as_botocore_encodes_it() -> None:
    rng = random.Random(1)
    for _ in range(2000):
        params = random_params(rng, "b")
        pairs = objects_query(params)
        assert "&".join(f"{k}={v}" for k, v in encode_params(pairs)) == percent_encode_sequence(dict(pairs))


def test_signatures_equal_botocores_on_thousands_of_random_requests() -> None:
    """A template taken from one botocore-signed request signs every other request as botocore would:
    random buckets, endpoints, regions, keys, prefixes, markers, tokens, credentials and dates."""
    rng = random.Random(20261130)
    checked = 0
    for _ in range(200):
        bucket, region, endpoint = rng.choice(BUCKETS), rng.choice(REGIONS), rng.choice(ENDPOINTS)
        credentials = random_credentials(rng)
        first = botocore_signed(
            url_for(endpoint, bucket, region, random_params(rng, bucket)), credentials, region, random_moment(rng)
        )
        template = template_from("GET", first.url, first.headers, None, credentials.secret_key, credentials.token)
        assert template is not None, first.url
        base = endpoint.format(bucket=bucket, region=region)
        assert template.base_url == base and template.region == region and template.host == host_of(base)
        for _ in range(10):
            params, moment = random_params(rng, bucket), random_moment(rng)
            expected = botocore_signed(url_for(endpoint, bucket, region, params), credentials, region, moment)
            mine = template.sign(
                encode_params(objects_query(params)),
                credentials.access_key,
                credentials.secret_key,
                credentials.token,
                amz_date(moment),
            )
            assert mine.url == expected.url
            assert mine.headers["Authorization"] == expected.headers["Authorization"], (expected.url, moment)
            sent = {name.lower(): value for name, value in mine.headers.items()}
            for name, value in expected.headers.items():
                assert sent[name.lower()] == value, name
            checked += 1
    assert checked == 2000


def test_a_request_signed_now_by_add_auth_is_reproduced() -> None:
    """botocore's public ``add_auth`` (its own clock): the template reproduces the header it wrote."""
    rng = random.Random(7)
    for _ in range(50):
        credentials = random_credentials(rng)
        params = random_params(rng, "bench")
        request: Any = AWSRequest(method="GET", url=url_for(ENDPOINTS[0], "bench", "eu-west-1", params))
        S3SigV4Auth(credentials, "s3", "eu-west-1").add_auth(request)
        template = template_from("GET", request.url, request.headers, None, credentials.secret_key, credentials.token)
        assert template is not None
        again = template.sign(
            split_query(request.url.partition("?")[2]),
            credentials.access_key,
            credentials.secret_key,
            credentials.token,
            request.headers["X-Amz-Date"],
        )
        assert again.headers["Authorization"] == request.headers["Authorization"]


@pytest.mark.parametrize(
    "spoil",
    [
        "signature",  # a signature this module would not compute: not reproduced, so no template
        "secret",  # signed with another secret than the one given
        "token",  # a session token other than the one given
        "scheme",  # not SigV4
        "method",
        "body",
        "extra-signed-header",  # a signed header whose value could change between requests
    ],
)
def test_no_template_from_a_request_it_would_not_reproduce(spoil: str) -> None:
    credentials = Credentials("AKIAEXAMPLE", "secret", "token")
    request = botocore_signed(
        url_for(ENDPOINTS[0], "bench", "us-east-1", {"Prefix": "a b"}),
        credentials,
        "us-east-1",
        datetime(2026, 11, 30, tzinfo=UTC),
    )
    headers = {name: str(value) for name, value in request.headers.items()}
    secret, token, method, body = credentials.secret_key, credentials.token, "GET", None
    authorization = headers["Authorization"]
    if spoil == "signature":
        last = authorization[-1]
        headers["Authorization"] = authorization[:-1] + ("0" if last != "0" else "1")
    elif spoil == "secret":
        secret = "another"
    elif spoil == "token":
        token = "another"
    elif spoil == "scheme":
        headers["Authorization"] = authorization.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256")
    elif spoil == "method":
        method = "PUT"
    elif spoil == "body":
        body = b"x"
    else:
        headers["x-amz-meta-a"] = "1"
        headers["Authorization"] = authorization.replace("x-amz-date;", "x-amz-date;x-amz-meta-a;")
    assert template_from(method, request.url, headers, body, secret, token) is None


def test_the_signing_key_is_the_derivation_botocore_uses() -> None:
    """The cached key: botocore's chain of four HMACs (checked through a signature it makes)."""
    credentials = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    moment = datetime(2015, 8, 30, 12, 36, tzinfo=UTC)
    url = "https://examplebucket.s3.amazonaws.com/?list-type=2&max-keys=2&prefix=J"
    request = botocore_signed(url, credentials, "us-east-1", moment)
    template = RequestTemplate.for_url(
        "https://examplebucket.s3.amazonaws.com/",
        "us-east-1",
        static_signed={"x-amz-content-sha256": request.headers["X-Amz-Content-SHA256"]},
    )
    mine = template.sign(
        split_query(url.partition("?")[2]), "AKIDEXAMPLE", credentials.secret_key, None, amz_date(moment)
    )
    assert mine.headers["Authorization"] == request.headers["Authorization"]
    assert signing_key.cache_info().maxsize == 64
    scope = read_authorization(mine.headers["Authorization"])
    assert scope is not None and scope.region == "us-east-1" and scope.date == "20150830"
