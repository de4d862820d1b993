"""The block finder sees a page's fenced blocks as Python-Markdown with SuperFences shows them."""

from __future__ import annotations

import pytest

from runbook.errors import SourceError
from runbook.fences import Fence, find_fences, parse_header, scan, tab_label

TITLE = "Execute the following command(s) in a terminal"
CMD = f'sh title="{TITLE}"'


def lines(*text: str) -> str:
    """Join Markdown lines, so that each case shows its line numbers plainly."""
    return "\n".join(text) + "\n"


def seen(fence: Fence) -> tuple[int, str, str, bool, tuple[str, ...]]:
    """A block as the tables below describe it: line, language, text, shown, tab labels."""
    return fence.line, fence.lang, fence.text, fence.shown, tuple(t.label for t in fence.tabs)


FINDER_CASES = [
    pytest.param(
        lines("```sh", "echo top", "```"),
        [(1, "sh", "echo top", True, ())],
        id="top-level",
    ),
    pytest.param(
        lines("!!! note", "", "    ```sh", "    echo note", "    ```"),
        [(3, "sh", "echo note", True, ())],
        id="admonition",
    ),
    pytest.param(
        lines('??? tip "Collapsed"', "", "    ```sh", "    echo tip", "    ```"),
        [(3, "sh", "echo tip", True, ())],
        id="collapsible-admonition",
    ),
    pytest.param(
        lines('???+ tip "Open"', "", "    ```sh", "    echo tip", "    ```"),
        [(3, "sh", "echo tip", True, ())],
        id="open-collapsible-admonition",
    ),
    pytest.param(
        lines(
            "!!! note",
            "",
            "    !!! warning",
            "",
            "        ```sh",
            "        echo deep",
            "        ```",
        ),
        [(5, "sh", "echo deep", True, ())],
        id="admonition-in-admonition",
    ),
    pytest.param(
        lines('=== "GitHub"', "", "    ```sh", "    echo github", "    ```"),
        [(3, "sh", "echo github", True, ("GitHub",))],
        id="tab",
    ),
    pytest.param(
        lines('=== ":simple-github: GitHub"', "", "    ```sh", "    echo github", "    ```"),
        [(3, "sh", "echo github", True, ("GitHub",))],
        id="tab-label-without-icon",
    ),
    pytest.param(
        lines(
            '=== "GitHub"',
            "",
            '    === "pip"',
            "",
            "        ```sh",
            "        pip install x",
            "        ```",
            "",
            '    === "uv"',
            "",
            "        ```sh",
            "        uv add x",
            "        ```",
            "",
            '=== "GitLab"',
            "",
            "    ```sh",
            "    echo gitlab",
            "    ```",
        ),
        [
            (5, "sh", "pip install x", True, ("GitHub", "pip")),
            (11, "sh", "uv add x", True, ("GitHub", "uv")),
            (17, "sh", "echo gitlab", True, ("GitLab",)),
        ],
        id="nested-tabs",
    ),
    pytest.param(
        lines('===+ "A"', "", "    ```sh", "    echo a", "    ```", "", '===! "B"', "", "    text"),
        [(3, "sh", "echo a", True, ("A",))],
        id="selected-tab-and-new-set",
    ),
    pytest.param(
        lines("- item", "", "    ```sh", "    echo bullet", "    ```"),
        [(3, "sh", "echo bullet", True, ())],
        id="bullet-list-item",
    ),
    pytest.param(
        lines("1. item", "", "    ```sh", "    echo ordered", "    ```"),
        [(3, "sh", "echo ordered", True, ())],
        id="ordered-list-item",
    ),
    pytest.param(
        lines("1) no list item", "", "    ```sh", "    echo literal", "    ```"),
        [(3, "sh", "echo literal", False, ())],
        id="paren-is-no-list-marker-so-indented-code",
    ),
    pytest.param(
        lines("- item", "    ```sh", "    echo lazy", "    ```"),
        [(2, "sh", "echo lazy", True, ())],
        id="list-item-without-blank-line",
    ),
    pytest.param(
        lines(
            "1. step",
            "",
            '    === "A"',
            "",
            '        ??? note "Details"',
            "",
            "            ```sh",
            "            echo deep",
            "            ```",
        ),
        [(7, "sh", "echo deep", True, ("A",))],
        id="admonition-in-tab-in-list-item",
    ),
    pytest.param(
        lines("~~~sh", "echo tilde", "~~~"),
        [(1, "sh", "echo tilde", True, ())],
        id="tilde-fence",
    ),
    pytest.param(
        lines("~~~~sh", "```", "~~~", "~~~~"),
        [(1, "sh", "```\n~~~", True, ())],
        id="long-tilde-fence-holding-shorter-fences",
    ),
    pytest.param(
        lines("````sh", "```", "```sh", "````"),
        [(1, "sh", "```\n```sh", True, ())],
        id="four-backticks-holding-three",
    ),
    pytest.param(
        lines("`````", "````", "```", "`````"),
        [(1, "", "````\n```", True, ())],
        id="five-backticks",
    ),
    pytest.param(
        lines("```sh", "````", "```  "),
        [(1, "sh", "````", True, ())],
        id="longer-line-is-content-closing-may-trail-spaces",
    ),
    pytest.param(
        lines("```sh", "one", "", "", "two", "```"),
        [(1, "sh", "one\n\n\ntwo", True, ())],
        id="blank-lines-in-code",
    ),
    pytest.param(
        lines(
            "!!! note", "", "    ```sh", "    if true; then", "        echo in", "    fi", "    ```"
        ),
        [(3, "sh", "if true; then\n    echo in\nfi", True, ())],
        id="indentation-removed-as-rendered",
    ),
    pytest.param(
        lines("!!! note", "", "    ```sh", "    one", "          ", "    two", "    ```"),
        [(3, "sh", "one\n\ntwo", True, ())],
        id="whitespace-only-line",
    ),
    pytest.param(
        lines("!!! note", "", "    ```sh", "", "    echo", "  ", "      deeper", "    ```"),
        [(3, "sh", "\necho\n\n  deeper", True, ())],
        id="indented-code-starting-blank-with-short-blank-line",
    ),
    pytest.param(
        lines("!!! note", "", "    ```sh", "    ```"),
        [(3, "sh", "", True, ())],
        id="indented-empty-code",
    ),
    pytest.param(
        # Python-Markdown empties the lines of spaces only; other blank characters stay.
        lines("```sh", "echo", "\f", "echo", "```"),
        [(1, "sh", "echo\n\f\necho", True, ())],
        id="form-feed-line-kept",
    ),
    pytest.param(
        "!!! note\n\n\t```sh\n\techo\ttab\n\t```\n",
        [(3, "sh", "echo    tab", True, ())],
        id="tabs-expanded",
    ),
    pytest.param(
        "```sh\r\necho crlf\r\n```\r\n",
        [(1, "sh", "echo crlf", True, ())],
        id="crlf-line-endings",
    ),
    pytest.param(
        lines("<!--", "```sh", "echo hidden", "```", "-->"),
        [(2, "sh", "echo hidden", False, ())],
        id="multi-line-comment-hides",
    ),
    pytest.param(
        lines("<!-- old way:", "```sh", "echo hidden", "```", "-->"),
        [(2, "sh", "echo hidden", False, ())],
        id="comment-opening-with-text-hides",
    ),
    pytest.param(
        lines("<!--", "", "```sh", "echo hidden", "```", "", "-->"),
        [(3, "sh", "echo hidden", False, ())],
        id="comment-with-blank-lines-hides",
    ),
    pytest.param(
        lines('<!-- ```sh title="Run" echo hidden ``` -->', "Text."),
        [],
        id="single-line-comment-holds-no-block",
    ),
    pytest.param(
        lines("<!-- a single-line comment -->", "```sh", "echo shown", "```"),
        [(2, "sh", "echo shown", True, ())],
        id="single-line-comment-does-not-hide",
    ),
    pytest.param(
        lines("<!--", "```sh", "echo hidden", "```", "-->", "", "```sh", "echo shown", "```"),
        [(2, "sh", "echo hidden", False, ()), (7, "sh", "echo shown", True, ())],
        id="comment-ends-at-its-close",
    ),
    pytest.param(
        lines("Some text <!--", "```sh", "echo hidden", "```", "-->"),
        [(2, "sh", "echo hidden", False, ())],
        id="comment-opening-after-text-hides",
    ),
    pytest.param(
        lines("!!! note", "", "    <!--", "    ```sh", "    echo hidden", "    ```", "    -->"),
        [(4, "sh", "echo hidden", False, ())],
        id="comment-in-admonition-hides",
    ),
    pytest.param(
        lines(
            "!!! note", "", "    <!--", "", "    ```sh", "    echo shown", "    ```", "", "    -->"
        ),
        [(5, "sh", "echo shown", True, ())],
        id="comment-in-admonition-cut-by-blank-line-is-text",
    ),
    pytest.param(
        lines("<!-- never closed", "", "```sh", "echo shown", "```"),
        [(3, "sh", "echo shown", True, ())],
        id="unclosed-comment-is-text",
    ),
    pytest.param(
        lines("Type `<!--` to open a comment.", "```sh", "echo shown", "```"),
        [(2, "sh", "echo shown", True, ())],
        id="comment-in-code-span-is-text",
    ),
    pytest.param(
        lines("Text:", "", "    ```sh", "    echo literal", "    ```"),
        [(3, "sh", "echo literal", False, ())],
        id="indented-code-block-holding-a-fence",
    ),
    pytest.param(
        lines("- item", "", "        ```sh", "        echo literal", "        ```"),
        [(3, "sh", "echo literal", False, ())],
        id="indented-code-block-in-list-item",
    ),
    pytest.param(
        lines("## Heading", "    ```sh", "    echo literal", "    ```"),
        [(2, "sh", "echo literal", False, ())],
        id="indented-code-block-after-heading",
    ),
    pytest.param(
        lines("!!! note", "        ```sh", "        echo literal", "        ```"),
        [(2, "sh", "echo literal", False, ())],
        id="indented-code-block-after-admonition-title",
    ),
    pytest.param(
        lines("    code", "```sh", "echo literal", "```"),
        [(2, "sh", "echo literal", False, ())],
        id="fence-right-after-indented-code-block",
    ),
    pytest.param(
        lines("Text", "- not an item", "", "    ```sh", "    echo literal", "    ```"),
        [(4, "sh", "echo literal", False, ())],
        id="list-does-not-interrupt-a-paragraph",
    ),
    pytest.param(
        lines("  - item", "", "    ```sh", "    echo in item", "    ```"),
        [(3, "sh", "echo in item", True, ())],
        id="list-marker-indented-content-at-four",
    ),
    pytest.param(
        lines("  !!! note", "", "      ```sh", "      echo literal", "      ```"),
        [(3, "sh", "echo literal", False, ())],
        id="admonition-off-its-column-is-text",
    ),
    pytest.param(
        lines(
            "1. Create:", '    === "A"', "", "        ```sh", "        echo literal", "        ```"
        ),
        [(4, "sh", "echo literal", False, ())],
        id="tab-in-first-paragraph-of-list-item-ends-at-blank-line",
    ),
    pytest.param(
        lines("Write `<!--` to comment.", "", "<!--", "", "```sh", "echo shown", "```", "", "-->"),
        [(5, "sh", "echo shown", True, ())],
        id="comment-swallowed-by-earlier-code-span-comment",
    ),
    pytest.param(
        lines("Text", "    ```sh", "    echo lazy", "    ```"),
        [(2, "sh", "echo lazy", True, ())],
        id="indented-fence-continuing-a-paragraph",
    ),
    pytest.param(
        lines("---", "title: Page", "---", "", "```sh", "echo after front matter", "```"),
        [(5, "sh", "echo after front matter", True, ())],
        id="front-matter-skipped-lines-kept",
    ),
    pytest.param(
        lines(
            "---", "note: |", "  ```sh", "  echo yaml", "  ```", "---", "```sh", "echo md", "```"
        ),
        [(7, "sh", "echo md", True, ())],
        id="fence-in-front-matter-is-yaml",
    ),
    pytest.param(
        lines('```sh foo="1"', "not code", "```", "code", "```"),
        [(3, "", "code", True, ())],
        id="unknown-option-is-no-fence",
    ),
    pytest.param(
        lines('```sh data-x="1"', "not code", "```", "code", "```"),
        [(3, "", "code", True, ())],
        id="data-option-without-braces-is-no-fence",
    ),
    pytest.param(
        lines('```sh hl_lines="x"', "not code", "```", "code", "```"),
        [(3, "", "code", True, ())],
        id="bad-hl-lines-is-no-fence",
    ),
    pytest.param(
        lines("```mermaid", "graph LR", "```", "```", "plain", "```"),
        [(1, "mermaid", "graph LR", True, ()), (4, "", "plain", True, ())],
        id="other-languages",
    ),
]


