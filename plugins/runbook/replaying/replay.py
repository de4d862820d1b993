"""Replay a page's script in a sandbox, and account for every step it must run.

The replay passes only when every step of the variant started and ended, in order, and the script
said it finished: events the script sends on a descriptor of its own, with a token of the run
(see `script.py`), which no step can write to. A step's output counts for nothing. The script
runs under a reaper (`reaper.py`), so nothing a step starts outlives the replay, and a process a
step left behind holding its output cannot keep the replay waiting.
"""

from __future__ import annotations

import os
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from runbook.reading.steps import DEFAULT_TIMEOUT, Step
from runbook.replaying import reaper
from runbook.replaying.sandbox import Sandbox
from runbook.replaying.script import FINISHED, STEP_MARKER

Outcome = Literal["passed", "failed", "timed out", "never ran"]
# After bash has ended, how long the output may take to close: the reaper kills what holds it.
_CLOSING = 10.0


class _Stderr:
    """Splits the script's stderr by step, at the markers `runbook_begin` prints there.

    In a replay the markers carry the run's token, so no step's output passes for one; they only
    say where each step's stderr starts (progress is counted from the events). A step's output
    without a final newline can stand before a marker on its line.
    """

    def __init__(self, steps: Sequence[str], token: str) -> None:
        self.steps = list(steps)
        self.token = token
        self.by_step: list[list[str]] = [[] for _ in steps]
        self.lines: list[str] = []
        self.next = 0
        self.current: list[str] = []

    def add(self, line: str) -> None:
        text = line.rstrip("\n")
        if self.next < len(self.steps):
            marker = f"{self.token} step {self.steps[self.next]}"
            if text.endswith(marker):
                before = text[: -len(marker)]
                self.current.append(before)
                self.lines += [before, f"{STEP_MARKER}{self.steps[self.next]}\n"]
                self.current = self.by_step[self.next]
                self.next += 1
                return
        self.lines.append(line)
        if text != FINISHED:
            self.current.append(line)

    def of(self, index: int) -> str:
        return "".join(self.by_step[index])

    def all(self) -> str:
        """The whole stderr, each marker as a reader of the script sees it."""
        return "".join(self.lines)


@dataclass
class StepRun:
    """What one step did: its outcome, how long it ran, and what it wrote to stderr."""

    location: str
    outcome: Outcome = "never ran"
    seconds: float | None = None
    stderr: str = ""


@dataclass
class Replay:
    """The outcome of replaying a script: each step's, and the script's own."""

    steps: list[StepRun]
    returncode: int
    stdout: str
    stderr: str
    finished: bool
    leftovers: list[str] = field(default_factory=list)
    problem: str | None = None

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
        """Each step's `path:line` and outcome; for a failure, its command and its stderr."""
        lines = [self.summary()]
        for run in self.steps:
            took = f" ({run.seconds:.1f} s)" if run.seconds is not None else ""
            lines.append(f"  {run.location}  {run.outcome}{took}")
        bad = next((s for s in self.steps if s.outcome in ("failed", "timed out")), None)
        step = next((s for s in steps if bad is not None and s.location == bad.location), None)
        if step is not None:
            lines += [f"command ({step.location}):", *(f"    {x}" for x in step.code.splitlines())]
        stderr = bad.stderr if bad is not None else self.stderr
        if not self.ok and stderr.strip():
            lines += ["stderr:", *(f"    {line}" for line in stderr.rstrip().splitlines())]
        if not self.ok and self.stdout.strip():
            lines += ["stdout (last lines):"]
            lines += [f"    {line}" for line in self.stdout.rstrip().splitlines()[-20:]]
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


