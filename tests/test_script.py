"""The script: a page's steps as one bash session, run here with bash as a reader runs it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import only_runbook
from helpers import PROJECT, command, page
from runbook.reading.pages import PageReading
from runbook.reading.variants import Variant
from runbook.replaying.script import render_script, script_name

Read = Callable[..., PageReading]
Script = Callable[..., str]

HOSTILE = "a b;  $(touch pwned) `touch pwned` 'single' \"double\" \\ * $HOME\nsecond line"
TOKEN = "5ca1ab1e5ca1ab1e"

TABS = (
    '=== "GitHub"\n\n'
    + command("gh repo create <your repo name>", indent="    ")
    + '\n=== "GitLab"\n\n'
    + command("glab repo create <your repo name>", indent="    ")
)


@pytest.fixture
def script(read: Read) -> Script:
    """Render the script of a page of `parts` at `path`: a variant, on either path."""

    def render(
        *parts: str,
        path: str = "guide/page.md",
        variant: str | None = None,
        take_over: bool = False,
    ) -> str:
        runbook = only_runbook(read(page(*parts), path))
        return render_script(runbook, runbook.variant(variant), take_over)

    return render


@dataclass
class Run:
    """What a run of a script did: its status, its output, and the events it sent."""

    returncode: int
    stdout: str
    stderr: str
    events: list[str]


def run(script: str, tmp_path: Path, *, fd3: bool = False, token: str = "", **values: str) -> Run:
    """Run `script` with bash in `tmp_path/work`, with only PATH, HOME and `values` set.

    With `fd3`, descriptor 3 is open on a file, as the replay's events pipe is; `token` is
    passed as RUNBOOK_EVENTS. Whatever reaches descriptor 3 comes back as `events`.
    """
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    path, events = tmp_path / "script.sh", tmp_path / "events"
    path.write_text(script, encoding="utf-8")
    events.write_text("", encoding="utf-8")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LC_ALL": "C", **values}
    if token:
        env["RUNBOOK_EVENTS"] = token
    argv = ["bash", str(path)]
    if fd3:
        argv = ["bash", "-c", 'exec bash "$0" 3>"$1"', str(path), str(events)]
    result = subprocess.run(
        argv,
        cwd=work,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    lines = events.read_text(encoding="utf-8").splitlines()
    return Run(result.returncode, result.stdout, result.stderr, lines)


def header(script: str) -> list[str]:
    return script[: script.index("set -euo pipefail")].splitlines()


def failed(location: str, status: int, line: int | None = None) -> str:
    at = f" at line {line}" if line is not None else ""
    return f"runbook: step {location} failed{at} with exit status {status}"


# The script as text ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "labels", "take_over", "name"),
    [
        pytest.param("a/page.md", (), False, "a/page.sh", id="plain"),
        pytest.param("page.md", (), False, "page.sh", id="top-level"),
        pytest.param("a/page.md", ("GitHub",), False, "a/page-github.sh", id="variant"),
        pytest.param("a/page.md", ("GitHub", "uv"), False, "a/page-github-uv.sh", id="labels"),
        pytest.param(
            "a/page.md",
            (":simple-github: GitHub",),
            False,
            "a/page-simple-github-github.sh",
            id="label-with-icon",
        ),
        pytest.param("a/page.md", (), True, "a/page-take-over.sh", id="take-over"),
        pytest.param(
            "a/page.md", ("GitHub",), True, "a/page-github-take-over.sh", id="variant-take-over"
        ),
        pytest.param("my guide/a page.md", (), False, "my guide/a page.sh", id="spaces"),
    ],
)
def test_script_name(path: str, labels: tuple[str, ...], take_over: bool, name: str) -> None:
    """A script is named after its page, then its variant's labels, then the take-over path."""
    assert script_name(path, Variant(labels), take_over) == name


