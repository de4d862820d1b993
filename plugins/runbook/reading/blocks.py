"""Which blocks of a page are steps, and which show a step's output: a page's runbook.

A fenced block is a step when the renderer shows it and it is a command (a shell language, and
the guide's title for commands, in a first or a second terminal) or, on a page with commands, a
file to write (a title that is a path, see `files.py`). A block right after a step may show the
step's expected output (see `outputs.py`). The blocks come from two readings of the page that
must agree: the source's fences (`fences.py`), which know their lines and directives, and the
render's (`render.py`), which know what a reader sees. Content tabs are variants: tabs with the
same label are linked across the page, as Material's linked tabs are, so each choice of label
gives one variant.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Sequence

from runbook.errors import SourceError
from runbook.reading.directives import read_directive, skipped
from runbook.reading.fences import Fence, Fences
from runbook.reading.files import file_path, file_title
from runbook.reading.lists import (
    aliases_used_early,
    checked,
    count_commands,
    masked_substitution,
)
from runbook.reading.outputs import Expected, output_block, prose_between, says_output
from runbook.reading.placeholders import (
    PLACEHOLDER,
    Placeholder,
    name_problem,
    substitute,
    variable_name,
)
from runbook.reading.render import RenderedFence, Rendering
from runbook.reading.selection import Selection
from runbook.reading.settings import PageSettings
from runbook.reading.steps import Runbook, Step
from runbook.reading.variants import tab_errors, variants_of

# Where a page's commands set a variable themselves: `NAME=`, `export NAME=`, `read NAME`.
_ASSIGNED = re.compile(
    r"(?:^|[\s;&|(`])(?:(?:export|declare|local|readonly|typeset)(?:[ \t]+-\w+)*[ \t]+)?"
    r"([A-Za-z_][A-Za-z0-9_]*)\+?="
    r"|\bread(?:[ \t]+-[a-zA-Z]+)*[ \t]+([A-Za-z_][A-Za-z0-9_]*)",
    re.M,
)
# What a command replaces: the pattern of sed's (or perl's) `s` command, or of `${name//...}`.
_REPLACED = re.compile(
    r"(?<![\w-])s(?P<d>[|/#,:@!%])(?P<pattern>[^\n]*?)(?P=d)"
    r"|\$\{\w+//?(?P<expansion>[^/}\n]*)/"
)


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
    reading = _Reading(path, fences, rendering, selection, offset)
    steps = reading.steps()
    runbook = Runbook(
        path, tuple(steps), variants_of(steps, rendering.tab_sets), settings or PageSettings()
    )
    return runbook, reading.problems(steps)


class _Reading:
    """One page's blocks, sorted into steps, expected outputs and others, with the errors."""

    def __init__(
        self,
        path: str,
        fences: Fences,
        rendering: Rendering,
        selection: Selection,
        offset: int,
    ) -> None:
        self.path = path
        self.fences = fences
        self.rendering = rendering
        self.selection = selection
        self.offset = offset
        self.errors = list(fences.errors)  # each at a line of the body
        self.located: list[SourceError] = []  # each at a line of the page
        self.pairs, self.missing = _pair(fences.fences, rendering.fences)
        self.shown = [(fence, rendered) for fence, rendered in self.pairs if rendered.shown]
        # A page with commands has file steps too: its blocks titled with a path.
        self.has_commands = any(
            selection.selects(rendered.lang, rendered.title) for _, rendered in self.shown
        )

    def is_step(self, lang: str, title: str | None) -> bool:
        if self.selection.selects(lang, title):
            return True
        return self.has_commands and file_title(title, lang)

    def error(self, line: int, message: str) -> None:
        """An error at a line of the page."""
        self.located.append(SourceError(line, message, self.path))

    def steps(self) -> list[Step]:
        self.source_errors()
        chosen: list[tuple[Fence, RenderedFence]] = []
        before = 0  # the line of the source's last block so far, to place blocks it does not hold
        for fence, rendered in self.shown:
            before = fence.line + self.offset if fence is not None else before
            if self.is_step(rendered.lang, rendered.title):
                if fence is not None:
                    chosen.append((fence, rendered))
                    continue
                first = (rendered.text.strip().splitlines() or [""])[0]
                where = f", after the block of line {before}" if before else ""
                kind = (
                    "command" if self.selection.selects(rendered.lang, rendered.title) else "file"
                )
                self.error(
                    max(before, 1),
                    f"the rendered page shows a {kind} block that its source does not hold "
                    f"({first!r}{where}): a macro, a snippet or another extension or plugin "
                    "made it, so it cannot run; write it in the page, or make it no step",
                )
                continue
            self.other(fence, rendered)
        commands = [fence.text for fence, rendered in chosen if not self.file_block(rendered)]
        markers = _markers(commands)
        placeholders = {
            match[1] for text in commands if "<" in text for match in PLACEHOLDER.finditer(text)
        }
        steps: list[Step] = []
        for fence, rendered in chosen:
            try:
                if self.file_block(rendered):
                    steps.append(self.file_step(fence, rendered, placeholders - markers))
                else:
                    steps.append(self.command_step(fence, rendered, markers))
            except SourceError as error:  # at a line of the page
                self.error(error.line, error.message)
        self.outputs(steps)
        self.terminals(steps)
        return steps

    def file_block(self, rendered: RenderedFence) -> bool:
        return not self.selection.selects(rendered.lang, rendered.title)

    def source_errors(self) -> None:
        """The errors of blocks that are not read as the page shows them."""
        selection, fences = self.selection, self.fences
        self.errors += [
            SourceError(
                line,
                f"this code block is never closed (no line {header.marker} after it): it and "
                "the rest of the page show as text",
            )
            for line, header in fences.unclosed
        ]
        self.errors += [
            SourceError(
                line,
                "this line would open a command block, but it is inside the code block opened "
                f"at line {outer}, whose closing line must have gone missing",
            )
            for line, header, outer in fences.swallowed
            if selection.selects(header.lang, header.title)
            or selection.near_miss(header.lang, header.title)
        ]
        self.errors += [
            SourceError(
                fence.line,
                f"this {_kind(self.selection, rendered)} block is hidden by "
                f"{rendered.concealed_by}: no reader sees it, so no reader runs it; show it, or "
                'mark the block skip="why"'
                if rendered.concealed_by
                else f"this {_kind(self.selection, rendered)} block is hidden by HTML other than "
                "a plain <!-- comment --> (one left open, a <script>, <template> or the like): "
                "browsers read such HTML each their own way; fix the HTML, or mark the block "
                'skip="why"',
            )
            for fence, rendered in self.pairs
            if rendered.doubtful
            and fence is not None
            and not skipped(fence)
            and (
                self.is_step(rendered.lang, rendered.title)
                or selection.near_miss(rendered.lang, rendered.title)
            )
        ]
        self.errors += [
            SourceError(
                fence.line,
                f"this {_kind(self.selection, fence)} block is not in the rendered page (did a "
                "macro, a snippet or "
                "another extension or plugin change it?), so it does not run",
            )
            for fence in self.missing
            if self.is_step(fence.lang, fence.title)
        ]

    def other(self, fence: Fence | None, rendered: RenderedFence) -> None:
        """A shown block that is no step: a near miss is an error, and only an output block
        takes a directive."""
        if fence is None:
            return
        miss = self.selection.near_miss(rendered.lang, rendered.title)
        if miss is not None:
            if not skipped(fence):
                self.errors.append(SourceError(fence.line, miss))
            return
        if fence.directive is None:
            return
        line = fence.directive[0] + self.offset
        try:
            directive = read_directive(line, fence.directive[1])
        except SourceError as error:
            self.error(error.line, error.message)
            return
        if not set(directive) <= {"output", "not_output"} or len(directive) != 1:
            kind = "a command or a file" if self.has_commands else "a command"
            self.error(
                line,
                f"runbook directive before a block that is not {kind} "
                f"({rendered.lang or 'text'} block titled {rendered.title!r}): only output or "
                "not-output go before such a block",
            )

    def command_step(self, fence: Fence, rendered: RenderedFence, markers: frozenset[str]) -> Step:
        """The step of a command block; its lines, and those of its errors, are the page's."""
        settings = self.directive(fence)
        line = fence.directive[0] + self.offset if fence.directive else fence.line + self.offset
        terminal = self.selection.terminal(rendered.lang, rendered.title) or 1
        if settings.get("fails") and count_commands(fence.text) > 1:
            raise SourceError(
                line,
                "fails takes a block of one command (one list: `a && b` is one), which must fail "
                "by itself: put the commands before it in a block of their own",
            )
        alias = aliases_used_early(fence.text)
        if alias is not None:
            raise SourceError(
                fence.line + self.offset + alias[1],
                f"the alias {alias[0]} is used in the block that defines it: bash reads a block "
                "whole, before it runs, so the alias is not there yet; use it in a later block, "
                "or define a function",
            )
        masked = masked_substitution(fence.text)
        if masked is not None and not settings.get("fails"):
            name, at = masked
            raise SourceError(
                fence.line + self.offset + at,
                f"{name} hides whether the command substitution in its value failed (its status "
                f"is {name}'s, 0), so a failure here would pass unseen: set the variable first "
                f"(NAME=$(...)), then {name} NAME",
            )
        if settings.pop("excerpt", False):
            raise SourceError(line, "excerpt is for a file's block: a command runs, or is skip")
        if "ready" in settings and not settings.get("background"):
            raise SourceError(line, 'ready goes with background: background ready="..."')
        if settings.get("background") and (settings.get("fails") or terminal == 2):
            raise SourceError(
                line,
                "background starts a server in the first terminal: it cannot be a second "
                "terminal's block, nor one that fails",
            )
        if terminal == 2 and "dir" in settings:
            raise SourceError(
                line, "a second terminal keeps its own folder: cd in the block instead of dir="
            )
        literal: frozenset[str] = markers | settings.pop("literal", frozenset())  # type: ignore[operator]
        literal -= settings.pop("placeholder", frozenset())  # type: ignore[operator]
        script, placeholders = substitute(fence.text, fence.line + self.offset + 1, literal)
        # A failure inside a list stops the step, as the reader sees it (see `lists.py`).
        script = checked(script)
        return Step(
            path=self.path,
            line=fence.line + self.offset,
            code=fence.text,
            script=script,
            placeholders=tuple(placeholders),
            tabs=rendered.tabs,
            terminal=terminal,
            **settings,  # type: ignore[arg-type]
        )

    def file_step(self, fence: Fence, rendered: RenderedFence, named: set[str]) -> Step:
        """The step of a file block: it writes the file, with the page's placeholders filled."""
        settings = self.directive(fence)
        line = fence.line + self.offset
        where = fence.directive[0] + self.offset if fence.directive else line
        wrong = sorted(set(settings) & {"fails", "timeout", "background", "ready"})
        if wrong:
            name = wrong[0].replace("_", "-")
            raise SourceError(where, f"{name} is for a command: a file's block is written")
        assert rendered.title is not None
        if settings.pop("excerpt", False):
            settings.setdefault("skip", "an excerpt: the file is not written")
        # A file that is not written may be shown wherever it lives.
        written = file_path(rendered.title, line) if "skip" not in settings else rendered.title
        settings.pop("literal", None)  # in a file, a <...> is text unless the page says it is not
        named = named | settings.pop("placeholder", frozenset())  # type: ignore[operator]
        placeholders = []
        for number, text in enumerate(fence.text.split("\n"), start=line + 1):
            for match in PLACEHOLDER.finditer(text) if "<" in text else ():
                if match[1] in named:
                    why = name_problem(match[1])
                    if why is not None:
                        raise SourceError(number, why)
                    placeholders.append(Placeholder(match[1], variable_name(match[1]), number))
        return Step(
            path=self.path,
            line=line,
            code=fence.text,
            script=fence.text,
            placeholders=tuple(placeholders),
            tabs=rendered.tabs,
            kind="file",
            file=written,
            **settings,  # type: ignore[arg-type]
        )

    def directive(self, fence: Fence) -> dict[str, object]:
        """The settings of a step's directive; output directives are for other blocks."""
        if fence.directive is None:
            return {}
        line = fence.directive[0] + self.offset
        settings = read_directive(line, fence.directive[1])
        if "output" in settings or "not_output" in settings:
            raise SourceError(
                line,
                "output and not-output go before a block that shows a step's output, not before "
                "a step",
            )
        return settings

    def outputs(self, steps: Sequence[Step]) -> None:
        """Give each step the block right after it that shows its output, if any."""
        by_line = {step.line: step for step in steps}
        previous: tuple[Fence, Step | None] | None = None
        pattern = self.selection.output_pattern
        for fence, rendered in self.shown:
            if fence is None:
                previous = None
                continue
            step = by_line.get(fence.line + self.offset)
            if step is not None or self.is_step(rendered.lang, rendered.title):
                previous = (fence, step)
                continue
            mode = self.output_mode(fence)
            before = previous
            previous = (fence, None)
            if mode == "none":
                continue
            candidate = output_block(rendered.lang, rendered.title, self.selection.output_languages)
            line = fence.line + self.offset
            if before is None or before[1] is None:
                if mode is not None:
                    self.error(line, "output: no step comes right before this block")
                continue
            after, owner = before
            if mode is None:
                if not candidate:
                    continue
                said = says_output(prose_between(self.fences.lines, after.end, fence.line), pattern)
                if said is False:
                    continue
                if said is None:
                    self.error(
                        line,
                        "the text before this block speaks of output, but not as the page's "
                        "pattern for expected output does: mark the block output, or not-output",
                    )
                    continue
                mode = "similar"
            problem = _no_output(owner, rendered)
            if problem is not None:
                self.error(line, problem)
                continue
            if owner.expected is not None:
                continue  # the step's output is shown already; this block is more of it
            owner.expected = Expected(line, rendered.text, mode)  # type: ignore[arg-type]

    def output_mode(self, fence: Fence) -> str | None:
        """What an output directive says of a block: `similar`, `exact`, `none`, or None."""
        if fence.directive is None:
            return None
        try:
            settings = read_directive(fence.directive[0] + self.offset, fence.directive[1])
        except SourceError:
            return None  # reported with the block
        if settings.get("not_output"):
            return "none"
        return settings.get("output")  # type: ignore[return-value]

    def terminals(self, steps: Sequence[Step]) -> None:
        """A server the page starts must be marked `background`, or the second terminal's
        blocks after it never run."""
        for step, after in itertools.pairwise(steps):
            if (
                after.terminal == 2
                and step.terminal == 1
                and step.kind == "command"
                and not step.background
                and step.skip is None
            ):
                self.error(
                    step.line,
                    "a second terminal's block follows this one, so it starts something that "
                    'keeps running: mark it background (ready="http://127.0.0.1:PORT/") so the '
                    "page goes on once it answers; else the second terminal never runs",
                )

    def problems(self, steps: Sequence[Step]) -> list[SourceError]:
        located = self.located + [
            SourceError(e.line + self.offset, e.message, self.path) for e in self.errors
        ]
        located += tab_errors(steps, self.rendering)
        tabbed = next((step for step in steps if step.tabs), None)
        if self.rendering.tabs_unsure and tabbed is not None:
            located.append(
                SourceError(
                    tabbed.line,
                    "HTML written in this page's content tabs opens and closes tags unevenly (a "
                    "<div> or </div> on its own, say): a browser may show command blocks in "
                    "other tabs than the Markdown says; balance the HTML",
                    self.path,
                )
            )
        return sorted(located, key=lambda error: error.line)


