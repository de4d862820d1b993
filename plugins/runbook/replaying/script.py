"""Render a runbook variant as one bash script: the page's commands, in order, in one session.

The script a reader downloads is the one the replay runs. Run by a reader, it says on stderr
which step runs and which one failed. Run by the replay, it also reports each step's start and
end, and its own completion, on file descriptor 3 with a token of that run (`RUNBOOK_EVENTS`);
every step runs with descriptor 3 closed, so nothing a step or a program it runs prints can pass
for progress. (A step written to forge events could still read the shell's token: no secret
survives in the shell that runs the page.)
"""

from __future__ import annotations

from runbook.reading.placeholders import Placeholder
from runbook.reading.steps import Runbook, Step
from runbook.reading.variants import Variant

EVENTS_FD = 3
STEP_MARKER = "runbook: step "
FINISHED = "runbook: all steps passed"

_PROLOGUE = """\
set -euo pipefail

runbook_start=$PWD
runbook_step=
runbook_reported=
# The replay counts steps on descriptor 3, with the token of the run; no step can write there.
runbook_token=${RUNBOOK_EVENTS-}
unset RUNBOOK_EVENTS
runbook_event() {
  if [[ -n $runbook_token ]]; then printf '%s %s\\n' "$runbook_token" "$*" >&3; fi
}
runbook_begin() {
  runbook_step=$1
  # Where the step's stderr starts; in a replay, marked with the run's token.
  printf '%s step %s\\n' "${runbook_token:-runbook:}" "$1" >&2
  runbook_event start "$1"
  # Each step runs as the page's first did, whatever the one before it changed.
  set -euo pipefail
  trap runbook_failed ERR
}
# Say which step failed, with its exit status, once.
runbook_report() {
  runbook_reported=1
  printf 'runbook: step %s failed with exit status %d\\n' "$runbook_step" "$1" >&2
}
runbook_failed() {
  local status=$?
  runbook_report "$status"
  exit "$status"
}
# An unset variable, a failure inside a function or an `exit` ends bash without the ERR trap.
runbook_exit() {
  local status=$?
  if ((status != 0)) && [[ -n $runbook_step && -z $runbook_reported ]]; then
    runbook_report "$status"
  fi
}
# bash does not stop for a failure inside `a && b`: a step's last status must still be 0.
runbook_end() {
  local status=$?
  if ((status != 0)); then
    runbook_report "$status"
    exit "$status"
  fi
  runbook_event end "$runbook_step"
}
trap runbook_failed ERR
trap runbook_exit EXIT
# A step in a subshell (`dir`, `fails`) that ends before its last line did not run whole.
runbook_early() {
  local status=$?
  if [[ -z ${runbook_ran-} ]] && ((status == 0)); then
    printf 'runbook: step %s ended before its last line\\n' "$runbook_step" >&2
    exit 125
  fi
}
"""


def script_name(page: str, variant: Variant, take_over: bool = False) -> str:
    """Return a script's path: `a/page.md` -> `a/page.sh`, `a/page-github-take-over.sh`."""
    stem = page[: -len(".md")] if page.endswith(".md") else page
    parts = [stem, variant.slug, "take-over" if take_over else ""]
    return "-".join(part for part in parts if part) + ".sh"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _header(
    runbook: Runbook, variant: Variant, take_over: bool, placeholders: list[Placeholder]
) -> list[str]:
    lines = [
        "#!/usr/bin/env bash",
        f"# The commands of {runbook.path}, in reading order, as one shell session.",
    ]
    if variant.name:
        lines.append(f"# Variant: {variant.name}.")
    if take_over:
        lines.append("# Take-over path: first the steps that set up the download, then the rest.")
    lines.append("# Generated from the page by runbook: change the page, not this script.")
    where = "the downloaded file is" if take_over else "the page's first command runs"
    lines.append(f"# Run it with bash from the folder where {where}.")
    if placeholders:
        lines.append("# Set these environment variables first (the values the page leaves to you):")
        width = max(len(p.name) for p in placeholders)
        lines += [f"#   {p.name:<{width}}  <{p.text}>" for p in placeholders]
        example = " ".join(f"{p.name}=..." for p in placeholders)
        name = script_name(runbook.path, variant, take_over).rsplit("/", 1)[-1]
        lines.append(f"# for example: {example} bash {name}")
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


def _step(step: Step) -> list[str]:
    lines = [f"# {step.location}"]
    if step.skip is not None:
        lines[0] += f" (skipped: {step.skip})"
        return [*lines, *(f"# {line}".rstrip() for line in step.code.split("\n")), ""]
    lines.append(f"runbook_begin {_quote(step.location)}")
    # Lines as bash splits them: at newlines only (Python's splitlines also splits at \f, \x85).
    body = step.script.split("\n")
    if not step.command:  # only comments: bash refuses an empty group
        body.append(":")
    if step.dir is not None:
        where = f'"$runbook_start"/{_quote(step.dir)}'
        body = [f"mkdir -p -- {where}", f"cd -- {where}", *body]
    if step.dir is None and not step.fails:
        # A group, not a subshell: a `cd` or a variable carries on to the next step.
        return [*lines, "{", *body, f"}} {EVENTS_FD}>&-", "runbook_end", ""]
    subshell = ["(", "trap runbook_early EXIT", *body, "runbook_ran=1", f") {EVENTS_FD}>&-"]
    if not step.fails:
        return [*lines, *subshell, "runbook_end", ""]
    # A subshell in an `if` ignores `set -e`: run it plainly and test its status after. Only
    # the block's own failure counts: not a command that cannot run or is not found (126,
    # 127), nor a block that ended before its end (125), nor a signal.
    return [
        *lines,
        "trap - ERR",
        "set +e",
        subshell[0],
        "set -e",
        *subshell[1:],
        "runbook_status=$?",
        "set -e",
        "trap runbook_failed ERR",
        "if ((runbook_status == 0)); then",
        "  runbook_reported=1",
        "  printf 'runbook: step %s succeeded but the page says it fails\\n' \"$runbook_step\" >&2",
        "  exit 1",
        "elif ((runbook_status >= 125)); then",
        "  runbook_reported=1",
        "  printf 'runbook: step %s failed, but not as the page says: exit status %d\\n' "
        '"$runbook_step" "$runbook_status" >&2',
        '  exit "$runbook_status"',
        "fi",
        'runbook_event end "$runbook_step"',
        "",
    ]


def render_script(runbook: Runbook, variant: Variant | None = None, take_over: bool = False) -> str:
    """Return the bash script of `variant` of `runbook` (the first for None), on its normal path
    or, with `take_over`, on its take-over path."""
    variant = variant or runbook.variant(None)
    placeholders = runbook.placeholders(variant, take_over)
    lines = [*_header(runbook, variant, take_over, placeholders), _PROLOGUE]
    lines += _checks(runbook.path, placeholders)
    for step in runbook.steps_for(variant, take_over):
        lines += _step(step)
    lines += ["runbook_event finished", f"printf '{FINISHED}\\n' >&2"]
    return "\n".join(lines) + "\n"