@pytest.mark.parametrize(
    ("parts", "variant", "take_over", "expected"),
    [
        pytest.param(
            [command("echo hi")],
            None,
            False,
            [
                "#!/usr/bin/env bash",
                "# The steps of guide/page.md, in reading order, as one shell session.",
                "# Generated from the page by runbook: change the page, not this script.",
                "# Run it with bash from the folder where the page's first command runs.",
            ],
            id="plain",
        ),
        pytest.param(
            [command("echo <my value>"), command("echo <your repo>")],
            None,
            False,
            [
                "#!/usr/bin/env bash",
                "# The steps of guide/page.md, in reading order, as one shell session.",
                "# Generated from the page by runbook: change the page, not this script.",
                "# Run it with bash from the folder where the page's first command runs.",
                "# Set these environment variables first (the values the page leaves to you):",
                "#   MY_VALUE   <my value>",
                "#   YOUR_REPO  <your repo>",
                "# for example: MY_VALUE=... YOUR_REPO=... bash page.sh",
            ],
            id="placeholders",
        ),
        pytest.param(
            [TABS],
            "GitLab",
            False,
            [
                "#!/usr/bin/env bash",
                "# The steps of guide/page.md, in reading order, as one shell session.",
                "# Variant: GitLab.",
                "# Generated from the page by runbook: change the page, not this script.",
                "# Run it with bash from the folder where the page's first command runs.",
                "# Set these environment variables first (the values the page leaves to you):",
                "#   YOUR_REPO_NAME  <your repo name>",
                "# for example: YOUR_REPO_NAME=... bash page-gitlab.sh",
            ],
            id="variant",
        ),
        pytest.param(
            [command("tar -xf start.tar", directive="take-over"), TABS],
            "GitHub",
            True,
            [
                "#!/usr/bin/env bash",
                "# The steps of guide/page.md, in reading order, as one shell session.",
                "# Variant: GitHub.",
                "# Take-over path: first the steps that set up the download, then the rest.",
                "# Generated from the page by runbook: change the page, not this script.",
                "# Run it with bash from the folder where the downloaded file is.",
                "# Set these environment variables first (the values the page leaves to you):",
                "#   YOUR_REPO_NAME  <your repo name>",
                "# for example: YOUR_REPO_NAME=... bash page-github-take-over.sh",
            ],
            id="take-over",
        ),
    ],
)
def test_header(
    script: Script, parts: list[str], variant: str | None, take_over: bool, expected: list[str]
) -> None:
    """The header names the page, the variant, the take-over path and the values to set."""
    assert header(script(*parts, variant=variant, take_over=take_over)) == expected


