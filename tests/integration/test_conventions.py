"""Interface conventions an aws-cli, rclone or s5cmd user expects (issue 10, item 7).

Everything runs through the real entry point against a moto server over HTTP on loopback
(the TLS tests through a TLS-terminating relay in front of it), or as a subprocess.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

VENV_BIN = Path(sys.executable).parent


def _buckets(aws_url: str, sizes: dict[str, int]) -> None:
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=aws_url)
    for name, size in sizes.items():
        s3.create_bucket(Bucket=name)
        if size:
            s3.put_object(Bucket=name, Key="blob", Body=b"x" * size)


# --- 1. --output as aws-cli users type it -------------------------------------------------------


@pytest.mark.parametrize("word", ["json", "table", "text", "TSV", "json-pretty"])
def test_output_naming_a_format_is_refused_with_the_fmt_hint(
    cli: Any, tmp_path: Path, word: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("--output", word)
    assert result.code == 2
    assert f"--output {word!r} names a format" in result.stderr
    assert "hint: Use --fmt " in result.stderr
    assert not (tmp_path / word).exists()


def test_output_to_a_file_named_like_a_format_still_works_as_a_path(
    cli: Any, aws_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _buckets(aws_url, {"one": 0})
    monkeypatch.chdir(tmp_path)
    result = cli("--endpoint-url", aws_url, "--strategy", "list", "--fmt", "json", "--output", "./json", "-q")
    assert result.code == 0, result.stderr
    assert '"one"' in (tmp_path / "json").read_text()
    assert result.stdout == ""


# --- 2. AWS_REGION --------------------------------------------------------------------------------


def test_aws_region_is_read_and_wins_over_aws_default_region(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "not_a_region")
    result = cli("--fmt", "json")
    assert result.code == 2
    assert "AWS_REGION 'not_a_region' is not an AWS region name" in result.stderr


def test_aws_region_alone_reports(cli: Any, aws_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _buckets(aws_url, {"here": 3})
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    result = cli("--endpoint-url", aws_url, "--strategy", "list", "--fmt", "tsv", "-q")
    assert result.code == 0, result.stderr
    assert "here\tus-east-1\t1\t3" in result.stdout


# --- 3. TLS: --ca-bundle and --no-verify-ssl -------------------------------------------------------


def _self_signed(directory: Path) -> tuple[Path, Path]:
    crypto = pytest.importorskip("cryptography")
    del crypto
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


@pytest.fixture
def tls_endpoint(aws_url: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """https://127.0.0.1:PORT relaying to the moto server, with a self-signed certificate; and that cert."""
    cert, key = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    upstream = aws_url.removeprefix("http://").rstrip("/")
    host, _, port = upstream.rpartition(":")
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                raw, _ = listener.accept()
            except TimeoutError:
                continue  # look at ``stop`` again
            except OSError:
                return
            raw.settimeout(None)
            try:
                client = context.wrap_socket(raw, server_side=True)
            except (OSError, ssl.SSLError):
                raw.close()  # the client refused our certificate
                continue
            server = socket.create_connection((host, int(port)))
            threading.Thread(target=_pipe, args=(client, server), daemon=True).start()
            threading.Thread(target=_pipe, args=(server, client), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{listener.getsockname()[1]}", cert
    stop.set()
    listener.close()
    thread.join(timeout=5)


def test_self_signed_endpoint_is_refused_by_default(cli: Any, tls_endpoint: tuple[str, Path]) -> None:
    url, _ = tls_endpoint
    result = cli("--endpoint-url", url, "--strategy", "list", "--fmt", "tsv", "-q")
    assert result.code != 0
    assert "certificate" in result.stderr.lower() or "ssl" in result.stderr.lower()


def test_no_verify_ssl_reaches_the_client(cli: Any, aws_url: str, tls_endpoint: tuple[str, Path]) -> None:
    _buckets(aws_url, {"secure": 5})
    url, _ = tls_endpoint
    result = cli("--endpoint-url", url, "--strategy", "list", "--fmt", "tsv", "-q", "--no-verify-ssl")
    assert result.code == 0, result.stderr
    assert "secure\tus-east-1\t1\t5" in result.stdout


def test_ca_bundle_trusts_the_endpoints_certificate(cli: Any, aws_url: str, tls_endpoint: tuple[str, Path]) -> None:
    _buckets(aws_url, {"secure": 7})
    url, cert = tls_endpoint
    result = cli("--endpoint-url", url, "--strategy", "list", "--fmt", "tsv", "-q", "--ca-bundle", str(cert))
    assert result.code == 0, result.stderr
    assert "secure\tus-east-1\t1\t7" in result.stdout


def test_bad_ca_bundle_is_a_usage_error(cli: Any, tmp_path: Path) -> None:
    result = cli("--ca-bundle", str(tmp_path / "missing.pem"))
    assert result.code == 2
    assert "is not a readable file" in result.stderr and "hint:" in result.stderr
    result = cli("--ca-bundle", str(tmp_path))
    assert result.code == 2 and "is a directory" in result.stderr


def test_ca_bundle_and_no_verify_ssl_contradict(cli: Any, tmp_path: Path) -> None:
    pem = tmp_path / "ca.pem"
    pem.write_text("x")
    result = cli("--ca-bundle", str(pem), "--no-verify-ssl")
    assert result.code == 2 and "contradict" in result.stderr


# --- 4. -q / -v, plurals, the table's shape -----------------------------------------------------


def test_verbose_says_the_plan_and_the_outcome(cli: Any, aws_url: str) -> None:
    _buckets(aws_url, {"solo": 1})
    result = cli("--endpoint-url", aws_url, "--strategy", "list", "--conc", "1", "--fmt", "tsv", "-v")
    assert result.code == 0, result.stderr
    assert f"s3sa: strategy list, region us-east-1, endpoint {aws_url}, TLS default CAs, 1 request in parallel." in (
        result.stderr
    )
    assert "s3sa: 1 bucket measured, 0 buckets not, in " in result.stderr
    assert result.stdout.startswith("Bucket\t")


def test_quiet_and_verbose_contradict(cli: Any) -> None:
    result = cli("-q", "-v")
    assert result.code == 2 and "contradict" in result.stderr


def test_no_verify_ssl_warns_once_not_per_request(cli: Any, aws_url: str, tls_endpoint: tuple[str, Path]) -> None:
    _buckets(aws_url, {"alpha": 1, "beta": 2})
    url, _ = tls_endpoint
    result = cli("--endpoint-url", url, "--strategy", "list", "--fmt", "tsv", "--no-verify-ssl", "--processes", "0")
    assert result.code == 0, result.stderr
    assert result.stderr.count("not verified") == 1
    assert "InsecureRequestWarning" not in result.stderr


def test_table_never_truncated_on_a_dumb_narrow_terminal_and_no_trailing_spaces(aws_url: str) -> None:
    long_name = "a-bucket-with-a-name-much-wider-than-forty-columns"
    _buckets(aws_url, {long_name: 2048, "short": 1})
    env = {**os.environ, "TERM": "dumb", "COLUMNS": "40", "AWS_ENDPOINT_URL": aws_url}
    done = subprocess.run(
        [str(VENV_BIN / "s3sa"), "--strategy", "list", "--processes", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    row = next(line for line in lines if line.startswith(long_name))
    assert row.split()[:4] == [long_name, "us-east-1", "1", "2.0"] and len(row) > 40
    assert "TOTAL (2 buckets)" in done.stdout and "2 buckets, strategy list" in done.stdout
    assert [line for line in lines if line != line.rstrip()] == []
    assert "…" not in done.stdout


def test_one_bucket_is_singular(cli: Any, aws_url: str) -> None:
    _buckets(aws_url, {"only": 1})
    result = cli("--endpoint-url", aws_url, "--strategy", "list", "--processes", "0", "-q")
    assert result.code == 0, result.stderr
    assert "TOTAL (1 bucket)" in result.stdout and "1 bucket, strategy list" in result.stdout
    missing = cli("--endpoint-url", aws_url, "--bucket", "not-there", "--bucket", "gone-too")
    assert missing.code == 2 and "Buckets not found in the account: not-there, gone-too (1 bucket there)" in (
        missing.stderr
    )


# --- 5. typo suggestions ----------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "meant"), [("histroy", "history"), ("dif", "diff"), ("sevre", "serve")])
def test_mistyped_command_gets_a_suggestion(cli: Any, typed: str, meant: str) -> None:
    result = cli(typed)
    assert result.code == 2
    assert f"No such command {typed!r}." in result.stderr and f"Did you mean {meant}?" in result.stderr


def test_far_word_and_bucket_url_get_their_own_hints(cli: Any) -> None:
    result = cli("zzzzzz")
    assert result.code == 2 and "Did you mean" not in result.stderr and "Commands: report, demo" in result.stderr
    result = cli("s3://logs/2026/")
    assert result.code == 2 and "Use --bucket s3://logs/2026/" in result.stderr


def test_report_options_still_go_to_report(cli: Any) -> None:
    result = cli("--fmt", "xml")
    assert result.code == 2 and "Unknown format 'xml'" in result.stderr


# --- 6. history, show and diff honour S3SA_FMT and S3SA_UNIT ----------------------------------------


def test_history_show_diff_read_the_environment_defaults(
    cli: Any, aws_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _buckets(aws_url, {"kept": 3 * 1024})
    db = str(tmp_path / "h.sqlite3")
    for _ in range(2):
        saved = cli("--endpoint-url", aws_url, "--strategy", "list", "--processes", "0", "-q", "--save", "--db", db)
        assert saved.code == 0, saved.stderr
    monkeypatch.setenv("S3SA_FMT", "json")
    history = cli("history", "--db", db)
    assert history.code == 0, history.stderr
    assert [row["Id"] for row in json.loads(history.stdout)["Snapshots"]] == [2, 1]
    monkeypatch.setenv("S3SA_FMT", "csv")
    monkeypatch.setenv("S3SA_UNIT", "KB")
    show = cli("show", "--db", db)
    assert show.code == 0, show.stderr
    assert show.stdout.splitlines()[0].startswith("Bucket,Region,Files,Total(KB)")
    assert "kept,us-east-1,1,3.00" in show.stdout
    diff = cli("diff", "--db", db)
    assert diff.code == 0, diff.stderr
    assert "\t" not in diff.stdout and "," in diff.stdout.splitlines()[0]
    # a preference the command has no form for gives way to the table; the same flag typed is refused
    monkeypatch.setenv("S3SA_FMT", "prometheus")
    monkeypatch.delenv("S3SA_UNIT")
    history = cli("history", "--db", db)
    assert history.code == 0 and history.stdout.split()[0] == "Id"
    typed = cli("history", "--db", db, "--fmt", "prometheus")
    assert typed.code == 2


# --- 7. --si, --sort, --min-size ----------------------------------------------------------------------

SIZES = {"big": 3_000_000, "mid": 2_000, "tiny": 10, "empty": 0}


def _tsv_rows(text: str) -> list[list[str]]:
    return [line.split("\t") for line in text.splitlines()[1:]]


def test_sort_orders_every_format(cli: Any, aws_url: str) -> None:
    _buckets(aws_url, SIZES)
    base = ("--endpoint-url", aws_url, "--strategy", "list", "--processes", "0", "-q")
    by_size = cli(*base, "--fmt", "tsv", "--sort", "size")
    assert by_size.code == 0, by_size.stderr
    assert [row[0] for row in _tsv_rows(by_size.stdout)] == ["big", "mid", "tiny", "empty"]
    as_json = cli(*base, "--fmt", "json", "--sort", "SIZE")
    assert [b["Bucket"] for b in json.loads(as_json.stdout)["Buckets"]] == ["big", "mid", "tiny", "empty"]
    by_name = cli(*base, "--fmt", "tsv", "--sort", "name")
    assert [row[0] for row in _tsv_rows(by_name.stdout)] == ["big", "empty", "mid", "tiny"]
    by_objects = cli(*base, "--fmt", "csv", "--sort", "objects")
    assert [line.split(",")[0] for line in by_objects.stdout.splitlines()[1:]][-1] == "empty"
    assert cli(*base, "--sort", "colour").code == 2


def test_min_size_filters_and_totals_follow(cli: Any, aws_url: str) -> None:
    _buckets(aws_url, SIZES)
    result = cli("--endpoint-url", aws_url, "--strategy", "list", "--processes", "0", "--min-size", "1KB")
    assert result.code == 0, result.stderr
    assert "2 buckets under --min-size not shown." in result.stderr
    assert "TOTAL (2 buckets)" in result.stdout and "tiny" not in result.stdout
    si = cli("--endpoint-url", aws_url, "--strategy", "list", "--processes", "0", "-q", "--fmt", "tsv")
    assert len(_tsv_rows(si.stdout)) == 4
    # 2,000 bytes: under 2 KiB (2,048) but not under 2 kB with --si
    binary = cli("--endpoint-url", aws_url, "--strategy", "list", "--fmt", "tsv", "--min-size", "2KB", "-q")
    assert [row[0] for row in _tsv_rows(binary.stdout)] == ["big"]
    decimal = cli("--endpoint-url", aws_url, "--strategy", "list", "--fmt", "tsv", "--min-size", "2KB", "--si", "-q")
    assert [row[0] for row in _tsv_rows(decimal.stdout)] == ["big", "mid"]
    bad = cli("--min-size", "lots")
    assert bad.code == 2 and "--min-size 'lots' is not a size" in bad.stderr


def test_si_units(cli: Any, aws_url: str) -> None:
    _buckets(aws_url, {"big": 3_000_000})
    base = ("--endpoint-url", aws_url, "--strategy", "list", "--processes", "0", "-q")
    table = cli(*base, "--si")
    assert table.code == 0, table.stderr
    assert "3.0 MB" in table.stdout and "Total: 3.0 MB (3,000,000 bytes)" in table.stdout
    binary = cli(*base)
    assert "2.9 MiB" in binary.stdout
    tsv = cli(*base, "--fmt", "tsv", "--unit", "KB", "--si")
    assert tsv.stdout.splitlines()[0].split("\t")[3] == "Total(si:KB)"
    assert _tsv_rows(tsv.stdout)[0][3] == "3000.00"
    fixed = cli(*base, "--unit", "MB", "--si")
    assert "Total(MB SI)" in fixed.stdout and "3.00" in fixed.stdout
    refused = cli(*base, "--fmt", "json", "--si")
    assert refused.code == 2 and "--si applies only to --fmt table, tsv, csv" in refused.stderr


# --- 8. shell completion, for both command names --------------------------------------------------------


@pytest.mark.slow  # five subprocesses per name
@pytest.mark.parametrize(
    ("command", "variable"), [("s3sa", "_S3SA_COMPLETE"), ("s3-storage-analyser", "_S3_STORAGE_ANALYSER_COMPLETE")]
)
def test_completion_script_and_answers_for_both_names(command: str, variable: str) -> None:
    def run(**env: str) -> str:
        done = subprocess.run(
            [str(VENV_BIN / command)],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    function = f"_{command.replace('-', '_')}_completion"
    assert f"complete -o nosort -F {function} {command}" in run(**{variable: "bash_source"})
    assert run(**{variable: "bash_complete", "COMP_WORDS": f"{command} hist", "COMP_CWORD": "1"}) == "plain,history\n"
    options = run(**{variable: "bash_complete", "COMP_WORDS": f"{command} --so", "COMP_CWORD": "1"})
    assert options == "plain,--sort\n"
    sorts = run(**{variable: "bash_complete", "COMP_WORDS": f"{command} --sort ", "COMP_CWORD": "2"})
    assert sorts.split() == ["plain,name", "plain,region", "plain,size", "plain,objects"]
    assert "compdef" in run(**{variable: "zsh_source"})


def test_min_size_leaves_the_saved_snapshot_whole(cli: Any, aws_url: str, tmp_path: Path) -> None:
    _buckets(aws_url, SIZES)
    db = str(tmp_path / "h.sqlite3")
    base = ("--endpoint-url", aws_url, "--strategy", "list", "--processes", "0", "-q", "--fmt", "tsv")
    saved = cli(*base, "--min-size", "1MB", "--save", "--db", db)
    assert saved.code == 0, saved.stderr
    assert [row[0] for row in _tsv_rows(saved.stdout)] == ["big"]
    shown = cli("show", "--db", db, "--fmt", "tsv")
    assert sorted(row[0] for row in _tsv_rows(shown.stdout)) == ["big", "empty", "mid", "tiny"]


def test_tls_flags_do_not_apply_to_the_demo(cli: Any) -> None:
    result = cli("demo", "--no-verify-ssl")
    assert result.code == 2 and "--no-verify-ssl does not apply to `demo`" in result.stderr
