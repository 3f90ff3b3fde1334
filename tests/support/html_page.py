"""A rendered page as a browser's parser reads it, for the HTML unit tests (test_render_html*.py): script
bodies, text outside scripts, every attribute, and the elements by id."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any


class Page(HTMLParser):
    """The page as a browser's parser reads it: script bodies, text outside scripts, every attribute."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.text: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []
        self.by_id: dict[str, dict[str, str | None]] = {}
        self._in: dict[str, str | None] | None = None
        self._buf: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attrs += [(tag, k, v) for k, v in attrs]
        found = dict(attrs)
        if found.get("id"):
            self.by_id[str(found["id"])] = found
        if tag == "script":
            self._in, self._buf = found, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._in is not None:
            self.scripts.append((self._in, "".join(self._buf)))
            self._in = None

    def handle_data(self, data: str) -> None:
        (self._buf if self._in is not None else self.text).append(data)

    def block(self, element_id: str) -> Any:
        (text,) = [body for attrs, body in self.scripts if attrs.get("id") == element_id]
        return json.loads(text)

    def raw(self, element_id: str) -> str | None:
        return self.by_id[element_id].get("data-raw")
