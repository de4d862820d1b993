"""A page's runbook: its runnable steps in reading order and the variants its tabs offer.

A fenced block is a step when its language is a shell language and its title follows the
guide's convention for commands. Content tabs are variants: tabs with the same label are linked
across the page, as Material's linked tabs are, so each choice of label gives one variant.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import yaml

from runbook.errors import SourceError
from runbook.fences import Fence, Scan, Tab, scan
from runbook.placeholders import Placeholder, substitute

SHELL_LANGUAGES = ("sh", "bash", "shell", "zsh")
COMMAND_TITLE = r"Execute the following command\(s\) in a terminal"
DEFAULT_TIMEOUT = 120.0

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DIRECTIVE_OPTION = re.compile(r"""\s*([a-z][a-z-]*)(?:=(?:"([^"]*)"|'([^']*)'|([^\s"']+)))?""")


@dataclass(frozen=True)
class Selection:
    """Which fenced blocks are steps: shell language and a title matching `title`."""

    languages: tuple[str, ...] = SHELL_LANGUAGES
    title: str = COMMAND_TITLE

    def selects(self, fence: Fence) -> bool:
        return (
            fence.lang in self.languages
            and fence.title is not None
            and self._title.fullmatch(fence.title) is not None
        )

    @functools.cached_property
    def _title(self) -> re.Pattern[str]:
        return re.compile(self.title)


@dataclass(slots=True)
class Step:
    """One runnable block: where it is, what it runs, and how the author asked to run it.

    Treat it as read-only. Like a `Fence`, it is not frozen because a page makes one per block.
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
    timeout: float = DEFAULT_TIMEOUT

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def command(self) -> str:
        """The step's first line that is not a comment, to name it in listings."""
        lines = (line.strip() for line in self.code.splitlines())
        return next((line for line in lines if line and not line.startswith("#")), "")


@dataclass(frozen=True)
class Variant:
    """One choice of label in each linked group of tabs that hold steps."""

    labels: tuple[str, ...] = ()
    # The label shown in each tab set under this choice, by tab set number.
    shown: dict[int, str] = field(default_factory=dict, compare=False)

    @property
    def name(self) -> str:
        return ", ".join(self.labels)

    @property
    def slug(self) -> str:
        return "-".join(
            re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") for label in self.labels
        )

    def shows(self, step: Step) -> bool:
        shown = self.shown
        return not step.tabs or all(shown.get(tab.group) == tab.label for tab in step.tabs)


@dataclass(frozen=True)
class Runbook:
    """The steps of one page, in reading order, and the variants of its tabs."""

    path: str
    steps: tuple[Step, ...]
    variants: tuple[Variant, ...]
    start: str | None = None

    def variant(self, name: str | None) -> Variant:
        """Return the variant called `name` (case-insensitive), or the first one for None."""
        if name is None:
            return self.variants[0]
        for variant in self.variants:
            if variant.name.casefold() == name.casefold():
                return variant
        known = ", ".join(repr(v.name) for v in self.variants if v.name) or "none"
        raise SourceError(1, f"no variant {name!r} (variants: {known})", self.path)

    def steps_for(self, variant: Variant) -> list[Step]:
        return [step for step in self.steps if variant.shows(step)]

    def placeholders(self, variant: Variant | None = None) -> list[Placeholder]:
        """Return each placeholder once, at its first use, in page order."""
        steps = self.steps if variant is None else self.steps_for(variant)
        seen: dict[str, Placeholder] = {}
        for step in steps:
            if step.skip is None:
                for placeholder in step.placeholders:
                    seen.setdefault(placeholder.name, placeholder)
        return list(seen.values())


def _options(line: int, text: str) -> dict[str, str]:
    options: dict[str, str] = {}
    position = 0
    while position < len(text.rstrip()):
        match = _DIRECTIVE_OPTION.match(text, position)
        if match is None or match.end() == position:
            raise SourceError(line, f"cannot read runbook directive at {text[position:].strip()!r}")
        key, *values = match.groups()
        options[key] = next((v for v in values if v is not None), "")
        position = match.end()
    return options


def _directive(line: int, text: str) -> dict[str, object]:
    """Read `skip="reason"`, `dir="path"`, `fails` and `timeout=SECONDS` from a directive."""
    settings: dict[str, object] = {}
    for key, value in _options(line, text).items():
        if key == "skip":
            if not value.strip():
                raise SourceError(line, 'skip needs a reason: skip="why this block does not run"')
            settings["skip"] = value.strip()
        elif key == "dir":
            if not value:
                raise SourceError(line, 'dir needs a directory: dir="../teammate"')
            settings["dir"] = value
        elif key == "fails":
            if value:
                raise SourceError(line, "fails takes no value")
            settings["fails"] = True
        elif key == "timeout":
            try:
                seconds = float(value)
            except ValueError:
                seconds = 0.0
            if not 0 < seconds < math.inf:
                raise SourceError(line, f"timeout needs a number of seconds, not {value!r}")
            settings["timeout"] = seconds
        else:
            raise SourceError(
                line, f"unknown runbook directive {key!r} (known: skip, dir, fails, timeout)"
            )
    return settings


