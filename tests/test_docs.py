"""README.md documents every command-line option, every exit code and the make targets.

These tests fail when a flag or an exit code is added to the code without a line
in README.md, so the documentation cannot silently fall behind.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from s3_storage_analyser import errors
from s3_storage_analyser.cli import main

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


def section(text: str, title: str) -> str:
    """The body of the Markdown section whose heading contains ``title``, up to the next heading of its level."""
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
