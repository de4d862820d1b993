"""The script: a page's steps as one bash session, run here with bash as a reader would run it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import PROJECT
from runbook.runbook import read_runbook
from runbook.script import render_script

TITLE = "Execute the following command(s) in a terminal"
HOSTILE = "a b;  $(touch pwned) `touch pwned` 'single' \"double\" \\ * $HOME\nsecond line"


def block(code: str, directive: str | None = None) -> str:
    """A command block, with a runbook directive before it if given."""
    head = [f"<!-- runbook: {directive} -->"] if directive else []
    return "\n".join([*head, f'```sh title="{TITLE}"', code, "```", ""])


def script_of(*blocks: str, variant: str | None = None) -> str:
    runbook = read_runbook("guide/page.md", "\n".join(blocks))
    return render_script(runbook, runbook.variant(variant))


def run(script: str, tmp_path: Path, **values: str) -> subprocess.CompletedProcess[str]:
    """Run `script` with bash in `tmp_path/work`, with only PATH, HOME and `values` set."""
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    (tmp_path / "script.sh").write_text(script, encoding="utf-8")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LC_ALL": "C", **values}
    return subprocess.run(
        ["bash", str(tmp_path / "script.sh")],
        cwd=work,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("blocks", "present", "absent"),
    [
        pytest.param(
            [block("echo hi")],
            [
                "#!/usr/bin/env bash\n",
                "# The commands of guide/page.md, in reading order, as one shell session.\n",
                "set -euo pipefail\n",
                "trap runbook_failed ERR\n",
                "\n# guide/page.md:1\nrunbook_begin 'guide/page.md:1'\necho hi\nrunbook_end\n\n",
                "printf 'runbook: all steps passed\\n' >&2\n",
            ],
            ["runbook_missing", "# Variant:"],
            id="one-step",
        ),
        pytest.param(
            [block("echo one"), block("echo two")],
            ["runbook_begin 'guide/page.md:1'\necho one\nrunbook_end\n\n# guide/page.md:5\n"],
            [],
            id="steps-in-order",
        ),
        pytest.param(
            [block("touch x\nrm x", 'skip="the reader clicks a button"')],
            ["# guide/page.md:2 (skipped: the reader clicks a button)\n# touch x\n# rm x\n"],
            ["runbook_begin '"],
            id="skip-kept-as-comment",
        ),
        pytest.param(
            [block("git clone x", 'dir="../team mate\'s"')],
            [
                "runbook_begin 'guide/page.md:2'\n(\n",
                "mkdir -p -- \"$runbook_start\"/'../team mate'\\''s'\n",
                "cd -- \"$runbook_start\"/'../team mate'\\''s'\ngit clone x\n)\n",
            ],
            [],
            id="dir-in-a-subshell",
        ),
        pytest.param(
            [block("git push", "fails")],
            ["trap - ERR\nset +e\n(\nset -e\ngit push\n)\nrunbook_status=$?\nset -e\n"],
            [],
            id="fails",
        ),
        pytest.param(
            [block("git push", 'fails dir="up"')],
            ["(\nset -e\nmkdir -p -- \"$runbook_start\"/'up'\ncd -- \"$runbook_start\"/'up'\n"],
            [],
            id="fails-and-dir",
        ),
        pytest.param(
            [block("git clone <your git repository url>")],
            [
                "# Set these environment variables first (the values the page leaves to you):\n"
                "#   YOUR_GIT_REPOSITORY_URL  <your git repository url>\n",
                "[[ -n ${YOUR_GIT_REPOSITORY_URL-} ]] || runbook_missing+=("
                "'YOUR_GIT_REPOSITORY_URL  (<your git repository url>, guide/page.md:2)')\n",
                'git clone "${YOUR_GIT_REPOSITORY_URL}"\n',
            ],
            ["<your git repository url>\n\n"],
            id="placeholder",
        ),
        pytest.param(
            [block("echo <used value>"), block("echo <skipped value>", 'skip="later"')],
            ["runbook_missing+=('USED_VALUE"],
            ["runbook_missing+=('SKIPPED_VALUE"],
            id="skipped-step-needs-no-value",
        ),
    ],
)
def test_render_script(blocks: list[str], present: list[str], absent: list[str]) -> None:
    """The script holds each step after a comment naming it, in the form its directive asks."""
    script = script_of(*blocks)
    for text in present:
        assert text in script
    for text in absent:
        assert text not in script


def test_checks_come_before_the_first_step() -> None:
    """Placeholders are checked after the prologue and before any step."""
    script = script_of(block("echo <my value>"))
    assert script.index("set -euo pipefail") < script.index("runbook_missing=()")
    assert script.index("exit 2\nfi") < script.index("runbook_begin '")


def test_variant_named_in_header() -> None:
    """A page with tabs says which variant the script is."""
    tabs = '=== "GitHub"\n\n    x\n\n=== "GitLab"\n\n' + "\n".join(
        "    " + line for line in block("glab").splitlines()
    )
    script = script_of(tabs, variant="GitLab")
    assert "# Variant: GitLab.\n" in script
    assert "glab\n" in script


def test_default_variant_is_the_first() -> None:
    """Without a variant the script is the page's first variant."""
    tabs = "\n".join(
        f'=== "{label}"\n\n    ```sh title="{TITLE}"\n    echo {label}\n    ```\n'
        for label in ("A", "B")
    )
    runbook = read_runbook("page.md", tabs)
    assert render_script(runbook) == render_script(runbook, runbook.variants[0])


