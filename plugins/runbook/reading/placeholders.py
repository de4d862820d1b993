"""Placeholders: the `<your git repository url>` values a reader fills in, bound to variables.

A placeholder is two or more words between angle brackets, inside a command. The script reads
it from an environment variable, and `substitute` writes the expansion that fits the quoting
context it stands in, so that the shell takes the value as data, never as code. A `<...>` the
page treats as literal text (a template marker, see `steps.py`) is left as written.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Container
from dataclasses import dataclass

from runbook.errors import SourceError
from runbook.reading.quoting import Lexer

PLACEHOLDER = re.compile(r"(?<![<\w])<([A-Za-z][A-Za-z0-9]*(?:[ _-]+[A-Za-z0-9]+)+)>")

# A placeholder is the reader's own value, and its first word says whose. Programs name the
# variables they read after themselves or what they set (OPENAI_API_KEY, KAGGLE_KEY, SSL_CERT_DIR,
# PATH, GIT_DIR), never after an owner: so no program reads a placeholder's variable, which the
# script puts in every step's environment, and no placeholder shadows the shell's own.
OWNER_WORDS = ("my", "your", "our", "the", "a", "an")


@dataclass(slots=True)
class Placeholder:
    """A placeholder as written on the page and the environment variable that fills it.

    Treat it as read-only. Like a `Fence`, it is not frozen because a page makes many.
    """

    text: str
    name: str
    line: int


@functools.lru_cache(maxsize=1024)
def variable_name(text: str) -> str:
    """Return the variable for a placeholder's text: `your git url` -> `YOUR_GIT_URL`."""
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").upper()


def name_problem(text: str) -> str | None:
    """Say why a placeholder written `<text>` cannot be one, or return None if it can."""
    first = re.split(r"[ _-]+", text, maxsplit=1)[0]
    if first.lower() in OWNER_WORDS:
        return None
    separator = next((s for s in (" ", "_", "-") if s in text), " ")
    owner = "MY" if text.isupper() else "my"
    return (
        f"placeholder <{text}> would set {variable_name(text)}, a name that a program may read "
        "from the environment (as OPENAI_API_KEY, KAGGLE_KEY or SSL_CERT_DIR are), where every "
        "step would see it: start it with a word that says whose value it is ("
        + ", ".join(OWNER_WORDS)
        + f"), such as <{owner}{separator}{text}>"
    )


class _Binder(Lexer):
    """Walks shell code once and writes, in place of each placeholder, the expansion of its
    variable that fits the quoting it stands in."""

    def __init__(self, code: str, first_line: int, literal: Container[str]) -> None:
        super().__init__(code)
        self.first_line = first_line
        self.literal = literal
        self.found: list[Placeholder] = []

    def page_line(self, index: int) -> int:
        return self.first_line - 1 + self.line_at(index)

    def angle(self, index: int) -> int | None:
        """Bind the placeholder at `index`, if one stands there; return where it ends."""
        match = PLACEHOLDER.match(self.code, index)
        if match is None:
            return None
        if match[1] in self.literal:
            self.out.append(match[0])
            return match.end()
        line = self.page_line(index)
        state = self.stack[-1]
        if state == "quoted-heredoc":
            raise SourceError(
                line,
                f"placeholder {match[0]} is in a quoted here-document, where no value can be "
                "put; use an unquoted delimiter, or mark it literal",
            )
        arithmetic = self.arithmetic(index, match.end())
        if arithmetic is not None:
            raise SourceError(
                line,
                f"placeholder {match[0]} is in {arithmetic}, where bash reads a value as "
                "arithmetic, and runs any $(command) in it (x[$(touch pwned)]): give it a "
                "variable first and check that it is a number (n=<my number>; "
                "[[ $n =~ ^[0-9]+$ ]]), then write $n there",
            )
        problem = name_problem(match[1])
        if problem is not None:
            raise SourceError(line, problem)
        name = variable_name(match[1])
        self.found.append(Placeholder(match[1], name, line))
        self.out.append(_EXPANSIONS.get(state, _EXPANSIONS["bare"]).format(name))
        return match.end()

    def arithmetic(self, start: int, end: int) -> str | None:
        """Name the arithmetic that the placeholder from `start` to `end` stands in, if any:
        bash evaluates it, and an array subscript in it, whatever the quoting."""
        for state, opened in zip(self.stack, self.opened, strict=True):
            if state == "arith":
                return "an arithmetic expression " + (
                    "$(( ))" if self.code[opened] == "$" else "(( ))"
                )
            if state == "param" and _OFFSET.match(self.code, opened + 2, start):
                return "the subscript or offset of a ${...} expansion"
        code = self.code
        line = code.rfind("\n", 0, start) + 1
        before = code[line:start]
        if _SUBSCRIPT.search(before):
            return "an array subscript"
        if _INTEGER_COMMAND.match(_COMMAND_START.split(before)[-1]):
            return "a let, or an assignment to an integer variable"
        test = before.rfind("[[")
        if test >= 0 and "]]" not in before[test:]:
            close = code.find("]]", end)
            if _ARITHMETIC_TEST.search(before[test:] + code[end : close if close >= 0 else None]):
                return "a [[ ]] test that compares numbers (-eq, -lt, ...)"
        return None


# Inside `${`: an array subscript (`a[`) or a substring's offset (`s:`, not `s:-`, `s:=`, ...).
_OFFSET = re.compile(r"[#!]?[A-Za-z_][A-Za-z0-9_]*(?:\[|:(?![-=+?]))")
# A word that opens an array subscript (`a[`), or bash's old arithmetic `$[`, left open.
_SUBSCRIPT = re.compile(r"(?:(?:^|[\s;&|(])[A-Za-z_][A-Za-z0-9_]*|\$)\[[^\]]*$")
# Where a command starts on a line; `let` and `declare -i` evaluate their arguments.
_COMMAND_START = re.compile(r"[;&|(`]|\$\(")
_INTEGER_COMMAND = re.compile(
    r"\s*(?:let\s|(?:declare|typeset|local|readonly|export)\s+(?:-\w+\s+)*-\w*i)"
)
_ARITHMETIC_TEST = re.compile(r"\s-(?:eq|ne|lt|le|gt|ge)\s")

# The expansion of a placeholder's variable in each quoting context: the value is one word of
# data, whatever it holds. Other contexts read words as bare code does.
_EXPANSIONS = {
    "bare": '"${{{}}}"',
    "dq": "${{{}}}",
    "sq": "'\"${{{}}}\"'",
    "ansi": "'\"${{{}}}\"$'",
    "heredoc": "${{{}}}",
}


def substitute(
    code: str, first_line: int = 1, literal: frozenset[str] = frozenset()
) -> tuple[str, list[Placeholder]]:
    """Return `code` with each placeholder replaced by its variable, and the placeholders found.

    `first_line` is the page line of the code's first line, for errors and for the report. The
    texts in `literal` are template markers: they stay as written. Raises `SourceError` for a
    placeholder named so that a program may read its variable (see `OWNER_WORDS`), or one where
    bash would read its value as code.
    """
    if PLACEHOLDER.search(code) is None:
        return code, []  # most commands have none: nothing to bind, nothing to check
    binder = _Binder(code, first_line, literal)
    return binder.run(), binder.found
