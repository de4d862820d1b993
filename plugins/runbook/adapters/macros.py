"""Keep fenced code out of the macros' Jinja, and describe the runbooks in the docs: a page's
steps (`runbook_steps`), and every page's coverage (`runbook_coverage`).

Before Jinja renders a page, every fence is set aside and put back after, so `{{ x }}`,
`{% raw %}` or `${#a[@]}` in code reaches the reader, and the script, verbatim. The fences are
found as SuperFences finds them (`fences.py`), with the site's own Markdown settings.

The module serves both engines that render `mkdocs.yml`'s macros. Listed under `macros: modules:`
it is an mkdocs-macros module: MkDocs runs Jinja on each page before the Markdown render, and
calls the hooks below around it. Listed under `markdown_extensions:` it is also a Markdown
extension: Zensical runs its macros as a step of the Markdown render, and the extension sets the
code aside just before that step and puts it back just after. Under MkDocs the extension does
nothing.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

import markdown
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor
from mkdocs.structure.files import InclusionLevel, get_files, set_exclusions

from runbook.adapters.config import RunbookConfig
from runbook.adapters.coverage import coverage_table
from runbook.adapters.plugin import RunbookPlugin, selection_of
from runbook.adapters.results import Key, Result, ResultsError, read_results, results_file
from runbook.reading.fences import Fence, FenceReader
from runbook.reading.pages import read_markdown
from runbook.reading.selection import Selection

_SET_ASIDE = "_runbook_code"
# The token that stands for a block set aside; the nonce is the page's own (see below).
_TOKEN = re.compile(r"runbook[0-9a-f]{16}code[0-9]+end")
_READERS: dict[int, tuple[object, FenceReader]] = {}


def _reader(conf: Any) -> FenceReader:
    """The fence reader of a site's configuration, made once per build."""
    kept = _READERS.get(id(conf))
    if kept is None or kept[0] is not conf:
        _READERS.clear()  # one build at a time: an earlier build's readers are done with
        kept = _READERS[id(conf)] = (
            conf,
            FenceReader.configured(conf.markdown_extensions, conf.mdx_configs),
        )
    return kept[1]


def set_aside(markdown: str, fences: list[Fence]) -> tuple[str, dict[str, str]]:
    """Replace each fence's lines with a token Jinja leaves alone; return the text and the
    fences by token."""
    lines = markdown.split("\n")
    nonce = secrets.token_hex(8)
    kept: dict[str, str] = {}
    for number, fence in enumerate(reversed(fences)):
        token = f"runbook{nonce}code{number}end"
        kept[token] = "\n".join(lines[fence.line - 1 : fence.end])
        lines[fence.line - 1 : fence.end] = [token]
    return "\n".join(lines), kept


def put_back(markdown: str, kept: dict[str, str]) -> str:
    """Put the fences `set_aside` took back in place of their tokens."""
    if not kept:
        return markdown
    # One pattern for every page: compiling one of each page's tokens cost more than Jinja.
    return _TOKEN.sub(lambda match: kept.get(match[0], match[0]), markdown)


def on_pre_page_macros(env: Any) -> None:
    """Replace each fence with a token Jinja leaves alone."""
    fences = _reader(env.conf).read(env.markdown).fences
    env.markdown, env.variables[_SET_ASIDE] = set_aside(env.markdown, fences)


def on_post_page_macros(env: Any) -> None:
    """Put the fences back."""
    env.markdown = put_back(env.markdown, env.variables.pop(_SET_ASIDE, {}))


def _site(conf: Any) -> tuple[list[Any], dict[str, Any], Path, Selection]:
    """The Markdown settings, docs folder and block selection of the site rendering a page.

    MkDocs gives its configuration; Zensical a plain dict of `mkdocs.yml`, in which the runbook
    plugin, which it does not run, has no options: the default selection applies.
    """
    if isinstance(conf, dict):
        docs = Path(conf.get("root_dir") or ".") / conf.get("docs_dir", "docs")
        extensions = [e for e in conf.get("markdown_extensions", []) if isinstance(e, str)]
        extensions = [e for e in extensions if not e.startswith("zensical.")]
        return extensions, dict(conf.get("mdx_configs") or {}), docs, Selection()
    plugin = conf.plugins.get("runbook")
    config = plugin.config if isinstance(plugin, RunbookPlugin) else RunbookConfig()
    return conf.markdown_extensions, conf.mdx_configs, Path(conf.docs_dir), selection_of(config)


