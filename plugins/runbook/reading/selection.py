"""Which blocks of a page are steps: a shell language, and the guide's title for commands (or
for commands in a second terminal).

A block a reader would take for a step that is not one (another language, a title a letter or
two away from a step's, see `titles.py`) is a near miss: an error, not a silent skip.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from runbook.reading.outputs import OUTPUT_LANGUAGES, OUTPUT_PROSE
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
SECOND_TERMINAL_TITLE = r"Execute the following command\(s\) in a (?:second|separate) terminal"
# What a reader reads of the default second terminal's title, for near misses.
_SECOND_TEXTS = (
    "Execute the following command(s) in a second terminal",
    "Execute the following command(s) in a separate terminal",
)


@dataclass(frozen=True)
class Selection:
    """Which shown blocks are steps: a shell language, and a title the `title` regex matches."""

    languages: tuple[str, ...] = SHELL_LANGUAGES
    title: str = COMMAND_TITLE
    second_title: str = SECOND_TERMINAL_TITLE
    # Which blocks after a step show its output (see `outputs.py`).
    output_languages: tuple[str, ...] = OUTPUT_LANGUAGES
    output_prose: str = OUTPUT_PROSE

    @functools.cached_property
    def _title(self) -> re.Pattern[str]:
        return re.compile(self.title)

    @functools.cached_property
    def _second_title(self) -> re.Pattern[str]:
        return re.compile(self.second_title)

    @functools.cached_property
    def output_pattern(self) -> re.Pattern[str]:
        return re.compile(self.output_prose)

    @functools.cached_property
    def titles(self) -> tuple[Title, ...]:
        """The titles a step's block may have, each with the plain text a reader reads: a block
        whose title comes near one of them is a near miss."""
        if self.second_title == SECOND_TERMINAL_TITLE:
            second = tuple(Title(self.second_title, text) for text in _SECOND_TEXTS)
        else:
            second = (Title.of(self.second_title),)
        return (Title.of(self.title), *second)

    def selects(self, lang: str, title: str | None) -> bool:
        return self.terminal(lang, title) is not None

    def terminal(self, lang: str, title: str | None) -> int | None:
        """The terminal a step's block runs in: 1, 2 for a second terminal; None for no step."""
        if lang not in self.languages or title is None:
            return None
        return self._terminal(title)

    def _terminal(self, title: str) -> int | None:
        if self._title.fullmatch(title) is not None:
            return 1
        if self._second_title.fullmatch(title) is not None:
            return 2
        return None

    def near_miss(self, lang: str, title: str | None) -> str | None:
        """Say why a block a reader would take for a step is not one; None if no reader would."""
        if title is None:
            return None
        exact = self._terminal(title) is not None
        missed = None if exact else missed_title(title, self.titles)
        if missed is None and not exact:
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
