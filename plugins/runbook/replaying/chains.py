"""Chains: pages that start where another page's replay ends, as a reader goes through a guide.

A page with `start: other-page.md` is replayed after that page, which may start after another:
its chain. Along a chain, a reader chooses a tab of each page's tab sets; Material links tabs by
their label across pages, so a reader who chose *GitLab* on one page sees *GitLab* on the next.
A path through a chain is a variant of each of its pages; `paths` gives the paths that the tests
replay: every variant of every page at least once, each with the variants its labels link to.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Collection, Mapping, Sequence

from runbook.errors import SourceError
from runbook.reading.settings import PageSettings, Setup
from runbook.reading.steps import Runbook
from runbook.reading.variants import Variant


def unknown_start(
    path: str, line: int, name: str, pages: Collection[str], states: Collection[str]
) -> SourceError:
    """The error of a `start:` that names neither a page nor a named state, suggesting what the
    author may have meant."""
    names = ", ".join(sorted(states)) or "none in mkdocs.yml"
    hint = ""
    parts = name.replace("\\", "/").split("/")
    under = next(
        ("/".join(parts[n:]) for n in range(1, len(parts)) if "/".join(parts[n:]) in pages), None
    )
    if under is not None:
        hint = f"; a page is named by its path under the docs folder: start: {under}"
    elif close := difflib.get_close_matches(name, [*sorted(pages), *sorted(states)], 1, 0.6):
        hint = f"; did you mean start: {close[0]}?"
    return SourceError(
        line,
        f"start: {name} is neither a page of the site nor a named state (states: {names}){hint}",
        path,
    )


def chain_of(
    page: str,
    runbook_of: Callable[[str], Runbook],
    pages: Collection[str],
    states: Collection[str],
) -> list[str]:
    """Return the pages whose replays `page` starts after, first first, and `page` itself.

    Raises SourceError, at the line of `start:`, for a start that is no page or state, and for a
    cycle.
    """
    chain = [page]
    while (start := runbook_of(chain[0]).settings.start) is not None and start.page:
        if start.name not in pages:
            raise unknown_start(chain[0], start.line, start.name, pages, states)
        if start.name in chain:
            cycle = " -> ".join([start.name, *chain[: chain.index(start.name) + 1]])
            raise SourceError(start.line, f"start: makes a cycle ({cycle})", chain[0])
        chain.insert(0, start.name)
    start = runbook_of(chain[0]).settings.start
    if start is not None and start.name not in states:
        raise unknown_start(chain[0], start.line, start.name, pages, states)
    return chain


def start_errors(
    runbooks: Mapping[str, Runbook], pages: Collection[str], states: Collection[str]
) -> list[SourceError]:
    """Return an error for each of `runbooks` whose `start:` names no page of `pages` and no
    named state, or makes a cycle through the pages read."""
    errors = []
    for page, runbook in sorted(runbooks.items()):
        start, seen = runbook.settings.start, [page]
        while start is not None and start.page and start.name in pages:
            if start.name in seen:
                cycle = " -> ".join([*seen, start.name])
                errors.append(SourceError(start.line, f"start: makes a cycle ({cycle})", page))
                break
            seen.append(start.name)
            start = runbooks[start.name].settings.start if start.name in runbooks else None
        else:
            start = runbook.settings.start
            if start is not None and start.name not in pages and start.name not in states:
                errors.append(unknown_start(page, start.line, start.name, pages, states))
    return errors


Path = tuple[Variant, ...]


def whole_chain(runbooks: Sequence[Runbook], path: Path) -> Runbook:
    """One runbook of a chain's pages on `path`: their steps in order, from where the first page
    starts, with the values and setup of all of them (a later page's winning). Its script is
    the one a reader who joins at the last page runs from the start."""
    steps = tuple(
        dataclasses.replace(step, tabs=())
        for runbook, variant in zip(runbooks, path, strict=True)
        for step in runbook.steps_for(variant)
    )
    first, values, setup = runbooks[0].settings, {}, Setup()
    for runbook in runbooks:
        values.update(runbook.settings.values)
        setup = setup.then(runbook.settings.setup)
    settings = PageSettings(first.start, values, setup)
    return Runbook(runbooks[-1].path, steps, (Variant(),), settings)


def _linked(variants: Sequence[Variant], labels: Collection[str]) -> Variant:
    """The variant a reader who chose `labels` sees: the one sharing most of them (the first of
    those that tie)."""
    return max(variants, key=lambda variant: len(set(variant.labels) & set(labels)))


def path_through(runbooks: Sequence[Runbook], fixed: Mapping[int, Variant]) -> Path:
    """The path through a chain's pages (`runbooks`, first first) with the variants of `fixed`
    (by place), each other page taking the variant the labels chosen so far link to."""
    labels = {label for variant in fixed.values() for label in variant.labels}
    path: list[Variant] = []
    for place, runbook in enumerate(runbooks):
        variant = fixed.get(place) or _linked(runbook.variants, labels)
        labels |= set(variant.labels)
        path.append(variant)
    return tuple(path)


def paths(runbooks: Sequence[Runbook]) -> list[Path]:
    """The paths through a chain that the tests replay: for each variant of the last page, the
    path its labels link to; then, for each variant of an earlier page that no path takes yet, a
    path through it. So every variant of every page is replayed at least once, after each of the
    variants of the page before it."""
    found: list[Path] = []
    last = len(runbooks) - 1
    for variant in runbooks[last].variants:
        found.append(path_through(runbooks, {last: variant}))
    for place in range(last - 1, -1, -1):
        for variant in runbooks[place].variants:
            if not any(path[place] == variant for path in found):
                found.append(path_through(runbooks, {place: variant}))
    return list(dict.fromkeys(found))
