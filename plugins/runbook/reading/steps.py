"""A page's runbook: the command blocks a reader sees, in reading order, and its variants.

A fenced block is a step when the renderer shows it, its language is a shell language and its
title matches the guide's title for commands. The blocks come from two readings of the page that
must agree: the source's fences (`fences.py`), which know their lines and directives, and the
render's (`render.py`), which know what a reader sees. Content tabs are variants: tabs with the
same label are linked across the page, as Material's linked tabs are, so each choice of label
gives one variant.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from runbook.errors import SourceError
from runbook.reading.directives import read_directive, skipped
from runbook.reading.fences import Fence, Fences
from runbook.reading.placeholders import PLACEHOLDER, Placeholder, substitute, variable_name
from runbook.reading.render import RenderedFence, Rendering, Tab
from runbook.reading.selection import Selection
from runbook.reading.settings import PageSettings
from runbook.reading.variants import Variant, tab_errors, variants_of

DEFAULT_TIMEOUT = 120.0
# Where a page's commands set a variable themselves: `NAME=`, `export NAME=`, `read NAME`.
_ASSIGNED = re.compile(
    r"(?:^|[\s;&|(`])(?:(?:export|declare|local|readonly|typeset)(?:[ \t]+-\w+)*[ \t]+)?"
    r"([A-Za-z_][A-Za-z0-9_]*)\+?="
    r"|\bread(?:[ \t]+-[a-zA-Z]+)*[ \t]+([A-Za-z_][A-Za-z0-9_]*)",
    re.M,
)


@dataclass(slots=True)
class Step:
    """One runnable block: where it is, what it runs, and how the author asked to run it.

    Treat it as read-only: a page makes one per block, and a frozen dataclass costs several times
    as much to make.
    """

    path: str
    line: int
    code: str
    script: str
    placeholders: tuple[Placeholder, ...] = ()
    tabs: tuple[Tab, ...] = ()
    skip: str | None = None
    dir: str | None = None
    fails: bool = False
    timeout: float = DEFAULT_TIMEOUT
    take_over: bool = False

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def command(self) -> str:
        """The step's first line that is not a comment, to name it in listings."""
        lines = (line.strip() for line in self.code.split("\n"))
        return next((line for line in lines if line and not line.startswith("#")), "")


@dataclass(frozen=True)
class Runbook:
    """The steps of one page, in reading order, the variants of its tabs, and its settings."""

    path: str
    steps: tuple[Step, ...]
    variants: tuple[Variant, ...]
    settings: PageSettings = field(default_factory=PageSettings)

    @property
    def take_over(self) -> bool:
        """Whether the page has a take-over path: steps that only a reader taking over runs."""
        return any(step.take_over for step in self.steps)

    def variant(self, name: str | None) -> Variant:
        """Return the variant called `name` (case-insensitive), or the first one for None."""
        if name is None:
            return self.variants[0]
        for variant in self.variants:
            if variant.name.casefold() == name.casefold():
                return variant
        known = ", ".join(repr(v.name) for v in self.variants if v.name) or "none"
        raise SourceError(1, f"no variant {name!r} (variants: {known})", self.path)

    def steps_for(self, variant: Variant, take_over: bool = False) -> list[Step]:
        """The steps of `variant`, in page order; take-over steps only on the take-over path."""
        return [s for s in self.steps if variant.shows(s) and (take_over or not s.take_over)]

    def placeholders(
        self, variant: Variant | None = None, take_over: bool = False
    ) -> list[Placeholder]:
        """Return each placeholder of the steps that run once, at its first use, in page order."""
        steps = self.steps if variant is None else self.steps_for(variant, take_over)
        seen: dict[str, Placeholder] = {}
        for step in steps:
            if step.skip is None:
                for placeholder in step.placeholders:
                    seen.setdefault(placeholder.name, placeholder)
        return list(seen.values())


