"""The finder agrees with the renderer: the runnable blocks it finds are those the HTML shows.

Each page is rendered by Python-Markdown with the `markdown_extensions` of the project's
`mkdocs.yml`, its front matter stripped as MkDocs strips it. The HTML is read back with
`html.parser`, which skips comments as a browser does, into the code blocks a reader sees.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.utils.meta import get_data
from test_fences import FINDER_CASES

from conftest import CHAPTER, DOCS, PROJECT
from runbook import config as runbook_config
from runbook.fences import Fence, find_fences
from runbook.pages import read_page
from runbook.runbook import Selection

TRICKY = PROJECT / "tests" / "pages" / "tricky-nesting.md"
PAGES = [
    pytest.param(DOCS / CHAPTER, id="chapter"),
    pytest.param(TRICKY, id="tricky-nesting"),
]
COMMAND = 'title="Execute the following command(s) in a terminal"'
# Elements that never have an end tag: they must not be pushed on the parser's stack.
VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass(frozen=True)
class Block:
    """A code block as a reader sees it: language, title, text and the tabs around it."""

    lang: str
    title: str | None
    text: str
    tabs: tuple[str, ...]


@dataclass
class _TabSet:
    labels: list[str] = field(default_factory=list)
    block: int = -1  # index of the tab content being read


class _CodeBlocks(HTMLParser):
    """Collect each highlighted code block of a page's HTML, with its enclosing tab labels."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.stack: list[tuple[str, str | None]] = []
        self.tab_sets: list[_TabSet] = []
        self.label: list[str] | None = None
        self.code: dict[str, object] | None = None

    def _role(self, tag: str, classes: list[str]) -> str | None:
        roles = self.roles()
        if tag == "div" and "tabbed-set" in classes:
            self.tab_sets.append(_TabSet())
            return "tab-set"
        if tag == "div" and "tabbed-labels" in classes:
            return "labels"
        if tag == "label" and "labels" in roles:
            self.label = []
            return "label"
        if tag == "div" and "tabbed-block" in classes:
            self.tab_sets[-1].block += 1
            return "tab"
        if tag == "div" and "highlight" in classes:
            lang = next(
                (c.removeprefix("language-") for c in classes if c.startswith("language-")), ""
            )
            tabs = tuple(s.labels[s.block] for s in self.tab_sets if s.block >= 0)
            self.code = {"lang": lang, "title": None, "text": "", "tabs": tabs}
            return "highlight"
        if tag == "span" and "filename" in classes and self.code is not None:
            self.code["title"] = ""
            return "title"
        if tag == "code" and self.code is not None:
            return "code"
        return None

    def roles(self) -> list[str | None]:
        return [role for _, role in self.stack]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        classes = (dict(attrs).get("class") or "").split()
        self.stack.append((tag, self._role(tag, classes)))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID or tag not in (name for name, _ in self.stack):
            return
        while self.stack:
            name, role = self.stack.pop()
            if role == "tab-set":
                self.tab_sets.pop()
            elif role == "label" and self.label is not None:
                self.tab_sets[-1].labels.append(" ".join("".join(self.label).split()))
                self.label = None
            elif role == "highlight" and self.code is not None:
                self.blocks.append(Block(**self.code))  # type: ignore[arg-type]
                self.code = None
            if name == tag:
                return

    def handle_data(self, data: str) -> None:
        if self.label is not None:
            self.label.append(data)
        roles = self.roles()
        if self.code is not None and "title" in roles:
            self.code["title"] = str(self.code["title"]) + data
        elif self.code is not None and "code" in roles:
            self.code["text"] = str(self.code["text"]) + data


@pytest.fixture(scope="module")
def site_config() -> MkDocsConfig:
    """The project's MkDocs configuration, as `mkdocs build` loads it."""
    return load_config(str(PROJECT / "mkdocs.yml"))


@pytest.fixture(scope="module")
def selection() -> Selection:
    """The plugin's block selection, from the project's `mkdocs.yml`."""
    options, _ = runbook_config.load(PROJECT / "mkdocs.yml")
    return runbook_config.selection(options)


