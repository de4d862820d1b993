"""Check that each step is a complete bash fragment on its own, as bash itself parses it.

A step that leaves a quote open, a here-document unfinished or a final backslash would swallow
the steps after it in the script. `bash -n` parses without running anything, but it misses some
of these: it only warns about an unfinished here-document and takes a final backslash silently.
So each step is parsed as the body of a function of its own: anything left open swallows the
function's closing brace, which bash does report.

Steps are parsed in one bash, which reads them as they come: a build goes on rendering pages
while bash parses the steps of the pages before. Two broken steps could mend each other in one
text (the first leaving open what the second closes), so bash prints back what it parsed
(`--pretty-print`, bash 5.2 and later) and each step's function must stand at the top level,
under its own name, which holds a nonce no page can know. A batch that fails either way is split
until each error belongs to one step, which bash then parses alone. A bash without
`--pretty-print` parses every step alone: slower, as sure.
"""

from __future__ import annotations

import functools
import re
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence

from runbook.errors import SourceError
from runbook.reading.quoting import open_or_stray, stray_brace, unfinished
from runbook.reading.steps import Step

_WRAPPER_LINES = 2  # `runbook_check_...() {` and `:` stand before a step's first line
# bash names itself, then the line: `/usr/bin/bash: line 3: syntax error near ...`.
_LINE = re.compile(r"^(?:.*?: )?line (\d+): (.*)$")
_ONE_WORD = re.compile(r"(?<![<\w])<[A-Za-z][\w.-]*>")
_MENDED = "steps mend one another: bash parses them together, not each alone"
_STRAY = "a stray brace"


def _text(steps: Sequence[Step], nonce: str, first: int = 0) -> str:
    """The steps, each the body of a function named after the nonce and its place."""
    return "".join(
        f"runbook_check_{nonce}_{number}() {{\n:\n{step.script}\n}}\n"
        for number, step in enumerate(steps, first)
    )


def _bash(*options: str) -> list[str]:
    # Long options come first: bash takes them before its one-letter ones only.
    return [shutil.which("bash") or "/bin/bash", *options, "-O", "extglob"]


@functools.cache
def _pretty_prints() -> bool:
    """Whether this bash can print back what it parsed (5.2 and later)."""
    done = subprocess.run(_bash("--pretty-print"), input="", capture_output=True, check=False)
    return done.returncode == 0


def _verdict(returncode: int, stderr: str) -> str | None:
    """What bash said about the steps it parsed, or None when it parsed them without a word."""
    said = stderr.strip()
    # bash -n exits 0 after an unfinished here-document, or a bad `[[ ]]`: it still says so.
    if returncode == 0 and "here-document" not in said and "syntax error" not in said:
        return None
    return said or "bash cannot parse this block"


def _whole(printed: str, nonce: str, count: int) -> bool:
    """Whether bash's print of a batch of `count` steps has each step's function at the top
    level, in order: none swallowed by a step before it."""
    names = re.findall(rf"^runbook_check_{nonce}_(\d+) \(\) $", printed, re.M)
    return names == [str(number) for number in range(count)]


def _parse(steps: Sequence[Step]) -> str | None:
    """Return what bash says about the steps, or None when it parses each of them whole."""
    nonce = secrets.token_hex(8)
    text = _text(steps, nonce)
    result = subprocess.run(_bash("-n"), input=text, capture_output=True, text=True, check=False)
    said = _verdict(result.returncode, result.stderr)
    if said is not None or len(steps) == 1:
        return said
    printed = subprocess.run(
        _bash("--pretty-print"), input=text, capture_output=True, text=True, check=False
    )
    if printed.returncode != 0 or not _whole(printed.stdout, nonce, len(steps)):
        return _MENDED
    return None


def _error(step: Step, said: str) -> SourceError:
    """Turn what bash said about one step alone into an error at the step's line."""
    if said == _STRAY:
        return SourceError(
            step.line + (stray_brace(step.script) or 1),
            "this } closes no { of this block: bash ends the block here and reads on outside "
            "it, so the rest of the block would not run as written",
            step.path,
        )
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
    """Checks steps as they come, with one bash that parses them while the caller goes on."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.alone: list[Step] = []
        self._nonce = secrets.token_hex(8)
        self._bash: subprocess.Popen[str] | None = None
        # What bash prints back and says, of any length; open until `errors` reads them.
        self._printed = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self._said = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self._cut = False  # bash stopped reading (at an error): the batch is not parsed whole

    def add(self, steps: Iterable[Step]) -> None:
        """Take more steps to check; skipped steps do not run, so they are not checked."""
        batch = []
        for step in steps:
            if step.skip is not None or step.kind != "command":
                continue
            if not _pretty_prints() or open_or_stray(step.script):
                self.alone.append(step)
            else:
                batch.append(step)
        if not batch or self._cut:
            self.steps += batch
            return
        if self._bash is None:
            self._bash = subprocess.Popen(
                _bash("--pretty-print"),
                stdin=subprocess.PIPE,
                stdout=self._printed,
                stderr=self._said,
                text=True,
            )
        text = _text(batch, self._nonce, len(self.steps))
        self.steps += batch
        try:
            self._bash.stdin.write(text)  # type: ignore[union-attr]
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
            self._printed.seek(0)
            said = _verdict(returncode, self._said.read())
            if said is None and (
                self._cut or not _whole(self._printed.read(), self._nonce, len(self.steps))
            ):
                said = _MENDED
        self._said.close()
        self._printed.close()
        failing: dict[int, str] = {}
        if said is not None:
            _bisect(self.steps, failing)
            if not failing and self.steps:  # each parses alone, not all together: say so
                failing[id(self.steps[0])] = said
        for step in self.alone:
            if (alone := _parse([step])) is not None:
                failing[id(step)] = alone
            elif stray_brace(step.script) is not None:  # it ends its function, and bash parses on
                failing[id(step)] = _STRAY
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