@pytest.mark.parametrize(
    ("parts", "present", "absent"),
    [
        pytest.param(
            [command("echo hi")],
            [
                "set -euo pipefail\n",
                "trap 'runbook_failed \"$LINENO\"' ERR\n",
                "\n# guide/page.md:3\nrunbook_begin 'guide/page.md:3' \"$LINENO\" 1\n{\necho hi\n"
                "} 3>&-\nrunbook_end\n\n",
                "runbook_finish\n",
            ],
            ["runbook_missing", "# Variant:", "runbook_write()", "runbook_serve()"],
            id="one-step-in-a-group",
        ),
        pytest.param(
            [command("echo one"), command("echo two")],
            [
                "echo one\n} 3>&-\nrunbook_end\n\n# guide/page.md:7\n"
                "runbook_begin 'guide/page.md:7' \"$LINENO\" 1\n"
            ],
            [],
            id="steps-in-order",
        ),
        pytest.param(
            [command("touch x\n\nrm x", directive='skip="the reader clicks a button"')],
            ["# guide/page.md:4 (skipped: the reader clicks a button)\n# touch x\n#\n# rm x\n"],
            ["runbook_begin '"],
            id="skip-kept-as-comment",
        ),
        pytest.param(
            [command("git clone x", directive='dir="../team mate\'s"')],
            [
                "runbook_begin 'guide/page.md:4' \"$LINENO\" 1\n"
                "trap 'runbook_gone \"$?\"' ERR; "
                "( runbook_subshell; runbook_enter '../team mate'\\''s'\ngit clone x\n"
                "runbook_status=$? runbook_ran=1\n"
                'exit "$runbook_status" ) 3>&-\n'
                "trap 'runbook_failed \"$LINENO\"' ERR\nrunbook_end\n",
            ],
            [],
            id="dir-in-a-subshell",
        ),
        pytest.param(
            [command("git push", directive="fails")],
            [
                "runbook_expect_failure; ( runbook_subshell\ngit push\n"
                'runbook_status=$? runbook_ran=1\nexit "$runbook_status" ) 3>&-\n'
                'runbook_failed_as_said "$?"\n'
            ],
            [],
            id="fails",
        ),
        pytest.param(
            [command("git push", directive='fails dir="up"')],
            ["runbook_expect_failure; ( runbook_subshell; runbook_enter 'up'\ngit push\n"],
            [],
            id="fails-and-dir",
        ),
        pytest.param(
            [command("git clone <your git repository url>")],
            [
                "[[ -n ${YOUR_GIT_REPOSITORY_URL-} ]] || runbook_missing+=("
                "'YOUR_GIT_REPOSITORY_URL  (<your git repository url>, guide/page.md:4)')\n",
                'git clone "${YOUR_GIT_REPOSITORY_URL}"\n',
            ],
            ["git clone <your git repository url>\n"],
            id="placeholder",
        ),
        pytest.param(
            [
                command("echo <my used value>"),
                command("echo <my skipped value>", directive='skip="x"'),
            ],
            ["runbook_missing+=('MY_USED_VALUE"],
            ["runbook_missing+=('MY_SKIPPED_VALUE", "MY_SKIPPED_VALUE="],
            id="skipped-step-needs-no-value",
        ),
    ],
)
def test_render_script(
    script: Script, parts: list[str], present: list[str], absent: list[str]
) -> None:
    """The script holds each step after a comment naming it, in the form its directive asks."""
    text = script(*parts)
    for expected in present:
        assert expected in text
    for unexpected in absent:
        assert unexpected not in text


def test_checks_come_before_the_first_step(script: Script) -> None:
    """Placeholders are checked after the prologue and before any step."""
    text = script(command("echo <my value>"))
    assert text.index("set -euo pipefail") < text.index("runbook_missing=()")
    assert text.index("exit 2\nfi") < text.index("runbook_begin '")


def test_default_variant_is_the_first(read: Read) -> None:
    """Without a variant the script is the page's first variant."""
    runbook = only_runbook(read(page(TABS)))
    assert render_script(runbook) == render_script(runbook, runbook.variants[0])
    assert "gh repo create" in render_script(runbook)


# The script run by a reader ----------------------------------------------------------------


@pytest.mark.parametrize("fd3", [False, True], ids=["no-descriptor-3", "descriptor-3-open"])
def test_a_reader_sees_each_step_and_no_events(script: Script, tmp_path: Path, fd3: bool) -> None:
    """Run without RUNBOOK_EVENTS, the script names each step on stderr, passes, sends no event."""
    result = run(script(command("echo one"), command("echo two")), tmp_path, fd3=fd3)
    assert (result.returncode, result.stdout) == (0, "one\ntwo\n")
    assert result.stderr == (
        "runbook: step guide/page.md:3\nrunbook: step guide/page.md:7\nrunbook: all steps passed\n"
    )
    assert result.events == []


def test_a_replay_hears_each_step_start_and_end(script: Script, tmp_path: Path) -> None:
    """With RUNBOOK_EVENTS, each step's start and end, then the end of all, go to descriptor 3."""
    result = run(script(command("echo one"), command("echo two")), tmp_path, fd3=True, token=TOKEN)
    assert result.returncode == 0, result.stderr
    assert result.events == [
        f"{TOKEN} start guide/page.md:3",
        f"{TOKEN} end guide/page.md:3",
        f"{TOKEN} start guide/page.md:7",
        f"{TOKEN} end guide/page.md:7",
        f"{TOKEN} finished",
    ]


