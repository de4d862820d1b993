"""mkdocs-macros module: keep fenced code out of Jinja, and describe the runbooks in the docs.

Listed in `mkdocs.yml` under `macros: modules:`. Before Jinja renders a page, every fence is set
aside and put back after, so `{{ x }}`, `{% raw %}` or `${#a[@]}` in code reaches the reader, and
the script, verbatim. The fences are found as SuperFences finds them (`fences.py`), with the
site's own Markdown settings.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

from runbook.config import RunbookConfig
from runbook.fences import Fence, FenceReader
from runbook.pages import read_markdown
from runbook.plugin import RunbookPlugin, selection_of

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


def define_env(env: Any) -> None:
    """Declare the macros the pages use."""

    @env.macro
    def runbook_steps(page: str) -> str:
        """A Markdown table of the steps a page's tests replay, read from the page itself."""
        plugin = env.conf.plugins.get("runbook")
        config = plugin.config if isinstance(plugin, RunbookPlugin) else RunbookConfig()
        source = (Path(env.conf.docs_dir) / page).read_text(encoding="utf-8-sig")
        reading = read_markdown(
            page, source, env.conf.markdown_extensions, env.conf.mdx_configs, selection_of(config)
        )
        rows = ["| Step | Runs | Variant |", "| --- | --- | --- |"]
        for step in reading.runbook.steps:
            how = f"skipped: {step.skip}" if step.skip else f"`{step.command}`"
            how += f" (in `{step.dir}`)" if step.dir else ""
            how += " (expected to fail)" if step.fails else ""
            how += " (take-over path only)" if step.take_over else ""
            where = ", ".join(tab.label for tab in step.tabs) or "all"
            rows.append(f"| `{step.location}` | {how} | {where} |")
        return "\n".join(rows)
