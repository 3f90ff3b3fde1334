"""A fault-injecting reverse proxy for the moto endpoint, on 127.0.0.1 only.

The tool under test is pointed at ``proxy.url``; every request is forwarded to
the moto server unchanged, unless a ``Rule`` matches it, in which case the rule
answers instead: a canned AWS error (in the protocol the client spoke: S3 REST
XML, the query protocol's XML, JSON 1.0 or Smithy RPC v2 CBOR) or a reset
connection. Rules count their hits, can stop after ``times`` hits (to model
transient faults that a retry gets past), and the proxy logs every request so
tests can count calls per operation.

    rule = proxy.add(Rule(operation="GetMetricData", region="eu-west-1"))
    ...
    assert rule.hits == 1
    assert proxy.count("GetBucketLocation") == 3

Used as a pytest plugin (``pytest_plugins = ["support.faultproxy"]``) it provides the
``fault_proxy`` fixture, already forwarding to the ``aws_url`` moto server.
"""

from __future__ import annotations

import http.client
import json
import socket
import struct
import threading
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import pytest

# Response headers that describe one hop, not the message.
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection", "upgrade"}


@dataclass(frozen=True)
class Request:
    """One request as the proxy saw it, with what it could tell about the AWS call."""

    method: str
    path: str  # without the query string
    query: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    service: str | None  # from the SigV4 credential scope: "s3", "monitoring", ...
    region: str | None  # likewise
    protocol: Literal["rest-xml", "query", "json", "cbor"]
    operation: str | None
    bucket: str | None  # S3 path-style bucket, if any

    @property
    def target(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path


@dataclass
class Rule:
    """Which requests to intercept, and how to answer them.

    Every criterion given must match (``None`` matches anything); string
    criteria other than ``method``/``service``/``region``/``operation``/``bucket``
    are substring matches. ``action`` is ``"error"`` (answer ``status`` with an
    AWS-style error ``code`` and ``message``), ``"reset"`` (drop the TCP
    connection without answering) or ``"respond"`` (call ``responder``).
    """

    status: int = 403
    code: str = "AccessDenied"
    message: str = "Access Denied"
    method: str | None = None
    service: str | None = None
    region: str | None = None
    operation: str | None = None
    bucket: str | None = None
    path: str | None = None  # exact path
    path_contains: str | None = None
    query_contains: str | None = None
    body_contains: bytes | None = None
    header_contains: dict[str, str] = field(default_factory=dict)
    action: Literal["error", "reset", "respond"] = "error"
    response_headers: dict[str, str] = field(default_factory=dict)
    responder: Callable[[Request], tuple[int, dict[str, str], bytes]] | None = None
    times: int | None = None  # act on the first N matches only, then let requests through
    hits: int = 0

    def matches(self, req: Request) -> bool:
        exact = {
            "method": (self.method, req.method),
            "service": (self.service, req.service),
            "region": (self.region, req.region),
            "operation": (self.operation, req.operation),
            "bucket": (self.bucket, req.bucket),
            "path": (self.path, req.path),
        }
        for wanted, actual in exact.values():
            if wanted is not None and (actual is None or wanted.lower() != actual.lower()):
                return False
        if self.path_contains is not None and self.path_contains not in req.path:
            return False
        if self.query_contains is not None and self.query_contains not in req.query:
            return False
        if self.body_contains is not None and self.body_contains not in req.body:
            return False
        return all(value in req.headers.get(name.lower(), "") for name, value in self.header_contains.items())


# --- telling what a request is -------------------------------------------------------------------


def _credential_scope(authorization: str) -> tuple[str | None, str | None]:
    """(region, service) from ``AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request``."""
    marker = "Credential="
    start = authorization.find(marker)
    if start < 0:
        return None, None
    scope = authorization[start + len(marker) :].split(",", 1)[0].split("/")
    if len(scope) < 5:
        return None, None
    return scope[2], scope[3]


_S3_SUBRESOURCE_OPERATIONS = {
    ("GET", "location"): "GetBucketLocation",
    ("GET", "versions"): "ListObjectVersions",
    ("GET", "uploads"): "ListMultipartUploads",
    ("GET", "versioning"): "GetBucketVersioning",
    ("GET", "tagging"): "GetBucketTagging",
    ("GET", "policy"): "GetBucketPolicy",
    ("GET", "lifecycle"): "GetBucketLifecycleConfiguration",
    ("GET", "inventory"): "ListBucketInventoryConfigurations",
    ("GET", "metrics"): "ListBucketMetricsConfigurations",
    ("POST", "delete"): "DeleteObjects",
}


def s3_operation(method: str, bucket: str | None, key: str | None, params: dict[str, list[str]]) -> str | None:
    """A best-effort S3 operation name for a path-style request."""
    if bucket is None:
        return "ListBuckets" if method == "GET" else None
    if key is None:
        for (verb, sub), name in _S3_SUBRESOURCE_OPERATIONS.items():
            if verb == method and sub in params:
                return name
        if method == "GET":
            return "ListObjectsV2" if params.get("list-type") == ["2"] else "ListObjects"
        return {"HEAD": "HeadBucket", "PUT": "CreateBucket", "DELETE": "DeleteBucket"}.get(method)
    if "uploadId" in params:
        return {"PUT": "UploadPart", "POST": "CompleteMultipartUpload", "GET": "ListParts"}.get(method)
    if method == "POST" and "uploads" in params:
        return "CreateMultipartUpload"
    return {"GET": "GetObject", "HEAD": "HeadObject", "PUT": "PutObject", "DELETE": "DeleteObject"}.get(method)


def describe(method: str, target: str, headers: dict[str, str], body: bytes) -> Request:
    path, _, query = target.partition("?")
    params = urllib.parse.parse_qs(query, keep_blank_values=True)
    region, service = _credential_scope(headers.get("authorization", ""))
    bucket: str | None = None
    operation: str | None = None
    protocol: Literal["rest-xml", "query", "json", "cbor"]
    if headers.get("smithy-protocol", "").startswith("rpc-v2"):
        protocol = "cbor"
        parts = path.strip("/").split("/")  # service/<Service>/operation/<Operation>
        operation = parts[3] if len(parts) >= 4 and parts[2] == "operation" else None
    elif "x-amz-target" in headers:
        protocol = "json"
        operation = headers["x-amz-target"].rsplit(".", 1)[-1]
    elif method == "POST" and headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        protocol = "query"
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        operation = form.get("Action", [None])[0]
    else:
        protocol = "rest-xml"
        segments = urllib.parse.unquote(path).lstrip("/").split("/", 1)
        bucket = segments[0] or None
        key = segments[1] if len(segments) > 1 and segments[1] else None
        operation = s3_operation(method, bucket, key, params)
    return Request(method, path, query, headers, body, service, region, protocol, operation, bucket)


# --- error bodies in each protocol ---------------------------------------------------------------


def _cbor_head(major: int, length: int) -> bytes:
    if length < 24:
        return bytes([major << 5 | length])
    if length < 0x100:
        return bytes([major << 5 | 24, length])
    if length < 0x10000:
        return bytes([major << 5 | 25]) + struct.pack(">H", length)
    return bytes([major << 5 | 26]) + struct.pack(">I", length)


def cbor_map(values: dict[str, str]) -> bytes:
    """CBOR for a map of text to text: all a Smithy RPC v2 error body needs."""
    out = bytearray(_cbor_head(5, len(values)))
    for key, value in values.items():
        for text in (key, value):
            raw = text.encode("utf-8")
            out += _cbor_head(3, len(raw)) + raw
    return bytes(out)


def error_response(req: Request, status: int, code: str, message: str) -> tuple[dict[str, str], bytes]:
    """Headers and body of an AWS error, shaped for the protocol the request used."""
    request_id = uuid.uuid4().hex
    headers = {"x-amzn-requestid": request_id, "x-amz-request-id": request_id}
    if req.protocol == "json":
        headers["Content-Type"] = "application/x-amz-json-1.0"
        headers["x-amzn-query-error"] = f"{code};Sender"
        return headers, json.dumps({"__type": code, "message": message}).encode()
    if req.protocol == "cbor":
        headers["Content-Type"] = "application/cbor"
        headers["smithy-protocol"] = "rpc-v2-cbor"
        headers["x-amzn-query-error"] = f"{code};Sender"
        return headers, cbor_map({"__type": code, "message": message})
    headers["Content-Type"] = "text/xml" if req.protocol == "query" else "application/xml"
    if req.protocol == "query":
        body = (
            '<ErrorResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">'
            f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    else:
        resource = f"<Resource>/{req.bucket}</Resource>" if req.bucket else ""
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{message}</Message>{resource}"
            f"<RequestId>{request_id}</RequestId></Error>"
        )
    return headers, body.encode()


# --- the proxy -----------------------------------------------------------------------------------


class FaultProxy:
    """A ThreadingHTTPServer on 127.0.0.1:0 forwarding to ``upstream`` unless a rule says otherwise."""

    def __init__(self, upstream: str) -> None:
        parsed = urllib.parse.urlsplit(upstream)
        if parsed.hostname != "127.0.0.1" or parsed.port is None:
            raise ValueError(f"the fault proxy only forwards to 127.0.0.1:<port>, not {upstream!r}")
        self.upstream = (parsed.hostname, parsed.port)
        self.rules: list[Rule] = []
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)

    # lifecycle
    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # rules and accounting
    def add(self, rule: Rule | None = None, /, **criteria: Any) -> Rule:
        """Add ``rule`` (or ``Rule(**criteria)``); rules are tried in the order added."""
        made = rule if rule is not None else Rule(**criteria)
        with self._lock:
            self.rules.append(made)
        return made

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self.requests.clear()

    def count(self, operation: str | None = None, **attrs: str) -> int:
        """Requests seen (forwarded or not) with this operation and these ``Request`` attributes."""
        with self._lock:
            seen = list(self.requests)
        return sum(
            1
            for r in seen
            if (operation is None or r.operation == operation)
            and all(getattr(r, name) == value for name, value in attrs.items())
        )

    def _decide(self, req: Request) -> Rule | None:
        with self._lock:
            self.requests.append(req)
            for rule in self.rules:
                if (rule.times is None or rule.hits < rule.times) and rule.matches(req):
                    rule.hits += 1
                    return rule
        return None

    def _forward(self, req: Request) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            headers = {k: v for k, v in req.headers.items() if k not in _HOP_BY_HOP}
            if req.body or req.method in ("PUT", "POST"):
                headers["content-length"] = str(len(req.body))
            conn.request(req.method, req.target, body=req.body or None, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            return resp.status, resp.getheaders(), body
        finally:
            conn.close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as botocore's pool expects

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _read_body(self) -> bytes:
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    chunks: list[bytes] = []
                    while True:
                        size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
                self.send_response(status)
                has_length = False
                for name, value in headers:
                    if name.lower() in _HOP_BY_HOP and not (
                        self.command == "HEAD" and name.lower() == "content-length"
                    ):
                        continue
                    has_length = has_length or name.lower() == "content-length"
                    self.send_header(name, value)
                if self.command == "HEAD" or status in (204, 304):
                    if not has_length:
                        self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _reset(self) -> None:
                # An abortive close: the client sees ECONNRESET, not a clean EOF.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()

            def _handle(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                req = describe(self.command, self.path, headers, self._read_body())
                rule = proxy._decide(req)
                if rule is None:
                    try:
                        status, out_headers, body = proxy._forward(req)
                    except OSError as exc:
                        out, body = error_response(req, 502, "BadGateway", f"fault proxy: upstream failed: {exc}")
                        status, out_headers = 502, list(out.items())
                    self._reply(status, out_headers, body)
                elif rule.action == "reset":
                    self._reset()
                elif rule.action == "respond":
                    assert rule.responder is not None, "action='respond' needs a responder"
                    status, resp_headers, body = rule.responder(req)
                    self._reply(status, list(resp_headers.items()), body)
                else:
                    err_headers, body = error_response(req, rule.status, rule.code, rule.message)
                    err_headers.update(rule.response_headers)
                    self._reply(rule.status, list(err_headers.items()), body)

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle

        return Handler


@pytest.fixture
def fault_proxy(aws_url: str) -> Iterator[FaultProxy]:
    """A fault proxy in front of a freshly reset moto server; point the tool at ``fault_proxy.url``."""
    with FaultProxy(aws_url) as proxy:
        yield proxy
