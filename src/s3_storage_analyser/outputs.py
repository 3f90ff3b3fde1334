"""Where a finished report goes besides stdout: the history, a file (atomically) or a Pushgateway.

Each of these runs after the report is printed and fails with an ``OutputFailedError`` (exit 4) that names
the destination and the cause: a full disk or a down gateway never costs the report itself.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from http.client import InvalidURL
from pathlib import Path
from urllib.parse import urlsplit

from prometheus_client.exposition import push_to_gateway
from prometheus_client.registry import CollectorRegistry

from .errors import PushFailedError, SaveFailedError, StoreError, UsageError, WriteFailedError
from .model import Snapshot
from .pricing.cost import SnapshotCost
from .render.prometheus import SnapshotCollector
from .store import Store

PUSH_JOB = "s3_storage_analyser"


def save(snapshot: Snapshot, path: Path) -> int:
    """Store ``snapshot`` in the history at ``path`` (created if needed); returns its id."""
    try:
        store = Store(path)
    except StoreError as exc:
        raise _not_saved(path, exc) from exc
    try:
        return store.save(snapshot)
    except StoreError as exc:
        raise _not_saved(path, exc) from exc
    finally:
        store.close()


def _not_saved(path: Path, exc: StoreError) -> SaveFailedError:
    return SaveFailedError(f"could not save the snapshot to {path}: {exc.cause}", hint=exc.hint)


def write_atomic(path: str | Path, text: str) -> None:
    """Write to a temporary file beside ``path`` and rename it over: readers never see half a file.

    A target that exists and is not a regular file (``/dev/null``, ``/dev/stdout``, a FIFO) is written
    in place: renaming over it would replace the device with a file (as root, ``/dev/null`` itself).
    """
    target = Path(path)
    tmp: str | None = None
    try:
        if _is_special(target):
            with open(target, "w", encoding="utf-8") as special:
                special.write(text)
            return
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as exc:
        if tmp is not None:  # never leave the temporary file behind
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise WriteFailedError(
            f"could not write the report to {target}: {exc.strerror or exc}",
            hint="Check the directory exists and is writable (the report was printed to stdout instead).",
        ) from exc


def _is_special(target: Path) -> bool:
    try:
        mode = os.stat(target).st_mode  # follows a symlink: /dev/stdout is one
    except FileNotFoundError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def gateway_url(url: str) -> str:
    """The URL the Pushgateway client will use (``http://`` added as it does); bad URLs are a usage error.

    Checked before the scan, so a typo in ``--pushgateway`` costs no scan.
    """
    try:
        full = url if urlsplit(url).scheme in ("http", "https") else f"http://{url}"
        parts = urlsplit(full)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number in 0-65535
        if not parts.hostname:
            raise ValueError("no host")
        if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in full):
            raise ValueError("it contains whitespace or control characters")
    except ValueError as exc:
        raise UsageError(f"Bad --pushgateway URL {url!r}: {exc}.", hint="Use host:port or http://host:port.") from exc
    return full


def push(snapshot: Snapshot, url: str, *, timeout: float = 10.0, cost: SnapshotCost | None = None) -> None:
    """PUT the snapshot's gauges (and its cost's, when priced) to a Pushgateway, replacing the job's previous group."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(snapshot, cost))
    try:
        push_to_gateway(url, job=PUSH_JOB, registry=registry, timeout=timeout)
    except (OSError, ValueError, InvalidURL) as exc:  # refused, unreachable, HTTP error status, or a URL it rejects
        raise PushFailedError(
            f"could not push to the Pushgateway at {url}: {exc}",
            hint="Check --pushgateway (host:port or http://host:port) and that it is running; the report was printed.",
        ) from exc
