"""The service's pages for people and browser sign-in, in-process: a real Store in tmp_path, a real Scanner
thread, and TestClients that act as browsers (they keep cookies, never follow a redirect by themselves)."""

from __future__ import annotations

import gzip
import html
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient

from s3_storage_analyser.model import Bucket, BucketReport, Snapshot, Usage
from s3_storage_analyser.pricing.book import PriceBook, book
from s3_storage_analyser.pricing.shipped import shipped_table
from s3_storage_analyser.render.html import asset
from s3_storage_analyser.safetext import UNSAFE
from s3_storage_analyser.server.session import COOKIE
from s3_storage_analyser.store import Store
from support.service import InProcess, default_scan, seed, wait_for_scan
from support.snapshots import T0, rich_snapshot, small_snapshot

TOKEN = "tok-pages-51d7e0"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BASE = "http://127.0.0.1:8080"
CHROMIUM = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,"
    "application/signed-exchange;v=b3;q=0.7"
)
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
PAGES = ("/", "/history", "/scans", "/bucket/alpha")
HOSTILE = (
    "</script><img src=x onerror=alert(1)>",
    "</script><script>window.__pwned = 1</script>",
    "\"'><svg onload=alert(3)>",
    "\u202eevil\u2066bidi\u200f",
    "<!--<script>alert(4)</script>",
    "{{ 7*7 }}",
    "tab\there\x1bnull",
)
BOOK: PriceBook = book([shipped_table()])


class Site(InProcess):
    """One app around the store and a scanner; ``browser()`` is a new browser with no cookie yet."""

    def __init__(
        self, store: Store, run_scan: Callable[[], Snapshot], *, token: str | None, book: PriceBook | None
    ) -> None:
        super().__init__(store, run_scan, token=token, book=book)
        self.clients: list[TestClient] = []
        self.api = self.client(headers=AUTH)

    def client(self, base_url: str = BASE, headers: dict[str, str] | None = None) -> TestClient:
        made = TestClient(self.app, base_url=base_url, follow_redirects=False, headers=headers)
        self.clients.append(made)
        return made

    def browser(self, base_url: str = BASE) -> TestClient:
        return self.client(base_url, {"Accept": FIREFOX})

    def signed_in(self, base_url: str = BASE) -> TestClient:
        browser = self.browser(base_url)
        response = browser.post("/signin", data={"token": TOKEN, "next": "/"})
        assert response.status_code == 303, response.text
        assert browser.cookies.get(COOKIE)
        return browser

    def wait_for_scan(self, scan_id: int) -> dict[str, Any]:
        return wait_for_scan(self.api, scan_id)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "pages.sqlite3")
    yield s
    s.close()


@pytest.fixture
def site(store: Store) -> Iterator[Callable[..., Site]]:
    made: list[Site] = []

    def make(
        run_scan: Callable[[], Snapshot] | None = None, *, token: str | None = TOKEN, book: PriceBook | None = None
    ) -> Site:
        svc = Site(store, run_scan or default_scan, token=token, book=book)
        svc.scanner.start(scan_now=False)
        made.append(svc)
        return svc

    yield make
    for svc in made:
        for client in svc.clients:
            client.close()
        svc.scanner.stop()


@pytest.fixture
def seeded(store: Store, site: Callable[..., Site]) -> Site:
    seed(store)
    return site()


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error: dict[str, Any] = response.json()["Error"]
    assert set(error) == {"Code", "Message", "Hint"}
    assert error["Code"] == code
    return error


def set_cookie(response: httpx.Response) -> dict[str, str] | None:
    """The session cookie a response sets, as ``{"value": ..., attribute (lower case): value}``."""
    found = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{COOKIE}=")]
    if not found:
        return None
    assert len(found) == 1, found
    first, *attributes = (part.strip() for part in found[0].split(";"))
    out = {"value": first.partition("=")[2].strip('"')}
    for attribute in attributes:
        name, _, value = attribute.partition("=")
        out[name.lower()] = value
    return out


def csrf_of(page: str, form: str = "/scans") -> str:
    found = re.search(
        rf'<form method="post" action="{form}"[^>]*>\s*<input type="hidden" name="csrf" value="([^"]*)">', page
    )
    assert found, f"no csrf field in the {form} form"
    return found.group(1)


def data_block(page: str, block: str = "s3sa-data") -> Any:
    found = re.search(rf'<script type="application/json" id="{block}">(.*?)</script>', page, re.DOTALL)
    assert found, f"no {block} block"
    return json.loads(found.group(1))


def data_raw(page: str, element: str) -> str:
    found = re.search(rf'id="{element}" data-raw="([^"]*)"', page)
    assert found, element
    return found.group(1)


def assert_page_headers(response: httpx.Response) -> None:
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert directives["default-src"] == ["'none'"]
    assert directives["script-src"] == ["'self'"]  # no inline script, nothing from elsewhere
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["base-uri"] == ["'none'"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] in ("same-origin", "no-referrer")  # never to another site


def assert_no_data(response: httpx.Response) -> None:
    """A response to someone not signed in: no bucket, no data block, no session."""
    for secret in ("alpha", "beta", "solo", "s3sa-data", "Bytes", TOKEN):
        assert secret not in response.text, secret
    assert set_cookie(response) is None