def test_hostile_values_are_data_in_every_context(script: Script, tmp_path: Path) -> None:
    """A placeholder's value reaches each command verbatim, bare, quoted or in a here-document."""
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "a-file-a-glob-would-find").touch()
    text = script(
        command("printf '[%s]\\n' <my value>"),
        command("printf '[%s]\\n' \"double <my value> quoted\""),
        command("printf '[%s]\\n' 'single <my value> quoted'"),
        command("cat <<EOF\n[here <my value> doc]\nEOF"),
        command("cd \"$HOME\"\nprintf '%s' <my value> > value.txt"),
    )
    result = run(text, tmp_path, MY_VALUE=HOSTILE)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"[{HOSTILE}]\n[double {HOSTILE} quoted]\n[single {HOSTILE} quoted]\n[here {HOSTILE} doc]\n"
    )
    assert (tmp_path / "value.txt").read_text(encoding="utf-8") == HOSTILE
    assert not list(tmp_path.rglob("pwned"))


@pytest.mark.parametrize(
    "values",
    [
        pytest.param({}, id="unset"),
        pytest.param({"YOUR_VALUE": ""}, id="empty"),
        pytest.param({"YOUR_VALUE": "x"}, id="one-of-two-set"),
    ],
)
def test_missing_placeholders_stop_before_any_step(
    script: Script, tmp_path: Path, values: dict[str, str]
) -> None:
    """Without a value the script runs no step, exits 2 and names each variable still to set."""
    text = script(command("touch started"), command("echo <your value> <my value>"))
    result = run(text, tmp_path, fd3=True, token=TOKEN, **values)
    assert result.returncode == 2
    missing = [
        line
        for name, line in [
            ("YOUR_VALUE", "  YOUR_VALUE  (<your value>, guide/page.md:8)\n"),
            ("MY_VALUE", "  MY_VALUE  (<my value>, guide/page.md:8)\n"),
        ]
        if not values.get(name)
    ]
    assert result.stderr == "runbook: set these environment variables first:\n" + "".join(missing)
    assert (result.stdout, result.events) == ("", [])
    assert not (tmp_path / "work" / "started").exists()


@pytest.mark.parametrize(
    ("code", "status", "line"),
    [
        pytest.param("(exit 3)", 3, 8, id="exit-status"),
        pytest.param("ls does-not-exist", 2, 8, id="command-fails"),
        pytest.param("true\nfalse\ntouch after", 1, 9, id="stops-in-the-middle"),
        pytest.param("cd does-not-exist && touch after", 1, 8, id="inside-an-and-list"),
        pytest.param("false | cat", 1, 8, id="pipefail"),
        pytest.param("echo $UNSET_VARIABLE", 1, None, id="nounset"),
        pytest.param("check() { false; touch after; }\ncheck", 1, None, id="in-a-function"),
        pytest.param("exit 5", 5, None, id="exit"),
    ],
)
def test_a_failing_step_stops_the_script_and_is_named(
    script: Script, tmp_path: Path, code: str, status: int, line: int | None
) -> None:
    """A step stops at its first failure, as `set -e` would; the script names it, and the line
    in its block where it failed when bash says, and stops."""
    text = script(command("echo before"), command(code), command("touch next-step"))
    result = run(text, tmp_path, fd3=True, token=TOKEN)
    assert result.returncode == status
    assert result.stdout == "before\n"
    assert result.stderr.splitlines()[-1] == failed("guide/page.md:7", status, line)
    assert result.events == [
        f"{TOKEN} start guide/page.md:3",
        f"{TOKEN} end guide/page.md:3",
        f"{TOKEN} start guide/page.md:7",
    ]
    assert not list((tmp_path / "work").iterdir())


