"""The `runbook` command: print a page's script, list what would run, refuse bad input clearly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CHAPTER, DOCS, PROJECT
from runbook.config import load, selection
from runbook.pages import read_page
from runbook.script import render_script

TITLE = "Execute the following command(s) in a terminal"
CONSOLE_SCRIPT = Path(sys.executable).parent / "runbook"


def block(code: str, title: str = TITLE, indent: str = "") -> str:
    lines = [f'```sh title="{title}"', *code.splitlines(), "```"]
    return "\n".join(indent + line for line in lines) + "\n"


TABBED = (
    "# Tabs\n\n"
    '=== ":simple-github: GitHub"\n\n' + block("gh repo create", indent="    ") + "\n"
    '=== "GitLab"\n\n' + block("glab repo create <my project name>", indent="    ") + "\n"
    "Then:\n\n" + block("git push")
)


def runbook_cli(
    *args: str, cwd: Path, command: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the command line in `cwd`, as `python -m runbook` unless told otherwise."""
    return subprocess.run(
        [*(command or [sys.executable, "-m", "runbook"]), *args],
        cwd=cwd,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def write(folder: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def test_script_prints_the_rendered_script() -> None:
    """`runbook script` prints exactly what the renderer makes of the page, nothing else."""
    config, _ = load(PROJECT / "mkdocs.yml")
    runbook = read_page(DOCS / CHAPTER, CHAPTER, selection(config))
    result = runbook_cli("script", f"docs/{CHAPTER}", cwd=PROJECT)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == render_script(runbook)


def test_chapter_script_holds_the_chapter_commands() -> None:
    """The chapter's script adds the remote from the placeholder, pushes, and clones."""
    result = runbook_cli("script", f"docs/{CHAPTER}", cwd=PROJECT)
    assert result.returncode == 0, result.stderr
    for line in (
        'git remote add origin "${YOUR_GIT_REPOSITORY_URL}"',
        "git push -u origin main",
        'git clone "${YOUR_GIT_REPOSITORY_URL}"',
    ):
        assert line in result.stdout.splitlines()
    # Steps are named by their path under docs/, as the site names the page.
    assert f"# {CHAPTER}:100\n" in result.stdout


def test_list_the_chapter() -> None:
    """`runbook list docs/` names every page, the chapter's placeholder and its three steps."""
    result = runbook_cli("list", "docs/", cwd=PROJECT)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "index.md" in lines
    start = lines.index(CHAPTER)
    assert lines[start + 1 : start + 7] == [
        "  start: chapter-6",
        "  variant: (one script)",
        "  placeholder: YOUR_GIT_REPOSITORY_URL <your git repository url>",
        f"  step {CHAPTER}:100  git remote add origin <your git repository url>",
        f"  step {CHAPTER}:109  git push -u origin main",
        f"  step {CHAPTER}:141 [dir ../teammate]  git clone <your git repository url>",
    ]


def test_list_shows_pages_variants_steps_and_placeholders(tmp_path: Path) -> None:
    """`runbook list` gives each page, its variants, its placeholders and each step's path:line."""
    write(tmp_path, {"docs/tabs.md": TABBED, "docs/sub/prose.md": "# Only prose\n"})
    result = runbook_cli("list", "docs", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == (
        "sub/prose.md\n"
        "  no steps\n"
        "tabs.md\n"
        "  variant: GitHub\n"
        "  variant: GitLab\n"
        "  placeholder: MY_PROJECT_NAME <my project name>\n"
        "  step tabs.md:5 [in GitHub]  gh repo create\n"
        "  step tabs.md:11 [in GitLab]  glab repo create <my project name>\n"
        "  step tabs.md:17  git push\n"
    )


@pytest.mark.parametrize(
    ("variant", "present", "absent"),
    [
        pytest.param(None, "gh repo create", "glab", id="first-by-default"),
        pytest.param("GitLab", 'glab repo create "${MY_PROJECT_NAME}"', "gh repo", id="gitlab"),
        pytest.param("github", "gh repo create", "glab", id="any-case"),
    ],
)
def test_script_variant(variant: str | None, present: str, absent: str, tmp_path: Path) -> None:
    """`--variant` picks the tab label; every variant keeps the steps outside tabs."""
    write(tmp_path, {"docs/tabs.md": TABBED})
    result = runbook_cli(
        "script", "docs/tabs.md", *(["--variant", variant] if variant else []), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert present in result.stdout
    assert absent not in result.stdout
    assert "\ngit push\n" in result.stdout


@pytest.mark.parametrize(
    ("files", "args", "error"),
    [
        pytest.param(
            {"page.md": "# Page\n\n```sh\necho\n"},
            ["script", "page.md"],
            "page.md:3: code block opened with ``` is never closed",
            id="unclosed-fence",
        ),
        pytest.param(
            {"docs/tabs.md": TABBED},
            ["script", "docs/tabs.md", "--variant", "Bitbucket"],
            "tabs.md:1: no variant 'Bitbucket' (variants: 'GitHub', 'GitLab')",
            id="unknown-variant",
        ),
        pytest.param(
            {"page.md": block("true\ngit --git-dir=<git dir> status")},
            ["script", "page.md"],
            "page.md:3: placeholder <git dir> would set GIT_DIR, which the shell or git relies on",
            id="reserved-placeholder",
        ),
        pytest.param(
            {},
            ["script", "missing.md"],
            "missing.md:1: cannot read: No such file or directory",
            id="missing-file",
        ),
        pytest.param(
            {"latin1.md": "# Page\n\nCaf\xe9\n".encode("latin-1")},
            ["script", "latin1.md"],
            "latin1.md:3: not valid UTF-8 text",
            id="undecodable-file",
        ),
        pytest.param(
            {"page.md": "<!-- runbook: retry=2 -->\n" + block("true")},
            ["script", "page.md"],
            "page.md:1: unknown runbook directive 'retry' (known: skip, dir, fails, timeout)",
            id="unknown-directive",
        ),
        pytest.param(
            {"docs/good.md": block("true"), "docs/bad.md": "```sh\n"},
            ["list", "docs"],
            "bad.md:1: code block opened with ``` is never closed",
            id="list-with-one-bad-page",
        ),
        pytest.param(
            {"good.md": block("true")},
            ["list", "good.md", "gone.md"],
            "gone.md:1: cannot read: No such file or directory",
            id="list-missing-file",
        ),
        pytest.param(
            {"mkdocs.yml": "plugins:\n  - runbook:\n      title: '(unclosed'\n"},
            ["list", "."],
            "mkdocs.yml:1: title is not a regular expression: ",
            id="bad-title-option",
        ),
        pytest.param(
            {"mkdocs.yml": "site_name: x\nplugins:\n  - runbook: [\n"},
            ["list", "."],
            "mkdocs.yml:4: not valid YAML: ",
            id="mkdocs-yml-not-yaml",
        ),
        pytest.param(
            {"mkdocs.yml": "- site_name\n"},
            ["list", "."],
            "mkdocs.yml:1: the configuration must be a mapping of settings",
            id="mkdocs-yml-not-a-mapping",
        ),
    ],
)
def test_bad_input_exits_2(
    files: dict[str, str | bytes], args: list[str], error: str, tmp_path: Path
) -> None:
    """Bad input exits 2 with one `path:line: message` on stderr and nothing on stdout."""
    write(tmp_path, files)
    result = runbook_cli(*args, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(error)
    assert result.stderr.count("\n") == 1


def test_usage_error_exits_2(tmp_path: Path) -> None:
    """A missing subcommand is a usage error: exit 2, usage on stderr, nothing on stdout."""
    result = runbook_cli(cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("usage: runbook")


def test_mkdocs_yml_options_apply(tmp_path: Path) -> None:
    """The plugin options of the `mkdocs.yml` in the working folder select the steps."""
    page = block("echo default title") + "\n" + block("echo custom title", title="Run this")
    write(tmp_path, {"site/pages/page.md": page})
    without = runbook_cli("script", "site/pages/page.md", cwd=tmp_path)
    assert "echo default title" in without.stdout
    assert "echo custom title" not in without.stdout

    write(
        tmp_path,
        {
            "mkdocs.yml": (
                "site_name: Test\n"
                "docs_dir: site\n"
                "plugins:\n"
                "  - search\n"
                "  - runbook:\n"
                "      title: 'Run th(is|at)'\n"
            )
        },
    )
    result = runbook_cli("script", "site/pages/page.md", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "echo custom title" in result.stdout
    assert "echo default title" not in result.stdout
    # Pages are named relative to the configured docs_dir.
    assert "# pages/page.md:5\n" in result.stdout


def test_project_mkdocs_yml_is_read() -> None:
    """The project's own `mkdocs.yml`, with its Python tags, loads for the command."""
    result = runbook_cli("list", f"docs/{CHAPTER}", cwd=PROJECT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{CHAPTER}\n")


def test_console_script(tmp_path: Path) -> None:
    """The `runbook` console command is installed beside the interpreter and is the same CLI."""
    assert CONSOLE_SCRIPT.is_file()
    assert os.access(CONSOLE_SCRIPT, os.X_OK)
    write(tmp_path, {"docs/tabs.md": TABBED})
    installed = runbook_cli("list", "docs", cwd=tmp_path, command=[str(CONSOLE_SCRIPT)])
    module = runbook_cli("list", "docs", cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr
    assert installed.stdout == module.stdout


def test_list_skips_what_mkdocs_skips(tmp_path: Path) -> None:
    """Dot folders and `templates/` are not pages to MkDocs, so `list` leaves them out."""
    write(
        tmp_path,
        {
            "docs/page.md": block("true"),
            "docs/.drafts/x.md": block("false"),
            "docs/templates/t.md": block("false"),
        },
    )
    result = runbook_cli("list", "docs", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [line for line in result.stdout.splitlines() if not line.startswith(" ")] == ["page.md"]
