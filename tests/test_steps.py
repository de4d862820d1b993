"""A page's runbook: which shown blocks are steps, with what directives, in which variants."""

from __future__ import annotations

import traceback
from collections.abc import Callable

import pytest
from hypothesis import given
from mkdocs.config.defaults import MkDocsConfig

from conftest import only_runbook
from helpers import TITLE, command, page
from runbook.adapters.plugin import selection_of
from runbook.reading.crosscheck import check_page
from runbook.reading.pages import PageReading, read_markdown
from runbook.reading.selection import COMMAND_TITLE, Selection
from runbook.reading.titles import Title, missed_title
from strategies import pages

Read = Callable[..., PageReading]


def steps_of(read: Read, text: str) -> list[str]:
    return [step.code for step in only_runbook(read(text)).steps]


def errors_of(read: Read, text: str) -> list[tuple[int, str]]:
    return [(error.line, error.message) for error in read(text).errors]


@pytest.mark.parametrize(
    ("header", "runs"),
    [
        pytest.param(f'sh title="{TITLE}"', True, id="sh"),
        pytest.param(f'bash title="{TITLE}"', True, id="bash"),
        pytest.param(f'shell title="{TITLE}"', True, id="shell"),
        pytest.param(f'{{ .sh title="{TITLE}" }}', True, id="braces"),
        pytest.param(f'sh title="{TITLE}" hl_lines="1"', True, id="with-options"),
        pytest.param('sh title=".gitignore"', False, id="file"),
        pytest.param("sh", False, id="no-title"),
        pytest.param(
            'sh title="Execute the following command(s) in a second terminal"',
            True,
            id="second-terminal",
        ),
        pytest.param('sh title="Commands for a new terminal"', False, id="other"),
    ],
)
def test_which_blocks_are_steps(header: str, runs: bool, read: Read) -> None:
    """A block runs when its language is a shell's and its title is the command title."""
    assert steps_of(read, page(f"```{header}\necho x\n```")) == (["echo x"] if runs else [])


def test_selection_is_configurable() -> None:
    """The languages and the title pattern are options; the title must match whole."""
    selection = Selection(("bash",), "Run th(is|at)")
    assert selection.selects("bash", "Run this")
    assert not selection.selects("sh", "Run this")
    assert not selection.selects("bash", "Run this now")


@pytest.mark.parametrize(
    ("header", "message"),
    [
        pytest.param(f'Bash title="{TITLE}"', "write its language 'Bash' as 'bash'", id="Bash"),
        pytest.param(f'SH title="{TITLE}"', "write its language 'SH' as 'sh'", id="SH"),
        pytest.param(
            'sh title="execute the following command(s) in a terminal"',
            f"differs from {TITLE!r} only in case, spacing or punctuation: write it so",
            id="title-case",
        ),
        pytest.param(
            'sh title="Execute the following  command(s) in a  terminal"',
            f"differs from {TITLE!r} only in case, spacing or punctuation",
            id="title-spacing",
        ),
        pytest.param(
            'sh title="Execute the following commands in a terminal:"',
            f"differs from {TITLE!r} only in case, spacing or punctuation",
            id="title-punctuation",
        ),
        pytest.param(
            'sh title="Execute the folowing command(s) in a terminal"',
            f"differs from {TITLE!r} only in a letter or two: write it so",
            id="title-letter-missing",
        ),
        pytest.param(
            'sh title="Exectue the following command(s) in a terminal"',
            f"differs from {TITLE!r} only in a letter or two",
            id="title-letters-swapped",
        ),
        pytest.param(
            'sh title="Execute the following command in a terminal"',
            f"differs from {TITLE!r} only in a letter or two",
            id="title-singular",
        ),
        pytest.param(
            'sh title="Execute th\u0435 following command(s) in a terminal"',
            f"only looks like {TITLE!r}: '\u0435' (CYRILLIC SMALL LETTER IE) stands where that has "
            "Latin letters",
            id="title-cyrillic-e",
        ),
        pytest.param(
            'bash title="\uff25xecute the following command(s) in a terminal"',
            "'\uff25' (FULLWIDTH LATIN CAPITAL LETTER E) stands where",
            id="title-fullwidth-e",
        ),
        pytest.param(
            'bash title="Execute the following c\u043emmand(s) \u0456n a terminal"',
            "'\u043e' (CYRILLIC SMALL LETTER O), '\u0456' (CYRILLIC SMALL LETTER "
            "BYELORUSSIAN-UKRAINIAN I) stand where",
            id="title-two-lookalikes",
        ),
        *(
            pytest.param(
                f'sh title="Execute the following command(s) in {where}"',
                f"starts as {TITLE!r} does, but no step has it",
                id=f"title-{where.replace(' ', '-')}",
            )
            for where in ("a new terminal", "the first terminal", "a terminal (macOS)")
        ),
        pytest.param(
            f'zsh title="{TITLE}"',
            "zsh reads code otherwise than bash (a glob in `pip install dvc[s3]`, arrays from 1), "
            "and the replay runs steps with bash: write it for bash, as an `sh` block",
            id="zsh",
        ),
        pytest.param(f'fish title="{TITLE}"', "fish is no POSIX shell", id="fish"),
        pytest.param(f'text title="{TITLE}"', "its language text is no shell's", id="text"),
        pytest.param(
            f'console title="{TITLE}"', "its language console is no shell's", id="console"
        ),
        pytest.param(f'python title="{TITLE}"', "its language python is no shell's", id="python"),
        pytest.param(f'title="{TITLE}"', "its language (none) is no shell's", id="no-language"),
    ],
)
def test_near_misses_are_errors_at_their_line(header: str, message: str, read: Read) -> None:
    """A block a reader cannot tell from a step, yet no step, is an error saying what to fix."""
    ((line, said),) = errors_of(read, page(f"```{header}\necho x\n```"))
    assert line == 3
    assert message in said
    assert said.startswith("this block looks like a command but does not run")


