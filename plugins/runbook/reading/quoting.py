"""Where each character of shell code stands: in bare words, a quote, a substitution, arithmetic,
a comment or a here-document's body.

`Lexer` walks bash code once, as bash reads its quoting (not its whole grammar), and copies it to
`out`. What a `<` starts is left to a subclass (`placeholders.py` binds placeholders there).
`unfinished` and `stray_brace` use the walk to find what a step leaves open, or closes twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import ClassVar, Literal

from runbook.reading.heredocs import Heredoc, heredoc_at, line_end

# Where the lexer stands: bare words, a quote, a substitution or subshell, a group, arithmetic,
# a comment, or a here-document's body (its delimiter quoted or not).
Context = Literal[
    "bare",
    "sq",
    "dq",
    "ansi",
    "tick",
    "sub",
    "paren",
    "group",
    "param",
    "arith",
    "aparen",
    "comment",
    "heredoc",
    "quoted-heredoc",
]

# The characters that can change the quoting context or start a placeholder; the lexer copies
# every other run of text in one go.
_SPECIAL = re.compile(r"""[<'"\\$()`#\n{}]""")
# Around a `{` or `}` that is a word of its own (a group), not part of a word (`{a,b}`).
_BEFORE_BRACE = frozenset(" \t\n;&|(")
_AFTER_BRACE = frozenset(" \t\n;&|)")


class Lexer:
    """Walks shell code once, tracking the quoting context each character stands in.

    Each `_in_*` method reads the character at an index in its context and returns the index
    after what it copied to `out`; `angle` is called at each `<` outside comments.
    """

    def __init__(self, code: str) -> None:
        self.code = code
        self.out: list[str] = []
        self.stack: list[Context] = ["bare"]
        # Where each context of the stack opened, in `code`.
        self.opened = [0]
        # Here-documents whose bodies follow the line.
        self.heredocs: list[Heredoc] = []
        # The first here-document whose delimiter never comes.
        self.unterminated: Heredoc | None = None
        # Where a `}` closes a group the code never opened.
        self.stray: int | None = None

    def angle(self, index: int) -> int | None:
        """Copy what the `<` at `index` starts, if it is more than a character of its context;
        return where that ends, or None to read the `<` in its context."""
        return None

    def push(self, state: Context, at: int) -> None:
        self.stack.append(state)
        self.opened.append(at)

    def pop(self) -> None:
        self.stack.pop()
        self.opened.pop()

    def take(self, index: int, count: int) -> int:
        """Copy `count` characters from `index`; return the index after them."""
        self.out.append(self.code[index : index + count])
        return index + count

    def plain(self, start: int, end: int) -> None:
        """Copy the characters from `start` to `end`, none of which changes the context."""
        self.out.append(self.code[start:end])

    def line_at(self, index: int) -> int:
        """The line (from 1) of `index` in the code."""
        return 1 + self.code.count("\n", 0, index)

    def run(self) -> str:
        """Walk the whole code; return what was copied."""
        code = self.code
        readers = self._READERS
        i = 0
        while i < len(code):
            special = _SPECIAL.search(code, i)
            end = len(code) if special is None else special.start()
            if end > i:
                self.plain(i, end)
            if special is None:
                break
            i = end
            state = self.stack[-1]
            if code[i] == "<" and state != "comment":
                end = self.angle(i)
                if end is not None:
                    i = end
                    continue
            i = readers[state](self, i)
        return "".join(self.out)

    def _in_sq(self, i: int) -> int:
        if self.code[i] == "'":
            self.pop()
        return self.take(i, 1)

    def _in_ansi(self, i: int) -> int:
        char = self.code[i]
        if char == "\\":
            return self.take(i, 2)
        if char == "'":
            self.pop()
        return self.take(i, 1)

    def _in_comment(self, i: int) -> int:
        if self.code[i] == "\n":
            self.pop()
            return i  # the newline is read again, outside the comment
        return self.take(i, 1)

    def _in_arithmetic(self, i: int) -> int:
        """In `$(( ))` or `(( ))`, where `<<` shifts bits and opens no here-document."""
        code, state = self.code, self.stack[-1]
        char = code[i]
        if state == "arith" and code.startswith("))", i):
            self.pop()
            return self.take(i, 2)
        if char == "(":
            self.push("aparen", i)
        elif char == ")" and state == "aparen":
            self.pop()
        elif char in "\"'$`":
            return self._in_words(i)
        return self.take(i, 1)

    def _in_dq(self, i: int) -> int:
        code = self.code
        char = code[i]
        if char == "\\":
            return self.take(i, 2)
        if char == '"':
            self.pop()
        elif code.startswith("$((", i):
            self.push("arith", i)
            return self.take(i, 3)
        elif code.startswith("${", i):
            self.push("param", i)
            return self.take(i, 2)
        elif code.startswith("$(", i):
            self.push("sub", i)
            return self.take(i, 2)
        elif char == "`":
            self.push("tick", i)
        return self.take(i, 1)

    def _in_words(self, i: int) -> int:
        """Bare, or inside `$( )`, `( )`, backticks, a group or `${ }`: the shell reads words."""
        code, state = self.code, self.stack[-1]
        char = code[i]
        two = code[i : i + 2]
        if char == "\\":
            return self.take(i, 2)
        if char == "'":
            self.push("sq", i)
        elif two == "$'":
            self.push("ansi", i)
            return self.take(i, 2)
        elif char == '"':
            self.push("dq", i)
        elif code.startswith("$((", i) or (two == "((" and state != "arith"):
            self.push("arith", i)
            return self.take(i, len(two) + (char == "$"))
        elif two == "${":
            self.push("param", i)
            return self.take(i, 2)
        elif char == "}" and state == "param":
            self.pop()
        elif char in "{}" and self._alone(i):
            self._brace(i)
        elif two == "$(":
            self.push("sub", i)
            return self.take(i, 2)
        elif char == "(":
            self.push("paren", i)
        elif char == ")" and state in ("sub", "paren"):
            self.pop()
        elif char == "`":
            if state == "tick":
                self.pop()
            else:
                self.push("tick", i)
        elif char == "#" and state != "param" and (i == 0 or code[i - 1] in " \t\n;|&("):
            # Inside `${...}`, `#` is an operator (`${x#prefix}`, `${x:- #}`), never a comment.
            self.push("comment", i)
        elif two == "<<":
            return self._heredoc_operator(i)
        elif char == "\n" and self.heredocs:
            return self._heredoc_bodies(i)
        return self.take(i, 1)

    _READERS: ClassVar[dict[str, Callable[[Lexer, int], int]]] = {
        "sq": _in_sq,
        "ansi": _in_ansi,
        "comment": _in_comment,
        "arith": _in_arithmetic,
        "aparen": _in_arithmetic,
        "dq": _in_dq,
        **dict.fromkeys(("bare", "tick", "sub", "paren", "group", "param"), _in_words),
    }

    def _brace(self, i: int) -> None:
        """A `{` or `}` that is a word of its own: it opens or closes a group."""
        if self.code[i] == "{":
            self.push("group", i)
        elif self.stack[-1] == "group":
            self.pop()
        elif self.stray is None and self._command_start(i):
            self.stray = i

    def _command_start(self, i: int) -> bool:
        """Whether a command may start at `i`: first on its line, or after `;`, `&` or `|`."""
        before = self.code[:i].rstrip(" \t")
        return not before or before[-1] in "\n;&|"

    def _alone(self, i: int) -> bool:
        """Whether the brace at `i` is a word of its own, as a group's braces are."""
        code = self.code
        return (i == 0 or code[i - 1] in _BEFORE_BRACE) and (
            i + 1 == len(code) or code[i + 1] in _AFTER_BRACE
        )

    def _heredoc_operator(self, i: int) -> int:
        """Read `<<` at `i`: a here-document's operator (its body comes after the line), a
        here-string's `<<<`, or a shift."""
        heredoc = heredoc_at(self.code, i)
        if heredoc is None:
            return self.take(i, 3 if self.code.startswith("<<<", i) else 2)
        self.heredocs.append(heredoc)
        return self.take(i, heredoc.end - i)

    def _heredoc_bodies(self, i: int) -> int:
        """Copy the here-document bodies that start after the newline at `i`; return the end."""
        code = self.code
        self.out.append("\n")
        i += 1
        for heredoc in self.heredocs:
            while i < len(code):
                end = line_end(code, i)
                if heredoc.closes(code[i:end]):
                    self.out.append(code[i : end + 1])
                    i = end + 1
                    break
                i = self._heredoc_line(i, end, heredoc.quoted)
            else:
                self.unterminated = self.unterminated or heredoc
        self.heredocs = []
        return i

    def _heredoc_line(self, i: int, end: int, quoted: bool) -> int:
        """Copy a line of a here-document's body, up to its newline at `end`."""
        code = self.code
        self.push("quoted-heredoc" if quoted else "heredoc", i)
        while i <= end and i < len(code):
            if code[i] == "<":
                stop = self.angle(i)
                if stop is not None:
                    i = stop
                    continue
            i = self.take(i, 2 if code[i] == "\\" and not quoted else 1)
        self.pop()
        return i


def stray_brace(code: str) -> int | None:
    """Return the line (from 1) of a `}` in shell `code` that closes no group of its own."""
    if "}" not in code:
        return None  # most commands: no brace to close anything
    lexer = Lexer(code)
    lexer.run()
    return lexer.line_at(lexer.stray) if lexer.stray is not None else None


# The characters that can start what `unfinished` looks for: quotes, substitutions, groups,
# here-documents and backslashes.
_OPENS = re.compile(r"""['"`$(){}<\\]""")

_OPENERS = {
    "sq": "a ' quote",
    "dq": 'a " quote',
    "ansi": "a $' quote",
    "tick": "a ` command substitution",
    "sub": "a $( command substitution",
    "paren": "a ( subshell",
    "arith": "an arithmetic (( expression",
    "aparen": "a ( inside an arithmetic expression",
    "group": "a { group",
    "param": "a ${ expansion",
}


def open_or_stray(code: str) -> bool:
    """Whether shell `code` leaves something open or closes a group twice (see `unfinished`
    and `stray_brace`), told from one walk of it."""
    if _OPENS.search(code) is None:
        return False
    lexer = Lexer(code)
    lexer.run()
    if lexer.stray is not None or lexer.heredocs or lexer.unterminated is not None:
        return True
    if any(state in _OPENERS for state in lexer.stack):
        return True
    trailing = len(code) - len(code.rstrip("\\"))
    return bool(trailing % 2) and lexer.stack[-1] == "bare"


def unfinished(code: str) -> tuple[int, str] | None:
    """Return the line (from 1) and a description of what shell `code` leaves open, if anything.

    Open means that bash would read on past the code's end: a quote or substitution that never
    closes, a here-document whose delimiter never comes, or a final backslash.
    """
    if _OPENS.search(code) is None:
        return None  # nothing in it can open anything: most commands
    lexer = Lexer(code)
    lexer.run()
    if lexer.heredocs:  # a here-document operator on the code's last line
        heredoc = lexer.heredocs[0]
        return lexer.line_at(heredoc.start), f"here-document <<{heredoc.word} has no lines"
    if lexer.unterminated is not None:
        word, at = lexer.unterminated.word, lexer.unterminated.start
        indented = any(line.strip() == word for line in code.splitlines())
        return (
            lexer.line_at(at),
            f"here-document <<{word} never ends: its delimiter line {word} must come before "
            "the block ends"
            + (", at the start of its line (the page's tabs are spaces)" if indented else ""),
        )
    for state, at in zip(reversed(lexer.stack), reversed(lexer.opened), strict=True):
        if state in _OPENERS:
            return lexer.line_at(at), f"{_OPENERS[state]} opens here and never closes"
    trailing = len(code) - len(code.rstrip("\\"))
    if trailing % 2 and lexer.stack[-1] == "bare":
        return (
            lexer.line_at(len(code)),
            "the last line ends with a backslash, which would join it to what runs next",
        )
    return None