def rendered_blocks(text: str, config: MkDocsConfig) -> list[Block]:
    """Render a page as MkDocs does and return the code blocks of its HTML, in order."""
    body, _ = get_data(text)
    renderer = markdown.Markdown(
        extensions=config.markdown_extensions, extension_configs=config.mdx_configs
    )
    parser = _CodeBlocks()
    parser.feed(renderer.convert(body))
    parser.close()
    return parser.blocks


def as_rendered(fence: Fence) -> Block:
    """A found block as the HTML shows it.

    Pygments (`stripnl`, `ensurenl`) drops leading and trailing blank lines and ends the code
    with one newline.
    """
    tabs = tuple(tab.label for tab in fence.tabs)
    return Block(fence.lang, fence.title, fence.text.strip("\n") + "\n", tabs)


def runnable(block: Block, selection: Selection) -> bool:
    """Whether a rendered block is one the reader is told to run."""
    return (
        block.lang in selection.languages
        and block.title is not None
        and re.fullmatch(selection.title, block.title) is not None
    )


@pytest.mark.parametrize("page", PAGES)
def test_runnable_blocks_are_the_rendered_ones(
    page: Path, site_config: MkDocsConfig, selection: Selection
) -> None:
    """The finder's runnable blocks and the HTML's, in order, with the same text and tabs."""
    text = page.read_text(encoding="utf-8")
    found = [as_rendered(f) for f in find_fences(text) if f.shown and selection.selects(f)]
    shown = [block for block in rendered_blocks(text, site_config) if runnable(block, selection)]
    assert shown, "the page shows no runnable block: the comparison would prove nothing"
    assert found == shown


@pytest.mark.parametrize("page", PAGES)
def test_steps_are_the_rendered_commands(
    page: Path, site_config: MkDocsConfig, selection: Selection
) -> None:
    """The runbook's steps, skipped ones included, hold the commands the HTML shows."""
    runbook = read_page(page, page.name, selection)
    text = page.read_text(encoding="utf-8")
    shown = [block for block in rendered_blocks(text, site_config) if runnable(block, selection)]
    steps = [
        (step.code.strip("\n") + "\n", tuple(t.label for t in step.tabs)) for step in runbook.steps
    ]
    assert steps == [(block.text, block.tabs) for block in shown]


@pytest.mark.parametrize("page", PAGES)
def test_titled_blocks_are_the_rendered_ones(page: Path, site_config: MkDocsConfig) -> None:
    """Every titled block, command or not (files, output, second terminals), matches the HTML."""
    text = page.read_text(encoding="utf-8")
    found = [as_rendered(f) for f in find_fences(text) if f.shown and f.title is not None]
    shown = [block for block in rendered_blocks(text, site_config) if block.title is not None]
    assert found == shown


def test_tricky_page_covers_each_trap(site_config: MkDocsConfig, selection: Selection) -> None:
    """The tricky page holds the traps it is for: hidden, literal and non-command blocks."""
    fences = find_fences(TRICKY.read_text(encoding="utf-8"))
    hidden = [f for f in fences if not f.shown]
    assert len(hidden) >= 4  # comments, comment with blank lines, indented code blocks
    assert any(f.title == ".gitignore" for f in fences)
    assert any(f.lang == "text" for f in fences)
    assert any("hl_lines" in f.options for f in fences if f.shown and selection.selects(f))
    assert {len(f.tabs) for f in fences if f.shown} >= {0, 1, 2}


@pytest.mark.parametrize(("markdown_text", "expected"), FINDER_CASES)
def test_finder_table_agrees_with_renderer(
    markdown_text: str, expected: list[tuple[object, ...]], site_config: MkDocsConfig
) -> None:
    """Each case of the finder's table renders as the finder says (highlighted languages)."""
    # Indented code blocks and fences without a language both render as `text`: leave them out.
    found = [
        as_rendered(f)
        for f in find_fences(markdown_text)
        if f.shown and f.lang not in ("", "text", "mermaid")
    ]
    shown = [b for b in rendered_blocks(markdown_text, site_config) if b.lang != "text"]
    assert found == shown