SECOND = Title.of(r"Execute the following command\(s\) in a (?:second|separate) terminal")
SECOND_TEXT = "Execute the following command(s) in a second terminal"


@pytest.mark.parametrize(
    ("written", "nearest"),
    [
        pytest.param(TITLE, None, id="the-title"),
        pytest.param("Execute the following command(s) in a separate terminal", None, id="other"),
        pytest.param("Execute the following command(s) in a secnd terminal", 1, id="second"),
        pytest.param("Execute the following command(s) in a termnal", 0, id="first"),
        # Words of its own after a title's start: a reader runs it all the same.
        pytest.param("Execute the following commands in a new terminal", 0, id="a-word-more"),
        pytest.param("requirements.txt", None, id="a-file"),
    ],
)
def test_a_near_miss_is_measured_against_every_title(written: str, nearest: int | None) -> None:
    """With several titles a step may have, a title comes near the one it imitates; one that a
    title's pattern matches is no miss; one that starts as a title does and ends otherwise is one
    (a reader runs it all the same). A title whose pattern
    is no plain text is compared only in case and spacing."""
    first = Title.of(COMMAND_TITLE)
    assert SECOND.text is None  # a regex: compared loosely only
    titles = [first, Title(SECOND.pattern, SECOND_TEXT)]
    missed = missed_title(written, titles)
    assert (titles.index(missed.title) if missed else None) == nearest
    assert missed_title("EXECUTE THE FOLLOWING COMMAND(S) IN A SEPARATE TERMINAL", [SECOND])


def test_a_near_miss_marked_skip_is_no_error(read: Read) -> None:
    """An author who means a block titled as a command not to run says so with `skip`."""
    text = page(command("print('hello')", lang="python", directive='skip="typed in Python"'))
    assert errors_of(read, text) == []
    assert steps_of(read, text) == []


def test_a_fence_whose_closing_line_went_missing_is_an_error(read: Read) -> None:
    """Without its closing line, a block takes the next block's as its own, and the command
    between shows as text: an error at the line that would have opened it."""
    text = page(command("echo one"), '```sh title="x"\necho not closed', command("echo two"))
    assert errors_of(read, text) == [
        (
            10,
            "this line would open a command block, but it is inside the code block opened at "
            "line 7, whose closing line must have gone missing",
        )
    ]


def test_a_fence_that_never_closes_is_an_error(read: Read) -> None:
    """A fence left open hides every command after it as text: an error at its line."""
    text = page(command("echo one"), '```sh title="x"\necho never closed')
    assert errors_of(read, text) == [
        (
            7,
            "this code block is never closed (no line ``` after it): it and the rest of the "
            "page show as text",
        )
    ]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            page(
                "An example of a directive:", '    <!-- runbook: skip="no" -->', command("echo x")
            ),
            id="in-indented-code",
        ),
        pytest.param(page('> <!-- runbook: skip="no" -->', command("echo x")), id="in-a-quote"),
    ],
)
def test_a_directive_must_stand_as_its_block_does(text: str, read: Read) -> None:
    """A directive in a container its block is not in (or shown as code) is an error, not
    silently applied."""
    ((_, message),) = errors_of(read, text)
    assert message.startswith("runbook directive is not at the indentation of the code block")


def test_hidden_near_misses_are_no_error(read: Read) -> None:
    """A near miss in an HTML comment is not shown: nothing to say about it."""
    assert errors_of(read, page(f'<!--\n```Bash title="{TITLE}"\necho x\n```\n-->')) == []


def test_steps_in_page_order_with_locations(read: Read) -> None:
    """Steps keep page order and the page line of their opening fence, front matter counted."""
    text = "---\ntitle: T\n---\n" + page(command("echo one"), "Prose.", command("echo two"))
    runbook = only_runbook(read(text, "guide/p.md"))
    assert [(s.location, s.code) for s in runbook.steps] == [
        ("guide/p.md:6", "echo one"),
        ("guide/p.md:12", "echo two"),
    ]


