"""Browser tests: Debian's headless Chromium driven by Playwright's sync API (docs/development.md).

- ``browser``: one Chromium per test session (per pytest-xdist worker), launched from /usr/bin/chromium.
  Missing browser: the tests are skipped with how to install it, or fail under ``CI=true``.
- ``page``: a fresh browser context and page per test. Every request is recorded; any that is not
  file://, data:, blob: or to 127.0.0.1/localhost is aborted. At teardown the test fails on a console
  error, an uncaught page error or a request that tried to leave the machine, unless it is marked
  ``@pytest.mark.allow_console_errors`` or ``@pytest.mark.allow_external_requests``.
- ``page_log``: what the test's page did (``support.browser.PageLog``), for assertions.
- ``open_file``: ``open_file(path)`` loads a local file through its file:// URL and returns the page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Request,
    Route,
    WebError,
    WebSocketRoute,
    sync_playwright,
)

from support.browser import CHROMIUM, CHROMIUM_ARGS, PageLog, file_url, is_local, require_chromium

# No single step of a browser test waits longer than this (ms): a hung page fails, it does not stall the run.
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    require_chromium()
    driver = sync_playwright().start()
    yield driver
    driver.stop()


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    """Headless Chromium, started once per session (once per xdist worker)."""
    chromium = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=list(CHROMIUM_ARGS), timeout=60_000
    )
    yield chromium
    chromium.close()


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


def _route(log: PageLog) -> Callable[[Route], None]:
    def handle(route: Route) -> None:
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:
            log.external.append(url)
            route.abort("blockedbyclient")

    return handle


def _route_socket(log: PageLog) -> Callable[[WebSocketRoute], None]:
    def handle(socket: WebSocketRoute) -> None:
        log.requests.append(socket.url)
        if is_local(socket.url):
            socket.connect_to_server()
        else:
            log.external.append(socket.url)
            socket.close(code=1008, reason="blocked by the browser tests")

    return handle


def _console(log: PageLog) -> Callable[[ConsoleMessage], None]:
    def handle(message: ConsoleMessage) -> None:
        if message.type == "error":
            log.add_console_error(message.text, message.location.get("url", ""))

    return handle


def _web_error(log: PageLog) -> Callable[[WebError], None]:
    def handle(error: WebError) -> None:
        log.page_errors.append(str(error.error))

    return handle


def _request(log: PageLog) -> Callable[[Request], None]:
    def handle(request: Request) -> None:
        log.requests.append(request.url)

    return handle


@pytest.fixture
def browser_context(browser: Browser, page_log: PageLog) -> Iterator[BrowserContext]:
    """A fresh context (no cookies, storage or cache shared with another test), watched and fenced."""
    context = browser.new_context(service_workers="block", accept_downloads=False)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    context.on("request", _request(page_log))
    context.on("console", _console(page_log))
    context.on("weberror", _web_error(page_log))
    context.route("**/*", _route(page_log))
    context.route_web_socket(lambda _url: True, _route_socket(page_log))
    yield context
    context.close()


@pytest.fixture
def page(browser_context: BrowserContext, page_log: PageLog, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A new page in a fresh context; fails the test at teardown on console/page errors or external requests."""
    tab = browser_context.new_page()
    yield tab
    if not tab.is_closed():
        tab.evaluate("0")  # a round trip: the events the page emitted so far have reached the listeners
    problems = page_log.problems(
        allow_console_errors=request.node.get_closest_marker("allow_console_errors") is not None,
        allow_external_requests=request.node.get_closest_marker("allow_external_requests") is not None,
    )
    if problems:
        pytest.fail("the page misbehaved:\n  " + "\n  ".join(problems), pytrace=False)


@pytest.fixture
def open_file(page: Page) -> Callable[[Path], Page]:
    """``open_file(path)``: the page, navigated to the local file's file:// URL (load event waited for)."""

    def go(path: Path) -> Page:
        page.goto(file_url(path), wait_until="load")
        return page

    return go
