"""What a browser shows none of in HTML: comments, and what scripts, styles and the like hold.

HTML is read as browsers read it (HTML5), just far enough to know that:

- a tag ends at the first `>` outside its quoted attribute values (a quote opens a value only
  right after an `=`), so `<div title="<!--">` opens no comment;
- a comment ends at `-->` or `--!>`, and `<!-->` or `<!--->` is one already; `<!...>` and
  `<?...>` are comments too, up to the first `>`;
- `<script>`, `<style>`, `<xmp>`, `<iframe>`, `<noembed>`, `<noframes>`, `<noscript>` (as a
  browser that runs scripts reads it), `<textarea>`, `<title>` and `<template>` hold text, not
  markup a reader sees, up to their end tag: `</name` then a space, `/` or `>`;
  `<plaintext>` holds the rest of the page.

Whatever is left open hides the rest of the page. `Visible.hidden` says what hid what, for
callers that would rather not guess, where browsers read HTML beyond a plain comment.

What is left, elements may still hide (`concealed`): a `hidden` attribute, an inline style
`display: none` (or `visibility: hidden`), a closed `<dialog>`, and elements that show something
of their own in place of their content (`<video>`, `<audio>`, `<canvas>`, `<select>`,
`<datalist>`, `<meter>`, `<progress>`). Elements nest as browsers nest them, as far as hiding
goes: a `<p>` or `<li>` closes where a tag implies it, a `<select>` keeps every tag inside it as
its own, and a formatting element (`<b>`, `<font>`, ...) closed by another's end tag is opened
again around the text after it, until its own end tag. What a style sheet or a script hides,
HTML does not say: the browser tests look at that.
"""

from __future__ import annotations

import html as entities
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

_RAW = (
    "script",
    "style",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "noscript",
    "textarea",
    "title",
    "template",
    "plaintext",
)
# HTML's white space: not Python's `\s`, which takes a no-break space too.
_WS = r"[\t\n\f\r ]"
# A tag's attributes and its `>`: a quote opens a value only right after an `=`. A tag without
# its `>` does not match: it holds the rest of the page.
_ATTRIBUTES = rf"""
    (?: [^>=]++ | = {_WS}*+ (?: "[^"]*+ (?: " | \Z ) | '[^']*+ (?: ' | \Z ) ) | = )*+ >"""
_RAW_NAMES = rf"(?i: {'|'.join(_RAW)} ) (?= {_WS} | / | > | \Z )"
# What may hide something: most pages have none of it.
_HIDING = re.compile(rf"< (?: [!?] | /[^A-Za-z] | {_RAW_NAMES} )", re.X)
# Text, and tags that hide nothing, up to the next comment or raw text element: all in one match.
_SHOWN = re.compile(
    rf"""(?:
      [^<]++
    | < (?! [!?/] | [A-Za-z] )
    | < (?! {_RAW_NAMES} ) [A-Za-z][^\t\n\f\r />]*+ {_ATTRIBUTES}
    | </ [A-Za-z][^\t\n\f\r />]*+ {_ATTRIBUTES}
    )*+""",
    re.S | re.X,
)
# A comment (`closed` unless it runs to the end of the page), or what browsers read as one up
# to its first `>` (`bogus`): `<!x>`, `<?x>`, `</3>`.
_COMMENT = re.compile(
    r"<!-- (?: (?P<closed> > | -> | .*? --!?> ) | .*+ )"
    r" | (?: <[!?] | </(?![A-Za-z]) ) (?: (?P<bogus> [^>]*+ > ) | .*+ )",
    re.S | re.X,
)
_RAW_START = re.compile(rf"<([A-Za-z][^\t\n\f\r />]*+) {_ATTRIBUTES}", re.S | re.X)
_RAW_END = {
    name: re.compile(rf"</{name}(?: > | (?: {_WS} | / ) {_ATTRIBUTES} )", re.I | re.S | re.X)
    for name in _RAW
}

Kind = Literal["comment", "other"]


@dataclass(frozen=True)
class Visible:
    """HTML without what a browser shows none of, its tags kept, attributes and all; and what
    was taken out: (start, end, kind) in the HTML, where `comment` is a well-formed
    `<!-- ... -->`, and `other` anything else (raw text, a bogus comment, something left open
    to the end), which browsers read in ways too many to follow here."""

    text: str
    hidden: tuple[tuple[int, int, Kind], ...] = ()

    def kind_at(self, position: int) -> Kind | None:
        """What hides the HTML at `position`, if anything does."""
        for start, end, kind in self.hidden:
            if start <= position < end:
                return kind
        return None