@pytest.mark.parametrize(
    ("directive", "expected"),
    [
        pytest.param('skip="done in the web UI"', {"skip": "done in the web UI"}, id="skip"),
        pytest.param("skip='single quotes'", {"skip": "single quotes"}, id="skip-single-quotes"),
        pytest.param('dir="../teammate"', {"dir": "../teammate"}, id="dir"),
        pytest.param("dir=plain", {"dir": "plain"}, id="dir-unquoted"),
        pytest.param("fails", {"fails": True}, id="fails"),
        pytest.param("timeout=2.5", {"timeout": 2.5}, id="timeout"),
        pytest.param("take-over", {"take_over": True}, id="take-over"),
        pytest.param(
            'dir="x" fails  timeout=5', {"dir": "x", "fails": True, "timeout": 5.0}, id="three"
        ),
    ],
)
def test_directives(directive: str, expected: dict[str, object], read: Read) -> None:
    """Each directive sets what it says on the step after it, and nothing else."""
    (step,) = only_runbook(read(page(command("true", directive=directive)))).steps
    defaults = {"skip": None, "dir": None, "fails": False, "timeout": None, "take_over": False}
    assert {key: getattr(step, key) for key in defaults} == {**defaults, **expected}


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        pytest.param(page(command("x", directive="skip")), 3, "skip needs a reason", id="skip"),
        pytest.param(page(command("x", directive='dir=""')), 3, "dir needs a directory", id="dir"),
        pytest.param(page(command("x", directive="fails=yes")), 3, "fails takes no", id="fails"),
        pytest.param(page(command("x", directive="timeout=0")), 3, "timeout needs", id="zero"),
        pytest.param(page(command("x", directive="timeout=inf")), 3, "timeout needs", id="inf"),
        pytest.param(page(command("x", directive="timeout=nan")), 3, "timeout needs", id="nan"),
        pytest.param(page(command("x", directive="retry=3")), 3, "unknown runbook", id="unknown"),
        pytest.param(page(command("x", directive='skip="x')), 3, "cannot read", id="quote"),
        pytest.param(
            page(command("x", directive="fails", title=".gitignore")),
            3,
            "runbook directive before a block that is not a command",
            id="before-a-file-block",
        ),
        pytest.param(page(command("echo <git dir>")), 4, "GIT_DIR", id="reserved-placeholder"),
        pytest.param(
            page(command("pip download <pip index url>")),
            4,
            "a name that a program may read from the environment",
            id="placeholder-programs-read",
        ),
    ],
)
def test_errors_are_located(text: str, line: int, message: str, read: Read) -> None:
    """Every problem is reported at the line an author must change."""
    errors = read(text, "p.md").errors
    assert [(e.path, e.line) for e in errors] == [("p.md", line)]
    assert message in errors[0].message


NOT_A_DIRECTIVE = "this comment is no runbook directive: write it <!-- runbook: ... -->"


@pytest.mark.parametrize(
    ("comment", "message"),
    [
        pytest.param('<!-- RUNBOOK: skip="x" -->', NOT_A_DIRECTIVE, id="upper-case"),
        pytest.param("<!--Runbook:skip='x'-->", NOT_A_DIRECTIVE, id="capitalised"),
        pytest.param('<!-- runbook : skip="x" -->', NOT_A_DIRECTIVE, id="space-before-colon"),
        pytest.param('<!-- runbook skip="x" -->', NOT_A_DIRECTIVE, id="no-colon"),
        pytest.param("<!-- runbook excerpt -->", NOT_A_DIRECTIVE, id="no-colon-excerpt"),
        pytest.param('<!-- runbook output="exact" -->', NOT_A_DIRECTIVE, id="no-colon-output"),
        pytest.param(
            '<!-- runbook: skip="x"\n-->',
            "a runbook directive takes one line: end it with --> on the line it starts on",
            id="split-after-the-options",
        ),
        pytest.param(
            '<!--\nrunbook: skip="x" -->',
            "a runbook directive takes one line, and this one starts on the next",
            id="split-before-runbook",
        ),
        pytest.param(
            '<!-- runbook: skip="x" --> Note.',
            "nothing may follow a runbook directive's --> on its line",
            id="text-after",
        ),
        pytest.param(
            '<!-- runbook: skip="x" --> <!-- y -->',
            "nothing may follow a runbook directive's --> on its line",
            id="a-comment-after",
        ),
        pytest.param(
            '<!-- runbook: skip="x" skip="y" -->',
            "skip is given twice in this runbook directive: give it once",
            id="repeated-option",
        ),
        pytest.param(
            "<!-- runbook: timeout=5 fails timeout=9 -->",
            "timeout is given twice",
            id="repeated-timeout",
        ),
    ],
)
def test_a_directive_that_would_be_ignored_is_an_error_at_its_line(
    comment: str, message: str, read: Read
) -> None:
    """A comment an author meant as a directive, but written so that it would be ignored or
    half read, is an error at the line it starts on."""
    text = page(comment + "\n" + command("touch x"))
    errors = errors_of(read, text)
    assert [line for line, _ in errors] == [3]
    assert message in errors[0][1]


