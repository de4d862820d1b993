"""Replay a page's script in a sandbox, and account for every step it must run.

The replay passes only when every step of the variant started and ended, in order, each step
that shows its output printed what the page shows, and the script said it finished: events the
script sends on a descriptor of its own, with a token of the run (see `prologue.py`), which no
step can write to. A step's output counts for nothing else. The script runs under a reaper
(`reaper.py`), so nothing a step starts outlives the replay, and a process a step left behind
holding its output cannot keep the replay waiting.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from runbook.reading.outputs import Expected
from runbook.reading.steps import DEFAULT_TIMEOUT, Step
from runbook.replaying import reaper
from runbook.replaying.expected import Mismatch, compare
from runbook.replaying.output import Bounded, Streams, Transcript
from runbook.replaying.sandbox import Sandbox

Outcome = Literal["passed", "failed", "timed out", "never ran", "output differs"]
# After bash has ended, how long the output may take to close: the reaper kills what holds it.
_CLOSING = 10.0
# A server's step waits for it within its timeout; the replay gives the script this much more
# to say so itself.
SERVER_GRACE = 10.0
# What the report shows of a step's output, and of a server's.
_REPORTED_LINES = 60
_SERVER_LOG = 8192
_SERVER_LINES = 10  # of a server's output, in the report of a replay that passed


@dataclass
class StepRun:
    """What one step did: its outcome, how long it ran, what it printed (stdout and stderr, as
    a terminal shows them), and how its output differs from the page's, if it does."""

    location: str
    outcome: Outcome = "never ran"
    seconds: float | None = None
    output: Bounded = field(default_factory=Bounded)
    mismatch: Mismatch | None = None

    @property
    def printed(self) -> str:
        return self.output.text()


@dataclass
class Server:
    """A server a `background` step started: its output and how it ended."""

    location: str
    log: Path
    status: int | None = None
    output: str = ""


@dataclass
class Replay:
    """The outcome of replaying a script: each step's, and the script's own."""

    steps: list[StepRun]
    returncode: int
    output: str
    finished: bool
    leftovers: list[str] = field(default_factory=list)
    problem: str | None = None
    servers: list[Server] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every step ran and passed, and the script finished: nothing less passes."""
        return (
            self.problem is None
            and self.finished
            and self.returncode == 0
            and all(step.outcome == "passed" for step in self.steps)
        )

    @property
    def failed(self) -> str | None:
        """The location of the first step that did not pass, if any."""
        return next((s.location for s in self.steps if s.outcome != "passed"), None)

    def summary(self) -> str:
        """One line: passed, or what went wrong first."""
        if self.ok:
            return f"all {len(self.steps)} steps passed"
        step = next((s for s in self.steps if s.outcome != "passed"), None)
        if self.problem is not None:
            return self.problem
        if step is None:
            return f"the script did not finish (exit status {self.returncode})"
        missing = [s.location for s in self.steps if s.outcome == "never ran"]
        after = f"; steps that never ran: {', '.join(missing)}" if missing else ""
        if step.outcome == "output differs" and step.mismatch is not None:
            return step.mismatch.describe(f"step {step.location}").split("\n")[0] + after
        if step.outcome == "failed" and self.returncode == 0:
            return f"step {step.location} ended the script with exit status 0{after}"
        if step.outcome == "failed":
            return f"step {step.location} failed with exit status {self.returncode}{after}"
        if step.outcome == "timed out":
            return f"step {step.location} ran over its timeout and was stopped{after}"
        return (
            f"steps that never ran: {', '.join(missing)} (exit status {self.returncode}"
            f"{'' if self.finished else ', the script did not finish'})"
        )

    def report(self, steps: Sequence[Step] = ()) -> str:
        """Each step's `path:line` and outcome; for a failure, its command and its output."""
        lines = [self.summary()]
        for run in self.steps:
            took = f" ({run.seconds:.1f} s)" if run.seconds is not None else ""
            lines.append(f"  {run.location}  {run.outcome}{took}")
        bad = next((s for s in self.steps if s.outcome not in ("passed", "never ran")), None)
        step = next((s for s in steps if bad is not None and s.location == bad.location), None)
        if step is not None:
            kind = "file" if step.kind == "file" else "command"
            lines += [f"{kind} ({step.location}):", *(f"    {x}" for x in step.code.splitlines())]
        if bad is not None and bad.mismatch is not None:
            lines += bad.mismatch.describe(f"step {bad.location}").split("\n")[1:]
        elif not self.ok:
            printed = bad.printed if bad is not None else self.output
            if printed.strip():
                shown = printed.rstrip().splitlines()
                cut = len(shown) > _REPORTED_LINES
                lines += ["output" + (" (last lines)" if cut else "") + ":"]
                lines += [f"    {line}" for line in shown[-_REPORTED_LINES:]]
        for server in self.servers:
            ended = "still running" if server.status is None else f"exit status {server.status}"
            said = server.output.rstrip().splitlines()
            cut = self.ok and len(said) > _SERVER_LINES
            end = " (last lines)" if cut else ""
            lines.append(f"server of {server.location} ({ended}), its output{end}:")
            lines += [f"    {line}" for line in said[-_SERVER_LINES if cut else 0 :]] or ["    -"]
        if self.leftovers:
            lines += ["left running by the steps, and ended with the replay:"]
            lines += [f"    {command}" for command in self.leftovers]
        return "\n".join(lines)


