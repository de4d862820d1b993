"""Shared fixtures: real MkDocs builds, real pages read as the build reads them, real replays."""

from __future__ import annotations

import itertools
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import settings
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig

# The session's Chromium, the served site and a test's pages, for every browser test.
from browser import browse, browser, site_url  # noqa: F401
from helpers import DOCS, PROJECT, write_site
from runbook.adapters.plugin import selection_of
from runbook.adapters.site import Site, load_site
from runbook.errors import SourceError
from runbook.reading.pages import PageReading, read_markdown
from runbook.reading.steps import Runbook
from runbook.replaying.sandbox import Sandbox
from runbook.replaying.session import PageReplay, ReplaySession, Transport

# `record_replay`, and the results file of the replays, which the site's script boxes show.
pytest_plugins = ["runbook.adapters.pytest_plugin"]

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")


def pytest_configure(config: pytest.Config) -> None:
    """A fresh run (`RUNBOOK_FRESH=1`, as CI runs) replays each page again, once: it gets a
    name of its own, which pytest-xdist's workers inherit."""
    if os.environ.get("RUNBOOK_FRESH") and not hasattr(config, "workerinput"):
        os.environ["RUNBOOK_FRESH"] = f"pytest-{uuid.uuid4().hex}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A module of checks named after a page (`test_my_page.py` for `docs/my-page.md`) answers
    to the page's name: `pytest -k my-page` runs them with the page's replays."""
    pages = {path.stem.replace("-", "_"): path.stem for path in DOCS.glob("*.md")}
    for item in items:
        module = item.path.stem.removeprefix("test_")
        if module in pages:
            item.extra_keyword_matches.add(pages[module])


# Property tests render hundreds of pages: no deadline per page. On CI the examples are the same
# on every run, so a failure there is one anyone can reproduce.
settings.register_profile(
    "runbook",
    max_examples=int(os.environ.get("RUNBOOK_EXAMPLES", "150")),
    deadline=None,
    derandomize=os.environ.get("CI", "").lower() == "true",
)
settings.load_profile("runbook")


def build_site(config_file: Path, site_dir: Path, **options: object) -> Path:
    """Build the site of `config_file` into `site_dir`, strictly unless `options` say not."""
    options.setdefault("strict", True)
    build(load_config(str(config_file), site_dir=str(site_dir), **options))
    return site_dir


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's docs, built once per test session."""
    return build_site(PROJECT / "mkdocs.yml", tmp_path_factory.mktemp("site"))


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[..., Path]:
    """Build a small site of the given pages ({name: markdown}); return its site folder."""

    def make(pages: dict[str, str | bytes], config: str | None = None, **options: object) -> Path:
        return build_site(write_site(tmp_path, pages, config), tmp_path / "site", **options)

    return make


@pytest.fixture(autouse=True)
def _quiet_mkdocs_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="mkdocs")


# Pages read as the build reads them --------------------------------------------------------


@dataclass
class Guide:
    """A site's pages, read as `mkdocs build` reads them, and replayed in sandboxes."""

    site: Site
    readings: dict[str, PageReading]
    transport: Transport = "path"
    stack: ExitStack = field(default_factory=ExitStack)
    sessions: dict[Transport, ReplaySession] = field(default_factory=dict)

    @property
    def runbooks(self) -> dict[str, Runbook]:
        return {path: reading.runbook for path, reading in self.readings.items()}

    @property
    def errors(self) -> list[str]:
        return [str(error) for reading in self.readings.values() for error in reading.errors]

    def runbook(self, page: str) -> Runbook:
        reading = self.readings[page]
        if reading.errors:
            pytest.fail("\n".join(map(str, reading.errors)), pytrace=False)
        return reading.runbook

    def session(self, transport: Transport | None = None) -> ReplaySession:
        """The replay session of this guide over `transport` (the guide's own by default)."""
        transport = transport or self.transport
        if transport not in self.sessions:
            runbooks = self.runbooks
            starts = {r.settings.start.name for r in runbooks.values() if r.settings.start}
            self.sessions[transport] = ReplaySession(
                self.runbook,
                runbooks.keys(),
                self.site.settings,
                transport,
                followed=starts.__contains__,
                fresh=os.environ.get("RUNBOOK_FRESH") or None,
            )
        return self.sessions[transport]

    def replay(
        self,
        page: str,
        variant: str | None = None,
        *,
        take_over: bool = False,
        prepare: Callable[[Sandbox], None] | None = None,
        transport: Transport | None = None,
        after: tuple[str | None, ...] = (),
    ) -> PageReplay:
        """Replay a page; it stays open (sandbox, server) until the test ends."""
        return self.stack.enter_context(
            self.session(transport).replay(page, variant, take_over, prepare, after=after)
        )


def read_guide(config_file: Path, transport: Transport = "path") -> Guide:
    site = load_site(config_file)
    return Guide(site, site.read(site.pages()), transport)


@pytest.fixture(scope="session")
def docs() -> Guide:
    """The project's docs, read once per session, as the build reads them."""
    return read_guide(PROJECT / "mkdocs.yml")


@pytest.fixture(params=["path", "http"], ids=["remote-path", "remote-http"])
def transport(request: pytest.FixtureRequest) -> Transport:
    """How the replay reaches its remotes: a local path, or smart HTTP on 127.0.0.1."""
    return request.param


@pytest.fixture
def replay_page(docs: Guide, transport: Transport) -> Iterator[Callable[..., PageReplay]]:
    """Replay a page of the docs over `transport`; the replay is open until the test ends."""
    with ExitStack() as stack:

        def replay(page: str, variant: str | None = None, **options: object) -> PageReplay:
            session = docs.session(transport)
            return stack.enter_context(session.replay(page, variant, **options))  # type: ignore[arg-type]

        yield replay


@pytest.fixture
def guide(tmp_path: Path) -> Iterator[Callable[..., Guide]]:
    """Write a small site of the given pages and read it as the build does, to replay it."""
    with ExitStack() as stack:
        count = itertools.count()

        def make(pages: dict[str, str | bytes], config: str | None = None) -> Guide:
            folder = tmp_path / f"guide-{next(count)}"
            made = read_guide(write_site(folder, pages, config))
            stack.enter_context(made.stack)
            return made

        yield make


def assert_replayed(replayed: PageReplay) -> None:
    """Fail the test with the replay's report unless every step ran and passed."""
    if not replayed.ok:
        pytest.fail(replayed.report(), pytrace=False)


# Pages read without a build ----------------------------------------------------------------


@pytest.fixture(scope="session")
def markdown_settings() -> MkDocsConfig:
    """The project's configuration: its Markdown extensions, and the runbook's options."""
    return load_config(str(PROJECT / "mkdocs.yml"))


@pytest.fixture
def read(markdown_settings: MkDocsConfig) -> Callable[[str], PageReading]:
    """Read a page's Markdown with the site's Markdown settings, without a build or macros."""

    def reader(text: str, path: str = "page.md") -> PageReading:
        plugin = markdown_settings.plugins["runbook"]
        return read_markdown(
            path,
            text,
            markdown_settings.markdown_extensions,
            markdown_settings.mdx_configs,
            selection_of(plugin.config),  # type: ignore[arg-type]
        )

    return reader


def only_runbook(reading: PageReading) -> Runbook:
    """The runbook of a reading that must have no errors."""
    if reading.errors:
        raise AssertionError("\n".join(str(e) for e in reading.errors))
    return reading.runbook


__all__ = ["DOCS", "SourceError", "assert_replayed", "build_site", "only_runbook"]
