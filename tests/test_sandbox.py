"""The replay: sealed from the machine, unable to hang or go online, counting every step itself,
and leaving nothing running."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import Guide, assert_replayed, only_runbook
from helpers import CHAPTER, PROJECT, command, page
from runbook.reading.pages import PageReading
from runbook.reading.steps import DEFAULT_TIMEOUT, Step
from runbook.replaying.output import KEPT
from runbook.replaying.replay import Replay, run_script
from runbook.replaying.sandbox import BLOCKED, DATE, IDENTITY, Sandbox, make_sandbox
from runbook.replaying.script import render_script
from runbook.replaying.session import PageReplay

pytestmark = pytest.mark.replay

Read = Callable[..., PageReading]


@dataclass
class Replayed:
    """A page replayed in a sandbox: its steps, the replay's result, and the sandbox."""

    steps: list[Step]
    result: Replay
    sandbox: Sandbox

    @property
    def locations(self) -> list[str]:
        return [step.location for step in self.steps]

    @property
    def outcomes(self) -> list[str]:
        return [run.outcome for run in self.result.steps]

    def report(self) -> str:
        return self.result.report(self.steps)


ReplayFn = Callable[..., Replayed]


@pytest.fixture
def replay(read: Read, tmp_path: Path) -> ReplayFn:
    """Replay a page of `parts` at `path` in a fresh sandbox in `root` (`tmp_path/sandbox`)."""

    def run(
        *parts: str,
        path: str = "page.md",
        root: Path | None = None,
        loopback: Sequence[str] = (),
    ) -> Replayed:
        runbook = only_runbook(read(page(*parts), path))
        steps = runbook.steps_for(runbook.variant(None))
        sandbox = make_sandbox(root or tmp_path / "sandbox", loopback)
        result = run_script(
            render_script(runbook),
            sandbox,
            [step.location for step in steps if step.skip is None],
            {step.location: step.timeout or DEFAULT_TIMEOUT for step in steps},
        )
        return Replayed(steps, result, sandbox)

    return run


def running(pattern: str) -> list[str]:
    """The command lines of the processes whose command line matches `pattern` (pgrep -f)."""
    found = subprocess.run(["pgrep", "-af", pattern], capture_output=True, text=True, check=False)
    return found.stdout.splitlines()


# Sealed from the machine -------------------------------------------------------------------


@pytest.fixture
def leaky_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME whose git configuration would change every result, were it to leak in."""
    home = tmp_path / "machine-home"
    hooks = home / "hooks"
    hooks.mkdir(parents=True)
    (hooks / "pre-commit").write_text(f"#!/bin/sh\ntouch {home}/hook-ran\n", encoding="utf-8")
    (hooks / "pre-commit").chmod(0o755)
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Leaky Machine\n\temail = leak@machine\n"
        "[init]\n\tdefaultBranch = trunk\n"
        f"[core]\n\thooksPath = {hooks}\n"
        "[alias]\n\tst = !touch leaked-alias\n",
        encoding="utf-8",
    )
    (home / ".config" / "git").mkdir(parents=True)
    (home / ".config" / "git" / "config").write_text(
        "[init]\n\tdefaultBranch = xdg\n", encoding="utf-8"
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_DIR", str(home / "not-a-repo"))
    return home


def printed(replayed: PageReplay) -> str:
    """What the replay's steps printed, one after the other."""
    return "".join(run.printed for run in replayed.result.steps)


def test_machine_git_config_does_not_leak_in(replay: ReplayFn, leaky_machine: Path) -> None:
    """Identity, default branch, hooks and aliases of the machine stay out of the replay."""
    replayed = replay(
        command(
            "git init --quiet --initial-branch=main repo && cd repo\n"
            "git config user.name\n"
            "git commit --quiet --allow-empty --message first\n"
            "git log -1 --format='%an %ae %aI'\n"
            "git init --quiet ../other && git -C ../other symbolic-ref HEAD"
        ),
        command("git st", directive="fails"),
    )
    assert replayed.result.ok, replayed.report()
    name, author, head = replayed.result.steps[0].printed.splitlines()
    assert name == IDENTITY["name"]
    assert author == f"{IDENTITY['name']} {IDENTITY['email']} {DATE}"
    assert head in ("refs/heads/master", "refs/heads/main")  # git's own default
    assert not (leaky_machine / "hook-ran").exists()
    assert not list(replayed.sandbox.root.rglob("leaked-alias"))


