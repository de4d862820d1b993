"""The replay's sandbox: sealed from the machine's git setup, unable to hang or go online."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import CHAPTER, PROJECT, Replayed
from runbook.replay import BLOCKED, DATE, IDENTITY, Replay, make_sandbox, replay, run_script
from runbook.runbook import Runbook, read_runbook

pytestmark = pytest.mark.replay

COMMAND = '```sh title="Execute the following command(s) in a terminal"'


def page(*blocks: str) -> str:
    """A page whose command blocks are `blocks` (each may start with a directive line)."""
    parts = ["# A page", ""]
    for block in blocks:
        directive, _, code = block.rpartition("\n") if block.startswith("<!--") else ("", "", block)
        parts += [directive, COMMAND, code, "```", ""]
    return "\n".join(parts)


def run_page(tmp_path: Path, text: str) -> tuple[Runbook, Replay]:
    runbook = read_runbook("page.md", text)
    return runbook, replay(runbook, make_sandbox(tmp_path / "sandbox"), {})


@pytest.fixture
def leaky_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME whose git config would change every result, were it to leak in."""
    home = tmp_path / "machine-home"
    hooks = home / "hooks"
    hooks.mkdir(parents=True)
    (hooks / "pre-commit").write_text(f"#!/bin/sh\ntouch {home}/hook-ran\n", encoding="utf-8")
    (hooks / "pre-commit").chmod(0o755)
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Leaky Machine\n\temail = leak@machine\n"
        "[init]\n\tdefaultBranch = trunk\n"
        f"[core]\n\thooksPath = {hooks}\n"
        "[alias]\n\tstatus = !touch leaked-alias\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_DIR", str(home / "not-a-repo"))
    return home


def test_machine_git_config_does_not_leak_in(tmp_path: Path, leaky_machine: Path) -> None:
    """Identity, default branch, hooks and aliases of the machine stay out of the replay."""
    runbook, result = run_page(
        tmp_path,
        page(
            "git init --quiet --initial-branch=main repo && cd repo\n"
            "git config user.name\n"
            "git commit --quiet --allow-empty --message first\n"
            "git log -1 --format='%an <%ae> %aI'\n"
            "git init --quiet ../other && git -C ../other symbolic-ref HEAD\n"
        ),
    )
    assert result.ok, result.report(runbook)
    name, author, head = result.stdout.splitlines()
    assert name == IDENTITY["name"]
    assert author == f"{IDENTITY['name']} <{IDENTITY['email']}> {DATE}"
    assert head == "refs/heads/master"  # git's own default, not the machine's `trunk`
    assert not (leaky_machine / "hook-ran").exists()


def test_commits_are_reproducible(tmp_path: Path) -> None:
    """Fixed identity and dates give the same commit ids in two sandboxes."""
    text = page(
        "git init -q --initial-branch=main r && cd r && git commit -q --allow-empty -m x\n"
        "git rev-parse HEAD"
    )
    ids = [run_page(tmp_path / name, text)[1].stdout for name in ("one", "two")]
    assert ids[0] == ids[1]
    assert len(ids[0].strip()) == 40


@pytest.mark.parametrize(
    "command",
    [
        pytest.param("read -r answer", id="stdin-is-closed"),
        pytest.param("git init -q r && cd r && git commit --allow-empty", id="editor"),
    ],
)
def test_nothing_waits_for_input(tmp_path: Path, command: str) -> None:
    """A step that would wait for a person fails at once instead of hanging."""
    started = time.monotonic()
    runbook, result = run_page(tmp_path, page(command))
    assert not result.ok
    assert result.failed == runbook.steps[0].location
    assert time.monotonic() - started < 10


def test_pager_does_not_wait(tmp_path: Path) -> None:
    """`git log` pages through `cat`, so it prints and returns."""
    runbook, result = run_page(
        tmp_path, page("git init -q r && cd r && git commit -q --allow-empty -m one && git log")
    )
    assert result.ok, result.report(runbook)
    assert "one" in result.stdout


def test_a_step_over_its_timeout_is_named(tmp_path: Path) -> None:
    """A step that runs over its timeout is killed, and the report names it."""
    started = time.monotonic()
    runbook, result = run_page(
        tmp_path, page("true", "<!-- runbook: timeout=1 -->\nsleep 30", "echo never")
    )
    assert time.monotonic() - started < 15
    assert result.timed_out == 1
    assert result.failed == runbook.steps[1].location
    assert f"step {runbook.steps[1].location} ran over its timeout of 1s" in result.report(runbook)
    assert "never" not in result.stdout


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/example/mlops-guide.git",
        "http://gitlab.com/example/mlops-guide.git",
        "git@github.com:example/mlops-guide.git",
        "ssh://git@gitlab.com/example/mlops-guide.git",
        "git://example.com/mlops-guide.git",
        "http://10.1.2.3/mlops-guide.git",
    ],
)
def test_other_hosts_fail_fast_and_say_why(tmp_path: Path, url: str) -> None:
    """git cannot leave the machine: any non-local URL fails at once, naming the sandbox."""
    started = time.monotonic()
    runbook, result = run_page(tmp_path, page(f"git clone {url}"))
    assert not result.ok
    assert time.monotonic() - started < 10
    assert BLOCKED in result.report(runbook)