def test_all_steps_pass(tmp_path: Path) -> None:
    """A script whose steps succeed exits 0, announcing each step on stderr."""
    result = run(script_of(block("echo one"), block("echo two")), tmp_path)
    assert (result.returncode, result.stdout) == (0, "one\ntwo\n")
    assert result.stderr == (
        "runbook: step guide/page.md:1\nrunbook: step guide/page.md:5\nrunbook: all steps passed\n"
    )


def test_hostile_values_are_data_in_every_context(tmp_path: Path) -> None:
    """A placeholder's value reaches each command verbatim, bare, quoted or in a here-document."""
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "a-file-a-glob-would-find").touch()
    script = script_of(
        block("printf '[%s]\\n' <my value>"),
        block("printf '[%s]\\n' \"double <my value> quoted\""),
        block("printf '[%s]\\n' 'single <my value> quoted'"),
        block("cat <<EOF\n[here <my value> doc]\nEOF"),
        block("cd \"$HOME\"\nprintf '%s' <my value> > value.txt"),
    )
    result = run(script, tmp_path, MY_VALUE=HOSTILE)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"[{HOSTILE}]\n[double {HOSTILE} quoted]\n[single {HOSTILE} quoted]\n[here {HOSTILE} doc]\n"
    )
    assert (tmp_path / "value.txt").read_text(encoding="utf-8") == HOSTILE
    assert not list(tmp_path.rglob("pwned"))


@pytest.mark.parametrize(
    "values",
    [pytest.param({}, id="unset"), pytest.param({"YOUR_VALUE": ""}, id="empty")],
)
def test_missing_placeholder_stops_before_any_step(values: dict[str, str], tmp_path: Path) -> None:
    """Without a value the script runs no step and names the variable to set."""
    script = script_of(block("touch started"), block("echo <your value>"))
    result = run(script, tmp_path, OTHER="x", **values)
    assert result.returncode == 2
    assert result.stderr == (
        "runbook: set these environment variables first:\n"
        "  YOUR_VALUE  (<your value>, guide/page.md:6)\n"
    )
    assert result.stdout == ""
    assert not (tmp_path / "work" / "started").exists()


@pytest.mark.parametrize(
    ("code", "status"),
    [
        pytest.param("(exit 3)", 3, id="exit-status"),
        pytest.param("ls does-not-exist", 2, id="command-fails"),
        pytest.param("false | cat", 1, id="pipefail"),
        pytest.param("echo $UNSET_VARIABLE", 1, id="nounset"),
        pytest.param("check() { false; }\ncheck", 1, id="in-a-function"),
        pytest.param("exit 5", 5, id="exit"),
        pytest.param("true\nfalse\ntouch after", 1, id="first-failing-line"),
    ],
)
def test_failing_step_is_named(code: str, status: int, tmp_path: Path) -> None:
    """A failing step stops the script, which names the step's path:line and exit status."""
    script = script_of(block("echo before"), block(code), block("touch next-step"))
    result = run(script, tmp_path)
    assert result.returncode == status
    assert result.stdout == "before\n"
    assert result.stderr.splitlines()[-1] == (
        f"runbook: step guide/page.md:5 failed with exit status {status}"
    )
    assert not (tmp_path / "work" / "next-step").exists()
    assert not (tmp_path / "work" / "after").exists()


