"""The `runbook` command sees what the build sees, and refuses bad input clearly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import Guide
from helpers import CHAPTER, command, mkdocs_yml, page, run_cli, run_program, write_site
from runbook.adapters.site import load_site
from runbook.replaying.script import render_script

TABBED = page(
    '=== ":simple-github: GitHub"\n\n' + command("gh repo create", indent="    "),
    '=== "GitLab"\n\n' + command("glab repo create <my project name>", indent="    "),
    "Then:",
    command("git push"),
    heading="Tabs",
)


@pytest.fixture
def tabs_site(tmp_path: Path) -> Path:
    write_site(tmp_path, {"tabs.md": TABBED, "sub/prose.md": "# Only prose\n"})
    return tmp_path


def test_script_is_what_the_site_publishes(capsys: pytest.CaptureFixture[str], site: Path) -> None:
    """`runbook script` prints, byte for byte, the script the build publishes for the page."""
    status, out, err = run_cli(capsys, "script", f"docs/{CHAPTER}")
    assert (status, err) == (0, "")
    assert out == (site / "runbooks" / CHAPTER.replace(".md", ".sh")).read_text(encoding="utf-8")
    status, out, _ = run_cli(capsys, "script", f"docs/{CHAPTER}", "--take-over")
    take_over = (site / "runbooks" / CHAPTER.replace(".md", "-take-over.sh")).read_text("utf-8")
    assert (status, out) == (0, take_over)


def test_list_the_chapter(capsys: pytest.CaptureFixture[str], docs: Guide) -> None:
    """`runbook list` names the chapter's start, paths, placeholder and every step's line."""
    status, out, err = run_cli(capsys, "list", f"docs/{CHAPTER}")
    assert (status, err) == (0, "")
    steps = docs.runbook(CHAPTER).steps
    assert out.splitlines() == [
        CHAPTER,
        "  start: chapter-6",
        "  variant: (one script)",
        "  take-over: a second path, with the take-over steps",
        "  placeholder: YOUR_GIT_REPOSITORY_URL <your git repository url>",
        f"  step {steps[0].location} [take-over]  git clone chapter-6.bundle mlops-guide",
        f"  step {steps[1].location}  git remote add origin <your git repository url>",
        f"  step {steps[2].location}  git push -u origin main",
        f"  step {steps[3].location} [dir ../teammate]  git clone <your git repository url>",
    ]


def test_list_shows_pages_variants_steps_and_placeholders(
    capsys: pytest.CaptureFixture[str], tabs_site: Path
) -> None:
    """`runbook list` with no path lists every page of the site, in path order."""
    status, out, err = run_cli(capsys, "list", cwd=tabs_site)
    assert (status, err) == (0, "")
    assert out == (
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
    ("args", "said"),
    [
        pytest.param(
            [],
            "runbook: the script of variant 'GitHub', the first; the others: 'GitLab' (choose "
            "one with --variant)\n",
            id="no-variant",
        ),
        pytest.param(["--variant", "GitLab"], "", id="a-variant"),
    ],
)
def test_script_says_which_variant_it_printed(
    capsys: pytest.CaptureFixture[str], tabs_site: Path, args: list[str], said: str
) -> None:
    """On a page with tabs, `runbook script` without `--variant` says on stderr which variant
    it printed, and which others there are; stdout stays the script alone."""
    status, out, err = run_cli(capsys, "script", "docs/tabs.md", *args, cwd=tabs_site)
    assert (status, err) == (0, said)
    assert out.startswith("#!/usr/bin/env bash\n")


@pytest.mark.parametrize(
    ("variant", "present", "absent"),
    [
        pytest.param(None, "gh repo create", "glab", id="first-by-default"),
        pytest.param("GitLab", 'glab repo create "${MY_PROJECT_NAME}"', "gh repo", id="gitlab"),
        pytest.param("github", "gh repo create", "glab", id="any-case"),
    ],
)
def test_script_variant(
    capsys: pytest.CaptureFixture[str],
    tabs_site: Path,
    variant: str | None,
    present: str,
    absent: str,
) -> None:
    """`--variant` picks the tab label; every variant keeps the steps outside tabs."""
    args = ["script", "docs/tabs.md", *(["--variant", variant] if variant else [])]
    status, out, _ = run_cli(capsys, *args, cwd=tabs_site)
    assert status == 0
    assert present in out
    assert absent not in out
    assert "\ngit push\n" in out


def test_list_sees_the_pages_the_build_renders(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Excluded pages and drafts are not listed; pages kept out of the nav are."""
    config = mkdocs_yml(exclude_docs="'private/'", draft_docs="'drafts/'", not_in_nav="'/extra.md'")
    pages = {
        "page.md": page(command("true")),
        "private/secret.md": page(command("false")),
        "drafts/next.md": page(command("false")),
        "extra.md": page(command("true")),
        ".hidden/x.md": page(command("false")),
    }
    write_site(tmp_path, pages, config)
    status, out, err = run_cli(capsys, "list", "docs", cwd=tmp_path)
    assert (status, err) == (0, "")
    assert [line for line in out.splitlines() if not line.startswith(" ")] == [
        "extra.md",
        "page.md",
    ]


