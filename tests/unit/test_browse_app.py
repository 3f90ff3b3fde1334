"""The browser driven headlessly with Textual's pilot at 80x24, as a user would: what the screen says after each key.

The screen is read as text from Textual's compositor (every cell, as drawn); the first screen is compared
whole with a golden file (tests/golden/browse/, ``UPDATE_GOLDEN=1`` rewrites it), the rest by the lines
that matter. Ages are seen from a fixed ``now``, so the text is the same on every run.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

pytest.importorskip("textual")

from textual.pilot import Pilot

from s3_storage_analyser.browse.app import BrowseApp
from s3_storage_analyser.browse.help_screen import HelpScreen
from s3_storage_analyser.browse.view import QUICK_FOLDERS, Browser
from s3_storage_analyser.tree.model import Folder, FolderTree
from s3_storage_analyser.units import humanise
from support.browse_trees import random_tree, small_tree
from support.golden import golden

NOW = datetime(2026, 11, 30, tzinfo=UTC)
SIZE = (80, 24)


def screen_text(app: BrowseApp) -> str:
    """What the terminal shows, one line per row, trailing blanks cut."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text.rstrip() for strip in strips)


def row_names(app: BrowseApp) -> list[str]:
    """The names in the list, top to bottom, as drawn (the last column of each row)."""
    return [entry.name for entry in app.rows.entries]


