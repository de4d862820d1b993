"""Kept end states: a chain costs what changed, and a kept state is never stale.

Each test replays the second page of a chain in a new session, as a later run does, changes one
thing that made the first page's end state, and replays again: the first page must run again.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from wheels import make_wheel

from conftest import read_guide
from helpers import PLUGINS, command, mkdocs_yml, page, write_site
from runbook.replaying import kept
from runbook.replaying.session import ReplaySession
from runbook.replaying.states import make_bundle

pytestmark = pytest.mark.replay

FIRST = "touch first-ran\necho <my value> > value.txt"


def chain(first: str = FIRST, front: str = "") -> dict[str, str]:
    """Two pages: `a.md`, then `b.md`, which starts where `a.md` ends."""
    return {
        "a.md": front + page(command(first)),
        "b.md": "---\nrunbook:\n  start: a.md\n---\n" + page(command("test -f first-ran")),
    }


def options(value: str = "one", extra: str = "") -> str:
    lines = f"values:\n  MY_VALUE: {value}\npackages: wheels/\nstates:\n  start: states/start.sh\n"
    lines += extra
    return mkdocs_yml(PLUGINS.split("  - runbook:")[0] + "  - runbook:\n" + _indent(lines))


def _indent(text: str) -> str:
    return "".join(f"      {line}\n" for line in text.strip("\n").split("\n"))


Replay = Callable[..., bool]


@pytest.fixture
def replay_b(tmp_path: Path) -> Replay:
    """Write the site (`pages`, `config`) in `tmp_path` and replay `b.md` in a new session;
    return whether `a.md` ran (or came from its kept end state)."""
    (tmp_path / "wheels").mkdir(exist_ok=True)
    (tmp_path / "states").mkdir(exist_ok=True)
    state = tmp_path / "states" / "start.sh"
    if not state.exists():
        state.write_text('cp "$(dirname "$0")/seed.txt" .\n', encoding="utf-8")
        (tmp_path / "states" / "seed.txt").write_text("seed\n", encoding="utf-8")

    def replay(pages: dict[str, str] | None = None, config: str | None = None) -> bool:
        write_site(tmp_path, pages or chain(), config or options())
        guide = read_guide(tmp_path / "mkdocs.yml")
        assert guide.errors == []
        said: list[str] = []
        session = ReplaySession(
            guide.runbook, guide.runbooks.keys(), guide.site.settings, notify=said.append
        )
        with session.replay("b.md") as replayed:
            assert replayed.ok, replayed.report()
        return session.runs["a.md"] == 1

    return replay


def test_a_kept_state_is_used_when_nothing_changed(replay_b: Replay) -> None:
    """The second replay of the last page of a chain runs that page only."""
    assert replay_b()
    assert not replay_b()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda root: chain(FIRST + "\ntrue"), id="an-earlier-page"),
        pytest.param(
            lambda root: chain(front="---\nrunbook:\n  env:\n    MY_MODE: x\n---\n"),
            id="its-env",
        ),
        pytest.param(
            lambda root: chain(front="---\nrunbook:\n  timeout: 30\n---\n"), id="its-timeout"
        ),
    ],
)
def test_a_change_to_a_page_before_makes_its_state_again(
    replay_b: Replay, change: Callable[[Path], dict[str, str]], tmp_path: Path
) -> None:
    """An earlier page's steps, environment or timeout changed: it runs again."""
    assert replay_b()
    assert not replay_b()
    assert replay_b(change(tmp_path))


def test_a_test_value_change_makes_the_state_again(replay_b: Replay) -> None:
    """A placeholder's test value changed: the page that used it runs again."""
    assert replay_b()
    assert replay_b(config=options(value="two"))


def test_a_wheel_change_makes_the_state_again(replay_b: Replay, tmp_path: Path) -> None:
    """A wheel of the package folder added or changed: the pages run again."""
    assert replay_b()
    make_wheel(tmp_path / "wheels", "greeting", "1.0.0", "x = 1\n")
    assert replay_b()
    assert not replay_b()
    make_wheel(tmp_path / "wheels", "greeting", "1.0.0", "x = 2\n")
    assert replay_b()


