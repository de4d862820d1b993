"""The titles a block may be meant to have, and how near another title comes to one.

A reader cannot tell `Execute the following command(s) in a terminal` from the same title with a
letter missing or doubled, `command` for `command(s)`, or a Cyrillic e for the Latin one. Such a
title is a near miss of the one it imitates: compared letter by letter, once characters that only
look like Latin letters are read as those letters, it is at most a letter or two away.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

# Letters of other scripts drawn like Latin ones (Cyrillic, Greek), and the letters they imitate.
# Other lookalikes (fullwidth letters, ligatures) are Latin letters once NFKC-normalised.
_LOOKALIKES = str.maketrans(
    # Cyrillic capitals, then small letters
    "\u0410\u0412\u0415\u0405\u0406\u0408\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425\u0423"
    "\u0430\u0435\u0456\u0458\u043e\u0440\u0455\u0445\u0443\u04bb\u0501\u051b\u051d\u04cf"
    # Greek capitals, then small letters, and the Turkish dotless i
    "\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7"
    "\u03bf\u03bd\u03b1\u03b9\u03ba\u03c1\u03c5\u0131",
    "ABESIJKMHOPCTXYaeijopsxyhdqwlABEZHIKMNOPTYXovaikpui",
)


@dataclass(frozen=True)
class Title:
    """A title a block may be meant to have: `pattern`, a regex that must match the whole title,
    and `text`, how a reader reads it, for the letter comparison (None for a pattern that is not
    plain text, which is only compared in case, spacing and punctuation)."""

    pattern: str
    text: str | None = None

    @classmethod
    def of(cls, pattern: str) -> Title:
        """The title of `pattern`, with its plain text when the pattern is plain text escaped."""
        text = re.sub(r"\\(.)", r"\1", pattern)
        return cls(pattern, text if re.fullmatch(pattern, text) else None)

    @functools.cached_property
    def _exact(self) -> re.Pattern[str]:
        return re.compile(self.pattern)

    @functools.cached_property
    def _loose(self) -> re.Pattern[str]:
        return re.compile(self.pattern, re.IGNORECASE)

    def matches(self, written: str) -> bool:
        """Whether `written` is this title."""
        return self._exact.fullmatch(written) is not None

    def loosely(self, written: str) -> bool:
        """Whether `written` is this title but for case and spacing."""
        return self._loose.fullmatch(" ".join(written.split())) is not None

    @functools.cached_property
    def skeleton(self) -> str | None:
        return skeleton(self.text) if self.text is not None else None

    @functools.cached_property
    def lead(self) -> str | None:
        """How the title starts, its first four words, as letters: a title that starts so and
        ends otherwise (`... in a new terminal`) is meant for a step too."""
        if self.text is None or len(self.text.split()) <= 4:
            return None
        return skeleton(" ".join(self.text.split()[:4]))


@dataclass(frozen=True)
class Miss:
    """How a title misses `title`: `lookalikes` are the characters that only look like its
    letters; none means that the letters differ, or only case, spacing and punctuation do."""

    title: Title
    lookalikes: tuple[str, ...] = ()
    letters: bool = False
    # Only its start is the title's: it ends in words of its own.
    start: bool = False

    def describe(self, written: str) -> str:
        """Say how `written` misses the title, and what to write."""
        expected = self.title.text or f"a title that the regex {self.title.pattern!r} matches"
        if self.lookalikes:
            names = ", ".join(
                f"{char!r} ({unicodedata.name(char, f'U+{ord(char):04X}')})"
                for char in self.lookalikes
            )
            return (
                f"its title {written!r} only looks like {expected!r}: {names} "
                f"{'stands' if len(self.lookalikes) == 1 else 'stand'} where that has Latin "
                "letters; type the title again"
            )
        if self.start:
            return (
                f"its title {written!r} starts as {expected!r} does, but no step has it: give "
                'the block a step\'s title, or mark it skip="why" if it must not run'
            )
        how = "a letter or two" if self.letters else "case, spacing or punctuation"
        return f"its title {written!r} differs from {expected!r} only in {how}: write it so"


def skeleton(text: str) -> str:
    """The letters and digits of `text` as a reader reads them: lower case, lookalikes folded."""
    folded = unicodedata.normalize("NFKC", text).translate(_LOOKALIKES)
    return "".join(char for char in folded.lower() if char.isalnum())


def missed_title(written: str, titles: Sequence[Title]) -> Miss | None:
    """Return how `written` misses one of `titles` (the nearest), or None when no reader would
    take it for one. A title one of them matches is no miss."""
    if any(title.matches(written) for title in titles):
        return None
    for title in titles:
        if title.loosely(written):
            return Miss(title)
    # Most titles that are not a step's are short names of files: ASCII has no letter that
    # NFKC makes two, so a title shorter than any step's less the letters that may differ, is
    # no near miss, and needs no comparison.
    short = written.isascii() and all(
        title.skeleton is None or len(written) + _limit(len(title.skeleton)) < len(title.skeleton)
        for title in titles
    )
    if short:
        return None
    letters = skeleton(written)
    best: tuple[int, Title] | None = None
    for title in titles:
        if title.skeleton is None:
            continue
        limit = _limit(len(title.skeleton))
        distance = _distance(letters, title.skeleton, limit)
        if distance <= limit and (best is None or distance < best[0]):
            best = (distance, title)
    if best is None:
        # No title is a letter or two away; one may still start as this one does.
        started = (t for t in titles if t.lead is not None and letters.startswith(t.lead))
        title = next(started, None)
        return None if title is None else Miss(title, start=True)
    distance, title = best
    if distance == 0:
        plain = "".join(c for c in written.lower() if c.isalnum())
        if plain != title.skeleton:
            text = title.text or ""
            odd = [c for c in dict.fromkeys(written) if c.isalnum() and c not in text]
            return Miss(title, tuple(c for c in odd if not c.isascii()))
        return Miss(title)
    return Miss(title, letters=True)


def _limit(length: int) -> int:
    """How many letters may differ from a title of `length` letters for a near miss: two in a
    sentence, one in a word or two, none in a shorter one."""
    return 2 if length >= 20 else 1 if length >= 8 else 0


def _distance(a: str, b: str, limit: int) -> int:
    """The edit distance of `a` and `b` (insert, delete, replace or swap two neighbours), or
    `limit + 1` as soon as it is known to be more than `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] | None = None
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + cost)
            if (
                before is not None
                and i > 1
                and j > 1
                and a[i - 1] == b[j - 2]
                and a[i - 2] == b[j - 1]
            ):
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit and min(row) > limit:  # no later row can come back under it
            return limit + 1
        before, row = row, current
    return row[-1]
