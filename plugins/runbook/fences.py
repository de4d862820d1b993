"""Find the fenced code blocks of a Markdown page, as Python-Markdown with SuperFences shows them.

The rules mirror `pymdownx.superfences` (which runs before raw HTML is set aside): a fence may
open at any indentation, its content lines must keep that indentation, and it closes on the same
fence string. Around the fences the finder tracks what changes how a block is shown: HTML
comments (a block in one is in the HTML but not shown), indented code blocks (which give a
fence back as text), content tabs (`=== "Label"`), and admonitions and list items, whose
content is indented by four spaces.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace

from runbook.errors import SourceError

TAB_LENGTH = 4

_FENCE_START = re.compile(
    r"""
    (?P<fence>~{3,}|`{3,})
    (?:[ \t]*\.?(?P<lang>[\w#.+-]+)(?=[ \t]|$))?
    (?:
        [ \t]*\{(?P<attrs>[^\n]*)\}
      | (?P<options>(?:[ \t]*[a-zA-Z][a-zA-Z0-9_]*(?:=(?P<quot>["']).*?(?P=quot))?(?=[ \t]|$))+)
      | (?P<unknown>(?:[ \t]*\S+)+)
    )?
    [ \t]*$
    """,
    re.VERBOSE,
)
_OPTION = re.compile(r"""([a-zA-Z][a-zA-Z0-9_]*)(?:=(["'])(.*?)\2)?""")
_ATTR = re.compile(r"""([a-zA-Z][\w-]*)=(?:"([^"]*)"|'([^']*)'|(\S+))|\.([\w-]+)|#([\w-]+)""")
# Options SuperFences accepts on a highlighted block, with the pattern a value must start with;
# any other option, or a value that does not fit, makes it refuse the fence.
_HIGHLIGHT_OPTIONS: dict[str, re.Pattern[str] | None] = {
    "hl_lines": re.compile(r"\d+(?:-\d+)?(?:[ \t]+\d+(?:-\d+)?)*$"),
    "linenums": re.compile(r"\d+"),
    "title": None,
    "title_mode": None,
}
_TAB = re.compile(r"===(?P<flags>[+!]{0,2}) +\"(?P<label>.*?)\" *$")
_ADMONITION = re.compile(r"(?:!!!|\?\?\?\+?) *[\w-]")
# Python-Markdown knows `1.` but not `1)` as an ordered list marker.
_LIST_ITEM = re.compile(r"(?:[*+-]|\d+\.)[ \t]+\S")
_SHORTCODE = re.compile(r":[\w+-]+:")
# The first characters of the lines `_Scanner._kind` recognises.
_MARKUP_START = frozenset("#=-*_+!?0123456789")
# Lines that end a block by themselves (headings, rules, setext underlines): like a blank line,
# they make the next line start a new block.
_HEADING = re.compile(r"#{1,6}(?:[ \t]|$)")
_RULE = re.compile(r"([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_UNDERLINE = re.compile(r"(?:=+|-+)[ \t]*$")
_CODE_SPAN = re.compile(r"(`+).*?(?<!`)\1(?!`)")
# Python-Markdown sets an HTML comment aside as a block only when it opens within three spaces
# of the line's start; elsewhere it is inline HTML, which a blank line ends.
_BLOCK_HTML_INDENT = 3
DIRECTIVE = re.compile(r"<!--\s*runbook:(?P<text>.*?)-->\s*$")


@dataclass(frozen=True)
class Tab:
    """One content tab that encloses a block: its tab set (numbered in page order) and label."""

    group: int
    label: str


@dataclass(frozen=True)
class Fence:
    """A fenced code block: where it opens, its header and its text as the renderer shows it."""

    line: int
    end: int
    lang: str
    title: str | None
    text: str
    shown: bool = True
    tabs: tuple[Tab, ...] = ()
    directive: tuple[int, str] | None = None
    options: dict[str, str] = field(default_factory=dict, compare=False)


def tab_label(raw: str) -> str:
    """Return a tab's label as compared across tab sets: icon shortcodes and spacing removed."""
    return " ".join(_SHORTCODE.sub(" ", raw).split())


def parse_header(info: str) -> tuple[str, dict[str, str]] | None:
    """Return the language and options of a fence's opening line, or None if it is no fence.

    `info` is the opening line without its indentation.
    """
    header = _parse_header(info)
    return None if header is None else (header[0], dict(header[1]))


