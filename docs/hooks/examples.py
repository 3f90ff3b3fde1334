"""Rewrite every ``<!-- run: COMMAND -->`` example in README.md and docs/ with what COMMAND prints now.

    .venv/bin/python docs/hooks/examples.py            # rewrite the blocks in place
    .venv/bin/python docs/hooks/examples.py --check    # only say which ones differ (exit 1 if any)

Runs as tests/integration/test_docs_examples.py does: one ``demo --serve`` account for the examples, each
command as ``report`` with the same flags against it (the inventory examples run their own demo). Not an
mkdocs hook: a maintainer's tool, kept beside the generated CLI reference.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUN_MARKER = re.compile(r"^(<!-- run: (.+?) -->\n```[a-z]*\n)(.*?)(^```)", re.MULTILINE | re.DOTALL)


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "S3SA_"))}
    return {**env, "AWS_EC2_METADATA_DISABLED": "true", "COLUMNS": "250"}


def start_demo() -> tuple[subprocess.Popen[str], dict[str, str]]:
    server = subprocess.Popen(
        [sys.executable, "-m", "s3_storage_analyser", "demo", "--serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=clean_env(),
    )
    assert server.stdout is not None
    exports: dict[str, str] = {}
    while "AWS_ENDPOINT_URL" not in exports:
        line = server.stdout.readline()
        if not line:
            raise SystemExit(f"demo --serve ended before printing its endpoint (exit {server.poll()})")
        name, _, value = line.strip().removeprefix("export ").partition("=")
        exports[name] = value
    return server, {**clean_env(), **exports}


def run(command: str, account: dict[str, str]) -> str:
    argv = shlex.split(command)
    args, env = (["demo", *argv[2:]], clean_env()) if "inventory" in argv else (["report", *argv[2:]], account)
    done = subprocess.run(
        [sys.executable, "-m", "s3_storage_analyser", *args], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode:
        raise SystemExit(f"`{command}` failed (exit {done.returncode}):\n{done.stderr}")
    return "\n".join(line.rstrip() for line in done.stdout.splitlines()) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    options = parser.parse_args()
    server, account = start_demo()
    differ = 0
    try:
        for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
            text = path.read_text(encoding="utf-8")

            def replace(match: re.Match[str], path: Path = path) -> str:
                nonlocal differ
                now = run(match.group(2), account)
                if now != match.group(3):
                    differ += 1
                    print(f"{path.relative_to(ROOT)}: {match.group(2)}", file=sys.stderr)
                return match.group(1) + now + match.group(4)

            updated = RUN_MARKER.sub(replace, text)
            if updated != text and not options.check:
                path.write_text(updated, encoding="utf-8")
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    return 1 if options.check and differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