class _Ledger:
    """The steps a replay expects, in order, and what the script's events say of each."""

    def __init__(self, steps: Sequence[str], timeouts: Mapping[str, float], default: float):
        self.runs = [StepRun(location) for location in steps]
        self.timeouts = timeouts
        self.default = default
        self.next = 0  # the index of the step that must start next
        self.running: StepRun | None = None
        self.finished = False
        self.problem: str | None = None
        self.clock = time.monotonic()
        self.deadline = self.clock + default

    def event(self, kind: str, argument: str) -> None:
        now = time.monotonic()
        expected = self.runs[self.next] if self.next < len(self.runs) else None
        if kind == "start" and self.running is None and expected and argument == expected.location:
            self.running, self.clock = expected, now
            self.deadline = now + self.timeouts.get(argument, self.default)
        elif kind == "end" and self.running is not None and argument == self.running.location:
            self.running.outcome, self.running.seconds = "passed", now - self.clock
            self.running, self.next = None, self.next + 1
            self.deadline = now + self.default
        elif kind == "finished" and self.running is None and expected is None:
            self.finished = True
        elif self.problem is None:
            self.problem = f"the script reported {kind} {argument} out of order".strip()

    def timed_out(self) -> bool:
        return time.monotonic() > self.deadline

    def close(self, stopped: bool) -> list[StepRun]:
        """Settle the step that was running when the script ended (or was `stopped`)."""
        if self.running is not None:
            self.running.outcome = "timed out" if stopped else "failed"
            self.running.seconds = time.monotonic() - self.clock
        return self.runs


class _Events:
    """What the script says on its events descriptor, with the run's token: each step's start
    and end, its servers, and what the reaper ended."""

    def __init__(
        self, token: str, ledger: _Ledger, progress: Callable[[str, str], None] | None
    ) -> None:
        self.token = token
        self.ledger = ledger
        self.progress = progress
        self.leftovers: list[str] = []
        self.servers: dict[str, Server] = {}

    def take(self, line: str) -> None:
        token, _, event = line.partition(" ")
        if token != self.token:
            return
        kind, _, argument = event.partition(" ")
        if kind == "leftover":
            self.leftovers.append(argument)
        elif kind == "server":
            where, _, log = argument.partition(" ")
            self.servers[where] = Server(where, Path(log))
        elif kind == "stopped":
            where, _, status = argument.rpartition(" ")
            if where in self.servers and status.isdigit():
                self.servers[where].status = int(status)
        else:
            self.ledger.event(kind, argument)
        if self.progress is not None:
            self.progress(kind, argument)


