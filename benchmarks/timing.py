"""Measure two or more sides in turn, so that a slow minute of a shared machine hits them all."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    """One run: wall-clock and CPU seconds, and peak resident memory in KiB (0 if not read)."""

    wall: float
    cpu: float
    rss: int = 0


def alternate(sides: Sequence[Callable[[], Sample]], runs: int) -> list[list[Sample]]:
    """Run the sides in turn, A B A B ..., `runs` times each; return each side's samples."""
    samples: list[list[Sample]] = [[] for _ in sides]
    for _ in range(runs):
        for side, results in zip(sides, samples, strict=True):
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
            wall_min=min(walls),
            wall_max=max(walls),
            runs=len(samples),
        )
