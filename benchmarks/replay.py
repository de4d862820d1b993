"""Replays: the chapter by the harness and by plain bash; a chain of pages and the same pages
replayed one by one. Each returns each side's (wall, CPU) seconds per run."""

from __future__ import annotations

import dataclasses
import subprocess
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


def _pages(count: int, chained: bool) -> dict[str, str]:
    """Pages of two cheap steps. Chained, each starts after the page before and checks what it
    left; alone, each checks what it made itself."""
    pages = {}
    for k in range(count):
        last = k - 1 if chained and k else k
        front = f"---\nrunbook:\n  start: p{k - 1:02d}.md\n---\n\n" if chained and k else ""
        steps = (
            f"echo {k} > page-{k}.txt\nexport CHAIN_{k}={k}",
            f'test "$(cat page-{last}.txt)" = {last}\ntest "$CHAIN_{last}" = {last}',
        )
        blocks = "".join(f'```sh title="{TITLE}"\n{code}\n```\n\n' for code in steps)
        pages[f"p{k:02d}.md"] = f"{front}# Page {k}\n\n{blocks}"
    return pages


def chain(count: int, runs: int, root: Path) -> Times:
    """Replay a chain of `count` pages, each once in one session as a test session does, and
    the same pages without `start:`, each alone from an empty folder."""
    sites = []
    for chained in (True, False):
        folder = root / ("chain" if chained else "alone")
        site = load_site(write_site(folder, _pages(count, chained)))
        readings = site.read(site.pages())
        if errors := [str(error) for r in readings.values() for error in r.errors]:
            raise RuntimeError("\n".join(errors))
        runbooks = {path: r.runbook for path, r in readings.items() if r.runbook.steps}
        sites.append((runbooks, site.settings, folder))

    def run(
        runbooks: dict[str, Runbook], settings: SiteSettings, folder: Path
    ) -> tuple[float, float]:
        starts = {r.settings.start.name for r in runbooks.values() if r.settings.start}
        with tempfile.TemporaryDirectory(prefix="replays-", dir=folder) as base:
            session = ReplaySession(
                runbooks.__getitem__,
                runbooks,
                dataclasses.replace(settings, cache=Path(base)),
                followed=starts.__contains__,
            )

            def replay_all() -> None:
                for page in sorted(runbooks):
                    with session.replay(page) as replayed:
                        if not replayed.ok:
                            raise RuntimeError(replayed.report())

            took = timed(replay_all)
        if set(session.runs.values()) != {1}:
            raise RuntimeError(f"a page replayed more than once: {session.runs}")
        return took

    return alternate(lambda: run(*sites[0]), lambda: run(*sites[1]), runs)
