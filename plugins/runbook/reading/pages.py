"""Read a page's runbook from what the site makes of it: its source, its render and its HTML.

`read_page` is what the plugin does with each page MkDocs renders. `read_markdown` renders a
page itself, with the site's Markdown settings, for readers that have no build at hand (a macro,
a test of a single page).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mkdocs.utils.meta import get_data

from runbook.errors import SourceError
from runbook.reading.blocks import read_runbook
from runbook.reading.crosscheck import check_page
from runbook.reading.fences import FenceReader
from runbook.reading.render import Rendering, render
from runbook.reading.selection import Selection
from runbook.reading.settings import page_settings
from runbook.reading.steps import Runbook
from runbook.reading.syntax import check_steps


@dataclass
class PageReading:
    """What was made of one page: its runbook, and the problems an author must fix."""

    runbook: Runbook
    errors: list[SourceError] = field(default_factory=list)


def body_of(source: str) -> tuple[str, Mapping[str, Any], int]:
    """Return a page's Markdown without its front matter, the front matter, and how many lines
    come before the body.

    Line endings are read as MkDocs reads a page's file, whatever they were: as newlines.
    """
    if "\r" in source:
        source = source.replace("\r\n", "\n").replace("\r", "\n")
    body, meta = get_data(source)
    if not source.endswith(body):
        return body, meta, 0  # MkDocs took more than a prefix: keep the body's own lines
    return body, meta, source[: len(source) - len(body)].count("\n")


def read_page(
    path: str,
    source: str,
    rendering: Rendering,
    html: str,
    reader: FenceReader,
    selection: Selection,
    read: tuple[str | None, Mapping[str, Any]] | None = None,
) -> PageReading:
    """Return the runbook of the page at `path`, written as `source`, rendered as `html`.

    `read` is the body and the front matter MkDocs read from `source`, if at hand. The steps
    are not checked as bash yet: see `syntax.StepCheck`, which takes many pages at once.
    """
    body, meta = read if read is not None else (None, {})
    if body is not None and source.endswith(body):
        offset = source[: len(source) - len(body)].count("\n")
    else:
        body, meta, offset = body_of(source)
    try:
        settings = page_settings(meta, source)
    except SourceError as error:
        return PageReading(Runbook(path, (), ()), [error.at(path)])
    runbook, errors = read_runbook(path, reader.read(body), rendering, selection, settings, offset)
    if not errors:
        errors = check_page(path, html, runbook.steps, selection, rendering)
    return PageReading(runbook, errors)


def read_markdown(
    path: str,
    source: str,
    extensions: Sequence[object],
    configs: Mapping[str, object],
    selection: Selection | None = None,
) -> PageReading:
    """Render the page at `path` with the given Markdown settings and read its runbook whole."""
    body, _, _ = body_of(source)
    html, rendering = render(body, extensions, configs)
    reader = FenceReader.configured(extensions, configs)
    reading = read_page(path, source, rendering, html, reader, selection or Selection())
    if not reading.errors:
        reading.errors = check_steps(reading.runbook.steps)
    return reading
