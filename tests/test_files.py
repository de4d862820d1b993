"""File blocks: on a page with commands, a block titled with a path writes that file, exactly."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conftest import Guide, assert_replayed, only_runbook
from helpers import command, page
from runbook.reading.pages import PageReading
from runbook.replaying.script import render_script

Read = Callable[..., PageReading]


def file_block(title: str, text: str, lang: str = "txt", directive: str | None = None) -> str:
    """A block as the guide shows a file: titled with its path."""
    before = f"<!-- runbook: {directive} -->\n" if directive else ""
    return f'{before}```{lang} title="{title}"\n{text}\n```\n'


@pytest.mark.parametrize(
    ("title", "written"),
    [
        pytest.param("requirements.txt", "requirements.txt", id="name"),
        pytest.param("src/train.py", "src/train.py", id="in-a-folder"),
        pytest.param(".github/workflows/mlops.yaml", ".github/workflows/mlops.yaml", id="dotdir"),
        pytest.param("docker/Dockerfile", "docker/Dockerfile", id="folder-no-extension"),
        pytest.param("Dockerfile", "Dockerfile", id="known-name"),
        pytest.param(".gitignore", ".gitignore", id="dotfile"),
        pytest.param("~/.kube/config", "~/.kube/config", id="home"),
        pytest.param("./src/../params.yaml", "params.yaml", id="normalised"),
        pytest.param("Directives", None, id="a-word"),
        pytest.param("A take-over section", None, id="words"),
        pytest.param("mkdocs.yml: states and test values", None, id="a-path-and-words"),
        pytest.param("tests/test_x.py (excerpt)", None, id="a-path-and-a-note"),
        pytest.param("e.g.", None, id="an-abbreviation"),
        pytest.param("Output", None, id="output"),
    ],
)
def test_which_titles_are_files(read: Read, title: str, written: str | None) -> None:
    """A title that is one path-like word with a folder, an extension or a known name is a file;
    words are not."""
    runbook = only_runbook(read(page(command("true"), file_block(title, "content"))))
    files = [step.file for step in runbook.steps if step.kind == "file"]
    assert files == ([written] if written else [])


@pytest.mark.parametrize("lang", ["diff", "patch"])
def test_a_change_titled_with_its_file_is_no_file(read: Read, lang: str) -> None:
    """A `diff` titled `params.yaml` shows what changed in the file: writing it would replace
    the file with its diff."""
    shown = "-  seed: 1\n+  seed: 2"
    runbook = only_runbook(read(page(command("true"), file_block("params.yaml", shown, lang))))
    assert [step.kind for step in runbook.steps] == ["command"]


def test_a_page_without_commands_writes_no_file(read: Read) -> None:
    """File blocks are steps only on a page that has commands: elsewhere they only show a file."""
    runbook = only_runbook(read(page(file_block("mkdocs.yml", "site_name: x", "yaml"))))
    assert runbook.steps == ()


def test_file_steps_run_in_reading_order_with_commands(read: Read) -> None:
    """A file step takes its place among the commands, and lists as what it writes."""
    runbook = only_runbook(
        read(page(command("mkdir src"), file_block("src/a.py", "print(1)", "py"), command("ls")))
    )
    assert [(step.kind, step.command) for step in runbook.steps] == [
        ("command", "mkdir src"),
        ("file", "write src/a.py"),
        ("command", "ls"),
    ]


@pytest.mark.parametrize(
    ("title", "message"),
    [
        pytest.param("/etc/hosts", "/etc/hosts is an absolute path", id="absolute"),
        pytest.param("../outside.txt", "../outside.txt leaves the folder", id="up"),
        pytest.param("a/../../x.txt", "a/../../x.txt leaves the folder", id="up-inside"),
        pytest.param("~/../x.txt", "~/../x.txt leaves the folder", id="up-from-home"),
        pytest.param("~other/x.txt", "write a file in your own home", id="other-home"),
    ],
)
def test_a_file_outside_the_readers_folder_is_an_error(
    read: Read, title: str, message: str
) -> None:
    """A file block writes in the reader's folder or home; elsewhere is an error at its line."""
    errors = read(page(command("true"), file_block(title, "x")), "p.md").errors
    assert [(error.path, error.line) for error in errors] == [("p.md", 7)]
    assert message in errors[0].message


def test_an_excerpt_is_shown_and_not_written(read: Read) -> None:
    """`excerpt` marks a block that shows part of a file: it is listed, and never written."""
    text = page(
        command("true"),
        file_block("/etc/hosts", "127.0.0.1 localhost", directive="excerpt"),
        file_block("src/train.py", "...", "py", directive="excerpt"),
    )
    runbook = only_runbook(read(text))
    assert [step.skip for step in runbook.steps[1:]] == ["an excerpt: the file is not written"] * 2
    script = render_script(runbook)
    assert "runbook_write" not in script
    assert "# page.md:8 (writes /etc/hosts) (skipped: an excerpt" in script


@pytest.mark.parametrize("directive", ["fails", "timeout=5", "background", 'ready="127.0.0.1:1"'])
def test_directives_of_commands_are_errors_on_files(read: Read, directive: str) -> None:
    """A file is written: what says how a command runs is an error before its block."""
    errors = read(page(command("true"), file_block("a.txt", "x", directive=directive))).errors
    assert [error.line for error in errors] == [7]
    assert "is for a command" in errors[0].message


