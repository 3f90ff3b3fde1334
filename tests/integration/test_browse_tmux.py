"""``s3sa browse`` in a real terminal, as a user runs it: tmux at 80x24, keys sent, the screen read back.

The first run lists a moto bucket, saves the scan and shows its tree; the second reopens the saved tree
with ``--snapshot`` (no listing). Each run's exit code is written by the shell that ran it. The tmux server
is this test's own (its own socket), killed at the end.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from support.aws import make_bucket

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)"),
]
pytest.importorskip("textual")

S3SA = str(Path(sys.executable).with_name("s3sa"))
KEYS = {"a.txt": 10, "2024/jan/x.jpg": 1000, "2024/jan/y.jpg": 24, "2024/feb/z.jpg": 500, "logs/1.log": 7}


class Terminal:
    """One tmux server on a socket of its own; each session runs one command in an 80x24 window."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], check=True, capture_output=True, text=True, timeout=30
        )
        return done.stdout

    def start(self, name: str, command: str, exit_file: Path) -> None:
        # The shell writes the exit code, then keeps the pane open so that what was printed can be read.
        line = f"{command}; echo EXIT=$? > {shlex.quote(str(exit_file))}; exec sleep 120"
        self.tmux("new-session", "-d", "-s", name, "-x", "80", "-y", "24", line)

    def screen(self, name: str) -> str:
        return self.tmux("capture-pane", "-p", "-t", name)

    def wait_for(self, name: str, text: str, timeout: float = 60.0) -> str:
        return self.wait_until(name, lambda screen: text in screen, timeout)

    def wait_until(self, name: str, holds: Callable[[str], bool], timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            shown = self.screen(name)
            if holds(shown):
                return shown
            if time.monotonic() > deadline:
                pytest.fail(f"the screen never got there; it shows:\n{shown}")
            time.sleep(0.1)

    def keys(self, name: str, *keys: str) -> None:
        self.tmux("send-keys", "-t", name, *keys)


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    term = Terminal(f"s3sa-browse-test-{os.getpid()}")
    try:
        yield term
    finally:
        subprocess.run(["tmux", "-L", term.socket, "kill-server"], check=False, capture_output=True, timeout=30)


def names(screen: str) -> list[str]:
    """The names of the first three rows (below the location, the totals and the column titles)."""
    return [line.split()[-1] for line in screen.splitlines()[3:6] if line.split()]


def wait_for_file(path: Path, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists() or not path.read_text().strip():
        if time.monotonic() > deadline:
            pytest.fail(f"{path} was never written: the command did not end")
        time.sleep(0.1)
    return path.read_text().strip()


def test_list_save_and_reopen_in_tmux(aws_url: str, tmp_path: Path, terminal: Terminal) -> None:
    client = make_bucket(aws_url, "photos")
    for key, size in KEYS.items():
        client.put_object(Bucket="photos", Key=key, Body=b"x" * size)
    db = tmp_path / "history.sqlite3"
    total = "Total 1.5 KiB (1,541 B) in 5 objects, 4 folders below"

    # 1. List, save, walk in and out, quit.
    first = tmp_path / "first.exit"
    command = shlex.join([S3SA, "browse", "s3://photos/", "--endpoint-url", aws_url, "--save", "--db", str(db)])
    terminal.start("first", command, first)
    shown = terminal.wait_for("first", "s3sa browse s3://photos/")
    assert total in shown
    rows = [line.split() for line in shown.splitlines()[3:8]]
    assert rows[0] == ["1.5", "KiB", "98.9%", "[##########]", "3", "2024/"]
    assert rows[1] == ["10", "B", "0.6%", "[", "]", "1", "(files)"]
    assert rows[2] == ["7", "B", "0.5%", "[", "]", "1", "logs/"]
    terminal.keys("first", "Enter")
    shown = terminal.wait_for("first", "s3sa browse s3://photos/2024/")
    assert "Total 1.5 KiB (1,524 B) in 3 objects, 2 folders below" in shown
    assert "jan/" in shown and "feb/" in shown
    terminal.keys("first", "Left")
    terminal.wait_for("first", "in 5 objects, 4 folders below")
    terminal.keys("first", "q")
    assert wait_for_file(first) == "EXIT=0"
    assert "saved as snapshot 1 in" in terminal.wait_for("first", "saved as snapshot")

    # 2. Reopen the saved tree: the same totals, at once, without listing; sort, help, quit.
    second = tmp_path / "second.exit"
    terminal.start("second", shlex.join([S3SA, "browse", "--snapshot", "1", "--db", str(db)]), second)
    shown = terminal.wait_for("second", total)
    terminal.keys("second", "n")
    terminal.wait_until("second", lambda screen: names(screen) == ["(files)", "2024/", "logs/"])
    assert "Name ^" in terminal.screen("second")
    terminal.keys("second", "?")
    terminal.wait_for("second", "Press Esc, q or ? to close this help.")
    terminal.keys("second", "Escape")  # (a key sent with it would read as Alt+key: wait for the help to close)
    terminal.wait_until("second", lambda screen: "close this help" not in screen)
    terminal.keys("second", "q")
    assert wait_for_file(second) == "EXIT=0"


def test_a_bucket_that_is_not_there_opens_nothing(aws_url: str, tmp_path: Path, terminal: Terminal) -> None:
    """In a terminal (so past the terminal check): the listing's own message, exit 2, and no screen."""
    done = tmp_path / "done.exit"
    terminal.start("missing", shlex.join([S3SA, "browse", "s3://no-such-bucket/", "--endpoint-url", aws_url]), done)
    assert wait_for_file(done, timeout=60) == "EXIT=2"
    shown = terminal.screen("missing")
    assert "error: Bucket not found in the account: no-such-bucket" in shown
    assert "Traceback" not in shown and "s3sa browse s3://" not in shown