def test_other_programs_meet_a_closed_proxy(tmp_path: Path) -> None:
    """Tools that honour proxy variables are sent to a closed loopback port, not the world."""
    sandbox = make_sandbox(tmp_path)
    code = (
        "import urllib.request\n"
        "try:\n    urllib.request.urlopen('https://example.com', timeout=5)\n"
        "except OSError as error:\n    print('refused' if 'refused' in str(error) else error)\n"
    )
    result = run_script(f'python3 -c "{code}"\n', sandbox)
    assert result.stdout.strip() == "refused"


def test_project_and_real_home_are_never_written(
    replay_page: Callable[..., Replayed], tmp_path: Path
) -> None:
    """A replay writes only inside its sandbox: not the checkout, not the real HOME."""
    real_home = Path(os.path.expanduser("~"))
    watched = [
        real_home / name for name in (".gitconfig", ".git-credentials", ".config/git", ".ssh")
    ]
    before = {path: path.stat().st_mtime_ns for path in watched if path.exists()}
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=PROJECT, capture_output=True, text=True
    ).stdout
    replayed = replay_page(CHAPTER)
    replayed.assert_ok()
    assert {path: path.stat().st_mtime_ns for path in watched if path.exists()} == before
    assert (
        subprocess.run(
            ["git", "status", "--porcelain"], cwd=PROJECT, capture_output=True, text=True
        ).stdout
        == status
    )
    for name, value in replayed.sandbox.env.items():
        if name != "PATH":
            assert str(real_home) not in value.split(os.pathsep), name
            assert str(PROJECT) not in value, name


def test_an_early_exit_is_no_success(tmp_path: Path) -> None:
    """A step that ends the script with status 0 still leaves the later steps unrun: failure."""
    runbook, result = run_page(tmp_path, page("exit 0", "echo never"))
    assert not result.ok
    assert "without running all its steps" in result.report(runbook)


def test_a_failure_inside_and_list_stops_the_step(tmp_path: Path) -> None:
    """`cd missing && echo moved` fails the step, as a reader would see it fail."""
    runbook, result = run_page(tmp_path, page("cd does-not-exist && echo moved", "echo never"))
    assert not result.ok
    assert result.failed == runbook.steps[0].location
    assert "never" not in result.stdout


def test_background_commands_do_not_hold_or_outlive_the_replay(tmp_path: Path) -> None:
    """A command left running in the background ends with the replay, which does not wait."""
    started = time.monotonic()
    runbook, result = run_page(tmp_path, page("sleep 41.5 &", "echo done"))
    assert result.ok, result.report(runbook)
    assert time.monotonic() - started < 10
    leftover = subprocess.run(["pgrep", "-f", "sleep 41.5"], capture_output=True, text=True)
    assert leftover.stdout == ""


def test_step_output_without_newline_does_not_hide_the_next_step(tmp_path: Path) -> None:
    """stderr without a final newline cannot swallow the next step's marker or its timeout."""
    runbook, result = run_page(
        tmp_path, page("printf 'no newline' >&2", "<!-- runbook: timeout=1 -->\nsleep 6")
    )
    assert result.timed_out == 1
    assert result.failed == runbook.steps[1].location
    assert result.steps[0].stderr == "no newline"


def test_page_paths_with_spaces_are_located(tmp_path: Path) -> None:
    """A page whose path has spaces still has its steps named and timed."""
    runbook = read_runbook(
        "my guide/a page.md", page("true", "<!-- runbook: timeout=1 -->\nsleep 6")
    )
    result = replay(runbook, make_sandbox(tmp_path / "sandbox"), {})
    assert [s.location for s in result.steps] == [s.location for s in runbook.steps]
    assert result.failed == "my guide/a page.md:9"
    assert result.timed_out == 1


def test_no_program_of_the_callers_python_or_home_is_on_path(tmp_path: Path) -> None:
    """`pip` and friends in a replay cannot install into the caller's virtualenv or HOME."""
    sandbox = make_sandbox(tmp_path / "sandbox")
    real_home = Path(os.path.expanduser("~")).resolve()
    kept_out = [real_home, PROJECT.resolve()]
    if sys.prefix != sys.base_prefix:  # the tests run in a virtualenv, as the README's do
        kept_out.append(Path(sys.prefix).resolve())
    for folder in sandbox.env["PATH"].split(os.pathsep)[1:]:
        resolved = Path(folder).resolve()
        assert not any(out == resolved or out in resolved.parents for out in kept_out), folder
    result = run_script("command -v pip python3 || true\n", sandbox)
    assert str(PROJECT) not in result.stdout
    assert all(str(out) not in result.stdout for out in kept_out)


class _AsksForPassword(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="private"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_password_prompt_fails_at_once(tmp_path: Path) -> None:
    """A remote that asks for credentials gets no prompt: git fails fast and says why."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AsksForPassword)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        runbook = read_runbook("page.md", page(f"git clone {base}private.git"))
        started = time.monotonic()
        result = replay(runbook, make_sandbox(tmp_path, loopback=[base]), {})
    finally:
        server.shutdown()
        server.server_close()
    assert time.monotonic() - started < 10
    assert not result.ok
    assert "terminal prompts disabled" in result.report(runbook)