def test_a_file_shown_twice_is_written_twice(guide: Callable[..., Guide]) -> None:
    """A chapter changes a file by showing it whole again: the later block wins, as written."""
    replayed = guide(
        {
            "page.md": page(
                command("mkdir work && cd work"),
                file_block("requirements.txt", "dvc==3.0.0"),
                command("cat requirements.txt"),
                file_block("requirements.txt", "dvc==3.0.0\nbentoml==1.2.0"),
                command("cat requirements.txt"),
            )
        }
    ).replay("page.md")
    assert_replayed(replayed)
    first, second = (run.printed for run in replayed.result.steps[2::2])
    assert (first, second) == ("dvc==3.0.0\n", "dvc==3.0.0\nbentoml==1.2.0\n")


# Nothing of a file's text is read as shell: quotes, expansions, backslashes, a line that is the
# script's own here-document delimiter, tabs, trailing blanks and characters from everywhere.
ODD = (
    "name = \"$HOME\" 'single' `date` $(touch pwned) ${x:-y} \\n \\\\\n"
    "RUNBOOK_FILE\n"
    "\tindented with a tab   \n"
    "\n"
    "unicode: é ü ✓ 日本\n"
    "EOF"
)


def test_a_file_gets_exactly_the_text_shown(guide: Callable[..., Guide]) -> None:
    """The file holds the block's text as shown, byte for byte, with one final newline (Markdown
    shows a tab as spaces); its folders are made; `~/` is the sandbox's HOME."""
    replayed = guide(
        {
            "page.md": page(
                command("true"),
                file_block("deep/er/odd.txt", ODD),
                file_block("~/.config/tool/settings.toml", "key = 1", "toml"),
            )
        }
    ).replay("page.md")
    assert_replayed(replayed)
    project, home = replayed.sandbox.workdir, replayed.sandbox.home
    assert (project / "deep" / "er" / "odd.txt").read_bytes() == (ODD.expandtabs(4) + "\n").encode()
    assert (home / ".config" / "tool" / "settings.toml").read_text() == "key = 1\n"
    assert not list(replayed.sandbox.root.rglob("pwned"))


def test_a_file_is_written_in_the_current_folder(guide: Callable[..., Guide]) -> None:
    """As a reader's editor does, a file block writes where the reader's terminal is."""
    replayed = guide(
        {"page.md": page(command("mkdir -p app && cd app"), file_block("main.py", "x = 1", "py"))}
    ).replay("page.md")
    assert_replayed(replayed)
    assert (replayed.sandbox.workdir / "app" / "main.py").read_text() == "x = 1\n"


# Placeholders in files ------------------------------------------------------------------------

DOCKERFILE = "FROM ghcr.io/<my_username>/<my_repository_name>/base\nLABEL by=<my_username>"


def test_a_placeholder_in_a_file_and_a_command_is_one_value(
    read: Read, guide: Callable[..., Guide]
) -> None:
    """`<my_username>` that the page's commands ask for is filled in the file too, with the same
    value; bash never reads it as a redirection."""
    text = "---\nrunbook:\n  values:\n    MY_USERNAME: a&b/c\\d\n    MY_REPOSITORY_NAME: r\n---\n"
    text += page(
        "Replace `<my_username>` and `<my_repository_name>` with your own.",
        file_block("docker/Dockerfile", DOCKERFILE, "dockerfile"),
        command("echo ghcr.io/<my_username>/<my_repository_name>/runner"),
    )
    runbook = only_runbook(read(text))
    assert [p.name for p in runbook.steps[0].placeholders] == [
        "MY_USERNAME",
        "MY_REPOSITORY_NAME",
        "MY_USERNAME",
    ]
    replayed = guide({"page.md": text}).replay("page.md")
    assert_replayed(replayed)
    written = (replayed.sandbox.workdir / "docker" / "Dockerfile").read_text()
    assert written == "FROM ghcr.io/a&b/c\\d/r/base\nLABEL by=a&b/c\\d\n"
    assert replayed.result.steps[1].printed == "ghcr.io/a&b/c\\d/r/runner\n"


def test_a_marker_a_command_replaces_stays_literal_in_the_file(
    guide: Callable[..., Guide],
) -> None:
    """A file holding `<docker_image>` that a command replaces with `sed` keeps the marker, and
    the command replaces it with the page's variable."""
    replayed = guide(
        {
            "page.md": page(
                command("export IMAGE=ghcr.io/me/model:1"),
                file_block("kubernetes/deployment.yaml", "image: <docker_image>", "yaml"),
                command("cp kubernetes/deployment.yaml before.yaml"),
                command('sed -i "s|<docker_image>|$IMAGE|g" kubernetes/deployment.yaml'),
            )
        }
    ).replay("page.md")
    assert_replayed(replayed)
    project = replayed.sandbox.workdir
    assert (project / "before.yaml").read_text() == "image: <docker_image>\n"
    assert (project / "kubernetes" / "deployment.yaml").read_text() == "image: ghcr.io/me/model:1\n"


def test_a_marker_an_expansion_replaces_stays_literal(read: Read) -> None:
    """`${text//<marker>/...}` replaces a marker too: it stays literal, and the page builds."""
    runbook = only_runbook(
        read(
            page(
                command("export IMAGE=x"),
                file_block("deployment.yaml", "image: <docker_image>", "yaml"),
                command('text=$(cat deployment.yaml)\necho "${text//<docker_image>/$IMAGE}"'),
            )
        )
    )
    assert [step.placeholders for step in runbook.steps] == [(), (), ()]


def test_markup_in_a_file_is_text(read: Read) -> None:
    """A `<...>` in a file that no command asks for (an HTML tag, say) is the file's text."""
    runbook = only_runbook(
        read(page(command("true"), file_block("index.html", "<my-widget>hi</my-widget>", "html")))
    )
    assert runbook.steps[1].placeholders == ()
