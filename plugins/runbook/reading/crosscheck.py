"""Compare the commands a rendered page shows with the steps of its script, block by block.

This is the last word before a page's script is published: whatever read the page, the HTML a
reader gets must show exactly the script's commands, in the same order, with the same text. The
HTML is read as a browser would show it: HTML comments, scripts and styles hide what they hold.
HTML that is still exactly what the render made needs no second reading: the render marked each
code block it made, and found the marks of those a reader sees in that HTML (see `render`).
"""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from runbook.errors import SourceError
from runbook.reading.files import file_title
from runbook.reading.hidden import visible
from runbook.reading.render import Rendering
from runbook.reading.selection import Selection
from runbook.reading.steps import Step

_DIV = re.compile(r'<div class="([^"]*)"[^>]*>')
_TITLE = re.compile(r'<span class="filename">(.*?)</span>', re.S)
_CODE = re.compile(r"<code[^>]*>(.*?)</code>", re.S)
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class ShownBlock:
    """A highlighted code block of a page's HTML: its language (if the HTML says), title, text."""

    lang: str | None
    title: str | None
    text: str


def shown_blocks(page_html: str, rendering: Rendering | None = None) -> list[ShownBlock]:
    """Return the highlighted code blocks a reader sees in `page_html`, in page order.

    If `page_html` is the very HTML of `rendering`, its blocks are those the render marked
    shown, in the order their marks have in what that HTML shows.
    """
    if rendering is not None and rendering.html == page_html:
        fences = {fence.key: fence for fence in rendering.fences if fence.shown}
        return [
            ShownBlock(fences[key].lang, fences[key].title, _shown_as(fences[key].text))
            for key in rendering.order
        ]
    if "highlight" not in page_html:
        return []
    shown = visible(page_html).text
    blocks = []
    for found in _DIV.finditer(shown):
        classes = found[1].split()
        if "highlight" not in classes:
            continue
        code = _CODE.search(shown, found.end())
        if code is None:
            continue
        lang = next(
            (c.removeprefix("language-") for c in classes if c.startswith("language-")), None
        )
        title = _TITLE.search(shown[found.end() : code.start()])
        blocks.append(
            ShownBlock(
                lang,
                html.unescape(_TAG.sub("", title[1])) if title else None,
                html.unescape(_TAG.sub("", code[1])),
            )
        )
    return blocks


def _shown_as(code: str) -> str:
    """A step's code as the highlighter shows it: no blank lines around it, one final newline."""
    return code.strip("\n") + "\n"


def check_page(
    path: str,
    page_html: str,
    steps: Sequence[Step],
    selection: Selection,
    rendering: Rendering | None = None,
) -> list[SourceError]:
    """Return a problem for each difference between the page's shown steps and `steps`
    (`rendering`, the render that made `page_html`, if at hand): commands, and on a page with
    commands, the files it writes."""
    blocks = [block for block in shown_blocks(page_html, rendering) if block.title is not None]
    default = selection.languages[0]
    commands = [
        selection.selects(b.lang if b.lang is not None else default, b.title) for b in blocks
    ]
    shown = [
        ("command" if command else "file", block.text)
        for block, command in zip(blocks, commands, strict=True)
        if command or (any(commands) and file_title(block.title))
    ]
    script = [(step.kind, _shown_as(step.code)) for step in steps]
    if shown == script:
        return []
    problems = []
    matcher = difflib.SequenceMatcher(None, script, shown, autojunk=False)
    for tag, first, last, start, end in matcher.get_opcodes():
        if tag == "equal":
            continue
        for step in steps[first:last]:
            problems.append(
                SourceError(
                    step.line,
                    f"the script holds this {_kind(step.kind)}, but the rendered page does not "
                    f"show it as {'a command' if step.kind == 'command' else 'a file'}",
                    path,
                )
            )
        for kind, text in shown[start:end]:
            first_line = (text.strip().splitlines() or [""])[0]
            problems.append(
                SourceError(
                    steps[first - 1].line if first else 1,
                    f"the rendered page shows a {_kind(kind)} the script does not hold "
                    f"({first_line!r}, after this line)",
                    path,
                )
            )
    return problems


def _kind(kind: str) -> str:
    return "command block" if kind == "command" else "file block"
