"""The guide's test coverage at a glance: every page, its steps, variants, skipped steps and the
last replay of each of its scripts, as a Markdown table (the `runbook_coverage` macro)."""

from __future__ import annotations

import html
from collections.abc import Mapping

from runbook.adapters.results import Key, Result, script_digest
from runbook.adapters.scriptbox import mark, script_label
from runbook.reading.pages import PageReading
from runbook.reading.steps import Runbook
from runbook.replaying.script import page_script


def replays(
    runbook: Runbook, results: Mapping[Key, Result], timeout: float | None = None
) -> list[tuple[str, Result | None]]:
    """Each script of `runbook` by its label, with its recorded replay if that replay ran the
    very script the page makes now (`timeout`, the site's default timeout of a step)."""
    found = []
    for take_over in (False, True) if runbook.take_over else (False,):
        for variant in runbook.variants:
            result = results.get((runbook.path, variant.name, take_over, False))
            script = page_script(runbook, variant, take_over, timeout)
            if result is not None and result.script != script_digest(script):
                result = None
            found.append((script_label(variant, take_over), result))
    return found


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _row(
    path: str, reading: PageReading, results: Mapping[Key, Result], timeout: float | None
) -> str:
    runbook = reading.runbook
    link = f"[{path.removesuffix('.md')}]({path})"
    if reading.errors:
        return f"| {link} | errors: the build names them | | | |"
    steps = str(len(runbook.steps))
    only = sum(step.take_over for step in runbook.steps)
    steps += f" ({only} on the take-over path only)" if only else ""
    variants = ", ".join(v.name for v in runbook.variants if v.name) or "one"
    skipped = [
        f"`{step.location}`: {html.escape(step.skip)}" for step in runbook.steps if step.skip
    ]
    last = [
        f"{html.escape(label)}: {mark(result, short=True)}"
        for label, result in replays(runbook, results, timeout)
    ]
    cells = (link, steps, variants, "<br>".join(skipped) or "none", "<br>".join(last))
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |"


def coverage_table(
    readings: Mapping[str, PageReading],
    results: Mapping[Key, Result],
    timeout: float | None = None,
) -> str:
    """Markdown: a line that counts the scripts by their last replay, a table with a row for
    each page with commands (or errors), in the order of their paths, and a line naming the
    pages without commands. `timeout` is the site's default timeout of a step."""
    shown = sorted(path for path, r in readings.items() if r.runbook.steps or r.errors)
    counts = {"passed": 0, "failed": 0, "not yet replayed": 0}
    for path in shown:
        if not readings[path].errors:
            for _, result in replays(readings[path].runbook, results, timeout):
                counts[result.outcome if result else "not yet replayed"] += 1
    lines = [
        f"{len(readings)} pages, {len(shown)} with commands. Their {sum(counts.values())} "
        f"scripts: {counts['passed']} replayed and passed, {counts['failed']} failed, "
        f"{counts['not yet replayed']} not yet replayed.",
        "",
        "| Page | Steps | Variants | Skipped steps | Last replay |",
        "| --- | --- | --- | --- | --- |",
        *(_row(path, readings[path], results, timeout) for path in shown),
    ]
    others = sorted(set(readings) - set(shown))
    if others:
        named = ", ".join(f"[{path.removesuffix('.md')}]({path})" for path in others)
        lines += ["", f"Pages without commands: {named}."]
    return "\n".join(lines)