class _Output:
    """The script's three outputs (stdout, stderr and the events), read line by line as they
    come, in this thread."""

    def __init__(self, streams: Mapping[str, int]) -> None:
        self.selector = selectors.DefaultSelector()
        # What each open output gave since its last newline, in pieces: a long line without a
        # newline (a progress bar's) is joined once, not again at each read.
        self.partial: dict[int, list[bytes]] = {}
        for name, fd in streams.items():
            self.selector.register(fd, selectors.EVENT_READ, name)
            self.partial[fd] = []

    @property
    def open(self) -> bool:
        return bool(self.partial)

    def lines(self, timeout: float) -> Iterator[tuple[str, str]]:
        """The (stream, line) pairs that are ready within `timeout`; an output's last line, with
        no newline, comes when it closes."""
        for key, _ in self.selector.select(timeout):
            data = os.read(key.fd, 65536)
            if not data:
                last = b"".join(self.partial.pop(key.fd))
                self.selector.unregister(key.fd)
                os.close(key.fd)
                if last:
                    yield key.data, last.decode(errors="replace")
                continue
            if b"\n" not in data:
                self.partial[key.fd].append(data)
                continue
            *whole, rest = b"".join([*self.partial[key.fd], data]).split(b"\n")
            self.partial[key.fd] = [rest] if rest else []
            for line in whole:
                yield key.data, line.decode(errors="replace") + "\n"

    def close(self) -> None:
        for fd in self.partial:
            os.close(fd)
        self.selector.close()


def _launch(
    path: str, sandbox: Sandbox, values: Mapping[str, str], token: str
) -> tuple[subprocess.Popen[bytes], _Output]:
    """Start bash on the script at `path` under the reaper; return the process and its output."""
    (stdout, out), (stderr, err), (events, events_write) = os.pipe(), os.pipe(), os.pipe()
    bash = shutil.which("bash") or "/bin/bash"
    try:
        process = subprocess.Popen(
            [sys.executable, "-I", "-S", reaper.__file__, str(events_write), token, bash, path],
            cwd=sandbox.workdir,
            env={**sandbox.env, **values, "RUNBOOK_EVENTS": token},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            pass_fds=(events_write,),
            start_new_session=True,
        )
    except BaseException:
        for fd in (stdout, stderr, events):
            os.close(fd)
        raise
    finally:
        for fd in (out, err, events_write):
            os.close(fd)
    return process, _Output({"stdout": stdout, "stderr": stderr, "events": events})


def run_script(
    script: str,
    sandbox: Sandbox,
    steps: Sequence[str],
    timeouts: Mapping[str, float] | None = None,
    values: Mapping[str, str] | None = None,
    progress: Callable[[str, str], None] | None = None,
    default_timeout: float = DEFAULT_TIMEOUT,
) -> Replay:
    """Run `script` with bash in the sandbox, expecting the `steps` (locations) in that order.

    Each step gets its timeout from `timeouts`; time outside steps counts against
    `default_timeout`. `values` are the placeholders' variables. `progress` hears each event
    (`start`, `end`, `finished`, `leftover`) as it comes.
    """
    path = sandbox.own / "runbook.sh"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(script, encoding="utf-8")
    token = secrets.token_hex(16)
    process, output = _launch(str(path), sandbox, values or {}, token)
    ledger = _Ledger(steps, timeouts or {}, default_timeout)
    stdout: list[str] = []
    stderr = _Stderr(steps, token)
    leftovers: list[str] = []
    stopped = False
    closing_since: float | None = None
    try:
        while output.open:
            if not stopped and ledger.timed_out():
                stopped = True
                process.send_signal(signal.SIGTERM)  # the reaper ends bash and what it left
            if process.poll() is not None:
                closing_since = closing_since or time.monotonic()
                if time.monotonic() - closing_since > _CLOSING:
                    break
            for name, line in output.lines(timeout=0.05):
                if name == "stdout":
                    stdout.append(line)
                elif name == "stderr":
                    stderr.add(line)
                else:
                    token_seen, _, event = line.rstrip("\n").partition(" ")
                    kind, _, argument = event.partition(" ")
                    if token_seen != token:
                        continue
                    if kind == "leftover":
                        leftovers.append(argument)
                    else:
                        ledger.event(kind, argument)
                    if progress is not None:
                        progress(kind, argument)
    finally:
        output.close()
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=_CLOSING)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    runs = ledger.close(stopped)
    for index, run in enumerate(runs):
        run.stderr = stderr.of(index)
    problem = ledger.problem
    if stopped and ledger.running is None and problem is None:
        problem = f"the script ran over its timeout of {default_timeout:g}s outside any step"
    return Replay(
        runs,
        process.returncode,
        "".join(stdout),
        stderr.all(),
        ledger.finished,
        leftovers,
        problem,
    )
