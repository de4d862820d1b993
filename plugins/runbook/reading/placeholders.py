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
from typing import Literal

from runbook.errors import SourceError

PLACEHOLDER = re.compile(r"(?<![<\w])<([A-Za-z][A-Za-z0-9]*(?:[ _-]+[A-Za-z0-9]+)+)>")

# Variables the shell, git or the script rely on: a placeholder must not shadow them.
RESERVED_NAMES = frozenset(
    """
    PATH HOME PWD OLDPWD IFS SHELL USER LOGNAME UID EUID PPID HOSTNAME HOSTTYPE TERM LANG
    LANGUAGE TZ TMPDIR SHLVL CDPATH ENV PS1 PS2 PS3 PS4 OPTIND OPTARG OPTERR RANDOM SECONDS
    LINENO PIPESTATUS FUNCNAME GROUPS MAIL MAILPATH EDITOR VISUAL PAGER LESS HISTFILE
    PROMPT_COMMAND POSIXLY_CORRECT DISPLAY HTTP_PROXY HTTPS_PROXY ALL_PROXY NO_PROXY
    PYTHONPATH PYTHONHOME VIRTUAL_ENV XDG_CONFIG_HOME XDG_DATA_HOME XDG_CACHE_HOME
    GLOBIGNORE TMOUT IGNOREEOF TIMEFORMAT EXECIGNORE FIGNORE HISTSIZE HISTCONTROL HISTIGNORE
    INPUTRC COLUMNS LINES MAILCHECK SRANDOM EPOCHSECONDS EPOCHREALTIME DIRSTACK COPROC
    """.split()  # noqa: SIM905 (names read best as words: a list would take a line each)
)
RESERVED_PREFIXES = ("GIT_", "BASH", "LC_", "LD_", "SSH_", "RUNBOOK_")
# Variables that programs a guide runs read from the environment, by the program: the script's
# variables are in every step's environment, so such a name would change what every step does.
READ_BY_PROGRAMS = {
    "AWS_": "the AWS CLI and SDKs",
    "AZURE_": "the Azure CLI and SDKs",
    "CLOUDSDK_": "gcloud",
    "GOOGLE_APPLICATION_CREDENTIALS": "Google Cloud's SDKs",
    "GOOGLE_CLOUD_PROJECT": "Google Cloud's SDKs",
    "PIP_": "pip",
    "UV_": "uv",
    "CONDA_": "conda",
    "PYTHON": "Python",
    "NPM_CONFIG_": "npm",
    "NODE_OPTIONS": "Node.js",
    "DOCKER_HOST": "docker",
    "DOCKER_CONFIG": "docker",
    "DOCKER_CONTEXT": "docker",
    "DOCKER_BUILDKIT": "docker",
    "DOCKER_DEFAULT_PLATFORM": "docker",
    "KUBECONFIG": "kubectl",
    "HELM_": "helm",
    "HF_": "Hugging Face's libraries",
    "MLFLOW_": "MLflow",
    "DVC_": "DVC",
    "GH_": "the GitHub CLI",
    "GITHUB_TOKEN": "the GitHub CLI",
    "GITLAB_TOKEN": "the GitLab CLI",
    "GITLAB_HOST": "the GitLab CLI",
    "CUDA_VISIBLE_DEVICES": "CUDA",
    "TF_": "TensorFlow and Terraform",
    "REQUESTS_CA_BUNDLE": "Python's requests",
    "SSL_CERT_FILE": "OpenSSL",
    "CURL_CA_BUNDLE": "curl",
    "JAVA_HOME": "Java tools",
    "PG": "PostgreSQL's clients",
}


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


def reserved(name: str) -> str | None:
    """Say why `name` cannot be a placeholder's variable, or return None if it can."""
    if name in RESERVED_NAMES or name.startswith(RESERVED_PREFIXES):
        return "which the shell or git relies on"
    for start, program in READ_BY_PROGRAMS.items():
        if name.startswith(start):
            return f"which {program} read(s) from the environment: every step would see it"
    return None


def _heredoc(code: str, start: int) -> tuple[int, str, bool, bool] | None:
    """Parse a here-document operator at `start` (just past `<<`): (end, word, quoted, tabs)."""
    if code.startswith("<", start):  # a here-string, <<<
        return None
    match = re.compile(r"(-?)[ \t]*(?:'([^'\n]*)'|\"([^\"\n]*)\"|\\?([\w.-]+))").match(code, start)
    if match is None:
        return None
    strip_tabs, single, double, bare = match.groups()
    word = next(w for w in (single, double, bare) if w is not None)
    quoted = single is not None or double is not None or code[match.start(4) - 1] == "\\"
    return match.end(), word, quoted, bool(strip_tabs)


