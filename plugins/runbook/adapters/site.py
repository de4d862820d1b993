"""Read a site's pages as `mkdocs build` reads them, without writing the site.

The command line sees what the build sees because it is the build, up to the pages' HTML:
MkDocs loads `mkdocs.yml`, finds the pages (`exclude_docs`, `draft_docs`, `not_in_nav`, symlinks
as MkDocs treats them), runs the plugins' events, mkdocs-macros included, and renders each page;
the runbook plugin reads each one as it does in a build.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort, ConfigurationError, PluginError
from mkdocs.structure.files import File, Files, InclusionLevel, get_files, set_exclusions
from mkdocs.structure.nav import get_navigation
from mkdocs.structure.pages import Page

from runbook.adapters.config import site_settings
from runbook.adapters.plugin import RunbookPlugin
from runbook.adapters.zensical import zensical_config
from runbook.errors import SourceError
from runbook.reading.pages import PageReading
from runbook.reading.settings import SiteSettings
from runbook.reading.steps import Runbook


class SiteError(Exception):
    """`mkdocs.yml` cannot be loaded; `str()` gives `path:line: message`."""


@dataclass(frozen=True)
class Site:
    """A loaded site: its configuration, its pages, and the runbook plugin reading them."""

    config: MkDocsConfig
    files: Files
    plugin: RunbookPlugin

    @property
    def docs_dir(self) -> Path:
        return Path(self.config.docs_dir)

    @property
    def settings(self) -> SiteSettings:
        """The runbook's settings for replays: states, values, stand-ins, cache."""
        return site_settings(self.plugin.config, self.config.config_file_path)

    def pages(self) -> list[File]:
        """The Markdown pages `mkdocs build` renders, in the order of their paths."""
        pages = self.files.documentation_pages(inclusion=InclusionLevel.is_included)
        return sorted(pages, key=lambda file: file.src_uri)

    def page(self, path: str | os.PathLike[str]) -> File:
        """Return the page at filesystem `path`; raise SourceError if the build has no such page."""
        shown = os.fspath(path)
        target = Path(os.path.abspath(path))
        try:
            uri = target.relative_to(os.path.abspath(self.docs_dir)).as_posix()
        except ValueError:
            raise SourceError(
                1, f"not in the docs folder ({self.config.docs_dir})", shown
            ) from None
        found = self.files.get_file_from_path(uri)
        if found is not None and found in self.pages():
            return found
        if target.is_dir():
            raise SourceError(1, "a folder, not a page", shown)
        try:
            target.read_bytes()
        except OSError as error:
            raise SourceError(1, f"cannot read: {error.strerror}", shown) from None
        raise SourceError(1, "not a page the site builds (see exclude_docs, draft_docs)", shown)

    def read(self, pages: Sequence[File]) -> dict[str, PageReading]:
        """Read each page as the build does; check the steps of all of them together."""
        readings: dict[str, PageReading] = {}
        for file in pages:
            with _warnings() as logged:
                try:
                    _render(file, self.config, self.files)
                except Exception as error:  # MkDocs and its plugins may raise anything
                    readings[file.src_uri] = PageReading(
                        Runbook(file.src_uri, (), ()), [_failure(error, file)]
                    )
                    continue
            reading = self.plugin.publication.pages.pop(file.src_uri)
            reading.errors += [_located(f"{name}: {message}", file) for name, message in logged]
            readings[file.src_uri] = reading
        publication = self.plugin.publication
        publication.pages = {path: r for path, r in readings.items() if not r.errors}
        publication.check()
        return readings


def _failure(error: Exception, file: File) -> SourceError:
    """The error of a page that could not be read or rendered, at its line when known."""
    if isinstance(error, UnicodeDecodeError) and isinstance(error.object, bytes):
        line = error.object.count(b"\n", 0, error.start) + 1
        return SourceError(line, "not valid UTF-8 text", file.src_uri)
    if isinstance(error, OSError):
        return SourceError(1, f"cannot read: {error.strerror}", file.src_uri)
    message = str(error).splitlines()[0] if str(error) else type(error).__name__
    return _located(message, file)


