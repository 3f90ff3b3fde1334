"""The package's layers, read from its source: no import cycle, and imports that run one way.

Module-level imports (outside ``if TYPE_CHECKING``) must form no cycle, so any module
can be imported alone, first. Lazy imports inside functions count for the direction
rules (a server module never imports the CLI, even lazily).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = "s3_storage_analyser"
SRC = Path(__file__).resolve().parents[2] / "src" / PACKAGE


def _module_name(path: Path) -> str:
    parts = [PACKAGE, *path.relative_to(SRC).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The package's modules an import statement loads."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name.startswith(PACKAGE)}
    if node.level:
        package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{node.module}" if node.module else package
    else:
        base = node.module or ""
    if not base.startswith(PACKAGE):
        return set()
    found = {base}
    found |= {f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES}
    return found


def imports(module: str, *, eager_only: bool) -> set[str]:
    """What ``module`` imports from the package: at import time only, or anywhere in it."""
    tree = ast.parse(MODULES[module].read_text())
    found: set[str] = set()

    def visit(nodes: list[ast.stmt], top: bool) -> None:
        for node in nodes:
            if isinstance(node, ast.Import | ast.ImportFrom):
                if top or not eager_only:
                    found.update(_targets(module, node))
            elif isinstance(node, ast.If) and _is_type_checking(node):
                continue
            elif isinstance(node, ast.If | ast.Try | ast.With):
                for field in ("body", "orelse", "finalbody", "handlers"):
                    for child in getattr(node, field, []):
                        visit(child.body if isinstance(child, ast.ExceptHandler) else [child], top)
            elif not eager_only:
                for child in ast.walk(node):
                    if isinstance(child, ast.Import | ast.ImportFrom):
                        found.update(_targets(module, child))

    visit(tree.body, True)
    # importing a.b.c runs a/__init__ and a/b/__init__ first (the module's own packages already ran)
    own = {module.rsplit(".", i)[0] for i in range(1, module.count(".") + 1)}
    for target in list(found):
        parts = target.split(".")
        found |= {".".join(parts[:i]) for i in range(1, len(parts))} - own
    found.discard(module)
    return {m for m in found if m in MODULES}


def test_the_import_graph_reads_real_edges() -> None:
    """The parser finds the edges it is meant to (else the tests below prove nothing)."""
    assert f"{PACKAGE}.config" in imports(f"{PACKAGE}.cli", eager_only=True)
    assert f"{PACKAGE}.report" in imports(f"{PACKAGE}.server.run", eager_only=True)
    assert f"{PACKAGE}.server.run" in imports(f"{PACKAGE}.cli", eager_only=False)
    assert f"{PACKAGE}.server.run" not in imports(f"{PACKAGE}.cli", eager_only=True)  # a lazy import


def test_no_import_cycle() -> None:
    graph = {m: imports(m, eager_only=True) for m in MODULES}
    state: dict[str, int] = {}  # 1 visiting, 2 done
    stack: list[str] = []

    def walk(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                walk(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module)


def _under(prefix: str) -> list[str]:
    name = f"{PACKAGE}.{prefix}"
    return [m for m in MODULES if m == name or m.startswith(name + ".")]


@pytest.mark.parametrize(
    ("importer", "forbidden"),
    [
        ("model", ("",)),  # the bottom: nothing from the package
        ("errors", ("",)),
        ("aggregate", ("aws", "config", "report", "cli", "server", "listing", "inventory", "strategies", "render")),
        ("config", ("report", "cli", "server")),
        ("progress", ("listing", "strategies", "report", "cli", "server")),  # the display reads model's Progress
        ("report", ("cli", "server")),
        ("server", ("cli",)),
        ("strategies", ("cli", "report", "server")),
        ("listing", ("cli", "config", "report", "server", "render")),
        ("inventory", ("cli", "report", "server", "render")),
        ("render", ("cli", "config", "report", "server", "strategies", "listing", "inventory", "aws")),
    ],
)
def test_imports_run_one_way(importer: str, forbidden: tuple[str, ...]) -> None:
    """cli -> config, report; server -> report -> config -> the data layers; model at the bottom."""
    bad = set()
    for module in _under(importer):
        for target in imports(module, eager_only=False):
            if target == PACKAGE:
                continue  # __init__: the version string only
            if target.startswith(f"{PACKAGE}.{importer}"):
                continue  # within the layer
            for name in forbidden:
                if name == "" or target == f"{PACKAGE}.{name}" or target.startswith(f"{PACKAGE}.{name}."):
                    bad.add(f"{module} imports {target}")
    assert not bad, sorted(bad)


def test_only_the_cli_imports_the_cli() -> None:
    importers = sorted(
        m for m in MODULES if f"{PACKAGE}.cli" in imports(m, eager_only=False) and m != f"{PACKAGE}.__main__"
    )
    assert importers == []


# botocore's errors are translated in aws (and raised as its own by the raw listing client); inventory.fields
# reads botocore's S3 model for field names, and catches nothing of botocore's.
BOTOCORE_MODULES = {f"{PACKAGE}.aws", f"{PACKAGE}.listing.rawclient", f"{PACKAGE}.inventory.fields"}
DUCKDB_MODULES = {f"{PACKAGE}.inventory.analyse"}


def _source_modules_matching(pattern: str) -> set[str]:
    return {m for m, path in MODULES.items() if re.search(pattern, path.read_text(), re.MULTILINE)}


def test_foreign_errors_are_translated_at_their_boundary() -> None:
    assert _source_modules_matching(r"^\s*(import|from) botocore") == BOTOCORE_MODULES
    assert _source_modules_matching(r"ClientError|BotoCoreError|\bbex\.") <= {
        f"{PACKAGE}.aws",
        f"{PACKAGE}.listing.rawclient",
    }
    assert _source_modules_matching(r"^\s*(import|from) duckdb") == DUCKDB_MODULES
    assert _source_modules_matching(r"duckdb\.\w*Error") == DUCKDB_MODULES