# --- signing in ---------------------------------------------------------------------------------


@pytest.mark.parametrize("accept", [FIREFOX, CHROMIUM])
def test_a_browser_without_a_session_is_sent_to_sign_in_and_sees_no_data(seeded: Site, accept: str) -> None:
    browser = seeded.client(headers={"Accept": accept})
    for path in PAGES:
        response = browser.get(path)
        assert response.status_code == 303, (path, response.text)
        assert response.headers["location"] == f"/signin?next={path}"
        assert_no_data(response)
        head = browser.head(path)
        assert (head.status_code, head.headers["location"]) == (303, f"/signin?next={path}")
    form = browser.get("/signin?next=/history")
    assert form.status_code == 200
    assert_page_headers(form)
    assert '<input type="hidden" name="next" value="/history">' in form.text
    assert '<input type="password" id="token" name="token"' in form.text
    assert_no_data(form)
    assert seeded.scanner.get(1) is None  # nothing ran for anyone


def test_the_api_still_answers_401_to_a_browser_without_a_session(seeded: Site) -> None:
    browser = seeded.browser()
    assert_error(browser.get("/api/v1/report"), 401, "Unauthorized")
    assert_error(browser.get("/?fmt=json"), 401, "Unauthorized")


def test_a_wrong_token_gets_the_form_again_with_the_error_and_no_cookie(seeded: Site) -> None:
    browser = seeded.browser()
    for wrong in ("wrong", TOKEN + "x", TOKEN.upper(), ""):
        response = browser.post("/signin", data={"token": wrong, "next": "/history"})
        assert response.status_code == 401
        assert_page_headers(response)
        assert 'id="signin-error"' in response.text
        assert "not the service's token" in html.unescape(response.text)
        assert '<input type="hidden" name="next" value="/history">' in response.text
        assert set_cookie(response) is None
        assert_no_data(response)
        if wrong:
            assert wrong not in response.text.replace(TOKEN, "")  # the guess is not echoed back
    assert not browser.cookies
    assert browser.get("/").status_code == 303


@pytest.mark.parametrize(("base_url", "secure"), [(BASE, False), ("https://127.0.0.1:8443", True)])
def test_the_right_token_signs_in_with_a_strict_http_only_cookie(seeded: Site, base_url: str, secure: bool) -> None:
    browser = seeded.browser(base_url)
    response = browser.post("/signin", data={"token": TOKEN, "next": "/history"})
    assert response.status_code == 303
    assert response.headers["location"] == "/history"
    cookie = set_cookie(response)
    assert cookie is not None
    assert len(cookie["value"]) >= 32
    assert TOKEN not in cookie["value"]
    assert "httponly" in cookie
    assert cookie["samesite"].lower() == "strict"
    assert cookie["path"] == "/"
    assert ("secure" in cookie) is secure
    assert int(cookie["max-age"]) == 12 * 3600
    page = browser.get("/history")
    assert page.status_code == 200
    assert '<tr data-id="2">' in page.text
    assert 'action="/signout"' in page.text  # signed in: the layout offers to sign out


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "//evil.example/history",
        "http://evil.example",
        "https://evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "/\\/evil.example",
        "evil.example",
        "javascript:alert(1)",
        "",
    ],
)
def test_sign_in_goes_only_to_paths_on_this_site(seeded: Site, target: str) -> None:
    response = seeded.browser().post("/signin", data={"token": TOKEN, "next": target})
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert set_cookie(response) is not None
    form = seeded.browser().get("/signin", params={"next": target})
    assert '<input type="hidden" name="next" value="/">' in form.text


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example"])
def test_a_next_with_controls_cannot_become_another_host(seeded: Site, target: str) -> None:
    """Browsers drop tabs and newlines from a URL: a raw one would make ``/\\t/evil`` read as ``//evil``."""
    response = seeded.browser().post("/signin", data={"token": TOKEN, "next": target})
    assert response.status_code == 303
    location = response.headers["location"]
    assert not re.search("[\t\r\n]", location)
    assert location.startswith("/") and not location.startswith("//")


@pytest.mark.parametrize("path", ["/history", "/bucket/alpha", "/scans"])
def test_sign_in_returns_to_the_page_asked_for(seeded: Site, path: str) -> None:
    browser = seeded.browser()
    target = browser.get(path).headers["location"].removeprefix("/signin?next=")
    assert target == path
    response = browser.post("/signin", data={"token": TOKEN, "next": target})
    assert response.headers["location"] == path
    assert browser.get(path).status_code == 200


def test_the_token_in_a_page_url_is_traded_for_a_session_and_dropped(seeded: Site) -> None:
    """0.1's ``?token=`` in a browser's address bar: a cookie instead, and the token gone from the URL."""
    for path in ("/", "/history"):
        browser = seeded.browser()
        response = browser.get(path, params={"token": TOKEN})
        assert response.status_code == 303
        assert response.headers["location"] == path
        cookie = set_cookie(response)
        assert cookie is not None and "httponly" in cookie and cookie["samesite"].lower() == "strict"
        assert "alpha" not in response.text and "s3sa-data" not in response.text
        page = browser.get(path)
        assert page.status_code == 200
        assert TOKEN not in page.text


