"""Run bash as a child subreaper: when bash ends, end whatever its steps left running.

    python -I -S reaper.py EVENTS_FD TOKEN BASH SCRIPT

Runs BASH SCRIPT in a process group of its own, with EVENTS_FD as its descriptor 3. On Linux
this process is a child subreaper (`PR_SET_CHILD_SUBREAPER`): a process a step started that
leaves bash's process group (`setsid`, `nohup ... &`, a daemon's double fork) is re-parented to
it, not to init. Once bash exits, each such process is killed, and reported on descriptor 3 as
`TOKEN leftover COMMAND`; then this process exits with bash's status. SIGTERM ends bash at once,
and the rest the same way.

It runs as a file, without the runbook package, and imports only what it must, so that it
starts in a few milliseconds: every replay waits for it.
"""

import _signal  # what `signal` wraps, without its enums: 4 ms less to start
import ctypes
import os
import sys

PR_SET_CHILD_SUBREAPER = 36
PR_SET_PDEATHSIG = 1
SIGINT, SIGQUIT, SIGKILL, SIGTERM = 2, 3, 9, 15


class _Ignoring:
    """`contextlib.suppress`, without importing contextlib (3 ms of every replay)."""

    def __init__(self, *errors: type[BaseException]) -> None:
        self.errors = errors

    def __enter__(self) -> None:
        pass

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> bool:
        return kind is not None and issubclass(kind, self.errors)


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


def _kill(pid: int, group: bool = False) -> None:
    with _Ignoring(ProcessLookupError):
        (os.killpg if group else os.kill)(pid, SIGKILL)


def _alone() -> bool:
    """Whether this process has no child left, having reaped those that had exited.

    As a subreaper, every process the steps left is a descendant of this one, so none is left
    when it has no child: the usual case, told without reading /proc.
    """
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return True
        if pid == 0:
            return False


def _sweep(group: int, subreaper: bool) -> list[str]:
    """Kill what is left of bash's process group, and every process re-parented here; return
    the command lines of those still running, read before each is killed (they die with it).

    Without being a subreaper (the kernel refused), what left the group is out of reach, but
    what stayed in it is still found, in /proc.
    """
    me, seen, commands = os.getpid(), set(), []
    for _ in range(1000):  # a process that keeps forking cannot hold the replay forever
        if subreaper and _alone():
            break
        left = [
            (pid, parent)
            for pid, state, parent, pgrp in _processes()
            if pid != me and (parent == me or (pgrp == group and state != "Z"))
        ]
        if not left:
            break
        for pid, _ in left:
            if pid not in seen and (command := _command(pid)):
                commands.append(command)
            seen.add(pid)
        _kill(group, group=True)
        for pid, _ in left:
            _kill(pid)
        for pid, parent in left:
            if parent == me:
                with _Ignoring(ChildProcessError):
                    os.waitpid(pid, 0)
    return commands


def main() -> int:
    events, token, command = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    libc = ctypes.CDLL(None, use_errno=True)
    subreaper = libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    # If the replay that started it ends by any means, even SIGKILL, this process gets SIGTERM
    # and ends what it runs: nothing a step started outlives the replay.
    parent = os.getppid()
    libc.prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # the replay ended before the kernel could tell
        return 128 + SIGTERM
    if events != 3:
        os.dup2(events, 3)
        os.close(events)
    pid = os.fork()
    if pid == 0:
        os.setpgid(0, 0)
        # As in a reader's terminal, whatever ignored them where the replay started: Ctrl+C
        # (SIGINT) and SIGQUIT stop a step's programs, and a second terminal's server.
        _signal.signal(SIGINT, _signal.SIG_DFL)
        _signal.signal(SIGQUIT, _signal.SIG_DFL)
        os.execv(command[0], command)
    with _Ignoring(OSError):  # as the child does: whichever runs first, it is done
        os.setpgid(pid, pid)
    _signal.signal(SIGTERM, lambda signum, frame: _kill(pid, group=True))
    _, status = os.waitpid(pid, 0)
    for leftover in _sweep(pid, subreaper):
        with _Ignoring(OSError):
            os.write(3, f"{token} leftover {leftover}\n".encode())
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code  # killed by a signal: 128 + its number, as a shell says


if __name__ == "__main__":
    sys.exit(main())
