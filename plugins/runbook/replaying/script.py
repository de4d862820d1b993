"""Render a runbook variant as one bash script: the page's steps, in order, in one session.

The script a reader downloads is the one the replay runs. Its prologue (`prologue.py`) holds the
functions its steps need; then each step follows, in reading order:

- a command runs in a `{ ... }` group, so a `cd` or a variable carries on to the next step, or in
  a subshell with `dir=` or `fails`;
- a file step writes its file with `runbook_write` from a quoted here-document whose delimiter
  no line of the file holds, so the file gets exactly the text shown;
- a second terminal's step runs in a bash of its own (`runbook_terminal`), as a reader's new
  terminal does;
- a `background` step starts a server and waits until it answers (`runbook_serve`); the server
  is stopped, as a reader does with Ctrl+C, before the first terminal's next step and at the
  end.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from runbook.reading.lists import ends_in_condition
from runbook.reading.placeholders import Placeholder
from runbook.reading.steps import DEFAULT_TIMEOUT, Runbook, Step
from runbook.reading.variants import Variant
from runbook.replaying import prologue
from runbook.replaying.prologue import EVENTS_FD, FINISHED, STEP_MARKER

__all__ = ["EVENTS_FD", "FINISHED", "STEP_MARKER", "render_script", "script_name"]

# What must not reach a comment or a name in the script as it is: a line break would end the
# comment, and what follows would run.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def script_name(page: str, variant: Variant, take_over: bool = False, whole: bool = False) -> str:
    """Return a script's path: `a/page.md` -> `a/page.sh`, `a/page-github-take-over.sh`, and
    for the whole chain before a page, `a/page-from-the-start.sh`."""
    stem = page[: -len(".md")] if page.endswith(".md") else page
    parts = [stem, variant.slug, "take-over" if take_over else "", "from-the-start" * whole]
    return "-".join(part for part in parts if part) + ".sh"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _safe(text: str) -> str:
    """`text` for a comment: each control or line-breaking character written as an escape."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(lambda found: found[0].encode("unicode_escape").decode("ascii"), text)


def _header(
    runbook: Runbook,
    variant: Variant,
    take_over: bool,
    placeholders: list[Placeholder],
    after: str | None,
    whole: Sequence[str],
) -> list[str]:
    pages = ", ".join(_safe(page) for page in whole[:-1]) + f" and {_safe(runbook.path)}"
    lines = [
        "#!/usr/bin/env bash",
        f"# The steps of {pages if whole else _safe(runbook.path)}, in reading order, as one "
        "shell session.",
    ]
    if whole:
        lines.append(
            f"# For a reader who joins at {_safe(runbook.path)}: its chain from the start, "
            f"where {_safe(whole[0])} starts."
        )
    if variant.name:
        lines.append(f"# Variant: {_safe(variant.name)}.")
    if take_over:
        lines.append("# Take-over path: first the steps that set up the download, then the rest.")
    if after is not None:
        lines.append(
            f"# It starts where {_safe(after)} ends: run that page's steps first, in the same "
            "terminal."
        )
    lines.append("# Generated from the page by runbook: change the page, not this script.")
    where = "the downloaded file is" if take_over else "the page's first command runs"
    if whole:
        where = f"{_safe(whole[0])}'s first command runs"
    lines.append(f"# Run it with bash from the folder where {where}.")
    if placeholders:
        lines.append("# Set these environment variables first (the values the page leaves to you):")
        width = max(len(p.name) for p in placeholders)
        lines += [f"#   {p.name:<{width}}  <{_safe(p.text)}>" for p in placeholders]
        example = " ".join(f"{p.name}=..." for p in placeholders)
        name = script_name(runbook.path, variant, take_over, bool(whole)).rsplit("/", 1)[-1]
        lines.append(f"# for example: {example} bash {_safe(name)}")
    return lines


def _checks(path: str, placeholders: list[Placeholder]) -> list[str]:
    if not placeholders:
        return []
    lines = ["runbook_missing=()"]
    for p in placeholders:
        why = _quote(f"{p.name}  (<{p.text}>, {path}:{p.line})")
        lines.append(f"[[ -n ${{{p.name}-}} ]] || runbook_missing+=({why})")
    lines += [
        "if ((${#runbook_missing[@]})); then",
        "  printf 'runbook: set these environment variables first:\\n' >&2",
        "  printf '  %s\\n' \"${runbook_missing[@]}\" >&2",
        "  exit 2",
        "fi",
        "",
    ]
    return lines


def _delimiter(text: str, word: str) -> str:
    """A here-document delimiter that no line of `text` is."""
    lines = set(text.split("\n"))
    number = 0
    while (delimiter := f"{word}{number or ''}") in lines:
        number += 1
    return delimiter


def _here(text: str, word: str) -> tuple[list[str], str]:
    """`text` as the lines of a quoted here-document (its bytes, verbatim), and its delimiter."""
    delimiter = _delimiter(text, word)
    return [*text.split("\n"), delimiter], delimiter


def _note(step: Step) -> str:
    if step.kind == "file":
        return f" (writes {_safe(step.file or '')})"
    if step.terminal == 2:
        return " (in a second terminal)"
    if step.background:
        ready = f" once it answers at {_safe(step.ready)}" if step.ready else ""
        return f" (a server: it keeps running, and the page goes on{ready})"
    return ""


def _begin(step: Step, lines: int) -> str:
    return f'runbook_begin {_quote(step.location)} "$LINENO" {lines}'


