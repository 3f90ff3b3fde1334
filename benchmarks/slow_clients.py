"""Slow clients against ``serve``: how many descriptors a flood of half-sent requests costs, and whether a normal
client is still served during and after it.

    .venv/bin/python benchmarks/slow_clients.py [--clients 19000] [--max-connections 1000] [--read-timeout 10]

One run, for each server (``guarded``: the real ``s3-storage-analyser serve``; ``plain``: the same app on
uvicorn's own h11 protocol with uvicorn's default settings, as ``serve`` ran before its read deadlines):

* a history with one small snapshot, the server as a subprocess on a loopback port (no scan ever runs);
* ``--clients`` connections opened as fast as this process can, each sending half a request head
  (``GET / HTTP/1.1`` and one header, no blank line) and then nothing, all kept open;
* during the flood, every ``--clients / 10`` connections: the server's open descriptors (``/proc/PID/fd``)
  and one normal ``GET /healthz`` on a fresh connection (its status, or the error);
* after the flood: the same, once right away and once after ``--read-timeout`` + 2 s.

Prints a table; exit status 1 when the guarded server's descriptors grow past twice ``--max-connections`` +
its listen backlog (refused connections hold a descriptor until the event loop gets to close them, and
asyncio accepts a backlog's worth per wake-up, so the cap is not exact; what matters is that the count stays
bounded instead of growing with the flood), or when a normal request after the flood is not answered.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HALF = b"GET / HTTP/1.1\r\nHost: bench\r\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_db(path: Path) -> None:
    """The service benchmark's snapshot shape, 50 buckets."""
    from service import build_db as build
    from service import build_snapshot

    build(path, build_snapshot(50))


def plain_server_main(argv: Sequence[str]) -> int:
    """The app on uvicorn's default h11 protocol and settings (what ``serve`` ran before its deadlines)."""
    import uvicorn

    from s3_storage_analyser.server.app import create_app
    from s3_storage_analyser.server.auth import AuthConfig
    from s3_storage_analyser.server.scanner import Scanner
    from s3_storage_analyser.store import Store

    db, port = argv[0], int(argv[1])
    store = Store(db)

    def no_scan() -> object:
        raise RuntimeError("no scan in this benchmark")

    scanner = Scanner(no_scan, store, None)  # type: ignore[arg-type]
    scanner.start(scan_now=False)
    app = create_app(store, scanner, AuthConfig(None))
    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="off")
    return 0


def start(kind: str, db: Path, port: int, args: argparse.Namespace) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TOKEN": "bench", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    if kind == "guarded":
        argv = [sys.executable, "-m", "s3_storage_analyser", "serve", "--port", str(port), "--db", str(db)]
        argv += ["--interval", "0", "--no-initial-scan", "--max-connections", str(args.max_connections)]
        argv += ["--read-timeout", str(args.read_timeout)]
    else:
        argv = [sys.executable, __file__, "--plain-server", str(db), str(port)]
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 60
    while healthz(port) is None or healthz(port) == "refused":
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{kind} server did not start")
        time.sleep(0.1)
    return proc


def healthz(port: int, timeout: float = 5.0) -> str | None:
    """One normal request on a fresh connection: its status line's code, or what went wrong."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            head = sock.recv(64)
    except ConnectionRefusedError:
        return "refused"
    except OSError as exc:
        return type(exc).__name__
    return head.split(b" ", 2)[1].decode() if head.startswith(b"HTTP/1.1 ") else repr(head[:20])


def descriptors(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def flood(kind: str, args: argparse.Namespace, db: Path) -> list[tuple[str, int, int, str | None]]:
    port = free_port()
    proc = start(kind, db, port, args)
    rows: list[tuple[str, int, int, str | None]] = [("before", 0, descriptors(proc.pid), healthz(port))]
    held: list[socket.socket] = []
    step = max(1, args.clients // 10)
    try:
        for i in range(1, args.clients + 1):
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                sock.sendall(HALF)
                held.append(sock)
            except OSError:
                pass  # a refused or reset connection costs the server nothing more
            if i % step == 0:
                rows.append(("flood", i, descriptors(proc.pid), healthz(port)))
        rows.append(("after", len(held), descriptors(proc.pid), healthz(port)))
        time.sleep(args.read_timeout + 2)
        rows.append((f"after +{args.read_timeout + 2:g}s", len(held), descriptors(proc.pid), healthz(port)))
    finally:
        for sock in held:
            sock.close()
        proc.terminate()
        proc.wait(30)
    return rows


def main(argv: Sequence[str]) -> int:
    from s3_storage_analyser.server.bind import BACKLOG

    if argv[:1] == ["--plain-server"]:
        return plain_server_main(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=19000, help="below the hard descriptor limit of this process")
    parser.add_argument("--max-connections", type=int, default=1000)
    parser.add_argument("--read-timeout", type=float, default=10.0)
    parser.add_argument("--only", choices=("guarded", "plain"), help="run one server only")
    args = parser.parse_args(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    print(f"clients {args.clients}, descriptors per process: soft {soft}, hard {hard} (this process: {hard})")
    failed = False
    with tempfile.TemporaryDirectory(prefix="s3sa-slow-") as tmp:
        db = Path(tmp) / "history.sqlite3"
        build_db(db)
        for kind in ("guarded", "plain") if args.only is None else (args.only,):
            rows = flood(kind, args, db)
            print(f"\n{kind}:\n{'phase':<14} {'half-open':>9} {'server fds':>10}  GET /healthz")
            for phase, count, fds, status in rows:
                print(f"{phase:<14} {count:>9} {fds:>10}  {status}")
            if kind == "guarded":
                peak = max(fds for _, _, fds, _ in rows)
                failed |= peak > 2 * args.max_connections + BACKLOG or rows[-1][3] not in ("200", "503")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.path[:0] = [str(ROOT / "src"), str(ROOT / "benchmarks")]
    raise SystemExit(main(sys.argv[1:]))