def test_steps_share_one_shell_session(script: Script, tmp_path: Path) -> None:
    """A `cd`, a variable or a function of one step holds in the next: steps are no subshells."""
    text = script(
        command('mkdir -p repo/src\ncd repo\nname=guide\ngreet() { echo "hello $1"; }'),
        command('cd src\necho "$name"'),
        command("pwd\ngreet reader"),
    )
    result = run(text, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"guide\n{tmp_path / 'work' / 'repo' / 'src'}\nhello reader\n"


@pytest.mark.parametrize(
    ("weaken", "code"),
    [
        pytest.param("set +e", "false\ntouch after", id="errexit"),
        pytest.param("set +o pipefail", "false | cat\ntouch after", id="pipefail"),
        pytest.param("trap - ERR", "false\ntouch after", id="err-trap"),
        pytest.param("set +u", 'echo "$UNSET_VARIABLE"\ntouch after', id="nounset"),
    ],
)
def test_each_step_runs_as_strictly_as_the_first(
    script: Script, tmp_path: Path, weaken: str, code: str
) -> None:
    """A step that loosens the shell's options does not loosen the next: it fails as it would
    have as the page's first step."""
    result = run(script(command(weaken), command(code)), tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] in (
        failed("guide/page.md:7", 1, 8),
        failed("guide/page.md:7", 1),  # the unset variable ends bash without the ERR trap
    )
    assert not (tmp_path / "work" / "after").exists()


def test_dir_runs_there_without_moving_the_session(script: Script, tmp_path: Path) -> None:
    """`dir` runs a block in a folder relative to the start, made if missing; the session stays."""
    text = script(
        command("mkdir repo\ncd repo"),
        command("pwd\nmkdir deeper\ncd deeper\nteammate=yes", directive='dir="../teammate"'),
        command('pwd\necho "${teammate:-unset}"'),
    )
    result = run(text, tmp_path, fd3=True, token=TOKEN)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{tmp_path / 'teammate'}\n{tmp_path / 'work' / 'repo'}\nunset\n"
    assert (tmp_path / "teammate" / "deeper").is_dir()
    assert result.events[-1] == f"{TOKEN} finished"


def test_a_failing_step_in_dir_is_named(script: Script, tmp_path: Path) -> None:
    """A step that fails in its `dir` is reported like any other, at its line."""
    result = run(script(command("(exit 4)", directive='dir="elsewhere"')), tmp_path)
    assert result.returncode == 4
    assert result.stderr.splitlines()[-1] == failed("guide/page.md:4", 4, 5)


@pytest.mark.parametrize(
    "directive", [pytest.param("fails", id="fails"), pytest.param('fails dir="x"', id="in-dir")]
)
def test_fails_passes_when_the_block_fails(script: Script, tmp_path: Path, directive: str) -> None:
    """A block marked `fails` fails by itself, and the script goes on."""
    text = script(command("ls not-there", directive=directive), command("echo went on"))
    result = run(text, tmp_path, fd3=True, token=TOKEN)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "went on\n"
    assert f"{TOKEN} end guide/page.md:4" in result.events
    assert result.events[-1] == f"{TOKEN} finished"


def test_fails_stops_the_script_when_the_block_succeeds(script: Script, tmp_path: Path) -> None:
    """A block marked `fails` that succeeds stops the script and says so."""
    text = script(command("true", directive="fails"), command("touch next-step"))
    result = run(text, tmp_path, fd3=True, token=TOKEN)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "runbook: step guide/page.md:4 succeeded but the page says it fails"
    )
    assert result.events == [f"{TOKEN} start guide/page.md:4"]
    assert not (tmp_path / "work" / "next-step").exists()


def test_skip_leaves_the_block_out(script: Script, tmp_path: Path) -> None:
    """A skipped block does not run; the script keeps it as a comment with the reason."""
    text = script(
        command("touch skipped", directive='skip="done in the web UI"'), command("echo ran")
    )
    assert "# guide/page.md:4 (skipped: done in the web UI)\n# touch skipped\n" in text
    result = run(text, tmp_path, fd3=True, token=TOKEN)
    assert (result.returncode, result.stdout) == (0, "ran\n")
    assert not (tmp_path / "work" / "skipped").exists()
    assert result.events == [
        f"{TOKEN} start guide/page.md:8",
        f"{TOKEN} end guide/page.md:8",
        f"{TOKEN} finished",
    ]


# Descriptor 3 belongs to the script --------------------------------------------------------