@pytest.mark.parametrize(
    "comment",
    [
        pytest.param("<!-- The runbook replays this page. -->", id="prose-about-the-runbook"),
        pytest.param("<!-- runbook -->", id="the-word-alone"),
        pytest.param("<!--\nrunbooks are scripts\n-->", id="split-comment-about-runbooks"),
        pytest.param("<!-- a note --> <!-- another -->", id="two-comments"),
    ],
)
def test_comments_about_the_runbook_are_no_directives(comment: str, read: Read) -> None:
    """A comment that only mentions the runbook is no directive, and no error."""
    assert steps_of(read, page(comment, command("touch x"))) == ["touch x"]


def test_template_markers_a_command_replaces_stay_literal(read: Read) -> None:
    """`<docker_image>` in a file that a command replaces with `sed` is text to replace, not a
    value to ask for: in the file and in the command."""
    text = page(
        '```yaml title="kubernetes/deployment.yaml"\nimage: <docker_image>\n```',
        command('sed -i "s|<docker_image>|$IMAGE|g" kubernetes/deployment.yaml'),
    )
    written, replaced = only_runbook(read(text)).steps
    assert (written.kind, written.file, written.placeholders) == (
        "file",
        "kubernetes/deployment.yaml",
        (),
    )
    assert replaced.script == replaced.code
    assert replaced.placeholders == ()


def test_template_markers_the_page_assigns_stay_literal(read: Read) -> None:
    """A `<...>` whose variable the page's own commands set is a marker, not a value."""
    text = page(
        command("export MODEL_NAME=celestial"),
        command('sed -i "s|<model_name>|$MODEL_NAME|" params.yaml'),
    )
    runbook = only_runbook(read(text))
    assert runbook.placeholders() == []
    assert "<model_name>" in runbook.steps[1].script


def test_directives_mark_either_reading(read: Read) -> None:
    """`literal=` keeps a `<...>` as text; `placeholder=` asks for one, in the file that shows
    it too."""
    text = page(
        '```yaml title="values.yaml"\nbucket: <my bucket>\n```',
        command("echo <my bucket>", directive='placeholder="<my bucket>"'),
        command("echo '<my name>'", directive='literal="<my name>"'),
    )
    runbook = only_runbook(read(text))
    assert [p.name for p in runbook.placeholders()] == ["MY_BUCKET"]
    assert [p.name for p in runbook.steps[0].placeholders] == ["MY_BUCKET"]
    assert runbook.steps[2].script == "echo '<my name>'"


def test_take_over_steps_run_on_their_path_only(read: Read) -> None:
    """Take-over steps are left out of the normal path and run first on the take-over path."""
    text = page(command("git clone x.bundle work", directive="take-over"), command("git status"))
    runbook = only_runbook(read(text))
    variant = runbook.variant(None)
    assert runbook.take_over
    assert [s.code for s in runbook.steps_for(variant)] == ["git status"]
    assert [s.code for s in runbook.steps_for(variant, True)] == [
        "git clone x.bundle work",
        "git status",
    ]


def tabs(*labelled: tuple[str, str]) -> str:
    return "".join(f'=== "{label}"\n\n{command(code, indent="    ")}\n' for label, code in labelled)


