"""A page's runbook: which blocks are steps, what their directives say, and which variants exist."""

from __future__ import annotations

import re

import pytest

from runbook.errors import SourceError
from runbook.runbook import DEFAULT_TIMEOUT, Runbook, Selection, read_runbook

TITLE = "Execute the following command(s) in a terminal"


def block(code: str, header: str = f'sh title="{TITLE}"', indent: str = "") -> str:
    """A fenced block, indented into a container by `indent`."""
    lines = ["```" + header, *code.splitlines(), "```"]
    return "\n".join(indent + line if line else line for line in lines) + "\n"


def tab(label: str, body: str) -> str:
    """A content tab holding `body`."""
    indented = "\n".join("    " + line if line else line for line in body.splitlines())
    return f'=== "{label}"\n\n{indented}\n\n'


def page(*parts: str) -> Runbook:
    return read_runbook("page.md", "\n".join(parts))


def codes(runbook: Runbook, variant: str | None = None) -> list[str]:
    """The code of the steps that a variant (the first for None) runs."""
    return [step.code for step in runbook.steps_for(runbook.variant(variant))]


@pytest.mark.parametrize(
    ("header", "runs"),
    [
        pytest.param(f'sh title="{TITLE}"', True, id="sh"),
        pytest.param(f'bash title="{TITLE}"', True, id="bash"),
        pytest.param(f'shell title="{TITLE}"', True, id="shell"),
        pytest.param(f'zsh title="{TITLE}"', True, id="zsh"),
        pytest.param(f'{{ .sh title="{TITLE}" }}', True, id="braces"),
        pytest.param(f'sh title="{TITLE}" hl_lines="1"', True, id="with-options"),
        pytest.param('sh title=".gitignore"', False, id="file"),
        pytest.param("sh", False, id="no-title"),
        pytest.param(f'text title="{TITLE}"', False, id="text"),
        pytest.param(f'python title="{TITLE}"', False, id="python"),
        pytest.param(f'diff title="{TITLE}"', False, id="diff"),
        pytest.param(
            'sh title="Execute the following command(s) in a second terminal"',
            False,
            id="second-terminal",
        ),
        pytest.param(f'sh title="{TITLE}:"', False, id="title-must-match-whole"),
    ],
)
def test_which_blocks_are_steps(header: str, runs: bool) -> None:
    """A step has a shell language and the command title, matched whole."""
    assert bool(page(block("echo hi", header)).steps) is runs


def test_selection_is_configurable() -> None:
    """Languages and the title pattern are options."""
    selection = Selection(languages=("console",), title="Run(?: this)?")
    markdown = block("a", 'console title="Run"') + block("b", 'sh title="Run this"')
    runbook = read_runbook("page.md", markdown, selection)
    assert [step.code for step in runbook.steps] == ["a"]


def test_steps_in_page_order_with_locations() -> None:
    """Steps keep page order, each at the line of its opening fence."""
    runbook = page(
        "# Title", "", block("one"), "!!! note", "", block("two", indent="    "), block("three")
    )
    assert [(s.location, s.code) for s in runbook.steps] == [
        ("page.md:3", "one"),
        ("page.md:9", "two"),
        ("page.md:13", "three"),
    ]


@pytest.mark.parametrize(
    ("directive", "expected"),
    [
        pytest.param('skip="done in the web UI"', {"skip": "done in the web UI"}, id="skip"),
        pytest.param("skip='single quotes'", {"skip": "single quotes"}, id="skip-single-quotes"),
        pytest.param('dir="../teammate"', {"dir": "../teammate"}, id="dir"),
        pytest.param("dir=plain", {"dir": "plain"}, id="dir-unquoted"),
        pytest.param("fails", {"fails": True}, id="fails"),
        pytest.param("timeout=30", {"timeout": 30.0}, id="timeout"),
        pytest.param("timeout=2.5", {"timeout": 2.5}, id="timeout-fraction"),
        pytest.param("fails timeout=30", {"fails": True, "timeout": 30.0}, id="combined"),
        pytest.param(
            'dir="x" fails  timeout=5', {"dir": "x", "fails": True, "timeout": 5.0}, id="three"
        ),
    ],
)
def test_directives(directive: str, expected: dict[str, object]) -> None:
    """A directive comment sets how its block runs; unset options keep their defaults."""
    (step,) = page(f"<!-- runbook: {directive} -->", "", block("echo hi")).steps
    settings = {"skip": step.skip, "dir": step.dir, "fails": step.fails, "timeout": step.timeout}
    defaults = {"skip": None, "dir": None, "fails": False, "timeout": DEFAULT_TIMEOUT}
    assert settings == {**defaults, **expected}


