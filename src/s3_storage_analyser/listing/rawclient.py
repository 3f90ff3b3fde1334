"""List pages through botocore without botocore's response parsing.

botocore still builds the request, resolves the endpoint, signs it (SigV4,
any credential provider), sends it on its pooled connections and retries it
(standard mode: backoff with jitter on 5xx, SlowDown, throttling, resets and
timeouts). A ``before-send`` hook sends the request itself, parses a
successful body with ``pages``, and hands botocore an empty page to parse.
Error responses go back to botocore untouched, so its retry logic sees them.
A body that is not a complete page raises a retryable connection error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectionClosedError

from .pages import (
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

P = TypeVar("P")

_EMPTY_PAGE = (
    b'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>'
)
_INTERCEPTED = ("ListObjectsV2", "ListObjectVersions", "ListMultipartUploads", "ListParts")


class _StaticBody:
    """The minimal ``raw`` an AWSResponse reads its content from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Any:
        yield self._data


class RawLister:
    """Fast ListObjectsV2 / ListObjectVersions on one botocore S3 client (thread-safe)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._local = threading.local()
        for operation in _INTERCEPTED:
            client.meta.events.register(f"before-send.s3.{operation}", self._intercept)

    def _intercept(self, request: Any, **_: Any) -> AWSResponse | None:
        parse: Callable[[str], Any] | None = getattr(self._local, "parse", None)
        if parse is None:
            return None  # an ordinary call: let botocore do everything
        # botocore's own pooled HTTP session, as Endpoint._send would use.
        response: AWSResponse = self.client._endpoint.http_session.send(request)
        if response.status_code >= 300:
            return response
        try:
            self._local.page = parse(response.content.decode("utf-8"))
        except (PageError, UnicodeDecodeError) as exc:
            raise ConnectionClosedError(endpoint_url=request.url, error=exc) from exc
        return AWSResponse(request.url, 200, response.headers, _StaticBody(_EMPTY_PAGE))  # type: ignore[arg-type]

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
        return self._call(parse_objects, self.client.list_objects_v2, params)

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