def _start(front_matter: str | None) -> str | None:
    """Return the checkpoint named by the page's front matter (`runbook: {start: NAME}`)."""
    if front_matter is None or "runbook" not in front_matter:
        return None  # most pages say nothing to the runbook: spare them a YAML parse
    try:
        meta = yaml.load(front_matter, Loader=_YAML_LOADER) or {}
    except yaml.YAMLError as error:
        raise SourceError(1, f"front matter is not valid YAML: {error}") from None
    settings = meta.get("runbook") if isinstance(meta, dict) else None
    if settings is None:
        return None
    if not isinstance(settings, dict) or not isinstance(settings.get("start", ""), str):
        raise SourceError(1, "front matter `runbook` takes a mapping such as {start: NAME}")
    return settings.get("start")


def _variants(steps: Iterable[Step], tab_sets: dict[int, tuple[str, ...]]) -> tuple[Variant, ...]:
    # The tabs that enclose each tab set holding steps: a nested set is seen only through them.
    enclosing: dict[int, tuple[Tab, ...]] = {}
    for step in steps:
        for depth, tab in enumerate(step.tabs):
            enclosing[tab.group] = step.tabs[:depth]
    # Tab sets that share a label switch together: each connected group is one choice.
    groups: list[tuple[set[int], list[str]]] = []
    for tab_set in sorted(enclosing):
        labels = list(tab_sets[tab_set])
        joined = [g for g in groups if g[1] and set(g[1]) & set(labels)]
        merged_sets = {tab_set}.union(*(g[0] for g in joined))
        merged_labels = [label for g in joined for label in g[1]]
        merged_labels += [label for label in labels if label not in merged_labels]
        # The merged group keeps the place of the first it joins, so labels stay in page order.
        at = groups.index(joined[0]) if joined else len(groups)
        groups = [g for g in groups if g not in joined]
        groups.insert(at, (merged_sets, merged_labels))
    variants: dict[tuple[str, ...], Variant] = {}
    for labels in itertools.product(*(g[1] for g in groups)):
        shown = {}
        for (sets, _), label in zip(groups, labels, strict=True):
            for tab_set in sets:
                shown[tab_set] = label if label in tab_sets[tab_set] else tab_sets[tab_set][0]
        # A choice made in tab sets that this variant hides (nested in another label) is no
        # choice: `GitLab` with `pip` and `GitLab` with `uv` are one variant, `GitLab`.
        seen = tuple(
            label
            for (sets, _), label in zip(groups, labels, strict=True)
            if any(all(shown[t.group] == t.label for t in enclosing[s]) for s in sets)
        )
        variants.setdefault(seen, Variant(seen, shown))
    return tuple(variants.values())


def read_runbook(path: str, text: str, selection: Selection | None = None) -> Runbook:
    """Return the runbook of the page at `path` (used in messages) whose Markdown is `text`.

    Raises `SourceError`, located at `path`, for any problem an author must fix.
    """
    try:
        page = scan(text)
    except SourceError as error:
        raise error.at(path) from None
    return runbook_of(path, page, selection)


def runbook_of(path: str, page: Scan, selection: Selection | None = None) -> Runbook:
    """Return the runbook of the page at `path` from its `scan` (see `read_runbook`)."""
    selection = selection or Selection()
    try:
        start = _start(page.front_matter)
        steps = [_step(path, fence, selection) for fence in page.fences if fence.shown]
    except SourceError as error:
        raise error.at(path) from None
    steps = [step for step in steps if step is not None]
    return Runbook(path, tuple(steps), _variants(steps, page.tab_sets), start)


def _step(path: str, fence: Fence, selection: Selection) -> Step | None:
    if not selection.selects(fence):
        if fence.directive is not None:
            raise SourceError(
                fence.directive[0],
                f"runbook directive before a block that is not a command ({fence.lang or 'text'}"
                f" block titled {fence.title!r})",
            )
        return None
    settings = _directive(*fence.directive) if fence.directive else {}
    script, placeholders = substitute(fence.text, fence.line + 1)
    return Step(
        path=path,
        line=fence.line,
        code=fence.text,
        script=script,
        placeholders=tuple(placeholders),
        tabs=fence.tabs,
        **settings,  # type: ignore[arg-type]
    )
