"""Turn measurements into Markdown tables that can be pasted into the docs as they are."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.extraction import Result
from benchmarks.replay import ReplayResult
from benchmarks.timing import Summary

BUILD_TARGET = 1.03


@dataclass(frozen=True)
class Comparison:
    """A build measured with the runbook plugin on and off, side by side."""

    site: str
    pages: int
    on: Summary
    off: Summary

    @property
    def cpu_ratio(self) -> float:
        return self.on.cpu / self.off.cpu

    @property
    def wall_ratio(self) -> float:
        return self.on.wall / self.off.wall


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
            ("CPU", b.on.cpu, b.off.cpu, b.cpu_ratio),
            ("wall", b.on.wall, b.off.wall, b.wall_ratio),
        ):
            rows.append([
                f"`mkdocs build` {kind} time, {where}", f"{on:.2f} s", f"{off:.2f} s",
                f"{ratio:.3f}", _verdict(ratio, BUILD_TARGET, below=True),
            ])
    for b in builds:
        rows.append([
            f"Peak RSS of the build, {b.site}", _mib(b.on.rss), _mib(b.off.rss),
            f"{b.on.rss / b.off.rss:.3f}", "—",
        ])
    ours = extraction[0]
    for other in extraction[2:]:
        ratio = other.time.cpu / ours.time.cpu
        rows.append([
            f"Block extraction, {ours.name} vs {other.name}",
            f"{ours.blocks_per_second(corpus_blocks):,.0f} blocks/s",
            f"{other.blocks_per_second(corpus_blocks):,.0f} blocks/s",
            f"{ratio:.2f}", _verdict(ratio, 1, below=False),
        ])
    if replay is None:
        rows.append(["Replay of the chapter, harness vs plain bash", "not measured", "", "", ""])
    else:
        rows.append([
            f"Replay of {replay.page}, harness vs plain bash (wall)",
            f"{replay.harness.wall:.2f} s", f"{replay.bash.wall:.2f} s",
            f"{replay.harness.wall / replay.bash.wall:.3f}", "—",
        ])
    header = ["Measure", "With the checks", "Without", "Ratio", "Target"]
    return _table(header, rows)


def builds_detail(builds: Sequence[Comparison]) -> list[str]:
    rows = []
    for b in builds:
        for side, s in (("runbook enabled", b.on), ("`enabled: false`", b.off)):
            rows.append([
                f"{b.site} ({b.pages} pages)", side, str(s.runs), f"{s.cpu:.2f} s",
                f"{s.wall:.2f} s", f"{s.wall_min:.2f}–{s.wall_max:.2f} s", _mib(s.rss),
            ])
    header = ["Site", "Plugin", "Runs", "CPU", "Wall", "Wall range", "Peak RSS"]
    return _table(header, rows, right=2)


def extraction_detail(results: Sequence[Result], corpus_blocks: int) -> list[str]:
    rows = [
        [
            r.name, f"{r.blocks_per_second(corpus_blocks):,.0f}", str(r.blocks), str(r.shell),
            str(r.runs), str(sum(r.missed.values())), str(sum(r.unseen.values())),
            str(r.wrong_runs),
        ]
        for r in results
    ]
    header = [
        "Extractor", "Blocks/s (CPU)", "Blocks found", "Shell blocks found", "Would run",
        "Commands missed", "Commands not extracted at all", "Non-commands it would run",
    ]
    lines = _table(header, rows)
    lines.append("")
    for r in results[2:]:
        lines.append(f"- {r.name} misses, by where the command is: {_misses(r.missed)};")
        lines.append(f"  even reading titles, it cannot extract: {_misses(r.unseen)}.")
    return lines


def scaling_detail(scales: Sequence[Scale]) -> list[str]:
    def per_page(seconds: float, pages: int) -> str:
        return f"{seconds / pages * 1000:.2f}"

    rows = []
    for s in scales:
        added = s.build.on.cpu - s.build.off.cpu
        rows.append([
            str(s.pages), per_page(s.build.off.cpu, s.pages), per_page(s.build.on.cpu, s.pages),
            per_page(added, s.pages), f"{s.build.cpu_ratio:.3f}",
            per_page(s.find_fences.cpu, s.pages), per_page(s.read_runbook.cpu, s.pages),
        ])
    header = [
        "Pages", "Build without (ms/page)", "Build with (ms/page)", "Added by runbook (ms/page)",
        "Build ratio", "`find_fences` (ms/page)", "`read_runbook` (ms/page)",
    ]
    lines = _table(header, rows)
    first, last = scales[0], scales[-1]

    def growth(a: float, b: float) -> str:
        return f"{(b / last.pages) / (a / first.pages):.2f}"

    lines += [
        "",
        f"Time per page at {last.pages} pages ÷ at {first.pages} pages (1.00 = linear growth):"
        f" build without {growth(first.build.off.cpu, last.build.off.cpu)},"
        f" build with {growth(first.build.on.cpu, last.build.on.cpu)},"
        f" `find_fences` {growth(first.find_fences.cpu, last.find_fences.cpu)},"
        f" `read_runbook` {growth(first.read_runbook.cpu, last.read_runbook.cpu)}.",
    ]
    return lines
