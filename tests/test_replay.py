"""Every page with steps replays: each variant, each path (normal, take-over), each transport."""

from __future__ import annotations

import functools
from collections.abc import Callable

import pytest

from conftest import assert_replayed
from helpers import PROJECT
from runbook.adapters.site import load_site
from runbook.replaying.session import PageReplay


@functools.cache
def replayable() -> list[tuple[str, str | None, bool]]:
    """Every (page, variant, take-over path) of the docs that has steps, read as the build does."""
    site = load_site(PROJECT / "mkdocs.yml")
    cases = []
    for path, reading in sorted(site.read(site.pages()).items()):
        runbook = reading.runbook
        for variant in runbook.variants if runbook.steps else ():
            for take_over in (False, True) if runbook.take_over else (False,):
                cases.append((path, variant.name or None, take_over))
    return cases


def _id(case: tuple[str, str | None, bool]) -> str:
    page, variant, take_over = case
    return page + (f":{variant}" if variant else "") + (":take-over" if take_over else "")


@pytest.mark.replay
@pytest.mark.parametrize("case", replayable(), ids=_id)
def test_page_replays(
    replay_page: Callable[..., PageReplay],
    record_replay: Callable[[PageReplay], None],
    case: tuple[str, str | None, bool],
) -> None:
    """Each command block of the page runs, in reading order, from the page's start state."""
    page, variant, take_over = case
    replayed = replay_page(page, variant, take_over=take_over)
    record_replay(replayed)  # for the script box's "replayed" mark (runbook/adapters/results.py)
    assert_replayed(replayed)


def test_the_docs_have_pages_to_replay() -> None:
    """The docs replay something: a broken reading would otherwise leave this file with no test."""
    assert replayable()