def _launch(
    path: str, sandbox: Sandbox, values: Mapping[str, str], token: str
) -> tuple[subprocess.Popen[bytes], Streams]:
    """Start bash on the script at `path` under the reaper; return the process and its output:
    stdout and stderr on one pipe, as a terminal shows them, and the events on another."""
    (output, write), (events, events_write) = os.pipe(), os.pipe()
    bash = shutil.which("bash", path=sandbox.env.get("PATH")) or "/bin/bash"
    try:
        process = subprocess.Popen(
            [sys.executable, "-I", "-S", reaper.__file__, str(events_write), token, bash, path],
            cwd=sandbox.workdir,
            env={**sandbox.env, **values, "RUNBOOK_EVENTS": token},
            stdin=subprocess.DEVNULL,
            stdout=write,
            stderr=write,
            pass_fds=(events_write,),
            start_new_session=True,
        )
    except BaseException:
        for fd in (output, events):
            os.close(fd)
        raise
    finally:
        for fd in (write, events_write):
            os.close(fd)
    return process, Streams({"output": output, "events": events})


def run_script(
    script: str,
    sandbox: Sandbox,
    steps: Sequence[str],
    timeouts: Mapping[str, float] | None = None,
    values: Mapping[str, str] | None = None,
    progress: Callable[[str, str], None] | None = None,
    default_timeout: float = DEFAULT_TIMEOUT,
    expected: Mapping[str, Expected] | None = None,
) -> Replay:
    """Run `script` with bash in the sandbox, expecting the `steps` (locations) in that order.

    Each step gets its timeout from `timeouts`; time outside steps counts against
    `default_timeout`. `values` are the placeholders' variables; `expected`, the output each
    step must print. `progress` hears each event (`start`, `end`, `finished`, `leftover`,
    `server`, `stopped`) as it comes.
    """
    path = sandbox.own / "runbook.sh"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(script, encoding="utf-8")
    token = secrets.token_hex(16)
    process, streams = _launch(str(path), sandbox, values or {}, token)
    ledger = _Ledger(steps, timeouts or {}, default_timeout)
    transcript = Transcript(steps, token)
    events = _Events(token, ledger, progress)
    stopped = False
    closing_since: float | None = None
    try:
        while streams.open:
            if not stopped and ledger.timed_out():
                stopped = True
                process.send_signal(signal.SIGTERM)  # the reaper ends bash and what it left
            if process.poll() is not None:
                closing_since = closing_since or time.monotonic()
                if time.monotonic() - closing_since > _CLOSING:
                    break
            for name, lines in streams.lines(timeout=0.05):
                if name == "output":
                    transcript.add(lines)
                    continue
                for line in lines.splitlines():
                    events.take(line)
    finally:
        streams.close()
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=_CLOSING)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    runs = ledger.close(stopped)
    for index, run in enumerate(runs):
        run.output = transcript.of(index)
        shown = (expected or {}).get(run.location)
        if run.outcome == "passed" and shown is not None:
            run.mismatch = compare(shown, run.printed)
            if run.mismatch is not None:
                run.outcome = "output differs"
    for server in events.servers.values():
        server.output = _tail(server.log)
    problem = ledger.problem
    if stopped and ledger.running is None and problem is None:
        problem = f"the script ran over its timeout of {default_timeout:g}s outside any step"
    return Replay(
        runs,
        process.returncode,
        transcript.outside.text(),
        ledger.finished,
        events.leftovers,
        problem,
        list(events.servers.values()),
    )


def _tail(log: Path) -> str:
    """The end of a server's output, as much as a report shows."""
    try:
        with log.open("rb") as stream:
            stream.seek(max(0, log.stat().st_size - _SERVER_LOG))
            return stream.read().decode(errors="replace")
    except OSError:
        return ""
