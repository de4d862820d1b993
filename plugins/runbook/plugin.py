"""The `runbook` MkDocs plugin: publish each page's commands as scripts, linked from the page."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger

from runbook.config import RunbookConfig, SettingsError, selection
from runbook.errors import SourceError
from runbook.fences import Fence, scan
from runbook.pages import script_name
from runbook.runbook import Selection, runbook_of
from runbook.script import render_script

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.nav import Navigation
    from mkdocs.structure.pages import Page
    from mkdocs.utils.templates import TemplateContext

log = get_plugin_logger(__name__)


@dataclass(frozen=True)
class _Layout:
    """A page's Markdown as MkDocs gives it to plugins, and the fences of its source."""

    markdown: str
    offset: int
    fences: list[Fence]


@dataclass(frozen=True)
class ScriptLink:
    """A published script as the page template shows it."""

    variant: str
    url: str
    steps: int


class RunbookPlugin(BasePlugin[RunbookConfig]):
    def on_config(self, config: MkDocsConfig) -> None:
        """Check the options once per build."""
        if not self.config.enabled:
            return
        try:
            self.selection: Selection = selection(self.config)
        except SettingsError as error:
            raise PluginError(f"runbook: {error}") from None

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        """Start each build, `mkdocs serve` rebuilds included, with no scripts."""
        self.scripts: dict[str, str] = {}
        self.links: dict[str, list[ScriptLink]] = {}
        self.last_page: _Layout | None = None

    # Before mkdocs-macros, whose code guard (`runbook.macros`) reuses the page's scan.
    @event_priority(50)
    def on_page_markdown(
        self, markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> None:
        """Read the page's source, as the CLI does, into its runbook and scripts."""
        self.last_page = None
        if not self.config.enabled:
            return
        path = page.file.src_uri
        source = page.file.content_string
        try:
            layout = scan(source)
            # MkDocs gives plugins the page's Markdown without what it reads as metadata (YAML
            # front matter, or MultiMarkdown lines) and the blank lines after it: the same
            # lines as the source's last ones, after `offset` others.
            if source.endswith(markdown):
                removed = source[: len(source) - len(markdown)]
                offset = len(removed.replace("\r\n", "\n").replace("\r", "\n").split("\n")) - 1
                self.last_page = _Layout(markdown, offset, layout.fences)
            runbook = runbook_of(path, layout, self.selection)
        except SourceError as error:
            log.warning(str(error.at(path)))
            return
        if not runbook.steps:
            return
        names = {
            v.name: f"{self.config.script_dir}/{script_name(path, v)}" for v in runbook.variants
        }
        if len(set(names.values())) < len(names):
            clash = ", ".join(repr(v) for v in names)
            log.warning(f"{path}:1: tab labels {clash} give scripts the same file name; rename one")
            return
        links = []
        for variant in runbook.variants:
            self.scripts[names[variant.name]] = render_script(runbook, variant)
            steps = len(runbook.steps_for(variant))
            links.append(ScriptLink(variant.name, names[variant.name], steps))
        self.links[path] = links

    def fence_lines(self, markdown: str) -> list[tuple[int, int]] | None:
        """Return the first and last line of each fenced block in a page's `markdown`.

        The lines are counted in `markdown`. Returns None unless `markdown` is the page this
        plugin read last, before any other plugin changed it.
        """
        page = self.last_page
        if page is None or page.markdown != markdown:
            return None
        if page.fences and page.fences[0].line <= page.offset:
            return None  # a fence in what MkDocs took as metadata: the guard reads for itself
        return [(f.line - page.offset, f.end - page.offset) for f in page.fences]

    def on_page_context(
        self, context: TemplateContext, /, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        """Give the page template its download links (see overrides/main.html)."""
        if self.config.enabled:
            context["runbook_scripts"] = self.links.get(page.file.src_uri, [])  # type: ignore[typeddict-unknown-key]
        return context

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        """Write the scripts into the site, each whole or not at all."""
        if not self.config.enabled:
            return
        folders: set[Path] = set()
        for name, text in self.scripts.items():
            path = Path(config.site_dir) / name
            if path.parent not in folders:
                path.parent.mkdir(parents=True, exist_ok=True)
                folders.add(path.parent)
            write_script(path, text)


def write_script(path: Path, text: str) -> None:
    """Write `text` to `path`, mode 0o755 whatever the umask; never leave half a script.

    A new file is written in place: a failed write removes it. An existing one, from a build
    that did not clean the site, is replaced through a temporary file, so no reader of the old
    script sees half of the new one. The folder must exist.
    """
    data = text.encode("utf-8")
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        temporary = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
        _write_new(temporary, data)
        try:
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    else:
        _write_new(path, data, handle)


def _write_new(path: Path, data: bytes, handle: int | None = None) -> None:
    """Write `data` to the new file `path` (open as `handle`), or remove what was written."""
    if handle is None:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            os.fchmod(stream.fileno(), 0o755)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