def test_commits_are_reproducible(replay: ReplayFn, tmp_path: Path) -> None:
    """Fixed identity and dates give the same commit ids in two sandboxes."""
    code = command(
        "git init -q --initial-branch=main r && cd r && git commit -q --allow-empty -m x\n"
        "git rev-parse HEAD"
    )
    ids = [printed(replay(code, root=tmp_path / name)) for name in ("one", "two")]
    assert ids[0] == ids[1]
    assert len(ids[0].strip()) == 40


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("read -r answer", id="stdin-is-closed"),
        pytest.param('python3 -c "input()"', id="a-program-reading-stdin"),
        pytest.param("git init -q r && cd r && git commit --allow-empty", id="editor"),
    ],
)
def test_nothing_waits_for_input(replay: ReplayFn, code: str) -> None:
    """A step that would wait for a person fails at once, instead of running out its time."""
    replayed = replay(command(code, directive="timeout=60"))
    assert replayed.outcomes == ["failed"], replayed.report()


def test_the_pager_is_cat(replay: ReplayFn) -> None:
    """git pages through `cat`, so `git log` prints and returns."""
    replayed = replay(
        command("git init -q r && cd r && git commit -q --allow-empty -m one"),
        command('git var GIT_PAGER\necho "$PAGER"\ngit log --format=%s'),
    )
    assert replayed.result.ok, replayed.report()
    assert printed(replayed) == "cat\ncat\none\n"


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/example/mlops-guide.git",
        "http://gitlab.com/example/mlops-guide.git",
        "http://10.1.2.3/mlops-guide.git",
        "git@github.com:example/mlops-guide.git",
        "ssh://git@gitlab.com/example/mlops-guide.git",
        "git://example.com/mlops-guide.git",
    ],
)
def test_other_hosts_fail_fast_and_say_why(replay: ReplayFn, url: str) -> None:
    """git cannot leave the machine: any non-local URL fails at once, naming the sandbox."""
    replayed = replay(command(f"git clone {url}", directive="timeout=60"))
    assert replayed.outcomes == ["failed"], replayed.report()
    assert BLOCKED in replayed.result.steps[0].printed
    assert BLOCKED in replayed.report()


@pytest.mark.parametrize(
    ("code", "said"),
    [
        pytest.param("curl -sS https://example.com/", "127.0.0.1 port 9", id="curl"),
        pytest.param(
            "python3 -c \"import urllib.request; urllib.request.urlopen('https://example.com')\"",
            "Connection refused",
            id="python",
        ),
    ],
)
def test_other_programs_meet_a_closed_proxy(replay: ReplayFn, code: str, said: str) -> None:
    """Programs that honour proxy variables are sent to a closed loopback port, not the world."""
    replayed = replay(command(code, directive="fails timeout=60"))
    assert replayed.result.ok, replayed.report()
    assert said in replayed.result.steps[0].printed


def test_project_and_real_home_are_never_written(
    replay_page: Callable[..., PageReplay],
) -> None:
    """A replay writes only inside its sandbox: not the checkout, not the real HOME."""
    real_home = Path(os.path.expanduser("~"))
    watched = [
        real_home / name for name in (".gitconfig", ".git-credentials", ".config/git", ".ssh")
    ]

    def status() -> str:
        return subprocess.run(
            ["git", "status", "--porcelain"], cwd=PROJECT, capture_output=True, text=True
        ).stdout

    before = {path: path.stat().st_mtime_ns for path in watched if path.exists()}
    checkout = status()
    # `prepare` makes the replay run now, not come back from an end state kept earlier.
    replayed = replay_page(CHAPTER, prepare=lambda sandbox: None)
    assert_replayed(replayed)
    assert replayed.result.steps
    assert {path: path.stat().st_mtime_ns for path in watched if path.exists()} == before
    assert status() == checkout
    for name, value in replayed.sandbox.env.items():
        if name != "PATH":
            assert str(real_home) not in value.split(os.pathsep), name
            assert str(PROJECT) not in value, name


def test_no_program_of_the_callers_python_or_home_is_on_path(replay: ReplayFn) -> None:
    """`pip` and friends in a replay cannot install into the caller's virtualenv or HOME."""
    kept_out = [Path(os.path.expanduser("~")).resolve(), PROJECT.resolve()]
    if sys.prefix != sys.base_prefix:  # the tests run in a virtualenv, as the README's do
        kept_out.append(Path(sys.prefix).resolve())
    replayed = replay(command("command -v python3 pip bash git || true"))
    assert replayed.result.ok, replayed.report()
    for folder in replayed.sandbox.env["PATH"].split(os.pathsep)[1:]:
        resolved = Path(folder).resolve()
        assert not any(out == resolved or out in resolved.parents for out in kept_out), folder
    found = printed(replayed).splitlines()
    assert found
    for program in found:
        resolved = Path(program).resolve()
        assert not any(out in resolved.parents for out in kept_out), program


