"""A local S3 + CloudWatch endpoint: moto's server on a free loopback port.

moto's built-in S3 storage metrics report every bucket as StandardStorage and
measure Python object sizes, not stored bytes. ``storage_metrics`` replaces
them with what AWS publishes: bytes per StorageType over all versions and
incomplete multipart uploads, the minimum-size and archive overheads, and
NumberOfObjects counting versions, delete markers and parts.
"""

from __future__ import annotations

import logging
import os
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

KIB = 1024
MIN_BILLABLE = 128 * KIB
ARCHIVE_OVERHEAD = 32 * KIB
ARCHIVE_S3_OVERHEAD = 8 * KIB

# The StorageType that holds an object's own bytes, per storage class.
PRIMARY_STORAGE_TYPE: dict[str, str] = {
    "STANDARD": "StandardStorage",
    "REDUCED_REDUNDANCY": "ReducedRedundancyStorage",
    "STANDARD_IA": "StandardIAStorage",
    "ONEZONE_IA": "OneZoneIAStorage",
    "INTELLIGENT_TIERING": "IntelligentTieringFAStorage",
    "GLACIER_IR": "GlacierInstantRetrievalStorage",
    "GLACIER": "GlacierStorage",
    "DEEP_ARCHIVE": "DeepArchiveStorage",
}
_SIZE_OVERHEAD = {
    "STANDARD_IA": "StandardIASizeOverhead",
    "ONEZONE_IA": "OneZoneIASizeOverhead",
    "GLACIER_IR": "GlacierInstantRetrievalSizeOverhead",
}
_ARCHIVE_OVERHEAD = {
    "GLACIER": ("GlacierObjectOverhead", "GlacierS3ObjectOverhead"),
    "DEEP_ARCHIVE": ("DeepArchiveObjectOverhead", "DeepArchiveS3ObjectOverhead"),
}

