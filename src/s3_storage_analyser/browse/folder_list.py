"""The current folder's rows as a virtualised list: only the visible lines are drawn.

Textual's DataTable took ~27 s to show 100,000 rows on this project's 2-core machine (it measures
every cell); this widget, built on Textual's Line API (``ScrollView.render_line``), draws the ~20
lines on screen from the sorted entries, so a folder of any size opens as fast as it sorts.
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from .rows import row_columns
from .view import Entry


class FolderList(ScrollView, can_focus=True):
    """Rows of entries with a cursor; Enter/Right asks to open, Left/Backspace to go up (the app decides)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"folder-list--cursor", "folder-list--bar"}
    DEFAULT_CSS = """
    FolderList { height: 1fr; }
    FolderList > .folder-list--cursor { background: $accent; color: $text; text-style: bold; }
    FolderList:blur > .folder-list--cursor { background: $accent 50%; }
    FolderList > .folder-list--bar { color: $success; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("enter,right,l", "open", "Open", show=False),
        Binding("left,backspace,h", "leave", "Up a level", show=False),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)

    class Highlighted(Message):
        """The cursor is on another entry (or on none)."""

        def __init__(self, entry: Entry | None) -> None:
            super().__init__()
            self.entry = entry

    class Opened(Message):
        def __init__(self, entry: Entry) -> None:
            super().__init__()
            self.entry = entry

    class Left(Message):
        """Go up one level."""

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.entries: list[Entry] = []
        self.whole_bytes = 0

    def show(self, entries: list[Entry], whole_bytes: int, cursor: int = 0) -> None:
        """Show these entries (shares are of ``whole_bytes``) with the cursor on ``cursor``."""
        self.entries = entries
        self.whole_bytes = whole_bytes
        self.virtual_size = Size(self.size.width, len(entries))
        self.scroll_to(y=0, animate=False, immediate=True)
        self.cursor = self._clamp(cursor)
        self.refresh()

    @property
    def highlighted(self) -> Entry | None:
        return self.entries[self.cursor] if 0 <= self.cursor < len(self.entries) else None

    def _clamp(self, index: int) -> int:
        return max(0, min(index, len(self.entries) - 1))

    def watch_cursor(self, old: int, new: int) -> None:
        self._keep_visible(new)
        self.refresh()
        self.post_message(self.Highlighted(self.highlighted))

    def _keep_visible(self, index: int) -> None:
        height = max(1, self.scrollable_content_region.height)
        top = round(self.scroll_offset.y)
        if index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False, immediate=True)

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self.entries))
        self._keep_visible(self.cursor)

    def action_move(self, step: int) -> None:
        self.cursor = self._clamp(self.cursor + step)

    def action_page(self, direction: int) -> None:
        self.cursor = self._clamp(self.cursor + direction * max(1, self.scrollable_content_region.height - 1))

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = self._clamp(len(self.entries) - 1)

    def action_open(self) -> None:
        entry = self.highlighted
        if entry is not None:
            self.post_message(self.Opened(entry))

    def action_leave(self) -> None:
        self.post_message(self.Left())

    def on_click(self, event: events.Click) -> None:
        index = round(self.scroll_offset.y) + event.y
        if 0 <= index < len(self.entries):
            self.cursor = index
            if event.chain > 1:
                self.action_open()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = round(self.scroll_offset.y) + y
        base = self.rich_style
        if index >= len(self.entries):
            return Strip.blank(width, base)
        size, part, bar, objects, flag, name = row_columns(self.entries[index], self.whole_bytes, width)
        if index == self.cursor:
            style = base + self.get_component_rich_style("folder-list--cursor")
            bar_style = style
        else:
            style, bar_style = base, base + self.get_component_rich_style("folder-list--bar")
        segments = [
            Segment(f"{size} {part} ", style),
            Segment(bar, bar_style),
            Segment(f" {objects} {flag}{name}", style),
        ]
        return Strip(segments).adjust_cell_length(width, style if index == self.cursor else Style.null())
