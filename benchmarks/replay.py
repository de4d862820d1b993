"""Replay the chapter with the harness, and run the same script with plain bash, side by side.

Both sides start from the same state, built afresh before each run and not timed: a sandbox
from `runbook.replay.make_sandbox`, the page's start state (`runbook: {start: NAME}`, built by
tests/checkpoints.py) and an empty bare remote whose path fills every placeholder.
"""

from __future__ import annotations

import importlib.util
import resource
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from benchmarks.timing import Sample, Summary, alternate
from runbook.config import load, selection
from runbook.pages import read_page
from runbook.runbook import Runbook
from runbook.script import render_script

PROJECT = Path(__file__).resolve().parents[1]
CHAPTER = "move-the-ml-experiment-code-to-the-cloud.md"


class ReplayUnavailable(Exception):
    """The replay cannot be measured; the message says why."""


@dataclass(frozen=True)
class ReplayResult:
    """The chapter replayed by `runbook.replay` and by plain bash, from the same start state."""

    page: str
    steps: int
    harness: Summary
    bash: Summary


def _checkpoints() -> ModuleType:
    # The start states live with the tests, which are not a package: load the file itself.
    path = PROJECT / "tests" / "checkpoints.py"
    spec = importlib.util.spec_from_file_location("runbook_bench_checkpoints", path)
    if spec is None or spec.loader is None or not path.is_file():
        raise ReplayUnavailable(f"no start states at {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cpu() -> float:
    """CPU seconds of this process and of its waited-for children so far."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _measure(run: Callable[[], None]) -> Sample:
    wall, cpu = time.perf_counter(), _cpu()
    run()
    return Sample(time.perf_counter() - wall, _cpu() - cpu)


def bench_replay(runs: int, page: str = CHAPTER) -> ReplayResult:
    """Replay `page` with the harness and with plain bash, `runs` times each, alternating.

    Raises ReplayUnavailable when the harness or the page's start state cannot be used.
    """
    try:
        from runbook.replay import Replay, Sandbox, make_sandbox, replay
    except ImportError as error:
        raise ReplayUnavailable(f"runbook.replay cannot be imported: {error}") from None
    config, docs_dir = load(PROJECT / "mkdocs.yml")
    runbook = read_page(docs_dir / page, page, selection(config))
    variant = runbook.variant(None)
    script = render_script(runbook, variant)
    checkpoints = _checkpoints().CHECKPOINTS if runbook.start else {}
    if runbook.start and runbook.start not in checkpoints:
        raise ReplayUnavailable(f"{page}: unknown start state {runbook.start!r}")

    def fresh(root: Path) -> tuple[Sandbox, dict[str, str]]:
        sandbox = make_sandbox(root)
        remote = root / "remotes" / "mlops-guide.git"
        subprocess.run(
            ["git", "init", "--quiet", "--bare", "--initial-branch=main", str(remote)],
            env=sandbox.env,
            check=True,
        )
        if runbook.start:
            checkpoints[runbook.start](sandbox.workdir, sandbox.env)
        return sandbox, {p.name: str(remote) for p in runbook.placeholders(variant)}

    def harness() -> Sample:
        with tempfile.TemporaryDirectory(prefix="runbook-bench-replay-") as root:
            sandbox, values = fresh(Path(root))
            done: list[Replay] = []
            sample = _measure(lambda: done.append(replay(runbook, sandbox, values, variant)))
            _check(runbook, done[0].returncode, done[0].report(runbook))
            return sample

    def bash() -> Sample:
        with tempfile.TemporaryDirectory(prefix="runbook-bench-replay-") as root:
            sandbox, values = fresh(Path(root))
            path = Path(root) / "plain.sh"
            path.write_text(script, encoding="utf-8")
            done: list[subprocess.CompletedProcess[str]] = []
            sample = _measure(
                lambda: done.append(_bash(path, sandbox.workdir, sandbox.env, values))
            )
            _check(runbook, done[0].returncode, done[0].stderr)
            return sample

    # One more run each, dropped: the very first one also warms git's files in the page cache.
    on, off = (samples[1:] for samples in alternate([harness, bash], runs + 1))
    return ReplayResult(page, len(runbook.steps_for(variant)), Summary.of(on), Summary.of(off))


def _bash(
    path: Path, cwd: Path, env: Mapping[str, str], values: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(path)],
        cwd=cwd,
        env={**env, **values},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )


def _check(runbook: Runbook, returncode: int, report: str) -> None:
    if returncode != 0:
        raise ReplayUnavailable(f"{runbook.path} did not replay cleanly: {report.strip()}")
