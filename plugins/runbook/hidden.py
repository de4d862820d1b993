"""What a browser shows none of in HTML: comments, and what scripts, styles and the like hold.

HTML is read as browsers read it (HTML5), just far enough to know that: a tag ends at the first
`>` outside its quoted attribute values, so `<div title="<!--">` opens no comment; a comment
ends at `-->` or `--!>`, and `<!-->` or `<!--->` is one already; `<!...>` and `<?...>` are
comments too, up to the first `>`; `<script>`, `<style>`, `<template>` and `<textarea>` hold
text up to their closing tag. Whatever is left open runs to the end.
"""

from __future__ import annotations

import re

_RAW = ("script", "style", "template", "textarea")
# A tag's attributes and its end: a quote opens a value only right after an `=`.
_ATTRIBUTES = r"""(?: [^>=]++ | = \s*+ (?: "[^"]*+ (?: " | \Z ) | '[^']*+ (?: ' | \Z ) ) | = )*+
    (?: > | \Z )"""
# Text, and tags that hide nothing, up to the next comment or raw text element: all in one match.
_SHOWN = re.compile(
    rf"""(?:
      [^<]++
    | < (?! [!?] | /?[A-Za-z] )
    | < (?! (?i: {"|".join(_RAW)} ) (?! [^\s/>] ) ) /?[A-Za-z][^\s/>]*+ {_ATTRIBUTES}
    )*+""",
    re.S | re.X,
)
_COMMENT = re.compile(
    r"<!-- (?: > | -> | .*? (?: --!?> | \Z ) ) | <[!?] [^>]*+ (?: > | \Z )", re.S | re.X
)
_RAW_START = re.compile(rf"<([A-Za-z][^\s/>]*+) {_ATTRIBUTES}", re.S | re.X)
_RAW_CLOSE = {name: re.compile(rf"</{name}\s*>", re.I) for name in _RAW}


def visible(html: str) -> str:
    """Return `html` without what a browser shows none of (see the module's docstring); its
    tags stay, attributes and all."""
    if "<!" not in html and "<?" not in html and not any(f"<{tag}" in html for tag in _RAW):
        return html  # many pages: nothing hidden (the result is `html` itself)
    kept: list[str] = []
    position = 0
    while True:
        shown = _SHOWN.match(html, position)
        assert shown is not None  # it matches the empty string
        kept.append(shown[0])
        position = shown.end()
        if position == len(html):
            return "".join(kept)
        if comment := _COMMENT.match(html, position):
            position = comment.end()
            continue
        raw = _RAW_START.match(html, position)
        assert raw is not None
        kept.append(raw[0])
        name = raw[1].lower()
        closing = _RAW_CLOSE[name].search(html, raw.end())
        position = closing.end() if closing else len(html)
        kept.append(f"</{name}>")
