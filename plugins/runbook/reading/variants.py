"""Variants: the paths a reader can take through a page's content tabs.

Tabs with the same label are linked across the page, as Material's linked tabs are, so each
choice of label gives one variant, and one script.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from runbook.errors import SourceError
from runbook.reading.render import Rendering, Tab


class Step(Protocol):
    """What variants read of a step (`steps.Step`): where it is, and the tabs that hold it."""

    @property
    def path(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def tabs(self) -> tuple[Tab, ...]: ...


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


def tab_errors(steps: Sequence[Step], rendering: Rendering) -> list[SourceError]:
    """Return an error for each tab set holding steps whose tabs a reader cannot all reach:
    two tabs with one label, a tab without a word in its label, or a set linked to another
    by a label while their labels differ."""
    errors = []
    lines: dict[int, int] = {}  # the line of the first step in each tab set
    for step in steps:
        for tab in step.tabs:
            lines.setdefault(tab.group, step.line)
    for group, line in sorted(lines.items()):
        problem = _label_problem(rendering.tab_sets[group], rendering.written_labels[group])
        if problem is not None:
            errors.append(SourceError(line, problem, steps[0].path))
    if errors:
        return errors
    groups, _ = _linked(steps, rendering.tab_sets)
    for sets, _ in groups:
        # A set of one tab always shows it: only sets of several offer a choice.
        choosing = sorted(s for s in sets if len(rendering.tab_sets[s]) > 1)
        if not choosing:
            continue
        first, *others = choosing
        for other in others:
            if rendering.tab_sets[other] != rendering.tab_sets[first]:
                errors.append(
                    SourceError(
                        lines[other],
                        _unlinked(
                            rendering.tab_sets[first], lines[first], rendering.tab_sets[other]
                        ),
                        steps[0].path,
                    )
                )
    return sorted(errors, key=lambda error: error.line)


def _label_problem(labels: tuple[str, ...], written: tuple[str, ...]) -> str | None:
    """Say why a reader cannot choose each tab of a set by its label, or return None."""
    for label, raw in zip(labels, written, strict=False):
        if not label and raw.strip():
            icon = raw.strip()
            word = next(
                (part for part in reversed(icon.strip(":").split("-")) if part.isalpha()), "name"
            )
            return (
                f"the tab {icon!r} of this block's tab set is labelled with icons only: "
                "Material links tabs by their text, so a reader who clicks another such tab is "
                f'taken back to the first; add a word: === "{icon} {word.capitalize()}"'
            )
        if not label:
            return (
                f"a tab of this block's tab set has an empty label ({raw!r}): a reader cannot "
                "tell it from the others, and Material links it to every other unlabelled tab; "
                "give it a word"
            )
    twins = sorted({label for label in labels if labels.count(label) > 1})
    if twins:
        return (
            f"the tab set of this block has two tabs labelled {twins[0]!r}: a reader cannot "
            "choose between them; give each its own label"
        )
    return None


def _unlinked(first: tuple[str, ...], line: int, other: tuple[str, ...]) -> str:
    shared = next((label for label in other if label in first), None)
    only_first = [label for label in first if label not in other]
    only_other = [label for label in other if label not in first]
    if only_first and only_other:
        why = (
            f"their labels differ ({list(first)} there, {list(other)} here): a reader can "
            f"choose {only_first[0]!r} there and {only_other[0]!r} here"
        )
    elif only_first or only_other:
        why = (
            f"their labels differ ({list(first)} there, {list(other)} here): a reader who "
            f"chooses {(only_first or only_other)[0]!r} leaves the other set as it was"
        )
    else:
        why = (
            f"they list their labels in another order ({list(first)} there, {list(other)} "
            f"here): a reader who chooses nothing sees {first[0]!r} there and {other[0]!r} here"
        )
    linked = (
        f"shares the label {shared!r} with the tab set of line {line}"
        if shared is not None
        else f"is linked to the tab set of line {line} through other tab sets' labels"
    )
    return (
        f"this block's tab set {linked}, so Material switches them together, but {why}, a path "
        "no replay takes; give linked tab sets the same labels in the same order, or labels "
        "they share none of"
    )


def _linked(
    steps: Iterable[Step], tab_sets: dict[int, tuple[str, ...]]
) -> tuple[list[tuple[set[int], list[str]]], dict[int, tuple[Tab, ...]]]:
    """Group the tab sets holding steps that share a label, as Material links them: each group
    is one choice of label. Return the groups, each with its labels in page order, and the tabs
    that enclose each tab set (a nested set is seen only through them)."""
    enclosing: dict[int, tuple[Tab, ...]] = {}
    for step in steps:
        for depth, tab in enumerate(step.tabs):
            enclosing[tab.group] = step.tabs[:depth]
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
    return groups, enclosing


def variants_of(steps: Iterable[Step], tab_sets: dict[int, tuple[str, ...]]) -> tuple[Variant, ...]:
    steps = list(steps)
    groups, enclosing = _linked(steps, tab_sets)
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
