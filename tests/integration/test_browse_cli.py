"""``s3sa browse`` up to the screen: which tree it opens, and every way of asking wrongly (exit 2, said clearly).

The histories are made by the CLI itself against the moto server (``report --strategy list [--by tree] --save``).
Under pytest stdin is not a terminal, so a tree that loads ends at "needs a terminal" (exit 2): what it
says before that is what these tests check. The screen itself: test_browse_app.py (pilot) and
test_browse_tmux.py (a real terminal).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from s3_storage_analyser.browse.command import TREE_HINT
from support.aws import make_bucket
from support.cli import CliResult

Cli = Any


def fill(aws_url: str, bucket: str, keys: dict[str, int]) -> None:
    client = make_bucket(aws_url, bucket)
    for key, size in keys.items():
        client.put_object(Bucket=bucket, Key=key, Body=b"x" * size)


def save_scan(cli: Cli, aws_url: str, db: Path, *buckets: str, tree: bool = True) -> int:
    by = ("--by", "tree") if tree else ()
    named = [arg for name in buckets for arg in ("--bucket", f"s3://{name}/")]
    done: CliResult = cli(
        "report", "--strategy", "list", *by, *named, "--save", "--db", str(db), "--endpoint-url", aws_url, "-q"
    )
    assert done.code == 0, done.stderr
    return int(done.stderr.split("saved as snapshot ")[1].split()[0])


@pytest.fixture
def photos(aws_url: str) -> str:
    fill(aws_url, "photos", {"a.txt": 10, "2024/jan/x.jpg": 1000, "2024/feb/y.jpg": 500})
    fill(aws_url, "logs", {"app/1.log": 7})
    return aws_url


def test_a_snapshot_without_a_tree_says_how_to_make_one(cli: Cli, photos: str, tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    snapshot = save_scan(cli, photos, db, "photos", tree=False)
    done = cli("browse", "--snapshot", str(snapshot), "--db", str(db))
    assert done.code == 2
    assert done.stderr == f"error: Snapshot {snapshot} has no folder tree.\n  hint: {TREE_HINT}\n"
    assert "s3sa report --strategy list --by tree" in TREE_HINT


def test_an_unknown_snapshot_is_exit_2(cli: Cli, photos: str, tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    save_scan(cli, photos, db, "photos")
    done = cli("browse", "--snapshot", "99", "--db", str(db))
    assert done.code == 2
    assert "99" in done.stderr and "Traceback" not in done.stderr


def test_a_missing_history_is_exit_2(cli: Cli, tmp_path: Path) -> None:
    done = cli("browse", "--snapshot", "1", "--db", str(tmp_path / "none.sqlite3"))
    assert done.code == 2
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr


def test_a_snapshot_of_several_trees_needs_bucket(cli: Cli, photos: str, tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    snapshot = save_scan(cli, photos, db, "photos", "logs")
    done = cli("browse", "--snapshot", str(snapshot), "--db", str(db))
    assert done.code == 2
    assert f"Snapshot {snapshot} has the folder trees of 2 buckets: " in done.stderr
    assert "--bucket" in done.stderr
    done = cli("browse", "--snapshot", str(snapshot), "--db", str(db), "--bucket", "nope")
    assert done.code == 2
    assert f"Snapshot {snapshot} has no folder tree of bucket 'nope'" in done.stderr
    # The tree is found and read; only the terminal is missing under pytest.
    done = cli("browse", "--snapshot", str(snapshot), "--db", str(db), "--bucket", "logs")
    assert done.code == 2
    assert done.stderr.startswith("error: browse is interactive: it needs a terminal")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ((), "Nothing to browse"),
        (("s3://photos/", "--snapshot", "1"), "not both"),
        (("--snapshot", "1", "--endpoint-url", "http://127.0.0.1:9"), "--endpoint-url applies to a listing"),
        (("--snapshot", "1", "--save"), "--save applies to a listing"),
        (("--snapshot", "1", "--delimiter", "-", "--tree-folders", "9"), "--delimiter, --tree-folders apply to"),
        (("s3://photos/", "--bucket", "photos"), "--bucket picks a bucket of --snapshot"),
        (("s3://Not A Bucket/",), "is not s3://BUCKET/PREFIX/"),
        (("s3://photos/", "--delimiter", ""), "--delimiter was given an empty value"),
        (("s3://photos/",), "needs a terminal"),  # checked before any listing
    ],
)
def test_asking_wrongly_is_exit_2(cli: Cli, args: tuple[str, ...], said: str) -> None:
    done = cli("browse", *args)
    assert done.code == 2, done.stderr
    assert said in done.stderr
    assert "Traceback" not in done.stderr


# The CLI in a process of its own in which textual cannot be found (as without the 'browse' extra).
WITHOUT_TEXTUAL = """
import sys


class Absent:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "textual":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, Absent())
from s3_storage_analyser.cli import entry

code = entry(sys.argv[1:])
print("textual imported" if "textual" in sys.modules else "textual not imported", file=sys.stderr)
sys.exit(code)
"""


def test_without_the_browse_extra(tmp_path: Path) -> None:
    command = [sys.executable, "-c", WITHOUT_TEXTUAL, "browse", "--snapshot", "1", "--db", str(tmp_path / "h.db")]
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert done.returncode == 2
    assert done.stderr == (
        "error: The browse command needs the 'browse' extra (textual is not installed).\n"
        "  hint: pip install 's3-storage-analyser[browse]'\n"
        "textual not imported\n"
    )


def test_a_scan_scoped_to_a_prefix_is_found_by_its_bucket(cli: Cli, photos: str, tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    done: CliResult = cli(
        "report", "--strategy", "list", "--by", "tree", "--bucket", "s3://photos/2024/", "--save", "--db", str(db),
        "--endpoint-url", photos, "-q",
    )  # fmt: skip
    assert done.code == 0, done.stderr
    for asked in ("photos", "s3://photos/2024/", "photos/2024/"):
        done = cli("browse", "--snapshot", "1", "--db", str(db), "--bucket", asked)
        assert done.code == 2 and "needs a terminal" in done.stderr, (asked, done.stderr)
    done = cli("browse", "--snapshot", "1", "--db", str(db), "--bucket", "photos/2023/")
    assert done.code == 2 and "has no folder tree of bucket 'photos/2023/'" in done.stderr