@pytest.mark.parametrize(
    ("fd3", "token"),
    [
        pytest.param(False, "", id="reader"),
        pytest.param(True, "", id="descriptor-3-open"),
        pytest.param(True, TOKEN, id="replay"),
    ],
)
@pytest.mark.parametrize(
    "directive", [pytest.param(None, id="step"), pytest.param('dir="x"', id="in-dir")]
)
def test_a_step_cannot_write_to_descriptor_3(
    script: Script, tmp_path: Path, fd3: bool, token: str, directive: str | None
) -> None:
    """A step writing to descriptor 3 fails as a bad descriptor, whatever RUNBOOK_EVENTS is."""
    at = f"guide/page.md:{8 if directive else 7}"
    text = script(command("true"), command(f"echo '{TOKEN} end {at}' >&3", directive=directive))
    result = run(text, tmp_path, fd3=fd3, token=token)
    assert result.returncode == 1
    assert "Bad file descriptor" in result.stderr
    assert result.stderr.splitlines()[-1] == failed(at, 1, 9 if directive else 8)
    real = [f"{TOKEN} start guide/page.md:3", f"{TOKEN} end guide/page.md:3", f"{TOKEN} start {at}"]
    assert result.events == (real if token else [])


def test_a_steps_own_descriptor_3_does_not_break_later_events(
    script: Script, tmp_path: Path
) -> None:
    """A step that opens descriptor 3 for itself gets it; later steps' events still arrive."""
    text = script(
        command("exec 3>mine.txt\necho mine >&3"),
        command("echo two"),
        command("echo three"),
    )
    result = run(text, tmp_path, fd3=True, token=TOKEN)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "work" / "mine.txt").read_text(encoding="utf-8") == "mine\n"
    assert result.events == [
        f"{TOKEN} {kind} guide/page.md:{line}" for line in (3, 8, 12) for kind in ("start", "end")
    ] + [f"{TOKEN} finished"]


def test_the_events_token_is_not_passed_on(script: Script, tmp_path: Path) -> None:
    """The script unsets RUNBOOK_EVENTS: a step does not find it, nor do the programs it runs."""
    text = script(
        command(f'echo "${{RUNBOOK_EVENTS-unset}}"\nbash -c \'env | grep -c "$0" || :\' {TOKEN}')
    )
    result = run(text, tmp_path, fd3=True, token=TOKEN)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "unset\n0\n"


# Pages as they come --------------------------------------------------------------------------


def test_page_paths_with_spaces(script: Script, tmp_path: Path) -> None:
    """A page whose path has spaces gets its steps named, counted and reported like any other."""
    text = script(command("echo one"), command("false"), path="my guide/a page.md")
    assert "runbook_begin 'my guide/a page.md:7' \"$LINENO\" 1\n" in text
    result = run(text, tmp_path, fd3=True, token=TOKEN)
    assert result.returncode == 1
    # In a replay the marker of each step's stderr carries the run's token.
    assert result.stderr.splitlines() == [
        f"{TOKEN} step my guide/a page.md:3",
        f"{TOKEN} step my guide/a page.md:7",
        failed("my guide/a page.md:7", 1, 8),
    ]
    assert result.events == [
        f"{TOKEN} start my guide/a page.md:3",
        f"{TOKEN} end my guide/a page.md:3",
        f"{TOKEN} start my guide/a page.md:7",
    ]


