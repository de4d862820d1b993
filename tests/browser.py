"""Serve a built site on loopback and drive the system Chromium at it, with no other origin.

The browser tests use Debian's Chromium through Playwright (never a downloaded browser). Every
page is opened by a `Browsing`, which lets requests reach the page's own origin only and keeps
what no reader's browser should see: requests to any other origin (blocked) and errors logged in
the console or thrown by a script.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Route,
    sync_playwright,
)

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
Scheme = Literal["light", "dark"]
INSTALL_HINT = "Chromium is not installed: `apt-get install chromium` (Debian, Ubuntu)"

# Material draws each diagram into a closed shadow root, which no test could read; opening it
# changes nothing a reader sees, and lets locators pierce it.
OPEN_SHADOW_ROOTS = """
const attachShadow = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) {
  return attachShadow.call(this, { ...init, mode: "open" });
};
"""


def chromium_path() -> str:
    """Return the system Chromium; skip without it, except on CI, where that is a failure."""
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{INSTALL_HINT}; CI=true, so the browser tests may not skip")
        pytest.skip(INSTALL_HINT)
    return path


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Keep one line per request out of the test output."""


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve `directory` over HTTP on a free loopback port; yield its URL, ending in `/`."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}/"
        finally:
            server.shutdown()
            thread.join()


def origin(url: str) -> str:
    """Return the scheme, host and port of `url`."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium per test session (per worker under xdist), shared by every browser test:
    Playwright allows one session per process."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def site_url(site: Path) -> Iterator[str]:
    """The project's built site, served on loopback."""
    with serve(site) as url:
        yield url


@pytest.fixture
def browse(browser: Browser) -> Iterator[Browsing]:
    """Open pages for one test; fail it if a page reached another origin or logged an error."""
    browsing = Browsing(browser)
    yield browsing
    browsing.close()
    assert browsing.outside == [], "requests to another origin (blocked)"
    assert browsing.errors == [], "errors in the browser console"


@dataclass
class Browsing:
    """The pages one test opens, each in a fresh context, and what they did that they must not."""

    browser: Browser
    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    contexts: list[BrowserContext] = field(default_factory=list)

    def open(
        self, url: str, *, width: int = 1280, height: int = 800, scheme: Scheme = "light"
    ) -> Page:
        """Open `url` in a context of that viewport and colour scheme (light unless said) that
        reaches only its origin."""
        own = origin(url)
        # The palette follows the system's scheme until the reader picks one: pin it.
        context = self.browser.new_context(
            viewport={"width": width, "height": height}, color_scheme=scheme
        )
        self.contexts.append(context)
        context.set_default_timeout(10_000)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=own)
        context.add_init_script(OPEN_SHADOW_ROOTS)

        def only_own_origin(route: Route) -> None:
            if origin(route.request.url) == own:
                route.continue_()
            else:
                self.outside.append(route.request.url)
                route.abort("blockedbyclient")

        context.route("**/*", only_own_origin)
        page = context.new_page()
        page.on("console", self._console)
        page.on("pageerror", self._page_error)
        page.goto(url)
        return page

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location
            self.errors.append(f"{where['url']}:{where['lineNumber']}: {message.text}")

    def _page_error(self, error: Error) -> None:
        self.errors.append(f"uncaught: {error.message}")

    def close(self) -> None:
        """Close every context this test opened."""
        for context in self.contexts:
            context.close()
        self.contexts.clear()
