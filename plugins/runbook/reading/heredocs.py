"""Here-documents, as bash reads them: the `<<WORD` operator (`heredoc_at`), and the body
lines up to WORD.

Both readers of shell code use these: `quoting.py`'s `Lexer`, which copies a body character by
character in its quoting, and `words.py`'s splitter, which steps over bodies to find commands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_OPERATOR = re.compile(r"<<(-?)[ \t]*(?:'([^'\n]*)'|\"([^\"\n]*)\"|\\?([\w.-]+))")


@dataclass(frozen=True)
class Heredoc:
    """A here-document operator: its delimiter word, whether the word was quoted (the body is
    then literal), whether `<<-` strips leading tabs, and where the operator starts and ends."""

    word: str
    quoted: bool
    tabs: bool
    start: int
    end: int

    def closes(self, line: str) -> bool:
        """Whether `line` (without its newline) is the delimiter line that ends the body."""
        return (line.lstrip("\t") if self.tabs else line) == self.word


def heredoc_at(code: str, start: int) -> Heredoc | None:
    """The here-document operator at `start` (at its `<<`), or None: a here-string `<<<`, an
    arithmetic shift, or `<<` with no word after it."""
    if code.startswith("<<<", start):
        return None
    match = _OPERATOR.match(code, start)
    if match is None:
        return None
    tabs, single, double, bare = match.groups()
    word = next(w for w in (single, double, bare) if w is not None)
    quoted = single is not None or double is not None or code[match.start(4) - 1] == "\\"
    return Heredoc(word, quoted, bool(tabs), start, match.end())


def line_end(code: str, at: int) -> int:
    """Where the line starting at `at` ends: its newline, or the end of the code."""
    end = code.find("\n", at)
    return len(code) if end < 0 else end
