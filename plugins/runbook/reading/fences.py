"""Find the fenced code blocks of a page's Markdown, as SuperFences finds them.

`pymdownx.superfences` reads fences in a preprocessor, before any other block is parsed: a fence
opens at any indentation, behind `>` quote markers too, its content lines keep that prefix, and it
closes on the same fence string. This module follows those line rules and leaves every opening
line to SuperFences itself, as the site configures it (its pattern, its option validators, its
custom fences), so the two agree on where each fence starts; a property test checks the whole
reading against SuperFences' own preprocessor.

Whether a reader sees a fence (it may sit in an HTML comment or an indented code block) is not
decided here: the renderer decides that (see `render.py`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import markdown

from runbook.errors import SourceError

DIRECTIVE = re.compile(r"<!--\s*runbook:(?P<text>.*?)-->\s*$")
# What an author may have meant for a directive: `runbook` in any case, a colon or not.
_LOOSE_DIRECTIVE = re.compile(r"<!--\s*(?P<word>runbook)\b(?P<space>\s*)(?P<colon>:?)", re.I)
# The options of a runbook directive (`directives.py` reads them).
DIRECTIVES = (
    "skip",
    "dir",
    "fails",
    "timeout",
    "take-over",
    "literal",
    "placeholder",
    "excerpt",
    "background",
    "ready",
    "output",
    "not-output",
)
_DIRECTIVE_NAME = re.compile(rf"\s*(?:{'|'.join(map(re.escape, DIRECTIVES))})(?![\w-])")
_QUOTE_PREFIX = " >"
# What Python-Markdown's `NormalizeWhitespace` changes: most pages have none of it.
_NORMALIZED = re.compile(r"[\r\t\x02\x03]| \n")


@dataclass(frozen=True, slots=True)
class Header:
    """A fence's opening line as SuperFences reads it: language, options, closing marker."""

    lang: str
    options: Mapping[str, str]
    marker: str

    @property
    def title(self) -> str | None:
        return self.options.get("title")


class Headed:
    """A block read with a `header`: its language and title are the header's."""

    __slots__ = ()
    header: Header

    @property
    def lang(self) -> str:
        return self.header.lang

    @property
    def title(self) -> str | None:
        return self.header.title


@dataclass(slots=True)
class Fence(Headed):
    """A fenced block of a page: its lines (1-based, opening and closing), header and text.

    `text` is the code as SuperFences hands it to the highlighter, the fence's indentation and
    quote markers removed. `directive` is the `<!-- runbook: ... -->` comment before it, if any,
    with its line. Treat it as read-only: a page makes one per block, and a frozen dataclass
    costs several times as much to make.
    """

    line: int
    end: int
    header: Header
    text: str
    directive: tuple[int, str] | None = None


@dataclass(frozen=True)
class Fences:
    """Every fence of a page in page order, and the problems an author must fix.

    `unclosed` holds the opening line and header of a fence that never closes: SuperFences then
    leaves it, and every fence after it, as text. `swallowed` holds each line inside a fence that
    would open a fence like it (the same marker): the sign of a closing line gone missing, since
    a fence can only hold another inside a longer marker.
    """

    fences: list[Fence]
    errors: list[SourceError] = field(default_factory=list)
    unclosed: list[tuple[int, Header]] = field(default_factory=list)
    swallowed: list[tuple[int, Header, int]] = field(default_factory=list)
    # The page's lines as read (normalised), for the prose between blocks.
    lines: list[str] = field(default_factory=list)


class Unread:
    """Marks a Markdown extension that fence readers leave out: it changes nothing they read."""


def superfences(md: markdown.Markdown) -> object:
    """Return SuperFences' preprocessor of `md`; raise ValueError when the site lacks it."""
    if "fenced_code_block" in md.preprocessors:
        preprocessor = md.preprocessors["fenced_code_block"]
        if type(preprocessor).__name__ == "SuperFencesBlockPreprocessor":
            return preprocessor
    raise ValueError(
        "runbook reads code blocks as pymdownx.superfences does: add `pymdownx.superfences` to "
        "`markdown_extensions`"
    )


