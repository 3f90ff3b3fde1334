"""README.md documents every command-line option, exit code, HTTP route, metric and JSON key.

These tests fail when a flag, an exit code, a route of the service, a Prometheus
metric or a JSON key is added to the code without a line in README.md (and, for
routes, when README.md lists one the service does not have), so the
documentation cannot silently fall behind.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import click
import pytest

from s3_storage_analyser import errors
from s3_storage_analyser.aggregate import BreakdownRow
from s3_storage_analyser.cli import main
from s3_storage_analyser.model import Bucket, BucketReport, Failure, Snapshot, Usage

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_text() -> str:
    return README.read_text(encoding="utf-8")


def long_flags(command: click.Command) -> list[str]:
    """Every ``--long`` name of the command's options (including ``--no-x`` forms)."""
    flags: list[str] = []
    for param in command.params:
        if isinstance(param, click.Option):
            flags += [name for name in (*param.opts, *param.secondary_opts) if name.startswith("--")]
    return flags


def documented_options() -> list[tuple[str, str]]:
    """(command name, flag) for the group itself and each of its sub-commands."""
    pairs = [("(main)", flag) for flag in long_flags(main)]
    for name, command in sorted(main.commands.items()):
        pairs += [(name, flag) for flag in long_flags(command)]
    return pairs


def mentions(text: str, flag: str) -> bool:
    """``flag`` appears as a whole token (``--prefix`` is not satisfied by ``--prefixes``)."""
    return re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text) is not None


def exit_codes() -> dict[str, int]:
    return {name: value for name, value in vars(errors).items() if name.startswith("EXIT_") and isinstance(value, int)}


def without_code_blocks(text: str) -> str:
    """``text`` with every fenced code block blanked out (``# HELP`` or ``# crontab`` lines are not headings)."""
    return re.sub(r"^```.*?^```[^\n]*$", "", text, flags=re.MULTILINE | re.DOTALL)


def section(text: str, title: str) -> str:
    """The body of the Markdown section whose heading contains ``title``, up to the next heading of its level."""
    text = without_code_blocks(text)
    match = re.search(rf"^(#+) [^\n]*{re.escape(title)}[^\n]*$", text, flags=re.MULTILINE | re.IGNORECASE)
    assert match is not None, f"README.md has no section titled {title!r}"
    level = len(match.group(1))
    rest = text[match.end() :]
    end = re.search(rf"^#{{1,{level}}} ", rest, flags=re.MULTILINE)
    return rest[: end.start()] if end else rest


def test_every_command_has_options() -> None:
    # Guards the parametrised test below against passing vacuously.
    assert main.commands, "the CLI group has no commands"
    assert {"report", "demo"} <= set(main.commands)
    assert len(documented_options()) > 10


@pytest.mark.parametrize(("command", "flag"), documented_options())
def test_option_is_documented(command: str, flag: str) -> None:
    assert mentions(readme_text(), flag), f"README.md does not mention {flag} (option of {command!r})"


def test_every_command_is_documented() -> None:
    text = readme_text()
    missing = [name for name in main.commands if not re.search(rf"s3-storage-analyser {re.escape(name)}\b", text)]
    assert not missing, f"README.md shows no `s3-storage-analyser <command>` usage for: {missing}"


def test_exit_codes_are_documented() -> None:
    codes = exit_codes()
    assert {"EXIT_OK", "EXIT_FAILURE", "EXIT_USAGE", "EXIT_PARTIAL"} <= set(codes)
    body = section(readme_text(), "Exit codes")
    rows = {int(code) for code in re.findall(r"^\|\s*`(\d+)`\s*\|", body, flags=re.MULTILINE)}
    missing = {name: value for name, value in codes.items() if value not in rows}
    assert not missing, f"README.md's exit code table has no row for: {missing}"


@pytest.mark.parametrize("target", ["make test", "make demo"])
def test_make_targets_are_named(target: str) -> None:
    assert target in readme_text(), f"README.md does not name `{target}`"


# --- The service's HTTP routes --------------------------------------------------------------

# FastAPI's helper page for Swagger UI's OAuth2 flow: part of /docs, not an endpoint of its own.
UNDOCUMENTED_ROUTES = {"/docs/oauth2-redirect"}