def test_list_reports_every_bad_page_and_lists_the_good_ones(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Each bad page's errors go to stderr as `path:line: message`; good pages are listed;
    the command exits 2 at the end."""
    pages = {
        "good.md": page(command("true")),
        "quote.md": page(command('echo "open')),
        "fence.md": page("<!-- runbook: fails -->", "Prose."),
        "latin1.md": b"# Page\n\nCaf\xe9\n",
    }
    write_site(tmp_path, pages)
    status, out, err = run_cli(capsys, "list", "docs", cwd=tmp_path)
    assert status == 2
    assert out.splitlines() == ["good.md", "  variant: (one script)", "  step good.md:3  true"]
    lines = err.splitlines()
    assert "fence.md:3: runbook directive is not followed by a code block" in lines
    assert 'quote.md:4: incomplete command: a " quote opens here and never closes' in lines
    assert "latin1.md:3: not valid UTF-8 text" in lines
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("make", "args", "error"),
    [
        pytest.param(
            lambda root: None,
            ["script", "docs/missing.md"],
            "docs/missing.md:1: cannot read",
            id="missing",
        ),
        pytest.param(
            lambda root: (root / "docs" / "folder").mkdir(),
            ["script", "docs/folder"],
            "docs/folder:1: a folder, not a page",
            id="folder",
        ),
        pytest.param(
            lambda root: (root / "docs" / "loop.md").symlink_to("loop.md"),
            ["script", "docs/loop.md"],
            "loop.md:1: cannot read: Too many levels of symbolic links",
            id="symlink-loop",
        ),
        pytest.param(
            lambda root: (root / "notes.md").write_text("# x\n"),
            ["script", "notes.md"],
            "notes.md:1: not in the docs folder",
            id="outside-docs",
        ),
        pytest.param(
            lambda root: (root / "docs" / "prose.md").write_text("# Only prose\n"),
            ["script", "docs/prose.md"],
            "prose.md:1: no steps: no block of this page is a command to run",
            id="no-steps",
        ),
        pytest.param(
            lambda root: (root / "docs" / "prose.md").write_text("# Only prose\n"),
            ["replay", "docs/prose.md"],
            "prose.md:1: no steps: no block of this page is a command to run",
            id="replay-no-steps",
        ),
        pytest.param(
            lambda root: (root / "docs" / "p.md").write_text(page(command("true"))),
            ["script", "docs/p.md", "--take-over"],
            "p.md:1: no take-over steps",
            id="no-take-over",
        ),
        pytest.param(
            lambda root: (root / "docs" / "p.md").write_text(TABBED),
            ["script", "docs/p.md", "--variant", "Bitbucket"],
            "p.md:1: no variant 'Bitbucket' (variants: 'GitHub', 'GitLab')",
            id="unknown-variant",
        ),
        pytest.param(
            lambda root: (root / "mkdocs.yml").write_text(
                "site_name: x\nplugins:\n  - runbook: [\n"
            ),
            ["list"],
            "mkdocs.yml:4: ",
            id="mkdocs-yml-not-yaml",
        ),
        pytest.param(
            lambda root: (root / "mkdocs.yml").write_text(
                mkdocs_yml("plugins:\n  - runbook:\n      title: '(x'\n")
            ),
            ["list"],
            "mkdocs.yml:9: ",
            id="bad-title-option",
        ),
        pytest.param(
            lambda root: (root / "mkdocs.yml").write_text(
                mkdocs_yml("plugins:\n  - runbook:\n      script_dir: ../out\n")
            ),
            ["list"],
            "mkdocs.yml:9: ",
            id="script-dir-outside-the-site",
        ),
        pytest.param(
            lambda root: (root / "mkdocs.yml").unlink(),
            ["list"],
            "mkdocs.yml:1: no such configuration file",
            id="no-mkdocs-yml",
        ),
    ],
)
def test_bad_input_exits_2_naming_the_place(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    make: Callable[[Path], object],
    args: list[str],
    error: str,
) -> None:
    """Bad input exits 2 with `path:line: message` on stderr, nothing on stdout, no traceback."""
    write_site(tmp_path, {})
    make(tmp_path)
    status, out, err = run_cli(capsys, *args, cwd=tmp_path)
    assert (status, out) == (2, "")
    assert err.startswith(error), err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("script_dir", "../out"),
        ("script_dir", "/srv/out"),
        ("title", "'(x'"),
        ("languages", "[sh, zsh]"),
        ("values", "{MY_THING: ''}"),
    ],
)
def test_bad_options_name_the_option(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, option: str, value: str
) -> None:
    """A bad runbook option names itself and why, with the line of `mkdocs.yml` it is on."""
    config = mkdocs_yml(f"plugins:\n  - runbook:\n      {option}: {value}\n")
    write_site(tmp_path, {}, config)
    status, _, err = run_cli(capsys, "list", cwd=tmp_path)
    assert status == 2
    line = config.splitlines().index(f"      {option}: {value}") + 1
    assert err.startswith(f"mkdocs.yml:{line}: "), err
    assert option in err


def test_a_site_without_superfences_is_bad_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The runbook reads fences as SuperFences does: a site without it is an error on the line
    of `markdown_extensions`, not a traceback."""
    write_site(tmp_path, {"p.md": "# P\n"}, "site_name: S\nmarkdown_extensions: [footnotes]\n")
    status, out, err = run_cli(capsys, "list", cwd=tmp_path)
    assert (status, out) == (2, "")
    assert err == (
        "mkdocs.yml:2: runbook: runbook reads code blocks as pymdownx.superfences does: add "
        "`pymdownx.superfences` to `markdown_extensions`\n"
    )


@pytest.mark.parametrize(
    ("links", "named"),
    [
        pytest.param({"a/up": ".."}, "docs/a/up is a symbolic link to docs,", id="one-loop"),
        pytest.param(
            {"a/up": "..", "b/up": ".."},
            "docs/a/up is a symbolic link to docs,",
            id="two-loops-mkdocs-walks-exponentially",
        ),
        pytest.param({"up": ".."}, "docs/up is a symbolic link to .,", id="through-the-parent"),
    ],
)
def test_symlink_loops_in_the_docs_are_found_before_mkdocs_walks_them(
    tmp_path: Path, links: dict[str, str], named: str
) -> None:
    """A link to a folder that holds it is an error, found at once, before MkDocs' own walk
    (which takes exponential time with two loops) begins."""
    write_site(tmp_path, {"p.md": page(command("echo x")), "a/q.md": "# Q\n", "b/r.md": "# R\n"})
    for link, target in links.items():
        (tmp_path / "docs" / link).symlink_to(target)
    done = run_program("runbook", "list", cwd=tmp_path, timeout=60)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith(f"mkdocs.yml:1: runbook: {named} a folder that holds it")


def test_test_values_are_read_as_written(tmp_path: Path) -> None:
    """A value in `mkdocs.yml` is the scalar as written, whatever type YAML makes of it."""
    plugins = "plugins:\n  - runbook:\n      values:\n        MY_NUMBER: 007\n        MY_FLAG: on\n"
    config = write_site(tmp_path, {}, mkdocs_yml(plugins))
    assert load_site(config).plugin.config.values == {"MY_NUMBER": "007", "MY_FLAG": "on"}


def test_replay_passes_with_a_report(capsys: pytest.CaptureFixture[str]) -> None:
    """`runbook replay` replays the chapter as the tests do; its report names each step."""
    status, out, err = run_cli(capsys, "replay", f"docs/{CHAPTER}", "--take-over")
    assert status == 0, out + err
    assert out.startswith(f"{CHAPTER} on the take-over path: all 4 steps passed")
    assert f"] running {CHAPTER}:" in err  # progress while it runs, with the time it took


def test_replay_of_a_failing_page_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A failing step makes the replay exit 1, its report showing the command and its stderr."""
    write_site(tmp_path, {"p.md": page(command("echo fine"), command("ls missing-file"))})
    status, out, _ = run_cli(capsys, "replay", "docs/p.md", cwd=tmp_path)
    assert status == 1
    assert out.startswith("p.md: step p.md:7 failed with exit status 2")
    assert "    ls missing-file" in out
    assert "No such file or directory" in out


def test_replay_needs_every_value(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A placeholder without a test value is bad input: exit 2, saying where to declare it."""
    write_site(tmp_path, {"p.md": page(command("echo <my token name>"))})
    status, out, err = run_cli(capsys, "replay", "docs/p.md", cwd=tmp_path)
    assert (status, out) == (2, "")
    assert err.startswith("p.md:4: no test value for MY_TOKEN_NAME")


def test_console_script_smoke(tmp_path: Path) -> None:
    """The installed `runbook` command is this CLI, run as a new process would run it."""
    write_site(tmp_path, {"tabs.md": TABBED})
    result = run_program("runbook", "script", "docs/tabs.md", "--variant", "GitLab", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("#!/usr/bin/env bash\n")
    assert "glab repo create" in result.stdout
    assert render_script  # the same renderer as the plugin's (see test_script_is_what_...)
