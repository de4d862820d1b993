"""Turn measurements into Markdown tables that can be pasted into the docs as they are."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.extraction import Result
from benchmarks.replay import ReplayResult
from benchmarks.timing import Ratio, Sample, Summary

BUILD_TARGET = 1.03


@dataclass(frozen=True)
class Comparison:
    """A build measured with the runbook plugin on and off, side by side."""

    site: str
    pages: int
    on: Summary
    off: Summary
    cpu: Ratio
    wall: Ratio

    @classmethod
    def of(cls, site: str, pages: int, on: Sequence[Sample], off: Sequence[Sample]) -> Comparison:
        return cls(
            site,
            pages,
            Summary.of(on),
            Summary.of(off),
            Ratio.of(on, off, cpu=True),
            Ratio.of(on, off, cpu=False),
        )

    @property
    def plugin_ratio(self) -> float:
        """The build's CPU time over the same time less the plugin's own event handlers."""
        return self.on.cpu / (self.on.cpu - self.on.plugin)

    @property
    def net_cost(self) -> float:
        """The plugin's handlers, less what the code guard saves by taking the plugin's reading.

        With the plugin on, `runbook.macros` takes the fences the plugin found; off, it scans
        each page itself. Both are measured inside the builds.
        """
        return self.on.plugin - (self.off.macros - self.on.macros)

    @property
    def net_ratio(self) -> float:
        """The build's CPU time over the same time less the plugin's net cost."""
        return self.on.cpu / (self.on.cpu - self.net_cost)


@dataclass(frozen=True)
class Scale:
    """Build and runbook extraction times at one corpus size."""

    pages: int
    build: Comparison
    find_fences: Summary
    read_runbook: Summary


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], right: int = 1) -> list[str]:
    """A Markdown table; columns from `right` on are numbers, aligned right."""
    aligns = ["---" if i < right else "---:" for i in range(len(header))]
    return [f"| {' | '.join(row)} |" for row in (header, aligns, *rows)]


def _verdict(value: float, target: float, below: bool) -> str:
    met = value <= target if below else value > target
    return f"{'≤' if below else '>'} {target:g}: {'met' if met else 'missed'}"


def _paired(ratio: Ratio, target: float) -> tuple[str, str]:
    """The median ratio and its verdict, which says when single pairs fall on both sides."""
    low, high = min(ratio.pairs), max(ratio.pairs)
    verdict = _verdict(ratio.median, target, below=True)
    if low <= target < high:
        verdict += " (single pairs on both sides)"
    return f"{ratio.median:.3f} (pairs {low:.3f} to {high:.3f})", verdict


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def _misses(counts: Counter[str]) -> str:
    return ", ".join(f"{n} {context}" for context, n in counts.most_common()) or "none"


def summary(
    builds: Sequence[Comparison],
    extraction: Sequence[Result],
    corpus_blocks: int,
    replay: ReplayResult | None,
) -> list[str]:
    """The headline table: each measure with and without the checks, its ratio and target."""
    rows = []
    for b in builds:
        where = f"{b.site} ({b.pages} pages)"
        for kind, on, off, ratio in (
            ("CPU", b.on.cpu, b.off.cpu, b.cpu),
            ("wall", b.on.wall, b.off.wall, b.wall),
        ):
            rows.append(
                [
                    f"`mkdocs build` {kind} time, {where}, plugin on vs off",
                    f"{on:.2f} s",
                    f"{off:.2f} s",
                    *_paired(ratio, BUILD_TARGET),
                ]
            )
        rows.append(
            [
                f"`mkdocs build` CPU time vs the same less the plugin's own handlers, {where}",
                f"{b.on.cpu:.2f} s",
                f"{b.on.cpu - b.on.plugin:.2f} s",
                f"{b.plugin_ratio:.3f}",
                _verdict(b.plugin_ratio, BUILD_TARGET, below=True),
            ]
        )
        rows.append(
            [
                f"`mkdocs build` CPU time vs the same less the plugin's net cost, {where}",
                f"{b.on.cpu:.2f} s",
                f"{b.on.cpu - b.net_cost:.2f} s",
                f"{b.net_ratio:.3f}",
                _verdict(b.net_ratio, BUILD_TARGET, below=True),
            ]
        )
    for b in builds:
        rows.append(
            [
                f"Peak RSS of the build, {b.site}",
                _mib(b.on.rss),
                _mib(b.off.rss),
                f"{b.on.rss / b.off.rss:.3f}",
                "—",
            ]
        )
    ours = extraction[0]
    for other in extraction[2:]:
        ratio = other.time.cpu / ours.time.cpu
        rows.append(
            [
                f"Block extraction, {ours.name} vs {other.name}",
                f"{ours.blocks_per_second(corpus_blocks):,.0f} blocks/s",
                f"{other.blocks_per_second(corpus_blocks):,.0f} blocks/s",
                f"{ratio:.2f}",
                _verdict(ratio, 1, below=False),
            ]
        )
    if replay is None:
        rows.append(["Replay of the chapter, harness vs plain bash", "not measured", "", "", ""])
    else:
        ratio = replay.harness.wall / replay.bash.wall
        rows.append(
            [
                f"Replay of {replay.page}, harness vs plain bash, wall time",
                f"{replay.harness.wall:.2f} s",
                f"{replay.bash.wall:.2f} s",
                f"{ratio:.3f}",
                "—",
            ]
        )
    header = ["Measure", "With the checks", "Without", "Ratio", "Target"]
    return _table(header, rows)


def builds_detail(builds: Sequence[Comparison]) -> list[str]:
    rows = []
    for b in builds:
        for side, s in (("runbook enabled", b.on), ("`enabled: false`", b.off)):
            rows.append(
                [
                    f"{b.site} ({b.pages} pages)",
                    side,
                    str(s.runs),
                    f"{s.cpu:.2f} s",
                    f"{s.wall:.2f} s",
                    f"{s.wall_min:.2f} to {s.wall_max:.2f} s",
                    _mib(s.rss),
                    f"{s.plugin * 1000:.0f} ms",
                    f"{s.macros * 1000:.0f} ms",
                ]
            )
    header = [
        "Site",
        "Plugin",
        "Runs",
        "CPU",
        "Wall",
        "Wall range",
        "Peak RSS",
        "In the plugin's handlers",
        "In `runbook.macros`",
    ]
    return _table(header, rows, right=2)


def extraction_detail(results: Sequence[Result], corpus_blocks: int) -> list[str]:
    rows = [
        [
            r.name,
            f"{r.blocks_per_second(corpus_blocks):,.0f}",
            str(r.blocks),
            str(r.shell),
            str(r.runs),
            str(sum(r.missed.values())),
            str(sum(r.unseen.values())),
            str(r.wrong_runs),
        ]
        for r in results
    ]
    header = [
        "Extractor",
        "Blocks/s (CPU)",
        "Blocks found",
        "Shell blocks found",
        "Would run",
        "Commands missed",
        "Commands not extracted at all",
        "Non-commands it would run",
    ]
    lines = _table(header, rows)
    lines.append("")
    for r in results[2:]:
        lines.append(f"- {r.name} misses, by where the command is: {_misses(r.missed)};")
        lines.append(f"  even reading titles, it cannot extract: {_misses(r.unseen)}.")
    return lines


def scaling_detail(scales: Sequence[Scale]) -> list[str]:
    def ms(seconds: float, pages: int) -> str:
        return f"{seconds / pages * 1000:.2f}"

    rows = []
    for s in scales:
        rows.append(
            [
                str(s.pages),
                ms(s.build.off.cpu, s.pages),
                ms(s.build.on.cpu, s.pages),
                ms(s.build.on.plugin, s.pages),
                f"{s.build.cpu.median:.3f}",
                f"{s.build.plugin_ratio:.3f}",
                ms(s.find_fences.cpu, s.pages),
                ms(s.read_runbook.cpu, s.pages),
            ]
        )
    header = [
        "Pages",
        "Build without (ms/page)",
        "Build with (ms/page)",
        "In the plugin (ms/page)",
        "A/B build ratio",
        "Build ÷ build less plugin",
        "`find_fences` (ms/page)",
        "`read_runbook` (ms/page)",
    ]
    lines = _table(header, rows)
    # A build has a fixed cost (theme assets, search index), so its growth is read from the
    # extra time each added page costs; the plugin and the finders have no fixed cost to speak of.
    for a, b in itertools.pairwise(scales):
        added = b.pages - a.pages
        lines += [
            "",
            f"From {a.pages} to {b.pages} pages, each added page costs"
            f" {ms(b.build.off.cpu - a.build.off.cpu, added)} ms of build without the plugin,"
            f" {ms(b.build.on.cpu - a.build.on.cpu, added)} ms with it,"
            f" {ms(b.build.on.plugin - a.build.on.plugin, added)} ms in the plugin,"
            f" {ms(b.find_fences.cpu - a.find_fences.cpu, added)} ms of `find_fences` and"
            f" {ms(b.read_runbook.cpu - a.read_runbook.cpu, added)} ms of `read_runbook`.",
        ]
    first, last = scales[0], scales[-1]

    def growth(a: float, b: float) -> str:
        return f"{(b / last.pages) / (a / first.pages):.2f}"

    lines += [
        "",
        f"Time per page at {last.pages} pages ÷ at {first.pages} pages (1.00 = linear):"
        f" in the plugin {growth(first.build.on.plugin, last.build.on.plugin)},"
        f" `find_fences` {growth(first.find_fences.cpu, last.find_fences.cpu)},"
        f" `read_runbook` {growth(first.read_runbook.cpu, last.read_runbook.cpu)},"
        f" whole build without the plugin {growth(first.build.off.cpu, last.build.off.cpu)}"
        f" and with it {growth(first.build.on.cpu, last.build.on.cpu)} (fixed costs included).",
    ]
    return lines


def replay_detail(replay: ReplayResult | None, note: str) -> list[str]:
    if replay is None:
        return [f"Not measured: {note}."]
    rows = [
        [
            side,
            str(s.runs),
            f"{s.wall:.3f} s",
            f"{s.wall_min:.3f} to {s.wall_max:.3f} s",
            f"{s.cpu:.3f} s",
        ]
        for side, s in (("`runbook.replay.replay`", replay.harness), ("plain `bash`", replay.bash))
    ]
    header = ["Replay", "Runs", "Wall", "Wall range", "CPU (with child processes)"]
    return [
        f"{replay.page}, {replay.steps} steps, the same rendered script and a fresh copy of"
        " the same start state for every run (setting it up is not timed).",
        "",
        *_table(header, rows),
    ]