def _normalise_route(path: str) -> str:
    """``/api/v1/snapshots/{snapshot_id}`` and ``/api/v1/snapshots/{id}`` name the same route."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def app_routes(tmp_path: Path) -> set[str]:
    """Every ``METHOD /path`` the service's app answers (HEAD left out: it mirrors GET)."""
    from s3_storage_analyser.server.app import create_app
    from s3_storage_analyser.server.auth import AuthConfig
    from s3_storage_analyser.server.scanner import Scanner
    from s3_storage_analyser.store import Store

    store = Store(tmp_path / "history.sqlite3")
    try:
        scanner = Scanner(lambda: Snapshot("cloudwatch", datetime.now(UTC), ()), store, None)
        app = create_app(store, scanner, AuthConfig("token"))
        routes: set[str] = set()
        for route in app.routes:
            path = getattr(route, "path", None)
            methods = getattr(route, "methods", None) or set()
            if path is None or path in UNDOCUMENTED_ROUTES:
                continue
            routes |= {f"{method} {_normalise_route(path)}" for method in methods - {"HEAD"}}
        return routes
    finally:
        store.close()


def documented_routes() -> set[str]:
    """The ``METHOD /path`` rows of README.md's endpoint table (rows that start with one)."""
    rows = re.findall(r"^\|\s*`(GET|POST|PUT|PATCH|DELETE) (/[^`\s?]*)`", readme_text(), flags=re.MULTILINE)
    return {f"{method} {_normalise_route(path)}" for method, path in rows}


def test_every_route_is_documented(tmp_path: Path) -> None:
    routes = app_routes(tmp_path)
    assert len(routes) >= 10, routes  # guards against passing vacuously
    missing = routes - documented_routes()
    assert not missing, f"README.md's endpoint table has no row for: {sorted(missing)}"


def test_no_documented_route_is_missing_from_the_app(tmp_path: Path) -> None:
    extra = documented_routes() - app_routes(tmp_path)
    assert not extra, f"README.md documents routes the service does not have: {sorted(extra)}"


# --- Prometheus metrics and JSON keys -------------------------------------------------------


def _full_snapshot() -> Snapshot:
    """A snapshot that exercises every optional field: per-class counts, hidden costs, breakdowns, a failure."""
    usage = Usage(
        objects=3,
        bytes_by_class={"STANDARD": 100, "GLACIER": 50},
        objects_by_class={"STANDARD": 2, "GLACIER": 1},
        storage_types={"StandardStorage": 100},
        noncurrent_objects_by_class={"STANDARD": 1},
        noncurrent_bytes_by_class={"STANDARD": 10},
        delete_markers=1,
        incomplete_uploads=1,
        incomplete_upload_parts=2,
        incomplete_upload_bytes=20,
        oldest_incomplete_upload=datetime(2026, 1, 1, tzinfo=UTC),
        measured=frozenset({"versions", "uploads"}),
        breakdowns=(
            BreakdownRow("prefix", "logs/", 3, 150),
            BreakdownRow("top", "logs/a", 1, 100, "STANDARD", "2026-01-01T00:00:00.000Z"),
        ),
    )
    report = BucketReport(Bucket("b", "us-east-1", datetime(2026, 1, 1, tzinfo=UTC)), usage, date(2026, 1, 2))
    return Snapshot(
        strategy="list",
        taken_at=datetime(2026, 1, 2, tzinfo=UTC),
        buckets=(report,),
        failures=(Failure("c", "us-east-1", "list-objects", "AccessDenied", "denied"),),
        breakdowns=("prefix", "top"),
    )


def exposed_metrics() -> set[str]:
    """The name of every metric family the report and the service's /metrics can expose."""
    from prometheus_client.exposition import generate_latest
    from prometheus_client.registry import CollectorRegistry

    from s3_storage_analyser.render.prometheus import render
    from s3_storage_analyser.server.metrics import HealthCollector
    from s3_storage_analyser.server.scanner import ScanHealth

    registry = CollectorRegistry(auto_describe=False)
    registry.register(HealthCollector(ScanHealth(last_success=1.0, last_duration=1.0, failures=1, scans=2)))
    text = render(_full_snapshot()) + generate_latest(registry).decode("utf-8")
    return set(re.findall(r"^# TYPE (\S+) ", text, flags=re.MULTILINE))


def test_every_metric_is_documented() -> None:
    names = exposed_metrics()
    assert {"s3_bucket_size_bytes", "s3_bucket_incomplete_uploads", "s3_analyser_scans_total"} <= names
    missing = sorted(name for name in names if not mentions(readme_text(), name))
    assert not missing, f"README.md does not mention the metrics: {missing}"


def test_every_json_key_is_documented() -> None:
    from s3_storage_analyser.render.jsonfmt import snapshot_dict

    document = snapshot_dict(_full_snapshot())
    keys = set(document) | set(document["Buckets"][0]) | set(document["Failures"][0])
    assert {"Breakdowns", "NoncurrentBytes", "IncompleteUploadBytes", "FilesByClass"} <= keys
    text = readme_text()
    missing = sorted(key for key in keys if f"`{key}`" not in text)
    assert not missing, f"README.md does not document the JSON keys: {missing}"
