"""Fetch a report's files in parallel into a bounded local cache, verified by MD5.

A cached file is named after its MD5 and only ever renamed into place after
its MD5 was checked, so a file in the cache is a verified file: a later run
reuses it without a download. The cache is trimmed (oldest use first) to a size.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import botocore.exceptions as bex

from ..aws import Aws, error_code, translate
from .manifest import DataFile, InventoryError, Manifest

DEFAULT_CACHE_BYTES = 20 * 1024**3


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "s3-storage-analyser" / "inventory"


def md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _suffix(key: str) -> str:
    name = key.rsplit("/", 1)[-1]
    return "".join(Path(name).suffixes[-2:]) or ".bin"


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
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InventoryError(f"Cannot create the inventory cache {self.cache_dir}: {exc.strerror}.") from exc
        s3 = self.aws.client("s3", region)

        def get(item: DataFile) -> Path:
            target = self.cache_dir / f"{item.md5}{_suffix(item.key)}"
            if target.exists():
                os.utime(target)
                self.reused += 1
                return target
            fd, tmp_name = tempfile.mkstemp(dir=self.cache_dir, prefix=".part-")
            os.close(fd)
            tmp = Path(tmp_name)
            try:
                s3.download_file(bucket, item.key, str(tmp))
                actual = md5_of(tmp)
                if actual != item.md5:
                    raise InventoryError(
                        f"s3://{bucket}/{item.key}: MD5 {actual} does not match the manifest's {item.md5}.",
                        hint="The report is corrupt or was replaced; try again later or use --strategy list.",
                    )
                os.replace(tmp, target)
                self.downloaded += 1
                return target
            except bex.ClientError as exc:
                if error_code(exc) in ("NoSuchKey", "404", "NotFound"):  # the bucket is there: it held the manifest
                    raise InventoryError(
                        f"s3://{bucket}/{item.key}: the manifest lists this data file, but it does not exist.",
                        hint="The report is incomplete or was partly deleted; try an older report or --strategy list.",
                    ) from exc
                raise translate(exc, what=f"s3:GetObject {item.key}", bucket=bucket) from exc
            except bex.BotoCoreError as exc:
                raise translate(exc, what=f"s3:GetObject {item.key}", bucket=bucket) from exc
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
        """Drop least recently used files until the cache fits (never the ones in use)."""
        files = [p for p in self.cache_dir.iterdir() if p.is_file() and not p.name.startswith(".")]
        total = sum(p.stat().st_size for p in files)
        for path in sorted(files, key=lambda p: p.stat().st_mtime):
            if total <= self.max_cache_bytes:
                break
            if path in keep:
                continue
            total -= path.stat().st_size
            path.unlink(missing_ok=True)


def _find_local(manifest_path: Path, key: str) -> Path | None:
    for root in (manifest_path.parent, *manifest_path.parents):
        candidate = root / key
        if candidate.is_file():
            return candidate
    beside = manifest_path.parent / key.rsplit("/", 1)[-1]
    return beside if beside.is_file() else None


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
