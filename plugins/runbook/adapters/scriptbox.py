"""The script box: what a page with commands shows under its title, in its content.

The box offers the page's scripts, and says in plain words what they are, where to run them,
which environment variables they need, what the take-over path is and which download goes with
it, which folders they work in besides their own, and when each script was last replayed. It is
part of the page's HTML, not of a theme's template: a guide with its own templates gets it too,
and `runbook export` puts the same box into pages another generator built.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files

from runbook.adapters.results import Result
from runbook.reading.steps import Runbook, Step
from runbook.reading.variants import Variant

STYLESHEET = "scriptbox.css"
CLASS = "runbook-scriptbox"
TITLE_ID = "runbook-scriptbox-title"

# Icons drawn for the box (24 by 24), hidden from screen readers: the text says it all.
_ICONS = {
    "console": "M2 4h20v16H2zM4 8v10h16V8zM6 10l4 3-4 3zM11 15h6v2h-6z",
    "download": "M11 3h2v9.2l3.3-3.3 1.4 1.4L12 16l-5.7-5.7 1.4-1.4 3.3 3.3zM4 18h16v2H4z",
    "passed": "M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z",
    "failed": "M6.4 5 5 6.4l5.6 5.6L5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 "
    "10.6z",
}


def stylesheet() -> str:
    """The box's styles, published beside the scripts."""
    return files("runbook.adapters").joinpath(STYLESHEET).read_text(encoding="utf-8")


def _icon(name: str) -> str:
    return (
        f'<svg class="{CLASS}__icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">'
        f'<path fill-rule="evenodd" d="{_ICONS[name]}"/></svg>'
    )


@dataclass(frozen=True)
class BoxScript:
    """One script the box offers: its link, and its replay if this very script was replayed."""

    label: str
    href: str
    variant: Variant
    take_over: bool
    result: Result | None = None
    # The script of the page's whole chain, from where its first page starts.
    whole: bool = False


def script_label(variant: Variant, take_over: bool, whole: bool = False) -> str:
    """The name of a script, as its link shows it: its variant's tabs, and its path."""
    label = variant.name or ("Script" if not (take_over or whole) else "")
    if take_over:
        label = f"Take over ({label})" if label else "Take over"
    if whole:
        label = f"From the start ({label})" if label else "From the start"
    return label


def mark(result: Result | None, *, short: bool = False) -> str:
    """What the box says of a script's last replay: never more than the results file holds.
    `short`, as a table's cell says it: the outcome, then the time."""
    if result is None:
        said = "not yet replayed" if short else "Not yet replayed."
        return f'<span class="{CLASS}__mark"><span>{said}</span></span>'
    when = result.when
    time = f'<time datetime="{result.time}">{when.day} {when:%b %Y}, {when:%H:%M} UTC</time>'
    if short:
        said = f"{result.outcome}, {time}"
    else:
        outcome = "every step passed" if result.outcome == "passed" else "it failed"
        said = f"Replayed {time}: {outcome}."
    return (
        f'<span class="{CLASS}__mark {CLASS}__mark--{result.outcome}">{_icon(result.outcome)}'
        f"<span>{said}</span></span>"
    )


def _code(text: str) -> str:
    return f"<code>{html.escape(text)}</code>"


def _scripts(scripts: Sequence[BoxScript]) -> str:
    items = [
        f'<li><a class="{CLASS}__link" href="{html.escape(s.href)}" download>{_icon("download")}'
        f"{html.escape(s.label)}</a> {mark(s.result)}</li>"
        for s in scripts
    ]
    return f'<ul class="{CLASS}__scripts">{"".join(items)}</ul>'


def _where(runbook: Runbook, after: str | None) -> str:
    start = runbook.settings.start
    if start is not None and start.page and after is not None:
        return (
            f'It goes on from <a href="{html.escape(after)}">the page before</a>: run it with '
            f"{_code('bash')} in the folder where that page's commands left you."
        )
    if start is not None:
        return (
            "If you have followed the guide up to here, run it with "
            f"{_code('bash')} in your project's folder."
        )
    return f"Run it with {_code('bash')} in the folder where you would type the first command."