def visible(html: str) -> Visible:
    """Return what of `html` a browser shows (see the module's docstring)."""
    if _HIDING.search(html) is None:
        return Visible(html)  # many pages: nothing hidden (the text is `html` itself)
    kept: list[str] = []
    hidden: list[tuple[int, int, Kind]] = []
    position = 0
    # After a script that holds `<!--`, browsers end scripts by rules this does not follow:
    # nothing hidden after it counts as a plain comment.
    plain: Kind = "comment"
    while True:
        shown = _SHOWN.match(html, position)
        assert shown is not None  # it matches the empty string
        kept.append(shown[0])
        position = shown.end()
        if position == len(html):
            return Visible("".join(kept), tuple(hidden))
        if comment := _COMMENT.match(html, position):
            well_formed = comment["closed"] is not None
            if not well_formed and comment["bogus"] is None:  # left open
                hidden.append((position, len(html), "other"))
                return Visible("".join(kept), tuple(hidden))
            hidden.append((position, comment.end(), plain if well_formed else "other"))
            position = comment.end()
            continue
        raw = _RAW_START.match(html, position)
        name = raw[1].lower() if raw is not None else "plaintext"
        end = _RAW_END[name].search(html, raw.end()) if raw and name != "plaintext" else None
        if raw is None or end is None:  # a tag, or raw text, left open
            hidden.append((position, len(html), "other"))
            return Visible("".join(kept), tuple(hidden))
        kept += [raw[0], f"</{name}>"]
        hidden.append((raw.end(), end.start(), "other"))
        if name == "script" and "<!--" in html[raw.end() : end.start()]:
            plain = "other"
        position = end.end()


_TAG = re.compile(rf"<(/?)([A-Za-z][^\t\n\f\r />]*+) {_ATTRIBUTES}", re.S | re.X)


def tags(html: str) -> Iterator[tuple[bool, str]]:
    """Each tag a browser reads in `html`, in order: whether it ends an element, and its name
    in lower case. Comments, raw text and attribute values hold none."""
    for found in _TAG.finditer(visible(html).text):
        yield bool(found[1]), found[2].lower()


def start_tags(shown: str, start: int = 0, end: int | None = None) -> Iterator[re.Match[str]]:
    """Each start tag in `shown` (a `Visible.text`) from `start` to `end`: the match's group 2 is
    its name, group 0 its text (see `attributes`)."""
    for found in _TAG.finditer(shown, start, len(shown) if end is None else end):
        if not found[1]:
            yield found


def end_tag(shown: str, name: str, start: int) -> re.Match[str] | None:
    """The first end tag of `name` in `shown` from `start`, written in any case."""
    return re.compile(rf"</{re.escape(name)}(?=[\t\n\f\r />])", re.I).search(shown, start)


# Elements whose content readers never see, and what they show instead.
_NEVER_SHOWN = {
    "video": "shows a video player, not what it holds",
    "audio": "shows an audio player, not what it holds",
    "canvas": "shows a drawing, not what it holds",
    "select": "shows a drop-down list, not what it holds",
    "datalist": "shows nothing",
    "meter": "shows a gauge, not what it holds",
    "progress": "shows a progress bar, not what it holds",
    "dialog": "shows nothing until a script opens it (it has no `open` attribute)",
}
# Where a tag's attributes or name may hide what it holds: most pages have none of it.
_CONCEALING = re.compile(
    rf"<(?:{'|'.join(_NEVER_SHOWN)})\b"
    r"|<[^<>]*?(?:\bhidden\b|display\s*:\s*none|visibility\s*:|content-visibility)",
    re.I,
)
_HIDING_STYLE = re.compile(
    r"(?:^|;)\s*((?:display\s*:\s*none|(?:content-)?visibility\s*:\s*(?:hidden|collapse))"
    r"(?:\s*!\s*important)?)\s*(?:;|$)",
    re.I,
)
_ATTRIBUTE = re.compile(
    rf"""([^\t\n\f\r />][^\t\n\f\r />=]*)
    (?: {_WS}*= {_WS}* ( "[^"]*"? | '[^']*'? | [^\t\n\f\r >]* ) )?""",
    re.X,
)
_VOID = frozenset(
    "area base br col embed hr img input link meta source track wbr param keygen".split()  # noqa: SIM905
)
# Start tags that close an open `<p>` first (HTML's "close a p element").
_CLOSES_P = frozenset(
    """address article aside blockquote center details dialog dir div dl fieldset figcaption
    figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr main menu nav ol p pre search section
    summary table ul li dd dt""".split()  # noqa: SIM905 (tag names read best as words)
)
# Start tags that close an open element of the same kind first.
_CLOSES_SAME = {"li": ("li",), "dd": ("dd", "dt"), "dt": ("dd", "dt"), "option": ("option",)}


def attributes(tag: str) -> dict[str, str]:
    """The attributes of a start tag (`<name ...>`), as a browser reads them: names in lower case,
    the first of a name kept, character references decoded."""
    found: dict[str, str] = {}
    name_end = re.match(r"<[^\t\n\f\r />]*", tag)
    inside = tag[name_end.end() if name_end else 0 :].removesuffix(">")
    for match in _ATTRIBUTE.finditer(inside):
        value = match[2] or ""
        if value and value[0] in "\"'":
            value = value[1:].removesuffix(value[0])
        found.setdefault(match[1].lower(), entities.unescape(value))
    return found


