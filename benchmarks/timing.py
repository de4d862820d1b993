"""Measure two or more sides in turn, so that a slow minute of a shared machine hits them all."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    """One run: wall-clock and CPU seconds, and peak resident memory in KiB (0 if not read).

    `plugin` and `macros` are the CPU seconds spent inside the runbook plugin's event handlers
    and inside the `runbook.macros` hooks, when a build measured them.
    """

    wall: float
    cpu: float
    rss: int = 0
    plugin: float = 0.0
    macros: float = 0.0


def alternate(sides: Sequence[Callable[[], Sample]], runs: int) -> list[list[Sample]]:
    """Run the sides in turn, `runs` times each; return each side's samples.

    Every other round runs them in reverse, A B B A A B ..., so that neither side always goes
    first: a run can be slowed by what the one before it left behind (dirty pages, caches).
    """
    samples: list[list[Sample]] = [[] for _ in sides]
    for round_ in range(runs):
        order = list(zip(sides, samples, strict=True))
        for side, results in reversed(order) if round_ % 2 else order:
            results.append(side())
    return samples


def timed(work: Callable[[], object]) -> Sample:
    """Run `work` in this process and return its wall-clock and CPU time."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return Sample(time.perf_counter() - wall, time.process_time() - cpu)


@dataclass(frozen=True)
class Summary:
    """The medians of a side's samples, and the spread of its wall-clock times."""

    wall: float
    cpu: float
    rss: int
    plugin: float
    macros: float
    wall_min: float
    wall_max: float
    runs: int

    @classmethod
    def of(cls, samples: Sequence[Sample]) -> Summary:
        walls = [s.wall for s in samples]
        return cls(
            wall=statistics.median(walls),
            cpu=statistics.median(s.cpu for s in samples),
            rss=round(statistics.median(s.rss for s in samples)),
            plugin=statistics.median(s.plugin for s in samples),
            macros=statistics.median(s.macros for s in samples),
            wall_min=min(walls),
            wall_max=max(walls),
            runs=len(samples),
        )


@dataclass(frozen=True)
class Ratio:
    """The ratios a/b of runs made one after the other (drift cancels), and their median."""

    pairs: tuple[float, ...]

    @classmethod
    def of(cls, a: Sequence[Sample], b: Sequence[Sample], cpu: bool = True) -> Ratio:
        pairs = ((x.cpu / y.cpu) if cpu else (x.wall / y.wall) for x, y in zip(a, b, strict=True))
        return cls(tuple(pairs))

    @property
    def median(self) -> float:
        return statistics.median(self.pairs)
