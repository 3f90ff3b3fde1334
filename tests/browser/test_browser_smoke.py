"""The browser fixtures themselves (conftest.py): pages render, misbehaviour is recorded, nothing leaves the machine."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

import support.browser
from support.browser import OpenFile, PageLog, file_url, is_local, require_chromium


def write_page(directory: Path, body: str, name: str = "index.html") -> Path:
    path = directory / name
    path.write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>t</title></head><body>{body}</body></html>"
    )
    return path


def test_a_local_page_renders_and_its_script_runs(tmp_path: Path, open_file: OpenFile, page_log: PageLog) -> None:
    (tmp_path / "pixel.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg' width='3' height='2'></svg>")
    path = write_page(
        tmp_path,
        "<h1>Storage</h1><img id='pixel' src='pixel.svg'><p id='sum'></p>"
        "<script>document.getElementById('sum').textContent = String(40 + 2);</script>",
    )
    page = open_file(path)
    assert page.inner_text("h1") == "Storage"
    assert page.inner_text("#sum") == "42"
    assert page.evaluate("document.getElementById('pixel').naturalWidth") == 3
    assert page_log.requests == [file_url(path), file_url(tmp_path / "pixel.svg")]
    assert page_log.problems() == []


@pytest.mark.allow_console_errors
def test_console_and_page_errors_are_recorded(tmp_path: Path, open_file: OpenFile, page_log: PageLog) -> None:
    path = write_page(
        tmp_path,
        "<p>ok</p><script>console.error('boom: no data'); console.warn('only a warning');"
        "setTimeout(() => { throw new Error('kaboom'); }, 0);</script>",
    )
    page = open_file(path)
    page.evaluate("new Promise(resolve => setTimeout(resolve, 0))")  # after the timer that throws
    assert [e for e in page_log.console_errors if "boom: no data" in e], page_log.console_errors
    assert not [e for e in page_log.console_errors if "only a warning" in e]
    assert [e for e in page_log.page_errors if "kaboom" in e], page_log.page_errors
    # Without the marker, teardown would fail the test with these lines.
    problems = page_log.problems()
    assert any(p.startswith("console error: boom: no data") for p in problems), problems
    assert any(p.startswith("page error:") and "kaboom" in p for p in problems), problems
    assert page_log.problems(allow_console_errors=True) == []


@pytest.mark.allow_external_requests
def test_requests_leaving_the_machine_are_blocked_and_recorded(
    tmp_path: Path, open_file: OpenFile, page_log: PageLog
) -> None:
    path = write_page(
        tmp_path,
        "<img id='remote' src='https://example.com/logo.png'>"
        "<link rel='stylesheet' href='http://198.51.100.7/theme.css'>"
        "<p id='fetch'>pending</p><script>"
        "fetch('https://203.0.113.9/data.json').then(() => 'reached', () => 'failed')"
        ".then(r => { document.getElementById('fetch').textContent = r; });</script>",
    )
    page = open_file(path)
    page.wait_for_function("document.getElementById('fetch').textContent !== 'pending'")
    assert page.inner_text("#fetch") == "failed"
    assert page.evaluate("document.getElementById('remote').naturalWidth") == 0
    assert sorted(page_log.external) == sorted(
        ["https://example.com/logo.png", "http://198.51.100.7/theme.css", "https://203.0.113.9/data.json"]
    )
    assert set(page_log.external) <= set(page_log.requests)
    # Chromium's "Failed to load resource" lines for the aborted requests are not the page's own errors.
    assert page_log.console_errors == [], page_log.console_errors
    problems = page_log.problems()
    assert len(problems) == 3
    assert all(p.startswith("request leaving the machine (blocked): ") for p in problems), problems


@pytest.mark.allow_external_requests
def test_a_websocket_leaving_the_machine_is_closed(tmp_path: Path, open_file: OpenFile, page_log: PageLog) -> None:
    path = write_page(
        tmp_path,
        "<p id='ws'>pending</p><script>const ws = new WebSocket('wss://example.com/live');"
        "ws.onmessage = () => { document.getElementById('ws').textContent = 'message'; };"
        "ws.onclose = () => { document.getElementById('ws').textContent = 'closed'; };</script>",
    )
    page = open_file(path)
    page.wait_for_function("document.getElementById('ws').textContent !== 'pending'")
    assert page.inner_text("#ws") == "closed"
    assert page_log.external == ["wss://example.com/live"]


@pytest.fixture
def loopback_site(tmp_path: Path) -> Iterator[str]:
    """A plain HTTP server on 127.0.0.1 serving tmp_path."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_loopback_requests_go_through(tmp_path: Path, loopback_site: str, page: Page, page_log: PageLog) -> None:
    (tmp_path / "data.json").write_text('{"buckets": 7}')
    write_page(
        tmp_path,
        "<p id='n'>pending</p><script>fetch('/data.json').then(r => r.json())"
        ".then(d => { document.getElementById('n').textContent = String(d.buckets); });</script>",
    )
    page.goto(f"{loopback_site}/index.html")
    page.wait_for_function("document.getElementById('n').textContent !== 'pending'")
    assert page.inner_text("#n") == "7"
    assert page_log.requests == [f"{loopback_site}/index.html", f"{loopback_site}/data.json"]
    assert page_log.external == []


def test_each_test_gets_a_fresh_context(tmp_path: Path, open_file: OpenFile, browser: Browser) -> None:
    page = open_file(write_page(tmp_path, "<p>x</p>"))
    # Earlier tests' contexts are closed; file:// pages share one origin, so their storage would show here.
    assert browser.contexts == [page.context]
    assert page.context.pages == [page]
    assert page.evaluate("localStorage.getItem('left-behind')") is None
    page.evaluate("localStorage.setItem('left-behind', '1')")


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("file:///tmp/report.html", True),
        ("data:text/plain,x", True),
        ("http://127.0.0.1:8080/api", True),
        ("http://localhost/", True),
        ("ws://[::1]:9000/", True),
        ("https://example.com/", False),
        ("http://127.0.0.1.example.com/", False),
        ("http://10.0.0.1/", False),
        ("ftp://localhost/", False),
    ],
)
def test_what_counts_as_local(url: str, local: bool) -> None:
    assert is_local(url) is local


@pytest.mark.parametrize("ci", ["true", "TRUE", "1"])
def test_a_missing_browser_fails_under_ci(monkeypatch: pytest.MonkeyPatch, ci: str) -> None:
    monkeypatch.setattr(support.browser, "CHROMIUM", Path("/nonexistent/chromium"))
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match=r"CI=true .* not installed at /nonexistent/chromium.*: apt-get"):
        require_chromium()


@pytest.mark.parametrize("ci", [None, "", "false"])
def test_a_missing_browser_skips_outside_ci(monkeypatch: pytest.MonkeyPatch, ci: str | None) -> None:
    monkeypatch.setattr(support.browser, "CHROMIUM", Path("/nonexistent/chromium"))
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception, match=r"not installed at /nonexistent/chromium.*: apt-get install -y"):
        require_chromium()


def test_an_installed_browser_neither_skips_nor_fails(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    monkeypatch.setattr(support.browser, "CHROMIUM", fake)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        require_chromium()  # not executable: as good as missing
    fake.chmod(0o755)
    require_chromium()
