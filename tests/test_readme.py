"""The commands the README and the authors' page show are the ones that work, as shown."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import PROJECT


def readme_commands(section: str = "Two commands") -> list[str]:
    """The `sh` blocks of a section of the README, in order."""
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    text = readme.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", text, re.S)


def readme_build_command() -> str:
    """How the README builds the site for publishing."""
    return readme_commands("Publish")[0]


def test_readme_has_a_serve_and_a_test_command() -> None:
    """The first command serves the site, the second installs the test extras and runs pytest."""
    serve, test = readme_commands()[:2]
    assert serve.endswith("pip install -e . && mkdocs serve")
    assert test.endswith("pip install -e '.[test]' && pytest -n auto")


def test_ci_runs_the_readme_test_command() -> None:
    """`.ci/run` ends with the README's test command, so CI proves what the README promises."""
    ci = (PROJECT / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.rstrip().splitlines()[-1] == readme_commands()[1]


def test_readme_builds_strictly_to_publish() -> None:
    """The README's publishing build fails on any warning."""
    assert readme_build_command() == "mkdocs build --strict"


# What the README and the authors' page show, run as shown in a new shell -------------------

# Shown, and run elsewhere: the set-up commands by CI, the serve command by test_serve, the
# whole suite by CI, a page's loop (`pytest -k PAGE`, which would run this test again) by the
# benchmark, the benchmark by test_benchmarks (a smoke run of every section, and its options);
# the mermaid update fetches from the npm registry.
NOT_RUN_HERE = (
    "python3 -m venv",
    "pip install",
    "mkdocs serve",
    "pytest -n auto",
    "pytest -k ",
    "npm ",
    "cp ",
    "node ",
    "rm -r package",
    "python -m benchmarks",
    ". .venv/bin/activate",
)
RUN = ("runbook ", "mkdocs build", "properdocs build", "zensical build", "pytest tests/")


def shown() -> dict[str, str]:
    """Every command the README and the authors' page show, in `sh` blocks or in a table, by
    where it is first shown (`README.md:LINE`): a test of one is named by the file that shows
    it, so `pytest -k PAGE` runs a page's checks, not the commands that name the page."""
    found: dict[str, str] = {}
    for path in (PROJECT / "README.md", PROJECT / "docs" / "how-these-pages-are-tested.md"):
        text = path.read_text(encoding="utf-8")
        # Examples of pages, in four-backtick blocks, hold commands of the example, not ours.
        text = re.sub(r"^````.*?^````$", _blank, text, flags=re.M | re.S)
        commands = []
        for block in re.finditer(r"```sh[^\n]*\n(.*?)\n```", text, re.S):
            first = text.count("\n", 0, block.start(1)) + 1
            for number, line in enumerate(block[1].splitlines(), start=first):
                commands.append((number, line.split("  #")[0].strip()))
        for row in re.finditer(r"^\|.*\| `([^`]+)` \|$", text, re.M):  # a table's "Run" column
            commands.append((text.count("\n", 0, row.start()) + 1, row[1]))
        for number, command in sorted(commands):
            if command and command not in found.values():
                found[f"{path.name}:{number}"] = command
    return found


def _blank(match: re.Match[str]) -> str:
    return "\n" * match[0].count("\n")


def shown_commands() -> list[str]:
    """Every command the README and the authors' page show, in order."""
    return list(shown().values())


def test_every_shown_command_is_run_somewhere() -> None:
    """Each command shown is run by the test below, or named as run elsewhere."""
    for command in shown_commands():
        assert command.startswith(RUN) or command.startswith(NOT_RUN_HERE), command
    assert len([c for c in shown_commands() if c.startswith(RUN)]) >= 8


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's sources in a folder of their own, where the commands may write."""
    root = tmp_path_factory.mktemp("project")
    for name in ("docs", "overrides", "states", "tests"):
        ignored = shutil.ignore_patterns("__pycache__", ".cache")
        shutil.copytree(PROJECT / name, root / name, ignore=ignored)
    for name in ("mkdocs.yml", "pyproject.toml"):
        shutil.copy2(PROJECT / name, root / name)
    (root / "plugins").mkdir()  # watched by `mkdocs serve`; the plugin itself is installed
    return root


@pytest.mark.parametrize(
    "command",
    [pytest.param(c, id=where) for where, c in shown().items() if c.startswith(RUN)],
)
def test_shown_command_works_in_a_new_shell(command: str, copy: Path, tmp_path: Path) -> None:
    """Run as shown, in a new shell whose PATH has the virtualenv's programs, it succeeds."""
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "NO_MKDOCS_2_WARNING": "1",
    }
    result = subprocess.run(
        ["bash", "-c", command], cwd=copy, env=env, capture_output=True, text=True, check=False
    )
    said = result.stdout[-2000:] + result.stderr[-2000:]
    assert result.returncode == 0, f"$ {command}\n{said}"


def test_the_vendored_mermaid_is_the_version_its_file_names() -> None:
    """The README's update writes VERSION from the package it copies the script from: the two
    agree, and VERSION is not left empty."""
    vendor = PROJECT / "docs" / "assets" / "vendor" / "mermaid"
    version = (vendor / "VERSION").read_text(encoding="utf-8").strip()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), version
    assert f'version:"{version}"' in (vendor / "mermaid.min.js").read_text(encoding="utf-8")
