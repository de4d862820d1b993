"""What the tests share: the project's places, the command title, and pages written the guide's
way, in small sites that take the project's own `mkdocs.yml`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from runbook.adapters.cli import main
from runbook.adapters.config import COMMAND_TITLE

PROJECT = Path(__file__).resolve().parents[1]
DOCS = PROJECT / "docs"
BIN = Path(sys.executable).parent  # the virtualenv's programs: runbook, mkdocs, zensical
CHAPTER = "move-the-ml-experiment-code-to-the-cloud.md"
TITLE = "Execute the following command(s) in a terminal"
assert re.fullmatch(COMMAND_TITLE, TITLE), "the guide's title must be the plugin's default"

# The runbook plugin of a small site: the project's start state and values, by absolute path.
RUNBOOK_PLUGIN = f"""\
  - runbook:
      states:
        chapter-6: {PROJECT / "states" / "chapter-6.sh"}
      values:
        YOUR_GIT_REPOSITORY_URL: {{remote: mlops-guide.git}}
        MY_GIT_REPOSITORY_URL: {{remote: mlops-guide.git}}
"""
PLUGINS = f"""\
plugins:
  - search
  - macros:
      modules: [runbook.adapters.macros]
      on_error_fail: true
      on_undefined: strict
{RUNBOOK_PLUGIN}"""


def command(
    code: str,
    *,
    indent: str = "",
    title: str | None = TITLE,
    lang: str = "sh",
    directive: str | None = None,
    fence: str = "```",
) -> str:
    """A fenced block as the guide writes a command, with a runbook directive before it if any."""
    header = f"{fence}{lang}" + (f' title="{title}"' if title is not None else "")
    lines = ([f"<!-- runbook: {directive} -->"] if directive else []) + [header]
    lines += [*textwrap.dedent(code).strip("\n").splitlines(), fence]
    return "".join(f"{indent}{line}\n" if line else "\n" for line in lines)


def page(*parts: str, heading: str = "A page") -> str:
    """A page: a heading, then each part (a block, a paragraph) with a blank line after it."""
    return f"# {heading}\n\n" + "".join(part.rstrip("\n") + "\n\n" for part in parts)


def mkdocs_yml(plugins: str = PLUGINS, **settings: str) -> str:
    """A `mkdocs.yml` that takes the project's and changes only what a small site needs."""
    extra = "".join(f"{key}: {value}\n" for key, value in settings.items())
    return (
        f"INHERIT: {PROJECT / 'mkdocs.yml'}\n"
        "site_name: A test site\n"
        f"theme:\n  custom_dir: {PROJECT / 'overrides'}\n"
        "nav: null\n"
        "watch: []\n"
        f"{extra}{plugins}"
    )


def write_site(root: Path, pages: dict[str, str | bytes], config: str | None = None) -> Path:
    """Write a small site in `root`: its `mkdocs.yml` and its `docs/` pages; return the config."""
    for name, content in pages.items():
        path = root / "docs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    (root / "docs").mkdir(parents=True, exist_ok=True)
    if not (root / "docs" / "assets").exists():  # the self-hosted mermaid the pages load
        (root / "docs" / "assets").symlink_to(DOCS / "assets")
    config_file = root / "mkdocs.yml"
    config_file.write_text(config if config is not None else mkdocs_yml(), encoding="utf-8")
    return config_file


def run_cli(
    capsys: pytest.CaptureFixture[str], *args: str, cwd: Path = PROJECT
) -> tuple[int, str, str]:
    """Run `runbook` in-process from `cwd`; return its status, stdout and stderr."""
    here = Path.cwd()
    os.chdir(cwd)
    try:
        status = main(list(args))
    finally:
        os.chdir(here)
    out = capsys.readouterr()
    return status, out.out, out.err


def run_program(*args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run a program of the virtualenv (`args[0]`, such as `runbook`) in a process of its own."""
    return subprocess.run(
        [str(BIN / args[0]), *args[1:]],
        cwd=cwd,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