class FenceReader:
    """Reads the fences of pages written for one Markdown configuration (one instance's)."""

    def __init__(self, md: markdown.Markdown) -> None:
        self._normalize = md.preprocessors["normalize_whitespace"]
        self._superfences = superfences(md)
        quotes = getattr(self._superfences, "is_pymdownx_quotes_logic", None)
        self.quotes_logic = bool(quotes()) if quotes is not None else False
        self._headers: dict[str, Header | None] = {}

    @classmethod
    def configured(cls, extensions: Sequence[object], configs: Mapping[str, object]) -> FenceReader:
        """Return a reader for the given `markdown_extensions` and their configurations."""
        extensions = [e for e in extensions if not isinstance(e, Unread)]
        return cls(markdown.Markdown(extensions=list(extensions), extension_configs=dict(configs)))

    def header(self, line: str) -> Header | None:
        """Return the header of an opening line (without its indentation), or None.

        SuperFences itself reads it, in a two-line fence: whatever its version accepts, with the
        options its validators keep.
        """
        if line in self._headers:
            return self._headers[line]
        marker = line[: len(line) - len(line.lstrip(line[0]))]
        read: list[Header] = []
        pre = self._superfences

        def keep(ws: str, content: str, start: int, end: int) -> None:
            read.append(Header(pre.lang or "", MappingProxyType(dict(pre.options)), marker))  # type: ignore[attr-defined]
            pre.clear()  # type: ignore[attr-defined]

        # Borrowed for one two-line text: nothing is highlighted or stored.
        own = vars(pre).get("process_nested_block")
        pre.process_nested_block = keep  # type: ignore[attr-defined]
        try:
            pre.run([line, marker])  # type: ignore[attr-defined]
        finally:
            if own is None:
                del pre.process_nested_block  # type: ignore[attr-defined]
            else:
                pre.process_nested_block = own  # type: ignore[attr-defined]
        header = self._headers[line] = read[0] if read else None
        return header

    def read(self, text: str) -> Fences:
        """Return the fences of a page's Markdown `text` (its body, without front matter)."""
        lines = text.split("\n")
        if _NORMALIZED.search(text) is None:
            lines += ["", ""]  # what Python-Markdown's normalising would make of it
        else:
            lines = self._normalize.run(lines)
        return _Scan(self, lines).run()


def _misread_directive(line: str, following: str) -> str | None:
    """Say why a comment line that an author may have meant as a runbook directive is none,
    or return None for a comment that is not about the runbook."""
    found = _LOOSE_DIRECTIVE.match(line)
    if found is None:
        if line.strip() == "<!--" and re.match(r"runbook\s*:", following, re.I):
            return (
                "a runbook directive takes one line, and this one starts on the next: write "
                '<!-- runbook: skip="why" --> on one line'
            )
        return None
    rest = line[found.end() :]
    if not found["colon"] and _DIRECTIVE_NAME.match(rest) is None:
        return None  # a comment that only names the runbook
    if found["word"] != "runbook" or found["space"] or not found["colon"]:
        return (
            f"this comment is no runbook directive: write it <!-- runbook: ... -->, in lower "
            f"case, with a colon right after runbook (not {line[: found.end()].strip()!r})"
        )
    if "-->" not in rest:
        return (
            "a runbook directive takes one line: end it with --> on the line it starts on, "
            'as in <!-- runbook: skip="why" -->'
        )
    return "nothing may follow a runbook directive's --> on its line: put it on a line of its own"


