"""Which blocks of a page are steps: a shell language, and the guide's title for commands.

A block a reader would take for a step that is not one (another language, a title that differs
only in case or punctuation) is a near miss: an error, not a silent skip.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

SHELL_LANGUAGES = ("sh", "bash", "shell", "zsh")
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
    def _loose_title(self) -> re.Pattern[str]:
        return re.compile(self.title, re.IGNORECASE)

    @functools.cached_property
    def _title_letters(self) -> str | None:
        """The command title's letters and digits, when the title pattern is plain text."""
        text = re.sub(r"\\(.)", r"\1", self.title)
        return _letters(text) if self._title.fullmatch(text) else None

    def selects(self, lang: str, title: str | None) -> bool:
        return (
            lang in self.languages
            and title is not None
            and self._title.fullmatch(title) is not None
        )

    def looks_like(self, title: str) -> bool:
        """Whether a reader would read `title` as the command title: the same words, whatever
        their case, spacing or punctuation."""
        if self._loose_title.fullmatch(" ".join(title.split())) is not None:
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
        if self._title.fullmatch(title) is None:
            return miss + (
                f"its title {title!r} differs from the command title only in case, spacing or "
                "punctuation; write it as the others are"
            )
        return None


def _letters(text: str) -> str:
    return "".join(char for char in text.lower() if char.isalnum())