def test_linked_tabs_give_one_variant_per_label(read: Read) -> None:
    """Tabs sharing labels across the page switch together: one variant per label."""
    text = page(
        tabs(("GitHub", "gh repo create"), ("GitLab", "glab repo create")),
        "Then:",
        tabs(("GitHub", "gh pr create"), ("GitLab", "glab mr create")),
    )
    runbook = only_runbook(read(text))
    assert [v.name for v in runbook.variants] == ["GitHub", "GitLab"]
    assert [s.code for s in runbook.steps_for(runbook.variant("gitlab"))] == [
        "glab repo create",
        "glab mr create",
    ]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        pytest.param(
            page(tabs(("A", "a"), (" ", "b"))),
            5,
            "a tab of this block's tab set has an empty label (' ')",
            id="blank-label",
        ),
        pytest.param(
            page(tabs((":simple-github:", "a"), (":simple-gitlab:", "b"))),
            5,
            "the tab ':simple-github:' of this block's tab set is labelled with icons only: "
            "Material links tabs by their text, so a reader who clicks another such tab is taken "
            'back to the first; add a word: === ":simple-github: Github"',
            id="icon-only",
        ),
        pytest.param(
            page(
                tabs(("GitHub", "a"), ("GitLab", "b")),
                "Then:",
                tabs(("GitHub", "c"), ("Bitbucket", "d")),
            ),
            19,
            "this block's tab set shares the label 'GitHub' with the tab set of line 5, so "
            "Material switches them together, but their labels differ (['GitHub', 'GitLab'] "
            "there, ['GitHub', 'Bitbucket'] here): a reader can choose 'GitLab' there and "
            "'Bitbucket' here, a path no replay takes",
            id="linked-sets-with-other-labels",
        ),
        pytest.param(
            page(
                tabs(("pip", "a"), ("uv", "b"), ("conda", "c")),
                "Then:",
                tabs(("pip", "d"), ("uv", "e")),
            ),
            25,
            "a reader who chooses 'conda' leaves the other set as it was, a path no replay takes",
            id="linked-set-with-fewer-labels",
        ),
        pytest.param(
            page(tabs(("A", "a"), ("B", "b")), "Then:", tabs(("B", "c"), ("A", "d"))),
            19,
            "they list their labels in another order (['A', 'B'] there, ['B', 'A'] here): a "
            "reader who chooses nothing sees 'A' there and 'B' here, a path no replay takes",
            id="linked-sets-in-another-order",
        ),
    ],
)
def test_tabs_a_reader_cannot_all_reach_are_an_error(
    text: str, line: int, message: str, read: Read
) -> None:
    """Every tab path a reader can take must be a variant: labels without a word, and linked
    tab sets whose labels differ, make paths no replay takes, so they are errors at the first
    block of the tab set, saying why."""
    errors = errors_of(read, text)
    assert [at for at, _ in errors] == [line]
    assert message in errors[0][1]


def test_a_tab_set_of_one_tab_offers_no_choice(read: Read) -> None:
    """A set of one tab always shows it: linked to a set of more, it makes no path of its own."""
    text = page(tabs(("GitHub", "a"), ("GitLab", "b")), "Then:", tabs(("GitLab", "c")))
    runbook = only_runbook(read(text))
    assert [[s.code for s in runbook.steps_for(v)] for v in runbook.variants] == [
        ["a", "c"],
        ["b", "c"],
    ]


def test_an_empty_label_is_an_error(read: Read) -> None:
    """`=== ""` is an error at its tab set's first block. (Older pymdown-extensions in the
    allowed range fail on it themselves, in their tabbed extension: as loud.)"""
    text = page(tabs(("", "a"), ("B", "b")))
    crashed = ""
    try:
        errors = errors_of(read, text)
    except IndexError as crash:
        crashed = "".join(traceback.format_tb(crash.__traceback__))
    if crashed:
        assert "pymdownx/tabbed.py" in crashed
        return
    assert errors == [
        (
            5,
            "a tab of this block's tab set has an empty label (''): a reader cannot tell it "
            "from the others, and Material links it to every other unlabelled tab; give it a word",
        )
    ]


def test_icons_beside_a_word_are_that_word(read: Read) -> None:
    """`:simple-github: GitHub` is the tab `GitHub`, linked to a `GitHub` tab without icon."""
    text = page(
        tabs((":simple-github: GitHub", "a"), (":simple-gitlab: GitLab", "b")),
        "Then:",
        tabs(("GitHub", "c"), ("GitLab", "d")),
    )
    runbook = only_runbook(read(text))
    assert [v.name for v in runbook.variants] == ["GitHub", "GitLab"]
    assert [s.code for s in runbook.steps_for(runbook.variant("GitLab"))] == ["b", "d"]


def test_tab_sets_with_other_labels_multiply(read: Read) -> None:
    """Unlinked tab sets holding commands make one variant per combination of labels."""
    text = page(tabs(("GitHub", "a"), ("GitLab", "b")), "Then:", tabs(("pip", "c"), ("uv", "d")))
    names = [v.name for v in only_runbook(read(text)).variants]
    assert names == ["GitHub, pip", "GitHub, uv", "GitLab, pip", "GitLab, uv"]


def test_twin_labels_in_one_set_are_an_error(read: Read) -> None:
    """Two tabs of one set with the same label: a reader cannot choose, so neither can we."""
    text = page(tabs(("GitHub", "a"), ("GitHub", "b")))
    ((line, message),) = errors_of(read, text)
    assert line == 5
    assert "two tabs labelled 'GitHub'" in message


def test_steps_outside_tabs_are_in_every_variant(read: Read) -> None:
    """A step outside tabs runs in every variant, in page order among the tabbed ones."""
    text = page(command("before"), tabs(("A", "a"), ("B", "b")), command("after"))
    runbook = only_runbook(read(text))
    assert [[s.code for s in runbook.steps_for(v)] for v in runbook.variants] == [
        ["before", "a", "after"],
        ["before", "b", "after"],
    ]