def classes(tag: str) -> list[str]:
    """The classes of a start tag, split on HTML's white space (not on a no-break space)."""
    return [name for name in re.split(_WS, attributes(tag).get("class", "")) if name]


def _hides(name: str, tag: str) -> str | None:
    """Why the element a start tag opens hides what it holds, or None."""
    if name in _NEVER_SHOWN:
        if name == "dialog" and "open" in attributes(tag):
            return None
        return f"a <{name}>, which {_NEVER_SHOWN[name]}"
    lowered = tag.lower()
    if "hidden" not in lowered and "style" not in lowered:
        return None
    held = attributes(tag)
    if "hidden" in held:
        return f"the hidden attribute of a <{name}>"
    style = _HIDING_STYLE.search(held.get("style", ""))
    if style is not None:
        return f"the style {style[1]!r} of a <{name}>"
    return None


def may_conceal(html: str) -> bool:
    """Whether some element of `html` may hide what it holds: a tag or an attribute that can
    (case-insensitive, so slower than the render's own check: see `render._Visible`)."""
    return _CONCEALING.search(html) is not None


def concealed(html: str, check: bool = True) -> list[tuple[int, int, str]]:
    """Return each span of `html` that an element hides from readers, with why: (start, end,
    why). `html` holds no comment or raw text (it is a `Visible.text`); an element left open
    runs to its end. With `check` false, the caller knows that some element may hide."""
    if check and not may_conceal(html):
        return []  # most pages: nothing hides anything
    return _Nesting().walk(html)


def conceals(tag: str, attributes: Mapping[str, str]) -> bool:
    """Whether an element of the render's tree, by its tag and attributes, may hide."""
    return tag in _NEVER_SHOWN or "hidden" in attributes or "style" in attributes


class _Nesting:
    """The elements open at each tag of a page, as far as hiding goes."""

    def __init__(self) -> None:
        self.spans: list[tuple[int, int, str]] = []
        self.stack: list[tuple[str, int, str | None]] = []
        # Hiding formatting elements another end tag closed: browsers open them again around
        # the text that follows, until their own end tag.
        self.reopened: dict[str, tuple[int, str]] = {}

    def walk(self, html: str) -> list[tuple[int, int, str]]:
        for found in _TAG.finditer(html):
            name = found[2].lower()
            if self.stack and self.stack[-1][0] == "select":
                if name not in _ENDS_SELECT:
                    continue  # a <select> keeps every other tag as its own
                self.end_tag("select", found.start())
                if name == "select":
                    continue
            if found[1]:
                self.end_tag(name, found.end())
            else:
                self.start_tag(name, found.start(), found[0])
        self.close(0, len(html))
        for start, why in self.reopened.values():
            self.spans.append((start, len(html), why))
        return self.spans

    def end_tag(self, name: str, end: int) -> None:
        """An end tag closes the nearest open element of its name, if any."""
        at = self.open_at((name,))
        if at is not None:
            self.close(at, end, name)
        elif name in self.reopened:
            start, why = self.reopened.pop(name)
            self.spans.append((start, end, why))

    def start_tag(self, name: str, start: int, tag: str) -> None:
        if name in _CLOSES_P and (at := self.open_at(("p",), _SCOPES)) is not None:
            self.close(at, start)
        if name in _CLOSES_SAME and (at := self.open_at(_CLOSES_SAME[name], _SCOPES)) is not None:
            self.close(at, start)
        if name not in _VOID:
            self.stack.append((name, start, _hides(name, tag)))

    def open_at(self, names: tuple[str, ...], stop: frozenset[str] = frozenset()) -> int | None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] in names:
                return index
            if self.stack[index][0] in stop:
                return None
        return None

    def close(self, index: int, end: int, by: str | None = None) -> None:
        """Close the open elements from `index` up, at `end`, by the end tag of `by` if any."""
        for number, (name, start, why) in enumerate(self.stack[index:], start=index):
            if why is None:
                continue
            if name in _FORMATTING and not (by == name and number == index):
                self.reopened.setdefault(name, (start, why))
            else:
                self.spans.append((start, end, why))
        del self.stack[index:]


_ENDS_SELECT = frozenset(["select", "input", "textarea"])
# Formatting elements, which browsers open again after another element's end tag closed them.
_FORMATTING = frozenset(
    "a b big code em font i nobr s small strike strong tt u".split()  # noqa: SIM905
)
# Elements that end the search for an open `<p>` or `<li>` to close.
_SCOPES = frozenset("ul ol dl table td th caption button object template html".split())  # noqa: SIM905
