"""List pages through botocore without botocore's response parsing.

botocore still builds the request, resolves the endpoint, signs it (SigV4,
any credential provider), sends it on its pooled connections and retries it
(standard mode: backoff with jitter on 5xx, SlowDown, throttling, resets and
timeouts). A ``before-send`` hook sends the request itself, parses a
successful body with ``pages``, and hands botocore an empty page to parse.
Error responses go back to botocore with their body, so its retry logic sees them.
A body that is not a complete page raises a retryable connection error; a page
that says something invalid raises ``PageError``, which is not retried.

ListObjectsV2, the request a listing sends thousands of, is built and signed here once botocore has sent
one to the bucket (``signing``: a template taken from botocore's own request, checked to reproduce its
signature exactly, and a cached signing key): botocore's request building and signing cost more than the
parse. Credentials are still botocore's (any provider, frozen per request, so refreshed as botocore
refreshes them), and so are retries and errors: an answer that is not a good page is handed to botocore as
the first attempt of the same request, which it parses, retries with its backoff or raises, as if it had
sent it. ``S3SA_FAST_SIGNING=0`` turns this off (every request through botocore), for comparison.

Every request has an overall deadline (``REQUEST_DEADLINE``, or the environment
variable ``S3SA_REQUEST_DEADLINE`` in seconds), on top of botocore's per-read
timeout: a body dripped a byte at a time never trips a read timeout, so the
body is read here, a chunk at a time, against the clock. A request past its
deadline is retried as botocore retries timeouts, then fails its bucket, named.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import urllib3.exceptions
from botocore.awsrequest import AWSPreparedRequest, AWSResponse, HeadersDict
from botocore.exceptions import ConnectionClosedError, HTTPClientError, ReadTimeoutError

from ..errors import UsageError
from .pages import (
    IncompletePage,
    ObjectPage,
    PageError,
    PartPage,
    UploadPage,
    VersionPage,
    parse_objects,
    parse_parts,
    parse_uploads,
    parse_versions,
)
from .signing import RequestTemplate, amz_date, encode_params, split_query, template_from

P = TypeVar("P")
log = logging.getLogger("s3_storage_analyser.listing")

_EMPTY_PAGE = (
    b'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>'
)
_INTERCEPTED = ("ListObjectsV2", "ListObjectVersions", "ListMultipartUploads", "ListParts")

# Seconds one request (headers and body) may take in all: a 1,000-key page is ~250 KB, which takes well
# under a second on any working link, so this only ends requests that are not going to finish.
REQUEST_DEADLINE = 120.0
DEADLINE_ENV = "S3SA_REQUEST_DEADLINE"
FAST_SIGNING_ENV = "S3SA_FAST_SIGNING"
_CHUNK = 1 << 16
# ListObjectsV2's parameters and their names in the query (botocore adds list-type=2 itself).
_OBJECTS_QUERY = {
    "Prefix": "prefix",
    "ContinuationToken": "continuation-token",
    "StartAfter": "start-after",
    "Delimiter": "delimiter",
    "EncodingType": "encoding-type",
    "MaxKeys": "max-keys",
}


def fast_signing() -> bool:
    """Whether ListObjectsV2 is signed here (the default) rather than by botocore (``S3SA_FAST_SIGNING=0``)."""
    return os.environ.get(FAST_SIGNING_ENV, "").strip().lower() not in ("0", "false", "no", "off")


def objects_query(params: dict[str, Any]) -> list[tuple[str, str]]:
    """The query of a ListObjectsV2 call, unencoded, as botocore's serializer writes it."""
    pairs = [("list-type", "2")]
    for name, wire in _OBJECTS_QUERY.items():
        if name in params:
            pairs.append((wire, str(params[name])))
    return pairs


def request_deadline() -> float:
    """The deadline in seconds: ``S3SA_REQUEST_DEADLINE`` if set, else ``REQUEST_DEADLINE``."""
    raw = os.environ.get(DEADLINE_ENV, "").strip()
    if not raw:
        return REQUEST_DEADLINE
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise UsageError(
            f"{DEADLINE_ENV}={raw!r} is not a number of seconds.",
            hint=f"Set it to e.g. 60, or unset it for {REQUEST_DEADLINE:g}.",
        )
    return value


class RequestDeadlineError(ReadTimeoutError):
    """A request not complete within its deadline: retried like a read timeout, then named."""

    code = "RequestDeadline"
    fmt = "{operation} from {endpoint_url} was not complete within its {deadline:g} s deadline"


class IncompletePageError(ConnectionClosedError):
    """A body cut short or garbled: retried like a dropped connection, then named."""

    code = "IncompletePage"
    fmt = "{operation} from {endpoint_url} gave no complete answer: {problem}"