def test_a_wrong_token_in_a_page_url_is_the_sign_in_redirect(seeded: Site) -> None:
    browser = seeded.browser()
    response = browser.get("/history", params={"token": "wrong"})
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=/history"
    assert_no_data(response)
    assert browser.get("/history").status_code == 303


def test_a_script_with_the_bearer_token_gets_pages_without_a_session(seeded: Site) -> None:
    page = seeded.client(headers={**AUTH, "Accept": FIREFOX}).get("/")
    assert page.status_code == 200
    assert set_cookie(page) is None
    assert 'action="/signout"' not in page.text


# --- the session and the API --------------------------------------------------------------------


def test_the_session_cookie_opens_the_api(seeded: Site) -> None:
    browser = seeded.signed_in()
    report = browser.get("/api/v1/report", headers={"Accept": "application/json"})
    assert report.status_code == 200
    assert report.json() == seeded.api.get("/api/v1/report").json()
    assert browser.get("/api/v1/snapshots").status_code == 200
    assert browser.get("/?fmt=json").status_code == 200


def test_a_post_with_the_cookie_needs_the_pages_csrf_token(seeded: Site) -> None:
    browser = seeded.signed_in()
    other = seeded.signed_in()
    page = browser.get("/scans").text
    csrf = csrf_of(page)
    assert re.fullmatch("[0-9a-f]{128}", csrf)
    assert csrf_of(browser.get("/scans").text) != csrf  # masked afresh for every page
    others = csrf_of(other.get("/scans").text)
    spaced = " ".join(csrf[i : i + 2] for i in range(0, 128, 2))[:128]
    for headers in (
        {},
        {"X-CSRF-Token": others},
        {"X-CSRF-Token": ""},
        {"X-CSRF-Token": "0" * 128},
        {"X-CSRF-Token": spaced},
    ):
        error = assert_error(browser.post("/api/v1/scans", headers=headers), 403, "Forbidden")
        assert "CSRF" in error["Message"] and "X-CSRF-Token" in error["Hint"]
    assert seeded.scanner.get(1) is None  # nothing was started
    started = browser.post("/api/v1/scans", headers={"X-CSRF-Token": csrf})
    assert started.status_code == 202
    assert started.json()["Id"] == 1
    assert other.post("/api/v1/scans", headers={"X-CSRF-Token": others}).status_code == 202
    assert other.post("/api/v1/scans", headers={"X-CSRF-Token": csrf}).status_code == 403  # not its own


def test_bearer_posts_need_no_csrf(seeded: Site) -> None:
    started = seeded.api.post("/api/v1/scans")
    assert started.status_code == 202
    assert seeded.wait_for_scan(started.json()["Id"])["Status"] == "succeeded"


def test_a_wrong_bearer_is_not_rescued_by_a_cookie(seeded: Site) -> None:
    browser = seeded.signed_in()
    assert_error(browser.get("/api/v1/report", headers={"Authorization": "Bearer wrong"}), 401, "Unauthorized")


CROSS_SITE = {
    "origin": {"Origin": "http://evil.example"},
    "origin-other-port": {"Origin": "http://127.0.0.1:9999"},
    "origin-null": {"Origin": "null"},
    "fetch-cross-site": {"Sec-Fetch-Site": "cross-site"},
    "fetch-same-site": {"Sec-Fetch-Site": "same-site"},
}


@pytest.mark.parametrize("headers", list(CROSS_SITE.values()), ids=list(CROSS_SITE))
def test_cross_site_posts_are_refused(seeded: Site, headers: dict[str, str]) -> None:
    browser = seeded.signed_in()
    csrf = csrf_of(browser.get("/scans").text)
    assert_error(browser.post("/api/v1/scans", headers={**headers, "X-CSRF-Token": csrf}), 403, "Forbidden")
    assert_error(browser.post("/scans", data={"csrf": csrf}, headers=headers), 403, "Forbidden")
    assert_error(seeded.api.post("/api/v1/scans", headers=headers), 403, "Forbidden")
    signin = seeded.browser().post("/signin", data={"token": TOKEN, "next": "/"}, headers=headers)
    assert_error(signin, 403, "Forbidden")  # no sign-in forced on a browser by another site
    assert set_cookie(signin) is None
    signout = browser.post("/signout", data={"csrf": csrf}, headers=headers)
    assert_error(signout, 403, "Forbidden")
    assert seeded.scanner.get(1) is None
    assert browser.get("/api/v1/report").status_code == 200  # still signed in
    # The same requests from the service's own pages are accepted.
    own = {"Origin": BASE, "Sec-Fetch-Site": "same-origin"}
    assert browser.post("/api/v1/scans", headers={**own, "X-CSRF-Token": csrf}).status_code == 202
    assert seeded.browser().post("/signin", data={"token": TOKEN}, headers=own).status_code == 303