@asynccontextmanager
async def browsing(tree: FolderTree | None = None) -> AsyncIterator[tuple[BrowseApp, Pilot[None]]]:
    app = BrowseApp(tree or small_tree(), now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        yield app, pilot


async def press(pilot: Pilot[None], *keys: str) -> None:
    await pilot.press(*keys)
    await pilot.pause()


def pilot_test(scenario: Callable[[], Coroutine[Any, Any, None]]) -> Callable[[], None]:
    """A plain test that runs the async scenario in its own event loop (no pytest async plugin needed), on a
    thread of its own: the browser tests' session-wide Playwright (sync API) keeps an event loop running on
    the main thread of the same pytest worker, where ``asyncio.run`` refuses to start another."""

    def run() -> None:
        failures: list[BaseException] = []

        def scenario_in_own_loop() -> None:
            try:
                asyncio.run(scenario())
            except BaseException as exc:  # handed to the test's thread, raised there
                failures.append(exc)

        thread = threading.Thread(target=scenario_in_own_loop, name="pilot")
        thread.start()
        thread.join()
        if failures:
            raise failures[0]

    run.__doc__ = scenario.__doc__
    return run


@pilot_test
async def test_first_screen_at_80x24() -> None:
    async with browsing() as (app, _pilot):
        text = screen_text(app)
    assert len(text.splitlines()) == 24
    golden("browse/first_screen.txt", text + "\n")
    lines = text.splitlines()
    assert lines[0] == "s3sa browse s3://photos/"
    assert lines[1] == "Total 4.2 GiB (4,524,001,007 B) in 9,054 objects, 7 folders below"
    assert "deeper folders folded into 1 folder, marked *" in lines[2]
    # Largest first, each with its share and its count with everything below it; the folded one marked.
    assert lines[4].split() == ["4.2", "GiB", "99.5%", "[##########]", "45", "2024/"]
    assert lines[6].split() == ["8.6", "MiB", "0.2%", "[", "]", "9,000", "*", "logs/"]
    assert "2024/: 4.2 GiB (4,500,000,000 B) in 45 objects, 1 folder below" in text
    assert "STANDARD_IA 477 MiB 11% (5), DEEP_ARCHIVE 3.7 GiB 89% (40)" in text
    assert "newest object 2024-07-01 (2 years ago), oldest 2024-01-01 (2 years ago)" in text


@pilot_test
async def test_a_hostile_name_is_shown_as_text() -> None:
    """Markup and control characters in a key are shown, never obeyed: the screen holds no raw escape."""
    async with browsing() as (app, pilot):
        await press(pilot, "end")
        text = screen_text(app)
    assert "evil\\x1b[31m[bold red]x[/]\\u202e/" in text
    assert "\x1b" not in text and "\u202e" not in text


@pilot_test
async def test_in_and_out_of_folders() -> None:
    async with browsing() as (app, pilot):
        await press(pilot, "enter")  # the cursor starts on the largest: 2024/
        text = screen_text(app)
        assert text.splitlines()[0] == "s3sa browse s3://photos/2024/"
        assert "Total 4.2 GiB (4,500,000,000 B) in 45 objects, 1 folder below" in text
        assert row_names(app) == ["..", "raw/", "(files)"]
        assert app.rows.cursor == 1  # past "..", on the first entry, as ncdu
        await press(pilot, "right")
        assert screen_text(app).splitlines()[0] == "s3sa browse s3://photos/2024/raw/"
        assert row_names(app) == ["..", "(files)"]
        await press(pilot, "right")  # "(files)" is not a folder: nothing happens
        assert screen_text(app).splitlines()[0] == "s3sa browse s3://photos/2024/raw/"
        await press(pilot, "backspace")
        assert screen_text(app).splitlines()[0] == "s3sa browse s3://photos/2024/"
        assert app.rows.highlighted is not None and app.rows.highlighted.name == "raw/"  # back on where we were
        await press(pilot, "home", "enter")  # ".." goes up too
        assert screen_text(app).splitlines()[0] == "s3sa browse s3://photos/"
        assert app.rows.highlighted is not None and app.rows.highlighted.name == "2024/"
        await press(pilot, "left")  # at the root: stays
        assert screen_text(app).splitlines()[0] == "s3sa browse s3://photos/"


@pilot_test
async def test_each_sort_key_and_its_reverse() -> None:
    by_size = ["2024/", "2023/", "logs/", "(files)", "evil\x1b[31m[bold red]x[/]\u202e/"]
    async with browsing() as (app, pilot):
        assert row_names(app) == by_size
        await press(pilot, "s")
        assert row_names(app) == by_size[::-1]
        await press(pilot, "c")  # objects, most first
        assert row_names(app) == ["logs/", "2024/", "2023/", "(files)", "evil\x1b[31m[bold red]x[/]\u202e/"]
        assert "Objects v" in screen_text(app)
        await press(pilot, "c")
        assert row_names(app)[0] == "evil\x1b[31m[bold red]x[/]\u202e/"
        assert "Objects ^" in screen_text(app)
        await press(pilot, "n")  # names A to Z
        assert row_names(app) == ["(files)", "2023/", "2024/", "evil\x1b[31m[bold red]x[/]\u202e/", "logs/"]
        await press(pilot, "n")
        assert row_names(app) == ["logs/", "evil\x1b[31m[bold red]x[/]\u202e/", "2024/", "2023/", "(files)"]
        assert "Name v" in screen_text(app)


@pilot_test
async def test_the_cursor_stays_on_its_entry_when_sorted() -> None:
    async with browsing() as (app, pilot):
        await press(pilot, "down", "down")
        assert app.rows.highlighted is not None and app.rows.highlighted.name == "logs/"
        await press(pilot, "n")
        assert app.rows.highlighted is not None and app.rows.highlighted.name == "logs/"
        assert "logs/: 8.6 MiB (9,000,000 B) in 9,000 objects" in screen_text(app)


@pilot_test
async def test_filter_by_name() -> None:
    async with browsing() as (app, pilot):
        await press(pilot, "slash", "2", "0", "q")  # q is typed into the filter, not a quit
        assert row_names(app) == []
        assert "(no name matches the filter)" in screen_text(app)
        await press(pilot, "backspace")
        assert row_names(app) == ["2024/", "2023/"]
        await press(pilot, "enter")  # keeps the filter, back to the list
        assert "filter: '20'" in screen_text(app)
        await press(pilot, "down", "enter")
        assert screen_text(app).splitlines()[0] == "s3sa browse s3://photos/2023/"
        assert row_names(app) == ["..", "jan/", "feb/"]  # a folder opened shows all its entries
        await press(pilot, "left", "slash", "L", "O", "G")  # case-insensitive
        assert row_names(app) == ["logs/"]
        await press(pilot, "escape")  # clears it
        assert len(row_names(app)) == 5
        assert "filter:" not in screen_text(app)


@pilot_test
async def test_help_screen_opens_and_closes() -> None:
    async with browsing() as (app, pilot):
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert "s   sort by size      c   sort by objects      n   sort by name" in text
        assert "Press Esc, q or ? to close this help." in text
        await press(pilot, "q")  # closes the help, does not quit
        assert not isinstance(app.screen, HelpScreen)
        assert app.is_running


@pilot_test
async def test_q_quits() -> None:
    async with browsing() as (app, pilot):
        await press(pilot, "q")
        assert not app.is_running
    assert app.return_code == 0


@pilot_test
async def test_ctrl_c_quits_even_from_the_filter() -> None:
    async with browsing() as (app, pilot):
        await press(pilot, "slash", "x", "ctrl+c")
        assert not app.is_running


@pilot_test
async def test_a_complete_tree_says_nothing_of_folding() -> None:
    root = Folder("", objects={"STANDARD": 1}, bytes={"STANDARD": 5})
    async with browsing(FolderTree("b", root, prefix="some/prefix/")) as (app, _pilot):
        text = screen_text(app)
    assert text.splitlines()[0] == "s3sa browse s3://b/some/prefix/"
    assert "folded" not in text.lower()
    assert text.splitlines()[3].split() == ["5", "B", "100.0%", "[##########]", "1", "(files)"]


@pilot_test
async def test_a_large_folder_scrolls_to_its_end() -> None:
    """5,000 folders in one: End reaches the smallest, PgUp pages back; only the visible rows are drawn."""
    tree = random_tree(20_000, 5_000, depth=1)
    async with browsing(tree) as (app, pilot):
        entries = app.rows.entries
        assert len(entries) == 5_001  # and "(files)"
        sizes = [e.bytes for e in entries]
        assert sizes == sorted(sizes, reverse=True)
        await press(pilot, "end")
        last = entries[-1]
        lines = screen_text(app).splitlines()
        assert any(line.endswith(last.name) for line in lines[4:20])
        assert app.rows.cursor == 5_000
        await press(pilot, "pageup")
        assert app.rows.cursor < 5_000 - 10
        await press(pilot, "home")
        assert screen_text(app).splitlines()[3].endswith(entries[0].name)


@pilot_test
async def test_a_narrow_terminal_cuts_names_not_numbers() -> None:
    app = BrowseApp(small_tree(), now=NOW)
    async with app.run_test(size=(56, 20)) as pilot:
        await pilot.pause()
        lines = screen_text(app).splitlines()
        assert len(lines) == 20 and all(len(line) <= 56 for line in lines)
        assert "deeper folders folded into 1 folder" in " ".join(lines[2:4])  # the notice wraps, whole
        assert any(line.split() == ["4.2", "GiB", "99.5%", "[##########]", "45", "2024/"] for line in lines)
        assert any(line.endswith("1   evil\\x1b[31~") for line in lines)  # the name cut to the width left, marked
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert any(line.endswith("1   evil\\x1b[31m[bold red]x[/]\\u202e/") for line in screen_text(app).splitlines())


@pilot_test
async def test_the_detail_of_a_large_subtree_follows_the_first_screen() -> None:
    """A subtree past QUICK_FOLDERS is summed per class once the screen is drawn, and only for the entry still
    under the cursor; what it then shows is the walk's truth."""
    big = random_tree(30_000, QUICK_FOLDERS + 500, depth=6).root
    big.name = "big/"
    small = Folder("small/", objects={"STANDARD": 1}, bytes={"STANDARD": 1})
    tree = FolderTree("b", Folder("", children={"big/": big, "small/": small}))
    async with browsing(tree) as (app, pilot):
        entry = app.rows.highlighted
        assert entry is not None and entry.name == "big/"
        assert not Browser(tree).details_ready(entry)  # too large to sum while a key is answered
        await pilot.pause()
        assert app.browser.details_ready(entry)  # summed once drawn, and kept
        truth = big.totals()
        text = screen_text(app)
        assert "summing per storage class" not in text
        assert f"big/: {humanise(truth.total_bytes)} ({truth.total_bytes:,} B) in 30,000 objects" in text
        standard = truth.bytes["STANDARD"]
        assert f"STANDARD {humanise(standard)} {standard / truth.total_bytes * 100:.0f}%" in text
