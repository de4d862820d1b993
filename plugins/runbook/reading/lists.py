"""The top-level lists of a step, and the check each needs so that no failure passes unseen.

bash's `set -e` stops a script at a failed command, except where a failure is the shell's
business: a command of an `a && b` list but the last, a `!` pipeline, a condition of `if` or
`while`. So in a step `cd missing && touch built`, then `echo done`, the `cd` fails, the reader
sees its error, and the script goes on. The rule for each top-level list of a step:

- `a && b && c`: each command must succeed; a first command that is a test (`[ ]`, `[[ ]]`,
  `test`, `(( ))`, `command -v`) is a condition, and may fail;
- `a || b`: `a` may fail, as the author says; the list must end well;
- `! a`: `a` must fail;
- conditions of `if`, `while` and `until`, and lists inside compound commands, groups,
  subshells and functions, are the shell's business;
- a list run in the background (`a && b &`) is not waited for.

`checked` writes the check a list needs after it: ` || runbook_failed "$LINENO"` (or, after a
condition, a group around the rest), so that a failure stops the step at that line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from runbook.reading.quoting import Lexer

# How a character of a step reads: at the top level, or not (quoted, nested, a comment's).
_TOP, _COMMENT, _NESTED = 1, 2, 0
_OPENERS = frozenset(["if", "case", "for", "while", "until", "select"])
_CLOSERS = frozenset(["fi", "esac", "done"])
# Words after which a command starts, as after `;`.
_LEADERS = frozenset(["then", "do", "else", "elif", "!", "time", "in"])
# First words of a test, whose failure is a condition: the words themselves, not prefixes of
# other words (`tests/check.sh`, `typer`); `((` and `command -v` as they start the list.
_TESTS = frozenset(["[", "[[", "test", "type", "hash"])
_TEST_STARTS = ("((", "command -v ")
CHECK = ' || runbook_failed "$LINENO"'


class _Marking(Lexer):
    """Notes how each character of the code reads: at the top level, in a comment, or not."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.kind = bytearray(len(code))

    def mark(self, start: int, end: int) -> None:
        """Note how the characters from `start` to `end` read, in the context the lexer is in."""
        if self.stack == ["bare"]:
            self.kind[start:end] = bytes([_TOP]) * len(self.kind[start:end])
        elif self.stack[-1] == "comment":
            self.kind[start:end] = bytes([_COMMENT]) * len(self.kind[start:end])

    def take(self, index: int, count: int) -> int:
        self.mark(index, index + count)
        return super().take(index, count)

    def plain(self, start: int, end: int) -> None:
        self.mark(start, end)

    def _heredoc_bodies(self, i: int) -> int:
        if self.stack == ["bare"]:
            self.kind[i] = _TOP  # the newline that ends the operator's line ends its list too
        return super()._heredoc_bodies(i)


@dataclass
class CommandList:
    """A top-level list of a step: where its text ends (before a comment), its commands' first
    words, the operators between them, whether it is negated, and whether it runs in the
    background."""

    end: int = 0
    firsts: list[str] = field(default_factory=list)
    # Where each of `firsts` starts in the code.
    starts: list[int] = field(default_factory=list)
    operators: list[str] = field(default_factory=list)
    negated: bool = False
    background: bool = False
    # Where the command after the first operator starts, for a group around the rest.
    rest: int = 0

    @property
    def condition(self) -> bool:
        """Whether its first command is a test, whose failure is a condition."""
        first = self.firsts[0] if self.firsts else ""
        return first.split(" ", 1)[0] in _TESTS or first.startswith(_TEST_STARTS)

    def check(self) -> str | None:
        """How a failure inside the list would pass unseen, if it could: `after` (a check
        after the list), `rest` (a check around the commands after its condition), or None."""
        if self.background or not self.firsts:
            return None
        if self.negated and not self.operators:
            return "after"
        if not self.operators or self.operators[-1] != "&&":
            return None
        if self.condition and "||" not in self.operators:
            return "rest" if len(self.operators) > 1 else None
        return "after"


_OPERATOR = re.compile(r"&&|\|\||;;|[;&|()]|\n")


