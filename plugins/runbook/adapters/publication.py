"""What one build publishes for its pages: their scripts, the links and boxes that offer them,
and the problems found across pages (starts, bash, script names).

The plugin makes one `Publication` per build, and fills it as MkDocs renders the pages;
`runbook export` fills one the same way for a site another generator built.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path

from mkdocs.utils import get_relative_url, write_file

from runbook.adapters.config import RunbookConfig
from runbook.adapters.results import Key, Result, script_digest
from runbook.adapters.scriptbox import (
    STYLESHEET,
    BoxScript,
    render_box,
    script_label,
    stylesheet,
)
from runbook.errors import SourceError
from runbook.reading.pages import PageReading
from runbook.reading.steps import Runbook
from runbook.reading.syntax import StepCheck
from runbook.reading.variants import Variant
from runbook.replaying.chains import chain_of, path_through, start_errors, whole_chain
from runbook.replaying.script import page_script, render_script, script_name
from runbook.replaying.states import bundle_name


@dataclass(frozen=True)
class ScriptLink:
    """A published script as the page template shows it."""

    label: str
    url: str
    steps: int
    take_over: bool = False


class Publication:
    """The pages one build read, and what it publishes for them."""

    def __init__(self, config: RunbookConfig, results: dict[Key, Result] | None = None) -> None:
        self.config = config
        self.results = results or {}
        self.pages: dict[str, PageReading] = {}
        self.urls: dict[str, str] = {}
        # The digest of each published script, by URL: the scripts themselves are written as
        # each page is published, and not kept (a large site's would double the build's memory).
        self.digests: dict[str, str] = {}
        self.links: dict[str, list[ScriptLink]] = {}
        # The download of each named start state, for readers who take over.
        self.bundles: dict[str, bytes] = {}
        self.page_names: set[str] = set()
        self.site_files: set[str] = set()
        # bash parses the steps of the pages read so far, while the build goes on.
        self.step_check = StepCheck()

    @property
    def stylesheet(self) -> str:
        """The script box's styles, in the site (see scriptbox.py)."""
        return f"{self.config.script_dir}/{STYLESHEET}"

    def check(self) -> None:
        """Add the errors found across pages: each page's start, and each step's bash."""
        runbooks = {path: reading.runbook for path, reading in self.pages.items()}
        for error in start_errors(runbooks, self.page_names, self.config.states):
            self.pages[error.path].errors.append(error)
        for path, reading in self.pages.items():
            start = reading.runbook.settings.start
            if reading.runbook.take_over and (start is None or start.name not in self.bundles):
                reading.errors.append(
                    SourceError(
                        start.line if start else 1,
                        "take-over steps need a start state to download: a named state of "
                        "mkdocs.yml that builds a git repository",
                        path,
                    )
                )
        check, self.step_check = self.step_check, StepCheck()
        for error in check.errors():
            if error.path in self.pages:
                self.pages[error.path].errors.append(error)
        self.check_names()

    def check_names(self) -> None:
        """Add an error to each page whose scripts would take a name already taken: by another
        of its scripts, by an earlier page's script, or by a file of the site."""
        owners: dict[str, str] = {}
        for path, reading in sorted(self.pages.items()):
            if reading.errors or not reading.runbook.steps:
                continue
            urls = [url for url, *_ in self.scripts_of(reading.runbook)]
            problem = None
            if len(set(urls)) < len(urls):
                labels = ", ".join(repr(v.name) for v in reading.runbook.variants)
                problem = f"tab labels {labels} give scripts the same file name; rename one"
            for url in urls:
                if problem is None and url in owners:
                    problem = (
                        f"its script {url} has the name of {owners[url]}'s script: rename the "
                        "page or a tab"
                    )
                if problem is None and url in self.site_files:
                    problem = f"its script {url} has the name of a file of the site: rename one"
            if problem is not None:
                reading.errors.append(SourceError(1, problem, path))
            else:
                owners.update(dict.fromkeys(urls, path))

    def scripts_of(self, runbook: Runbook) -> list[tuple[str, Variant, bool, bool]]:
        """The URL in the site of each script of `runbook`, with its variant, whether it is its
        take-over path's, and whether it is its whole chain's (a page that starts after
        another has both: its own steps, and its chain's from the start)."""
        chained = self.chain(runbook.path) is not None
        ways = [(False, False), (True, False)] if runbook.take_over else [(False, False)]
        ways += [(False, True)] if chained else []
        return [
            (
                f"{self.config.script_dir}/{script_name(runbook.path, variant, take_over, whole)}",
                variant,
                take_over,
                whole,
            )
            for take_over, whole in ways
            for variant in runbook.variants
        ]

    def chain(self, path: str) -> list[str] | None:
        """The pages a page's replay starts after, and the page; None for a page that starts
        after none, or whose chain has errors."""
        start = self.pages[path].runbook.settings.start
        if start is None or not start.page:
            return None
        runbooks = {p: r.runbook for p, r in self.pages.items() if not r.errors}
        try:
            return chain_of(path, runbooks.__getitem__, runbooks, self.config.states)
        except (SourceError, KeyError):
            return None

    def publish(self, reading: PageReading) -> dict[str, str]:
        """Make the scripts of a page's variants and paths, and the links to them; return the
        scripts by URL (the page's script names are checked: see `check_names`)."""
        runbook = reading.runbook
        links, scripts = [], {}
        for url, variant, take_over, whole in self.scripts_of(runbook):
            label = script_label(variant, take_over, whole)
            if whole:
                script = self.whole_script(runbook.path, variant)
                steps = script.count("\nrunbook_begin ")
            else:
                steps = len(runbook.steps_for(variant, take_over))
                script = page_script(runbook, variant, take_over, self.config.timeout)
            scripts[url] = script
            self.digests[url] = script_digest(script)
            links.append(ScriptLink(label, url, steps, take_over))
        self.links[runbook.path] = links
        return scripts

    def whole_script(self, path: str, variant: Variant) -> str:
        """The script of a page's whole chain, for `variant` of the page, from the start."""
        chain = self.chain(path) or [path]
        runbooks = [self.pages[page].runbook for page in chain]
        way = path_through(runbooks, {len(runbooks) - 1: variant})
        combined = whole_chain(runbooks, way)
        timeout = combined.settings.setup.timeout or self.config.timeout
        return render_script(combined, None, False, None, timeout, chain)

    def outputs(self) -> dict[str, bytes]:
        """The files the plugin publishes besides the pages' scripts, by path in the site:
        downloads, the manifest and the script box's styles.

        The manifest maps each page's URL to its links, for page templates that do not get them
        from the plugin (`runbook export` publishes the same files for another generator).
        """
        files = {}
        for name, data in self.bundles.items():
            files[f"{self.config.script_dir}/{bundle_name(name)}"] = data
        pages = {
            self.urls[path]: [dataclasses.asdict(link) for link in links]
            for path, links in sorted(self.links.items())
        }
        manifest = json.dumps({"pages": pages}, indent=2, sort_keys=True) + "\n"
        files[f"{self.config.script_dir}/manifest.json"] = manifest.encode("utf-8")
        files[self.stylesheet] = stylesheet().encode("utf-8")
        return files

    def box(self, path: str, page_url: str) -> str:
        """The script box of a published page, its links relative to `page_url`."""
        runbook = self.pages[path].runbook

        def href(url: str) -> str:
            return get_relative_url(url, page_url)

        scripts = [
            BoxScript(
                link.label,
                href(url),
                variant,
                take_over,
                self.replayed(path, url, variant, take_over, whole),
                whole,
            )
            for link, (url, variant, take_over, whole) in zip(
                self.links[path], self.scripts_of(runbook), strict=True
            )
        ]
        start = runbook.settings.start
        bundle = after = None
        if start is not None and start.name in self.bundles:
            bundle = href(f"{self.config.script_dir}/{bundle_name(start.name)}")
        if start is not None and start.name in self.urls:
            after = href(self.urls[start.name])
        chain = self.chain(path) or ()
        return render_box(runbook, scripts, bundle=bundle, after=after, chain=chain)

    def replayed(
        self, path: str, url: str, variant: Variant, take_over: bool, whole: bool = False
    ) -> Result | None:
        """The recorded replay of the script published at `url`, if it ran that very script."""
        result = self.results.get((path, variant.name, take_over, whole))
        if result is None or result.script != self.digests[url]:
            return None
        return result


def write_output(path: Path, data: bytes) -> None:
    """Write a published file; a script is executable, whatever the umask."""
    write_file(data, str(path))
    if path.suffix == ".sh":
        os.chmod(path, 0o755)
