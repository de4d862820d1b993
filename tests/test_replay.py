"""Every page with steps replays: each variant, each path (normal, take-over), each transport,
and after each variant of the pages its chain starts with."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import pytest

from conftest import assert_replayed
from helpers import PROJECT
from runbook.adapters.site import load_site
from runbook.replaying.chains import chain_of, paths
from runbook.replaying.session import PageReplay


class Case(NamedTuple):
    """A replay of a page: its variant, its path, and the variants of the pages before it."""

    page: str
    variant: str | None
    take_over: bool
    after: tuple[str | None, ...] = ()


@functools.cache
def replayable() -> list[Case]:
    """Every replay a reader's way through the docs asks for, read as the build does."""
    site = load_site(PROJECT / "mkdocs.yml")
    readings = site.read(site.pages())
    runbooks = {path: reading.runbook for path, reading in readings.items()}
    cases = []
    for path, runbook in sorted(runbooks.items()):
        if not runbook.steps:
            continue
        chain = chain_of(path, runbooks.__getitem__, runbooks, site.settings.states)
        for way in paths([runbooks[name] for name in chain]):
            before = tuple(variant.name or None for variant in way[:-1])
            cases.append(Case(path, way[-1].name or None, False, before))
        if runbook.take_over:
            cases += [Case(path, variant.name or None, True) for variant in runbook.variants]
    return cases


def _id(case: Case) -> str:
    after = "".join(f"+{name}" for name in case.after if name)
    return (
        case.page
        + (f":{case.variant}" if case.variant else "")
        + (f":after{after}" if after else "")
        + (":take-over" if case.take_over else "")
    )


@pytest.mark.replay
@pytest.mark.parametrize("case", replayable(), ids=_id)
def test_page_replays(
    replay_page: Callable[..., PageReplay],
    record_replay: Callable[[PageReplay], None],
    case: Case,
) -> None:
    """Each step of the page runs, in reading order, from the page's start state."""
    replayed = replay_page(case.page, case.variant, take_over=case.take_over, after=case.after)
    record_replay(replayed)  # for the script box's "replayed" mark (runbook/adapters/results.py)
    assert_replayed(replayed)


def test_the_docs_have_pages_to_replay() -> None:
    """The docs replay something: a broken reading would otherwise leave this file with no test."""
    assert replayable()
