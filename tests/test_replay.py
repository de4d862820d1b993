"""Every page with runnable steps is replayed, once per variant and per remote transport."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conftest import Replayed, replayable_pages

PAGES = replayable_pages()


@pytest.mark.replay
@pytest.mark.parametrize(
    ("page", "variant"),
    PAGES,
    ids=[f"{page}:{variant}" if variant else page for page, variant in PAGES],
)
def test_page_replays(replay_page: Callable[..., Replayed], page: str, variant: str) -> None:
    """Each command block of the page runs, in reading order, against a fresh bare remote."""
    replay_page(page, variant or None).assert_ok()
