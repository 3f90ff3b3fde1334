"""Where a rendered report goes besides stdout: a file (atomically) or a Pushgateway."""

from __future__ import annotations

import contextlib
import os
import tempfile
from http.client import InvalidURL
from pathlib import Path

from prometheus_client.exposition import push_to_gateway
from prometheus_client.registry import CollectorRegistry

from .errors import AnalyserError, EndpointUnreachableError, UsageError
from .model import Snapshot
from .render.prometheus import SnapshotCollector

PUSH_JOB = "s3_storage_analyser"


def write_atomic(path: str | Path, text: str) -> None:
    """Write to a temporary file beside ``path`` and rename it over: readers never see half a file."""
    target = Path(path)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as exc:
        if tmp is not None:  # never leave the temporary file behind
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise AnalyserError(
            f"Cannot write {target}: {exc.strerror}.", hint="Check the directory exists and is writable."
        ) from exc


def push(snapshot: Snapshot, url: str, *, timeout: float = 10.0) -> None:
    """PUT the snapshot's gauges to a Pushgateway (replacing the job's previous group)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(snapshot))
    try:
        push_to_gateway(url, job=PUSH_JOB, registry=registry, timeout=timeout)
    except OSError as exc:
        raise EndpointUnreachableError(
            f"Could not push to the Pushgateway at {url}: {exc}.",
            hint="Check --pushgateway (host:port or http://host:port) and that it is running.",
        ) from exc
    except (ValueError, InvalidURL) as exc:  # a malformed URL: bad IPv6 literal (ValueError), bad port (InvalidURL)
        raise UsageError(f"Bad --pushgateway URL {url!r}: {exc}.", hint="Use host:port or http://host:port.") from exc
