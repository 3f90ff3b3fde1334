"""Where reports go besides stdout: --output FILE (atomic) and --pushgateway URL (a real HTTP PUT)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from s3_storage_analyser.errors import AnalyserError
from s3_storage_analyser.outputs import write_atomic
from support.aws import make_bucket


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def size_key(bucket: str, region: str, storage_class: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    labels = {"bucket": bucket, "region": region, "storage_class": storage_class}
    return ("s3_bucket_size_bytes", tuple(sorted(labels.items())))


@pytest.fixture
def account(aws_url: str) -> str:
    make_bucket(aws_url, "alpha", "eu-west-1").put_object(Bucket="alpha", Key="a", Body=b"x" * 1234)
    make_bucket(aws_url, "beta").put_object(Bucket="beta", Key="b", Body=b"y" * 56)
    return aws_url


def test_output_writes_the_exposition_atomically(account: str, tmp_path: Path, cli: Any) -> None:
    out_dir = tmp_path / "textfile"
    out_dir.mkdir()
    target = out_dir / "s3.prom"
    target.write_text("stale content that must be replaced\n")
    result = cli("--endpoint-url", account, "--fmt", "prometheus", "--output", str(target), "--quiet")
    assert result.code == 0, result.stderr
    assert result.stdout == ""
    assert sorted(p.name for p in out_dir.iterdir()) == ["s3.prom"]  # no temporary files left beside it
    text = target.read_text()
    assert "stale content" not in text
    values = samples(text)
    assert values[size_key("alpha", "eu-west-1", "STANDARD")] == 1234
    assert values[size_key("beta", "us-east-1", "STANDARD")] == 56
    assert target.stat().st_mode & 0o777 == 0o644


def test_output_in_another_format(account: str, tmp_path: Path, cli: Any) -> None:
    target = tmp_path / "report.tsv"
    result = cli("--endpoint-url", account, "--fmt", "tsv", "--output", str(target), "--quiet")
    assert result.code == 0, result.stderr
    lines = target.read_text().splitlines()
    assert lines[0].split("\t")[:2] == ["Bucket", "Region"]
    assert {line.split("\t")[0] for line in lines[1:]} == {"alpha", "beta"}


def test_output_into_a_missing_directory(account: str, tmp_path: Path, cli: Any) -> None:
    target = tmp_path / "nowhere" / "s3.prom"
    result = cli("--endpoint-url", account, "--fmt", "prometheus", "--output", str(target), "--quiet")
    assert result.code == 4  # EXIT_OUTPUT_FAILED: the report exists, but not where it was asked to go
    assert f"error: could not write the report to {target}: No such file or directory" in result.stderr
    assert "printed to stdout instead" in result.stderr
    assert not target.parent.exists()
    # The report is not lost: the exposition went to stdout instead.
    values = samples(result.stdout)
    assert values[size_key("alpha", "eu-west-1", "STANDARD")] == 1234
    assert values[size_key("beta", "us-east-1", "STANDARD")] == 56


def test_write_atomic_leaves_nothing_on_failure(tmp_path: Path) -> None:
    with pytest.raises(AnalyserError):
        write_atomic(tmp_path / "missing" / "f.txt", "x")
    write_atomic(tmp_path / "f.txt", "first\n")
    write_atomic(tmp_path / "f.txt", "second\n")
    assert (tmp_path / "f.txt").read_text() == "second\n"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_write_atomic_removes_its_temporary_file_when_the_rename_fails(tmp_path: Path) -> None:
    (tmp_path / "a-directory").mkdir()
    with pytest.raises(AnalyserError) as caught:
        write_atomic(tmp_path / "a-directory", "x")
    assert "could not write the report to" in str(caught.value)
    assert caught.value.exit_code == 4
    assert [p.name for p in tmp_path.iterdir()] == ["a-directory"]  # no .a-directory.XXXX left behind


class _Recorder(BaseHTTPRequestHandler):
    status = 200

    def _record(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self.server.requests.append((self.command, self.path, dict(self.headers), body))  # type: ignore[attr-defined]
        self.send_response(self.server.status)  # type: ignore[attr-defined]
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_PUT = _record
    do_POST = _record

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[Any]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.requests = []  # type: ignore[attr-defined]
    server.status = 200  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_pushgateway_receives_the_metrics(account: str, gateway: Any, cli: Any) -> None:
    url = f"http://127.0.0.1:{gateway.server_address[1]}"
    result = cli("--endpoint-url", account, "--fmt", "json", "--pushgateway", url, "--quiet")
    assert result.code == 0, result.stderr
    assert '"Buckets"' in result.stdout  # the report still goes to stdout
    [(method, path, headers, body)] = gateway.requests
    assert method == "PUT"
    assert path == "/metrics/job/s3_storage_analyser"
    assert headers["Content-Type"].startswith("text/plain")
    values = samples(body.decode())
    assert values[size_key("alpha", "eu-west-1", "STANDARD")] == 1234
    assert values[size_key("beta", "us-east-1", "STANDARD")] == 56


def test_pushgateway_without_a_scheme(account: str, gateway: Any, cli: Any) -> None:
    url = f"127.0.0.1:{gateway.server_address[1]}"
    result = cli("--endpoint-url", account, "--fmt", "tsv", "--pushgateway", url, "--quiet")
    assert result.code == 0, result.stderr
    assert [r[1] for r in gateway.requests] == ["/metrics/job/s3_storage_analyser"]


def test_pushgateway_answering_an_error(account: str, gateway: Any, cli: Any) -> None:
    gateway.status = 500
    url = f"http://127.0.0.1:{gateway.server_address[1]}"
    result = cli("--endpoint-url", account, "--fmt", "tsv", "--pushgateway", url, "--quiet")
    assert result.code == 4
    assert f"error: could not push to the Pushgateway at {url}" in result.stderr
    assert "500" in result.stderr
    assert "internal error" not in result.stderr
    assert {line.split("\t")[0] for line in result.stdout.splitlines()[1:]} == {"alpha", "beta"}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_pushgateway(account: str, cli: Any) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    result = cli("--endpoint-url", account, "--fmt", "tsv", "--pushgateway", url, "--quiet")
    assert result.code == 4
    assert f"error: could not push to the Pushgateway at {url}" in result.stderr
    assert "Connection refused" in result.stderr
    assert "internal error" not in result.stderr
    assert {line.split("\t")[0] for line in result.stdout.splitlines()[1:]} == {"alpha", "beta"}


def test_every_failed_output_is_named_after_the_report(account: str, tmp_path: Path, cli: Any) -> None:
    """--output, --save and --pushgateway all failing: the report on stdout, then one error line each, exit 4."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    url = f"http://127.0.0.1:{_closed_port()}"
    out, db = blocker / "s3.tsv", blocker / "history.sqlite3"
    result = cli(
        "--endpoint-url", account, "--fmt", "tsv", "--quiet",
        "--output", str(out), "--save", "--db", str(db), "--pushgateway", url,
    )  # fmt: skip
    assert result.code == 4
    assert {line.split("\t")[0] for line in result.stdout.splitlines()[1:]} == {"alpha", "beta"}
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: could not write the report to {out}: Not a directory",
        f"error: could not save the snapshot to {db}: Not a directory",
        f"error: could not push to the Pushgateway at {url}: <urlopen error [Errno 111] Connection refused>",
    ]
    assert result.stderr.count("  hint: ") == 3


@pytest.mark.parametrize("url", ["127.0.0.1:notaport", "http://[::1", "http://127.0.0.1:99999", "http://", "a b:9091"])
def test_malformed_pushgateway_url_is_a_usage_error(account: str, cli: Any, url: str) -> None:
    result = cli("--endpoint-url", account, "--fmt", "tsv", "--pushgateway", url, "--quiet")
    assert result.code == 2
    assert f"Bad --pushgateway URL {url!r}" in result.stderr
    assert "internal error" not in result.stderr
    assert result.stdout == ""  # refused before the scan: nothing was measured


def test_write_atomic_writes_a_special_file_in_place(tmp_path: Path) -> None:
    """``--output /dev/null`` (or a FIFO) is written into, never renamed over: as root that replaced /dev/null."""
    import os
    import stat
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    write_atomic(fifo, "report\n")
    reader.join(10)
    assert received == ["report\n"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]  # no temporary file left beside it
