"""The ``?`` screen: every key the browser answers to."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

HELP_TEXT = """\
s3sa browse: where the bytes are, folder by folder (read-only)

  Up/Down, k/j     move              PgUp/PgDn, Home/End   page, first, last
  Enter, Right, l  open the folder   Left, Backspace, h    up one level
  s   sort by size      c   sort by objects      n   sort by name
      (the same key again reverses the order)
  /   filter this folder by name (Enter: keep it, Esc: clear it)
  ?   this help         q, Ctrl+C   quit

Columns: size, share of this folder's bytes, objects (everything below).
"(files)" is the folder's own objects; ".." goes up. A * marks a folder
that deeper folders were folded into (the tree was bounded).
The pane below the list shows the selected entry's bytes per storage class
and its newest and oldest object.

Press Esc, q or ? to close this help."""


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: auto; max-width: 100%; height: auto; border: round $accent; padding: 0 1; }
    #help-text { width: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(HELP_TEXT), id="help-text")

    def action_close(self) -> None:
        self.dismiss(None)
