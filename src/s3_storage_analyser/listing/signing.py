"""SigV4 for the listing's own requests: a cached signing key and a request template.

botocore builds, resolves and signs every request anew: ~2 ms a page on this machine, more than
parsing the page. A listing sends thousands of requests that differ only in their query and
their date, so the template is taken once per bucket from a request botocore built and signed
itself (its URL, its signed headers, its credential scope: whatever endpoint resolution, region
redirects and addressing style decided), and checked to be reproduced exactly before it is used.
Each request then costs one SHA-256 and one HMAC: the signing key changes once a day per region
and secret, so it is cached.

The arithmetic is SigV4 as botocore's ``S3SigV4Auth`` does it (no path normalisation for S3; the
query canonicalised from its encoded pairs, sorted; header values with their runs of whitespace
folded); tests compare it with botocore's own signatures on thousands of random requests.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from urllib.parse import quote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
TIMESTAMP = "%Y%m%dT%H%M%SZ"
# The headers a template signs with a value per request; any other signed header must be one whose value
# never changes from one listing request to the next (x-amz-content-sha256 of an empty body).
_PER_REQUEST = ("host", "x-amz-date", "x-amz-security-token")
_STATIC_SIGNED = frozenset({"x-amz-content-sha256"})
_DEFAULT_PORTS = {"http": 80, "https": 443}

Pairs = Sequence[tuple[str, str]]


def encode_param(value: str) -> str:
    """A query name or value as botocore's serializer writes it (``percent_encode``: UTF-8, safe ``-_.~``)."""
    return quote(value.encode("utf-8"), safe="-_.~")


def encode_params(params: Pairs) -> list[tuple[str, str]]:
    """Query pairs, encoded."""
    return [(encode_param(name), encode_param(value)) for name, value in params]


def split_query(query: str) -> list[tuple[str, str]]:
    """A URL's encoded query as pairs, as botocore splits it to sign (no decoding)."""
    return [(name, value) for name, _, value in (pair.partition("=") for pair in query.split("&"))] if query else []


@lru_cache(maxsize=64)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """kSigning = HMAC chain over date, region, service and "aws4_request": the same all day."""
    key = hmac.digest(f"AWS4{secret}".encode(), date.encode(), "sha256")
    for part in (region, service, "aws4_request"):
        key = hmac.digest(key, part.encode(), "sha256")
    return key