def test_unknown_variant_is_an_error(read: Read) -> None:
    """Asking for a label no tab has names the known ones."""
    runbook = only_runbook(read(page(tabs(("A", "a"), ("B", "b"))), "t.md"))
    with pytest.raises(Exception, match=r"t\.md:1: no variant 'C' \(variants: 'A', 'B'\)"):
        runbook.variant("C")


@pytest.fixture(scope="module")
def read_page_text(markdown_settings: MkDocsConfig) -> Callable[[str], PageReading]:
    plugin = markdown_settings.plugins["runbook"]

    def reader(text: str) -> PageReading:
        return read_markdown(
            "p.md",
            text,
            markdown_settings.markdown_extensions,
            markdown_settings.mdx_configs,
            selection_of(plugin.config),  # type: ignore[arg-type]
        )

    return reader


@given(text=pages())
def test_each_step_is_a_shown_fence_of_the_source(
    text: str, read_page_text: Callable[[str], PageReading]
) -> None:
    """On random pages, each step's line is its fence's opening line, and its code that fence's."""
    reading = read_page_text(text)
    source = text.replace("\r\n", "\n").split("\n")
    for step in reading.runbook.steps:
        opening = source[step.line - 1].lstrip(" \t>")
        assert opening.startswith(("```", "~~~")), (step.location, opening)
        assert TITLE in opening or (step.kind == "file" and f'title="{step.file}"' in opening)


# What the final HTML shows --------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        pytest.param('<script>window.x = 1;</script data-note="a">', id="end-tag-attribute"),
        pytest.param("<SCRIPT>window.x = 1;</script\n>", id="end-tag-case-and-newline"),
        pytest.param("<p>x <xmp><!--</xmp> y</p>", id="xmp-holds-text"),
        pytest.param("<noscript><!--</noscript>", id="noscript-holds-text"),
        pytest.param('<script>a</script x="><!--">', id="end-tag-quoted-attribute"),
        pytest.param("<p>I </3 you <!-- so much ></p>", id="bogus-comment-holds-comment-start"),
        pytest.param("<p><script\u00a0x>y</p>", id="no-break-space-makes-no-script"),
    ],
)
def test_raw_text_ends_where_browsers_end_it(read: Read, html: str) -> None:
    """What comes after a script, an xmp or a noscript is shown, however its end tag is
    written, and a `<!--` inside it, or inside a bogus comment, opens no comment."""
    text = page(html, command("touch shown"), "<!-- a comment that closes -->")
    assert steps_of(read, text) == ["touch shown"]


def test_a_block_hidden_after_a_script_holding_a_comment_start_is_an_error(read: Read) -> None:
    """Browsers end a script that holds `<!--` by rules of their own: a block hidden after one
    may be shown, so it is an error rather than a guess."""
    html = "<script>\n// <!-- <script>\n</script>\n<!--\n</script>"
    errors = errors_of(read, page(html, command("touch maybe"), "<!-- -->"))
    assert [line for line, _ in errors] == [9]
    assert "hidden by HTML other than a plain <!-- comment -->" in errors[0][1]


def test_a_block_hidden_by_html_left_open_is_an_error(read: Read) -> None:
    """A comment opened in raw HTML and never closed hides the rest of the page: a reader sees
    no command after it, which is almost never what the author meant, so it is an error."""
    text = page("<div>\nWrite <!-- here\n</div>", command("touch hidden"))
    assert errors_of(read, text) == [
        (
            7,
            "this command block is hidden by HTML other than a plain <!-- comment --> (one "
            "left open, a <script>, <template> or the like): browsers read such HTML each "
            'their own way; fix the HTML, or mark the block skip="why"',
        )
    ]


@pytest.mark.parametrize(
    ("before", "after", "why"),
    [
        pytest.param(
            "<div hidden markdown>", "</div>", "the hidden attribute of a <div>", id="div"
        ),
        pytest.param("<pre hidden>", "</pre>", "the hidden attribute of a <pre>", id="pre"),
        pytest.param(
            "<DIV HIDDEN=until-found markdown>", "</DIV>", "the hidden attribute", id="until-found"
        ),
        pytest.param(
            '<div style="color: red; display : none" markdown>',
            "</div>",
            "the style 'display : none' of a <div>",
            id="display-none",
        ),
        pytest.param(
            "<section style='visibility:hidden !important' markdown>",
            "</section>",
            "the style 'visibility:hidden !important' of a <section>",
            id="visibility-hidden",
        ),
        pytest.param(
            "<dialog>", "</dialog>", "a <dialog>, which shows nothing until a script", id="dialog"
        ),
        pytest.param("<select>", "</select>", "a <select>, which shows a drop-down", id="select"),
        pytest.param("<video>", "</video>", "a <video>, which shows a video player", id="video"),
        pytest.param("<canvas>", "</canvas>", "a <canvas>, which shows a drawing", id="canvas"),
        pytest.param(
            "<p><b hidden>", "</b></p>", "the hidden attribute of a <b>", id="reopened-by-browsers"
        ),
        pytest.param(
            "<div hidden>\n<p>", "</p>\n</div>", "the hidden attribute of a <div>", id="nested"
        ),
        pytest.param("<div hidden/>", "", "the hidden attribute of a <div>", id="never-closed"),
    ],
)
def test_a_block_an_element_hides_is_an_error(
    read: Read, before: str, after: str, why: str
) -> None:
    """A command block inside an element that hides it (an attribute, an inline style, or an
    element that never shows its content) runs for no reader: an error naming what hides it."""
    text = page(before + "\n\n" + command("touch hidden") + "\n" + after, command("touch shown"))
    (line, message), *rest = errors_of(read, text)
    assert len(rest) == (after == "")  # an element left open hides the next block too
    assert line == 5 + before.count("\n")
    assert message.startswith(f"this command block is hidden by {why}")
    assert message.endswith('show it, or mark the block skip="why"')