DEMO_ENV = {
    "AWS_ACCESS_KEY_ID": "demo",
    "AWS_SECRET_ACCESS_KEY": "demo",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def bucket_storage(bucket: Any) -> tuple[int, dict[str, int]]:
    """(NumberOfObjects, bytes per StorageType) of one moto bucket, as AWS would count them."""
    objects = 0
    by_type: dict[str, int] = {}

    def add(storage_type: str, value: int) -> None:
        by_type[storage_type] = by_type.get(storage_type, 0) + value

    for _name, versions in bucket.keys.iterlists():
        for version in versions:
            objects += 1
            size = getattr(version, "size", None)
            if size is None:  # a delete marker: counted, no bytes
                continue
            storage = version.storage_class or "STANDARD"
            add(PRIMARY_STORAGE_TYPE.get(storage, "StandardStorage"), size)
            if storage in _SIZE_OVERHEAD and size < MIN_BILLABLE:
                add(_SIZE_OVERHEAD[storage], MIN_BILLABLE - size)
            if storage in _ARCHIVE_OVERHEAD:
                glacier_type, s3_type = _ARCHIVE_OVERHEAD[storage]
                add(glacier_type, ARCHIVE_OVERHEAD)
                add(s3_type, ARCHIVE_S3_OVERHEAD)
    for upload in list(bucket.multiparts.values()):
        for part in list(upload.parts.values()):
            objects += 1
            add(PRIMARY_STORAGE_TYPE.get(upload.storage or "STANDARD", "StandardStorage"), part.size)
    return objects, by_type


def _dimensions(bucket: str, storage_type: str) -> list[dict[str, str]]:
    # moto matches GetMetricData dimensions in stored order (AWS does not care):
    # store them in the order the strategy asks for them.
    return [{"Name": "BucketName", "Value": bucket}, {"Name": "StorageType", "Value": storage_type}]


def storage_metrics(cls: Any, account_id: str, region: str) -> list[Any]:
    """Replacement for moto's ``S3Backend.get_cloudwatch_metrics``."""
    from moto.cloudwatch.models import MetricDatum
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    midnight = datetime.now(UTC).replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    metrics: list[Any] = []
    for name, bucket in list(s3_backends[account_id][get_partition(region)].buckets.items()):
        if bucket.region_name != region:
            continue
        objects, by_type = bucket_storage(bucket)
        if not objects:
            continue  # AWS publishes nothing for an empty bucket
        for storage_type, value in sorted(by_type.items()):
            metrics.append(
                MetricDatum(
                    namespace="AWS/S3",
                    name="BucketSizeBytes",
                    value=value,
                    dimensions=_dimensions(name, storage_type),
                    timestamp=midnight,
                    unit="Bytes",
                )
            )
        metrics.append(
            MetricDatum(
                namespace="AWS/S3",
                name="NumberOfObjects",
                value=objects,
                dimensions=_dimensions(name, "AllStorageTypes"),
                timestamp=midnight,
                unit="Count",
            )
        )
    return metrics


def _install_storage_metrics() -> None:
    from moto.s3.models import S3Backend

    S3Backend.get_cloudwatch_metrics = classmethod(storage_metrics)  # type: ignore[method-assign,assignment]


def _last_version_up_to(bucket: Any, marker: str) -> tuple[str | None, str | None]:
    """The last version, in moto's listing order (name, then newest first), of a key <= ``marker``."""
    from moto.core.utils import unix_time_millis

    versions = sorted(
        (v for _, listed in bucket.keys.iterlists() for v in listed),
        key=lambda v: (v.name, -unix_time_millis(v.last_modified)),
    )
    last = None
    for version in versions:
        if version.name > marker:
            break
        last = version
    return (last.name, last.version_id) if last is not None else (None, None)


def _install_version_markers() -> None:
    """moto's ListObjectVersions drops the first version after a KeyMarker given alone (and lists
    the older versions of the marker's own key); S3 lists every version of every key after the
    marker, which need not exist (ceph/s3-tests#594 pins the same rule for RGW). A key range
    that starts at a split point is such a request, so moto is asked instead to resume after the
    last version at or before the marker, which it gets right. Delimited requests keep moto's own
    handling of a marker that is a CommonPrefix."""
    from moto.s3.models import S3Backend

    original = S3Backend.list_object_versions
    if getattr(original, "fixed_markers", False):
        return

    def list_object_versions(
        self: Any,
        bucket_name: str,
        delimiter: str | None = None,
        key_marker: str | None = None,
        max_keys: int | None = 1000,
        prefix: str = "",
        version_id_marker: str | None = None,
    ) -> Any:
        if key_marker is not None and not version_id_marker and not delimiter:
            key_marker, version_id_marker = _last_version_up_to(self.get_bucket(bucket_name), key_marker)
        return original(
            self,
            bucket_name,
            delimiter=delimiter,
            key_marker=key_marker,
            max_keys=max_keys,
            prefix=prefix,
            version_id_marker=version_id_marker,
        )

    list_object_versions.fixed_markers = True  # type: ignore[attr-defined]
    S3Backend.list_object_versions = list_object_versions  # type: ignore[method-assign]


class LocalEndpoint:
    """moto's server on 127.0.0.1 and a free port, with AWS-faithful S3 metrics
    and version listings.

    The socket is bound in the caller's thread before the server thread starts:
    moto's own ``ThreadedMotoServer`` binds inside its thread, where a busy port
    ends the thread and leaves ``start`` waiting for ever.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        _install_storage_metrics()
        _install_version_markers()
        self._host = host
        self._port = port
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self) -> str:
        """Bind (a ``BindError`` when the port is taken), then serve on a daemon thread."""
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        from ..server.bind import bind_listener, bound_port

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log on the terminal
        listener = bind_listener(self._host, self._port)
        try:
            app = DomainDispatcherApplication(create_backend_app)
            self._server = make_server(
                self._host, bound_port(listener), app, True, request_handler=MotoRequestHandler, fd=listener.fileno()
            )
        finally:
            listener.close()  # werkzeug serves a duplicate of the descriptor
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-endpoint", daemon=True)
        self._thread.start()
        self.url = f"http://{self._host}:{self._server.server_address[1]}"
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def reset(self) -> None:
        """Forget every bucket, object and metric (moto's reset API)."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def environment(self) -> dict[str, str]:
        """Variables that point boto3, the aws cli and this tool at the endpoint."""
        return {**DEMO_ENV, "AWS_ENDPOINT_URL": self.url}


@contextmanager
def running_endpoint(port: int = 0, *, set_env: bool = False) -> Iterator[LocalEndpoint]:
    endpoint = LocalEndpoint(port=port)
    endpoint.start()
    saved = {k: os.environ.get(k) for k in endpoint.environment()}
    if set_env:
        os.environ.update(endpoint.environment())
    try:
        yield endpoint
    finally:
        if set_env:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        endpoint.stop()
