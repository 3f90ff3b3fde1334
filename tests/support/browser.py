"""What the browser tests share (tests/browser): where Chromium is, its flags, and what a page did.

The fixtures themselves (``browser``, ``page``, ``page_log``, ``open_file``) are in
``tests/browser/conftest.py``; this module holds the plain code they use, so a test can import the types.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

# The ``open_file`` fixture's type: a local file opened in a fresh page.
OpenFile: TypeAlias = "Callable[[Path], Page]"

# Debian's package (`apt-get install chromium`); Playwright's own browser downloads are never used.
# CHROMIUM_PATH points elsewhere (another build, or a missing path to test the CI=true rule).
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium")
INSTALL_HINT = "apt-get install -y --no-install-recommends chromium (as root), or run .ci/run"

# Headless in a container as root, and nothing of Chromium's own reaching the internet: no sandbox (root,
# no user namespaces), no GPU, no QUIC, no first-run, background, component-update or sync traffic.
# Playwright's launch adds --headless and a fresh, temporary --user-data-dir of its own.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

# Requests that stay on this machine; anything else is aborted and recorded (PageLog.external).
LOCAL_SCHEMES = frozenset({"file", "data", "blob", "about"})
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

# Chromium's console line for a request the route aborted: a consequence of PageLog.external, not a bug of
# the page of its own.
BLOCKED_LOAD = "net::ERR_BLOCKED_BY_CLIENT"


def in_ci() -> bool:
    """``CI=true`` (as CI services set it): a missing browser fails the browser tests instead of skipping."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None when Chromium is installed."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return None
    found = shutil.which("chromium")
    where = f" (a chromium at {found} is not used)" if found else ""
    return f"Chromium is not installed at {CHROMIUM}{where}: {INSTALL_HINT}"


def require_chromium() -> None:
    """Skip the calling test when Chromium is missing, saying how to install it; fail instead under CI=true."""
    missing = chromium_missing()
    if missing is None:
        return
    if in_ci():
        pytest.fail(f"CI=true and the browser tests cannot run: {missing}", pytrace=False)
    pytest.skip(missing)


def is_local(url: str) -> bool:
    """True for a URL that does not leave the machine: file://, data:, blob:, about:, or loopback."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in LOCAL_SCHEMES:
        return True
    return scheme in {"http", "https", "ws", "wss"} and (parts.hostname or "") in LOCAL_HOSTS


# Non-transparent pixels of a canvas (``painted``): 0 when nothing was drawn.
_PAINTED = """() => {
  const canvas = document.querySelector(SELECTOR);
  if (!canvas || !canvas.width || !canvas.height) return 0;
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i]) painted++;
  return painted;
}"""


def painted(canvas: str) -> str:
    """A page function that counts the painted pixels of the canvas the CSS selector ``canvas`` finds."""
    return _PAINTED.replace("SELECTOR", json.dumps(canvas))


def file_url(path: Path) -> str:
    """The file:// URL of a local file (absolute, percent-encoded)."""
    return path.resolve().as_uri()


@dataclass
class PageLog:
    """Everything a test's browser context did: filled by the ``page`` fixture's listeners."""

    requests: list[str] = field(default_factory=list)  # every request's URL, in order, blocked ones too
    external: list[str] = field(default_factory=list)  # requests that tried to leave the machine (aborted)
    console_errors: list[str] = field(default_factory=list)  # console.error and the browser's own errors
    page_errors: list[str] = field(default_factory=list)  # uncaught exceptions in the page's scripts
    blocked_loads: list[str] = field(default_factory=list)  # console lines caused only by an aborted request

    def add_console_error(self, text: str, url: str) -> None:
        if BLOCKED_LOAD in text and url in self.external:
            self.blocked_loads.append(text)
        else:
            self.console_errors.append(f"{text} ({url})" if url else text)

    def problems(self, *, allow_console_errors: bool = False, allow_external_requests: bool = False) -> list[str]:
        """What fails the test at teardown, one line each; empty when the page behaved."""
        found: list[str] = []
        if not allow_console_errors:
            found += [f"console error: {text}" for text in self.console_errors]
            found += [f"page error: {text}" for text in self.page_errors]
        if not allow_external_requests:
            found += [f"request leaving the machine (blocked): {url}" for url in self.external]
        return found