def read_runbook(
    path: str,
    fences: Fences,
    rendering: Rendering,
    selection: Selection,
    settings: PageSettings | None = None,
    offset: int = 0,
) -> tuple[Runbook, list[SourceError]]:
    """Return the runbook of the page at `path`, and the problems an author must fix.

    `fences` is the reading of the page's body, `rendering` what its render showed; `offset` is
    the number of lines before the body (front matter). Every error is located at `path`.
    """
    errors = list(fences.errors)  # each at a line of the body
    errors += [
        SourceError(
            line,
            f"this code block is never closed (no line {header.marker} after it): it and the "
            "rest of the page show as text",
        )
        for line, header in fences.unclosed
    ]
    errors += [
        SourceError(
            line,
            "this line would open a command block, but it is inside the code block opened at "
            f"line {outer}, whose closing line must have gone missing",
        )
        for line, header, outer in fences.swallowed
        if selection.selects(header.lang, header.title)
        or selection.near_miss(header.lang, header.title)
    ]
    located: list[SourceError] = []  # each at a line of the page
    pairs, missing = _pair(fences.fences, rendering.fences)
    shown = [(fence, rendered) for fence, rendered in pairs if rendered.shown]
    errors += [
        SourceError(
            fence.line,
            f"this command block is hidden by {rendered.concealed_by}: no reader sees it as a "
            'command, so no reader runs it; show it, or mark the block skip="why"'
            if rendered.concealed_by
            else "this command block is hidden by HTML other than a plain <!-- comment --> "
            "(one left open, a <script>, <template> or the like): browsers read such HTML each "
            'their own way; fix the HTML, or mark the block skip="why"',
        )
        for fence, rendered in pairs
        if rendered.doubtful
        and fence is not None
        and not skipped(fence)
        and (
            selection.selects(rendered.lang, rendered.title)
            or selection.near_miss(rendered.lang, rendered.title)
        )
    ]
    for fence in missing:
        if selection.selects(fence.lang, fence.title):
            errors.append(
                SourceError(
                    fence.line,
                    "this command block is not in the rendered page (did a macro, a snippet "
                    "or another extension or plugin change it?), so it does not run",
                )
            )
    chosen: list[tuple[Fence, RenderedFence]] = []
    others: list[str] = []
    before = 0  # the line of the source's last block so far, to place blocks it does not hold
    for fence, rendered in shown:
        before = fence.line + offset if fence is not None else before
        if selection.selects(rendered.lang, rendered.title) and fence is not None:
            chosen.append((fence, rendered))
            continue
        others.append(rendered.text)
        miss = selection.near_miss(rendered.lang, rendered.title)
        if miss is not None and fence is not None and skipped(fence):
            continue  # the author says no reader runs it
        if fence is None and miss is None and selection.selects(rendered.lang, rendered.title):
            first = (rendered.text.strip().splitlines() or [""])[0]
            where = f", after the block of line {before}" if before else ""
            located.append(
                SourceError(
                    max(before, 1),
                    f"the rendered page shows a command block that its source does not hold "
                    f"({first!r}{where}): a macro, a snippet or another extension or plugin "
                    "made it, so it cannot run; write it in the page, or make it no command",
                    path,
                )
            )
        elif fence is not None and miss is not None:
            errors.append(SourceError(fence.line, miss))
        elif fence is not None and fence.directive is not None:
            errors.append(
                SourceError(
                    fence.directive[0],
                    "runbook directive before a block that is not a command "
                    f"({rendered.lang or 'text'} block titled {rendered.title!r})",
                )
            )
    markers = _markers([fence.text for fence, _ in chosen], others)
    steps: list[Step] = []
    for fence, rendered in chosen:
        try:
            steps.append(_step(path, fence, rendered, markers, offset))
        except SourceError as error:  # at a line of the page
            located.append(SourceError(error.line, error.message, path))
    located += [SourceError(e.line + offset, e.message, path) for e in errors]
    located += tab_errors(steps, rendering)
    tabbed = next((step for step in steps if step.tabs), None)
    if rendering.tabs_unsure and tabbed is not None:
        located.append(
            SourceError(
                tabbed.line,
                "HTML written in this page's content tabs opens and closes tags unevenly (a "
                "<div> or </div> on its own, say): a browser may show command blocks in other "
                "tabs than the Markdown says; balance the HTML",
                path,
            )
        )
    runbook = Runbook(
        path, tuple(steps), variants_of(steps, rendering.tab_sets), settings or PageSettings()
    )
    return runbook, sorted(located, key=lambda error: error.line)