@pytest.mark.parametrize(("markdown", "expected"), FINDER_CASES)
def test_finder(markdown: str, expected: list[tuple[object, ...]]) -> None:
    """Each block is found at its line, with its text, visibility and enclosing tabs."""
    assert [seen(fence) for fence in find_fences(markdown)] == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param(CMD, TITLE, id="title"),
        pytest.param('sh title=".gitignore"', ".gitignore", id="file-title"),
        pytest.param(f'{CMD} hl_lines="1 2-3" linenums="1"', TITLE, id="more-options"),
        pytest.param("sh title='single quotes'", "single quotes", id="single-quotes"),
        pytest.param("sh title", "title", id="bare-option-names-itself"),
        pytest.param('{ .sh title="In braces" }', "In braces", id="braces"),
        pytest.param("sh", None, id="no-title"),
    ],
)
def test_title(header: str, expected: str | None) -> None:
    """A block's title is read from its header, as SuperFences reads it."""
    (fence,) = find_fences(lines("```" + header, "echo", "```"))
    assert (fence.lang, fence.title) == ("sh", expected)


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        pytest.param("```", ("", {}), id="bare"),
        pytest.param("```sh", ("sh", {}), id="language"),
        pytest.param("``` .sh", ("sh", {}), id="dotted-language"),
        pytest.param('```sh title="T"', ("sh", {"title": "T"}), id="title"),
        pytest.param(
            '~~~bash title="T" linenums="1"', ("bash", {"title": "T", "linenums": "1"}), id="tilde"
        ),
        pytest.param('```{.sh #id title="T"}', ("sh", {"title": "T"}), id="braces"),
        pytest.param('```sh {data-x="1"}', ("sh", {"data-x": "1"}), id="data-in-braces"),
        pytest.param("```sh title=unquoted", None, id="unquoted-value"),
        pytest.param('```sh data-x="1"', None, id="data-without-braces"),
        pytest.param('```sh linenums="x"', None, id="bad-linenums"),
        pytest.param("```sh linenums", None, id="bare-linenums"),
        pytest.param("```sh two words", None, id="unknown-words"),
        pytest.param("``", None, id="two-backticks"),
    ],
)
def test_parse_header(info: str, expected: tuple[str, dict[str, str]] | None) -> None:
    """An opening line gives a language and options, or is no fence, as in SuperFences."""
    assert parse_header(info) == expected


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        pytest.param("GitHub", "GitHub", id="plain"),
        pytest.param(":simple-github: GitHub", "GitHub", id="leading-icon"),
        pytest.param("GitLab :simple-gitlab:", "GitLab", id="trailing-icon"),
        pytest.param(":material-linux:  Linux  and  WSL", "Linux and WSL", id="spacing"),
    ],
)
def test_tab_label(raw: str, label: str) -> None:
    """Tab labels are compared without icon shortcodes and extra spaces."""
    assert tab_label(raw) == label


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        pytest.param(
            lines('=== "A"', "", "    x", "", '=== "B"', "", "    y"),
            {1: ("A", "B")},
            id="consecutive-tabs-one-set",
        ),
        pytest.param(
            lines('=== "A"', "", "    x", "", "Text.", "", '=== "A"', "", "    y"),
            {1: ("A",), 2: ("A",)},
            id="text-between-two-sets",
        ),
        pytest.param(
            lines('=== "A"', "", "    x", "", '===! "A"', "", "    y", "", '=== "B"', "", "    z"),
            {1: ("A",), 2: ("A", "B")},
            id="bang-starts-a-set",
        ),
        pytest.param(
            lines('=== "A"', "", '    === "x"', "", '    === "y"', "", '=== "B"', "", "    z"),
            {1: ("A", "B"), 2: ("x", "y")},
            id="nested-set",
        ),
    ],
)
def test_tab_sets(markdown: str, expected: dict[int, tuple[str, ...]]) -> None:
    """Consecutive tabs at one level form a tab set, numbered in page order."""
    assert scan(markdown).tab_sets == expected


