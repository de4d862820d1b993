"""Variants: the paths a reader can take through a page's content tabs.

Tabs with the same label are linked across the page, as Material's linked tabs are, so each
choice of label gives one variant, and one script.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from runbook.errors import SourceError
from runbook.reading.render import Tab

if TYPE_CHECKING:
    from runbook.reading.steps import Step


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


def twin_tabs(steps: Sequence[Step], tab_sets: dict[int, tuple[str, ...]]) -> list[SourceError]:
    """Return an error for each tab set holding steps in which two tabs have the same label."""
    errors = []
    for group in sorted({tab.group for step in steps for tab in step.tabs}):
        labels = tab_sets[group]
        twins = sorted({label for label in labels if labels.count(label) > 1})
        if twins:
            line = next(s.line for s in steps if any(t.group == group for t in s.tabs))
            errors.append(
                SourceError(
                    line,
                    f"the tab set of this block has two tabs labelled {twins[0]!r}: a reader "
                    "cannot choose between them; give each its own label",
                    steps[0].path,
                )
            )
    return errors


def variants_of(steps: Iterable[Step], tab_sets: dict[int, tuple[str, ...]]) -> tuple[Variant, ...]:
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
