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
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

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
_LINE_END = re.compile(r"\r\n?|\n")
# Python-Markdown sets an HTML comment aside as a block only when it opens within three spaces
# of the line's start; elsewhere it is inline HTML, which a blank line ends.
_BLOCK_HTML_INDENT = 3
DIRECTIVE = re.compile(r"<!--\s*runbook:(?P<text>.*?)-->\s*$")


@dataclass(frozen=True)
class Tab:
    """One content tab that encloses a block: its tab set (numbered in page order) and label."""

    group: int
    label: str


@dataclass(slots=True)
class Fence:
    """A fenced code block: where it opens, its header and its text as the renderer shows it.

    Treat it as read-only. It is not frozen because a page makes one per block, and a frozen
    dataclass costs several times as much to make.
    """

    line: int
    end: int
    lang: str
    title: str | None
    text: str
    shown: bool = True
    tabs: tuple[Tab, ...] = ()
    directive: tuple[int, str] | None = None
    options: Mapping[str, str] = field(default_factory=dict, compare=False)


def tab_label(raw: str) -> str:
    """Return a tab's label as compared across tab sets: icon shortcodes and spacing removed."""
    return " ".join(_SHORTCODE.sub(" ", raw).split())


def parse_header(info: str) -> tuple[str, dict[str, str]] | None:
    """Return the language and options of a fence's opening line, or None if it is no fence.

    `info` is the opening line without its indentation.
    """
    header = _parse_header(info)
    return None if header is None else (header.lang, dict(header.options))


@dataclass(frozen=True, slots=True)
class _Header:
    """What a fence's opening line says: its language and options, and the marker it closes on."""

    lang: str
    title: str | None
    options: Mapping[str, str]
    marker: str


@functools.lru_cache(maxsize=4096)
def _parse_header(info: str) -> _Header | None:
    # A guide repeats a handful of headers: each is read once per process, and the blocks that
    # share one share its read-only options.
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
    else:
        for option in _OPTION.finditer(match["options"] or ""):
            key, _, value = option.groups()
            value = key if value is None else value  # SuperFences reads a bare `key` as key="key"
            if key not in _HIGHLIGHT_OPTIONS:
                return None
            pattern = _HIGHLIGHT_OPTIONS[key]
            if pattern is not None and pattern.match(value) is None:
                return None
            options[key] = value
    return _Header(lang, options.get("title"), MappingProxyType(options), match["fence"])


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


@dataclass(frozen=True)
class _BodyChecks:
    """Patterns over the text of a fence opened at `indent` with `marker`."""

    # A newline that a line less indented than the fence follows.
    short: re.Pattern[str]
    # A closing line with trailing blanks.
    late_close: re.Pattern[str]
    # A content line less indented than the fence.
    too_little: re.Pattern[str]


@functools.cache
def _body_checks(indent: int, marker: str) -> _BodyChecks:
    pad, close = f" {{{indent}}}", re.escape(marker)
    return _BodyChecks(
        short=re.compile(rf"\n(?!{pad}|\n|\Z)"),
        late_close=re.compile(rf"^{pad}{close}[ \t]+$", re.M),
        too_little=re.compile(rf"^(?!{pad})[ \t]*\S", re.M),
    )


@dataclass(slots=True)
class _Container:
    kind: str
    indent: int
    tab: Tab | None = None
    # Opened in the first paragraph of a list item, Python-Markdown gives it no more blocks.
    until_blank: bool = False