def test_tab_groups_in_fences() -> None:
    """Each block's tabs name their tab set, so linked labels in two sets stay apart."""
    markdown = lines(
        '=== "A"', "", "    ```sh", "    one", "    ```", "", "Text.", "",
        '=== "A"', "", "    ```sh", "    two", "    ```",
    )  # fmt: skip
    assert [fence.tabs[0].group for fence in find_fences(markdown)] == [1, 2]


@pytest.mark.parametrize(
    ("markdown", "line"),
    [
        pytest.param(lines('<!-- runbook: skip="why" -->', "```sh", "x", "```"), 1, id="adjacent"),
        pytest.param(
            lines("<!-- runbook: fails -->", "", "", "```sh", "x", "```"), 1, id="blank-lines"
        ),
        pytest.param(
            lines("- item", "", "    <!-- runbook: fails -->", "    ```sh", "    x", "    ```"),
            3,
            id="in-list-item",
        ),
    ],
)
def test_directive_attaches_to_next_block(markdown: str, line: int) -> None:
    """A runbook directive belongs to the block that follows it, blank lines allowed."""
    (fence,) = find_fences(markdown)
    assert fence.directive is not None
    assert fence.directive[0] == line


@pytest.mark.parametrize(
    ("markdown", "line", "message"),
    [
        pytest.param(lines("Text", "", "```sh", "echo"), 3, "never closed", id="unclosed-fence"),
        pytest.param(
            lines("!!! note", "", "    ````sh", "    echo", "  oops", "    ````"),
            5,
            "less indented",
            id="content-less-indented",
        ),
        pytest.param(
            lines("<!-- runbook: fails -->", "", "Text."),
            1,
            "not followed by a code block",
            id="directive-before-text",
        ),
        pytest.param(
            lines("Text.", "", "<!-- runbook: fails -->"),
            3,
            "not followed by a code block",
            id="directive-at-end",
        ),
    ],
)
def test_errors(markdown: str, line: int, message: str) -> None:
    """What an author must fix is reported at its line."""
    with pytest.raises(SourceError) as raised:
        find_fences(markdown)
    assert raised.value.line == line
    assert message in raised.value.message


def test_a_body_may_start_with_a_rule() -> None:
    """Read as a page, leading `---` lines are front matter; read as a body, they are rules."""
    body = lines("---", "", "```sh", "echo", "```", "", "---")
    assert find_fences(body) == []
    assert [(f.line, f.text) for f in find_fences(body, front_matter=False)] == [(3, "echo")]
