"""Clocks, and two sides measured in turn, so that a slow minute of a shared machine hits both."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def cpu() -> float:
    """CPU seconds of this process and of the child processes it has waited for."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def timed(work: Callable[[], object]) -> tuple[float, float]:
    """Run `work`; return its wall-clock and CPU seconds (child processes included)."""
    wall, used = time.perf_counter(), cpu()
    work()
    return time.perf_counter() - wall, cpu() - used


def alternate(a: Callable[[], T], b: Callable[[], T], runs: int) -> tuple[list[T], list[T]]:
    """Run `a` and `b` `runs` times each, A B B A A B ...: neither side always goes first."""
    done: tuple[list[T], list[T]] = ([], [])
    for run in range(runs):
        for side in (1, 0) if run % 2 else (0, 1):
            done[side].append((a, b)[side]())
    return done


def paired(a: Sequence[float], b: Sequence[float]) -> list[float]:
    """The ratios a/b of runs made one after the other: the machine's slow drift cancels."""
    return [x / y for x, y in zip(a, b, strict=True)]
