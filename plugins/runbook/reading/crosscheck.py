"""Compare the commands a rendered page shows with the steps of its script, block by block.

This is the last word before a page's script is published: whatever read the page, the HTML a
reader gets must show exactly the script's commands, in the same order, with the same text. The
HTML is read as a browser would show it: HTML comments, scripts and styles hide what they hold,
and so do the elements `hidden.concealed` knows; attributes are read in any order, quoted either
way or not at all.
HTML that is still exactly what the render made needs no second reading: the render marked each
code block it made, and found the marks of those a reader sees in that HTML (see `render`).
"""

from __future__ import annotations

import difflib
import html
import re
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from runbook.errors import SourceError
from runbook.reading.files import file_title
from runbook.reading.hidden import classes, concealed, end_tag, start_tags, visible
from runbook.reading.render import Rendering
from runbook.reading.selection import Selection
from runbook.reading.steps import Step

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
    hidden = concealed(shown)
    blocks = []
    for found in start_tags(shown):
        if "highlight" not in found[0] or found[2].lower() == "code":  # inline code is no block
            continue
        named = classes(found[0])
        if "highlight" not in named or any(a <= found.start() < b for a, b, _ in hidden):
            continue
        code = next(
            (tag for tag in start_tags(shown, found.end()) if tag[2].lower() == "code"), None
        )
        closed = end_tag(shown, "code", code.end()) if code is not None else None
        if code is None or closed is None:
            continue
        lang = next((c.removeprefix("language-") for c in named if c.startswith("language-")), None)
        title = next(
            (
                tag
                for tag in start_tags(shown, found.end(), code.start())
                if "filename" in classes(tag[0])
            ),
            None,
        )
        title_end = end_tag(shown, title[2], title.end()) if title is not None else None
        blocks.append(
            ShownBlock(
                lang,
                _text(shown[title.end() : title_end.start()])
                if title is not None and title_end is not None
                else None,
                _text(shown[code.end() : closed.start()]),
            )
        )
    return blocks


def _text(html_text: str) -> str:
    """The text an element's HTML shows: its tags taken out, its references decoded."""
    return html.unescape(_TAG.sub("", html_text))


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
        if command or (any(commands) and file_title(block.title, block.lang))
    ]
    script = [(step.kind, _shown_as(step.code)) for step in steps]
    if shown == script:
        return []
    if sorted(shown) == sorted(script):  # the same blocks, in another order
        return _moved(path, steps, _positions(script, shown))
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


def _positions(script: Sequence[tuple[str, str]], shown: Sequence[tuple[str, str]]) -> list[int]:
    """Where each block `shown` is in `script` (which holds the same blocks), in shown order."""
    places: dict[tuple[str, str], deque[int]] = {}
    for index, text in enumerate(script):
        places.setdefault(text, deque()).append(index)
    return [places[text].popleft() for text in shown]


def _moved(path: str, steps: Sequence[Step], order: list[int]) -> list[SourceError]:
    """Blame the blocks the page shows out of its source's order: the fewest that, put back,
    leave the rest in order (those not in a longest increasing run of `order`)."""
    in_place = _longest_increasing(order)
    problems = []
    for at, index in enumerate(order):
        if index in in_place:
            continue
        where = (
            f"after the block of line {steps[order[at - 1]].line}"
            if at
            else f"first, before the block of line {steps[order[1]].line}"
        )
        problems.append(
            SourceError(
                steps[index].line,
                f"the rendered page shows this command block elsewhere than its source has it "
                f"({where}; a footnote's block, say, shows at the bottom of the page): a reader "
                "runs the commands in the order the page shows them; move the block where it "
                "shows",
                path,
            )
        )
    return sorted(problems, key=lambda problem: problem.line)


def _longest_increasing(values: Sequence[int]) -> set[int]:
    """The values of a longest increasing subsequence of `values`: of those, the one that keeps
    the earliest values, since a block shown out of order (a footnote's) shows later than its
    place. Quadratic, and only run on a page that shows its blocks out of order."""
    count = len(values)
    longest = [1] * count  # the longest increasing run that starts at each index
    for index in range(count - 1, -1, -1):
        for after in range(index + 1, count):
            if values[after] > values[index]:
                longest[index] = max(longest[index], longest[after] + 1)
    kept: set[int] = set()
    need, last = max(longest, default=0), -1
    for index, value in enumerate(values):
        if need and longest[index] == need and value > last:
            kept.add(value)
            need, last = need - 1, value
    return kept
