"""The simple commands of bash code, each as the words bash passes its program.

`shell_commands` reads enough of bash's grammar to find a program and its arguments: quotes
removed, comments, redirections and here-documents' bodies left out, variable assignments and
keywords before the program left out. `installs.py` reads what pip and uv are asked to install.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from runbook.reading.heredocs import Heredoc, heredoc_at, line_end


@dataclass(frozen=True)
class Word:
    """A shell word as bash would pass it, and whether a variable or substitution made it."""

    text: str
    expanded: bool = False


# Words bash reads as keywords at the start of a command, or programs that run the next word.
_PREFIXES = frozenset(
    "if then else elif do while until ! { time sudo command exec nohup".split()  # noqa: SIM905
)
_OPERATORS = ";&|()\n"
# A redirection's operator; the word after it is its target (`2>&1` names a descriptor).
_REDIRECTION = re.compile(r"[<>]+&?-?")


def _continued(code: str, at: int) -> bool:
    """Whether a backslash at `at` continues the line: bash removes both characters."""
    return code.startswith("\\\n", at)


def shell_commands(code: str) -> list[list[Word]]:
    """The simple commands of bash `code`, each as its words: quotes removed, comments,
    redirections and here-documents' bodies left out, variable assignments before a program
    left out. Enough of bash's grammar to find a program and its arguments, not all of it."""
    return [words for words in _Splitter(code).commands() if words]


class _Splitter:
    """Reads bash code once, as bash splits it into words and commands."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.at = 0
        self.heredocs: list[Heredoc] = []

    def commands(self) -> Iterator[list[Word]]:
        words: list[Word] = []
        redirected = False
        while True:
            word = self.word()
            if word is None:  # an operator, or the end
                if self.at >= len(self.code):
                    yield _program(words)
                    return
                char = self.code[self.at]
                if char in "<>":
                    redirected = self.redirection(words)
                    continue
                self.at += 1
                if char == "\n" and self.heredocs:
                    self.skip_heredocs()
                if char == "&" and self.code.startswith(">", self.at):
                    redirected = self.redirection(words)
                    continue
                yield _program(words)
                words = []
            elif redirected:
                redirected = False
            else:
                words.append(word)

    def redirection(self, words: list[Word]) -> bool:
        """Step over a redirection operator; return whether a word (its target) follows."""
        start = self.at
        if start > 0 and words and words[-1].text.isdigit() and self.code[start - 1].isdigit():
            words.pop()  # the file descriptor of `2>`
        if self.code.startswith("<<<", start):
            self.at += 3
            return True
        heredoc = heredoc_at(self.code, start)
        if heredoc is not None:
            self.heredocs.append(heredoc)
            self.at = heredoc.end
            return False
        operator = _REDIRECTION.match(self.code, start)
        assert operator is not None
        self.at = operator.end()
        return not operator[0].endswith("-")  # `>&-` closes: no target follows

    def skip_heredocs(self) -> None:
        """Step over the bodies of the here-documents the line just read opened."""
        for heredoc in self.heredocs:
            while self.at < len(self.code):
                end = line_end(self.code, self.at)
                line = self.code[self.at : end]
                self.at = end + 1
                if heredoc.closes(line):
                    break
        self.heredocs = []

    def word(self) -> Word | None:
        """The next word, or None at an operator or the end; blanks and comments skipped."""
        code = self.code
        while self.at < len(code) and (code[self.at] in " \t\r" or _continued(code, self.at)):
            self.at += 2 if code[self.at] == "\\" else 1
        if self.at < len(code) and code[self.at] == "#":
            end = code.find("\n", self.at)
            self.at = len(code) if end == -1 else end
        text: list[str] = []
        expanded = False
        while self.at < len(code):
            char = code[self.at]
            if char in " \t\r" or char in _OPERATORS or char in "<>":
                break
            if char == "\\":  # an escaped character, or a line continued
                text.append(code[self.at + 1 : self.at + 2].replace("\n", ""))
                self.at += 2
            elif char == "'":
                end = code.find("'", self.at + 1)
                end = len(code) if end == -1 else end
                text.append(code[self.at + 1 : end])
                self.at = end + 1
            elif char == '"':
                self.at += 1
                while self.at < len(code) and code[self.at] != '"':
                    if code[self.at] == "\\" and code[self.at + 1 : self.at + 2] in '$`"\\\n':
                        text.append(code[self.at + 1 : self.at + 2].replace("\n", ""))
                        self.at += 2
                    elif code[self.at] in "$`":
                        expanded = True
                        text.append(self.expansion())
                    else:
                        text.append(code[self.at])
                        self.at += 1
                self.at += 1
            elif char in "$`":
                expanded = True
                text.append(self.expansion())
            else:
                text.append(char)
                self.at += 1
        if not text and not expanded:
            return None
        return Word("".join(text), expanded)

    def expansion(self) -> str:
        """Step over a `$name`, `${...}`, `$(...)` or backquoted command; return its text."""
        code, start = self.code, self.at
        pairs = {"$(": ")", "${": "}", "`": "`"}
        opener = next((o for o in pairs if code.startswith(o, start)), None)
        if opener is None:
            name = re.compile(r"\$(?:\w+|.)?").match(code, start)
            assert name is not None
            self.at = name.end()
            return name[0]
        depth, at = 1, start + len(opener)
        while at < len(code) and depth:
            if opener != "`" and code.startswith(opener, at):
                depth += 1
            elif code[at] == pairs[opener]:
                depth -= 1
            at += 1
        self.at = at
        return code[start:at]


def _program(words: list[Word]) -> list[Word]:
    """The words from the program on: keywords and variable assignments before it left out."""
    at = 0
    while at < len(words) and (
        words[at].text in _PREFIXES or re.match(r"[A-Za-z_]\w*=", words[at].text)
    ):
        at += 1
    if at < len(words) and words[at].text == "env":
        at += 1
        while at < len(words) and re.match(r"[A-Za-z_]\w*=|-", words[at].text):
            at += 1
    return words[at:]
