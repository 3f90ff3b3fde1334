"""The built wheel, alone in a clean venv with the base lock: what a packager ships (`make package-check`).

Run by the dev venv's Python (it has moto) as ``package_check.py DIST_DIR CLEAN_VENV``, after the Makefile
has built the sdist and the wheel into DIST_DIR and installed the base lock and the wheel into CLEAN_VENV.
Checks, in order:

- the wheel carries no test kit (``fakes3``, ``tests/``) and its metadata puts every optional dependency
  behind an extra; the sdist carries the whole test suite, kit included;
- the clean venv holds none of the extras' distributions (fastapi, uvicorn, duckdb, pyarrow, moto, ...);
- ``s3sa --version`` prints this version;
- a CloudWatch report by the clean venv's ``s3sa`` against a moto server (run here, on 127.0.0.1, on a free
  port, with fake credentials) gives the bucket's exact figures;
- ``serve``, ``--strategy inventory`` and ``demo`` say which extra to install, exit 2, no traceback.

Prints the clean venv's size and package count, for the record.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import boto3

from s3_storage_analyser import __version__
from s3_storage_analyser.demo.server import LocalEndpoint

# Distributions only the extras bring in: none may be in the base install.
FORBIDDEN = (
    "fastapi",
    "fastapi-offline",
    "starlette",
    "uvicorn",
    "duckdb",
    "pyarrow",
    "moto",
    "flask",
    "werkzeug",
    "dask",
    "distributed",
    "textual",
)
MISSING_EXTRA = {
    ("serve", "--port", "0"): ("The serve command", "service"),
    ("report", "--strategy", "inventory"): ("--strategy inventory", "inventory"),
    ("demo",): ("The demo command", "demo"),
    ("report", "--strategy", "list", "--executor", "dask"): ("--executor dask", "dask"),
    ("browse", "--snapshot", "1"): ("The browse command", "browse"),
}


def fail(message: str) -> None:
    sys.exit(f"package-check: FAILED: {message}")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def check_archives(dist: Path) -> None:
    wheels = sorted(dist.glob("*.whl"))
    sdists = sorted(dist.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        fail(f"expected one wheel and one sdist in {dist}, found {[p.name for p in (*wheels, *sdists)]}")
    with zipfile.ZipFile(wheels[0]) as wheel:
        names = wheel.namelist()
        metadata = wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    shipped_kit = [n for n in names if "fakes3" in n or n.startswith("tests/")]
    if shipped_kit:
        fail(f"the test kit is in the wheel: {shipped_kit}")
    with tarfile.open(sdists[0]) as sdist:
        in_sdist = {name.partition("/")[2] for name in sdist.getnames()}
    # The sdist's test suite is whole (MANIFEST.in): a packager can run it.
    lacking = [
        n for n in ("tests/conftest.py", "tests/support/__init__.py", "tests/support/fakes3.py") if n not in in_sdist
    ]
    if lacking:
        fail(f"the sdist's test suite lacks {lacking}")
    requires = [line.split(":", 1)[1].strip() for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    unconditional = [r for r in requires if "extra ==" not in r]
    leaked = [r for r in unconditional if normalise(re.split(r"[\s<>=!~;\[(]", r, maxsplit=1)[0]) in FORBIDDEN]
    if leaked:
        fail(f"the wheel requires optional dependencies without an extra: {leaked}")
    print(f"package-check: {wheels[0].name}: no test kit, base requires {unconditional}; {sdists[0].name}: whole tests")


def installed(venv: Path) -> list[str]:
    code = "import importlib.metadata as m; print('\\n'.join(sorted({d.metadata['Name'] for d in m.distributions()})))"
    out = subprocess.run([venv / "bin" / "python", "-c", code], check=True, capture_output=True, text=True).stdout
    return out.split()


def site_packages_bytes(venv: Path) -> int:
    (site,) = venv.glob("lib/python3*/site-packages")
    return sum(p.stat().st_size for p in site.rglob("*") if p.is_file() and not p.is_symlink())


def isolated_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON"))}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(home / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"),
        HOME=str(home),
    )
    return env


def run(venv: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin" / "s3sa"), *args], check=False, capture_output=True, text=True, env=env, timeout=120
    )


def seed(url: str) -> None:
    s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1")
    s3.create_bucket(Bucket="package-check")
    cloudwatch = boto3.client("cloudwatch", endpoint_url=url, region_name="us-east-1")
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for metric, storage_type, value, unit in (
        ("BucketSizeBytes", "StandardStorage", 123456789.0, "Bytes"),
        ("NumberOfObjects", "AllStorageTypes", 42.0, "Count"),
    ):
        dimensions = [{"Name": "BucketName", "Value": "package-check"}, {"Name": "StorageType", "Value": storage_type}]
        cloudwatch.put_metric_data(
            Namespace="AWS/S3",
            MetricData=[
                {"MetricName": metric, "Dimensions": dimensions, "Timestamp": midnight, "Value": value, "Unit": unit}
            ],
        )


def main(dist: Path, venv: Path) -> None:
    check_archives(dist)
    names = installed(venv)
    present = sorted(n for n in names if normalise(n) in FORBIDDEN)
    if present:
        fail(f"the base install pulled optional packages: {present}")
    if "s3-storage-analyser" not in {normalise(n) for n in names}:
        fail("the wheel is not installed in the clean venv")
    with tempfile.TemporaryDirectory() as home:
        env = isolated_env(Path(home))
        version = run(venv, env, "--version")
        if version.returncode != 0 or __version__ not in version.stdout:
            fail(f"s3sa --version: exit {version.returncode}: {version.stdout!r} {version.stderr!r}")
        print(f"package-check: {version.stdout.strip()}")

        for args, (feature, extra) in MISSING_EXTRA.items():
            done = run(venv, env, *args)
            want = f"error: {feature} needs the '{extra}' extra"
            hint = f"  hint: pip install 's3-storage-analyser[{extra}]'"
            lines = done.stderr.splitlines()
            if done.returncode != 2 or not lines or not lines[0].startswith(want) or hint not in lines:
                fail(f"s3sa {' '.join(args)}: exit {done.returncode}, stderr {done.stderr!r}")
            if "Traceback" in done.stderr:
                fail(f"s3sa {' '.join(args)} printed a traceback: {done.stderr!r}")
        print(f"package-check: {', '.join(' '.join(a) for a in MISSING_EXTRA)}: exit 2 naming their extra")

        endpoint = LocalEndpoint()
        endpoint.start()
        try:
            os.environ.update(isolated_env(Path(home)))  # boto3 in this process, for the seeding
            seed(endpoint.url)
            report = run(
                venv, env, "report", "--endpoint-url", endpoint.url, "--strategy", "cloudwatch", "--fmt", "tsv"
            )
        finally:
            endpoint.stop()
    rows = [line.split("\t") for line in report.stdout.splitlines()]
    row = next((r for r in rows if r and r[0] == "package-check"), None)
    if report.returncode != 0 or row is None or "123456789" not in row or "42" not in row:
        fail(f"CloudWatch report: exit {report.returncode}: {report.stdout!r} {report.stderr!r}")
    print(f"package-check: CloudWatch report against moto at {endpoint.url}: {row}")
    size = site_packages_bytes(venv)
    print(f"package-check: base install: {len(names)} distributions with pip and setuptools, {size / 2**20:.1f} MiB")
    print("package-check: OK")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: package_check.py DIST_DIR CLEAN_VENV")
    main(Path(sys.argv[1]), Path(sys.argv[2]))
