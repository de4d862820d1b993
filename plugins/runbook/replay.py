"""Replay a runbook's script in a sealed sandbox: own HOME, no outside git config, no network.

The sandbox keeps the machine safe and the result reproducible. Its environment is built from
nothing: global and system git configuration are shut out, identity and dates are fixed, no
prompt, editor or pager can wait for input, and git reaches only local paths and the loopback
bases it is given; any other URL fails at once with a message that says the sandbox blocked it.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from runbook.runbook import DEFAULT_TIMEOUT, Runbook, Step, Variant
from runbook.script import FINISHED, STEP_MARKER, render_script

IDENTITY = {"name": "Runbook Reader", "email": "reader@example.invalid"}
DATE = "2026-01-01T12:00:00+00:00"
BLOCKED = "runbook sandbox: network access blocked"

# The script's own lines on stderr. A step's output without a final newline can stand before one
# on the same line, so they are searched for, not matched at the line's start.
_EVENT = re.compile(
    rf"{re.escape(STEP_MARKER)}(?P<location>.+?)"
    r"(?P<outcome> failed with exit status \d+| succeeded but the page says it fails)?$"
    rf"|(?P<finished>{re.escape(FINISHED)})$"
)

# Stand-ins for every transport that would leave this machine: git runs them instead.
_BLOCKERS = {
    # A remote helper: git calls it with the remote's name and its URL.
    "git-remote-blocked": 'where="$2"',
    # The ssh command: git calls it with options, [user@]host and the command to run there.
    "runbook-blocked-ssh": 'where="ssh $*"',
}
_BLOCKER = f"""#!/bin/sh
%s
echo "{BLOCKED}: $where is not on this machine; a replay reaches only local paths \
and the loopback test server" >&2
exit 128
"""


def _system_path() -> str:
    """The caller's PATH without the folders a replay must not write through.

    A virtualenv's, the real HOME's (pyenv, ~/.local) and the current folder's programs would
    install into them: `pip install` in a replayed page must not touch the caller's Python.
    """
    kept_out = [Path.home(), Path.cwd()]
    if sys.prefix != sys.base_prefix:
        kept_out.append(Path(sys.prefix))
    if os.environ.get("VIRTUAL_ENV"):
        kept_out.append(Path(os.environ["VIRTUAL_ENV"]))
    folders = []
    for folder in os.environ.get("PATH", os.defpath).split(os.pathsep):
        path = Path(folder).resolve() if folder else Path.cwd()
        if not any(path == out or out in path.parents for out in kept_out):
            folders.append(folder)
    return os.pathsep.join(dict.fromkeys([*folders, "/usr/local/bin", "/usr/bin", "/bin"]))


@dataclass(frozen=True)
class Sandbox:
    """A throw-away place to replay a page: HOME, the starting directory, and the environment."""

    root: Path
    home: Path
    workdir: Path
    env: dict[str, str]


def make_sandbox(root: Path, loopback: Sequence[str] = (), workdir: str = "project") -> Sandbox:
    """Create a sandbox under `root`; git may reach local paths and the `loopback` URL bases."""
    home, bin_dir, tmp = root / "home", root / "bin", root / "tmp"
    for folder in (home, bin_dir, tmp, root / workdir):
        folder.mkdir(parents=True, exist_ok=True)
    for name, where in _BLOCKERS.items():
        (bin_dir / name).write_text(_BLOCKER % where, encoding="utf-8")
        (bin_dir / name).chmod(0o755)

    rules = [
        f'[url "blocked::{scheme}://"]\n\tinsteadOf = {scheme}://\n'
        for scheme in ("https", "http", "git", "ssh", "ftp", "ftps")
    ]
    # The longest matching prefix wins, so these loopback bases map to themselves.
    rules += [f'[url "{base}"]\n\tinsteadOf = {base}\n' for base in loopback]
    (home / ".gitconfig").write_text(
        f"[user]\n\tname = {IDENTITY['name']}\n\temail = {IDENTITY['email']}\n"
        "[advice]\n\tdetachedHead = false\n" + "".join(rules),
        encoding="utf-8",
    )
    closed_port = "http://127.0.0.1:9"
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{_system_path()}",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "TMPDIR": str(tmp),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "GIT_AUTHOR_NAME": IDENTITY["name"],
        "GIT_AUTHOR_EMAIL": IDENTITY["email"],
        "GIT_COMMITTER_NAME": IDENTITY["name"],
        "GIT_COMMITTER_EMAIL": IDENTITY["email"],
        "GIT_AUTHOR_DATE": DATE,
        "GIT_COMMITTER_DATE": DATE,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "false",
        "GIT_EDITOR": "true",
        "GIT_SEQUENCE_EDITOR": "true",
        "EDITOR": "true",
        "VISUAL": "true",
        "GIT_PAGER": "cat",
        "PAGER": "cat",
        "GIT_SSH_COMMAND": str(bin_dir / "runbook-blocked-ssh"),
        "GIT_ALLOW_PROTOCOL": "file:http:ssh:blocked",
        # Anything else that honours proxies meets a closed loopback port instead of the world.
        **{
            name: closed_port
            for name in (
                "http_proxy",
                "https_proxy",
                "HTTP_PROXY",
                "HTTPS_PROXY",
                "ALL_PROXY",
                "all_proxy",
            )
        },
        "no_proxy": "127.0.0.1,localhost",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    return Sandbox(root, home, root / workdir, env)


@dataclass(frozen=True)
class StepRun:
    """What one step did: where it is, how long it took, and what it wrote to stderr."""

    location: str
    seconds: float
    stderr: str


@dataclass
class Replay:
    """The outcome of replaying a script."""

    returncode: int
    stdout: str
    stderr: str
    steps: list[StepRun] = field(default_factory=list)
    failed: str | None = None
    timed_out: float | None = None
    finished: bool = False

    @property
    def ok(self) -> bool:
        """Whether the script ran every step and said so: an early `exit 0` is no success."""
        return self.returncode == 0 and self.finished and self.timed_out is None

    def report(self, runbook: Runbook | None = None) -> str:
        """Say what failed: the page, the step's `path:line`, its command and its stderr."""
        if self.ok:
            return "all steps passed"
        step_run = next((s for s in self.steps if s.location == self.failed), None)
        if self.failed is None and self.returncode == 0:
            head = "the script ended without running all its steps (a step ran `exit`?)"
        elif self.failed is None:
            head = f"the script stopped before any step (exit status {self.returncode})"
        elif self.timed_out is not None:
            head = f"step {self.failed} ran over its timeout of {self.timed_out:g}s and was killed"
        else:
            head = f"step {self.failed} failed with exit status {self.returncode}"
        lines = [head]
        step = _find_step(runbook, self.failed)
        if step is not None:
            lines += [f"page: {step.path}", "command:"]
            lines += [f"    {line}" for line in step.code.splitlines()]
        stderr = step_run.stderr if step_run is not None else self.stderr
        lines += ["stderr:", *(f"    {line}" for line in stderr.rstrip().splitlines())]
        if self.stdout.strip():
            lines += ["stdout (last lines):"]
            lines += [f"    {line}" for line in self.stdout.rstrip().splitlines()[-20:]]
        return "\n".join(lines)


