"""Check that each step is a complete bash fragment on its own, as bash itself parses it.

A step that leaves a quote open, a here-document unfinished or a final backslash would swallow
the steps after it in the script. `bash -n` parses without running anything, but it misses some
of these: it only warns about an unfinished here-document and takes a final backslash silently.
So each step is parsed as the body of a function of its own: anything left open swallows the
function's closing brace, which bash does report.

Steps are parsed in one `bash -n` for speed. Two broken steps could close each other's quotes in
one text, so a step the shell lexer finds open is parsed alone, and bash decides; a failing
batch is split until each error belongs to one step.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence

from runbook.errors import SourceError
from runbook.placeholders import stray_brace, unfinished
from runbook.steps import Step

_WRAPPER_LINES = 2  # `runbook_check() {` and `:` stand before a step's first line
# bash names itself, then the line: `/usr/bin/bash: line 3: syntax error near ...`.
_LINE = re.compile(r"^(?:.*?: )?line (\d+): (.*)$")
_ONE_WORD = re.compile(r"(?<![<\w])<[A-Za-z][\w.-]*>")


def _text(steps: Sequence[Step]) -> str:
    return "".join(f"runbook_check() {{\n:\n{step.script}\n}}\n" for step in steps)


def _parse(steps: Sequence[Step]) -> str | None:
    """Return what bash says about the steps, or None when it parses them without a word."""
    result = subprocess.run(
        [shutil.which("bash") or "/bin/bash", "-O", "extglob", "-n"],
        input=_text(steps),
        capture_output=True,
        text=True,
        check=False,
    )
    said = result.stderr.strip()
    # bash -n exits 0 after an unfinished here-document, or a bad `[[ ]]`: it still says so.
    if result.returncode == 0 and "here-document" not in said and "syntax error" not in said:
        return None
    return said or "bash cannot parse this block"


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


def check_steps(steps: Sequence[Step]) -> list[SourceError]:
    """Return an error for each step that is not complete bash on its own, in the steps' order."""
    runnable = [step for step in steps if step.skip is None]
    alone = [step for step in runnable if unfinished(step.script) is not None]
    together = [step for step in runnable if unfinished(step.script) is None]
    failing: dict[int, str] = {}
    for step in alone:
        said = _parse([step])
        if said is not None:
            failing[id(step)] = said
    _bisect(together, failing)
    return [_error(step, failing[id(step)]) for step in runnable if id(step) in failing]


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
