"""A replay stopped by SIGTERM or Ctrl+C ends whatever it started and removes its folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from helpers import PROJECT, command, page, write_site
from runbook.adapters.site import load_site

pytestmark = pytest.mark.replay


def running(pattern: str) -> list[str]:
    found = subprocess.run(["pgrep", "-af", pattern], capture_output=True, text=True, check=False)
    return found.stdout.splitlines()


def wait_for(pattern: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not running(pattern):
        assert time.monotonic() < deadline, f"nothing like {pattern!r} ever ran"
        time.sleep(0.05)


def _ignore_ctrl_c() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize(
    ("stop", "sleep", "start"),
    [
        pytest.param(signal.SIGTERM, "61.25", None, id="sigterm"),
        pytest.param(signal.SIGINT, "61.75", None, id="sigint"),
        pytest.param(signal.SIGINT, "61.5", _ignore_ctrl_c, id="sigint-started-ignoring-it"),
    ],
)
def test_a_stopped_command_line_replay_leaves_nothing(
    tmp_path: Path, stop: signal.Signals, sleep: str, start: Callable[[], None] | None
) -> None:
    """`runbook replay` stopped while a step runs ends the step's processes and the reaper,
    removes the replay's folder, and says so; Ctrl+C stops it even where it started with
    Ctrl+C ignored (after `&` in a script), as a person at its terminal expects."""
    config = write_site(tmp_path, {"p.md": page(command(f"sleep {sleep}"))})
    root = load_site(config).settings.scratch / "roots" / "p-md-path"
    replay = subprocess.Popen(
        [sys.executable, "-m", "runbook", "replay", "docs/p.md"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        preexec_fn=start,
    )
    wait_for(f"^sleep {sleep}$")
    assert root.is_dir()
    replay.send_signal(stop)
    _, err = replay.communicate(timeout=60)
    assert replay.returncode == 130
    assert "stopped; what the replay started is ended" in err
    assert running(f"sleep {sleep}") == []
    assert running("runbook/replaying/reaper.py") == [] or all(
        str(root) not in line for line in running("reaper.py")
    )
    assert not root.exists()


def test_a_killed_replay_ends_what_it_started(tmp_path: Path) -> None:
    """Even a replay killed outright (SIGKILL) leaves no step running: its reaper ends them."""
    write_site(tmp_path, {"p.md": page(command("sleep 62.25"))})
    replay = subprocess.Popen(
        [sys.executable, "-m", "runbook", "replay", "docs/p.md"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    wait_for("^sleep 62.25$")
    replay.kill()
    replay.wait(timeout=30)
    deadline = time.monotonic() + 30
    while running("sleep 62.25") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running("sleep 62.25") == []


def test_a_stopped_test_run_leaves_nothing(tmp_path: Path) -> None:
    """pytest stopped by SIGTERM while a test replays ends the step, as Ctrl+C does."""
    config = write_site(tmp_path, {"p.md": page(command("sleep 63.25"))})
    (tmp_path / "test_it.py").write_text(
        "from runbook.adapters.site import load_site\n"
        "from runbook.replaying.session import ReplaySession\n\n\n"
        "def test_replay():\n"
        f"    site = load_site({str(config)!r})\n"
        "    readings = site.read(site.pages())\n"
        "    session = ReplaySession(lambda p: readings[p].runbook, readings, site.settings)\n"
        "    with session.replay('p.md') as replayed:\n"
        "        assert replayed.ok\n",
        encoding="utf-8",
    )
    plugin = "runbook.adapters.pytest_plugin"
    tests = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", plugin, "-p", "no:cacheprovider", "test_it.py"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(PROJECT / "tests")},
    )
    wait_for("^sleep 63.25$")
    tests.send_signal(signal.SIGTERM)
    out, _ = tests.communicate(timeout=60)
    assert tests.returncode != 0, out
    assert running("sleep 63.25") == []
