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

Whatever is left open hides the rest of the page: `Visible.open_from` says where it opened, for
callers that would rather not guess what an author meant by that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
# A tag's attributes and its `>`: a quote opens a value only right after an `=`. A tag without
# its `>` does not match: it holds the rest of the page.
_ATTRIBUTES = r"""
    (?: [^>=]++ | = \s*+ (?: "[^"]*+ (?: " | \Z ) | '[^']*+ (?: ' | \Z ) ) | = )*+ >"""
_RAW_NAMES = rf"(?i: {'|'.join(_RAW)} ) (?! [^\s/>] )"
# What may hide something: most pages have none of it.
_HIDING = re.compile(rf"< (?: [!?] | {_RAW_NAMES} )", re.X)
# Text, and tags that hide nothing, up to the next comment or raw text element: all in one match.
_SHOWN = re.compile(
    rf"""(?:
      [^<]++
    | < (?! [!?] | /?[A-Za-z] )
    | < (?! {_RAW_NAMES} ) /?[A-Za-z][^\s/>]*+ {_ATTRIBUTES}
    )*+""",
    re.S | re.X,
)
# A comment: `closed` unless it runs to the end of the page.
_COMMENT = re.compile(
    r"<!-- (?: (?P<closed> > | -> | .*? --!?> ) | .*+ ) | <[!?] (?: (?P<bogus> [^>]*+ > ) | .*+ )",
    re.S | re.X,
)
_RAW_START = re.compile(rf"<([A-Za-z][^\s/>]*+) {_ATTRIBUTES}", re.S | re.X)
_RAW_END = {name: re.compile(rf"</{name}(?:>|[\t\n\f\r /][^>]*+>?|\Z)", re.I) for name in _RAW}


@dataclass(frozen=True)
class Visible:
    """HTML without what a browser shows none of, its tags kept, attributes and all; and where
    in the HTML something opened that is never closed, hiding all the rest, if anything did."""

    text: str
    open_from: int | None = None


def visible(html: str) -> Visible:
    """Return what of `html` a browser shows (see the module's docstring)."""
    if _HIDING.search(html) is None:
        return Visible(html)  # many pages: nothing hidden (the text is `html` itself)
    kept: list[str] = []
    position = 0
    while True:
        shown = _SHOWN.match(html, position)
        assert shown is not None  # it matches the empty string
        kept.append(shown[0])
        position = shown.end()
        if position == len(html):
            return Visible("".join(kept))
        if comment := _COMMENT.match(html, position):
            if comment["closed"] is None and comment["bogus"] is None:
                return Visible("".join(kept), position)
            position = comment.end()
            continue
        raw = _RAW_START.match(html, position)
        name = raw[1].lower() if raw is not None else "plaintext"
        end = _RAW_END[name].search(html, raw.end()) if raw and name != "plaintext" else None
        if raw is None or end is None:  # a tag, or raw text, left open
            return Visible("".join(kept), position)
        kept += [raw[0], f"</{name}>"]
        position = end.end()
