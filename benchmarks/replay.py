"""Replay the chapter with the harness, and run the same script with plain bash, side by side."""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.timing import Summary


@dataclass(frozen=True)
class ReplayResult:
    """The chapter replayed by `runbook.replay` and by plain bash, from the same start state."""

    page: str
    steps: int
    harness: Summary
    bash: Summary


def bench_replay(runs: int) -> ReplayResult | None:
    """Measure the replay harness against plain bash; None while it cannot be measured."""
    # TODO(issue 6): needs `runbook.replay` to expose, importable outside tests/:
    #   - a way to build a page's start state (`runbook: {start: chapter-6}`) into a sandbox,
    #     as tests/checkpoints.py does today;
    #   - `replay(runbook, sandbox, values)` and the sandbox's environment, so the same
    #     `render_script` output can be run with plain `bash` in an identical fresh sandbox.
    return None
