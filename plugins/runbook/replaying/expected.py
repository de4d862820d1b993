"""Compare what a step printed with the output its page shows (`reading.outputs.Expected`).

`similar`, the guide's "the output should be similar to this", must be useful on real output and
never pass by accident:

- both sides are read line by line; blank lines, spacing within a line and colour codes do not
  count;
- what changes from run to run compares as equal: commit and object ids (hexadecimal words of 7
  to 64 digits with letters and digits both), `index 1a2b3c4..5d6e7f8` lines, dates, times,
  durations, sizes, and absolute paths (the sandbox's are not the reader's);
- `...` in a shown line matches any text within that line; a line of `...` alone, any lines;
- every other shown line must appear in the real output, in order; the real output may have more
  lines.

`exact` compares the texts as they are, but for the final newlines.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from runbook.reading.outputs import Expected

_DAYS = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*"
_MONTHS = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*"
# Each what varies, and what it is written as on both sides, in the order they are applied.
_VARYING = [
    (re.compile(r"\x1b\[[0-9;]*[A-Za-z]"), ""),
    (re.compile(r"\bindex [0-9a-f]{7,64}\.\.[0-9a-f]{7,64}\b"), "index <ids>"),
    (
        re.compile(
            rf"\b(?:{_DAYS},? )?{_MONTHS} \d{{1,2}},?(?: \d{{1,2}}:\d{{2}}(?::\d{{2}})?)?"
            r"(?: \d{4})?(?: [+-]\d{4})?\b"
        ),
        "<date>",
    ),
    (
        re.compile(
            r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?"
            r"(?:Z|[+-]\d{2}:?\d{2})?"
        ),
        "<date>",
    ),
    (re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?\b"), "<time>"),
    (
        re.compile(
            r"\b\d+(?:[.,]\d+)?\s?(?:ns|µs|us|ms|s|secs?|seconds?|min|mins|minutes?|h|hours?)"
            r"(?![\w/])"
        ),
        "<duration>",
    ),
    (
        re.compile(
            r"\b\d+(?:[.,]\d+)?\s?(?:[kKMGT]i?B|[kKMGT]|B|bytes?)(?:/s)?(?![\w])",
        ),
        "<size>",
    ),
    (re.compile(r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{7,64}\b"), "<id>"),
    (re.compile(r"(?<![\w.:/~-])~?(?:/[\w.@+~-]+)+/?"), "<path>"),
]
_SPACE = re.compile(r"\s+")
_ANY = "..."


@dataclass(frozen=True)
class Mismatch:
    """How a step's output differs from what its page shows: the first shown line not found,
    and a diff of shown against real output."""

    expected: Expected
    missing: str | None
    diff: str

    def describe(self, location: str) -> str:
        where = f"{location}'s output differs from the output shown at line {self.expected.line}"
        if self.expected.mode == "exact":
            first = where + " (exact)"
        elif self.missing is not None:
            first = f"{where}: no line like {self.missing!r}, in order"
        else:
            first = where
        return first + "\n" + self.diff


def _plain(line: str) -> str:
    for pattern, written in _VARYING:
        line = pattern.sub(written, line)
    return _SPACE.sub(" ", line).strip()


@functools.lru_cache(maxsize=512)
def _pattern(shown: str) -> re.Pattern[str] | None:
    """A shown line as a pattern over a real one: `...` matches any text; None for a line of
    `...` alone, which matches any lines."""
    plain = _plain(shown)
    if plain.replace(_ANY, "").strip() == "":
        return None
    return re.compile(".*".join(re.escape(part) for part in plain.split(_ANY)), re.S)


def _lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def compare(expected: Expected, real: str) -> Mismatch | None:
    """Return how `real` output differs from `expected`, or None when it is as the page says."""
    if expected.mode == "exact":
        if real.rstrip("\n") == expected.text.rstrip("\n"):
            return None
        return Mismatch(expected, None, _diff(expected.text, real))
    missing = _first_missing(_lines(expected.text), [_plain(line) for line in _lines(real)])
    if missing is None:
        return None
    return Mismatch(expected, missing, _diff(expected.text, real))


def _first_missing(shown: Sequence[str], real: Sequence[str]) -> str | None:
    """The first shown line that no real line after the previous one's match is like."""
    at = 0
    for line in shown:
        pattern = _pattern(line)
        if pattern is None:
            continue
        while at < len(real) and pattern.fullmatch(real[at]) is None:
            at += 1
        if at == len(real):
            return line
        at += 1
    return None


def _diff(shown: str, real: str) -> str:
    lines = difflib.unified_diff(
        shown.rstrip("\n").split("\n"),
        real.rstrip("\n").split("\n"),
        "shown on the page",
        "printed by the step",
        lineterm="",
    )
    return "\n".join(lines)
