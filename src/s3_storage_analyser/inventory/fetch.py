"""Fetch a report's files in parallel into a bounded local cache, verified by MD5.

The cache is a directory the tool owns: ``<cache-dir>/s3-storage-analyser-inventory/``,
created with a ``CACHEDIR.TAG`` marker (backup tools skip it) and used only if
that marker is ours. Its files are named only from checked values: the MD5
(32 hex digits) and an extension chosen by the report's format, never from a
key. A file is renamed into place only after its MD5 was checked, and checked
again before every later use (a file that fails is fetched again). Trimming
(oldest use first) deletes only files of that directory named by that pattern,
so ``--cache-dir ~/Downloads`` never touches the user's own files.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..aws import Aws
from ..errors import InventoryError, ObjectNotFoundError
from .manifest import DataFile, Manifest

DEFAULT_CACHE_BYTES = 20 * 1024**3
STORE_NAME = "s3-storage-analyser-inventory"
MARKER = "CACHEDIR.TAG"
MARKER_TEXT = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# s3-storage-analyser's inventory cache: files named <md5>.<csv.gz|parquet|orc>, trimmed by the tool.\n"
)
EXTENSIONS = {"CSV": ".csv.gz", "Parquet": ".parquet", "ORC": ".orc"}
_OURS = re.compile(r"[0-9a-f]{32}\.(?:csv\.gz|parquet|orc)")
_PART = re.compile(r"\.part-[A-Za-z0-9_]+")
STALE_PART_SECONDS = 24 * 3600


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "s3-storage-analyser" / "inventory"


def md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def cache_name(item: DataFile, file_format: str) -> str:
    """``<md5>.<ext>``: from the checked digest and the format, never from the key."""
    if not re.fullmatch(r"[0-9a-f]{32}", item.md5):  # parse_manifest checked it; this keeps the promise local
        raise InventoryError(f"{item.key[:200]!r}: MD5 {item.md5[:40]!r} is not 32 hex digits.")
    return item.md5 + EXTENSIONS[file_format]


def open_store(cache_dir: Path) -> Path:
    """The tool's own directory under ``cache_dir``: created with the marker, or used only if it has it."""
    store = cache_dir / STORE_NAME
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        try:
            store.mkdir(mode=0o700)
            (store / MARKER).write_text(MARKER_TEXT)
        except FileExistsError:
            pass
        ours = store.is_dir() and not store.is_symlink() and (store / MARKER).is_file()
        if ours:
            ours = (store / MARKER).read_text(errors="replace") == MARKER_TEXT
    except OSError as exc:
        raise InventoryError(f"Cannot create the inventory cache {store}: {exc.strerror}.") from exc
    if not ours:
        raise InventoryError(
            f"{store} exists but is not this tool's inventory cache (no {MARKER} of ours): left untouched.",
            hint="Point --cache-dir elsewhere, or remove that directory if it is an old cache.",
        )
    return store