def _step(step: Step, default_timeout: float) -> list[str]:
    lines = [f"# {_safe(step.location)}{_note(step)}"]
    if step.skip is not None:
        lines[0] += f" (skipped: {_safe(step.skip)})"
        if step.kind == "file":
            return [*lines, ""]
        return [*lines, *(f"# {line}".rstrip() for line in step.code.split("\n")), ""]
    if step.kind == "file":
        return [*lines, *_file(step), ""]
    if step.terminal == 2:
        body, delimiter = _here(step.script, "RUNBOOK_STEP")
        begin = _begin(step, 0)
        call = f"runbook_terminal 2 <<'{delimiter}' || runbook_gone \"$?\""
        return [*lines, begin, call, *body, "runbook_end", ""]
    if step.background:
        body, delimiter = _here(step.script, "RUNBOOK_STEP")
        begin = _begin(step, 0)
        ready = _quote(step.ready or "")
        call = f"runbook_serve {ready} {step.timeout or default_timeout:g} <<'{delimiter}'"
        if step.dir is not None:
            body = [f"runbook_enter {_quote(step.dir)}", *body]
        return [*lines, begin, call, *body, "runbook_end", ""]
    # Lines as bash splits them: at newlines only (Python's splitlines also splits at \f, \x85).
    body = step.script.split("\n")
    if not step.command:  # only comments: bash refuses an empty group
        body.append(":")
    begin = _begin(step, len(body))
    condition = ends_in_condition(step.script)
    end = "runbook_end condition" if condition else "runbook_end"
    if step.dir is None and not step.fails:
        # A group, not a subshell: a `cd` or a variable carries on to the next step.
        return [*lines, begin, "{", *body, f"}} {EVENTS_FD}>&-", end, ""]
    enter = f"; runbook_enter {_quote(step.dir)}" if step.dir is not None else ""
    opening = f"( runbook_subshell{enter}"
    closing = [
        f"runbook_status={0 if condition and not step.fails else '$?'} runbook_ran=1",
        f'exit "$runbook_status" ) {EVENTS_FD}>&-',
    ]
    if not step.fails:
        # Not `( ... ) || runbook_gone`: left of `||`, bash turns off `set -e` and the ERR trap
        # inside the subshell, and a failed command in the middle of the step would go unseen.
        return [
            *lines,
            begin,
            f"""trap 'runbook_gone "$?"' ERR; {opening}""",
            *body,
            *closing,
            """trap 'runbook_failed "$LINENO"' ERR""",
            "runbook_end",
            "",
        ]
    # A failure is what the page says: the subshell's status is tested, not trapped.
    return [
        *lines,
        begin,
        f"runbook_expect_failure; {opening}",
        *body,
        *closing,
        'runbook_failed_as_said "$?"',
        "",
    ]


def _file(step: Step) -> list[str]:
    """A file step: the file's content, exactly as shown, in a quoted here-document."""
    text = step.code.strip("\n")
    body, delimiter = _here(text, "RUNBOOK_FILE")
    fills = "".join(
        f" {_quote('<' + p.text + '>')} {p.name}"
        for p in {p.text: p for p in step.placeholders}.values()
    )
    call = f"runbook_write {_quote(step.file or '')}{fills} <<'{delimiter}'"
    return [_begin(step, 0), call, *body, "runbook_end"]


def _prologue(steps: list[Step]) -> str:
    """The parts of the prologue the steps need."""
    running = [step for step in steps if step.skip is None]
    parts = [prologue.CORE]
    if any(step.kind == "file" for step in running):
        parts.append(prologue.FILES)
    if any(step.dir is not None or step.fails for step in running if not step.background):
        parts.append(prologue.SUBSHELLS)
    if any(step.terminal == 2 for step in running):
        parts += [prologue.SAVE_STATE, prologue.TERMINALS]
    if any(step.background for step in running):
        parts.append(prologue.SERVERS)
        if any(step.background and step.dir is not None for step in running):
            parts.append(prologue.SUBSHELLS)
    else:
        parts.append(prologue.NO_SERVERS)
    parts.append(prologue.FINISH)
    return "\n".join(dict.fromkeys(parts))


def page_script(
    runbook: Runbook,
    variant: Variant | None = None,
    take_over: bool = False,
    default_timeout: float | None = None,
) -> str:
    """The script a site publishes for `variant` of `runbook` on one path, and a replay runs:
    it says which page it starts after, and waits for servers as long as the page's timeout
    (else `default_timeout`, the site's) says."""
    start = runbook.settings.start
    after = start.name if start is not None and start.page and not take_over else None
    timeout = runbook.settings.setup.timeout or default_timeout or DEFAULT_TIMEOUT
    return render_script(runbook, variant, take_over, after, timeout)


def render_script(
    runbook: Runbook,
    variant: Variant | None = None,
    take_over: bool = False,
    after: str | None = None,
    default_timeout: float = DEFAULT_TIMEOUT,
    whole: Sequence[str] = (),
) -> str:
    """Return the bash script of `variant` of `runbook` (the first for None), on its normal path
    or, with `take_over`, on its take-over path; `after` names the page it starts after, and
    `default_timeout` is a step's timeout unless its directive says (a server waits that long
    for its answer). `whole` names the pages of a chain whose steps `runbook` holds (see
    `chains.whole_chain`)."""
    variant = variant or runbook.variant(None)
    placeholders = runbook.placeholders(variant, take_over)
    steps = runbook.steps_for(variant, take_over)
    header = _header(runbook, variant, take_over, placeholders, after, whole)
    lines = [*header, _prologue(steps)]
    lines += _checks(runbook.path, placeholders)
    serving = False
    for step in steps:
        if serving and step.terminal == 1 and step.skip is None and step.kind == "command":
            lines.append("# A reader stops the server with Ctrl+C before the next command.")
            lines.append("runbook_stop_servers")
            serving = False
        lines += _step(step, default_timeout)
        serving = serving or (step.background and step.skip is None)
    lines += ["runbook_finish"]
    return "\n".join(lines) + "\n"