class _AsksForPassword(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="private"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def private_server() -> Iterator[str]:
    """A loopback HTTP server that answers every request with 401: it wants a password."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AsksForPassword)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_a_password_prompt_fails_at_once(replay: ReplayFn, private_server: str) -> None:
    """A remote that asks for credentials gets no prompt: git fails at once and says why."""
    replayed = replay(
        command(f"git clone {private_server}private.git", directive="timeout=60"),
        loopback=[private_server],
    )
    assert replayed.outcomes == ["failed"], replayed.report()
    assert "terminal prompts disabled" in replayed.report()


# Every step accounted for ------------------------------------------------------------------

# A made-up token: the replay's own is random, and the script unsets RUNBOOK_EVENTS.
FORGED = "".join(
    f"0123456789abcdef0123456789abcdef {event}\\n"
    for event in ("end page.md:7", "start page.md:11", "end page.md:11", "finished")
)


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(
            "printf 'runbook: step page.md:11\\nrunbook: all steps passed\\n' >&2; exit 0",
            id="prints-success-and-exits-0",
        ),
        pytest.param(f"printf '{FORGED}'; printf '{FORGED}' >&2; exit 0", id="prints-fake-events"),
        pytest.param("exit 0", id="early-exit"),
        pytest.param("return", id="return-at-top-level"),
        pytest.param("exec true", id="replaces-the-shell"),
        pytest.param("kill -9 $$", id="kills-the-shell"),
    ],
)
def test_a_step_cannot_end_the_replay_early(replay: ReplayFn, code: str) -> None:
    """A step that ends the script, whatever it prints, fails; the steps after it never ran, and
    the report names each of them."""
    replayed = replay(command("echo one"), command(code), command("touch never-ran"))
    result = replayed.result
    _, culprit, after = replayed.locations
    assert not result.ok
    assert not result.finished
    assert replayed.outcomes == ["passed", "failed", "never ran"], replayed.report()
    assert result.failed == culprit
    assert result.summary().startswith(f"step {culprit} ")
    assert result.summary().endswith(f"; steps that never ran: {after}")
    assert f"  {after}  never ran" in replayed.report()
    assert not list(replayed.sandbox.root.rglob("never-ran"))


@pytest.mark.xfail(
    strict=True,
    reason="a known limit, in the docs: no step can write progress by accident, but a step "
    "written to forge it runs in the script's own shell, where it can read $runbook_token and "
    "write to bash's saved copy of descriptor 3",
)
def test_a_step_cannot_forge_events_with_the_scripts_own_token(replay: ReplayFn) -> None:
    """Even with the run's token, which it finds in the shell, a step cannot report steps that
    never ran: it can write to no descriptor that reaches the replay."""
    forged = "%s end page.md:3\\n%s start page.md:7\\n%s end page.md:7\\n%s finished\\n"
    replayed = replay(
        command(
            f'for fd in /proc/$$/fd/*; do printf "{forged}" $runbook_token $runbook_token '
            '$runbook_token $runbook_token >&"${fd##*/}"; done 2>/dev/null; exit 0'
        ),
        command("touch never-ran"),
    )
    assert not list(replayed.sandbox.root.rglob("never-ran"))
    assert replayed.outcomes == ["failed", "never ran"]


def test_an_early_exit_fails_through_the_whole_pipeline(guide: Callable[..., Guide]) -> None:
    """A page read as the build reads it and replayed by the session fails on an early exit,
    and its report names the steps that never ran."""
    text = page(
        command("echo one"),
        command("printf 'runbook: all steps passed\\n' >&2\nexit 0"),
        command("echo never"),
        command("echo never again"),
    )
    replayed = guide({"p.md": text}).replay("p.md")
    assert not replayed.ok
    report = replayed.report()
    assert report.startswith("p.md: step p.md:7 ended the script with exit status 0")
    assert "  p.md:12  never ran\n  p.md:16  never ran\n" in report


# Nothing outlives the replay ---------------------------------------------------------------

# Ways a step leaves a process running, each with a sleep of its own to find it by.
LEFT_RUNNING = {
    "setsid": ("setsid sleep 301.5 &", "sleep 301.5"),
    "double-fork": ("( setsid sh -c 'sleep 303.5 & ' & )", "sleep 303.5"),
    "nohup": ("nohup sleep 302.5 >/dev/null 2>&1 &", "sleep 302.5"),
    "background": ("sleep 304.5 &", "sleep 304.5"),
}
# These stay in the shell's process group, which the reaper kills before it looks.


def leave_running(replay: ReplayFn, code: str, sleep: str) -> Replayed:
    """Replay a page whose first step starts `code`, and whose second waits until `sleep` runs."""
    return replay(
        command(code),
        command(f"until pgrep -f '^{sleep}$' >/dev/null; do sleep 0.01; done"),
        command("echo done"),
    )


@pytest.mark.parametrize(
    ("code", "sleep"), [pytest.param(*case, id=name) for name, case in LEFT_RUNNING.items()]
)
def test_nothing_a_step_starts_outlives_the_replay(replay: ReplayFn, code: str, sleep: str) -> None:
    """A process a step leaves running, in or out of the shell's process group, ends with the
    replay; the replay still passes."""
    replayed = leave_running(replay, code, sleep)
    assert replayed.result.ok, replayed.report()
    assert running(f"^{sleep}$") == []


@pytest.mark.parametrize(
    ("code", "sleep"),
    [pytest.param(*case, id=name) for name, case in LEFT_RUNNING.items()],
)
def test_what_a_step_left_running_is_reported(replay: ReplayFn, code: str, sleep: str) -> None:
    """Each process a step left running is listed in the leftovers and the report, on every
    replay: left running is reported, not failed."""
    # Other sleeps than the test above, which may run beside this one and looks for its own.
    code, sleep = code.replace(".5", ".25"), sleep.replace(".5", ".25")
    for _ in range(15):
        replayed = leave_running(replay, code, sleep)
        assert replayed.result.ok, replayed.report()
        assert sleep in replayed.result.leftovers
        assert f"ended with the replay:\n    {sleep}" in replayed.report()


def test_without_a_subreaper_what_stays_in_the_group_is_still_ended() -> None:
    """Where the kernel refuses to make the reaper a subreaper, what a step left in bash's
    process group is still found, reported and ended: no fast path skips the search."""
    # bash exits leaving a sleep in its group, once it runs as `sleep`; the sleep goes to init,
    # out of this process's reach but for the group.
    left = "sleep 308.25 & until pgrep -f '^sleep 308.25$' >/dev/null; do sleep 0.01; done"
    code = (
        "import subprocess\n"
        "from runbook.replaying import reaper\n"
        f"bash = subprocess.Popen(['bash', '-c', {left!r}], start_new_session=True,\n"
        "                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "bash.wait()\n"
        "print(reaper._sweep(bash.pid, subreaper=False))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "['sleep 308.25']"
    assert running("^sleep 308.25$") == []


def test_what_ended_by_itself_is_not_reported(replay: ReplayFn) -> None:
    """A process a step left that ended before the script did (re-parented to the reaper, then
    gone) is not a leftover: nothing is reported, and nothing is left."""
    replayed = replay(
        command("( setsid sh -c 'sleep 0.05' & )\n( sleep 0.05 & )"),
        command("sleep 0.3\necho done"),
    )
    assert replayed.result.ok, replayed.report()
    assert replayed.result.leftovers == []
    assert "ended with the replay" not in replayed.report()


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("setsid sh -c 'sleep 300.7' &", id="setsid"),
        pytest.param("( setsid sleep 300.8 & )", id="double-fork"),
        pytest.param("nohup sleep 300.9 &", id="nohup"),
    ],
)
def test_output_held_open_does_not_time_a_step_out(replay: ReplayFn, code: str) -> None:
    """A process that keeps a finished step's stdout and stderr open neither keeps the replay
    waiting nor makes the last step time out: it is ended with the replay."""
    # Waiting for the output to close would run `echo done` into its timeout (the sleep holds
    # it for 300 s); a generous one keeps a loaded machine from failing the test.
    replayed = replay(command(code), command("echo done", directive="timeout=30"))
    assert replayed.result.ok, replayed.report()
    assert "timed out" not in replayed.outcomes
    assert running("^(setsid |sh -c |nohup )?sleep 300.[789]$") == []


# Timeouts and each step's stderr -----------------------------------------------------------


def test_a_step_over_its_timeout_is_stopped_and_named(replay: ReplayFn) -> None:
    """A step over its timeout is stopped; the steps after it never ran; the report names it."""
    replayed = replay(
        command("true"),
        command("sleep 305.5", directive="timeout=1"),
        command("touch never-ran"),
    )
    _, slow, after = replayed.locations
    assert replayed.outcomes == ["passed", "timed out", "never ran"]
    assert replayed.result.failed == slow
    report = replayed.report()
    assert report.startswith(f"step {slow} ran over its timeout and was stopped; ")
    assert f"command ({slow}):\n    sleep 305.5" in report
    assert f"  {after}  never ran" in report
    assert running("^sleep 305.5$") == []
    assert not list(replayed.sandbox.root.rglob("never-ran"))


def test_stderr_without_a_newline_hides_neither_the_next_step_nor_its_timeout(
    replay: ReplayFn,
) -> None:
    """A step's stderr that ends without a newline cannot swallow the next step's start or its
    timeout."""
    replayed = replay(
        command("printf 'no newline' >&2"),
        command("printf 'second' >&2\nsleep 306.5", directive="timeout=1"),
    )
    assert replayed.outcomes == ["passed", "timed out"]
    assert replayed.result.failed == replayed.locations[1]
    assert replayed.result.steps[1].printed == "second"


def test_long_lines_and_many_are_kept_bounded(replay: ReplayFn) -> None:
    """Output read in pieces is put back together, and a step keeps its start and its end: a
    line of megabytes without a newline (a progress bar's), and many short lines."""
    replayed = replay(
        command("head -c 3000000 /dev/zero | tr '\\0' x\nseq 100000"),
        command("seq 50000 >&2"),
    )
    assert replayed.result.ok, replayed.report()
    first, second = replayed.result.steps
    assert first.printed.startswith("x" * KEPT + "\n[... ")
    assert first.printed.endswith("".join(f"{n}\n" for n in range(90000, 100001)))
    whole = 3_000_000 + sum(len(f"{n}\n") for n in range(1, 100001))
    assert first.output.left_out == whole - 2 * KEPT
    assert second.printed == "".join(f"{n}\n" for n in range(1, 50001))


def test_a_replays_memory_stays_bounded_whatever_a_step_prints(tmp_path: Path) -> None:
    """A step printing 80 MB costs the replay a bounded amount of memory, not the output's size
    (kept whole, 10 million lines took 837 MB): about what a step printing little costs."""

    def peak(lines: int) -> int:
        code = (
            "import resource, sys\n"
            "from pathlib import Path\n"
            "from runbook.replaying.replay import run_script\n"
            "from runbook.replaying.sandbox import make_sandbox\n"
            "sandbox = make_sandbox(Path(sys.argv[1]))\n"
            f"script = 'runbook_begin() {{ :; }}\\nseq 1 {lines}\\n'\n"
            "run_script(script, sandbox, [])\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)\n"
        )
        root = tmp_path / str(lines)
        done = subprocess.run(
            [sys.executable, "-c", code, str(root)], capture_output=True, text=True, check=True
        )
        return int(done.stdout)

    little, much = peak(1000), peak(10_000_000)
    assert much - little < 60, f"{little} MiB at peak for 1000 lines, {much} for 10 million"


@pytest.mark.parametrize(
    ("codes", "path", "output"),
    [
        pytest.param(["echo one >&2", "echo two >&2"], "page.md", ["one\n", "two\n"], id="lines"),
        pytest.param(
            ["printf one >&2", "echo two >&2"],
            "page.md",
            ["one", "two\n"],
            id="no-final-newline",
        ),
        pytest.param(
            ["echo one >&2", "echo two >&2"],
            "my guide/a page.md",
            ["one\n", "two\n"],
            id="spaces-in-the-path",
        ),
        pytest.param(
            ["echo 'runbook: step page.md:8' >&2\necho one >&2", "echo two >&2"],
            "page.md",
            ["runbook: step page.md:8\none\n", "two\n"],
            id="a-line-like-a-marker",
        ),
    ],
)
def test_each_step_keeps_its_own_output(
    replay: ReplayFn, codes: list[str], path: str, output: list[str]
) -> None:
    """Each step's output holds what that step wrote to stdout and stderr, as a terminal
    shows them."""
    replayed = replay(*map(command, codes), command("true"), path=path)
    assert replayed.result.ok, replayed.report()
    assert [run.printed for run in replayed.result.steps[:-1]] == output


def test_page_paths_with_spaces_are_located(replay: ReplayFn) -> None:
    """A page whose path has spaces still has its steps named, counted and timed."""
    replayed = replay(
        command("true"), command("sleep 307.5", directive="timeout=1"), path="my guide/a page.md"
    )
    assert replayed.locations == ["my guide/a page.md:3", "my guide/a page.md:8"]
    assert [run.location for run in replayed.result.steps] == replayed.locations
    assert replayed.outcomes == ["passed", "timed out"]
    assert replayed.result.failed == "my guide/a page.md:8"