@functools.lru_cache(maxsize=4096)
def _parse_header(info: str) -> tuple[str, tuple[tuple[str, str], ...]] | None:
    # A guide repeats a handful of headers: each is read once per process.
    match = _FENCE_START.match(info)
    if match is None or match["unknown"]:
        return None
    lang = match["lang"] or ""
    options: dict[str, str] = {}
    if match["attrs"] is not None:
        for attr in _ATTR.finditer(match["attrs"]):
            key, double, single, bare, css_class, _ = attr.groups()
            if css_class and not lang:
                lang = css_class
            elif key:
                options[key] = next(v for v in (double, single, bare) if v is not None)
        return lang, tuple(options.items())
    for option in _OPTION.finditer(match["options"] or ""):
        key, _, value = option.groups()
        value = key if value is None else value  # SuperFences reads a bare `key` as key="key"
        if key not in _HIGHLIGHT_OPTIONS:
            return None
        pattern = _HIGHLIGHT_OPTIONS[key]
        if pattern is not None and pattern.match(value) is None:
            return None
        options[key] = value
    return lang, options


def _opens_comment(text: str, inside: bool = False) -> bool:
    """Return whether `text` leaves an HTML comment open at its end (`inside` one at its start)."""
    position = 0
    if inside:
        end = text.find("-->")
        if end < 0:
            return True
        position = end + 3
    while (start := text.find("<!--", position)) >= 0:
        end = text.find("-->", start + 4)
        if end < 0:
            return True
        position = end + 3
    return False


