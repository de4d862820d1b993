"""File blocks: a block titled with a relative path shows a file the reader writes.

The guide says "Create a `requirements.txt` file" and shows a block titled `requirements.txt`
with the file's content; a later chapter changes the file by showing it whole again. On a page
that has commands, such a block is a step that writes the file, exactly as shown.

A title is a path when it is one word of path characters (letters, digits, `. _ - + @ ~ /`)
that names a folder (`/`), has an extension (`train.py`, `.gitignore`) or is a file name
commonly written without one (`Dockerfile`, `Makefile`). `Directives`, `A take-over section`,
`mkdocs.yml: states and test values` or `tests/test_x.py (excerpt)` are no paths.
"""

from __future__ import annotations

import posixpath
import re

from runbook.errors import SourceError

_WORD = re.compile(r"[\w.+@~/-]+")
_EXTENSION = re.compile(r"(?:^\.[\w.+@-]*[^\W_]|[^.]\.[A-Za-z0-9][\w+-]*)$")
# File names that are commonly written without an extension.
BARE_NAMES = frozenset(
    """
    Dockerfile Containerfile Makefile GNUmakefile Justfile Jenkinsfile Procfile Vagrantfile
    Gemfile Rakefile Brewfile Pipfile Snakefile Earthfile Tiltfile Caddyfile LICENSE README
    CODEOWNERS CHANGELOG NOTICE AUTHORS VERSION
    """.split()  # noqa: SIM905 (names read best as words)
)


# Languages of a change to a file, not of the file: a `diff` titled `params.yaml` shows what
# changed in it, and writing it would replace the file with its diff.
CHANGE_LANGUAGES = frozenset(["diff", "patch", "udiff"])


def file_title(title: str | None, lang: str | None = None) -> bool:
    """Whether a block's title (in `lang`) names a file (see the module's docstring); the path
    may still be one that cannot be written (see `file_path`)."""
    if title is None or lang in CHANGE_LANGUAGES or _WORD.fullmatch(title) is None:
        return False
    name = title.rstrip("/").rsplit("/", 1)[-1]
    return "/" in title or name in BARE_NAMES or _EXTENSION.search(name) is not None


def file_path(title: str, line: int) -> str:
    """The path a file block writes, normalised: relative to the reader's current folder, or
    `~/...` in their home. Raises SourceError at `line` for a path that leaves them."""
    home = title.startswith("~/")
    path = title[2:] if home else title
    if title.startswith("~") and not home:
        raise SourceError(line, f"{title}: write a file in your own home as ~/PATH")
    if path.startswith("/"):
        raise SourceError(
            line,
            f"{title} is an absolute path: a file block writes a file in the reader's folder "
            "(a relative path) or home (~/...); mark it excerpt if it only shows a file",
        )
    normal = posixpath.normpath(path)
    if normal == ".." or normal.startswith("../") or normal == "." or path.endswith("/"):
        raise SourceError(
            line,
            f"{title} leaves the folder it is written in: a file block writes a file inside "
            "the reader's folder or home; mark it excerpt if it only shows a file",
        )
    return f"~/{normal}" if home else normal
