"""The render tells which fences a reader sees, and in which tabs: exactly what its HTML shows.

The HTML is read back with `html.parser`, which skips comments as a browser does, into the code
blocks a reader sees and the position of the tabs around each.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from hypothesis import given
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.utils.meta import get_data

from helpers import CHAPTER, DOCS, PROJECT, TITLE
from runbook.reading.render import Rendering, render, tab_label
from strategies import pages

CMD = f'sh title="{TITLE}"'
VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass(frozen=True)
class Block:
    """A code block as a reader sees it: language, title, text, and the (set, tab) around it."""

    lang: str
    title: str | None
    text: str
    tabs: tuple[tuple[int, int], ...]


@dataclass
class _TabSet:
    number: int
    tab: int = -1


@dataclass
class _CodeBlocks(HTMLParser):
    """Each highlighted code block of a page's HTML, with the tabs that enclose it."""

    blocks: list[Block] = field(default_factory=list)
    stack: list[tuple[str, object]] = field(default_factory=list)
    sets: list[_TabSet] = field(default_factory=list)
    count: int = 0
    code: dict[str, object] | None = None

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def _role(self, tag: str, classes: list[str]) -> object:
        if tag == "div" and "tabbed-set" in classes:
            self.count += 1
            self.sets.append(_TabSet(self.count))
            return "set"
        if tag == "div" and "tabbed-block" in classes and self.sets:
            self.sets[-1].tab += 1
            return (self.sets[-1].number, self.sets[-1].tab)  # a block is in a tab while open
        if tag == "div" and "highlight" in classes:
            lang = next((c[9:] for c in classes if c.startswith("language-")), "")
            tabs = tuple(role for _, role in self.stack if isinstance(role, tuple))
            self.code = {"lang": lang, "title": None, "text": "", "tabs": tabs}
            return "highlight"
        if tag == "span" and "filename" in classes and self.code is not None:
            self.code["title"] = ""
            return "title"
        if tag == "code" and self.code is not None:
            return "code"
        return None

    def parse_comment(self, i: int, report: bool = True) -> int:
        """End a comment as HTML5 does: at `-->` or `--!>`; `<!-->` and `<!--->` end at once.

        (Python's own parser ends one at any `--`, blanks, `>`: no browser does.)
        """
        data, start = self.rawdata, i + 4
        if data.startswith((">", "->"), start):
            return data.index(">", start) + 1
        ends = [found for close in ("-->", "--!>") if (found := data.find(close, start)) >= 0]
        if not ends:
            return -1  # not complete yet: the parser waits for more, or drops it at the end
        end = min(ends)
        return end + (4 if data.startswith("--!>", end) else 3)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.stack.append((tag, self._role(tag, (dict(attrs).get("class") or "").split())))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID or tag not in (name for name, _ in self.stack):
            return
        while self.stack:
            name, role = self.stack.pop()
            if role == "set":
                self.sets.pop()
            elif role == "highlight" and self.code is not None:
                self.blocks.append(Block(**self.code))  # type: ignore[arg-type]
                self.code = None
            if name == tag:
                return

    def handle_data(self, data: str) -> None:
        roles = [role for _, role in self.stack]
        if self.code is not None and "title" in roles:
            self.code["title"] = str(self.code["title"]) + data
        elif self.code is not None and "code" in roles:
            self.code["text"] = str(self.code["text"]) + data


def html_blocks(html: str) -> list[Block]:
    parser = _CodeBlocks()
    parser.feed(html + "-->")  # a comment left open runs to the end, as in browsers
    parser.close()
    return parser.blocks


def shown(rendering: Rendering) -> list[Block]:
    """The fences the recorder says a reader sees, as the HTML would show them.

    Pygments drops blank lines around the code and ends it with one newline. Fences without a
    language show as `text`, as indented code does: those are left out on both sides.
    """
    blocks = []
    for fence in rendering.fences:
        if fence.shown and fence.lang not in ("", "text", "mermaid"):
            tabs = tuple((t.group, t.index) for t in fence.tabs)
            blocks.append(Block(fence.lang, fence.title, fence.text.strip("\n") + "\n", tabs))
    return blocks


@pytest.fixture(scope="module")
def renders(markdown_settings: MkDocsConfig) -> object:
    def page(text: str) -> tuple[str, Rendering]:
        body, _ = get_data(text)
        return render(body, markdown_settings.markdown_extensions, markdown_settings.mdx_configs)

    return page


def agree(text: str, renders: object) -> list[Block]:
    """Assert the recorder and the HTML agree on `text`; return the blocks shown."""
    html, rendering = renders(text)  # type: ignore[operator]
    theirs = [block for block in html_blocks(html) if block.lang != "text"]
    if rendering.tabs_unsure:
        # HTML written unevenly in a tab: a page whose steps are in tabs is refused (see
        # test_steps), as browsers repair it each their own way. What shows still agrees.
        theirs = [dataclasses.replace(block, tabs=()) for block in theirs]
        ours = [dataclasses.replace(block, tabs=()) for block in shown(rendering)]
        assert ours == theirs
        return theirs
    assert shown(rendering) == theirs
    return theirs


def lines(*text: str) -> str:
    return "\n".join(text) + "\n"