@pytest.mark.parametrize("headers", list(CROSS_SITE.values()), ids=list(CROSS_SITE))
def test_cross_site_posts_are_refused_without_auth_too(
    store: Store, site: Callable[..., Site], headers: dict[str, str]
) -> None:
    store.save(rich_snapshot())
    svc = site(token=None)
    browser = svc.browser()
    assert_error(browser.post("/api/v1/scans", headers=headers), 403, "Forbidden")
    assert_error(browser.post("/scans", data={"csrf": ""}, headers=headers), 403, "Forbidden")
    assert svc.scanner.get(1) is None
    assert browser.get("/").status_code == 200  # reading is not refused
    own = browser.post("/scans", data={"csrf": ""}, headers={"Origin": BASE, "Sec-Fetch-Site": "same-origin"})
    assert (own.status_code, own.headers["location"]) == (303, "/scans")
    assert svc.scanner.get(1) is not None


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8080", "127.0.0.1.evil.example", "localhost.evil.example", "10.0.0.1", ""]
)
def test_without_auth_other_hosts_are_refused(store: Store, site: Callable[..., Site], host: str) -> None:
    """A DNS-rebinding page reaches the service under its own name: with --no-auth that name is refused."""
    store.save(rich_snapshot())
    svc = site(token=None)
    browser = svc.browser()
    for path in ("/", "/api/v1/report", "/history", "/static/report.js", "/healthz"):
        response = browser.get(path, headers={"Host": host})
        error = assert_error(response, 421, "MisdirectedRequest")
        assert "127.0.0.1" in error["Hint"]
        assert "alpha" not in response.text
    assert_error(browser.post("/api/v1/scans", headers={"Host": host}), 421, "MisdirectedRequest")
    assert svc.scanner.get(1) is None


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:8080", "127.0.0.1", "127.0.0.1:8080", "127.0.0.2:1", "[::1]", "[::1]:8080"]
)
def test_without_auth_loopback_hosts_are_served(store: Store, site: Callable[..., Site], host: str) -> None:
    store.save(rich_snapshot())
    browser = site(token=None).browser()
    page = browser.get("/", headers={"Host": host})
    assert page.status_code == 200
    assert "alpha" in page.text
    assert browser.get("/api/v1/report", headers={"Host": host}).json()["Buckets"][0]["Bucket"] == "alpha"
    assert browser.get("/signin", headers={"Host": host}).headers["location"] == "/"  # nothing to sign in to


def test_with_a_token_any_host_is_served(seeded: Site) -> None:
    """Behind a proxy the service has any name; the token, not the Host, guards it."""
    response = seeded.api.get("/api/v1/report", headers={"Host": "storage.example.com"})
    assert response.status_code == 200


# --- signing out --------------------------------------------------------------------------------


def test_sign_out_ends_the_session_and_clears_the_cookie(seeded: Site) -> None:
    browser = seeded.signed_in()
    old = browser.cookies[COOKIE]
    csrf = csrf_of(browser.get("/").text, "/signout")
    response = browser.post("/signout", data={"csrf": csrf})
    assert response.status_code == 303
    assert response.headers["location"] == "/signin"
    cleared = set_cookie(response)
    assert cleared is not None and cleared["value"] == ""
    assert cleared["max-age"] == "0"
    assert cleared["path"] == "/"
    assert COOKIE not in browser.cookies
    assert browser.get("/").headers["location"] == "/signin?next=/"
    # The old cookie, kept by someone, opens nothing any more: it ended on the server.
    replay = seeded.client(headers={"Cookie": f"{COOKIE}={old}", "Accept": "application/json"})
    assert_error(replay.get("/api/v1/report"), 401, "Unauthorized")
    assert seeded.client(headers={"Cookie": f"{COOKIE}={old}", "Accept": FIREFOX}).get("/").status_code == 303


@pytest.mark.parametrize("csrf", ["", "0" * 128, "not hex", None])
def test_sign_out_with_a_wrong_csrf_does_not_end_the_session(seeded: Site, csrf: str | None) -> None:
    browser = seeded.signed_in()
    old = browser.cookies[COOKIE]
    response = browser.post("/signout", data={} if csrf is None else {"csrf": csrf})
    assert response.status_code == 303
    replay = seeded.client(headers={"Cookie": f"{COOKIE}={old}"})
    assert replay.get("/api/v1/report").status_code == 200  # another site cannot sign a browser out


def test_sign_out_with_another_sessions_csrf_ends_neither(seeded: Site) -> None:
    mine, theirs = seeded.signed_in(), seeded.signed_in()
    mine_cookie, their_cookie = mine.cookies[COOKIE], theirs.cookies[COOKIE]
    their_csrf = csrf_of(theirs.get("/").text, "/signout")
    mine.post("/signout", data={"csrf": their_csrf})
    for cookie in (mine_cookie, their_cookie):
        assert seeded.client(headers={"Cookie": f"{COOKIE}={cookie}"}).get("/api/v1/report").status_code == 200


# --- headers, static files ----------------------------------------------------------------------


def test_every_page_forbids_framing_caching_and_other_origins(seeded: Site) -> None:
    browser = seeded.signed_in()
    for path in (*PAGES, "/signin", "/bucket/nope"):
        response = browser.get(path)
        assert response.status_code in (200, 404), path
        assert_page_headers(response)
    assert_page_headers(seeded.browser().get("/signin"))
    assert_page_headers(seeded.browser().post("/signin", data={"token": "wrong"}))