class _Scan:
    """One pass over a page's normalised lines."""

    def __init__(self, reader: FenceReader, lines: list[str]) -> None:
        self.reader = reader
        self.lines = lines
        self.fences: list[Fence] = []
        self.errors: list[SourceError] = []
        self.unclosed: list[tuple[int, Header]] = []
        self.swallowed: list[tuple[int, Header, int]] = []
        # The directive waiting for its block: its line, its text, and what stands before it.
        self.directive: tuple[int, str, str] | None = None

    def run(self) -> Fences:
        lines = self.lines
        count = len(lines)
        header = self.reader.header
        index = 0
        while index < count:
            line = lines[index]
            index += 1
            body = line.lstrip(_QUOTE_PREFIX)
            if not body:
                continue
            first = body[0]
            if first in "`~" and body[:3] in ("```", "~~~"):
                found = header(body)
                if found is not None:
                    index = self.fence(index, line[: len(line) - len(body)], found)
                    continue
            if self.directive is not None or first == "<":
                self.prose(index, line[: len(line) - len(body)], body)  # read for directives
        self.directive_unused()
        return Fences(self.fences, self.errors, self.unclosed, self.swallowed, self.lines)

    def prose(self, number: int, prefix: str, body: str) -> None:
        """Take line `number`, outside fences: a runbook directive, or something else."""
        self.directive_unused()
        if not body.startswith("<!--"):
            return
        found = DIRECTIVE.match(body)
        if found is not None and "-->" not in found["text"]:
            self.directive = (number, found["text"].strip(), prefix)
            return
        following = self.lines[number].lstrip(_QUOTE_PREFIX) if number < len(self.lines) else ""
        problem = _misread_directive(body, following)
        if problem is not None:
            self.errors.append(SourceError(number, problem))

    def directive_unused(self) -> None:
        if self.directive is not None:
            line, self.directive = self.directive[0], None
            self.errors.append(
                SourceError(line, "runbook directive is not followed by a code block")
            )

    def fence(self, start: int, ws: str, header: Header) -> int:
        """Read the fence opened at line `start` (1-based); return the index after it.

        As in SuperFences, a fence the renderer abandons leaves its opening line as text and the
        reading goes on after the line that abandoned it.
        """
        lines = self.lines
        marker = header.marker
        close = ws + marker
        if ">" not in ws:
            # The common case, read without a loop in Python: the first bare closing line, and
            # only lines that keep the indentation (or are empty) before it.
            try:
                end = lines.index(close, start)
            except ValueError:
                end = -1
            if end >= 0:
                body = lines[start:end]
                if ws and all(not line or line.startswith(ws) for line in body):
                    body = [line[len(ws) :] for line in body]
                elif ws:
                    return self.fence_by_lines(start, ws, header)
                text = "\n".join(body)
                # A line that starts like the closing one (trailing blanks, say) is read slowly.
                if ("\n" + marker) not in ("\n" + text):
                    self.add(start, end, header, text, ws)
                    return end + 1
        return self.fence_by_lines(start, ws, header)

    def fence_by_lines(self, start: int, ws: str, header: Header) -> int:
        """Read a fence line by line, exactly as SuperFences' `search_nested` does."""
        lines = self.lines
        closing = re.compile(re.escape(header.marker) + r"[ \t]*$")
        quote_level = ws.count(">")
        code: list[str] = []
        empty_lines = 0
        for index in range(start, len(lines)):
            line = lines[index]
            taken = 0
            while taken < len(ws) and taken < len(line) and line[taken] in _QUOTE_PREFIX:
                taken += 1
            prefix, content = line[:taken], line[taken:]
            level = prefix.count(">")
            if quote_level:
                if level > quote_level or (self.reader.quotes_logic and level != quote_level):
                    return index + 1
                if content == "":
                    empty_lines += 1
                elif len(prefix) < len(ws) or (empty_lines and level < quote_level):
                    return index + 1
                elif closing.match(content) is not None:
                    self.add(start, index, header, "\n".join(c[len(ws) :] for c in code), ws)
                    return index + 1
                else:
                    empty_lines = 0
            elif level:
                return index + 1
            elif (prefix + content).strip() == "":
                empty_lines += 1
            elif len(prefix) != len(ws) and content != "":
                return index + 1
            elif closing.match(content) is not None and not content.startswith((" ", "\t")):
                self.add(start, index, header, "\n".join(c[len(ws) :] for c in code), ws)
                return index + 1
            else:
                empty_lines = 0
            code.append(prefix + content)
        self.unclosed.append((start, header))  # SuperFences leaves it, and the rest, as text
        self.directive_unused()
        return len(lines)

    def add(self, start: int, end: int, header: Header, text: str, ws: str) -> None:
        directive, self.directive = self.directive, None
        if directive is not None and directive[2] != ws:
            # In a container the block is not in (or shown as code text): not the block's.
            self.errors.append(
                SourceError(
                    directive[0],
                    "runbook directive is not at the indentation of the code block after it "
                    f"(line {start}): put it right before the block, indented as the block is",
                )
            )
            directive = None
        self.fences.append(
            Fence(start, end + 1, header, text, directive[:2] if directive else None)
        )
        if ("\n" + header.marker) in ("\n" + text):
            for number, line in enumerate(text.split("\n"), start=start + 1):
                inner = line.lstrip(_QUOTE_PREFIX)
                if inner.startswith(header.marker) and inner.strip(header.marker[0]):
                    opened = self.reader.header(inner)
                    if opened is not None and opened.marker == header.marker:
                        self.swallowed.append((number, opened, start))
