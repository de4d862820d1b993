"""Expected output: the block after a step that shows what the step prints.

The guide runs `git diff requirements.txt`, then says "The output should be similar to this:" and
shows a `diff` block. Such a block is the step's expected output, and the replay compares it with
what the step printed (see `runbook.replaying.expected`). A block is one when:

- it is no step, and is an output block: its language is one of `OUTPUT_LANGUAGES`, or it has no
  title;
- it comes right after a step, with no other block between them, in the same tabs;
- the prose between them says so: it matches the site's output pattern (`OUTPUT_PROSE`).

A directive decides otherwise: `output` (or `output="exact"`) before a block makes it the output
of the step before it, `not-output` says it is none. Prose that speaks of output without the
pattern's words, before an output block right after a step, is an error: it is not clear which
is meant.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

OUTPUT_LANGUAGES = ("diff", "text", "txt", "json", "console", "output", "plaintext", "log")
OUTPUT_PROSE = r"(?i)\boutput\b.*\b(?:similar to|look(?:s)? like|like) this\b"
_OUTPUT_WORD = re.compile(r"(?i)\boutputs?\b")
_COMMENT = re.compile(r"<!--.*?-->", re.S)

Mode = Literal["similar", "exact"]


@dataclass(frozen=True, slots=True)
class Expected:
    """A step's expected output as the page shows it: the block's opening line and text."""

    line: int
    text: str
    mode: Mode = "similar"


def output_block(lang: str, title: str | None, languages: Sequence[str]) -> bool:
    """Whether a block that is no step could show a step's output: one in an output language,
    one with no language, or one with no title."""
    return lang in languages or not lang or title is None


def prose_between(lines: Sequence[str], after: int, before: int) -> str:
    """The page's text between a block that closes at line `after` and one that opens at line
    `before` (both from 1), on one line, without its HTML comments (no reader sees them)."""
    text = "\n".join(lines[after : before - 1])
    return " ".join(_COMMENT.sub(" ", text).split())


def says_output(prose: str, pattern: re.Pattern[str]) -> bool | None:
    """Whether prose introduces expected output: True, False, or None when it speaks of output
    in other words (neither clearly)."""
    if pattern.search(prose) is not None:
        return True
    return None if _OUTPUT_WORD.search(prose) else False
