"""The house style holds: ruff finds nothing to say about the code or its formatting."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PROJECT

RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff_is_clean(command: list[str]) -> None:
    """`ruff check` and `ruff format --check` pass on plugins, tests and benchmarks."""
    assert RUFF is not None, "ruff comes with the test extras: pip install -e '.[test]'"
    result = subprocess.run(
        [RUFF, *command, "plugins", "tests", "benchmarks"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