def _find_step(runbook: Runbook | None, location: str | None) -> Step | None:
    if runbook is None:
        return None
    return next((step for step in runbook.steps if step.location == location), None)


def _drain(stream: object, into: queue.Queue[tuple[str, str | None]], name: str) -> None:
    for line in stream:  # type: ignore[attr-defined]
        into.put((name, line))
    into.put((name, None))


def run_script(
    script: str,
    sandbox: Sandbox,
    timeouts: Mapping[str, float] | None = None,
    default_timeout: float = DEFAULT_TIMEOUT,
    values: Mapping[str, str] | None = None,
) -> Replay:
    """Run `script` with bash in the sandbox; each step gets its timeout from `timeouts`.

    `values` are the placeholders' environment variables. Time before the first step counts
    against `default_timeout`.
    """
    path = sandbox.root / "runbook.sh"
    path.write_text(script, encoding="utf-8")
    process = subprocess.Popen(
        [shutil.which("bash") or "/bin/bash", str(path)],
        cwd=sandbox.workdir,
        env={**sandbox.env, **(values or {})},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    lines: queue.Queue[tuple[str, str | None]] = queue.Queue()
    for stream, name in ((process.stdout, "stdout"), (process.stderr, "stderr")):
        threading.Thread(target=_drain, args=(stream, lines, name), daemon=True).start()

    stdout: list[str] = []
    stderr: list[str] = []
    steps: list[StepRun] = []
    current: str | None = None
    current_err: list[str] = []
    started = time.monotonic()
    limit = default_timeout
    open_streams = 2
    timed_out: float | None = None
    failed: str | None = None
    finished = False

    def close_step() -> None:
        if current is not None:
            steps.append(StepRun(current, time.monotonic() - started, "".join(current_err)))

    try:
        while open_streams:
            remaining = started + limit - time.monotonic()
            if remaining <= 0:
                timed_out = limit
                failed = current
                break
            if process.poll() is not None:
                # bash is done; a command it left in the background must not hold the replay.
                _kill(process)
            try:
                name, line = lines.get(timeout=min(remaining, 0.1))
            except queue.Empty:
                continue
            if line is None:
                open_streams -= 1
                continue
            if name == "stdout":
                stdout.append(line)
                continue
            stderr.append(line)
            event = _EVENT.search(line.rstrip("\n"))
            if event is None:
                current_err.append(line)
                continue
            current_err.append(line[: event.start()])
            if event["finished"]:
                finished = True
            elif event["outcome"]:
                failed = event["location"]
            else:
                close_step()
                current, current_err = event["location"], []
                started, limit = time.monotonic(), (timeouts or {}).get(current, default_timeout)
    finally:
        _kill(process)
    close_step()
    returncode = process.wait()
    if returncode != 0 and failed is None:
        failed = current
    return Replay(returncode, "".join(stdout), "".join(stderr), steps, failed, timed_out, finished)


def _kill(process: subprocess.Popen[str]) -> None:
    """Kill the script's whole process group: bash and anything it started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def replay(
    runbook: Runbook,
    sandbox: Sandbox,
    values: Mapping[str, str],
    variant: Variant | None = None,
) -> Replay:
    """Render `variant` of `runbook` and run it in `sandbox`, with each step's own timeout."""
    variant = variant or runbook.variant(None)
    timeouts = {step.location: step.timeout for step in runbook.steps_for(variant)}
    return run_script(render_script(runbook, variant), sandbox, timeouts, values=values)
