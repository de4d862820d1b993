"""A page's runbook: its steps (commands and files), in reading order, and its variants.

`blocks.py` sorts a page's blocks into steps; this module holds what it makes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from runbook.errors import SourceError
from runbook.reading.outputs import Expected
from runbook.reading.placeholders import Placeholder
from runbook.reading.render import Tab
from runbook.reading.settings import PageSettings
from runbook.reading.variants import Variant

DEFAULT_TIMEOUT = 120.0
StepKind = Literal["command", "file"]


@dataclass(slots=True)
class Step:
    """One runnable block: where it is, what it runs, and how the author asked to run it.

    Treat it as read-only: a page makes one per block, and a frozen dataclass costs several times
    as much to make.
    """

    path: str
    line: int
    code: str
    script: str
    placeholders: tuple[Placeholder, ...] = ()
    tabs: tuple[Tab, ...] = ()
    skip: str | None = None
    dir: str | None = None
    fails: bool = False
    # Seconds, when its directive says; else the page's, the site's, or `DEFAULT_TIMEOUT`.
    timeout: float | None = None
    take_over: bool = False
    kind: StepKind = "command"
    # The path a file step writes: relative to the current folder, or `~/...`.
    file: str | None = None
    # The terminal a command runs in: 1, or 2 for "in a second terminal".
    terminal: int = 1
    # A server: it starts, the page goes on once it answers at `ready`, and it is stopped
    # (Ctrl+C) before the first terminal's next step.
    background: bool = False
    ready: str | None = None
    expected: Expected | None = None

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def command(self) -> str:
        """The step's first line that is not a comment (for a file, what it writes), to name it
        in listings."""
        if self.kind == "file":
            return f"write {self.file}"
        lines = (line.strip() for line in self.code.split("\n"))
        return next((line for line in lines if line and not line.startswith("#")), "")


@dataclass(frozen=True)
class Runbook:
    """The steps of one page, in reading order, the variants of its tabs, and its settings."""

    path: str
    steps: tuple[Step, ...]
    variants: tuple[Variant, ...]
    settings: PageSettings = field(default_factory=PageSettings)

    @property
    def take_over(self) -> bool:
        """Whether the page has a take-over path: steps that only a reader taking over runs."""
        return any(step.take_over for step in self.steps)

    def variant(self, name: str | None) -> Variant:
        """Return the variant called `name` (case-insensitive), or the first one for None."""
        if name is None:
            return self.variants[0]
        for variant in self.variants:
            if variant.name.casefold() == name.casefold():
                return variant
        known = ", ".join(repr(v.name) for v in self.variants if v.name) or "none"
        raise SourceError(1, f"no variant {name!r} (variants: {known})", self.path)

    def steps_for(self, variant: Variant, take_over: bool = False) -> list[Step]:
        """The steps of `variant`, in page order; take-over steps only on the take-over path."""
        return [s for s in self.steps if variant.shows(s) and (take_over or not s.take_over)]

    def placeholders(
        self, variant: Variant | None = None, take_over: bool = False
    ) -> list[Placeholder]:
        """Return each placeholder of the steps that run once, at its first use, in page order."""
        steps = self.steps if variant is None else self.steps_for(variant, take_over)
        seen: dict[str, Placeholder] = {}
        for step in steps:
            if step.skip is None:
                for placeholder in step.placeholders:
                    seen.setdefault(placeholder.name, placeholder)
        return list(seen.values())