SHOWN_CASES = [
    pytest.param(lines(f"```{CMD}", "echo top", "```"), ["echo top"], id="top-level"),
    pytest.param(
        lines(
            "<!--", f"```{CMD}", "echo hidden", "```", "-->", "", f"```{CMD}", "echo shown", "```"
        ),
        ["echo shown"],
        id="comment-hides",
    ),
    pytest.param(
        lines("Some text <!--", f"```{CMD}", "echo hidden", "```", "-->"), [], id="inline-comment"
    ),
    pytest.param(
        lines("<!-- never closed", "", f"```{CMD}", "echo shown", "```"),
        ["echo shown"],
        id="unclosed-comment-is-text",
    ),
    pytest.param(
        lines("Text:", "", f"    ```{CMD}", "    echo literal", "    ```"),
        [],
        id="indented-code-gives-the-fence-back-as-text",
    ),
    pytest.param(
        lines(
            "1. Run this command, whose explanation",
            "wraps onto a lazy line.",
            "",
            f"    ```{CMD}",
            "    echo lazy",
            "    ```",
        ),
        ["echo lazy"],
        id="list-item-after-a-lazy-line",
    ),
    pytest.param(
        lines("- item", f"    ```{CMD}", "    echo tight", "    ```"),
        ["echo tight"],
        id="list-item-without-blank-line",
    ),
    pytest.param(lines(f"> ```{CMD}", "> echo quoted", "> ```"), ["echo quoted"], id="blockquote"),
    pytest.param(
        lines('??? info "Closed"', "", f"    ```{CMD}", "    echo closed", "    ```"),
        ["echo closed"],
        id="collapsed-admonition-is-shown",
    ),
    pytest.param(
        lines('=== "GitHub"', "", f"    ```{CMD}", "    echo github", "    ```"),
        ["echo github"],
        id="tab",
    ),
    pytest.param(
        lines('<div data-open="<!--">', "", f"```{CMD}", "echo shown", "```", "", "</div>"),
        ["echo shown"],
        id="comment-marker-in-an-attribute",
    ),
    pytest.param(
        lines("<div>", "Write <!-- here", "</div>", "", f"```{CMD}", "echo hidden", "```"),
        [],
        id="comment-opened-in-raw-html-runs-to-the-end",
    ),
    pytest.param(
        lines("<div markdown>", "", f"```{CMD}", "echo in html", "```", "", "</div>"),
        ["echo in html"],
        id="md-in-html",
    ),
]


@pytest.mark.parametrize(("text", "expected"), SHOWN_CASES)
def test_shown_fences_are_the_htmls_code_blocks(
    text: str, expected: list[str], renders: object
) -> None:
    """Each case shows the table's commands, and the recorder says so, block for block."""
    assert [block.text.rstrip("\n") for block in agree(text, renders)] == expected


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        pytest.param(":simple-github: GitHub", "GitHub", id="icon-and-text"),
        pytest.param(":simple-github:", "", id="icon-only"),
        pytest.param(":material-language-python: pip", "pip", id="material-icon"),
        pytest.param("uv :fontawesome-brands-python:", "uv", id="icon-after"),
        pytest.param(":octicons-mark-github-16:", "", id="octicon"),
        pytest.param("  pip   install ", "pip install", id="spacing"),
    ],
)
def test_tab_labels_compare_without_icons(raw: str, label: str) -> None:
    """Labels are compared by their text, as Material links tabs: icons count for nothing."""
    assert tab_label(raw) == label


def test_tab_labels_are_kept_as_written(renders: object) -> None:
    """Each tab set's labels are kept as the page writes them, to say what is wrong with one."""
    text = "".join(
        f'=== ":simple-{name}:"\n\n    ```{CMD}\n    echo {name}\n    ```\n\n'
        for name in ("github", "gitlab")
    )
    _, rendering = renders(text)  # type: ignore[operator]
    assert rendering.tab_sets == {1: ("", "")}
    assert rendering.written_labels == {1: (":simple-github:", ":simple-gitlab:")}


def test_tab_sets_are_numbered_in_page_order(renders: object) -> None:
    """An outer tab set comes before the sets nested in it; linked labels keep their sets."""
    text = lines(
        '=== "GitHub"',
        "",
        '    === "pip"',
        "",
        f"        ```{CMD}",
        "        pip install x",
        "        ```",
        "",
        '    === "uv"',
        "",
        f"        ```{CMD}",
        "        uv add x",
        "        ```",
        "",
        '=== "GitLab"',
        "",
        f"    ```{CMD}",
        "    echo gitlab",
        "    ```",
    )
    _, rendering = renders(text)  # type: ignore[operator]
    assert rendering.tab_sets == {1: ("GitHub", "GitLab"), 2: ("pip", "uv")}
    tabs = [[(t.group, t.label) for t in f.tabs] for f in rendering.fences]
    assert tabs == [[(1, "GitHub"), (2, "pip")], [(1, "GitHub"), (2, "uv")], [(1, "GitLab")]]
    agree(text, renders)


@pytest.mark.parametrize(
    "path",
    [DOCS / CHAPTER, PROJECT / "tests" / "pages" / "tricky-nesting.md"],
    ids=["chapter", "tricky"],
)
def test_real_pages_agree(path: object, renders: object) -> None:
    """The chapter and a page of tricky nestings show what the recorder says, and something."""
    assert agree(path.read_text(encoding="utf-8"), renders)  # type: ignore[attr-defined]


@given(text=pages())
def test_generated_pages_agree(text: str, renders: object) -> None:
    """On random pages of every layout, the recorder's shown fences are the HTML's blocks."""
    agree(text, renders)
