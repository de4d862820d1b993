"""`mkdocs serve` rebuilds a page and its script when the author edits the page's commands."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import TypeVar

import pytest

from helpers import CHAPTER, DOCS, PROJECT

PAGE = CHAPTER.removesuffix(".md") + "/"
SCRIPT = "runbooks/" + CHAPTER.removesuffix(".md") + ".sh"
BEFORE = "git push -u origin main"
AFTER = "git push --set-upstream origin main"
# Generous for a loaded CI machine; the polls end as soon as the server has answered.
DEADLINE = 60.0

T = TypeVar("T")


@dataclass(frozen=True)
class Served:
    """A copy of the project that `mkdocs serve` is serving."""

    root: Path
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def free_port() -> int:
    """Return a loopback port that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> str | None:
    """Return the body of `url`, or None while the server does not answer it."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def wait_for(served: Served, what: str, check: Callable[[], T | None]) -> T:
    """Poll `check` until it returns a value, failing early if `mkdocs serve` exits."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if (value := check()) is not None:
            return value
        if served.process.poll() is not None:
            pytest.fail(f"mkdocs serve exited while waiting for {what}:\n{served.log.read_text()}")
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}; mkdocs serve said:\n{served.log.read_text()}")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def text_of(html: str) -> str:
    """Return the text a reader sees in `html`: highlighted code is split over many tags."""
    parser = _Text()
    parser.feed(html)
    return "".join(parser.parts)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """A copy of the project's site sources, served by `mkdocs serve` on a free loopback port."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy2(PROJECT / "mkdocs.yml", root)
    shutil.copytree(DOCS, root / "docs")
    shutil.copytree(PROJECT / "overrides", root / "overrides")
    shutil.copytree(PROJECT / "states", root / "states")
    # The plugin is imported from the installed package, but mkdocs.yml watches plugins/ for
    # its authors, and MkDocs refuses a watched path that does not exist.
    (root / "plugins").mkdir()
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"],
            cwd=root,
            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            # Its own process group, so teardown can end everything it started.
            start_new_session=True,
        )
    site = Served(root, f"http://127.0.0.1:{port}/", process, log)
    try:
        # Only `mkdocs serve` injects livereload: another server on the port does not count.
        wait_for(site, "the first build", lambda: "livereload" in (fetch(site.url) or "") or None)
        yield site
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_serve_rebuilds_page_and_script_when_a_command_changes(served: Served) -> None:
    """Editing a command in the chapter changes the served page and the served script."""
    page_url, script_url = served.url + PAGE, served.url + SCRIPT
    page = wait_for(served, "the chapter", lambda: fetch(page_url))
    script = wait_for(served, "the script", lambda: fetch(script_url))
    assert BEFORE in text_of(page)
    assert BEFORE in script.splitlines()

    source = served.root / "docs" / CHAPTER
    markdown = source.read_text(encoding="utf-8")
    assert markdown.count(BEFORE) == 1
    source.write_text(markdown.replace(BEFORE, AFTER), encoding="utf-8")

    def rebuilt() -> tuple[str, str] | None:
        page, script = fetch(page_url), fetch(script_url)
        if page and script and AFTER in text_of(page) and AFTER in script:
            return page, script
        return None

    page, script = wait_for(served, "the rebuilt chapter and script", rebuilt)
    assert BEFORE not in text_of(page)
    assert BEFORE not in script
    cli = subprocess.run(
        [sys.executable, "-m", "runbook", "script", f"docs/{CHAPTER}"],
        cwd=served.root,
        capture_output=True,
        text=True,
        check=True,
    )
    assert script == cli.stdout
