"""The `runbook` MkDocs plugin: read each page's steps as the build renders it, and publish
them as scripts, offered in a box under the page's title (see `publication.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.files import File

from runbook.adapters.config import RunbookConfig
from runbook.adapters.docs_folder import symlink_loops
from runbook.adapters.publication import Publication, write_output
from runbook.adapters.results import (
    Key,
    Result,
    ResultsError,
    read_results,
    results_file,
)
from runbook.adapters.scriptbox import (
    insert_box,
)
from runbook.reading.fences import FenceReader
from runbook.reading.pages import read_page
from runbook.reading.render import Recorder, Rendering
from runbook.reading.selection import Selection
from runbook.replaying.states import StateError, bundle_name, make_bundle

if TYPE_CHECKING:
    from jinja2 import Environment
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.nav import Navigation
    from mkdocs.structure.pages import Page
    from mkdocs.utils.templates import TemplateContext

log = get_plugin_logger(__name__)


def selection_of(config: RunbookConfig) -> Selection:
    return Selection(
        tuple(config.languages),
        config.title,
        config.second_title,
        tuple(config.output_languages),
        config.output_prose,
    )


class RunbookPlugin(BasePlugin[RunbookConfig]):
    def on_config(self, config: MkDocsConfig) -> None:
        """Read the options once per build, and follow each page's render."""
        if not self.config.enabled:
            return
        loops = symlink_loops(config.docs_dir)
        if loops:
            link, target = loops[0]
            raise PluginError(
                f"runbook: {link} is a symbolic link to {target}, a folder that holds it: MkDocs "
                "would walk through it again and again, finding a copy of each page each time; "
                "remove the link or point it elsewhere"
            )
        self.selection = selection_of(self.config)
        try:
            self.fence_reader = FenceReader.configured(
                config.markdown_extensions, config.mdx_configs
            )
        except ValueError as error:
            raise PluginError(f"runbook: {error}") from None
        self.recorder = Recorder()
        config.markdown_extensions.append(self.recorder)  # type: ignore[arg-type]
        stylesheet = Publication(self.config).stylesheet
        if stylesheet not in config.extra_css:
            config.extra_css.append(stylesheet)

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        """Start each build, `mkdocs serve` rebuilds included, with no pages read."""
        self.bodies: dict[str, str] = {}
        results: dict[Key, Result] = {}
        if self.config.enabled:
            folder = Path(config.config_file_path or ".").parent
            where = results_file(folder, self.config.cache_dir, self.config.results)
            try:
                results = read_results(where)
            except ResultsError as error:
                log.warning(f"{error}: the script boxes say no page was replayed")
        self.publication = Publication(self.config, results)

    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> None:
        """Publish the repository of each named start state, for readers who take over."""
        if not self.config.enabled:
            return
        publication = self.publication
        publication.page_names = {file.src_uri for file in files.documentation_pages()}
        publication.site_files = {file.dest_uri for file in files}
        cache = Path(config.config_file_path or ".").parent / self.config.cache_dir
        for name, script in self.config.states.items():
            try:
                data = make_bundle(name, Path(script), cache)
            except StateError as error:
                raise PluginError(f"runbook: {error}") from None
            if data is not None:
                uri = f"{self.config.script_dir}/{bundle_name(name)}"
                files.append(File.generated(config, uri, content=data))
                publication.bundles[name] = data

    # Before other plugins: the page's body as MkDocs read it, without its front matter.
    @event_priority(100)
    def on_page_markdown(
        self, markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> None:
        """Keep the page's body, to count its lines from."""
        if self.config.enabled:
            self.bodies[page.file.src_uri] = markdown

    # After other plugins: what this compares with the script is what the reader gets.
    @event_priority(-100)
    def on_page_content(
        self, html: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> None:
        """Read the page's runbook from its source and its render, and compare with its HTML."""
        if not self.config.enabled:
            return
        assert page.markdown is not None
        publication = self.publication
        publication.urls[page.file.src_uri] = page.url
        rendering = self.recorder.take(page.markdown) or Rendering(page.markdown)
        path = page.file.src_uri
        reading = read_page(
            path,
            page.file.content_string,
            rendering,
            html,
            self.fence_reader,
            self.selection,
            (self.bodies.pop(path, None), page.meta),
        )
        publication.pages[path] = reading
        if not reading.errors:
            publication.step_check.add(reading.runbook.steps)  # bash parses them meanwhile

    def on_env(self, env: Environment, /, *, config: MkDocsConfig, files: Files) -> None:
        """Once every page is read: check each step's bash, make the pages' scripts, and write
        them and the manifest into the site (the downloads are files of it)."""
        if not self.config.enabled:
            return
        publication = self.publication
        publication.check()
        site = Path(config.site_dir)
        for _, reading in sorted(publication.pages.items()):
            if not reading.errors and reading.runbook.steps:
                for name, script in publication.publish(reading).items():
                    write_output(site / name, script.encode("utf-8"))
            for error in reading.errors:
                log.warning(str(error))
        for name, data in publication.outputs().items():
            if not name.endswith(".bundle"):
                write_output(site / name, data)

    def on_page_context(
        self, context: TemplateContext, /, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        """Put the page's script box under its title, in its content: any theme shows it."""
        publication = self.publication
        if self.config.enabled and publication.links.get(page.file.src_uri):
            box = publication.box(page.file.src_uri, page.url)
            page.content = insert_box(page.content or "", box)
        return context