@pytest.mark.parametrize(
    "html",
    [
        pytest.param("<p hidden>A note for screen readers.", id="p-closed-by-the-block"),
        pytest.param("<p hidden>A note.</p>", id="closed-p"),
        pytest.param('<input type="hidden" value="x">', id="hidden-input"),
        pytest.param('<div aria-hidden="true" markdown>', id="aria-hidden"),
        pytest.param('<div class="hidden" markdown>', id="a-class-named-hidden"),
        pytest.param('<div style="overflow: hidden" markdown>', id="overflow-hidden"),
        pytest.param('<div data-display="display:none" markdown>', id="other-attribute"),
        pytest.param("<dialog open markdown>", id="open-dialog"),
        pytest.param("<video src=a.mp4></video>", id="closed-video"),
        pytest.param("<details markdown>", id="closed-details-a-reader-opens"),
    ],
)
def test_elements_that_hide_nothing_are_no_error(read: Read, html: str) -> None:
    """Hiding is read from what HTML says: an element that hides nothing, or closes before the
    block, leaves the block a step."""
    text = page(html, command("touch shown"))
    assert steps_of(read, text) == ["touch shown"]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        pytest.param(
            page(
                "Term\n:   Definition, without the def_list extension", command("x", indent="    ")
            ),
            6,
            id="under-a-definition-list",
        ),
        pytest.param(page("Text:", command("x", indent="    ")), 5, id="after-a-paragraph"),
        pytest.param(page("### Heading\n" + command("x", indent="    ")), 4, id="after-a-heading"),
        pytest.param(page("- Item\n\n" + command("x", indent="        ")), 5, id="in-a-list-item"),
    ],
)
def test_a_block_an_indented_code_block_swallows_is_an_error(
    read: Read, text: str, line: int
) -> None:
    """A command fence indented as code shows as text: no reader sees a block, so it is an
    error at its line, saying how it came to be."""
    ((at, message),) = errors_of(read, text)
    assert at == line
    assert message.startswith(
        "this command block is hidden by an indented code block, which shows its fence as text"
    )


def test_a_fence_shown_as_text_on_purpose_is_marked_skip(read: Read) -> None:
    """An author who means an indented code block to show a fence as text says so."""
    text = page("Text:", command("x", indent="    ", directive='skip="an example"'))
    assert errors_of(read, text) == []
    assert steps_of(read, text) == []


def test_page_text_cannot_pass_for_a_blocks_mark(read: Read) -> None:
    """The render marks each block with a nonce of its own: prose that writes a mark does not
    make a block in a comment count as shown, and stays in the page as written."""
    text = page(
        'The render adds data-runbook-fence="0" to each block.',
        "<!-- The old way:\n\n" + command("touch hidden") + "\n-->",
    )
    assert steps_of(read, text) == []


def test_blocks_the_page_shows_in_another_order_are_an_error(
    markdown_settings: MkDocsConfig,
) -> None:
    """A footnote's block shows at the bottom of the page, after the block below it in the
    source: the reader's order is not the source's, so the build says so, of that block."""
    text = page(
        "First make the folder, see the note[^1].",
        "[^1]:\n" + command("mkdir -p work", indent="    "),
        command("rmdir work"),
    )
    reading = read_markdown(
        "p.md",
        text,
        [*markdown_settings.markdown_extensions, "footnotes"],
        markdown_settings.mdx_configs,
        selection_of(markdown_settings.plugins["runbook"].config),  # type: ignore[arg-type]
    )
    assert [str(error) for error in reading.errors] == [
        "p.md:6: the rendered page shows this command block elsewhere than its source has it "
        "(after the block of line 10; a footnote's block, say, shows at the bottom of the page): "
        "a reader runs the commands in the order the page shows them; move the block where it "
        "shows"
    ]


STEP_BLOCK = (
    f'<div class="language-sh highlight"><span class="filename">{TITLE}</span>'
    '<pre><span></span><code><span class="n">touch</span> step\n</code></pre></div>'
)