class Fetcher:
    """Gets data files from S3 (or beside a local manifest), checking every MD5."""

    def __init__(
        self,
        aws: Aws,
        cache_dir: Path | None = None,
        *,
        concurrency: int = 8,
        max_cache_bytes: int = DEFAULT_CACHE_BYTES,
    ) -> None:
        self.aws = aws
        self.cache_dir = cache_dir or default_cache_dir()
        self.concurrency = max(1, concurrency)
        self.max_cache_bytes = max_cache_bytes
        self.downloaded = 0
        self.reused = 0

    def remote(self, manifest: Manifest, bucket: str, region: str) -> list[Path]:
        store = open_store(self.cache_dir)
        s3 = self.aws.client("s3", region)

        def get(item: DataFile) -> Path:
            target = store / cache_name(item, manifest.file_format)
            if target.is_file() and not target.is_symlink():
                if md5_of(target) == item.md5:  # verified before every use, not only when written
                    os.utime(target)
                    self.reused += 1
                    return target
                target.unlink(missing_ok=True)  # ours (our name, our directory) and wrong: fetched again
            fd, tmp_name = tempfile.mkstemp(dir=store, prefix=".part-")
            os.close(fd)
            tmp = Path(tmp_name)
            try:
                with self.aws.translating(f"s3:GetObject {item.key}", bucket=bucket, key=item.key):
                    s3.download_file(bucket, item.key, str(tmp))
                actual = md5_of(tmp)
                if actual != item.md5:
                    raise InventoryError(
                        f"s3://{bucket}/{item.key}: MD5 {actual} does not match the manifest's {item.md5}.",
                        hint="The report is corrupt or was replaced; try again later or use --strategy list.",
                    )
                os.chmod(tmp, 0o444)
                os.replace(tmp, target)
                self.downloaded += 1
                return target
            except ObjectNotFoundError as exc:  # the bucket is there: it held the manifest
                raise InventoryError(
                    f"s3://{bucket}/{item.key}: the manifest lists this data file, but it does not exist.",
                    hint="The report is incomplete or was partly deleted; try an older report or --strategy list.",
                ) from exc
            finally:
                tmp.unlink(missing_ok=True)

        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            paths = list(pool.map(get, manifest.files))
        self.trim(keep=set(paths))
        return paths

    def local(self, manifest: Manifest, manifest_path: Path) -> list[Path]:
        """Files of a local report: found under an ancestor of the manifest, as S3 laid them out."""
        paths: list[Path] = []
        for item in manifest.files:
            path = _find_local(manifest_path, item.key)
            if path is None:
                raise InventoryError(
                    f"{manifest.location}: data file {item.key} is not beside the manifest.",
                    hint="Copy the report keeping its layout (e.g. `aws s3 sync`), then point at its manifest.json.",
                )
            actual = md5_of(path)
            if actual != item.md5:
                raise InventoryError(f"{path}: MD5 {actual} does not match the manifest's {item.md5}.")
            paths.append(path)
        return paths

    def trim(self, keep: set[Path]) -> None:
        """Drop least recently used files until the cache fits (never the ones in use).

        Only the tool's directory is looked at, and in it only files named by its own
        pattern (and downloads left over by a crash a day ago): nothing else is deleted.
        """
        store = self.cache_dir / STORE_NAME
        if not (store / MARKER).is_file():
            return
        files: list[tuple[Path, os.stat_result]] = []
        for path in store.iterdir():
            info = path.lstat()
            if not os.path.isfile(path) or path.is_symlink():
                continue
            if _PART.fullmatch(path.name) and time.time() - info.st_mtime > STALE_PART_SECONDS:
                path.unlink(missing_ok=True)
            elif _OURS.fullmatch(path.name):
                files.append((path, info))
        total = sum(info.st_size for _, info in files)
        for path, info in sorted(files, key=lambda pair: pair[1].st_mtime):
            if total <= self.max_cache_bytes:
                break
            if path in keep:
                continue
            total -= info.st_size
            path.unlink(missing_ok=True)


def _safe_parts(key: str) -> tuple[str, ...] | None:
    """A key's path segments when each is a plain name (no ``..``, ``.``, empty or absolute part)."""
    parts = tuple(key.split("/"))
    if any(p in ("", ".", "..") or "\\" in p or "\x00" in p for p in parts):
        return None
    return parts


def _find_local(manifest_path: Path, key: str) -> Path | None:
    """Where S3's layout puts the file: the data file sits as deep under the report's root as the
    manifest does (``<prefix>/<source>/<config>/data/x`` beside ``.../<stamp>/manifest.json``), or
    it was copied beside the manifest. Only those places are looked at, never above that root."""
    parts = _safe_parts(key)
    if parts is None:
        return None
    ancestors = manifest_path.parents
    candidates = [manifest_path.parent / parts[-1]]
    if len(parts) >= 2 and len(ancestors) > 1:
        candidates.append(ancestors[1] / parts[-2] / parts[-1])  # the config folder: <config>/data/x
    if len(parts) - 1 < len(ancestors):
        candidates.append(ancestors[len(parts) - 1].joinpath(*parts))  # the report's root: the whole key
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None


def read_local_manifest(path: Path) -> tuple[bytes, str | None]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InventoryError(f"Cannot read {path}: {exc.strerror}.") from exc
    checksum = path.with_name("manifest.checksum")
    return raw, checksum.read_text() if checksum.is_file() else None


def split_s3_url(url: str) -> tuple[str, str]:
    bucket, _, key = url[5:].partition("/")
    if not bucket or not key:
        raise InventoryError(f"{url!r} is not an s3://bucket/key URL.")
    return bucket, key