class _Scanner:
    """One pass over a page's lines; see `scan`."""

    __slots__ = (
        "block_start",
        "code_block",
        "comment",
        "containers",
        "directive",
        "fences",
        "hidden",
        "item_text",
        "literal",
        "raw_comment",
        "strict",
        "tab_labels",
        "tab_sets",
    )

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
        self.tab_sets: dict[int, int] = {}
        self.tab_labels: dict[int, list[str]] = {}
        self.directive: tuple[int, str] | None = None

    def run(self, lines: list[str], index: int, front_matter: str | None) -> Scan:
        """Read the page's `lines` from `index`: each line outside a fence, each fence in one go.

        `front_matter` is the YAML of the lines before `index`, if there are any.
        """
        count = len(lines)
        containers = self.containers
        while index < count:
            line = lines[index]
            index += 1
            if not line or line.isspace():
                if self.item_text or self.comment == "inline":
                    self.blank()
                else:  # the common case: the next line starts a block, and that is all
                    self.block_start = True
                    self.literal = False
                continue
            body = line.lstrip(" ")
            indent = len(line) - len(body)
            # Where the line stands: which containers it leaves, whether it starts indented code.
            while containers and indent < containers[-1].indent:
                containers.pop()
            if self.tab_sets:
                self._leave_tab_sets(indent, body)
            base = containers[-1].indent if containers else 0
            if self.code_block is not None and indent < self.code_block:
                self.code_block = None
                self.block_start = True  # what follows a code block starts a block of its own
            if self.block_start and indent >= base + TAB_LENGTH and self.comment != "block":
                # Four more spaces than its container at the start of a block make an indented
                # code block: its lines are text, and SuperFences gives a fence in it back as
                # text.
                self.code_block = base + TAB_LENGTH
                self.literal = True
            first = body[0]
            # SuperFences runs before raw HTML is set aside: a fence in a comment is a fence.
            if first in "`~" and (header := _parse_header(body)) is not None:
                index = self.read_fence(lines, index, indent, header)
                continue
            # Outside comments, code and directives, prose and headings are read right here.
            plain = (
                self.comment is None
                and self.code_block is None
                and self.directive is None
                and not self.raw_comment
                and "<!--" not in body
            )
            if plain and first not in _MARKUP_START:
                self.block_start = False  # prose only continues a block
            elif plain and first == "#" and indent == base and _HEADING.match(body):
                self.block_start = True  # a heading is a block of its own
            else:
                self.feed(index, body, indent, base)
        return self.finish(front_matter)

    def blank(self) -> None:
        """Take a line that is empty or holds only whitespace."""
        self.block_start = True
        self.literal = False
        if self.item_text:  # only a list item's first paragraph opens until_blank containers
            self.item_text = False
            cut = next((i for i, c in enumerate(self.containers) if c.until_blank), None)
            if cut is not None:
                del self.containers[cut:]
        if self.comment == "inline":
            self._reveal()  # inline HTML does not reach past a blank line

    def _leave_tab_sets(self, indent: int, body: str) -> None:
        """Forget the tab sets at or right of `indent`, but one that this line adds a tab to."""
        for level in [level for level in self.tab_sets if level >= indent]:
            if not (level == indent and _TAB.match(body)):
                del self.tab_sets[level]

    def feed(self, number: int, body: str, indent: int, base: int) -> None:
        """Take line `number`, `body` after `indent` spaces in a container at `base`.

        The line is outside a fence, not blank, opens no fence and may be more than prose.
        """
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
                group = len(self.tab_labels) + 1  # tab sets are numbered from 1, in page order
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
            self.fences[index].shown = True
        self.hidden = []
        self.comment = None

    def read_fence(self, lines: list[str], index: int, indent: int, header: _Header) -> int:
        """Read the fence that `header` opened on line `index`; return the index after it.

        `index` is also the index of the fence's first content line.
        """
        number, marker = index, header.marker
        directive, self.directive = self.directive, None
        pad = " " * indent
        try:
            # Most fences close on a bare marker line: list.index finds it without a Python loop.
            end = lines.index(pad + marker, index)
        except ValueError:
            end = len(lines)
        text = "\n".join(lines[index:end])
        if (
            # A line with trailing spaces: one of spaces only, or a closing line.
            " \n" in text
            or text.endswith(" ")
            # A line less indented than the fence.
            or (indent and text[:1] not in ("", "\n") and not text.startswith(pad))
            or (indent and _body_checks(indent, marker).short.search(text))
        ):
            read = self._read_unusual(lines[index:end], text, number, indent, marker)
            if isinstance(read, int):  # abandoned at that line
                return index + read
            text, end = read[0], index + read[1]
        elif indent:
            # The common case: the lines keep the indentation, which the renderer removes.
            text = text.replace("\n" + pad, "\n")
            if text.startswith(pad):
                text = text[indent:]
        if end == len(lines):
            if self.strict:
                raise SourceError(number, f"code block opened with {marker} is never closed")
            return end
        in_comment = self.comment is not None
        if in_comment and not self.literal:
            self.hidden.append(len(self.fences))
        containers = self.containers
        self.fences.append(
            Fence(
                number,
                end + 1,
                header.lang,
                header.title,
                text,
                not (self.literal or in_comment),
                tuple(c.tab for c in containers if c.tab is not None) if containers else (),
                directive,
                header.options,
            )
        )
        self.block_start = False
        return end + 1

    def _read_unusual(
        self, segment: list[str], text: str, number: int, indent: int, marker: str
    ) -> tuple[str, int] | int:
        """Read the lines of a fence opened on line `number` up to its bare closing line.

        Return the fence's text and how many of the lines are in it; or, if the renderer
        abandons the fence, at which of the lines.
        """
        checks = _body_checks(indent, marker)
        found = checks.late_close.search(text)
        if found is not None:  # a closing line with trailing blanks comes first
            segment = segment[: text.count("\n", 0, found.start())]
            text = "\n".join(segment)
        if indent and (found := checks.too_little.search(text)) is not None:
            # SuperFences abandons a fence whose content is less indented than its opening.
            line = text.count("\n", 0, found.start())
            if self.strict:
                raise SourceError(
                    number + line + 1,
                    f"line is less indented than the code block opened at line {number}",
                )
            return line
        # Python-Markdown empties the lines that hold only spaces.
        return "\n".join(line[indent:] if line.strip(" ") else "" for line in segment), len(segment)

    def finish(self, front_matter: str | None) -> Scan:
        self._check_directive_used()
        if self.comment is not None:
            self._reveal()  # Python-Markdown shows an unclosed `<!--` as text
        tab_sets = {group: tuple(labels) for group, labels in self.tab_labels.items()}
        return Scan(self.fences, tab_sets, front_matter)


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
    # The YAML between the page's front matter fences, if it has front matter.
    front_matter: str | None = None


def scan(text: str, strict: bool = True, front_matter: bool = True) -> Scan:
    """Return every fenced code block of a Markdown page, in page order, and its tab sets.

    Raises `SourceError` for a fence that is never closed, for a content line less indented
    than its fence, and for a runbook directive that no code block follows. With `strict`
    false it raises nothing and returns the blocks it could read, as the renderer shows them.
    With `front_matter` false the text is a page's body, which has had its front matter taken
    off: a `---` at its start is a rule.
    """
    # Python-Markdown normalises line endings and expands tabs before SuperFences runs.
    source = text
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\t" in text:
        text = text.expandtabs(TAB_LENGTH)
    lines = text.split("\n")
    start = front_matter_end(lines) if front_matter else 0
    # The front matter as written: YAML, not Markdown, so its tabs are not expanded.
    meta = "\n".join(_LINE_END.split(source, maxsplit=start)[1 : start - 1]) if start else None
    return _Scanner(strict).run(lines, start, meta)


def find_fences(text: str, strict: bool = True, front_matter: bool = True) -> list[Fence]:
    """Return every fenced code block of a Markdown page (see `scan`)."""
    return scan(text, strict, front_matter).fences
