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
"""

from __future__ import annotations

import re
from collections.abc import Iterator
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
