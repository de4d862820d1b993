"""Replays: the chapter by the harness and by plain bash; a chain of pages and the same pages
replayed one by one; the last page of a kept chain, edited, and that page alone. Each returns
each side's (wall, CPU) seconds per run. And the peak memory of a replay whose step prints a
given number of lines, in a child process: `python -m benchmarks.replay LINES FOLDER`."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from benchmarks.corpus import PROJECT, TITLE, write_site
from benchmarks.timing import alternate, timed
from runbook.adapters.site import load_site
from runbook.reading.settings import SiteSettings
from runbook.reading.steps import DEFAULT_TIMEOUT, Runbook
from runbook.replaying.replay import run_script
from runbook.replaying.sandbox import Sandbox, make_sandbox
from runbook.replaying.script import render_script
from runbook.replaying.session import ReplaySession
from runbook.replaying.states import build_state

CHAPTER = "move-the-ml-experiment-code-to-the-cloud.md"
Times = tuple[list[tuple[float, float]], list[tuple[float, float]]]


def chapter(runs: int) -> tuple[int, Times]:
    """Replay the chapter with `run_script` and with `bash script.sh`, each from a fresh
    sandbox and start state, which are not timed; return its number of steps and the times."""
    site = load_site(PROJECT / "mkdocs.yml")
    reading = site.read([site.page(PROJECT / "docs" / CHAPTER)])[CHAPTER]
    if reading.errors:
        raise RuntimeError("\n".join(map(str, reading.errors)))
    runbook, states = reading.runbook, site.plugin.config.states
    variant = runbook.variant(None)
    steps = [step for step in runbook.steps_for(variant) if step.skip is None]
    script = render_script(runbook, variant)

    def harness(sandbox: Sandbox, values: dict[str, str]) -> None:
        timeouts = {step.location: step.timeout or DEFAULT_TIMEOUT for step in steps}
        result = run_script(script, sandbox, list(timeouts), timeouts, values)
        if not result.ok:
            raise RuntimeError(f"{CHAPTER}: {result.report(steps)}")

    def bash(sandbox: Sandbox, values: dict[str, str]) -> None:
        path = sandbox.own / "runbook.sh"  # where the harness puts it
        path.write_text(script, encoding="utf-8")
        env = {**sandbox.env, **values}
        done = subprocess.run(["bash", path], cwd=sandbox.workdir, env=env, capture_output=True)
        if done.returncode != 0:
            raise RuntimeError(f"{CHAPTER} with plain bash: {done.stderr.decode()}")

    def run(side: Callable[[Sandbox, dict[str, str]], None]) -> tuple[float, float]:
        with tempfile.TemporaryDirectory(prefix="runbook-bench-replay-") as root:
            sandbox = make_sandbox(Path(root))
            start = runbook.settings.start
            if start is not None:  # a named state, as mkdocs.yml gives it
                build_state(start.name, Path(states[start.name]), sandbox)
            # The chapter's placeholders all stand for its remote (`values:` in mkdocs.yml).
            remote = sandbox.remotes / "mlops-guide.git"
            git = ["git", "init", "--quiet", "--bare", "--initial-branch=main", str(remote)]
            subprocess.run(git, env=sandbox.env, check=True)
            values = {
                placeholder.name: str(remote) for placeholder in runbook.placeholders(variant)
            }
            return timed(lambda: side(sandbox, values))

    # One more run each, dropped: the first also warms git's files in the page cache.
    a, b = alternate(lambda: run(harness), lambda: run(bash), runs + 1)
    return len(steps), (a[1:], b[1:])


def _pages(count: int, chained: bool, edit: str = "") -> dict[str, str]:
    """Pages of two cheap steps. Chained, each starts after the page before and checks what it
    left; alone, each checks what it made itself. `edit` is added to the last page's last step.
    """
    pages = {}
    for k in range(count):
        last = k - 1 if chained and k else k
        front = f"---\nrunbook:\n  start: p{k - 1:02d}.md\n---\n\n" if chained and k else ""
        steps = (
            f"echo {k} > page-{k}.txt\nexport CHAIN_{k}={k}",
            f'test "$(cat page-{last}.txt)" = {last}\ntest "$CHAIN_{last}" = {last}'
            + (edit if k == count - 1 else ""),
        )
        blocks = "".join(f'```sh title="{TITLE}"\n{code}\n```\n\n' for code in steps)
        pages[f"p{k:02d}.md"] = f"{front}# Page {k}\n\n{blocks}"
    return pages


def _runbooks(folder: Path, pages: dict[str, str]) -> tuple[dict[str, Runbook], SiteSettings]:
    """Write a site of `pages` in `folder` and read it: the runbooks of its pages with steps."""
    site = load_site(write_site(folder, pages))
    readings = site.read(site.pages())
    if errors := [str(error) for r in readings.values() for error in r.errors]:
        raise RuntimeError("\n".join(errors))
    return {path: r.runbook for path, r in readings.items() if r.runbook.steps}, site.settings


def _session(runbooks: dict[str, Runbook], settings: SiteSettings, cache: Path) -> ReplaySession:
    """A session as a test run makes one, keeping the ends of the pages others start from."""
    starts = {r.settings.start.name for r in runbooks.values() if r.settings.start}
    return ReplaySession(
        runbooks.__getitem__,
        runbooks,
        dataclasses.replace(settings, cache=cache),
        followed=starts.__contains__,
    )


def _replay(session: ReplaySession, page: str) -> None:
    with session.replay(page) as replayed:
        if not replayed.ok:
            raise RuntimeError(replayed.report())


def edited(count: int, runs: int, root: Path) -> Times:
    """The last page of a chain of `count` pages, edited after the chain was replayed once (its
    ends kept), replayed in a new session as the next run does; and the same page alone."""
    chained, alone = root / "edited", root / "edited-alone"
    cache = root / "edited-cache"
    last = f"p{count - 1:02d}.md"
    _replay(_session(*_runbooks(chained, _pages(count, True)), cache), last)

    def after_edit(run: int) -> tuple[float, float]:
        runbooks, settings = _runbooks(chained, _pages(count, True, f"\necho edit {run}"))
        session = _session(runbooks, settings, cache)
        took = timed(lambda: _replay(session, last))
        if dict(session.runs) != {last: 1}:
            raise RuntimeError(f"pages before the edited one ran again: {dict(session.runs)}")
        return took

    def by_itself(run: int) -> tuple[float, float]:
        runbooks, settings = _runbooks(alone, {last: _pages(count, False)[last]})
        with tempfile.TemporaryDirectory(prefix="replays-", dir=root) as fresh:
            session = _session(runbooks, settings, Path(fresh))
            return timed(lambda: _replay(session, last))

    turns = iter(range(2 * runs))
    return alternate(lambda: after_edit(next(turns)), lambda: by_itself(next(turns)), runs)


def peak_memory(lines: int, folder: Path) -> int:
    """Peak memory (KiB) of a process that replays one step printing `lines` lines."""
    argv = [sys.executable, "-m", "benchmarks.replay", str(lines), str(folder)]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT), env.get("PYTHONPATH")]))
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
    # wait4 gives this child's own peak; RUSAGE_CHILDREN would give every earlier child's.
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"a replay printing {lines} lines failed ({child.returncode})")
    return usage.ru_maxrss


def _print_lines(lines: int, folder: Path) -> None:
    """Replay a page whose one step prints `lines` lines, as a test does."""
    page = f'# Prints\n\n```sh title="{TITLE}"\nseq 1 {lines}\n```\n'
    runbooks, _ = _runbooks(folder / "site", {"prints.md": page})
    runbook = runbooks["prints.md"]
    variant = runbook.variant(None)
    steps = runbook.steps_for(variant)
    script = render_script(runbook, variant)
    replayed = run_script(script, make_sandbox(folder / "sandbox"), [s.location for s in steps])
    if not replayed.ok:
        raise SystemExit(replayed.report(steps))


def chain(count: int, runs: int, root: Path) -> Times:
    """Replay a chain of `count` pages, each once in one session as a test session does, and
    the same pages without `start:`, each alone from an empty folder."""
    sites = []
    for chained in (True, False):
        folder = root / ("chain" if chained else "alone")
        sites.append((*_runbooks(folder, _pages(count, chained)), folder))

    def run(
        runbooks: dict[str, Runbook], settings: SiteSettings, folder: Path
    ) -> tuple[float, float]:
        with tempfile.TemporaryDirectory(prefix="replays-", dir=folder) as base:
            session = _session(runbooks, settings, Path(base))
            took = timed(lambda: [_replay(session, page) for page in sorted(runbooks)])
        if set(session.runs.values()) != {1}:
            raise RuntimeError(f"a page replayed more than once: {session.runs}")
        return took

    return alternate(lambda: run(*sites[0]), lambda: run(*sites[1]), runs)


if __name__ == "__main__":
    _print_lines(int(sys.argv[1]), Path(sys.argv[2]))