TRICKY_START = [
    "top level",
    "after a blank line in the code",
    "in an ordered list item",
    "in an admonition in a list item",
]
TRICKY_MIDDLE = [
    "after a directive and blank lines",
    "shown although a comment opened before it",
    "in a second terminal",
    "language and title in braces",
    "with line numbers",
    "````",
    "```",
]
GITHUB = ["github in a tilde fence", "```", "~~~"]


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        pytest.param(
            "GitHub, pip",
            [
                *TRICKY_START,
                *GITHUB,
                *TRICKY_MIDDLE,
                "github pip",
                "a new tab set with a linked label",
                "after an unclosed comment",
            ],
            id="github-pip",
        ),
        pytest.param(
            "GitHub, uv",
            [
                *TRICKY_START,
                *GITHUB,
                *TRICKY_MIDDLE,
                "github uv",
                "a new tab set with a linked label",
                "after an unclosed comment",
            ],
            id="github-uv",
        ),
        pytest.param(
            "GitLab",
            [
                *TRICKY_START,
                "gitlab in a long fence",
                "```sh",
                *TRICKY_MIDDLE,
                "gitlab",
                "after an unclosed comment",
            ],
            id="gitlab",
        ),
    ],
)
def test_tricky_page_runs(read: Read, tmp_path: Path, variant: str, expected: list[str]) -> None:
    """Each variant of the tricky page runs exactly the commands that variant shows."""
    text = (PROJECT / "tests" / "pages" / "tricky-nesting.md").read_text(encoding="utf-8")
    runbook = only_runbook(read(text, "tricky-nesting.md"))
    assert [v.name for v in runbook.variants] == ["GitHub, pip", "GitHub, uv", "GitLab"]
    result = run(render_script(runbook, runbook.variant(variant)), tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == expected
    assert (tmp_path / "work" / "elsewhere").is_dir()
    (written,) = (tmp_path / "work").rglob(".gitignore")
    assert written.read_text(encoding="utf-8") == "*.pyc\n"


def test_a_block_of_comments_only_is_a_valid_step(script: Script, tmp_path: Path) -> None:
    """A command block holding only comments runs (nothing), instead of breaking the script."""
    text = script(command("# Nothing to do on Linux"), command("touch after"))
    result = run(text, tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "work" / "after").exists()


@pytest.mark.parametrize(
    ("code", "status"),
    [
        pytest.param("git-psuh origin main", 127, id="command-not-found"),
        pytest.param("./not-executable", 126, id="cannot-run"),
        pytest.param(". ./ends-early.sh", 125, id="ends-early"),
    ],
)
def test_fails_takes_only_the_blocks_own_failure(
    script: Script, tmp_path: Path, code: str, status: int
) -> None:
    """A block marked `fails` must fail by itself: a command that is not found or cannot run,
    or a block that ends before its last line, stops the script."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "not-executable").write_text("true\n", encoding="utf-8")
    (work / "ends-early.sh").write_text("exit 0\n", encoding="utf-8")
    text = script(command(code, directive="fails"), command("touch next-step"))
    result = run(text, tmp_path, fd3=True, token=TOKEN)
    assert result.returncode == status
    assert f"failed, but not as the page says: exit status {status}" in result.stderr
    assert not (work / "next-step").exists()


def test_a_dir_block_that_ends_early_fails(script: Script, tmp_path: Path) -> None:
    """A block run in another folder that ends before its last line fails its step."""
    work = tmp_path / "work"
    (work / "there").mkdir(parents=True)
    (work / "there" / "install.sh").write_text("exit 0\n", encoding="utf-8")
    text = script(command(". ./install.sh\ntouch never", directive='dir="there"'))
    result = run(text, tmp_path, fd3=True, token=TOKEN)
    assert result.returncode == 125
    assert "runbook: step guide/page.md:4 ended before its last line" in result.stderr
    assert not (work / "there" / "never").exists()


# A failure inside a step fails the step -------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "line"),
    [
        pytest.param("cd missing && touch built\necho done", 8, id="and-list-mid-step"),
        pytest.param("false && cd g && git log\ntrue", 8, id="and-list-of-three"),
        pytest.param("[ -d . ] && cd missing && touch built", 8, id="after-a-condition"),
        pytest.param("true\n! true\necho never", 9, id="negated"),
        pytest.param("false || false && echo x\ntrue", 8, id="or-then-and"),
        pytest.param("cat <<EOF && false\nbody\nEOF\necho done", 8, id="with-a-here-document"),
        pytest.param("true &&\n  false\necho done", 9, id="over-two-lines"),
        pytest.param(
            "mkdir tests && printf 'exit 1' > tests/check.sh && chmod +x tests/check.sh\n"
            "tests/check.sh && touch built",
            9,
            id="a-command-named-like-a-test",
        ),
        pytest.param(
            "hashed() { false; }\nhashed && touch built\necho done", 9, id="hashed-is-no-hash"
        ),
    ],
)
def test_a_failed_command_inside_a_list_fails_the_step(
    script: Script, tmp_path: Path, code: str, line: int
) -> None:
    """A command of a top-level `&&` list that fails, or a `!` pipeline that succeeds, stops the
    step at its line, though bash's `set -e` would go on."""
    result = run(script(command("echo before"), command(code), command("touch next")), tmp_path)
    assert result.returncode != 0
    assert result.stderr.splitlines()[-1].startswith(
        f"runbook: step guide/page.md:7 failed at line {line} with exit status"
    )
    assert not (tmp_path / "work" / "next").exists()
    assert not (tmp_path / "work" / "built").exists()


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("[ -f missing ] && rm missing", id="a-condition-that-fails"),
        pytest.param("test -d missing && echo never", id="test"),
        pytest.param("command -v no-such-tool && no-such-tool", id="command-v"),
        pytest.param("false || echo tolerated", id="or"),
        pytest.param("false && echo x || echo handled", id="and-then-or"),
        pytest.param("! false", id="negated-failure"),
        pytest.param("if false && true; then echo no; fi", id="a-condition-of-if"),
        pytest.param("for x in 1; do false && true; done; true", id="in-a-loop"),
        pytest.param("set +e\nfalse\ntrue", id="set-plus-e"),
        pytest.param("echo 'a && false'", id="quoted"),
        pytest.param("false && true &\nwait || true", id="in-the-background"),
    ],
)
def test_what_the_author_lets_fail_does_not_fail_the_step(
    script: Script, tmp_path: Path, code: str
) -> None:
    """A test's failure, an `||`, a condition, a step's own `set +e`: the author says a failure
    is fine there, and the step passes."""
    result = run(script(command(code), command("touch next")), tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "work" / "next").exists()


