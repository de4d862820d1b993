"""Random pages for property tests: the layouts that decide where a fence is and who sees it.

A page mixes fences of every length and kind with what surrounds them in a guide: paragraphs
that wrap onto lazy lines, list items (lazy lines too), blockquotes, admonitions, content tabs,
HTML comments (block and inline, with and without blank lines), indented code and headings;
then it may get CRLF line endings, or tabs for its indentation. Hypothesis shrinks a failing
page to a small one.
"""

from __future__ import annotations

from hypothesis import strategies as st

from helpers import TITLE

_MARKERS = ["```", "```", "~~~", "````", "~~~~~"]
_LANGS = ["sh", "sh", "bash", "shell", "text", "", "Bash", "python"]
_TITLES = [
    TITLE,
    TITLE,
    TITLE,
    ".gitignore",
    None,
    "execute the following  command(s) in a terminal",
]
_OPTIONS = ["", "", "", ' hl_lines="1"', ' linenums="1"']
_CODE = [
    "echo one",
    "cd sub",
    "",
    "  indented",
    "```",
    "~~~",
    "<!--",
    "-->",
    "> quoted",
    "- item",
    "printf 'a\u2028b'",
    "# a note\x85rm -f x",
]
_TEXT = ["Text.", "More text that goes on", "Write `<!--` to open a comment.", "**Bold** text."]
_LABELS = ["GitHub", ":simple-gitlab: GitLab", ":simple-github:", "pip", "uv"]


@st.composite
def _fence(draw: st.DrawFn, pad: str) -> list[str]:
    marker = draw(st.sampled_from(_MARKERS))
    lang = draw(st.sampled_from(_LANGS))
    title = draw(st.sampled_from(_TITLES))
    header = (
        marker + lang + (f' title="{title}"' if title else "") + draw(st.sampled_from(_OPTIONS))
    )
    body = [f"echo {draw(st.integers(0, 99))}", *draw(st.lists(st.sampled_from(_CODE), max_size=3))]
    close = draw(st.sampled_from([marker, marker, marker + "  ", ""]))  # "" never closes it
    lines = [header, *body, close] if close else [header, *body]
    return [pad + line if line else "" for line in lines]


@st.composite
def _blocks(draw: st.DrawFn, depth: int, pad: str) -> list[str]:
    kinds = ["fence", "fence", "paragraph"]
    if depth < 3:
        kinds += ["list", "quote", "admonition", "tabs", "comment", "indented", "heading", "html"]
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(kinds))
        inner = pad + "    "
        if kind == "fence":
            lines += draw(_fence(pad))
        elif kind == "paragraph":
            lines.append(pad + draw(st.sampled_from(_TEXT)))
            if draw(st.booleans()):  # a wrapped line: at the same indentation, or lazy
                lines.append(draw(st.sampled_from([pad, ""])) + "that wraps onto a line")
        elif kind == "heading":
            lines.append(pad + "## A heading")
        elif kind == "list":
            marker = draw(st.sampled_from(["- ", "1. ", "* "]))
            lines.append(pad + marker + draw(st.sampled_from(_TEXT)))
            if draw(st.booleans()):  # the item's text wraps onto a lazy line
                lines.append(draw(st.sampled_from(["", pad, pad + "  "])) + "a lazy line")
            if draw(st.booleans()):
                lines.append("")
            lines += draw(_blocks(depth + 1, inner))
        elif kind == "quote":
            quoted = draw(_blocks(depth + 1, ""))
            lines += [pad + (f"> {line}" if line else ">") for line in quoted]
            if draw(st.booleans()):  # a lazy line: no quote marker
                lines.append(pad + "a lazy line")
        elif kind == "admonition":
            lines += [
                pad + draw(st.sampled_from(["!!! note", '??? tip "Tip"', '???+ info "I"'])),
                "",
            ]
            lines += draw(_blocks(depth + 1, inner))
        elif kind == "tabs":
            for label in draw(
                st.lists(st.sampled_from(_LABELS), min_size=1, max_size=2, unique=True)
            ):
                lines += [pad + f'=== "{label}"', "", *draw(_blocks(depth + 1, inner)), ""]
        elif kind == "comment":
            blank = [""] if draw(st.booleans()) else []
            opening = draw(st.sampled_from(["<!--", "<!-- Old:", "Text <!--"]))
            closing = draw(st.sampled_from(["-->", "-->", ""]))  # sometimes never closed
            lines += [pad + opening, *blank, *draw(_blocks(depth + 1, pad)), *blank]
            lines += [pad + closing] if closing else []
        elif kind == "html":  # raw HTML, whose attributes may hold what looks like a comment
            # A block of its own: raw tags inside a paragraph make HTML that browsers repair.
            opening = draw(st.sampled_from(["<div markdown>", '<div data-x="<!--">', "<div>"]))
            lines += ["", pad + opening, "", *draw(_blocks(depth + 1, pad)), "", pad + "</div>"]
        elif kind == "indented":
            lines += [pad + "Text:", "", *draw(_blocks(depth + 1, inner))]
        lines.append("" if draw(st.integers(0, 3)) else pad + "Text right after.")
    return lines


@st.composite
def pages(draw: st.DrawFn) -> str:
    """A random page, as a guide's author might write one, and as a careless one might."""
    text = "\n".join(draw(_blocks(0, ""))) + "\n"
    ending = draw(st.sampled_from(["lf", "lf", "crlf", "tabs"]))
    if ending == "crlf":
        return text.replace("\n", "\r\n")
    if ending == "tabs":
        return "\n".join(line.replace("    ", "\t") for line in text.split("\n"))
    return text