def test_pages_load_scripts_and_styles_from_the_service_only(seeded: Site) -> None:
    """script-src 'self' blocks inline scripts: every script is a /static file or a JSON data block."""
    browser = seeded.signed_in()
    seen: set[str] = set()
    for path in (*PAGES, "/signin"):
        page = browser.get(path).text
        for attributes in re.findall(r"<script\b([^>]*)>", page):
            assert 'type="application/json"' in attributes or 'src="/static/' in attributes, (path, attributes)
        seen |= set(re.findall(r'(?:src|href)="(/static/[^"?]+)', page))
        assert not re.search(r'(?:src|href)="(?:https?:)?//', page), path
    assert {"/static/report.js", "/static/report.css", "/static/pages.css", "/static/echarts.min.js"} <= seen
    for url in seen:
        assert seeded.browser().get(url).status_code == 200, url  # public code: no session needed


def test_static_files_are_cached_for_long_and_only_known_ones_are_served(seeded: Site) -> None:
    browser = seeded.browser()
    script = browser.get("/static/report.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "max-age=31536000" in script.headers["cache-control"]
    assert "immutable" in script.headers["cache-control"]
    assert script.headers["x-content-type-options"] == "nosniff"
    assert script.text == str(asset("report.js"))
    style = browser.get("/static/pages.css")
    assert style.headers["content-type"].startswith("text/css")
    for path in (
        "/static/../x",
        "/static/..%2Fpyproject.toml",
        "/static/%2e%2e%2fstore.py",
        "/static/unknown.js",
        "/static/report.js.map",
        "/static/REPORT.JS",
        "/static/__init__.py",
        "/static/",
    ):
        response = browser.get(path)
        assert response.status_code == 404, path
        assert "max-age" not in response.headers.get("cache-control", ""), path


# --- what the pages show ------------------------------------------------------------------------


def hostile_snapshot() -> Snapshot:
    reports = tuple(
        BucketReport(Bucket(name, "us-east-1"), Usage(objects=i + 1, bytes_by_class={"STANDARD": 1000 * (i + 1)}))
        for i, name in enumerate(HOSTILE)
    )
    return Snapshot("list", T0, reports)


def assert_inert(page: str) -> None:
    """No hostile name is markup, no raw bidi mark or control is in the page."""
    for marker in ("<img src=x", "<svg", "<script>window", "<script>alert", "<!--<script"):
        assert marker not in page, marker
    found = UNSAFE.search(page.replace("\n", ""))
    assert found is None, page[max(0, found.start() - 60) : found.end() + 60] if found else ""


def shown(text: str) -> str:
    """The text a browser shows for ``text`` (html.unescape drops references to controls; browsers do not)."""
    return html.unescape(re.sub("&#x([0-9a-f]+);", lambda m: chr(int(m.group(1), 16)), text))


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_bucket_name_is_text_on_its_page(store: Store, site: Callable[..., Site], name: str) -> None:
    store.save(hostile_snapshot())
    browser = site().signed_in()
    response = browser.get("/bucket/" + quote(name, safe=""))
    assert response.status_code == 200, response.text
    assert_page_headers(response)
    assert_inert(response.text)
    heading = re.search(r'<h1 id="bucket-name">(.*?)</h1>', response.text, re.DOTALL)
    assert heading is not None
    assert shown(heading.group(1)) == name  # the browser shows the name, every character of it
    assert "<" not in heading.group(1)
    assert "&#x202e;" in response.text or "\u202e" not in name


def test_hostile_names_are_inert_on_the_overview_and_its_data_is_the_apis(
    store: Store, site: Callable[..., Site]
) -> None:
    store.save(hostile_snapshot())
    svc = site()
    page = svc.signed_in().get("/")
    assert page.status_code == 200
    assert_inert(page.text)
    assert data_block(page.text) == svc.api.get("/api/v1/report").json()
    assert {b["Bucket"] for b in data_block(page.text)["Buckets"]} == set(HOSTILE)


@pytest.mark.parametrize("name", ["nope", "</script><img src=x onerror=alert(1)>", "\u202eevil"])
def test_an_unknown_bucket_is_a_404_page(seeded: Site, name: str) -> None:
    response = seeded.signed_in().get("/bucket/" + quote(name, safe=""))
    assert response.status_code == 404
    assert_page_headers(response)
    assert "No such bucket" in response.text
    assert_inert(response.text)
    message = re.search(r'<p role="status">(.*?)</p>', response.text)
    assert message is not None
    assert shown(message.group(1)) == f"The latest snapshot (2) has no bucket {name}."


def test_the_bucket_page_shows_its_entry_of_the_report(seeded: Site) -> None:
    page = seeded.signed_in().get("/bucket/alpha").text
    entry = next(b for b in seeded.api.get("/api/v1/report").json()["Buckets"] if b["Bucket"] == "alpha")
    assert int(data_raw(page, "total-bytes")) == entry["Bytes"]
    assert int(data_raw(page, "total-files")) == entry["Files"]
    assert int(data_raw(page, "bucket-noncurrent")) == entry["NoncurrentBytes"]
    assert int(data_raw(page, "bucket-uploads")) == entry["IncompleteUploadBytes"]
    classes = dict(re.findall(r'<tr data-class="([A-Z_]+)"[^>]*>.*?class="raw" data-raw="(\d+)"', page))
    assert classes == {"STANDARD": "1000", "GLACIER": "5000"}
    assert 'id="breakdown-prefix"' in page and "logs/" in page


@pytest.mark.parametrize("priced", [False, True], ids=["no-cost", "priced"])
def test_the_overviews_totals_and_data_are_the_apis(store: Store, site: Callable[..., Site], priced: bool) -> None:
    seed(store)
    svc = site(book=BOOK if priced else None)
    page = svc.signed_in().get("/")
    assert page.status_code == 200
    report = svc.api.get("/api/v1/report").json()
    assert data_block(page.text) == report
    assert int(data_raw(page.text, "total-bytes")) == sum(b["Bytes"] for b in report["Buckets"]) == 129_463
    assert int(data_raw(page.text, "total-files")) == sum(b["Files"] for b in report["Buckets"])
    assert int(data_raw(page.text, "total-buckets")) == len(report["Buckets"]) == 2
    if priced:
        assert report["Cost"]["PerMonth"] is not None
        assert data_raw(page.text, "total-cost") == report["Cost"]["PerMonth"]
        Decimal(report["Cost"]["PerMonth"])  # an exact decimal string
    else:
        assert "Cost" not in report
        assert 'id="total-cost"' not in page.text


def history_rows(page: str) -> list[dict[str, str]]:
    rows = []
    for snapshot_id, body in re.findall(r'<tr data-id="(\d+)">(.*?)</tr>', page, re.DOTALL):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", body)
        raws = re.findall(r'data-raw="([^"]*)"', body)
        taken = re.search(r'<time datetime="([^"]+)">', body)
        assert taken is not None
        rows.append(
            {
                "Id": snapshot_id,
                "TakenAt": taken.group(1),
                "Strategy": cells[1],
                "Buckets": cells[2],
                "Objects": raws[0],
                "Bytes": raws[1],
                "Cost": raws[2] if len(raws) > 2 else "-",
                "Failures": cells[-1],
            }
        )
    return rows


def api_rows(listing: list[dict[str, Any]], priced: bool) -> list[dict[str, str]]:
    return [
        {
            "Id": str(s["Id"]),
            "TakenAt": s["TakenAt"],
            "Strategy": s["Strategy"],
            "Buckets": f"{s['Buckets']:,}",
            "Objects": str(s["Files"]),
            "Bytes": str(s["Bytes"]),
            "Cost": (s["CostPerMonth"] or "") if priced else "-",
            "Failures": f"{s['Failures']:,}",
        }
        for s in listing
    ]


def test_the_history_page_lists_the_apis_snapshots(seeded: Site) -> None:
    seeded.store.save(replace(rich_snapshot(T0 + timedelta(days=2)), strategy="inventory"))
    page = seeded.signed_in().get("/history")
    assert page.status_code == 200
    listing = seeded.api.get("/api/v1/snapshots", params={"limit": 1000}).json()["Snapshots"]
    assert [s["Id"] for s in listing] == [3, 2, 1]
    assert history_rows(page.text) == api_rows(listing, priced=False)


def test_the_history_page_prices_what_is_priced_and_invents_nothing(store: Store, site: Callable[..., Site]) -> None:
    for day in range(3):
        store.save(rich_snapshot(T0 + timedelta(days=day), alpha_standard=10**9 * (day + 1)))
    svc = site(book=BOOK)
    browser = svc.signed_in()
    before = history_rows(browser.get("/history").text)
    assert [r["Id"] for r in before] == ["3", "2", "1"]
    assert all(r["Cost"] == "" for r in before)  # not priced yet: no number, not 0
    assert "pricing…" in browser.get("/history").text
    assert svc.app.state.warm_costs() == 3
    listing = svc.api.get("/api/v1/snapshots").json()["Snapshots"]
    assert all(s["CostPerMonth"] for s in listing)
    page = browser.get("/history").text
    assert history_rows(page) == api_rows(listing, priced=True)
    assert "pricing…" not in page


def test_no_snapshot_yet(site: Callable[..., Site]) -> None:
    browser = site().signed_in()
    overview = browser.get("/")
    assert overview.status_code == 503
    assert_page_headers(overview)
    assert "No snapshot yet" in overview.text
    assert browser.get("/bucket/alpha").status_code == 503
    history = browser.get("/history")
    assert history.status_code == 200
    assert "No snapshot yet." in history.text
    scans = browser.get("/scans")
    assert scans.status_code == 200
    assert "No scan since the service started." in scans.text


# --- scans --------------------------------------------------------------------------------------


def test_the_scans_form_starts_a_scan_that_then_shows_as_succeeded(seeded: Site) -> None:
    browser = seeded.signed_in()
    page = browser.get("/scans").text
    assert "Start a scan" in page and "No scan since the service started." in page
    refused = browser.post("/scans", data={"csrf": "0" * 128})
    assert (refused.status_code, refused.headers["location"]) == (303, "/signin?next=/scans")
    assert seeded.browser().post("/scans", data={"csrf": csrf_of(page)}).headers["location"] == "/signin?next=/scans"
    assert seeded.scanner.get(1) is None  # neither a wrong csrf nor a csrf without its cookie starts one
    response = browser.post("/scans", data={"csrf": csrf_of(page)})
    assert (response.status_code, response.headers["location"]) == (303, "/scans")
    done = seeded.wait_for_scan(1)
    assert done["Status"] == "succeeded"
    after = browser.get("/scans").text
    assert '<tr data-scan="1" data-status="succeeded">' in after
    assert f'<a href="/api/v1/snapshots/{done["SnapshotId"]}">' in after
    assert 'http-equiv="refresh"' not in after  # nothing runs: no reloading
    assert "gamma" in after  # the newest snapshot's failures are listed
    assert seeded.store.latest_ids(1) == [done["SnapshotId"]] == [3]


def test_a_running_scan_disables_the_button_and_reloads_the_page(store: Store, site: Callable[..., Site]) -> None:
    release = threading.Event()

    def run_scan() -> Snapshot:
        release.wait(30)
        return rich_snapshot(T0)

    svc = site(run_scan)
    browser = svc.signed_in()
    try:
        csrf = csrf_of(browser.get("/scans").text)
        assert browser.post("/api/v1/scans", headers={"X-CSRF-Token": csrf}).status_code == 202
        page = browser.get("/scans").text
        assert '<meta http-equiv="refresh" content="3">' in page
        assert 'id="start-scan" disabled' in page
        assert '<tr data-scan="1" data-status="running">' in page
    finally:
        release.set()
    assert svc.wait_for_scan(1)["Status"] == "succeeded"


def test_the_api_lists_recent_scans_newest_first(seeded: Site) -> None:
    assert seeded.api.get("/api/v1/scans").json() == []
    for expected in (1, 2, 3):
        scan = seeded.api.post("/api/v1/scans").json()
        assert scan["Id"] == expected
        seeded.wait_for_scan(expected)
    listing = seeded.api.get("/api/v1/scans").json()
    assert [s["Id"] for s in listing] == [3, 2, 1]
    assert listing == [seeded.api.get(f"/api/v1/scans/{i}").json() for i in (3, 2, 1)]
    assert all(s["Status"] == "succeeded" for s in listing)
    assert_error(seeded.browser().get("/api/v1/scans"), 401, "Unauthorized")
    page = seeded.signed_in().get("/scans").text
    assert re.findall(r'<tr data-scan="(\d+)"', page) == ["3", "2", "1"]


# --- changes ------------------------------------------------------------------------------------


def change_rows(page: str) -> dict[str, tuple[str | None, list[str]]]:
    out = {}
    for period, body in re.findall(r'<tr data-period="(\w+)">(.*?)</tr>', page, re.DOTALL):
        linked = re.search(r'href="/api/v1/snapshots/(\d+)"', body)
        out[period] = (linked.group(1) if linked else None, re.findall(r'data-raw="([^"]*)"', body))
    return out


def test_the_changes_are_against_the_same_strategy_only(store: Store, site: Callable[..., Site]) -> None:
    latest_at = T0 + timedelta(days=40)
    month = store.save(rich_snapshot(latest_at - timedelta(days=31), alpha_standard=1000))
    week = store.save(rich_snapshot(latest_at - timedelta(days=8), alpha_standard=50_000))
    # Another strategy, newer than both and far larger: never a baseline.
    store.save(
        replace(small_snapshot(latest_at - timedelta(days=1), standard=10**12, objects=99), strategy="cloudwatch")
    )
    latest = store.save(rich_snapshot(latest_at, alpha_standard=2_000_000))
    svc = site(book=BOOK)
    page = svc.signed_in().get("/").text
    rows = change_rows(page)
    assert list(rows) == ["previous", "7d", "30d"]
    costs = {
        i: Decimal(svc.api.get(f"/api/v1/snapshots/{i}").json()["Cost"]["PerMonth"]) for i in (month, week, latest)
    }
    assert costs[latest] > costs[week] > costs[month]
    assert rows["previous"] == (str(week), ["1950000", "0", f"{costs[latest] - costs[week]:f}"])
    assert rows["7d"] == (str(week), ["1950000", "0", f"{costs[latest] - costs[week]:f}"])
    assert rows["30d"] == (str(month), ["1999000", "0", f"{costs[latest] - costs[month]:f}"])
    assert "(list)" in page  # the hint names the strategy compared


def test_the_changes_say_when_there_is_no_baseline(store: Store, site: Callable[..., Site]) -> None:
    store.save(rich_snapshot(T0, alpha_standard=1000))
    store.save(replace(small_snapshot(T0 + timedelta(days=20), standard=5), strategy="cloudwatch"))
    store.save(rich_snapshot(T0 + timedelta(days=2), alpha_standard=3000))
    page = site().signed_in().get("/").text  # the latest is the listing of day 2
    rows = change_rows(page)
    assert rows["previous"] == ("1", ["2000", "0"])  # no cost column without prices
    assert rows["7d"] == (None, [])
    assert rows["30d"] == (None, [])
    assert "no earlier list snapshot that old" in page


def test_the_first_snapshot_has_no_changes(store: Store, site: Callable[..., Site]) -> None:
    store.save(rich_snapshot(T0))
    page = site().signed_in().get("/").text
    assert "This is the first snapshot." in page
    assert 'id="changes-table"' not in page


# --- gzip and HEAD ------------------------------------------------------------------------------


def many_buckets(count: int = 60) -> Snapshot:
    reports = tuple(
        BucketReport(Bucket(f"bucket-{i:03d}", "eu-west-1"), Usage(objects=i, bytes_by_class={"STANDARD": i * 1000}))
        for i in range(count)
    )
    return Snapshot("list", T0, reports)


def raw_get(client: TestClient, path: str, headers: dict[str, str]) -> tuple[httpx.Response, bytes]:
    """The body as sent, not decoded by the client."""
    with client.stream("GET", path, headers=headers) as response:
        return response, b"".join(response.iter_raw())


def test_gzip_for_clients_that_ask(store: Store, site: Callable[..., Site]) -> None:
    store.save(many_buckets())
    svc = site()
    plain, plain_body = raw_get(svc.api, "/api/v1/report", {"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert len(plain_body) > 1024
    zipped, zipped_body = raw_get(svc.api, "/api/v1/report", {"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in zipped.headers["vary"].lower()
    assert len(zipped_body) < len(plain_body)
    assert gzip.decompress(zipped_body) == plain_body
    assert json.loads(gzip.decompress(zipped_body)) == json.loads(plain_body)
    script, script_body = raw_get(svc.api, "/static/echarts.min.js", {"Accept-Encoding": "gzip"})
    assert script.headers["content-encoding"] == "gzip"
    assert gzip.decompress(script_body).decode() == str(asset("echarts.min.js"))
    browser = svc.signed_in()
    page, page_body = raw_get(browser, "/", {"Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip"
    assert_page_headers(page)
    assert data_block(gzip.decompress(page_body).decode()) == json.loads(plain_body)


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_head_of_a_page_has_the_headers_of_its_get(seeded: Site, encoding: str) -> None:
    browser = seeded.signed_in()
    headers = {"Accept-Encoding": encoding}
    for path in ("/", "/history", "/scans", "/bucket/alpha"):
        get, body = raw_get(browser, path, headers)
        head = browser.head(path, headers=headers)
        assert head.status_code == get.status_code == 200, path
        assert head.content == b""
        assert_page_headers(head)
        for name in ("content-type", "content-encoding", "vary", "content-security-policy", "cache-control"):
            assert head.headers.get(name) == get.headers.get(name), (path, name)
        if encoding == "identity":  # the page's masked csrf differs per request, but not its length
            assert head.headers["content-length"] == get.headers["content-length"] == str(len(body)), path


# --- odd requests -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/signin", "/signout", "/scans"])
def test_a_form_with_too_many_fields_is_refused_not_an_error(seeded: Site, path: str) -> None:
    """The forms are parsed with a cap on the number of fields: past it, the form is empty, not a 500."""
    browser = seeded.signed_in()
    old = browser.cookies[COOKIE]
    csrf = csrf_of(browser.get("/scans").text, "/signout" if path == "/signout" else "/scans")
    fields = {"token": TOKEN, "next": "/history", "csrf": csrf, **{f"x{i}": "1" for i in range(20)}}
    response = browser.post(path, data=fields)
    assert response.status_code in (303, 401), response.text
    if path == "/signin":
        assert response.status_code == 401 and set_cookie(response) is None
    if path == "/scans":
        assert response.headers["location"] == "/signin?next=/scans"
    assert seeded.scanner.get(1) is None
    assert seeded.client(headers={"Cookie": f"{COOKIE}={old}"}).get("/api/v1/report").status_code == 200


# Not "100%25": Starlette's TestClient decodes a path twice (httpx's URL.path, then unquote), a server once.
ODD_NAMES = ("a&next=//evil.example", "q?token=x", "hash#part", "100%", "sp ace", "\u202eevil")


@pytest.mark.parametrize("name", ODD_NAMES)
def test_sign_in_returns_to_a_bucket_whatever_its_name(store: Store, site: Callable[..., Site], name: str) -> None:
    """The page asked for goes through ``next`` and back whole: ``&``, ``?``, ``#`` and ``%`` in it included."""
    store.save(Snapshot("list", T0, (BucketReport(Bucket(name, "us-east-1"), Usage(1, {"STANDARD": 5})),)))
    svc = site()
    path = "/bucket/" + quote(name, safe="")
    browser = svc.browser()
    signin = browser.get(browser.get(path).headers["location"])
    hidden = re.search(r'<input type="hidden" name="next" value="([^"]*)">', signin.text)
    assert hidden is not None
    response = browser.post("/signin", data={"token": TOKEN, "next": html.unescape(hidden.group(1))})
    page = browser.get(response.headers["location"])
    assert page.status_code == 200, (response.headers["location"], page.text)
    heading = re.search(r'<h1 id="bucket-name">(.*?)</h1>', page.text)
    assert heading is not None and shown(heading.group(1)) == name
    # 0.1's ?token= on the same page: back to it, without the token
    traded = svc.browser()
    back = traded.get(path, params={"token": TOKEN}).headers["location"]
    assert "token=" + TOKEN not in back
    again = traded.get(back)
    assert again.status_code == 200, back
    heading = re.search(r'<h1 id="bucket-name">(.*?)</h1>', again.text)
    assert heading is not None and shown(heading.group(1)) == name