def define_env(env: Any) -> None:
    """Declare the macros the pages use."""

    @env.macro
    def runbook_steps(page: str) -> str:
        """A Markdown table of the steps a page's tests replay, read from the page itself."""
        extensions, configs, docs, selection = _site(env.conf)
        source = (docs / page).read_text(encoding="utf-8-sig")
        reading = read_markdown(page, source, extensions, configs, selection)
        rows = ["| Step | Runs | Variant |", "| --- | --- | --- |"]
        for step in reading.runbook.steps:
            how = f"skipped: {step.skip}" if step.skip else f"`{step.command}`"
            how += f" (in `{step.dir}`)" if step.dir else ""
            how += " (expected to fail)" if step.fails else ""
            how += " (take-over path only)" if step.take_over else ""
            where = ", ".join(tab.label for tab in step.tabs) or "all"
            rows.append(f"| `{step.location}` | {how} | {where} |")
        return "\n".join(rows)

    @env.macro
    def runbook_coverage() -> str:
        """A Markdown table of every page of the site: its steps, variants, skipped steps and
        last replays, read from the pages themselves and the replay results (coverage.py)."""
        extensions, configs, docs, selection = _site(env.conf)
        readings = {
            path: read_markdown(
                path, (docs / path).read_text(encoding="utf-8-sig"), extensions, configs, selection
            )
            for path in _pages(env.conf, docs)
        }
        plugin = None if isinstance(env.conf, dict) else env.conf.plugins.get("runbook")
        timeout = plugin.config.timeout if isinstance(plugin, RunbookPlugin) else None
        return coverage_table(readings, _results(env.conf), timeout)


def _pages(conf: Any, docs: Path) -> list[str]:
    """The pages of the site: as MkDocs finds them (`exclude_docs`, drafts), or under Zensical,
    every Markdown file of the docs."""
    if isinstance(conf, dict):
        return sorted(path.relative_to(docs).as_posix() for path in docs.rglob("*.md"))
    files = get_files(conf)
    set_exclusions(files, conf)
    return sorted(
        f.src_uri for f in files.documentation_pages(inclusion=InclusionLevel.is_included)
    )


def _results(conf: Any) -> dict[Key, Result]:
    """The replay results the site's runbook plugin reads (its defaults under Zensical); none if
    the file cannot be read, which the plugin reports."""
    if isinstance(conf, dict):
        folder, options = Path(conf.get("root_dir") or "."), RunbookConfig()
    else:
        plugin = conf.plugins.get("runbook")
        options = plugin.config if isinstance(plugin, RunbookPlugin) else RunbookConfig()
        folder = Path(conf.config_file_path or ".").parent
    try:
        return read_results(results_file(folder, options.cache_dir, options.results))
    except ResultsError:
        return {}


class _Kept:
    """The fences one render set aside, from before its macros to after them."""

    fences: dict[str, str] | None = None


class _SetAside(Preprocessor):
    def __init__(self, md: markdown.Markdown, kept: _Kept) -> None:
        super().__init__(md)
        self.kept = kept
        self.reader: FenceReader | None = None

    def run(self, lines: list[str]) -> list[str]:
        self.kept.fences = None
        if "macros" not in self.md.preprocessors:  # no macros in this render (MkDocs')
            return lines
        # The render's own SuperFences reads the opening lines: the fences it will see.
        self.reader = self.reader or FenceReader(self.md)
        text = "\n".join(lines)
        text, self.kept.fences = set_aside(text, self.reader.read(text).fences)
        return text.split("\n")


class _PutBack(Preprocessor):
    def __init__(self, md: markdown.Markdown, kept: _Kept) -> None:
        super().__init__(md)
        self.kept = kept

    def run(self, lines: list[str]) -> list[str]:
        if not self.kept.fences:
            return lines
        return put_back("\n".join(lines), self.kept.fences).split("\n")


class CodeGuard(Extension):
    """Sets fenced code aside around a macros step of the Markdown render (Zensical's, at 35)."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        kept = _Kept()
        md.preprocessors.register(_SetAside(md, kept), "runbook_set_aside", 36)
        md.preprocessors.register(_PutBack(md, kept), "runbook_put_back", 34)


def makeExtension(**options: Any) -> CodeGuard:
    return CodeGuard(**options)
