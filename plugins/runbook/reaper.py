"""Run bash as a child subreaper: when bash ends, end whatever its steps left running.

    python -I -S reaper.py EVENTS_FD TOKEN BASH SCRIPT

Runs BASH SCRIPT in a process group of its own, with EVENTS_FD as its descriptor 3. On Linux
this process is a child subreaper (`PR_SET_CHILD_SUBREAPER`): a process a step started that
leaves bash's process group (`setsid`, `nohup ... &`, a daemon's double fork) is re-parented to
it, not to init. Once bash exits, each such process is killed, and reported on descriptor 3 as
`TOKEN leftover COMMAND`; then this process exits with bash's status. SIGTERM ends bash at once,
and the rest the same way.

It runs as a file, without the runbook package, so that it starts in a few milliseconds.
"""

import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Callable

PR_SET_CHILD_SUBREAPER = 36


def _processes() -> list[tuple[int, str, int, int]]:
    """Every process: its id, state, parent and process group, read from /proc."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as stat:
                    state, parent, group = stat.read().rsplit(")", 1)[1].split()[:3]
            except (OSError, ValueError):
                continue
            found.append((int(name), state, int(parent), int(group)))
    return found


def _command(pid: int) -> str:
    """The command line of a live process; empty for one that has already exited."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def _sweep(group: int, report: Callable[[str], None]) -> None:
    """Kill what is left of bash's process group, and every process re-parented here.

    Each one still running is reported before it is killed: its command line dies with it.
    """
    me, seen = os.getpid(), set()
    for _ in range(1000):  # a process that keeps forking cannot hold the replay forever
        left = [
            (pid, parent)
            for pid, state, parent, pgrp in _processes()
            if pid != me and (parent == me or (pgrp == group and state != "Z"))
        ]
        if not left:
            return
        for pid, _ in left:
            if pid not in seen and (command := _command(pid)):
                report(command)
            seen.add(pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
        for pid, _ in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for pid, parent in left:
            if parent == me:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)


def main() -> int:
    events, token, command = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    if events != 3:
        os.dup2(events, 3)
        os.close(events)
    pid = os.fork()
    if pid == 0:
        os.setpgid(0, 0)
        os.execv(command[0], command)
    with contextlib.suppress(OSError):  # as the child does: whichever runs first, it is done
        os.setpgid(pid, pid)

    def stop(signum: int, frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)

    signal.signal(signal.SIGTERM, stop)
    _, status = os.waitpid(pid, 0)

    def report(leftover: str) -> None:
        with contextlib.suppress(OSError):
            os.write(3, f"{token} leftover {leftover}\n".encode())

    _sweep(pid, report)
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code  # killed by a signal: 128 + its number, as a shell says


if __name__ == "__main__":
    sys.exit(main())
