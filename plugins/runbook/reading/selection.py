"""Which blocks of a page are steps: a shell language, and the guide's title for commands.

A block a reader would take for a step that is not one (another language, a title a letter or
two away from a step's, see `titles.py`) is a near miss: an error, not a silent skip.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from runbook.reading.titles import Title, missed_title

# The replay runs every step with bash: a step's language is one bash reads as its own.
SHELL_LANGUAGES = ("sh", "bash", "shell")
# Shells whose code bash reads otherwise, with what differs: their blocks are never steps.
OTHER_SHELLS = {
    "zsh": "zsh reads code otherwise than bash (a glob in `pip install dvc[s3]`, arrays from 1)",
    "fish": "fish is no POSIX shell",
    "csh": "csh is no POSIX shell",
    "tcsh": "tcsh is no POSIX shell",
    "ksh": "ksh reads code otherwise than bash",
    "powershell": "PowerShell is no POSIX shell",
    "pwsh": "PowerShell is no POSIX shell",
    "ps1": "PowerShell is no POSIX shell",
    "bat": "cmd.exe is no POSIX shell",
    "cmd": "cmd.exe is no POSIX shell",
    "nushell": "Nushell is no POSIX shell",
}
COMMAND_TITLE = r"Execute the following command\(s\) in a terminal"


@dataclass(frozen=True)
class Selection:
    """Which shown blocks are steps: a shell language, and a title the `title` regex matches."""

    languages: tuple[str, ...] = SHELL_LANGUAGES
    title: str = COMMAND_TITLE

    @functools.cached_property
    def _title(self) -> re.Pattern[str]:
        return re.compile(self.title)

    @functools.cached_property
    def titles(self) -> tuple[Title, ...]:
        """The titles a step's block may have, each with the plain text a reader reads: a block
        whose title comes near one of them is a near miss."""
        return (Title.of(self.title),)

    def selects(self, lang: str, title: str | None) -> bool:
        return (
            lang in self.languages
            and title is not None
            and self._title.fullmatch(title) is not None
        )

    def near_miss(self, lang: str, title: str | None) -> str | None:
        """Say why a block a reader would take for a step is not one; None if no reader would."""
        if title is None:
            return None
        missed = None if self._title.fullmatch(title) else missed_title(title, self.titles)
        if missed is None and self._title.fullmatch(title) is None:
            return None
        miss = "this block looks like a command but does not run: "
        if lang not in self.languages and lang.lower() in self.languages:
            return miss + f"write its language {lang!r} as {lang.lower()!r}"
        if lang.lower() in OTHER_SHELLS and lang not in self.languages:
            return miss + (
                f"{OTHER_SHELLS[lang.lower()]}, and the replay runs steps with bash: write it "
                'for bash, as an `sh` block, or mark it skip="why" if it must not run'
            )
        if lang not in self.languages:
            return miss + (
                f"its language {lang or '(none)'} is no shell's ({', '.join(self.languages)}); "
                'give it one, or mark it skip="why" if it must not run'
            )
        return miss + missed.describe(title) if missed is not None else None
