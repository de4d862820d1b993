"""The tests as authors run them: the loop on one page (`pytest -k PAGE`, and only its replay)
and the whole suite (`pytest -n auto`), each a fresh pytest process, wall-clock seconds."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence

from benchmarks.corpus import PROJECT


def pytest_wall(arguments: Sequence[str]) -> float:
    """Run pytest with `arguments` in the project; return its wall-clock seconds. Raise
    RuntimeError, with pytest's last lines, if it fails or runs no test."""
    argv = [sys.executable, "-m", "pytest", "-q", *arguments]
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=PROJECT, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    if done.returncode != 0:
        said = (done.stdout + done.stderr).strip().splitlines()[-8:]
        raise RuntimeError(f"pytest {' '.join(arguments)} failed:\n" + "\n".join(said))
    return took