@pytest.mark.parametrize(
    ("markdown", "line", "message"),
    [
        pytest.param(
            "<!-- runbook: skip -->\n" + block("x"),
            1,
            "skip needs a reason",
            id="skip-without-reason",
        ),
        pytest.param(
            '<!-- runbook: dir="" -->\n' + block("x"), 1, "dir needs a directory", id="empty-dir"
        ),
        pytest.param(
            "<!-- runbook: fails=yes -->\n" + block("x"),
            1,
            "fails takes no value",
            id="fails-with-value",
        ),
        pytest.param(
            "<!-- runbook: timeout=soon -->\n" + block("x"),
            1,
            "timeout needs",
            id="timeout-not-a-number",
        ),
        pytest.param(
            "<!-- runbook: timeout=0 -->\n" + block("x"), 1, "timeout needs", id="timeout-zero"
        ),
        pytest.param(
            "<!-- runbook: timeout=inf -->\n" + block("x"), 1, "timeout needs", id="timeout-inf"
        ),
        pytest.param(
            "<!-- runbook: timeout=nan -->\n" + block("x"), 1, "timeout needs", id="timeout-nan"
        ),
        pytest.param(
            "<!-- runbook: retry=3 -->\n" + block("x"), 1, "unknown runbook directive", id="unknown"
        ),
        pytest.param(
            '<!-- runbook: skip="x -->\n' + block("x"), 1, "cannot read", id="unbalanced-quote"
        ),
        pytest.param(
            "\n<!-- runbook: fails -->\n" + block("*.pyc", 'sh title=".gitignore"'),
            2,
            "not a command",
            id="before-a-file-block",
        ),
        pytest.param(
            "<!-- runbook: fails -->\n\nSome text.\n",
            1,
            "not followed by a code block",
            id="before-text",
        ),
        pytest.param(block("echo <git dir>"), 2, "GIT_DIR", id="reserved-placeholder"),
    ],
)
def test_errors_are_located(markdown: str, line: int, message: str) -> None:
    """Mistakes in a page are errors at `path:line`."""
    with pytest.raises(SourceError) as raised:
        read_runbook("docs/page.md", markdown)
    assert str(raised.value).startswith(f"docs/page.md:{line}: ")
    assert message in str(raised.value)


def test_commented_out_block_is_no_step() -> None:
    """A block in an HTML comment is not shown, so it is not a step."""
    runbook = page("<!-- Not any more:", "", block("false"), "-->", "", block("true"))
    assert [step.code for step in runbook.steps] == ["true"]


def test_comment_ends_at_its_first_close() -> None:
    """HTML comments do not nest: a directive inside one closes it, and the block shows."""
    runbook = page("<!--", "<!-- runbook: fails -->", block("false"), "-->")
    assert [(step.code, step.fails) for step in runbook.steps] == [("false", False)]


def test_linked_tabs_give_one_variant_per_label() -> None:
    """Two tab sets with the same labels switch together: one variant per label."""
    runbook = page(
        tab(":simple-github: GitHub", block("gh repo create")),
        tab(":simple-gitlab: GitLab", block("glab repo create")),
        "Then push.",
        "",
        block("git push"),
        tab("GitHub", block("gh browse")),
        tab("GitLab", block("glab repo view --web")),
    )
    assert [v.name for v in runbook.variants] == ["GitHub", "GitLab"]
    assert codes(runbook, "GitHub") == ["gh repo create", "git push", "gh browse"]
    assert codes(runbook, "GitLab") == ["glab repo create", "git push", "glab repo view --web"]


def test_tab_sets_with_other_labels_multiply() -> None:
    """Unlinked tab sets are independent choices: one variant per combination."""
    runbook = page(
        tab("GitHub", block("gh")),
        tab("GitLab", block("glab")),
        "Install:",
        "",
        tab("pip", block("pip install x")),
        tab("uv", block("uv add x")),
    )
    assert [v.name for v in runbook.variants] == [
        "GitHub, pip",
        "GitHub, uv",
        "GitLab, pip",
        "GitLab, uv",
    ]
    assert codes(runbook, "gitlab, UV") == ["glab", "uv add x"]
    assert [v.slug for v in runbook.variants][-1] == "gitlab-uv"


def test_nested_tabs_are_a_choice_only_where_shown() -> None:
    """A tab set inside the GitHub tab is no choice under GitLab: GitLab is one variant."""
    inner = tab("pip", block("pip install x")) + tab("uv", block("uv add x"))
    runbook = page(tab("GitHub", inner), tab("GitLab", block("glab")), tab("GitHub", block("gh")))
    assert [v.name for v in runbook.variants] == ["GitHub, pip", "GitHub, uv", "GitLab"]
    assert codes(runbook, "GitHub, uv") == ["uv add x", "gh"]
    assert codes(runbook, "GitLab") == ["glab"]


