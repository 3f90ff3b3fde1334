"""The browser: a header (where, how much), the current folder's rows, the selected entry's detail, keys.

Read-only by construction: it is given a ``FolderTree`` (plain data) and has no AWS client to call.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Static

from ..tree.model import Folder, FolderTree
from .folder_list import FolderList
from .help_screen import HelpScreen
from .rows import column_heading, detail_lines, detail_pending, folded_notice, header_lines
from .view import Browser, Entry, Kind, SortKey

KEYS_LINE = "Enter open  Left up  s/c/n sort  / filter  ? help  q quit"


class BrowseApp(App[None]):
    """ncdu for one bucket's folder tree. ``now`` fixes the ages shown (tests pass one)."""

    TITLE = "s3sa browse"
    CSS = """
    Screen { layout: vertical; }
    #location, #totals, #columns, #keys { height: 1; }
    #notice { height: auto; max-height: 2; color: $warning; }
    #columns { color: $text-muted; text-style: bold; }
    #detail { height: 3; border-top: none; color: $text; background: $boost; }
    #search { height: 1; border: none; padding: 0 1; display: none; }
    #search.active { display: block; }
    #keys { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),  # as any command line tool, even in the filter
        Binding("question_mark", "help", "Help"),
        Binding("s", "sort('size')", "Sort by size"),
        Binding("c", "sort('objects')", "Sort by objects"),
        Binding("n", "sort('name')", "Sort by name"),
        Binding("slash", "search", "Filter"),
        Binding("escape", "clear_search", "Clear the filter", show=False),
    ]

    def __init__(self, tree: FolderTree, *, now: datetime | None = None) -> None:
        super().__init__()
        self.folder_tree = tree
        self.now = now or datetime.now(UTC)
        self.browser = Browser(tree)

    def compose(self) -> ComposeResult:
        yield Static(id="location")
        yield Static(id="totals")
        notice = folded_notice(self.folder_tree)
        yield Static(notice or "", id="notice")
        yield Static(id="columns")
        yield FolderList(id="rows")
        yield Static(id="detail")
        yield Input(placeholder="filter this folder by name", id="search")
        yield Static(Text(KEYS_LINE), id="keys")

    def on_mount(self) -> None:
        if folded_notice(self.folder_tree) is None:
            self.query_one("#notice").display = False
        self.refresh_folder()
        self.query_one(FolderList).focus()

    def on_resize(self, event: events.Resize) -> None:
        self.query_one("#columns", Static).update(column_heading(self.browser, event.size.width))

    @property
    def rows(self) -> FolderList:
        return self.query_one(FolderList)

    def refresh_folder(self, cursor_on: Folder | None = None, cursor: int = 0) -> None:
        """Show the current folder; the cursor on ``cursor_on`` (an entry's folder) when it is listed."""
        entries = self.browser.entries()
        if cursor_on is not None:
            cursor = next((i for i, e in enumerate(entries) if e.folder is cursor_on and e.kind is Kind.FOLDER), 0)
        location, totals = header_lines(self.browser)
        self.query_one("#location", Static).update(location)
        self.query_one("#totals", Static).update(totals)
        self.query_one("#columns", Static).update(column_heading(self.browser, self.size.width or 80))
        whole = self.browser.sum_of(self.browser.current)[1]
        self.rows.show(entries, whole, cursor)
        self.show_detail(self.rows.highlighted)

    def show_detail(self, entry: Entry | None) -> None:
        """The entry's detail; for a large subtree not summed yet, its totals now and the rest once drawn."""
        detail = self.query_one("#detail", Static)
        if entry is None or self.browser.details_ready(entry):
            detail.update(detail_lines(self.browser, entry, self.now))
            return
        detail.update(detail_pending(self.browser, entry))
        self.call_after_refresh(self._fill_detail, entry)

    def _fill_detail(self, entry: Entry) -> None:
        if self.rows.highlighted is entry:  # the cursor may have moved on: that entry's detail is due instead
            self.query_one("#detail", Static).update(detail_lines(self.browser, entry, self.now))

    def on_folder_list_highlighted(self, message: FolderList.Highlighted) -> None:
        self.show_detail(message.entry)

    def on_folder_list_opened(self, message: FolderList.Opened) -> None:
        left = self.browser.current
        if message.entry.kind is Kind.PARENT:
            self.browser.up()
            self._close_search()
            self.refresh_folder(cursor_on=left)
        elif self.browser.open(message.entry):
            self._close_search()
            self.refresh_folder(cursor=self.browser.first_row())

    def on_folder_list_left(self, _message: FolderList.Left) -> None:
        left = self.browser.up()
        if left is not None:
            self._close_search()
            self.refresh_folder(cursor_on=left)

    def action_sort(self, key: str) -> None:
        selected = self.rows.highlighted
        self.browser.sort_by(SortKey(key))
        self.refresh_folder(cursor=self.browser.index_of(selected))

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.add_class("active")
        search.value = self.browser.filter
        search.focus()

    def action_clear_search(self) -> None:
        self._close_search()
        if self.browser.filter:
            self.browser.filter = ""
            self.refresh_folder()

    def _close_search(self) -> None:
        search = self.query_one("#search", Input)
        search.remove_class("active")
        self.rows.focus()

    def on_input_changed(self, message: Input.Changed) -> None:
        if message.input.has_class("active") and message.value != self.browser.filter:
            self.browser.filter = message.value
            self.refresh_folder()

    def on_input_submitted(self, _message: Input.Submitted) -> None:
        self._close_search()
