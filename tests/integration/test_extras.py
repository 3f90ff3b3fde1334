"""Optional extras: a command that needs one that is missing says which to install (exit 2, no traceback),
and the base commands import none of them.

"Missing" is real to the process under test: the CLI runs in a subprocess of its own whose first meta-path
finder refuses the blocked modules as an absent package would (ModuleNotFoundError naming the module), so
neither ``importlib.util.find_spec`` nor ``import`` can reach them. ``make package-check`` does the same
check for real, with the wheel alone in a clean venv.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from s3_storage_analyser.extras import EXTRA_MODULES, MissingExtraError, install_hint, missing_module, needs
from support.aws import make_bucket, put_storage_metric

ALL_OPTIONAL = tuple(sorted({name for names in EXTRA_MODULES.values() for name in names}))

# argv: <comma-separated modules to block> <CLI arguments...>
WITHOUT = """
import sys

BLOCKED = frozenset(filter(None, sys.argv[1].split(",")))
ATTEMPTS = []


class Absent:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            ATTEMPTS.append(name)
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, Absent())
from s3_storage_analyser.cli import entry

code = entry(sys.argv[2:])
leaked = sorted(name for name in sys.modules if name.partition(".")[0] in BLOCKED)
print(f"attempted={','.join(ATTEMPTS)} leaked={','.join(leaked)}", file=sys.stderr)
sys.exit(code)
"""


def run_without(blocked: tuple[str, ...], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", WITHOUT, ",".join(blocked), *args]
    return subprocess.run(command, check=False, capture_output=True, text=True, timeout=120, env=dict(os.environ))


def expected_error(feature: str, extra: str, module: str) -> str:
    return (
        f"error: {feature} needs the '{extra}' extra ({module} is not installed).\n"
        f"  hint: pip install 's3-storage-analyser[{extra}]'\n"
    )


def error_lines(stderr: str) -> str:
    """stderr without the runner's own last line."""
    return "".join(line for line in stderr.splitlines(keepends=True) if not line.startswith("attempted="))


@pytest.mark.parametrize(
    ("blocked", "args", "feature", "extra", "module"),
    [
        (("duckdb",), ("report", "--strategy", "inventory"), "--strategy inventory", "inventory", "duckdb"),
        (("pyarrow",), ("report", "--strategy", "inventory"), "--strategy inventory", "inventory", "pyarrow"),
        (("fastapi", "uvicorn"), ("serve", "--port", "0"), "The serve command", "service", "fastapi"),
        (("uvicorn",), ("serve", "--port", "0"), "The serve command", "service", "uvicorn"),
        (("fastapi_offline",), ("serve", "--port", "0"), "The serve command", "service", "fastapi_offline"),
        (("moto",), ("demo",), "The demo command", "demo", "moto"),
        # Before bucket discovery: the endpoint (a closed port) is never called.
        (
            ("distributed",),
            ("report", "--strategy", "list", "--executor", "dask", "--endpoint-url", "http://127.0.0.1:9"),
            "--executor dask",
            "dask",
            "distributed",
        ),
        (("dask", "distributed"), ("advise", "--executor", "dask"), "--executor dask", "dask", "dask"),
        # Checked before serve binds or scans, and before demo starts its endpoint and seeds the account.
        (("duckdb",), ("demo", "--strategy", "inventory"), "--strategy inventory", "inventory", "duckdb"),
        (("duckdb",), ("serve", "--strategy", "inventory"), "--strategy inventory", "inventory", "duckdb"),
        (ALL_OPTIONAL, ("report", "--strategy", "inventory"), "--strategy inventory", "inventory", "duckdb"),
    ],
)
def test_a_missing_extra_is_named_with_its_pip_install(
    blocked: tuple[str, ...], args: tuple[str, ...], feature: str, extra: str, module: str
) -> None:
    done = run_without(blocked, *args)
    assert done.returncode == 2, done.stderr
    assert error_lines(done.stderr) == expected_error(feature, extra, module)
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


@pytest.mark.slow
def test_base_commands_import_no_extra(aws_url: str) -> None:
    """CloudWatch and listing reports, every base format and --version run with every extra's modules absent."""
    make_bucket(aws_url, "alpha")
    put_storage_metric(aws_url, "us-east-1", "alpha", "StandardStorage", 1234)
    put_storage_metric(aws_url, "us-east-1", "alpha", "AllStorageTypes", 3, metric="NumberOfObjects")
    runs = [
        ("--version",),
        ("report", "--endpoint-url", aws_url, "--strategy", "cloudwatch", "--fmt", "tsv"),
        ("report", "--endpoint-url", aws_url, "--strategy", "list", "--fmt", "json"),
        ("report", "--endpoint-url", aws_url, "--fmt", "prometheus"),
    ]
    for args in runs:
        done = run_without(ALL_OPTIONAL, *args)
        assert done.returncode == 0, (args, done.stderr)
        assert done.stderr.splitlines()[-1] == "attempted= leaked=", args
    done = run_without(ALL_OPTIONAL, "report", "--endpoint-url", aws_url, "--strategy", "cloudwatch", "--fmt", "tsv")
    assert "alpha" in done.stdout
    assert "1234" in done.stdout


def test_needs_translates_only_the_extras_own_modules() -> None:
    with pytest.raises(MissingExtraError) as caught, needs("inventory", "--strategy inventory"):
        raise ModuleNotFoundError("No module named 'pyarrow.dataset'", name="pyarrow.dataset")
    assert caught.value.exit_code == 2
    assert str(caught.value) == (
        "--strategy inventory needs the 'inventory' extra (pyarrow is not installed).\n"
        "  hint: pip install 's3-storage-analyser[inventory]'"
    )
    assert isinstance(caught.value.__cause__, ModuleNotFoundError)
    # Anything else is a bug in the tool or a broken environment: raised as it is.
    with pytest.raises(ModuleNotFoundError, match="no_such_module"), needs("inventory", "--strategy inventory"):
        raise ModuleNotFoundError("No module named 'no_such_module'", name="no_such_module")


def test_every_extra_is_installed_in_the_dev_environment() -> None:
    for extra in EXTRA_MODULES:
        assert missing_module(extra) is None, extra
    assert install_hint("all") == "pip install 's3-storage-analyser[all]'"