@functools.cache
def _fence_checks(indent: int, marker: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Patterns for a fence's body: a closing line with trailing blanks; a less indented line."""
    return (
        re.compile(rf"^ {{{indent}}}{re.escape(marker)}[ \t]+$", re.M),
        re.compile(rf"^(?! {{{indent}}})[ \t]*\S", re.M),
    )


@dataclass
class _Container:
    kind: str
    indent: int
    tab: Tab | None = None
    # Opened in the first paragraph of a list item, Python-Markdown gives it no more blocks.
    until_blank: bool = False


@dataclass
class _Open:
    """A fence whose closing line has not been seen yet."""

    line: int
    indent: int
    marker: str
    lang: str
    options: dict[str, str]
    in_code_block: bool
    in_comment: bool
    tabs: tuple[Tab, ...]
    directive: tuple[int, str] | None
    body: list[str] = field(default_factory=list)


class _Scanner:
    """One pass over a page's lines; see `find_fences`."""

    def __init__(self, strict: bool = True) -> None:
        # Lenient, a problem drops what it touches instead of raising (see `scan`).
        self.strict = strict
        self.fences: list[Fence] = []
        self.containers: list[_Container] = []
        # "block" or "inline" while the line is in an HTML comment (see _BLOCK_HTML_INDENT).
        self.comment: str | None = None
        # Blocks the open comment hides: shown after all if the comment turns out to be text.
        self.hidden: list[int] = []
        # Whether the raw HTML reader, blind to code spans and code blocks, is in a comment.
        self.raw_comment = False
        # Whether the next line starts a new block (after a blank line, a heading, ...).
        self.block_start = True
        # While in an indented code block: the indentation its lines keep.
        self.code_block: int | None = None
        # From an indented code block to the next blank line, SuperFences gives fences back.
        self.literal = False
        # Whether the line is in the first paragraph of a list item.
        self.item_text = False
        self.tab_groups = 0
        self.tab_sets: dict[int, int] = {}
        self.tab_labels: dict[int, list[str]] = {}
        self.directive: tuple[int, str] | None = None
        self.open: _Open | None = None

    def feed(self, number: int, line: str) -> None:
        """Take the line at `number` that is not inside a fence (see `read_fence`)."""
        if not line.strip():
            self.block_start = True
            self.literal = False
            if self.item_text:  # only a list item's first paragraph opens until_blank containers
                self.item_text = False
                cut = next((i for i, c in enumerate(self.containers) if c.until_blank), None)
                if cut is not None:
                    del self.containers[cut:]
            if self.comment == "inline":
                self._reveal()  # inline HTML does not reach past a blank line
            return
        body = line.lstrip(" ")
        indent = len(line) - len(body)
        while self.containers and indent < self.containers[-1].indent:
            self.containers.pop()
        if self.tab_sets:
            for level in [level for level in self.tab_sets if level >= indent]:
                if not (level == indent and _TAB.match(body)):
                    del self.tab_sets[level]
        base = self.containers[-1].indent if self.containers else 0
        if self.code_block is not None and indent < self.code_block:
            self.code_block = None
            self.block_start = True  # what follows a code block starts a block of its own
        if self.comment != "block" and self.block_start and indent >= base + TAB_LENGTH:
            # Four more spaces than its container at the start of a block make an indented
            # code block: its lines are text, and SuperFences gives a fence in it back as text.
            self.code_block = base + TAB_LENGTH
            self.literal = True

        # SuperFences runs before raw HTML is set aside: a fence in a comment is still a fence.
        header = parse_header(body) if body[:1] in "`~" else None
        if header is not None:
            self._open_fence(number, indent, body, *header)
            return
        block_start, self.block_start = self.block_start, False
        raw_comment = self.raw_comment
        if raw_comment or "<!--" in body:
            self.raw_comment = _opens_comment(body, raw_comment)
        if self.comment == "block" or self.code_block is not None:
            if self.comment is None:
                self._check_directive_used()
            elif "-->" in body:
                self._close_comment(body)
            return
        kind = self._kind(indent - base, body, block_start)
        if self.comment == "inline":
            if kind in (None, "list"):  # a list item does not interrupt a paragraph
                if "-->" in body:
                    self._close_comment(body)
                return
            self._reveal()  # a heading, tab or admonition ends the paragraph, and the comment
        self._check_directive_used()
        directive = DIRECTIVE.match(body) if body.startswith("<!--") else None
        if directive is not None:
            self.directive = (number, directive["text"].strip())
            self.block_start = indent <= _BLOCK_HTML_INDENT
            return
        if kind is not None:
            self._open_container(kind, indent, base, body)
        if "<!--" in body:
            self._open_comment(indent, body, raw_comment)

    def _check_directive_used(self) -> None:
        if self.directive is not None:
            line, self.directive = self.directive[0], None
            if self.strict:
                raise SourceError(line, "runbook directive is not followed by a code block")

    def _kind(self, offset: int, body: str, block_start: bool) -> str | None:
        """Return what a line `offset` spaces into its container starts, if anything."""
        if body[0] not in _MARKUP_START:
            return None  # prose: the common case, decided without a regular expression
        # Python-Markdown reads these at the start of their container's lines only, but for a
        # rule or a list marker, which may sit up to three spaces in. Headings and rules end
        # their block at once.
        if offset == 0 and (_HEADING.match(body) or (_UNDERLINE.match(body) and not block_start)):
            return "heading"
        if offset < TAB_LENGTH and _RULE.match(body):
            return "heading"
        if offset == 0 and _TAB.match(body):
            return "tab"
        if offset == 0 and _ADMONITION.match(body):
            return "admonition"
        # A list starts a block: it does not interrupt a paragraph, only follows its own items.
        if offset < TAB_LENGTH and _LIST_ITEM.match(body) and (block_start or self.item_text):
            return "list"
        return None

    def _open_container(self, kind: str | None, indent: int, base: int, body: str) -> None:
        # A container's content is indented four spaces more than the container's own lines.
        if kind == "tab":
            tab = _TAB.match(body)
            assert tab is not None
            group = self.tab_sets.get(indent)
            if group is None or "!" in tab["flags"]:
                self.tab_groups += 1
                group = self.tab_groups
            self.tab_sets[indent] = group
            label = tab_label(tab["label"])
            self.tab_labels.setdefault(group, []).append(label)
            self.containers.append(
                _Container(kind, base + TAB_LENGTH, Tab(group, label), self.item_text)
            )
        elif kind == "admonition":
            self.containers.append(_Container(kind, base + TAB_LENGTH, None, self.item_text))
        elif kind == "list":
            self.containers.append(_Container(kind, base + TAB_LENGTH))
            self.item_text = True
        # The next line starts a block, as after a blank line, except in a list item's text.
        self.block_start = kind not in (None, "list")

    def _open_comment(self, indent: int, body: str, raw_comment: bool) -> None:
        # A `<!--` that an earlier one (in a code span, say) has swallowed opens no block.
        if indent <= _BLOCK_HTML_INDENT and body.startswith("<!--") and not raw_comment:
            if _opens_comment(body):
                self.comment = "block"
            else:
                self.block_start = not body[body.rindex("-->") + 3 :].strip()
        elif _opens_comment(_CODE_SPAN.sub("", body)):
            self.comment = "inline"

    def _close_comment(self, body: str) -> None:
        ended_block = self.comment == "block"
        self.comment = None
        self.hidden = []
        rest = body[body.index("-->") + 3 :]
        self.block_start = ended_block and not rest.strip()
        self._open_comment(_BLOCK_HTML_INDENT + 1, rest, False)

    def _reveal(self) -> None:
        """Show the blocks of a comment that Python-Markdown leaves as text (unclosed, split)."""
        for index in self.hidden:
            self.fences[index] = replace(self.fences[index], shown=True)
        self.hidden = []
        self.comment = None

    def _open_fence(
        self, number: int, indent: int, body: str, lang: str, options: dict[str, str]
    ) -> None:
        marker = body[: len(body) - len(body.lstrip(body[0]))]
        tabs = tuple(c.tab for c in self.containers if c.tab is not None)
        in_comment = self.comment is not None
        self.open = _Open(
            number, indent, marker, lang, options, self.literal, in_comment, tabs, self.directive
        )
        self.directive = None

    def read_fence(self, lines: list[str], index: int) -> int:
        """Read the open fence's lines from `index`; return the index after its closing line."""
        fence = self.open
        assert fence is not None
        indent, close = fence.indent, " " * fence.indent + fence.marker
        try:
            # Most fences close on a bare marker line: list.index finds it without a Python loop.
            end = lines.index(close, index)
        except ValueError:
            end = len(lines)
        segment = lines[index:end]
        text = "\n".join(segment)
        late_close, too_little = _fence_checks(indent, fence.marker)
        found = late_close.search(text)
        if found is not None:  # a closing line with trailing blanks comes first
            segment = segment[: text.count("\n", 0, found.start())]
            end = index + len(segment)
            text = "\n".join(segment)
        if indent and (found := too_little.search(text)) is not None:
            # SuperFences abandons a fence whose content is less indented than its opening.
            line = index + text.count("\n", 0, found.start())
            if self.strict:
                raise SourceError(
                    line + 1,
                    f"line is less indented than the code block opened at line {fence.line}",
                )
            self.open = None
            return line
        # Python-Markdown empties whitespace-only lines.
        fence.body += [line[indent:] if line.strip() else "" for line in segment]
        if end == len(lines):
            return end
        self._close_fence(end + 1)
        return end + 1

    def _close_fence(self, number: int) -> None:
        fence = self.open
        assert fence is not None
        if fence.in_comment and not fence.in_code_block:
            self.hidden.append(len(self.fences))
        self.fences.append(
            Fence(
                line=fence.line,
                end=number,
                lang=fence.lang,
                title=fence.options.get("title"),
                text="\n".join(fence.body),
                shown=not (fence.in_code_block or fence.in_comment),
                tabs=fence.tabs,
                directive=fence.directive,
                options=fence.options,
            )
        )
        self.open = None
        self.block_start = False

    def finish(self) -> Scan:
        if self.open is not None and self.strict:
            raise SourceError(
                self.open.line, f"code block opened with {self.open.marker} is never closed"
            )
        self._check_directive_used()
        if self.comment is not None:
            self._reveal()  # Python-Markdown shows an unclosed `<!--` as text
        tab_sets = {group: tuple(labels) for group, labels in self.tab_labels.items()}
        return Scan(self.fences, tab_sets)


def front_matter_end(lines: list[str]) -> int:
    """Return how many leading lines are YAML front matter (0 when there is none)."""
    if not lines or lines[0].rstrip() != "---":
        return 0
    for index, line in enumerate(lines[1:], start=1):
        if line.rstrip() in ("---", "..."):
            return index + 1
    return 0


@dataclass(frozen=True)
class Scan:
    """What a page's layout says about its code: the fences, and the labels of each tab set."""

    fences: list[Fence]
    tab_sets: dict[int, tuple[str, ...]]


def scan(text: str, strict: bool = True) -> Scan:
    """Return every fenced code block of a Markdown page, in page order, and its tab sets.

    Raises `SourceError` for a fence that is never closed, for a content line less indented
    than its fence, and for a runbook directive that no code block follows. With `strict`
    false it raises nothing and returns the blocks it could read, as the renderer shows them.
    """
    # Python-Markdown normalises line endings and expands tabs before SuperFences runs.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.expandtabs(TAB_LENGTH).split("\n")
    scanner = _Scanner(strict)
    index = front_matter_end(lines)
    count = len(lines)
    while index < count:
        line = lines[index]
        index += 1
        if not line.strip() and not scanner.item_text and scanner.comment != "inline":
            # A blank line outside a list item's text and an inline comment only starts a block.
            scanner.block_start = True
            scanner.literal = False
            continue
        scanner.feed(index, line)
        if scanner.open is not None:
            index = scanner.read_fence(lines, index)
    return scanner.finish()


def find_fences(text: str, strict: bool = True) -> list[Fence]:
    """Return every fenced code block of a Markdown page (see `scan`)."""
    return scan(text, strict).fences
