"""Render a runbook variant as one bash script: the page's commands, in order, in one session."""

from __future__ import annotations

from runbook.pages import script_name
from runbook.placeholders import Placeholder
from runbook.runbook import Runbook, Step, Variant

STEP_MARKER = "runbook: step "
FINISHED = "runbook: all steps passed"

_PROLOGUE = """\
set -euo pipefail

runbook_start=$PWD
runbook_step=
runbook_reported=
runbook_begin() {
  runbook_step=$1
  printf 'runbook: step %s\\n' "$1" >&2
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
  ((status == 0)) && return
  runbook_report "$status"
  exit "$status"
}
trap runbook_failed ERR
trap runbook_exit EXIT
"""


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _header(runbook: Runbook, variant: Variant, placeholders: list[Placeholder]) -> list[str]:
    lines = [
        "#!/usr/bin/env bash",
        f"# The commands of {runbook.path}, in reading order, as one shell session.",
    ]
    if variant.name:
        lines.append(f"# Variant: {variant.name}.")
    lines.append("# Generated from the page by runbook: change the page, not this script.")
    lines.append("# Run it with bash from the folder where the page's first command runs.")
    if placeholders:
        lines.append("# Set these environment variables first (the values the page leaves to you):")
        width = max(len(p.name) for p in placeholders)
        lines += [f"#   {p.name:<{width}}  <{p.text}>" for p in placeholders]
        example = " ".join(f"{p.name}=..." for p in placeholders)
        name = script_name(runbook.path, variant).rsplit("/", 1)[-1]
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
        return [*lines, *(f"# {line}".rstrip() for line in step.code.splitlines()), ""]
    lines.append(f"runbook_begin {_quote(step.location)}")
    body = step.script.splitlines()
    if step.dir is not None:
        where = f'"$runbook_start"/{_quote(step.dir)}'
        body = ["(", f"mkdir -p -- {where}", f"cd -- {where}", *body, ")"]
    if step.fails:
        # A subshell in an `if` ignores `set -e`; run it plainly and test its status after.
        inner = body[1:-1] if step.dir is not None else body
        lines += [
            "trap - ERR",
            "set +e",
            "(",
            "set -e",
            *inner,
            ")",
            "runbook_status=$?",
            "set -e",
            "trap runbook_failed ERR",
            "if ((runbook_status == 0)); then",
            "  runbook_reported=1",
            "  printf 'runbook: step %s succeeded but the page says it fails\\n' "
            '"$runbook_step" >&2',
            "  exit 1",
            "fi",
        ]
    else:
        lines += [*body, "runbook_end"]
    return [*lines, ""]


def render_script(runbook: Runbook, variant: Variant | None = None) -> str:
    """Return the bash script that runs `variant` of `runbook` (the first variant for None)."""
    variant = variant or runbook.variant(None)
    placeholders = runbook.placeholders(variant)
    lines = [*_header(runbook, variant, placeholders), _PROLOGUE]
    lines += _checks(runbook.path, placeholders)
    for step in runbook.steps_for(variant):
        lines += _step(step)
    lines.append(f"printf '{FINISHED}\\n' >&2")
    return "\n".join(lines) + "\n"
