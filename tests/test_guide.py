"""The test guide (`tests/guide/`): four chained pages that do what readers of a real guide do,
replayed offline, with pytest and with `runbook replay`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from wheels import GUIDE, make_guide_stand_ins

from conftest import Guide, assert_replayed, build_site, read_guide
from helpers import PROJECT

pytestmark = pytest.mark.replay

PAGES = ["set-up.md", "write-the-code.md", "check-the-changes.md", "serve-the-model.md"]


@pytest.fixture(scope="module")
def guide_site() -> Guide:
    """The test guide, read as the build reads it."""
    made = read_guide(GUIDE / "mkdocs.yml")
    assert made.errors == []
    return made


def test_the_guide_is_a_chain_of_its_pages(guide_site: Guide) -> None:
    """Each page starts where the one before it ends; all do what the issue asks of them."""
    session = guide_site.session()
    assert session.chain("serve-the-model.md") == PAGES
    kinds = {
        (step.kind, step.terminal, step.background, step.expected is not None)
        for page in PAGES
        for step in guide_site.runbook(page).steps
    }
    assert ("file", 1, False, False) in kinds  # files written
    assert ("command", 1, False, True) in kinds  # output compared
    assert ("command", 1, True, False) in kinds  # a server
    assert ("command", 2, False, True) in kinds  # a second terminal, its output compared


@pytest.mark.parametrize("page", PAGES)
def test_each_page_replays(guide_site: Guide, page: str) -> None:
    """Each page replays green from where the one before it ends, offline."""
    replayed = guide_site.replay(page)
    assert_replayed(replayed)
    guide_site.stack.close()


def test_the_last_page_replays_with_the_command_line() -> None:
    """`runbook replay` replays the chain before the last page, then the page, green."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "runbook",
            "-f",
            str(GUIDE / "mkdocs.yml"),
            "replay",
            str(GUIDE / "docs" / "serve-the-model.md"),
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("serve-the-model.md: all 3 steps passed")


def test_the_stand_ins_are_what_tests_wheels_makes(tmp_path: Path) -> None:
    """The wheels and the archive kept with the guide are, byte for byte, what
    `python tests/wheels.py` makes: nothing in them comes from elsewhere."""
    for made in make_guide_stand_ins(tmp_path):
        kept = GUIDE / made.relative_to(tmp_path)
        assert kept.read_bytes() == made.read_bytes(), kept


def test_the_whole_chain_script_of_the_last_page_replays(guide_site: Guide) -> None:
    """The script a reader who joins at the last page runs, from the start of its chain, holds
    every page's steps in order, and replays green."""
    session = guide_site.session()
    with session.replay("serve-the-model.md", whole=True) as replayed:
        assert_replayed(replayed)
        pages = [step.path for step in replayed.steps]
        assert list(dict.fromkeys(pages)) == PAGES


def test_the_site_publishes_what_a_reader_of_a_chain_needs(tmp_path: Path) -> None:
    """A chained page's script says which page it starts after, and the site also publishes
    the script of its whole chain, from the start: the same as `runbook script` prints."""
    built = build_site(GUIDE / "mkdocs.yml", tmp_path / "site")
    scripts = built / "runbooks"
    assert "# It starts where check-the-changes.md ends" in (
        scripts / "serve-the-model.sh"
    ).read_text(encoding="utf-8")
    whole = (scripts / "serve-the-model-from-the-start.sh").read_text(encoding="utf-8")
    config, page_file = str(GUIDE / "mkdocs.yml"), str(GUIDE / "docs" / "serve-the-model.md")
    printed = subprocess.run(
        [sys.executable, "-m", "runbook", "-f", config, "script", page_file, "--from-the-start"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert whole == printed
    assert not (scripts / "set-up-from-the-start.sh").exists()  # a page that starts after none
    page = (built / "serve-the-model" / "index.html").read_text(encoding="utf-8")
    assert "serve-the-model-from-the-start.sh" in page
