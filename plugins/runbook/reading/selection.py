"""Which blocks of a page are steps: a shell language, and the guide's title for commands (or
for commands in a second terminal).

A block a reader would take for a step that is not one (another language, a title that differs
only in case or punctuation) is a near miss: an error, not a silent skip.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from runbook.reading.outputs import OUTPUT_LANGUAGES, OUTPUT_PROSE

SHELL_LANGUAGES = ("sh", "bash", "shell", "zsh")
COMMAND_TITLE = r"Execute the following command\(s\) in a terminal"
SECOND_TERMINAL_TITLE = r"Execute the following command\(s\) in a (?:second|separate) terminal"


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
    def output_pattern(self) -> re.Pattern[str]:
        return re.compile(self.output_prose)

    @functools.cached_property
    def _second_title(self) -> re.Pattern[str]:
        return re.compile(self.second_title)

    @functools.cached_property
    def _loose_titles(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(t, re.IGNORECASE) for t in (self.title, self.second_title))

    @functools.cached_property
    def _title_letters(self) -> str | None:
        """The command title's letters and digits, when the title pattern is plain text."""
        text = re.sub(r"\\(.)", r"\1", self.title)
        return _letters(text) if self._title.fullmatch(text) else None

    def selects(self, lang: str, title: str | None) -> bool:
        return self.terminal(lang, title) is not None

    def terminal(self, lang: str, title: str | None) -> int | None:
        """The terminal a step's block runs in: 1, 2 for a second terminal; None for no step."""
        if lang not in self.languages or title is None:
            return None
        if self._title.fullmatch(title) is not None:
            return 1
        if self._second_title.fullmatch(title) is not None:
            return 2
        return None

    def looks_like(self, title: str) -> bool:
        """Whether a reader would read `title` as the command title: the same words, whatever
        their case, spacing or punctuation."""
        spaced = " ".join(title.split())
        if any(loose.fullmatch(spaced) is not None for loose in self._loose_titles):
            return True
        return self._title_letters is not None and _letters(title) == self._title_letters

    def near_miss(self, lang: str, title: str | None) -> str | None:
        """Say why a block a reader would take for a step is not one; None if no reader would."""
        if title is None or not self.looks_like(title):
            return None
        miss = "this block looks like a command but does not run: "
        if lang not in self.languages and lang.lower() in self.languages:
            return miss + f"write its language {lang!r} as {lang.lower()!r}"
        if lang not in self.languages:
            return miss + (
                f"its language {lang or '(none)'} is no shell's ({', '.join(self.languages)}); "
                'give it one, or mark it skip="why" if it must not run'
            )
        if self.terminal(lang, title) is None:
            return miss + (
                f"its title {title!r} differs from the command title only in case, spacing or "
                "punctuation; write it as the others are"
            )
        return None


def _letters(text: str) -> str:
    return "".join(char for char in text.lower() if char.isalnum())
