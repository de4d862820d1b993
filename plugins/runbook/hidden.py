"""What a browser shows none of in HTML: comments, and what scripts, styles and the like hold.

HTML is read as browsers read it (HTML5), just far enough to know that: a tag ends at the first
`>` outside its quoted attribute values, so `<div title="<!--">` opens no comment; a comment
ends at `-->` or `--!>`, and `<!-->` or `<!--->` is one already; `<script>`, `<style>`,
`<template>` and `<textarea>` hold text up to their closing tag.
"""

from __future__ import annotations

import re

_TAG = re.compile(r"<(/?)([A-Za-z][^\s/>]*)")
_RAW = ("script", "style", "template", "textarea")


def _tag_end(html: str, start: int) -> int:
    """Return the index after the `>` that ends the tag opened at `start`."""
    quote = None
    for index in range(start, len(html)):
        char = html[index]
        if quote is not None:
            quote = None if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == ">":
            return index + 1
    return len(html)


def visible(html: str) -> str:
    """Return `html` without what a browser shows none of (see the module's docstring)."""
    if "<!--" not in html and not any(f"<{tag}" in html for tag in _RAW):
        return html  # most pages
    kept: list[str] = []
    position = 0
    while (start := html.find("<", position)) >= 0:
        if html.startswith("<!--", start):
            kept.append(html[position:start])
            rest = start + 4
            if html.startswith((">", "->"), rest):
                position = html.index(">", rest) + 1
                continue
            ends = [found for close in ("-->", "--!>") if (found := html.find(close, rest)) >= 0]
            end = min(ends, default=len(html))
            position = min(len(html), end + (4 if html.startswith("--!>", end) else 3))
            continue
        tag = _TAG.match(html, start)
        if tag is None:
            kept.append(html[position : start + 1])
            position = start + 1
            continue
        end = _tag_end(html, tag.end())
        kept.append(html[position:end])
        position = end
        name = tag[2].lower()
        if not tag[1] and name in _RAW:
            closing = re.compile(rf"</{name}\s*>", re.I).search(html, end)
            position = closing.end() if closing else len(html)
            kept.append(f"</{name}>")
    return "".join(kept) + html[position:]
