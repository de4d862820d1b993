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


def _children() -> list[int]:
    me = os.getpid()
    try:
        with open(f"/proc/{me}/task/{me}/children") as listing:
            return [int(pid) for pid in listing.read().split()]
    except OSError:  # a kernel without the children list: read every process's parent
        found = []
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    with open(f"/proc/{name}/stat") as stat:
                        fields = stat.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == me:
                    found.append(int(name))
        return found


def _command(pid: int) -> str:
    """The command line of a live process; empty for one that has already exited."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def _sweep(group: int, report: Callable[[str], None]) -> None:
    """Kill bash's process group, then every process re-parented here, until none is left."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)
    for _ in range(1000):  # a process that keeps forking cannot hold the replay forever
        alive = _children()
        if not alive:
            return
        for pid in alive:
            command = _command(pid)
            if command:
                report(command)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for pid in alive:
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
    return os.waitstatus_to_exitcode(status) % 256


if __name__ == "__main__":
    sys.exit(main())
