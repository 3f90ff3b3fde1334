"""Which buckets a run covers: ``--prefix`` globs and exact ``--bucket`` names."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .errors import NothingSelectedError, UsageError
from .units import plural

# S3 bucket names: 3-63 chars of lowercase letters, digits, dots and hyphens.
# Current rules are 3-63 of a-z 0-9 . - ; legacy us-east-1 buckets may have upper case and _ (up to 255).
_BUCKET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-_]{1,254}$")
_GLOB_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_*?[]!")


def _strip_scheme(raw: str) -> str:
    value = raw.strip()
    if value.lower().startswith("s3://"):
        value = value[5:]
    return value.rstrip("/")


@dataclass(frozen=True)
class Selection:
    """Globs and names; an empty selection means every bucket.

    ``scopes`` narrows named buckets to key prefixes (``--bucket s3://name/logs/``);
    a bucket named without a prefix is listed whole.
    """

    globs: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    scopes: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, globs: Sequence[str], names: Sequence[str]) -> Selection:
        parsed_globs = tuple(_parse_glob(g) for g in globs)
        pairs = [_parse_name(n) for n in names]
        parsed_names = tuple(dict.fromkeys(name for name, _ in pairs))
        return cls(parsed_globs, parsed_names, tuple(pairs))

    def prefixes(self) -> dict[str, tuple[str, ...]]:
        """bucket -> key prefixes to list; only for buckets named with a prefix."""
        out: dict[str, list[str]] = {}
        whole = {name for name, prefix in self.scopes if not prefix}
        for name, prefix in self.scopes:
            if prefix and name not in whole:
                out.setdefault(name, []).append(prefix)
        # A prefix inside another one of the same bucket would be counted twice: keep the outer one.
        return {
            name: tuple(p for p in dict.fromkeys(ps) if not any(p != q and p.startswith(q) for q in ps))
            for name, ps in out.items()
        }

    @property
    def everything(self) -> bool:
        return not self.globs and not self.names

    def matches(self, bucket: str) -> bool:
        if self.everything:
            return True
        return bucket in self.names or any(fnmatch.fnmatchcase(bucket, g) for g in self.globs)

    def apply(self, buckets: Iterable[str]) -> list[str]:
        """The selected names, or a usage error that says what matched nothing."""
        available = list(buckets)
        if not available and self.everything:
            return []  # an empty account is a valid (empty) report
        missing = [n for n in self.names if n not in available]
        if missing and not self.globs:
            raise NothingSelectedError(
                f"{'Bucket' if len(missing) == 1 else 'Buckets'} not found in the account: {', '.join(missing)} "
                f"({plural(len(available), 'bucket')} there).",
                hint="--bucket takes exact names (check the spelling and --profile); use --prefix for globs.",
            )
        chosen = [b for b in available if self.matches(b)]
        if not chosen:
            asked = ", ".join([*(f"--prefix {g}" for g in self.globs), *(f"--bucket {n}" for n in self.names)])
            if not available:
                raise NothingSelectedError(
                    "The account has no buckets to analyse.",
                    hint="Check --profile / --endpoint-url point at the account you mean.",
                )
            raise NothingSelectedError(
                f"No bucket matches {asked or 'the selection'} ({plural(len(available), 'bucket')} in the account).",
                hint="Globs use * ? [..] and match whole names, e.g. --prefix 'logs-*'.",
            )
        missing = [n for n in self.names if n not in available]
        if missing:
            raise NothingSelectedError(
                f"{'Bucket' if len(missing) == 1 else 'Buckets'} not found in the account: {', '.join(missing)}.",
                hint="--bucket takes exact names; use --prefix for globs.",
            )
        return chosen


def _parse_glob(raw: str) -> str:
    value = _strip_scheme(raw)
    if not value:
        raise UsageError(f"Empty bucket glob {raw!r}.", hint="Example: --prefix 's3://logs-*'.")
    if "/" in value:
        raise UsageError(
            f"--prefix {raw!r} contains '/': it globs bucket names, not keys.",
            hint="Example: --prefix 'logs-*'.",
        )
    bad = sorted(set(value.lower()) - _GLOB_CHARS)
    if bad:
        raise UsageError(
            f"--prefix {raw!r} has characters no bucket name can contain: {''.join(bad)!r}.",
            hint="Bucket names use a-z 0-9 . - ; globs add * ? [..].",
        )
    if value.count("[") != value.count("]"):
        raise UsageError(f"--prefix {raw!r} has an unclosed '['.", hint="Example: --prefix 'logs-[0-9]*'.")
    return value


def _parse_name(raw: str) -> tuple[str, str]:
    """``name``, ``s3://name`` or ``s3://name/key/prefix`` -> (name, prefix)."""
    value = raw.strip()
    if value.lower().startswith("s3://"):
        value = value[5:]
    name, _, prefix = value.partition("/")
    if not _BUCKET_NAME.match(name):
        raise UsageError(
            f"--bucket {raw!r} is not a valid bucket name.",
            hint="Bucket names are letters, digits, '.', '-' and '_'; use --prefix for globs, "
            "s3://name/key-prefix/ to narrow a listing.",
        )
    return name, prefix