def _kind(selection: Selection, block: Fence | RenderedFence) -> str:
    """What a reader takes a step's block for: a command, or a file."""
    return "command" if selection.selects(block.lang, block.title) else "file"


def _no_output(step: Step, rendered: RenderedFence) -> str | None:
    """Why a block cannot show `step`'s output, if it cannot."""
    if step.kind == "file":
        return "a file's block prints nothing: this block cannot be its output (not-output)"
    if step.background:
        return "a server's output is not compared (it goes to its log): mark this block not-output"
    if rendered.tabs != step.tabs:
        return "this output block is not in the same content tabs as its step: put them together"
    return None


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


def _markers(commands: Sequence[str]) -> frozenset[str]:
    """Return the `<...>` texts of the page's commands that are template markers, not values.

    A marker is literal text: a command of the page replaces it (`sed "s|<docker_image>|...|"`,
    `${text//<marker>/...}`), or the page's commands set the variable it would name.
    """
    candidates = {
        match[1] for text in commands if "<" in text for match in PLACEHOLDER.finditer(text)
    }
    if not candidates:
        return frozenset()
    replaced = {
        match[1]
        for text in commands
        for pattern in _REPLACED.finditer(text)
        for match in PLACEHOLDER.finditer(pattern["pattern"] or pattern["expansion"])
    }
    assigned = {
        name
        for text in commands
        if "=" in text or "read" in text
        for found in _ASSIGNED.finditer(text)
        for name in found.groups()
    }
    return frozenset(
        text for text in candidates if text in replaced or variable_name(text) in assigned
    )