@pytest.mark.parametrize(
    ("extra", "shown"),
    [
        pytest.param(
            f"<div class='language-sh highlight'><span class='filename'>{TITLE}</span>"
            "<pre><code>touch extra</code></pre></div>",
            True,
            id="single-quotes",
        ),
        pytest.param(
            f'<div data-x="1" class="language-sh highlight"><span data-x="1" class="filename">'
            f"{TITLE}</span><pre><code>touch extra</code></pre></div>",
            True,
            id="class-after-another-attribute",
        ),
        pytest.param(
            f"<DIV CLASS=highlight><SPAN CLASS=filename>{TITLE}</SPAN><PRE><CODE>touch extra"
            "</CODE></PRE></DIV>",
            True,
            id="upper-case-unquoted",
        ),
        pytest.param(
            f'<section class="highlight\tlanguage-bash"><p class="x filename">{TITLE}</p>'
            '<pre><code class="x">touch extra</code></pre></section>',
            True,
            id="other-elements-and-a-tab",
        ),
        pytest.param(
            f'<div class="language-sh highlight" title="<!--"><span class="filename">{TITLE}'
            "</span><pre><code>touch extra</code></pre></div>",
            True,
            id="comment-start-in-an-attribute",
        ),
        pytest.param(
            f'<div hidden><div class="language-sh highlight"><span class="filename">{TITLE}'
            "</span><pre><code>touch extra</code></pre></div></div>",
            False,
            id="hidden",
        ),
        pytest.param(
            f'<div class="language-sh highlighted"><span class="filename">{TITLE}</span>'
            "<pre><code>touch extra</code></pre></div>",
            False,
            id="another-class",
        ),
        pytest.param(
            f'<div class="language-sh\u00a0highlight"><span class="filename">{TITLE}</span>'
            "<pre><code>touch extra</code></pre></div>",
            False,
            id="no-break-space-joins-classes",
        ),
        pytest.param(
            '<p>Run <code class="language-sh highlight">touch inline</code>.</p>',
            False,
            id="inline-code",
        ),
    ],
)
def test_html_from_elsewhere_is_read_as_browsers_read_it(
    read: Read, extra: str, shown: bool
) -> None:
    """HTML another generator wrote, or a hand edited, is read as a browser reads it: a command
    block written with other quotes, attribute order, case or elements counts; one that a
    browser does not show, or that is no block, does not."""
    reading = read(page(command("touch step")))
    steps = only_runbook(reading).steps
    selection = Selection()
    assert check_page("p.md", STEP_BLOCK, steps, selection) == []
    problems = [str(e) for e in check_page("p.md", STEP_BLOCK + extra, steps, selection)]
    expected = "p.md:3: the rendered page shows a command block the script does not hold"
    assert problems == ([f"{expected} ('touch extra', after this line)"] if shown else [])


def test_html_written_unevenly_in_a_tab_is_an_error(read: Read) -> None:
    """A `</div>` of its own in a tab closes the tab in a browser: the blocks after it show in
    no tab, or another, whatever the Markdown says. The page says so, at its first tabbed step."""
    text = page(
        '=== "GitHub"\n\n' + command("echo github", indent="    ") + "\n    Text.\n    </div>",
        '=== "GitLab"\n\n' + command("echo gitlab", indent="    "),
    )
    (error,) = read(text).errors
    assert error.line == 5  # the GitHub tab's block
    assert "opens and closes tags unevenly" in error.message


@pytest.mark.parametrize(
    ("block", "line", "message"),
    [
        pytest.param(
            command("false; touch must-exist", directive="fails"),
            3,
            "fails takes a block of one command",
            id="fails-with-two-commands",
        ),
        pytest.param(
            command("alias ll='ls -l'\nll"),
            5,
            "the alias ll is used in the block that defines it",
            id="alias-in-its-own-block",
        ),
        pytest.param(
            command("echo start\nexport MY_ID=$(cat missing-file)\necho $MY_ID"),
            5,
            "export hides whether the command substitution in its value failed",
            id="export-of-a-substitution",
        ),
        pytest.param(
            command("local -r when=`date`"),
            4,
            "local hides whether the command substitution",
            id="local-of-a-backtick-substitution",
        ),
        pytest.param(
            command("true", directive='dir="../../../../escaped"'),
            3,
            "leaves the replay's folder",
            id="dir-leaving-the-sandbox",
        ),
        pytest.param(
            command("true", directive='dir="/tmp/x"'), 3, "leaves the replay's folder", id="dir-abs"
        ),
    ],
)
def test_steps_that_would_not_run_as_written_are_errors(
    read: Read, block: str, line: int, message: str
) -> None:
    """A `fails` block of more than one command, an alias used where bash cannot see it yet, a
    `dir` outside the replay: each an error at its line."""
    errors = errors_of(read, page(block))
    assert [found for found, _ in errors] == [line]
    assert message in errors[0][1]