def _located(message: str, file: File) -> SourceError:
    found = re.match(r"(?:.*?):(\d+): (.*)", message)
    if found is not None and message.startswith(file.src_uri):
        return SourceError(int(found[1]), found[2], file.src_uri)
    return SourceError(1, message, file.src_uri)


def _render(file: File, config: MkDocsConfig, files: Files) -> None:
    """Read, convert and render one page with the plugins' page events, as a build does."""
    page = file.page if file.page is not None else Page(None, file, config)
    page = config.plugins.on_pre_page(page, config=config, files=files)
    page.read_source(config)
    assert page.markdown is not None
    page.markdown = config.plugins.on_page_markdown(
        page.markdown, page=page, config=config, files=files
    )
    page.render(config, files)
    assert page.content is not None
    page.content = config.plugins.on_page_content(
        page.content, page=page, config=config, files=files
    )


@contextmanager
def _warnings() -> Iterator[list[tuple[str, str]]]:
    """Collect what MkDocs and its plugins warn about meanwhile: a strict build fails on it."""
    logged: list[tuple[str, str]] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                logged.append((record.name.rsplit(".", 1)[-1], record.getMessage()))

    handler = Collect()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    try:
        yield logged
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def load_site(config_file: str | os.PathLike[str] = "mkdocs.yml") -> Site:
    """Load the site of `config_file` as `mkdocs build` does, up to its pages; raise SiteError.

    A `.toml` file is a Zensical guide's `zensical.toml`, read as the `mkdocs.yml` it stands for.
    """
    shown = os.fspath(config_file)
    if not os.path.isfile(config_file):
        raise SiteError(f"{shown}:1: no such configuration file (runbook reads the site's)")
    with _warnings() as logged:
        try:
            if Path(config_file).suffix == ".toml":  # a Zensical guide's zensical.toml
                config = zensical_config(config_file)
            else:
                config = load_config(os.fspath(config_file))
        except (Abort, ConfigurationError, OSError) as error:
            message = "; ".join(m for _, m in logged) or str(error)
            raise SiteError(f"{shown}:{_line(shown, message)}: {message}") from None
        except SourceError as error:
            raise SiteError(str(error.at(shown))) from None
    plugin = config.plugins.get("runbook")
    if not isinstance(plugin, RunbookPlugin):
        plugin = RunbookPlugin()
        plugin.load_config({}, config.config_file_path)
        config.plugins["runbook"] = plugin
    plugin.config.enabled = True  # the command line reads runbooks whether the site publishes them
    try:
        config = config.plugins.on_config(config)
        config.plugins.on_pre_build(config=config)
        files = config.plugins.on_files(get_files(config), config=config)
    except PluginError as error:  # the site cannot be built as configured
        message = str(error)
        raise SiteError(f"{shown}:{_line(shown, message)}: {message}") from None
    set_exclusions(files, config)
    nav = get_navigation(files, config)
    config.plugins.on_nav(nav, config=config, files=files)
    return Site(config, files, plugin)


def _line(config_file: str, message: str) -> int:
    """Guess the line of `mkdocs.yml` (or `zensical.toml`) a configuration error is about."""
    found = re.search(r"line (\d+)", message)
    if found is not None:
        return int(found[1])
    keys = re.findall(r"['`]([\w.-]+)['`]", message)
    try:
        lines = Path(config_file).read_text(encoding="utf-8").splitlines()
    except OSError:
        return 1
    for key in reversed(keys):
        for number, line in enumerate(lines, start=1):
            if re.match(rf"\s*-?\s*{re.escape(key)}\s*:|\s*\"?{re.escape(key)}\"?\s*=", line):
                return number
    return 1
