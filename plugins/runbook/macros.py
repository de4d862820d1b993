"""mkdocs-macros module: keep fenced code out of Jinja, and describe the runbooks in the docs.

Listed in `mkdocs.yml` under `macros: modules:`. Before Jinja renders a page every block the
renderer shows as code is set aside and it is put back after, so `{{ x }}`, `{% raw %}` or
`${#a[@]}` in code reaches the reader, and the script, verbatim. The blocks are normally the ones
the runbook plugin has just found in the page's source; without them the guard scans the page.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

from runbook.config import RunbookConfig, selection
from runbook.fences import find_fences
from runbook.pages import read_page
from runbook.plugin import RunbookPlugin

_SET_ASIDE = "_runbook_code"
# The token that stands for a block set aside; the nonce is the page's own (see below).
_TOKEN = re.compile(r"runbook[0-9a-f]{16}code[0-9]+end")


def on_pre_page_macros(env: Any) -> None:
    """Replace each fenced block with a token Jinja leaves alone."""
    lines = env.markdown.split("\n")
    nonce = secrets.token_hex(8)
    kept: dict[str, str] = {}
    for number, (start, end) in enumerate(reversed(_fence_lines(env))):
        first = lines[start - 1]
        indent = len(first) - len(first.lstrip())
        token = f"runbook{nonce}code{number}end"
        kept[token] = "\n".join(lines[start - 1 : end])[indent:]
        # The token keeps the block's indentation, so it stays inside its admonition or tab.
        lines[start - 1 : end] = [first[:indent] + token]
    env.markdown = "\n".join(lines)
    env.variables[_SET_ASIDE] = kept


def _fence_lines(env: Any) -> list[tuple[int, int]]:
    """Return the first and last line of each fenced block of the page's Markdown."""
    plugin = env.conf.plugins.get("runbook")
    if isinstance(plugin, RunbookPlugin):
        # The runbook plugin, which runs first, has read the page's fences already.
        lines = plugin.fence_lines(env.markdown)
        if lines is not None:
            return lines
    # Lenient: a page error is the runbook plugin's to report at its line; the code the page
    # does have must still be kept from Jinja.
    return [(f.line, f.end) for f in find_fences(env.markdown, strict=False, front_matter=False)]


def on_post_page_macros(env: Any) -> None:
    """Put the fenced blocks back."""
    kept: dict[str, str] = env.variables.pop(_SET_ASIDE, {})
    if kept:
        # One pattern for every page: compiling one of each page's tokens cost more than Jinja.
        env.markdown = _TOKEN.sub(lambda match: kept.get(match[0], match[0]), env.markdown)


def define_env(env: Any) -> None:
    """Declare the macros the pages use."""

    @env.macro
    def runbook_steps(page: str) -> str:
        """A Markdown table of the steps a page's tests replay, read from the page itself."""
        plugin = env.conf.plugins.get("runbook")
        config = plugin.config if plugin is not None else RunbookConfig()
        docs_dir = Path(env.conf.docs_dir)
        runbook = read_page(docs_dir / page, page, selection(config))
        rows = ["| Step | Runs | Variant |", "| --- | --- | --- |"]
        for step in runbook.steps:
            how = f"skipped: {step.skip}" if step.skip else f"`{step.command}`"
            how += f" (in `{step.dir}`)" if step.dir else ""
            how += " (expected to fail)" if step.fails else ""
            where = ", ".join(tab.label for tab in step.tabs) or "all"
            rows.append(f"| `{step.location}` | {how} | {where} |")
        return "\n".join(rows)