# The characters that can change the quoting context or start a placeholder; the lexer copies
# every other run of text in one go.
_SPECIAL = re.compile(r"""[<'"\\$()`#\n{}]""")
# Around a `{` or `}` that is a word of its own (a group), not part of a word (`{a,b}`).
_BEFORE_BRACE = frozenset(" \t\n;&|(")
_AFTER_BRACE = frozenset(" \t\n;&|)")

# Where the lexer stands: bare words, a quote, a substitution or subshell, a group, arithmetic,
# a comment, or a here-document's body.
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
]


class _Lexer:
    """Walks shell code once, tracking the quoting context each placeholder stands in."""

    def __init__(self, code: str, first_line: int, literal: Container[str] = frozenset()) -> None:
        self.code = code
        self.first_line = first_line
        self.literal = literal
        self.out: list[str] = []
        self.found: list[Placeholder] = []
        self.stack: list[Context] = ["bare"]
        # Where each context of the stack opened, in `code`.
        self.opened = [0]
        # Here-documents whose bodies follow the line: word, quoted, <<- and where each opened.
        self.heredocs: list[tuple[str, bool, bool, int]] = []
        # A here-document whose delimiter never comes, and where it opened.
        self.unterminated: tuple[str, int] | None = None
        # Where a `}` closes a group the code never opened.
        self.stray: int | None = None

    def push(self, state: Context, at: int) -> None:
        self.stack.append(state)
        self.opened.append(at)

    def pop(self) -> None:
        self.stack.pop()
        self.opened.pop()

    def line_at(self, index: int) -> int:
        return self.first_line + self.code.count("\n", 0, index)

    def placeholder(self, index: int) -> int | None:
        """Bind the placeholder at `index`, if one stands there; return where it ends."""
        match = PLACEHOLDER.match(self.code, index)
        if match is None:
            return None
        if match[1] in self.literal:
            self.out.append(match[0])
            return match.end()
        name = variable_name(match[1])
        line = self.line_at(index)
        why = reserved(name)
        if why is not None:
            raise SourceError(line, f"placeholder {match[0]} would set {name}, {why}")
        self.found.append(Placeholder(match[1], name, line))
        state = self.stack[-1]
        state = state if state in ("dq", "sq", "ansi", "heredoc") else "bare"
        self.out.append(
            {
                "bare": f'"${{{name}}}"',
                "dq": f"${{{name}}}",
                "sq": f"'\"${{{name}}}\"'",
                "ansi": f"'\"${{{name}}}\"$'",
                "heredoc": f"${{{name}}}",
            }[state]
        )
        return match.end()

    def run(self) -> str:
        code = self.code
        i = 0
        while i < len(code):
            special = _SPECIAL.search(code, i)
            if special is None:
                self.out.append(code[i:])
                break
            if special.start() > i:
                self.out.append(code[i : special.start()])
                i = special.start()
            state = self.stack[-1]
            char = code[i]
            if char == "<" and state != "comment":
                end = self.placeholder(i)
                if end is not None:
                    i = end
                    continue
            two = code[i : i + 2]
            step = 1
            if state == "sq":
                if char == "'":
                    self.pop()
            elif state == "ansi":
                if char == "\\":
                    step = 2
                elif char == "'":
                    self.pop()
            elif state == "comment":
                if char == "\n":
                    self.pop()
                    continue
            elif state in ("arith", "aparen"):
                # `$(( ))` and `(( ))`: `<<` shifts bits here, it opens no here-document.
                if state == "arith" and code.startswith("))", i):
                    self.pop()
                    step = 2
                elif char == "(":
                    self.push("aparen", i)
                elif char == ")" and state == "aparen":
                    self.pop()
                elif char in "\"'$`":
                    step = self._bare(i, state)
            elif state == "dq":
                if char == "\\":
                    step = 2
                elif char == '"':
                    self.pop()
                elif code.startswith("$((", i):
                    self.push("arith", i)
                    step = 3
                elif two == "${":
                    self.push("param", i)
                    step = 2
                elif two == "$(":
                    self.push("sub", i)
                    step = 2
                elif char == "`":
                    self.push("tick", i)
            else:  # bare, or inside $( ), ( ) or backticks, where the shell reads words again
                step = self._bare(i, state)
                if step == 0:
                    i = self._heredoc_bodies(i)
                    continue
            self.out.append(code[i : i + step])
            i += step
        return "".join(self.out)

    def _bare(self, i: int, state: Context) -> int:
        code = self.code
        char = code[i]
        two = code[i : i + 2]
        if char == "\\":
            return 2
        if char == "'":
            self.push("sq", i)
        elif two == "$'":
            self.push("ansi", i)
            return 2
        elif char == '"':
            self.push("dq", i)
        elif code.startswith("$((", i) or (two == "((" and state != "arith"):
            self.push("arith", i)
            return len(two) + (char == "$")
        elif two == "${":
            self.push("param", i)
            return 2
        elif char == "}" and state == "param":
            self.pop()
        elif char in "{}" and self._alone(i):
            if char == "{":
                self.push("group", i)
            elif state == "group":
                self.pop()
            elif self.stray is None and self._command_start(i):
                self.stray = i
        elif two == "$(":
            self.push("sub", i)
            return 2
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
            heredoc = _heredoc(code, i + 2)
            if heredoc is not None:
                end, word, quoted, tabs = heredoc
                self.heredocs.append((word, quoted, tabs, i))
                return end - i
            return 3 if code.startswith("<<<", i) else 2
        elif char == "\n" and self.heredocs:
            return 0
        return 1

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

    def _heredoc_bodies(self, i: int) -> int:
        """Copy the here-document bodies that start after the newline at `i`; return the end."""
        code = self.code
        self.out.append("\n")
        i += 1
        for word, quoted, tabs, opened in self.heredocs:
            while i < len(code):
                end = code.find("\n", i)
                end = len(code) if end < 0 else end
                line = code[i:end]
                if (line.lstrip("\t") if tabs else line) == word:
                    self.out.append(code[i : end + 1])
                    i = end + 1
                    break
                i = self._heredoc_line(i, end, quoted)
            else:
                self.unterminated = self.unterminated or (word, opened)
        self.heredocs = []
        return i

    def _heredoc_line(self, i: int, end: int, quoted: bool) -> int:
        code = self.code
        self.push("heredoc", i)
        while i <= end and i < len(code):
            if code[i] == "<":
                match = PLACEHOLDER.match(code, i)
                if match is not None and quoted and match[1] not in self.literal:
                    raise SourceError(
                        self.line_at(i),
                        f"placeholder {match[0]} is in a quoted here-document, where no value "
                        "can be put; use an unquoted delimiter, or mark it literal",
                    )
                stop = self.placeholder(i)
                if stop is not None:
                    i = stop
                    continue
            if code[i] == "\\" and not quoted:
                self.out.append(code[i : i + 2])
                i += 2
                continue
            self.out.append(code[i])
            i += 1
        self.pop()
        return i


