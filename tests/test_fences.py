"""The fence reader finds exactly the fences SuperFences finds, where it finds them."""

from __future__ import annotations

import markdown
import pytest
from hypothesis import given
from mkdocs.config.defaults import MkDocsConfig

from helpers import TITLE
from runbook.reading.fences import FenceReader, Fences
from strategies import pages

CMD = f'sh title="{TITLE}"'


def lines(*text: str) -> str:
    """Join Markdown lines, so that each case shows its line numbers plainly."""
    return "\n".join(text) + "\n"


@pytest.fixture(scope="module")
def reader(markdown_settings: MkDocsConfig) -> FenceReader:
    return FenceReader.configured(
        markdown_settings.markdown_extensions, markdown_settings.mdx_configs
    )


@pytest.fixture(scope="module")
def superfences(markdown_settings: MkDocsConfig) -> object:
    """SuperFences' own preprocessor, noting each fence it would hand to the highlighter."""
    md = markdown.Markdown(
        extensions=markdown_settings.markdown_extensions,
        extension_configs=markdown_settings.mdx_configs,
    )
    return md


def superfences_reading(md: markdown.Markdown, text: str) -> list[tuple[object, ...]]:
    """What SuperFences itself makes of `text`: each fence's lines, language, options, text."""
    pre = md.preprocessors["fenced_code_block"]
    found: list[tuple[object, ...]] = []

    def keep(ws: str, content: str, start: int, end: int) -> None:
        found.append(
            (start + 1, end, pre.lang or "", dict(pre.options), pre.rebuild_block(pre.code))
        )
        pre.clear()

    pre.process_nested_block = keep
    pre.run(md.preprocessors["normalize_whitespace"].run(text.split("\n")))
    return found


def our_reading(fences: Fences) -> list[tuple[object, ...]]:
    return [(f.line, f.end, f.lang, dict(f.header.options), f.text) for f in fences.fences]


FENCE_CASES = [
    pytest.param(lines("```sh", "echo top", "```"), [(1, 3, "sh", "echo top")], id="top-level"),
    pytest.param(lines("~~~sh", "echo tilde", "~~~"), [(1, 3, "sh", "echo tilde")], id="tilde"),
    pytest.param(
        lines("~~~~sh", "```", "~~~", "~~~~"), [(1, 4, "sh", "```\n~~~")], id="long-tilde"
    ),
    pytest.param(
        lines("````sh", "```", "```sh", "````"), [(1, 4, "sh", "```\n```sh")], id="four-backticks"
    ),
    pytest.param(
        lines("```sh", "````", "```  "), [(1, 3, "sh", "````")], id="closing-may-trail-spaces"
    ),
    pytest.param(
        lines("```sh", "one", "", "", "two", "```"), [(1, 6, "sh", "one\n\n\ntwo")], id="blanks"
    ),
    pytest.param(
        lines("!!! note", "", "    ```sh", "    if true; then", "        echo in", "    ```"),
        [(3, 6, "sh", "if true; then\n    echo in")],
        id="indentation-removed",
    ),
    pytest.param(
        lines("    ```sh", "    one", "  two", "    ```"), [], id="less-indented-line-abandons"
    ),
    pytest.param(lines("```sh", "echo never closed"), [], id="never-closed"),
    pytest.param(
        "!!! note\n\n\t```sh\n\techo\ttab\n\t```\n", [(3, 5, "sh", "echo    tab")], id="tabs"
    ),
    pytest.param("```sh\r\necho crlf\r\n```\r\n", [(1, 3, "sh", "echo crlf")], id="crlf"),
    pytest.param(
        lines(f"> ```{CMD}", "> echo quoted", "> ```"),
        [(1, 3, "sh", "echo quoted")],
        id="blockquote",
    ),
    pytest.param(
        lines("> > ```sh", "> > echo deep", "> > ```"),
        [(1, 3, "sh", "echo deep")],
        id="nested-quote",
    ),
    pytest.param(
        lines(f'``` {{.sh title="{TITLE}"}}', "echo attrs", "```"),
        [(1, 3, "sh", "echo attrs")],
        id="attribute-header",
    ),
    pytest.param(lines('```sh hl_lines="x"', "echo", "```"), [], id="refused-option"),
    pytest.param(
        lines("```mermaid", "flowchart LR", "```"),
        [(1, 3, "mermaid", "flowchart LR")],
        id="mermaid",
    ),
    pytest.param(lines("```sh", "```"), [(1, 2, "sh", "")], id="empty"),
]


@pytest.mark.parametrize(("text", "expected"), FENCE_CASES)
def test_fences_are_read_as_superfences_reads_them(
    text: str, expected: list[tuple[object, ...]], reader: FenceReader, superfences: object
) -> None:
    """Each case's fences have the lines, language and text of the table, as SuperFences'."""
    fences = reader.read(text)
    assert [(f.line, f.end, f.lang, f.text) for f in fences.fences] == expected
    assert our_reading(fences) == superfences_reading(superfences, text)  # type: ignore[arg-type]


def test_titles_and_options_are_superfences_own(reader: FenceReader) -> None:
    """A fence's options are what SuperFences' validators keep: title, hl_lines, linenums."""
    (fence,) = reader.read(lines(f'```{CMD} hl_lines="1" linenums="2"', "echo", "```")).fences
    assert fence.title == TITLE
    assert dict(fence.header.options) == {"title": TITLE, "hl_lines": "1", "linenums": "2"}


@pytest.mark.parametrize(
    ("text", "directives", "errors"),
    [
        pytest.param(
            lines('<!-- runbook: dir="x" -->', f"```{CMD}", "true", "```"),
            [(1, 'dir="x"')],
            [],
            id="before-its-block",
        ),
        pytest.param(
            lines("<!-- runbook: fails -->", "", "", f"```{CMD}", "false", "```"),
            [(1, "fails")],
            [],
            id="blank-lines-between",
        ),
        pytest.param(
            lines(
                "!!! note",
                "",
                "    <!-- runbook: skip='no' -->",
                f"    ```{CMD}",
                "    x",
                "    ```",
            ),
            [(3, "skip='no'")],
            [],
            id="indented",
        ),
        pytest.param(
            lines("<!-- runbook: fails -->", "Some prose.", "", f"```{CMD}", "false", "```"),
            [None],
            [(1, "runbook directive is not followed by a code block")],
            id="prose-between",
        ),
        pytest.param(
            lines(f"```{CMD}", "<!-- runbook: fails -->", "```"),
            [None],
            [],
            id="in-code-it-is-code",
        ),
        pytest.param(
            lines("Text.", "<!-- runbook: fails -->"),
            [],
            [(2, "runbook directive is not followed by a code block")],
            id="at-the-end",
        ),
    ],
)
def test_directives_belong_to_the_next_block(
    text: str,
    directives: list[tuple[int, str] | None],
    errors: list[tuple[int, str]],
    reader: FenceReader,
) -> None:
    """A directive comment is read with the block right after it; prose between is an error."""
    fences = reader.read(text)
    assert [f.directive for f in fences.fences] == directives
    assert [(e.line, e.message) for e in fences.errors] == errors


@given(text=pages())
def test_generated_pages_read_as_superfences_reads_them(
    text: str, reader: FenceReader, superfences: object
) -> None:
    """On random pages of every layout, the reading is SuperFences' own, fence for fence."""
    assert our_reading(reader.read(text)) == superfences_reading(superfences, text)  # type: ignore[arg-type]