def test_variant_labels_in_page_order() -> None:
    """Labels are named in the order their tab sets first appear, however sets link later."""
    runbook = page(
        tab("GitHub", block("gh")),
        tab("GitLab", block("glab")),
        "Install:",
        "",
        tab("pip", block("pip install x")),
        tab("uv", block("uv add x")),
        "Then:",
        "",
        tab("GitHub", block("gh browse")),
        tab("GitLab", block("glab repo view")),
    )
    assert runbook.variants[0].name == "GitHub, pip"
    assert codes(runbook, "GitLab, uv") == ["glab", "uv add x", "glab repo view"]


def test_label_missing_from_a_linked_set_shows_its_first_tab() -> None:
    """A linked set without the chosen label shows its first tab, as Material does."""
    runbook = page(
        tab("Linux", block("apt install x")),
        tab("macOS", block("brew install x")),
        "Then:",
        "",
        tab("Linux", block("x --linux")),
        tab("Windows", block("x --windows")),
    )
    assert [v.name for v in runbook.variants] == ["Linux", "macOS", "Windows"]
    assert codes(runbook, "macOS") == ["brew install x", "x --linux"]
    assert codes(runbook, "Windows") == ["apt install x", "x --windows"]


def test_steps_outside_tabs_are_in_every_variant() -> None:
    """Steps outside tabs run in each variant, in page order."""
    runbook = page(block("first"), tab("A", block("a")), tab("B", block("b")), block("last"))
    assert codes(runbook, "A") == ["first", "a", "last"]
    assert codes(runbook, "B") == ["first", "b", "last"]


def test_tabs_without_commands_give_one_script() -> None:
    """Tabs that hold only prose or files make no variants: the page has one, unnamed."""
    runbook = page(
        tab(":simple-github: GitHub", "Create the repository on GitHub."),
        tab("GitLab", block("*.pyc", 'sh title=".gitignore"')),
        block("git push"),
    )
    assert [(v.name, v.slug) for v in runbook.variants] == [("", "")]
    assert codes(runbook) == ["git push"]


def test_unknown_variant_is_an_error() -> None:
    """Asking for a label the page does not have names the ones it has."""
    runbook = page(tab("GitHub", block("gh")), tab("GitLab", block("glab")))
    with pytest.raises(SourceError) as raised:
        runbook.variant("Bitbucket")
    assert str(raised.value) == ("page.md:1: no variant 'Bitbucket' (variants: 'GitHub', 'GitLab')")


def test_placeholders_once_each_and_not_from_skipped_steps() -> None:
    """Each placeholder is listed once, at its first use; a skipped step needs no value."""
    runbook = page(
        block("git remote add origin <your git repository url>"),
        '<!-- runbook: skip="web UI" -->',
        block("open <my project page>"),
        block("git clone <your git repository url> <target dir>"),
    )
    assert [(p.name, p.line) for p in runbook.placeholders()] == [
        ("YOUR_GIT_REPOSITORY_URL", 2),
        ("TARGET_DIR", 11),
    ]


def test_placeholders_of_a_variant() -> None:
    """A variant needs only the values of its own steps."""
    runbook = page(tab("A", block("echo <value a>")), tab("B", block("echo <value b>")))
    assert [p.name for p in runbook.placeholders(runbook.variant("B"))] == ["VALUE_B"]


@pytest.mark.parametrize(
    ("front", "start"),
    [
        pytest.param("---\nrunbook:\n  start: chapter-6\n---\n", "chapter-6", id="start"),
        pytest.param("---\ntitle: Page\n---\n", None, id="other-front-matter"),
        pytest.param("", None, id="no-front-matter"),
        pytest.param('---\r\nrunbook:\r\n  start: "a\tb"\r\n---\r\n', "a\tb", id="as-written"),
    ],
)
def test_start_from_front_matter(front: str, start: str | None) -> None:
    """The front matter names the state a replay starts from; step lines count it."""
    runbook = read_runbook("page.md", front + block("true"))
    assert runbook.start == start
    assert runbook.steps[0].line == front.count("\n") + 1


@pytest.mark.parametrize(
    ("front", "message"),
    [
        pytest.param("---\nrunbook: chapter-6\n---\n", "front matter `runbook`", id="not-a-map"),
        # YAML knows no tab indentation: the front matter is read as written, tabs unexpanded.
        pytest.param("---\nrunbook:\n\tstart: x\n---\n", "front matter is not valid", id="tab"),
    ],
)
def test_bad_front_matter_is_an_error(front: str, message: str) -> None:
    """Front matter that is not YAML, or a `runbook` entry that is no mapping: line 1."""
    with pytest.raises(SourceError, match=rf"^page\.md:1: {re.escape(message)}"):
        read_runbook("page.md", front + block("true"))
