"""Find the fenced code blocks of a Markdown page, as Python-Markdown with SuperFences shows them.

The rules mirror `pymdownx.superfences` (which runs before raw HTML is set aside): a fence may
open at any indentation, its content lines must keep that indentation, and it closes on the same
fence string. Around the fences the finder tracks what changes how a block is shown: HTML
comments (a block in one is in the HTML but not shown), content tabs (`=== "Label"`), and
admonitions, whose content is indented by four spaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from runbook.errors import SourceError

TAB_LENGTH = 4

_FENCE_START = re.compile(
    r"""
    (?P<fence>~{3,}|`{3,})
    (?:[ \t]*\.?(?P<lang>[\w#.+-]+)(?=[ \t]|$))?
    (?:
        [ \t]*\{(?P<attrs>[^\n]*)\}
      | (?P<options>(?:[ \t]*[a-zA-Z][a-zA-Z0-9_-]*(?:=(?P<quot>["']).*?(?P=quot))?(?=[ \t]|$))+)
      | (?P<unknown>(?:[ \t]*\S+)+)
    )?
    [ \t]*$
    """,
    re.VERBOSE,
)
_OPTION = re.compile(r"""([a-zA-Z][a-zA-Z0-9_-]*)(?:=(["'])(.*?)\2)?""")
_ATTR = re.compile(r"""([a-zA-Z][\w-]*)=(?:"([^"]*)"|'([^']*)'|(\S+))|\.([\w-]+)|#([\w-]+)""")
# Options SuperFences accepts on a highlighted block; any other one makes it refuse the fence.
_HIGHLIGHT_OPTIONS = {"hl_lines", "linenums", "title", "title_mode"}
_TAB = re.compile(r"===(?P<flags>[+!]{0,2}) +\"(?P<label>.*?)\" *$")
_ADMONITION = re.compile(r"(?:!!!|\?\?\?\+?) *[\w-]")
_LIST_ITEM = re.compile(r"(?:[*+-]|\d+[.)])[ \t]+\S")
_SHORTCODE = re.compile(r":[\w+-]+:")
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
        return lang, options
    for option in _OPTION.finditer(match["options"] or ""):
        key, quote, value = option.groups()
        if quote is None or (key not in _HIGHLIGHT_OPTIONS and not key.startswith("data-")):
            return None
        options[key] = value
    return lang, options


@dataclass
class _Container:
    kind: str
    indent: int
    tab: Tab | None = None


@dataclass
class _Open:
    """A fence whose closing line has not been seen yet."""

    line: int
    indent: int
    marker: str
    lang: str
    options: dict[str, str]
    shown: bool
    tabs: tuple[Tab, ...]
    directive: tuple[int, str] | None
    body: list[str] = field(default_factory=list)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


class _Scanner:
    """One pass over a page's lines; see `find_fences`."""

    def __init__(self) -> None:
        self.fences: list[Fence] = []
        self.containers: list[_Container] = []
        self.in_comment = False
        self.blank_before = True
        self.tab_groups = 0
        self.tab_sets: dict[int, int] = {}
        self.tab_labels: dict[int, list[str]] = {}
        self.directive: tuple[int, str] | None = None
        self.open: _Open | None = None

    def feed(self, number: int, line: str) -> None:
        if self.open is not None:
            self._feed_fence(number, line)
            return
        if not line.strip():
            self.blank_before = True
            return
        indent = _indent(line)
        body = line[indent:]
        while self.containers and indent < self.containers[-1].indent:
            self.containers.pop()
        for level in [level for level in self.tab_sets if level >= indent]:
            if not (level == indent and _TAB.match(body)):
                del self.tab_sets[level]

        # SuperFences runs before raw HTML is set aside: a fence in a comment is still a fence.
        header = parse_header(body) if body[:1] in "`~" else None
        if header is not None:
            self._open_fence(number, indent, body, *header)
            return
        if not self.in_comment:
            if self.directive is not None:
                raise SourceError(
                    self.directive[0], "runbook directive is not followed by a code block"
                )
            directive = DIRECTIVE.match(body)
            if directive is not None:
                self.directive = (number, directive["text"].strip())
                self.blank_before = False
                return
        self._track_comment(body)
        if not self.in_comment:
            self._track_containers(indent, body)
        self.blank_before = False

    def _track_comment(self, body: str) -> None:
        if self.in_comment:
            self.in_comment = "-->" not in body
        elif body.startswith("<!--"):
            self.in_comment = "-->" not in body[4:]

    def _track_containers(self, indent: int, body: str) -> None:
        tab = _TAB.match(body)
        if tab is not None:
            group = self.tab_sets.get(indent)
            if group is None or "!" in tab["flags"]:
                self.tab_groups += 1
                group = self.tab_groups
            self.tab_sets[indent] = group
            label = tab_label(tab["label"])
            self.tab_labels.setdefault(group, []).append(label)
            self.containers.append(_Container("tab", indent + TAB_LENGTH, Tab(group, label)))
        elif _ADMONITION.match(body):
            self.containers.append(_Container("admonition", indent + TAB_LENGTH))
        elif _LIST_ITEM.match(body):
            self.containers.append(_Container("list", indent + TAB_LENGTH))

    def _open_fence(
        self, number: int, indent: int, body: str, lang: str, options: dict[str, str]
    ) -> None:
        base = self.containers[-1].indent if self.containers else 0
        # Four more spaces than its container after a blank line make an indented code block,
        # in which SuperFences gives the fence back as literal text.
        in_code_block = self.blank_before and indent >= base + TAB_LENGTH
        marker = body[: len(body) - len(body.lstrip(body[0]))]
        tabs = tuple(c.tab for c in self.containers if c.tab is not None)
        shown = not (in_code_block or self.in_comment)
        self.open = _Open(number, indent, marker, lang, options, shown, tabs, self.directive)
        self.directive = None

    def _feed_fence(self, number: int, line: str) -> None:
        fence = self.open
        assert fence is not None
        if not line.strip():
            fence.body.append("")
            return
        indent = min(_indent(line), fence.indent)
        content = line[indent:]
        if indent < fence.indent:
            # SuperFences abandons a fence whose content is less indented than its opening line.
            raise SourceError(
                number, f"line is less indented than the code block opened at line {fence.line}"
            )
        if content.rstrip(" \t") == fence.marker:
            self.fences.append(
                Fence(
                    line=fence.line,
                    end=number,
                    lang=fence.lang,
                    title=fence.options.get("title"),
                    text="\n".join(fence.body),
                    shown=fence.shown,
                    tabs=fence.tabs,
                    directive=fence.directive,
                    options=fence.options,
                )
            )
            self.open = None
            self.blank_before = False
            return
        fence.body.append(content)

    def finish(self) -> Scan:
        if self.open is not None:
            raise SourceError(
                self.open.line, f"code block opened with {self.open.marker} is never closed"
            )
        if self.directive is not None:
            raise SourceError(
                self.directive[0], "runbook directive is not followed by a code block"
            )
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


def scan(text: str) -> Scan:
    """Return every fenced code block of a Markdown page, in page order, and its tab sets.

    Raises `SourceError` for a fence that is never closed, for a content line less indented
    than its fence, and for a runbook directive that no code block follows.
    """
    # Python-Markdown normalises line endings and expands tabs before SuperFences runs.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.expandtabs(TAB_LENGTH).split("\n")
    scanner = _Scanner()
    for index in range(front_matter_end(lines), len(lines)):
        scanner.feed(index + 1, lines[index])
    return scanner.finish()


def find_fences(text: str) -> list[Fence]:
    """Return every fenced code block of a Markdown page (see `scan`)."""
    return scan(text).fences
