"""The finder and the renderer agree at both ends of the pymdown-extensions range allowed.

The virtualenv holds the newest version the range allows (pip installs that). The oldest one,
the range's lower bound in `pyproject.toml`, is installed beside it, and the property tests of
the finder, the recorder and the steps run again with it, in a process of their own.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from helpers import PROJECT

PROPERTY_TESTS = ["test_fences.py", "test_render.py", "test_steps.py"]


def allowed() -> SpecifierSet:
    """The pymdown-extensions versions `pyproject.toml` allows."""
    text = (PROJECT / "pyproject.toml").read_text(encoding="utf-8")
    found = re.search(r'"pymdown-extensions([^"]+)"', text)
    assert found is not None
    return SpecifierSet(found[1])


def lowest() -> str:
    (bound,) = [spec.version for spec in allowed() if spec.operator == ">="]
    return bound


def test_the_range_is_bounded_and_holds_the_installed_version() -> None:
    """The range has a lower bound and an upper one, and the installed version is in it."""
    operators = {spec.operator for spec in allowed()}
    assert ">=" in operators
    assert operators & {"<", "<="}
    assert version("pymdown-extensions") in allowed()


def test_property_tests_pass_with_the_lowest_allowed_version(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """With the range's lowest version on the path, the property tests pass as they do with
    the newest."""
    target = tmp_path_factory.mktemp("pymdownx-lowest")
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            f"pymdown-extensions=={lowest()}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert installed.returncode == 0, (
        f"pip could not install pymdown-extensions=={lowest()}, the lowest version allowed, from "
        f"the package index this test needs (as `pip install -e '.[test]'` does):\n"
        + installed.stderr
    )
    env = {**os.environ, "PYTHONPATH": str(target), "RUNBOOK_EXAMPLES": "100"}
    used = subprocess.run(
        [sys.executable, "-c", "import pymdownx.__meta__ as m; print(m.__version__)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert used.stdout.strip() == lowest()
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *PROPERTY_TESTS],
        cwd=Path(__file__).parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout[-3000:]
    assert " passed" in ran.stdout