def test_a_download_file_change_makes_the_state_again(replay_b: Replay, tmp_path: Path) -> None:
    """A file a URL is mapped to changed: the pages run again."""
    (tmp_path / "data.txt").write_text("1\n", encoding="utf-8")
    config = options(extra="downloads:\n  https://example.com/d: data.txt")
    assert replay_b(config=config)
    assert not replay_b(config=config)
    (tmp_path / "data.txt").write_text("2\n", encoding="utf-8")
    assert replay_b(config=config)


@pytest.mark.parametrize("changed", ["start.sh", "seed.txt"])
def test_a_named_state_change_makes_the_state_again(
    replay_b: Replay, tmp_path: Path, changed: str
) -> None:
    """The named state a chain starts from changed, its script or a file the script reads:
    the pages run again."""
    pages = chain(front="---\nrunbook:\n  start: start\n---\n")
    pages["b.md"] = pages["b.md"].replace("test -f first-ran", "test -f seed.txt")
    assert replay_b(pages)
    assert not replay_b(pages)
    path = tmp_path / "states" / changed
    path.write_text(path.read_text(encoding="utf-8") + "# changed\n", encoding="utf-8")
    assert replay_b(pages)


@pytest.mark.parametrize("what", ["code", "versions"])
def test_a_tool_change_makes_the_state_again(
    replay_b: Replay, monkeypatch: pytest.MonkeyPatch, what: str
) -> None:
    """This tool's code, or bash's, git's or Python's version changed: the pages run again."""
    assert replay_b()
    assert not replay_b()
    kept.tool_digest.cache_clear()
    if what == "versions":
        monkeypatch.setattr(kept, "versions", lambda: ["GNU bash, version 9.9"])
    else:
        monkeypatch.setattr(kept, "_package", lambda: {"new.py": "changed"})
    assert replay_b()
    kept.tool_digest.cache_clear()


def test_a_tool_upgraded_in_place_makes_the_state_again(
    replay_b: Replay, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A tool the sandbox is given (`tools:`) upgraded where it is, under the same name: the
    pages run again."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "greeter"
    tool.write_text("#!/bin/sh\necho greeter 1.0\n", encoding="utf-8")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    config = options(extra="tools: [greeter]")
    kept.tools_digest.cache_clear()
    assert replay_b(config=config)
    assert not replay_b(config=config)
    tool.write_text("#!/bin/sh\necho greeter 2.0\n", encoding="utf-8")
    kept.tools_digest.cache_clear()  # a new run
    assert replay_b(config=config)
    kept.tools_digest.cache_clear()


def test_a_fresh_run_makes_every_state_again_once(tmp_path: Path) -> None:
    """A fresh run (`--fresh`, or `RUNBOOK_FRESH` under pytest) ignores the states of other
    runs, and keeps its own for its later pages."""
    (tmp_path / "wheels").mkdir()
    (tmp_path / "states").mkdir()
    (tmp_path / "states" / "start.sh").write_text("true\n", encoding="utf-8")
    write_site(tmp_path, chain(), options())
    guide = read_guide(tmp_path / "mkdocs.yml")
    ran = []
    for run in ("first", "first", "second", None):
        session = ReplaySession(
            guide.runbook, guide.runbooks.keys(), guide.site.settings, fresh=run
        )
        with session.replay("b.md") as replayed:
            assert replayed.ok, replayed.report()
        ran.append(session.runs["a.md"])
    assert ran == [1, 0, 1, 0]


def test_a_take_over_bundle_follows_the_files_its_state_copies(tmp_path: Path) -> None:
    """The bundle a state's script makes is made again when a file the script copies changes,
    not only when the script does."""
    states = tmp_path / "states"
    states.mkdir()
    (states / "seed.txt").write_text("one\n", encoding="utf-8")
    script = states / "start.sh"
    script.write_text(
        "git init -q --initial-branch=main\n"
        'cp "$(dirname "$0")/seed.txt" .\n'
        "git add seed.txt && git commit -q -m seed\n",
        encoding="utf-8",
    )
    cache = tmp_path / "cache"
    first = make_bundle("start", script, cache)
    (states / "seed.txt").write_text("two\n", encoding="utf-8")
    second = make_bundle("start", script, cache)
    assert first is not None
    assert second is not None
    assert first != second
    assert len(list(cache.glob("start-*.bundle"))) == 2
