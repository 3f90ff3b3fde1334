"""The documentation (``docs/``, built with MkDocs, and README.md) keeps up with the tool.

These tests fail when a flag, a command, an exit code, a route of the service, a
Prometheus metric or a JSON key is added to the code without a word in the docs pages
(and, for routes, when the pages list one the service does not have); when the generated
command-line reference in ``docs/cli.md`` is stale or the hand-written tables there
disagree with the settings table; when README.md grows past a two-minute read or links to
a page that does not exist; and when user-facing text calls a release anything but its
version number ("0.1"). The examples are checked against real runs in test_docs_examples.py.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import click
import pytest

from s3_storage_analyser import errors
from s3_storage_analyser.cli import main
from s3_storage_analyser.model import BreakdownRow, Bucket, BucketReport, Failure, Snapshot, Usage

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
SRC = ROOT / "src" / "s3_storage_analyser"
README_MAX_LINES = 250


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cli_reference", DOCS / "hooks" / "cli_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cli_reference = _load_generator()


def pages() -> list[Path]:
    found = sorted(DOCS.glob("*.md"))
    assert len(found) >= 10, found  # guards every test below against passing vacuously
    return found


def handwritten(text: str) -> str:
    """``text`` without the generated reference block: what people wrote must cover the tool by itself."""
    start, end = text.find(cli_reference.BEGIN), text.find(cli_reference.END)
    return text if start < 0 else text[:start] + text[end + len(cli_reference.END) :]


def docs_text() -> str:
    """Every docs page, the generated command-line reference left out."""
    return "\n".join(handwritten(page.read_text(encoding="utf-8")) for page in pages())


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
    assert match is not None, f"the docs have no section titled {title!r}"
    level = len(match.group(1))
    rest = text[match.end() :]
    end = re.search(rf"^#{{1,{level}}} ", rest, flags=re.MULTILINE)
    return rest[: end.start()] if end else rest


# --- Commands, options and exit codes -------------------------------------------------------


def test_every_command_has_options() -> None:
    # Guards the parametrised test below against passing vacuously.
    assert main.commands, "the CLI group has no commands"
    assert {"report", "demo"} <= set(main.commands)
    assert len(documented_options()) > 10


@pytest.mark.parametrize(("command", "flag"), documented_options())
def test_option_is_documented(command: str, flag: str) -> None:
    assert mentions(docs_text(), flag), (
        f"no docs page mentions {flag} (option of {command!r}) outside the generated reference"
    )


def test_every_command_is_documented() -> None:
    text = docs_text()
    missing = [name for name in main.commands if not re.search(rf"s3-storage-analyser {re.escape(name)}\b", text)]
    assert not missing, f"the docs show no `s3-storage-analyser <command>` usage for: {missing}"


def test_exit_codes_are_documented() -> None:
    codes = exit_codes()
    assert {"EXIT_OK", "EXIT_FAILURE", "EXIT_USAGE", "EXIT_PARTIAL"} <= set(codes)
    body = section((DOCS / "errors.md").read_text(encoding="utf-8"), "Exit codes")
    rows = {int(code) for code in re.findall(r"^\|\s*`(\d+)`\s*\|", body, flags=re.MULTILINE)}
    missing = {name: value for name, value in codes.items() if value not in rows}
    assert not missing, f"docs/errors.md's exit code table has no row for: {missing}"


# --- The generated command-line reference -----------------------------------------------------


def test_generated_reference_is_current() -> None:
    """docs/cli.md keeps a copy of the generated reference for readers of the repository (the site
    regenerates it at build time); it must be what the code generates now."""
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    start, end = text.find(cli_reference.BEGIN), text.find(cli_reference.END)
    assert 0 <= start < end, "docs/cli.md has lost its generated reference block"
    kept = text[start : end + len(cli_reference.END)]
    assert kept == cli_reference.generate(), (
        "docs/cli.md's generated reference is stale: run `python docs/hooks/cli_reference.py --write`"
    )


def test_generated_reference_covers_every_option() -> None:
    block = cli_reference.generate()
    for name in main.commands:
        assert f"### `s3-storage-analyser {name}`" in block
    missing = [(command, flag) for command, flag in documented_options() if not mentions(block, flag)]
    assert not missing, missing
    # Facts come from the settings table: a declared range, env var and applicability each show.
    report = block.split("### `s3-storage-analyser report`")[1].split("### ")[0]
    days = next(line for line in report.splitlines() if line.startswith("| `--days`"))
    assert "1 to 455" in days and "`S3SA_DAYS`" in days and "`--strategy cloudwatch`" in days and "`3`" in days


def _handwritten_option_rows() -> list[dict[str, str]]:
    """The rows of docs/cli.md's hand-written option tables that have an `Env var` column, by header."""
    text = handwritten((DOCS / "cli.md").read_text(encoding="utf-8"))
    rows: list[dict[str, str]] = []
    header: list[str] | None = None
    for line in text.splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|(?=(?:[^`]*`[^`]*`)*[^`]*$)", line)[1:-1]]
        if header is None:
            header = cells
        elif not set(line) <= set("|-: ") and "Env var" in header:
            rows.append(dict(zip(header, cells, strict=False)))
    return rows


def test_handwritten_tables_agree_with_the_settings_table() -> None:
    """The hand-written tables of docs/cli.md (kept for their examples and explanations) say the same
    environment variable and default as the settings table declares."""
    settings: dict[str, Any] = cli_reference._settings_by_flag()
    rows = _handwritten_option_rows()
    checked = 0
    for row in rows:
        flag = row["Flag"].strip("`").split()[0]
        if flag not in settings:
            continue
        setting = settings[flag]
        env = re.fullmatch(r"`([A-Z0-9_]+)`", row["Env var"])  # `(AWS_...)` is botocore's, not ours
        assert (env.group(1) if env else None) == setting.envvar, (flag, row["Env var"], setting.envvar)
        literal = re.match(r"`([^`]+)`", row["Default"])
        if literal and isinstance(setting.default, str | int) and not isinstance(setting.default, bool):
            assert literal.group(1) == str(setting.default), (flag, row["Default"], setting.default)
            checked += 1
    assert len(rows) >= 20 and checked >= 6, (len(rows), checked)


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
    """The ``METHOD /path`` rows of the docs' endpoint tables (rows that start with one)."""
    rows = re.findall(r"^\|\s*`(GET|POST|PUT|PATCH|DELETE) (/[^`\s?]*)`", docs_text(), flags=re.MULTILINE)
    return {f"{method} {_normalise_route(path)}" for method, path in rows}


def test_every_route_is_documented(tmp_path: Path) -> None:
    routes = app_routes(tmp_path)
    assert len(routes) >= 10, routes  # guards against passing vacuously
    missing = routes - documented_routes()
    assert not missing, f"docs/service.md's endpoint table has no row for: {sorted(missing)}"


def test_no_documented_route_is_missing_from_the_app(tmp_path: Path) -> None:
    extra = documented_routes() - app_routes(tmp_path)
    assert not extra, f"the docs document routes the service does not have: {sorted(extra)}"


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
    text = (DOCS / "prometheus.md").read_text(encoding="utf-8") + (DOCS / "service.md").read_text(encoding="utf-8")
    missing = sorted(name for name in names if not mentions(text, name))
    assert not missing, f"docs/prometheus.md and docs/service.md do not mention the metrics: {missing}"


def test_every_json_key_is_documented() -> None:
    from s3_storage_analyser.render.jsonfmt import snapshot_dict

    document = snapshot_dict(_full_snapshot())
    keys = set(document) | set(document["Buckets"][0]) | set(document["Failures"][0])
    assert {"Breakdowns", "NoncurrentBytes", "IncompleteUploadBytes", "FilesByClass"} <= keys
    text = docs_text()
    missing = sorted(key for key in keys if f"`{key}`" not in text)
    assert not missing, f"the docs do not document the JSON keys: {missing}"


# --- README: short, and pointing into the docs ------------------------------------------------


def readme_text() -> str:
    return README.read_text(encoding="utf-8")


def test_readme_is_a_two_minute_read() -> None:
    lines = readme_text().count("\n")
    assert 100 <= lines <= README_MAX_LINES, f"README.md has {lines} lines: keep it to {README_MAX_LINES}"


@pytest.mark.parametrize("target", ["make test", "make demo"])
def test_make_targets_are_named(target: str) -> None:
    assert target in readme_text(), f"README.md does not name `{target}`"


@pytest.mark.parametrize("extra", ["service", "inventory", "demo", "all"])
def test_readme_shows_each_extra(extra: str) -> None:
    assert f"pip install 's3-storage-analyser[{extra}]'" in readme_text()


def _links(text: str) -> list[str]:
    return re.findall(r"\]\(([^)\s]+)\)", without_code_blocks(text))


def test_readme_links_reach_every_docs_page() -> None:
    """Every relative link of README resolves to a file of the repository, and every docs page is
    reachable from README (where to go next)."""
    targets = {link.split("#")[0] for link in _links(readme_text()) if not re.match(r"[a-z]+:", link)}
    missing = sorted(t for t in targets if not (ROOT / t).is_file())
    assert not missing, f"README.md links to files that do not exist: {missing}"
    unlinked = sorted(p.relative_to(ROOT).as_posix() for p in pages() if p.relative_to(ROOT).as_posix() not in targets)
    assert not unlinked, f"README.md does not link to: {unlinked}"


def test_nothing_links_outside_the_repository() -> None:
    """No link climbs out of the repository, and nothing points at files only the developers have."""
    for path in [README, *pages()]:
        text = path.read_text(encoding="utf-8")
        base = path.parent
        for link in _links(text):
            if re.match(r"[a-z]+:", link) or link.startswith("#"):
                continue
            resolved = (base / link.split("#")[0]).resolve()
            assert resolved.is_relative_to(ROOT), f"{path.name} links outside the repository: {link}"
        assert "DESIGN.md" not in text and "shared/" not in text, f"{path.name} points at a file outside the repository"


# --- Wording: releases are named by their version ---------------------------------------------

SEED = re.compile(r"\bseed\b|\bseed's\b|\bfirst (published )?version\b", re.IGNORECASE)


def _user_facing_strings() -> list[tuple[str, int, str]]:
    """(file, line, text) of every string literal in the package that is not a docstring: messages,
    hints, help, OpenAPI texts (docstrings and comments are for developers)."""
    found: list[tuple[str, int, str]] = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                found.append((path.relative_to(ROOT).as_posix(), node.lineno, node.value))
    return found


def test_user_facing_text_names_versions_not_a_seed() -> None:
    strings = _user_facing_strings()
    assert len(strings) > 200  # guards against passing vacuously
    offenders = [f"{file}:{line}: {text!r}" for file, line, text in strings if SEED.search(text)]
    for path in [README, *pages()]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if SEED.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "say 0.1 (the tool's own version), not 'the seed' or 'the first version':\n" + "\n".join(
        offenders
    )


def test_help_and_api_docs_name_versions_not_a_seed(tmp_path: Path) -> None:
    """Docstrings become user-facing text in two places: click's --help and the service's OpenAPI document."""
    import json

    from s3_storage_analyser.server.app import create_app
    from s3_storage_analyser.server.auth import AuthConfig
    from s3_storage_analyser.server.scanner import Scanner
    from s3_storage_analyser.store import Store

    texts = [main.help or "", *(command.help or "" for command in main.commands.values())]
    texts += [getattr(param, "help", None) or "" for command in main.commands.values() for param in command.params]
    store = Store(tmp_path / "history.sqlite3")
    try:
        scanner = Scanner(lambda: Snapshot("cloudwatch", datetime.now(UTC), ()), store, None)
        openapi = json.dumps(create_app(store, scanner, AuthConfig("token")).openapi())
    finally:
        store.close()
    assert "/api/v1/report" in openapi
    offenders = [text for text in [*texts, openapi] if SEED.search(text)]
    assert not offenders, offenders


def test_the_wording_check_can_fail() -> None:
    assert SEED.search("as in the seed") and SEED.search("the first version's format")
    assert not SEED.search("demo: seeding...") and not SEED.search("as in 0.1")
