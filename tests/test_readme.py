"""The README's two commands are the ones that work: CI runs the test command word for word."""

from __future__ import annotations

import re

from conftest import PROJECT


def readme_commands() -> list[str]:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", section, re.S)


def test_readme_has_a_serve_and_a_test_command() -> None:
    """The first command serves the site, the second installs the test extras and runs pytest."""
    serve, test = readme_commands()[:2]
    assert serve.endswith("pip install -e . && mkdocs serve")
    assert test.endswith("pip install -e '.[test]' && pytest -n auto")


def test_ci_runs_the_readme_test_command() -> None:
    """`.ci/run` ends with the README's test command, so CI proves what the README promises."""
    ci = (PROJECT / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.rstrip().splitlines()[-1] == readme_commands()[1]