def _take_over(bundle: str | None) -> str:
    download = "the download this page names"
    if bundle is not None:
        name = html.escape(bundle.rsplit("/", 1)[-1])
        download = f'<a href="{html.escape(bundle)}" download>{_code(name)}</a>'
    return (
        f"<strong>Take over</strong> if you start at this page: put {download} (the project as "
        f"this page starts from it) in an empty folder, and run the script there with "
        f"{_code('bash')}. It sets the download up as your working copy, then runs the page."
    )


def _variables(runbook: Runbook, scripts: Sequence[BoxScript]) -> str:
    seen: dict[str, str] = {}
    for script in scripts:
        for placeholder in runbook.placeholders(script.variant, script.take_over):
            seen.setdefault(placeholder.name, placeholder.text)
    if not seen:
        return ""
    named = ", ".join(f"{_code(name)} ({html.escape(text)})" for name, text in seen.items())
    return f"<p>Set these environment variables to your own values first: {named}.</p>"


def _elsewhere(steps: Sequence[Step]) -> str:
    sentences = []
    for step in steps:
        if step.dir is None or step.skip is not None:
            continue
        where = "next to" if step.dir.startswith("../") else "inside"
        sentences.append(
            f"It also runs {_code(step.command)} in {_code(step.dir)}, {where} the folder it "
            "runs in."
        )
    return "".join(f"<p>{sentence}</p>" for sentence in dict.fromkeys(sentences))


def render_box(
    runbook: Runbook,
    scripts: Sequence[BoxScript],
    *,
    bundle: str | None = None,
    after: str | None = None,
    chain: Sequence[str] = (),
) -> str:
    """The HTML of a page's script box.

    `scripts` are the page's scripts, `bundle` the link to the download its take-over path
    starts from, `after` the link to the page it starts after: links relative to the page.
    `chain` names the pages its whole chain's script runs, first first.
    """
    normal = [s for s in scripts if not (s.take_over or s.whole)]
    taking_over = [s for s in scripts if s.take_over]
    from_the_start = [s for s in scripts if s.whole]
    parts = [
        f'<section class="{CLASS}" aria-labelledby="{TITLE_ID}">',
        f'<p class="{CLASS}__title" id="{TITLE_ID}">{_icon("console")}'
        "Run this page's commands as one script</p>",
        "<p>Each is a bash script of the command blocks below, in reading order: the script "
        "the tests replay.</p>",
        _scripts(normal),
        f"<p>{_where(runbook, after)}</p>",
    ]
    if taking_over:
        parts += [_scripts(taking_over), f"<p>{_take_over(bundle)}</p>"]
    if from_the_start and chain:
        pages = ", ".join(_code(page) for page in chain[:-1])
        parts += [
            _scripts(from_the_start),
            f"<p><strong>From the start</strong> if you join at this page: one script of the "
            f"steps of {pages} and this page, in reading order. Run it with {_code('bash')} "
            f"where {_code(chain[0])} starts.</p>",
        ]
    steps = {
        id(step): step
        for s in scripts
        if not s.whole
        for step in runbook.steps_for(s.variant, s.take_over)
    }
    parts += [_variables(runbook, scripts), _elsewhere(list(steps.values())), "</section>"]
    return "".join(part for part in parts if part)


_BOX = re.compile(rf'<section class="{CLASS}".*?</section>', re.S)
_H1_END = re.compile(r"</h1\s*>", re.I)


def insert_box(content: str, box: str) -> str:
    """Put `box` right after the first H1 of `content` (at its start if it has none), in place
    of a box put there before."""
    content = _BOX.sub("", content, count=1)
    heading = _H1_END.search(content)
    at = heading.end() if heading is not None else 0
    return content[:at] + box + content[at:]


_OPENING = re.compile(r"<article\b[^>]*>|<body\b[^>]*>", re.I)


def box_page(page: str, box: str, stylesheet: str) -> str:
    """A whole built page with `box` under the title of its article (see `insert_box`), and a
    link to the box's styles at `stylesheet`: what `runbook export` writes."""
    link = f'<link rel="stylesheet" href="{html.escape(stylesheet)}">'
    if link not in page:
        page = page.replace("</head>", f"{link}\n</head>", 1)
    opening = _OPENING.search(page)
    at = opening.end() if opening is not None else 0
    return page[:at] + insert_box(page[at:], box)
