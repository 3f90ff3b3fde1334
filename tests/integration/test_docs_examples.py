"""Every example marked ``<!-- run: COMMAND -->`` in README.md and docs/ is what COMMAND prints now.

The marker stands just before a fenced block; the block is compared, line by line, with the
stdout of a real run against the demo account, once the times, dates and ports that change
from run to run are masked (and the lines of a shell prompt or of the demo's stderr dropped).
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"


RUN_MARKER = re.compile(r"^<!-- run: (.+?) -->\n```[a-z]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def examples() -> list[Any]:
    """Every ``<!-- run: COMMAND -->`` marker followed by a fenced block, in README and the docs."""
    found = []
    for path in [README, *sorted(DOCS.glob("*.md"))]:
        for match in RUN_MARKER.finditer(path.read_text(encoding="utf-8")):
            command, block = match.group(1), match.group(2)
            found.append(pytest.param(command, block, id=f"{path.name}: {command}"))
    return found


# What differs between two runs of the same demo: when it ran, and the port it listened on.
VOLATILE = [
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?"), "<time>"),
    (re.compile(r"\d{4}-\d\d-\d\d"), "<date>"),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:<port>"),
    (re.compile(r"^(s3_bucket_data_timestamp_seconds\{[^}]*\}) \S+$", re.MULTILINE), r"\1 <timestamp>"),
]


def normalise(text: str, command: str = "") -> list[str]:
    """Lines without what changes from run to run, trailing blanks, shell prompts and the demo's stderr lines."""
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    if "--strategy inventory" in command:
        # The demo's inventory bucket holds the reports themselves, whose Parquet and ORC encodings vary by
        # a few bytes from run to run: the exact total moves, the humanised figures do not.
        text = re.sub(r"\([\d,]+ bytes\)", "(<bytes>)", text)
    return [line.rstrip() for line in text.splitlines() if not line.startswith(("$ ", "demo: "))]


def test_examples_are_marked() -> None:
    found = examples()
    assert len(found) >= 12, len(found)
    assert all(p.values[0].startswith("s3-storage-analyser demo") for p in found)


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "S3SA_"))}
    return {**env, "AWS_EC2_METADATA_DISABLED": "true", "COLUMNS": "250"}


@pytest.fixture(scope="module")
def demo_account() -> Iterator[dict[str, str]]:
    """One demo account for the examples (``demo --serve``, as a user starts it): the environment its
    ``export`` lines give. Seeding takes seconds; each example then runs as ``report`` against it."""
    server = subprocess.Popen(
        [sys.executable, "-m", "s3_storage_analyser", "demo", "--serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=_clean_env(),
    )
    try:
        assert server.stdout is not None
        exports: dict[str, str] = {}
        while "AWS_ENDPOINT_URL" not in exports:
            line = server.stdout.readline()
            assert line, f"demo --serve ended before printing its endpoint (exit {server.poll()})"
            name, _, value = line.strip().removeprefix("export ").partition("=")
            exports[name] = value
        yield {**_clean_env(), **exports}
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.mark.parametrize(("command", "block"), examples())
def test_example_matches_a_real_run(command: str, block: str, request: pytest.FixtureRequest) -> None:
    """The example's output is what the command prints now, against the demo account. The inventory
    example runs the demo itself (it writes the S3 Inventory reports into an eighth bucket); the others
    run the same flags as ``report`` against one shared ``demo --serve`` account."""
    argv = shlex.split(command)
    assert argv[:2] == ["s3-storage-analyser", "demo"]
    if "inventory" in argv:
        run, env = ["demo", *argv[2:]], _clean_env()
    else:
        run, env = ["report", *argv[2:]], request.getfixturevalue("demo_account")
    done = subprocess.run(
        [sys.executable, "-m", "s3_storage_analyser", *run],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert normalise(done.stdout, command) == normalise(block, command), (
        f"the example of `{command}` no longer matches a real run"
    )


def test_normalise_keeps_the_figures() -> None:
    """Only times, dates and ports are masked: a changed figure still fails the comparison."""
    real = "acme  4,000  221 MiB  2026-11-25T13:38:21  2026-11-25   \n"
    assert normalise(real) == normalise("acme  4,000  221 MiB  2027-01-01T00:00:00  2027-01-01")
    assert normalise(real) != normalise("acme  4,001  221 MiB  2026-11-25T13:38:21  2026-11-25")