def test_cd_and_variables_carry_on(tmp_path: Path) -> None:
    """Steps share one session: a `cd` or a variable set in one step holds in the next."""
    script = script_of(
        block("mkdir -p repo/src\ncd repo\nname=guide"), block('cd src\necho "$name"'), block("pwd")
    )
    result = run(script, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"guide\n{tmp_path / 'work' / 'repo' / 'src'}\n"


def test_dir_runs_there_without_moving_the_session(tmp_path: Path) -> None:
    """`dir` runs a block in a folder relative to the start, made if missing; the session stays."""
    script = script_of(
        block("mkdir repo\ncd repo"),
        block("pwd\nmkdir deeper\ncd deeper\nteammate=yes", 'dir="../teammate"'),
        block('pwd\necho "${teammate:-unset}"'),
    )
    result = run(script, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{tmp_path / 'teammate'}\n{tmp_path / 'work' / 'repo'}\nunset\n"
    assert (tmp_path / "teammate" / "deeper").is_dir()


def test_failing_step_in_dir_is_named(tmp_path: Path) -> None:
    """A step that fails in its `dir` is reported like any other."""
    script = script_of(block("(exit 4)", 'dir="elsewhere"'))
    result = run(script, tmp_path)
    assert result.returncode == 4
    assert "runbook: step guide/page.md:2 failed with exit status 4" in result.stderr


@pytest.mark.parametrize(
    "directive", [pytest.param("fails", id="fails"), pytest.param('fails dir="x"', id="in-dir")]
)
def test_fails_passes_when_the_block_fails(directive: str, tmp_path: Path) -> None:
    """A block marked `fails` stops at its first failing command, and the script goes on."""
    script = script_of(block("false\ntouch not-reached", directive), block("echo went on"))
    result = run(script, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "went on\n"
    assert not list((tmp_path).rglob("not-reached"))


def test_fails_stops_the_script_when_the_block_succeeds(tmp_path: Path) -> None:
    """A block marked `fails` that succeeds stops the script and says so."""
    script = script_of(block("true", "fails"), block("touch next-step"))
    result = run(script, tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "runbook: step guide/page.md:2 succeeded but the page says it fails"
    )
    assert not (tmp_path / "work" / "next-step").exists()


def test_skip_leaves_the_block_out(tmp_path: Path) -> None:
    """A skipped block does not run; the script keeps it as a comment with the reason."""
    script = script_of(block("touch skipped", 'skip="done in the web UI"'), block("echo ran"))
    assert "# guide/page.md:2 (skipped: done in the web UI)\n# touch skipped\n" in script
    result = run(script, tmp_path)
    assert (result.returncode, result.stdout) == (0, "ran\n")
    assert not (tmp_path / "work" / "skipped").exists()


TRICKY_COMMON_START = [
    "top level",
    "after a blank line in the code",
    "in an ordered list item",
    "in an admonition in a list item",
]
TRICKY_COMMON_MIDDLE = [
    "after a directive and blank lines",
    "shown although a comment opened before it",
    "language and title in braces",
    "with line numbers",
    "````",
    "```",
]


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        pytest.param(
            "GitHub, pip",
            [
                *TRICKY_COMMON_START,
                "github in a tilde fence",
                "```",
                "~~~",
                *TRICKY_COMMON_MIDDLE,
                "github pip",
                "a new tab set with a linked label",
                "after an unclosed comment",
            ],
            id="github-pip",
        ),
        pytest.param(
            "GitHub, uv",
            [
                *TRICKY_COMMON_START,
                "github in a tilde fence",
                "```",
                "~~~",
                *TRICKY_COMMON_MIDDLE,
                "github uv",
                "a new tab set with a linked label",
                "after an unclosed comment",
            ],
            id="github-uv",
        ),
        pytest.param(
            "GitLab",
            [
                *TRICKY_COMMON_START,
                "gitlab in a long fence",
                "```sh",
                *TRICKY_COMMON_MIDDLE,
                "gitlab",
                "after an unclosed comment",
            ],
            id="gitlab",
        ),
    ],
)
def test_tricky_page_runs(variant: str, expected: list[str], tmp_path: Path) -> None:
    """Each variant of the tricky page runs exactly the commands that variant shows."""
    text = (PROJECT / "tests" / "pages" / "tricky-nesting.md").read_text(encoding="utf-8")
    runbook = read_runbook("tricky-nesting.md", text)
    assert [v.name for v in runbook.variants] == ["GitHub, pip", "GitHub, uv", "GitLab"]
    result = run(render_script(runbook, runbook.variant(variant)), tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == expected
    assert (tmp_path / "work" / "elsewhere").is_dir()