def _pair(
    fences: list[Fence], rendered: list[RenderedFence]
) -> tuple[list[tuple[Fence | None, RenderedFence]], list[Fence]]:
    """Pair the source's fences with the render's, in order.

    Return the rendered ones, each with its source fence (None for one the source does not
    hold, such as a macro's output), and the source's fences that the render does not have.
    """
    keys = [(f.lang, f.title, f.text) for f in fences]
    seen = [(r.lang, r.title, r.text) for r in rendered]
    if keys == seen:  # the page rendered as written: the common case
        return list(zip(fences, rendered, strict=True)), []
    pairs: list[tuple[Fence | None, RenderedFence]] = []
    missing: list[Fence] = []
    matcher = difflib.SequenceMatcher(None, keys, seen, autojunk=False)
    for tag, first, last, start, end in matcher.get_opcodes():
        if tag == "equal":
            pairs += zip(fences[first:last], rendered[start:end], strict=True)
        else:
            pairs += [(None, r) for r in rendered[start:end]]
            missing += fences[first:last]
    return pairs, missing


def _markers(commands: Sequence[str], others: Iterable[str]) -> frozenset[str]:
    """Return the `<...>` texts of the page's commands that are template markers, not values.

    A marker is literal text: the page shows it in a block that is not a command (a file's
    content), or its own commands set the variable it would name.
    """
    candidates = {
        match[1] for text in commands if "<" in text for match in PLACEHOLDER.finditer(text)
    }
    if not candidates:
        return frozenset()
    shown = {match[1] for text in others if "<" in text for match in PLACEHOLDER.finditer(text)}
    assigned = {
        name
        for text in commands
        if "=" in text or "read" in text
        for found in _ASSIGNED.finditer(text)
        for name in found.groups()
    }
    return frozenset(
        text for text in candidates if text in shown or variable_name(text) in assigned
    )


def _step(
    path: str, fence: Fence, rendered: RenderedFence, markers: frozenset[str], offset: int
) -> Step:
    """Return the step of `fence`; its lines, and those of its errors, are lines of the page."""
    settings = {}
    if fence.directive is not None:
        settings = read_directive(fence.directive[0] + offset, fence.directive[1])
        if settings.get("fails") and _command_lines(fence.text) > 1:
            raise SourceError(
                fence.directive[0] + offset,
                "fails takes a block of one command line, which must fail by itself: put the "
                "commands before it in a block of their own",
            )
    literal: frozenset[str] = markers | settings.pop("literal", frozenset())  # type: ignore[operator]
    literal -= settings.pop("placeholder", frozenset())  # type: ignore[operator]
    script, placeholders = substitute(fence.text, fence.line + offset + 1, literal)
    return Step(
        path=path,
        line=fence.line + offset,
        code=fence.text,
        script=script,
        placeholders=tuple(placeholders),
        tabs=rendered.tabs,
        **settings,  # type: ignore[arg-type]
    )


def _command_lines(code: str) -> int:
    """How many command lines `code` has: comments and blank lines left out, and a line that
    ends with a backslash taken with the next."""
    count, continued = 0, False
    for line in code.split("\n"):
        text = line.strip()
        if not continued and (not text or text.startswith("#")):
            continue
        count += not continued
        continued = text.endswith("\\")
    return count