def generated_page(seed: int) -> str:
    """A random page: blocks in admonitions, tabs, list items, comments and indented code.

    Blocks are laid out as authors lay them out, a blank line after each, so that what is
    compared is the nesting, not Python-Markdown's rules for lazy lines.
    """
    rng = random.Random(seed)

    def fence(pad: str) -> list[str]:
        marker = rng.choice(["```", "```", "~~~", "````", "~~~~~"])
        lang = rng.choice(["sh", "bash", "shell", "zsh", "text"])
        title = rng.choice([COMMAND, COMMAND, COMMAND, 'title=".gitignore"'])
        extra = rng.choice(["", "", ' hl_lines="1"', ' linenums="1"'])
        body = [f"echo {rng.randint(0, 999)}"]
        others = ["", "  echo indented", "```", "~~~", "<!--", "-->", "cd sub"]
        body += rng.sample([line for line in others if line != marker], 2)
        return [
            pad + marker + f"{lang} {title}{extra}",
            *(pad + line for line in body),
            pad + marker,
        ]

    def blocks(depth: int, pad: str) -> list[str]:
        lines: list[str] = []
        for _ in range(rng.randint(1, 3)):
            kind = rng.choice(
                ["fence", "fence", "text", "admonition", "tabs", "list", "comment", "code"]
                if depth < 3
                else ["fence", "text"]
            )
            inner = pad + "    "
            if kind == "fence":
                lines += fence(pad)
            elif kind == "text":
                lines.append(pad + rng.choice(["Text.", "## Heading", "Write `<!--` to comment."]))
            elif kind == "admonition":
                lines += [pad + rng.choice(["!!! note", '??? tip "Tip"', '???+ info "Info"']), ""]
                lines += blocks(depth + 1, inner)
            elif kind == "tabs":
                for label in rng.sample(["GitHub", ":simple-gitlab: GitLab", "pip", "uv"], 2):
                    lines += [pad + f'=== "{label}"', "", *blocks(depth + 1, inner), ""]
            elif kind == "list":
                lines += [pad + rng.choice(["- Item.", "1. Step."]), ""]
                lines += blocks(depth + 1, inner)
            elif kind == "comment":
                blank = [""] if rng.random() < 0.5 else []
                lines += [pad + rng.choice(["<!--", "<!-- Old:", "Text <!--"]), *blank]
                lines += [*blocks(depth + 1, pad), *blank, pad + "-->"]
            else:
                lines += [pad + "Text:", "", *blocks(depth + 1, inner)]
            lines.append("")
        return lines

    return "\n".join(blocks(0, "")) + "\n"


@pytest.mark.parametrize("seed", [pytest.param(seed, id=f"seed-{seed}") for seed in range(60)])
def test_generated_pages_agree_with_renderer(
    seed: int, site_config: MkDocsConfig, selection: Selection
) -> None:
    """On random nestings of every kind, the finder's runnable blocks are the HTML's."""
    text = generated_page(seed)
    found = [as_rendered(f) for f in find_fences(text) if f.shown and selection.selects(f)]
    shown = [block for block in rendered_blocks(text, site_config) if runnable(block, selection)]
    assert found == shown, text


@pytest.mark.xfail(strict=True, reason="the finder does not read blockquotes; the guide has none")
def test_blockquote_block_agrees_with_renderer(
    site_config: MkDocsConfig, selection: Selection
) -> None:
    """A command block quoted with `> ` is shown by the renderer; the finder misses it."""
    text = f"> ```sh {COMMAND}\n> echo quoted\n> ```\n"
    found = [as_rendered(f) for f in find_fences(text) if f.shown and selection.selects(f)]
    shown = [block for block in rendered_blocks(text, site_config) if runnable(block, selection)]
    assert found == shown