class _StaticBody:
    """The minimal ``raw`` an AWSResponse reads its content from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Any:
        yield self._data


class RawLister:
    """Fast ListObjectsV2 / ListObjectVersions on one botocore S3 client (thread-safe)."""

    def __init__(self, client: Any, deadline: float | None = None, *, fast: bool | None = None) -> None:
        self.client = client
        self.deadline = request_deadline() if deadline is None else deadline
        self._local = threading.local()
        # botocore's own credentials object (refreshable ones refresh themselves when frozen): None when
        # requests are not signed, and then botocore sends every request.
        self._credentials: Any = getattr(getattr(client, "_request_signer", None), "_credentials", None)
        self.fast = (fast_signing() if fast is None else fast) and self._credentials is not None
        self._templates: dict[str, RequestTemplate] = {}
        # Pages answered on the fast path, and fast requests handed to botocore (errors, retries): counters
        # for tests and benchmarks (updated without a lock: exact on one thread, close enough on several).
        self.fast_pages = 0
        self.fast_handed_over = 0
        for operation in _INTERCEPTED:
            client.meta.events.register(f"before-send.s3.{operation}", self._intercept)

    def _intercept(self, request: Any, event_name: str = "", **_: Any) -> AWSResponse | None:
        parse: Callable[[str], Any] | None = getattr(self._local, "parse", None)
        if parse is None:
            return None  # an ordinary call: let botocore do everything
        answered = getattr(self._local, "answered", None)
        if answered is not None:  # the fast request's answer, as this request's first attempt
            self._local.answered = None
            if isinstance(answered, Exception):
                raise answered
            return answered  # type: ignore[no-any-return]
        operation = event_name.rpartition(".")[2] or "listing"
        deadline_at = time.monotonic() + self.deadline
        # botocore's own pooled HTTP session, as Endpoint._send would use; told to leave the body
        # unread (it would read it whole, with no deadline), so that it is read here, against the clock.
        request.stream_output = True
        response: AWSResponse = self.client._endpoint.http_session.send(request)
        body = self._read_body(response, request.url, operation, deadline_at)
        if response.status_code >= 300:  # botocore parses errors (and retries them) from what was read
            return AWSResponse(request.url, response.status_code, response.headers, _StaticBody(body))  # type: ignore[arg-type]
        try:
            self._local.page = parse(body.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise IncompletePageError(
                operation=operation, endpoint_url=request.url, problem=f"a body that is not UTF-8 ({exc.reason})"
            ) from exc
        except IncompletePage as exc:
            raise IncompletePageError(operation=operation, endpoint_url=request.url, problem=str(exc)) from exc
        except PageError as exc:  # said, not garbled: no retry would say otherwise
            raise type(exc)(f"{operation} page: {exc}") from exc
        capture = getattr(self._local, "capture", None)
        if capture is not None:
            self._local.capture = None
            self._learn(capture[0], capture[1], request)
        return AWSResponse(request.url, 200, response.headers, _StaticBody(_EMPTY_PAGE))  # type: ignore[arg-type]

    def _learn(self, bucket: str, query: list[tuple[str, str]], request: Any) -> None:
        """Keep the template of a request botocore signed, if it is reproduced exactly (signature and query)."""
        sent_query = request.url.partition("?")[2]
        if sorted(split_query(sent_query)) != sorted(encode_params(query)):
            return  # botocore wrote the query otherwise than this module would: keep botocore for it
        frozen = self._credentials.get_frozen_credentials()
        template = template_from(
            request.method, request.url, request.headers, request.body, frozen.secret_key, frozen.token
        )
        if template is not None:
            self._templates[bucket] = template

    def _fast_objects(self, template: RequestTemplate, params: dict[str, Any]) -> ObjectPage:
        """One ListObjectsV2 request built and signed from the bucket's template; anything but a good page
        goes to botocore as the first attempt of the same call (parsed, retried or raised by it)."""
        frozen = self._credentials.get_frozen_credentials()
        signed = template.sign(
            encode_params(objects_query(params)),
            frozen.access_key,
            frozen.secret_key,
            frozen.token,
            amz_date(datetime.now(UTC)),
        )
        request = AWSPreparedRequest("GET", signed.url, HeadersDict(signed.headers), None, True, {})  # type: ignore[arg-type]
        deadline_at = time.monotonic() + self.deadline
        answered: AWSResponse | Exception
        try:
            response: AWSResponse = self.client._endpoint.http_session.send(request)
            body = self._read_body(response, signed.url, "ListObjectsV2", deadline_at)
        except HTTPClientError as exc:  # a connection error, a timeout, the deadline: botocore retries it
            answered = exc
        else:
            if response.status_code < 300:
                try:
                    page = parse_objects(body.decode("utf-8"))
                    self.fast_pages += 1
                    return page
                except UnicodeDecodeError as exc:
                    answered = IncompletePageError(
                        operation="ListObjectsV2",
                        endpoint_url=signed.url,
                        problem=f"a body that is not UTF-8 ({exc.reason})",
                    )
                except IncompletePage as exc:
                    answered = IncompletePageError(operation="ListObjectsV2", endpoint_url=signed.url, problem=str(exc))
                except PageError as exc:
                    raise type(exc)(f"ListObjectsV2 page: {exc}") from exc
            else:
                answered = AWSResponse(signed.url, response.status_code, response.headers, _StaticBody(body))  # type: ignore[arg-type]
        self.fast_handed_over += 1
        log.debug("ListObjectsV2 to botocore after %s", type(answered).__name__)
        self._local.answered = answered
        try:
            return self._call(parse_objects, self.client.list_objects_v2, params)
        finally:
            self._local.answered = None

    def _read_body(self, response: AWSResponse, url: str, operation: str, deadline_at: float) -> bytes:
        """The whole body, read a chunk at a time (``read1``: whatever has arrived) against the deadline."""
        raw: Any = response.raw
        chunks: list[bytes] = []
        done = False
        try:
            while True:
                if time.monotonic() > deadline_at:
                    raise RequestDeadlineError(operation=operation, endpoint_url=url, deadline=self.deadline)
                chunk = raw.read1(_CHUNK)
                if not chunk:
                    done = True
                    return b"".join(chunks)
                chunks.append(chunk)
        except RequestDeadlineError:
            raise  # (a urllib3 ReadTimeoutError too, as botocore's timeouts are)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise IncompletePageError(
                operation=operation, endpoint_url=url, problem=f"{type(exc).__name__}: {exc}"
            ) from exc
        finally:
            if not done:  # a half-read connection must not go back to the pool as if clean
                raw.close()
                raw.release_conn()

    def _call(self, parse: Callable[[str], P], operation: Callable[..., Any], params: dict[str, Any]) -> P:
        self._local.parse = parse
        self._local.page = None
        try:
            operation(**params)
            page: P = self._local.page
        finally:
            self._local.parse = None
            self._local.page = None
        return page

    def objects(
        self,
        bucket: str,
        *,
        prefix: str = "",
        start_after: str | None = None,
        token: str | None = None,
        delimiter: str | None = None,
        max_keys: int = 1000,
    ) -> ObjectPage:
        params: dict[str, Any] = {"Bucket": bucket, "EncodingType": "url", "MaxKeys": max_keys}
        if prefix:
            params["Prefix"] = prefix
        if token:
            params["ContinuationToken"] = token
        elif start_after:
            params["StartAfter"] = start_after
        if delimiter:
            params["Delimiter"] = delimiter
        template = self._templates.get(bucket) if self.fast else None
        if template is not None:
            return self._fast_objects(template, params)
        if self.fast:
            self._local.capture = (bucket, objects_query(params))
        try:
            return self._call(parse_objects, self.client.list_objects_v2, params)
        finally:
            self._local.capture = None

    def versions(
        self,
        bucket: str,
        *,
        prefix: str = "",
        key_marker: str | None = None,
        version_marker: str | None = None,
        delimiter: str | None = None,
        max_keys: int = 1000,
    ) -> VersionPage:
        params: dict[str, Any] = {"Bucket": bucket, "EncodingType": "url", "MaxKeys": max_keys}
        if prefix:
            params["Prefix"] = prefix
        if key_marker is not None:
            params["KeyMarker"] = key_marker
            if version_marker:
                params["VersionIdMarker"] = version_marker
        if delimiter:
            params["Delimiter"] = delimiter
        return self._call(parse_versions, self.client.list_object_versions, params)

    def uploads(
        self, bucket: str, *, prefix: str = "", key_marker: str | None = None, upload_marker: str | None = None
    ) -> UploadPage:
        params: dict[str, Any] = {"Bucket": bucket, "EncodingType": "url"}
        if prefix:
            params["Prefix"] = prefix
        if key_marker is not None:
            params["KeyMarker"] = key_marker
            if upload_marker:
                params["UploadIdMarker"] = upload_marker
        return self._call(parse_uploads, self.client.list_multipart_uploads, params)

    def parts(self, bucket: str, key: str, upload_id: str, *, marker: str | None = None) -> PartPage:
        params: dict[str, Any] = {"Bucket": bucket, "Key": key, "UploadId": upload_id}
        if marker:
            params["PartNumberMarker"] = int(marker)
        return self._call(parse_parts, self.client.list_parts, params)
