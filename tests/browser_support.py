"""The browser side of the tests: the shared build served under a sub-path, Debian's Chromium, tabs that fail on errors.

A plugin (registered in conftest.py), so that every browser test module
gets the same fixtures by name without importing them.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    sync_playwright,
)

from .conftest import ROOT, Build

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
# Served below a path, as GitHub Pages serves a project site, so a root-absolute link fails here too.
PREFIX = "/resnet18/"
LANGUAGES = {"es": "", "en": "en/"}  # language -> folder under the site root
PAGES = ("", "maps/", "explorer/", "own-image/", "family/", "experiment/", "notebook/", "reproducibility/")
TIMEOUT_MS = 10_000
PHONE_WIDTH = 375


def page_params() -> list[object]:
    """(language, page) pairs for every page of both languages, ids like es-maps."""
    return [pytest.param(language, page, id=f"{language}-{page.strip('/') or 'index'}")
            for language in LANGUAGES for page in PAGES]


def path_of(language: str, page: str) -> str:
    return PREFIX + LANGUAGES[language] + page


# -- server and browser ---------------------------------------------------------------------------------------


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # The browser drops connections it no longer needs (navigation, aborted lazy images): not an error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def handler_for(site: Path) -> type[SimpleHTTPRequestHandler]:
    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(site), **kwargs)  # type: ignore[arg-type]

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
            pass

        def send_head(self):  # type: ignore[no-untyped-def]
            if not urlsplit(self.path).path.startswith(PREFIX):
                self.send_error(404, "outside the site")
                return None
            return super().send_head()

        def translate_path(self, path: str) -> str:
            return super().translate_path("/" + path[len(PREFIX):])

    return Handler


@pytest.fixture(scope="module")
def site_url(built: Build) -> Iterator[str]:
    server = QuietServer(("127.0.0.1", 0), handler_for(built.site))
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{PREFIX}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's chromium or set CHROMIUM to a Chromium binary")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@dataclass
class Tab:
    """A page plus every error it reported: console errors, uncaught exceptions, requests to other hosts."""

    page: Page
    site_url: str
    errors: list[str] = field(default_factory=list)

    def open(self, language: str, page: str) -> None:
        self.page.goto(self.site_url + LANGUAGES[language] + page, wait_until="load")

    def path(self) -> str:
        return urlsplit(self.page.url).path

    def lang(self) -> str:
        return self.page.eval_on_selector("html", "html => html.lang")

    def load_images(self) -> list[dict[str, object]]:
        """Scroll every (lazy) image into view, wait until each has loaded or failed, and describe them."""
        return self.page.evaluate("""async () => {
            const settled = img => img.complete ? Promise.resolve() : new Promise(resolve => {
                img.addEventListener('load', resolve, {once: true});
                img.addEventListener('error', resolve, {once: true});
                setTimeout(resolve, 5000);
            });
            for (const img of document.images) {
                img.scrollIntoView({block: 'center'});
                await settled(img);
            }
            window.scrollTo(0, 0);
            return [...document.images].map(img => ({src: img.currentSrc || img.src, width: img.naturalWidth,
                                                     alt: (img.getAttribute('alt') || '').trim()}));
        }""")


def open_tab(context: BrowserContext, site_url: str) -> Tab:
    """A fresh page that records console errors, uncaught exceptions and any request to another host."""
    page = context.new_page()
    tab = Tab(page=page, site_url=site_url)
    origin = "{0.scheme}://{0.netloc}/".format(urlsplit(site_url))
    page.on("request", lambda request: request.url.startswith((origin, "data:")) or tab.errors.append(
        f"request to another host: {request.url}"))
    page.on("console", lambda message: message.type == "error" and tab.errors.append(
        f"console error: {message.text} ({message.location.get('url')})"))
    page.on("pageerror", lambda error: tab.errors.append(f"uncaught exception: {error}"))
    return tab


def new_context(browser: Browser, **options: object) -> BrowserContext:
    context = browser.new_context(**options)  # type: ignore[arg-type]
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def weighed(browser: Browser, site_url: str) -> Iterator[tuple[Tab, list[tuple[str, int]]]]:
    """A phone-sized tab with an empty cache, whose every response is logged with its body size."""
    context = new_context(browser, viewport={"width": PHONE_WIDTH, "height": 812})
    phone = open_tab(context, site_url)
    log: list[tuple[str, int]] = []
    phone.page.on("requestfinished", lambda request: log.append((request.url, request.sizes()["responseBodySize"])))
    yield phone, log
    context.close()


@pytest.fixture(scope="module")
def desktop(browser: Browser) -> Iterator[BrowserContext]:
    context = new_context(browser, viewport={"width": 1280, "height": 800})
    yield context
    context.close()


@pytest.fixture(scope="module")
def narrow(browser: Browser) -> Iterator[BrowserContext]:
    # Not is_mobile: a mobile viewport grows to fit wide content, which would hide the very overflow looked for.
    context = new_context(browser, viewport={"width": PHONE_WIDTH, "height": 812})
    yield context
    context.close()


@pytest.fixture
def tab(desktop: BrowserContext, site_url: str) -> Iterator[Tab]:
    tab = open_tab(desktop, site_url)
    yield tab
    tab.page.close()


@pytest.fixture
def phone(narrow: BrowserContext, site_url: str) -> Iterator[Tab]:
    tab = open_tab(narrow, site_url)
    yield tab
    tab.page.close()