def substitute(
    code: str, first_line: int = 1, literal: frozenset[str] = frozenset()
) -> tuple[str, list[Placeholder]]:
    """Return `code` with each placeholder replaced by its variable, and the placeholders found.

    `first_line` is the page line of the code's first line, for errors and for the report. The
    texts in `literal` are template markers: they stay as written. Raises `SourceError` for a
    placeholder whose variable the shell, git or another program already uses.
    """
    if PLACEHOLDER.search(code) is None:
        return code, []  # most commands have none: nothing to bind, nothing to check
    lexer = _Lexer(code, first_line, literal)
    return lexer.run(), lexer.found


def stray_brace(code: str) -> int | None:
    """Return the line (from 1) of a `}` in shell `code` that closes no group of its own."""
    lexer = _Lexer(code, 1, _Everything())
    lexer.run()
    return lexer.line_at(lexer.stray) if lexer.stray is not None else None


# The characters that can start what `unfinished` looks for: quotes, substitutions, groups,
# here-documents and backslashes.
_OPENS = re.compile(r"""['"`$(){}<\\]""")


class _Everything:
    def __contains__(self, text: object) -> bool:
        return True


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


def unfinished(code: str) -> tuple[int, str] | None:
    """Return the line (from 1) and a description of what shell `code` leaves open, if anything.

    Open means that bash would read on past the code's end: a quote or substitution that never
    closes, a here-document whose delimiter never comes, or a final backslash.
    """
    if _OPENS.search(code) is None:
        return None  # nothing in it can open anything: most commands
    lexer = _Lexer(code, 1, _Everything())
    lexer.run()
    if lexer.heredocs:  # a here-document operator on the code's last line
        word, _, _, at = lexer.heredocs[0]
        return lexer.line_at(at), f"here-document <<{word} has no lines"
    if lexer.unterminated is not None:
        word, at = lexer.unterminated
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