def host_of(url: str) -> str:
    """The host header as botocore signs it: the host name, with the port unless it is the scheme's default."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal, brackets stripped by urlsplit
        host = f"[{host}]"
    if parts.port is not None and parts.port != _DEFAULT_PORTS.get(parts.scheme):
        host = f"{host}:{parts.port}"
    return host


@dataclass(frozen=True)
class Scope:
    """What an Authorization header says it signed: the credential scope and the signed header names."""

    access_key: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def read_authorization(value: str) -> Scope | None:
    """The parts of a SigV4 Authorization header; None for any other scheme (SigV4a, anonymous, ...)."""
    if not value.startswith(ALGORITHM + " "):
        return None
    fields: dict[str, str] = {}
    for part in value[len(ALGORITHM) + 1 :].split(","):
        name, _, text = part.strip().partition("=")
        fields[name] = text
    credential = fields.get("Credential", "").split("/")
    if len(credential) != 5 or credential[4] != "aws4_request" or not fields.get("Signature"):
        return None
    access_key, date, region, service, _ = credential
    return Scope(
        access_key, date, region, service, tuple(fields.get("SignedHeaders", "").split(";")), fields["Signature"]
    )


@dataclass(frozen=True)
class SignedRequest:
    """A request ready to send: its URL and headers (Authorization included)."""

    url: str
    headers: dict[str, str]


@dataclass(frozen=True)
class RequestTemplate:
    """A GET to one bucket's URL, signed as botocore signed the request it was taken from."""

    base_url: str  # scheme://host[:port]/path, no query
    region: str
    service: str
    static_signed: tuple[tuple[str, str], ...]  # (lowercase name, value): signed, the same on every request
    unsigned: tuple[tuple[str, str], ...]  # (name, value): sent, not signed (User-Agent)
    host: str
    canonical_uri: str

    @classmethod
    def for_url(
        cls,
        base_url: str,
        region: str,
        *,
        service: str = "s3",
        static_signed: Mapping[str, str] | None = None,
        unsigned: Mapping[str, str] | None = None,
    ) -> RequestTemplate:
        path = urlsplit(base_url).path or "/"
        return cls(
            base_url,
            region,
            service,
            tuple(sorted((name.lower(), value) for name, value in (static_signed or {}).items())),
            tuple((unsigned or {}).items()),
            host_of(base_url),
            path,  # S3 signs the path as sent: not normalised, not quoted again
        )

    def sign(self, query: Pairs, access_key: str, secret_key: str, token: str | None, amz_date: str) -> SignedRequest:
        """The request with ``query`` (encoded pairs), signed with these credentials at ``amz_date``."""
        signed = [("host", self.host), ("x-amz-date", amz_date), *self.static_signed]
        if token:
            signed.append(("x-amz-security-token", token))
        signed.sort()
        names = ";".join(name for name, _ in signed)
        canonical_headers = "".join(f"{name}:{' '.join(value.split())}\n" for name, value in signed)
        payload = dict(self.static_signed).get("x-amz-content-sha256", hashlib.sha256(b"").hexdigest())
        canonical_query = "&".join(f"{name}={value}" for name, value in sorted(query))
        canonical_request = "\n".join(("GET", self.canonical_uri, canonical_query, canonical_headers, names, payload))
        date = amz_date[:8]
        scope = f"{date}/{self.region}/{self.service}/aws4_request"
        digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
        string_to_sign = f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"
        key = signing_key(secret_key, date, self.region, self.service)
        signature = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
        headers = dict(self.unsigned)
        headers["X-Amz-Date"] = amz_date
        if token:
            headers["X-Amz-Security-Token"] = token
        for name, value in self.static_signed:
            headers[name] = value
        headers["Authorization"] = (
            f"{ALGORITHM} Credential={access_key}/{scope}, SignedHeaders={names}, Signature={signature}"
        )
        url = self.base_url + ("?" + "&".join(f"{name}={value}" for name, value in query) if query else "")
        return SignedRequest(url, headers)


def amz_date(moment: datetime) -> str:
    """The X-Amz-Date of a UTC moment."""
    return moment.strftime(TIMESTAMP)


def _text(value: str | bytes) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def template_from(
    method: str,
    url: str,
    headers: Mapping[str, str | bytes],
    body: object,
    secret_key: str,
    token: str | None,
) -> RequestTemplate | None:
    """The template of a request botocore built and signed (with ``secret_key``), or None if it cannot be
    reproduced: another method, a body, another signing scheme, a signed header whose value may change, or
    a signature this module does not reproduce exactly from the same parts."""
    if method.upper() != "GET" or body:
        return None
    sent = {name.lower(): _text(value) for name, value in headers.items()}
    scope = read_authorization(sent.get("authorization", ""))
    if scope is None:
        return None
    static = {name: sent.get(name, "") for name in scope.signed_headers if name not in _PER_REQUEST}
    if not set(static) <= _STATIC_SIGNED or "host" not in scope.signed_headers:
        return None
    if (sent.get("x-amz-security-token") or None) != (token or None):
        return None
    if ("x-amz-security-token" in scope.signed_headers) != bool(token):
        return None
    base, _, query = url.partition("?")
    unsigned = {"User-Agent": sent["user-agent"]} if sent.get("user-agent") else {}
    template = RequestTemplate.for_url(
        base, scope.region, service=scope.service, static_signed=static, unsigned=unsigned
    )
    again = template.sign(split_query(query), scope.access_key, secret_key, token, sent.get("x-amz-date", ""))
    return template if again.headers["Authorization"] == sent["authorization"] else None