def test_a_failed_list_in_dir_fails_the_step(script: Script, tmp_path: Path) -> None:
    """`dir=` runs the block in a subshell: its failed `&&` list fails the step too."""
    text = script(command("false && cd g && git log", directive='dir="there"'))
    result = run(text, tmp_path)
    assert result.returncode == 1
    assert "runbook: step guide/page.md:4 failed at line 5 with exit status 1" in result.stderr


def test_a_failed_command_in_the_middle_of_a_dir_step_fails_it(
    script: Script, tmp_path: Path
) -> None:
    """`dir=` runs the block in a subshell, which stops at a failed command as the page's other
    steps do, though the step's last command would succeed."""
    text = script(command("false\ntouch ran-after-false", directive='dir="there"'))
    result = run(text, tmp_path)
    assert result.returncode == 1
    assert "runbook: step guide/page.md:4 failed at line 5 with exit status 1" in result.stderr
    assert not (tmp_path / "work" / "there" / "ran-after-false").exists()


def test_fails_takes_one_list_and_its_own_failure(script: Script, tmp_path: Path) -> None:
    """`fails` passes when its one list fails, though bash would go on after `cd missing`."""
    result = run(script(command("cd /nonexistent && echo in", directive="fails")), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "in" not in result.stdout


def test_extglob_and_aliases_work_as_in_a_terminal(script: Script, tmp_path: Path) -> None:
    """Extended globs parse as the build's check parses them, and an alias a step defines works
    in the next steps, as in a reader's terminal."""
    result = run(
        script(
            command("touch a b\nshopt -s extglob\nls !(a)"),
            command("alias say='echo said'"),
            command("say it"),
        ),
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "b\nsaid it\n"


def test_a_page_name_cannot_inject_commands(read: Read, tmp_path: Path) -> None:
    """A page named with a newline and a command (`nl⏎touch PWNED #.md`) reaches the script's
    comments escaped, and its quoted strings as data: nothing of the name runs."""
    path = "nl\ntouch PWNED #.md"
    runbook = only_runbook(read(page(command("echo ran")), path))
    text = render_script(runbook)
    assert "# The steps of nl\\ntouch PWNED #.md, in reading order" in text
    assert "\n# nl\\ntouch PWNED #.md:3\n" in text
    result = run(text, tmp_path)
    assert (result.returncode, result.stdout) == (0, "ran\n")
    assert not list(tmp_path.rglob("PWNED"))
