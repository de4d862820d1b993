"""Check that each step is a complete bash fragment on its own, as bash itself parses it.

A step that leaves a quote open, a here-document unfinished or a final backslash would swallow
the steps after it in the script. `bash -n` parses without running anything, but it misses some
of these: it only warns about an unfinished here-document and takes a final backslash silently.
So each step is parsed as the body of a function of its own: anything left open swallows the
function's closing brace, which bash does report.

Steps are parsed in one `bash -n`, which reads them as they come: a build goes on rendering
pages while bash parses the steps of the pages before. Two broken steps could mend each other in
one text, so some steps are parsed alone, and bash decides: those the shell lexer finds open,
and those with a `{` or `}` word, the only tokens that could close one step's function and open
the next one's (any other construct left open meets its function's `}` and fails). A failing
batch is split until each error belongs to one step.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence

from runbook.errors import SourceError
from runbook.placeholders import stray_brace, unfinished
from runbook.steps import Step

_WRAPPER_LINES = 2  # `runbook_check() {` and `:` stand before a step's first line
# bash names itself, then the line: `/usr/bin/bash: line 3: syntax error near ...`.
_LINE = re.compile(r"^(?:.*?: )?line (\d+): (.*)$")
_ONE_WORD = re.compile(r"(?<![<\w])<[A-Za-z][\w.-]*>")
# A `{` or `}` word, wherever it is (quoted too): more steps than need it are parsed alone.
_BRACE_WORD = re.compile(r"(?<![^\s;&|()])[{}](?![^\s;&|()<>])")


def _text(steps: Sequence[Step]) -> str:
    return "".join(f"runbook_check() {{\n:\n{step.script}\n}}\n" for step in steps)


def _bash() -> list[str]:
    return [shutil.which("bash") or "/bin/bash", "-O", "extglob", "-n"]


def _verdict(returncode: int, stderr: str) -> str | None:
    """What bash said about the steps it parsed, or None when it parsed them without a word."""
    said = stderr.strip()
    # bash -n exits 0 after an unfinished here-document, or a bad `[[ ]]`: it still says so.
    if returncode == 0 and "here-document" not in said and "syntax error" not in said:
        return None
    return said or "bash cannot parse this block"


def _parse(steps: Sequence[Step]) -> str | None:
    """Return what bash says about the steps, or None when it parses them without a word."""
    result = subprocess.run(
        _bash(), input=_text(steps), capture_output=True, text=True, check=False
    )
    return _verdict(result.returncode, result.stderr)


def _error(step: Step, said: str) -> SourceError:
    """Turn what bash said about one step alone into an error at the step's line."""
    problem = unfinished(step.script)
    if problem is not None:
        line, message = problem
        return SourceError(step.line + line, f"incomplete command: {message}", step.path)
    lines = [found for line in said.splitlines() if (found := _LINE.match(line)) is not None]
    errors = [found for found in lines if "warning" not in found[2]]
    found = next((f for f in errors if "syntax error" in f[2]), errors[0] if errors else None)
    where = step.line + 1
    message = said.splitlines()[-1] if said else "bash cannot parse this block"
    if found is not None:
        where = step.line + max(1, int(found[1]) - _WRAPPER_LINES)
        message = found[2]
    stray = stray_brace(step.script)
    if stray is not None and "unexpected token `}'" in message:
        return SourceError(step.line + stray, f"bash cannot parse this block: {message}", step.path)
    if "unexpected token `}'" in message or "unexpected end of file" in message:
        # What bash met is the end of the block, in a construct the block leaves open.
        return SourceError(
            step.line + 1,
            "incomplete command: the block ends inside an unfinished if, case, loop, function "
            "or group",
            step.path,
        )
    hint = ""
    if _ONE_WORD.search(step.script):
        hint = (
            "; bash reads a one-word <name> as redirections: a value for the reader needs two "
            "words, such as <my name>"
        )
    return SourceError(where, f"bash cannot parse this block: {message}{hint}", step.path)


class StepCheck:
    """Checks steps as they come, with one `bash -n` that parses them while the caller goes on."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.alone: list[Step] = []
        self._bash: subprocess.Popen[str] | None = None
        # bash's stderr, of any length; open until `errors` reads it and closes it.
        self._said = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self._cut = False  # bash stopped reading (at an error): the batch is not parsed whole

    def add(self, steps: Iterable[Step]) -> None:
        """Take more steps to check; skipped steps do not run, so they are not checked."""
        text = []
        for step in steps:
            if step.skip is not None:
                continue
            if _BRACE_WORD.search(step.script) or unfinished(step.script) is not None:
                self.alone.append(step)
            else:
                self.steps.append(step)
                text.append(_text([step]))
        if not text or self._cut:
            return
        if self._bash is None:
            self._bash = subprocess.Popen(
                _bash(),
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=self._said,
                text=True,
            )
        try:
            self._bash.stdin.write("".join(text))  # type: ignore[union-attr]
        except BrokenPipeError:
            self._cut = True

    def errors(self) -> list[SourceError]:
        """Return an error for each step that is not complete bash on its own, in order."""
        said = None
        if self._bash is not None:
            try:
                self._bash.stdin.close()  # type: ignore[union-attr]
            except BrokenPipeError:
                self._cut = True
            returncode = self._bash.wait()
            self._said.seek(0)
            said = _verdict(returncode, self._said.read()) or (
                "bash stopped reading" if self._cut else None
            )
        self._said.close()
        failing: dict[int, str] = {}
        if said is not None:
            _bisect(self.steps, failing)
        for step in self.alone:
            if (alone := _parse([step])) is not None:
                failing[id(step)] = alone
        steps = sorted([*self.steps, *self.alone], key=lambda step: (step.path, step.line))
        return [_error(step, failing[id(step)]) for step in steps if id(step) in failing]


def check_steps(steps: Sequence[Step]) -> list[SourceError]:
    """Return an error for each step that is not complete bash on its own, in the steps' order."""
    check = StepCheck()
    check.add(steps)
    return check.errors()


def _bisect(steps: Sequence[Step], failing: dict[int, str]) -> None:
    if not steps:
        return
    said = _parse(steps)
    if said is None:
        return
    if len(steps) == 1:
        failing[id(steps[0])] = said
        return
    middle = len(steps) // 2
    _bisect(steps[:middle], failing)
    _bisect(steps[middle:], failing)
