"""A loopback proxy that checks SigV4 as S3 does, with botocore's own math, before forwarding.

moto and FakeS3 accept any signature, so a client that signs wrongly would pass every other test
and meet a storm of 403s on AWS. This proxy recomputes each request's signature from what arrived
on the wire (the raw path and query, the headers the Authorization names, the claimed date) with
botocore's ``S3SigV4Auth`` and the secret of the access key, and answers 403
SignatureDoesNotMatch when they differ; good requests go on to the upstream endpoint unchanged.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import threading
import urllib.parse
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
SKEW = timedelta(minutes=15)  # S3's RequestTimeTooSkewed window


def _refusal(code: str, message: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
        "<RequestId>SIGCHECK</RequestId></Error>"
    ).encode()


def check_signature(
    method: str, host: str, target: str, headers: Mapping[str, str], secrets: Mapping[str, str]
) -> str | None:
    """None if the request is signed right for one of ``secrets`` (access key -> secret), else the S3 error code."""
    lowered = {name.lower(): value for name, value in headers.items()}
    authorization = lowered.get("authorization", "")
    prefix = "AWS4-HMAC-SHA256 "
    if not authorization.startswith(prefix):
        return "AccessDenied"
    fields: dict[str, str] = {}
    for part in authorization[len(prefix) :].split(","):
        name, _, value = part.strip().partition("=")
        fields[name] = value
    credential = fields.get("Credential", "").split("/")
    signed = fields.get("SignedHeaders", "").split(";")
    if len(credential) != 5 or credential[4] != "aws4_request" or "host" not in signed or "x-amz-date" not in signed:
        return "AuthorizationHeaderMalformed"
    access_key, date, region, service, _ = credential
    secret = secrets.get(access_key)
    if secret is None:
        return "InvalidAccessKeyId"
    stamp = lowered.get("x-amz-date", "")
    try:
        moment = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return "AccessDenied"
    if stamp[:8] != date:
        return "SignatureDoesNotMatch"
    if abs(datetime.now(UTC) - moment) > SKEW:
        return "RequestTimeTooSkewed"
    if lowered.get("x-amz-content-sha256") not in (EMPTY_SHA256, "UNSIGNED-PAYLOAD"):
        return "XAmzContentSHA256Mismatch"  # a GET has no body
    # Only the headers the client says it signed, with the values that arrived (host: as received).
    wire = {name: lowered.get(name, "") for name in signed if name != "host"}
    request: Any = AWSRequest(method=method, url=f"http://{host}{target}", headers={**wire, "host": host})
    request.context["timestamp"] = stamp
    auth: Any = S3SigV4Auth(Credentials(access_key, secret, lowered.get("x-amz-security-token")), service, region)
    canonical = auth.canonical_request(request)
    expected = auth.signature(auth.string_to_sign(request, canonical), request)
    if auth.signed_headers(auth.headers_to_sign(request)) != ";".join(signed):
        return "SignatureDoesNotMatch"
    return None if hmac.compare_digest(expected, fields.get("Signature", "")) else "SignatureDoesNotMatch"


class SigV4CheckingProxy:
    """Forwards correctly signed requests to ``upstream``; counts what it let through and what it refused."""

    def __init__(self, upstream: str, secrets: Mapping[str, str]) -> None:
        self.upstream = urllib.parse.urlsplit(upstream).netloc
        self.secrets = dict(secrets)
        self.passed = 0
        self.refused: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="sigcheck", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> SigV4CheckingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = dict(self.headers.items())
                problem = check_signature(self.command, self.headers.get("Host", ""), self.path, headers, proxy.secrets)
                with proxy._lock:
                    if problem is None:
                        proxy.passed += 1
                    else:
                        proxy.refused.append(f"{problem} {self.command} {self.path}")
                if problem is not None:
                    status, reply_headers, reply = (
                        403,
                        [("Content-Type", "application/xml")],
                        _refusal(problem, problem),
                    )
                else:
                    conn = http.client.HTTPConnection(proxy.upstream, timeout=30)
                    try:
                        forward = {k: v for k, v in headers.items() if k.lower() not in ("host", "connection")}
                        conn.request(self.command, self.path, body=body or None, headers=forward)
                        answer = conn.getresponse()
                        reply = answer.read()
                        status = answer.status
                        reply_headers = [
                            (k, v)
                            for k, v in answer.getheaders()
                            if k.lower() not in ("content-length", "connection", "transfer-encoding")
                        ]
                    finally:
                        conn.close()
                self.send_response(status)
                for name, value in reply_headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(reply)

            do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _handle

        return Handler