def top_level_lists(code: str) -> list[CommandList]:
    """The lists of `code` at its top level, outside compound commands, in order."""
    marking = _Marking(code)
    marking.run()
    kind = marking.kind
    lists: list[CommandList] = []
    current = CommandList()
    depth = 0
    at_start = True  # a command starts at the next word
    joined = False  # after `&&`, `||` or `|`, a newline does not end the list
    i = 0
    while i < len(code):
        char = code[i]
        if kind[i] != _TOP:
            if kind[i] == _NESTED and not char.isspace():
                joined = False
                word_end = _word_end(code, kind, i)
                if depth == 0:
                    if at_start:
                        _first(current, code[i:word_end], i)
                    current.end = word_end
                at_start = False
                i = word_end
                continue
            i += 1
            continue
        if char in " \t" or (char == "\\" and code.startswith("\\\n", i)):
            i += 2 if char == "\\" else 1
            continue
        operator = _OPERATOR.match(code, i)
        if operator is not None and not _redirection(code, i):
            op = operator[0]
            if op == "\n" and joined:
                i += 1
                continue
            joined = op in ("&&", "||", "|")
            if op == ")":  # a subshell's end is its command's
                current.end = operator.end() if depth == 0 else current.end
                at_start = False
                i = operator.end()
                continue
            if depth == 0:
                if op in ("&&", "||", "|"):
                    if op != "|":
                        current.operators.append(op)
                        current.rest = current.rest or _skip_space(code, operator.end())
                elif op in ("\n", ";", "&", ";;"):
                    if op == "&":
                        current.background = True
                    if current.firsts:
                        lists.append(current)
                    current = CommandList()
            at_start = True
            i = operator.end()
            continue
        word_end = _word_end(code, kind, i)
        word = code[i:word_end]
        joined = False
        if at_start:
            if word in _OPENERS:
                if depth == 0:
                    _first(current, word, i)
                depth += 1
            elif word in _CLOSERS:
                depth = max(0, depth - 1)
                if depth == 0:
                    current.end = word_end
            elif depth == 0 and word == "!" and not current.firsts:
                current.negated = True
            elif depth == 0 and word not in _LEADERS:
                _first(current, code[i : _line_end(code, kind, i)], i)
            at_start = word in _LEADERS or word in _OPENERS
        if depth == 0:
            current.end = word_end
        i = word_end
    if current.firsts:
        lists.append(current)
    return lists


def _first(current: CommandList, text: str, at: int) -> None:
    current.firsts.append(text)
    current.starts.append(at)


def _skip_space(code: str, i: int) -> int:
    while i < len(code) and code[i] in " \t\n":
        i += 1
    return i


def _word_end(code: str, kind: bytearray, i: int) -> int:
    """Where the word at `i` ends: at top-level white space or an operator."""
    while i < len(code):
        if kind[i] == _TOP and (
            code[i] in " \t\n;|()" or (code[i] == "&" and not _redirection(code, i))
        ):
            break
        if kind[i] == _COMMENT:
            break
        i += 1
    return i


def _line_end(code: str, kind: bytearray, i: int) -> int:
    """Where the command at `i` ends, for its first words: the end of its line, or an
    operator."""
    end = i
    while end < len(code) and not (
        kind[end] == _TOP and code[end] in "\n;|&" and not _redirection(code, end)
    ):
        if kind[end] == _COMMENT:
            break
        end += 1
    return end


def _redirection(code: str, i: int) -> bool:
    """Whether the `&` at `i` belongs to a redirection (`2>&1`, `&>`, `>&`)."""
    if code[i] != "&" or code.startswith("&&", i):
        return False
    return (i > 0 and code[i - 1] in "<>") or code.startswith("&>", i)


# A `!` that may start a pipeline: at a line's start, or after an operator or a keyword.
_BANG = re.compile(r"(?:^|[;&|(]|\b(?:then|do|else|time))[ \t]*![ \t]", re.M)


def checked(code: str) -> str:
    """`code` with the check each of its top-level lists needs (see the module's docstring)."""
    if "&&" not in code and _BANG.search(code) is None:
        return code  # most steps: nothing to check beyond `set -e`
    edits: list[tuple[int, str]] = []
    for found in top_level_lists(code):
        how = found.check()
        if how == "after":
            edits.append((found.end, CHECK))
        elif how == "rest":
            edits += [(found.rest, "{ "), (found.end, CHECK + "; }")]
    for at, text in sorted(edits, reverse=True):
        code = code[:at] + text + code[at:]
    return code


def ends_in_condition(code: str) -> bool:
    """Whether the last top-level list of `code` starts with a test: its failure is the
    condition's, and the step's last status may be it."""
    if "&&" not in code:
        return False
    found = top_level_lists(code)
    return bool(found) and found[-1].condition and found[-1].operators[-1:] == ["&&"]


def count_commands(code: str) -> int:
    """How many top-level lists `code` holds."""
    return len(top_level_lists(code))


# A declaration whose value a command substitution makes: the declaration's own status, 0, is the
# command's, and hides the substitution's failure (`export ID=$(cat missing)` goes on).
_MASKED = re.compile(
    r"(?:export|local|declare|readonly|typeset)(?:\s+-\w+)*\s+[A-Za-z_]\w*=[^;&|\n]*(?:\$\(|`)"
)


def masked_substitution(code: str) -> tuple[str, int] | None:
    """A declaration of `code` that hides a command substitution's failure, at the top level of
    the step, and its line: `export NAME=$(...)`; `NAME=$(...)` then `export NAME` does not."""
    if "$(" not in code and "`" not in code:
        return None  # most steps
    for found in top_level_lists(code):
        for first, at in zip(found.firsts, found.starts, strict=True):
            if _MASKED.match(first):
                return first.split(maxsplit=1)[0], 1 + code.count("\n", 0, at)
    return None


def aliases_used_early(code: str) -> tuple[str, int] | None:
    """An alias `code` defines and uses later in the same step, and the line of the use: bash
    reads a step whole, so the alias is not there yet."""
    if "alias" not in code:
        return None  # most steps
    defined: set[str] = set()
    for found in top_level_lists(code):
        for first, at in zip(found.firsts, found.starts, strict=True):
            word = first.split(maxsplit=1)[0] if first.split() else ""
            if word in defined:
                return word, 1 + code.count("\n", 0, at)
            if word == "alias":
                defined.update(re.findall(r"(?:^|\s)([\w.-]+)=", first))
    return None
