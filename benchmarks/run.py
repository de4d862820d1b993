"""What the runbook plugin and its replays cost, measured side by side: the report's sections,
each measured and written by one function, as `python -m benchmarks` runs them."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from statistics import median

from mkdocs.config import load_config

from benchmarks import replay, suite
from benchmarks.build import Build, build_in_child
from benchmarks.corpus import (
    PROJECT,
    SHELL_BLOCKS,
    Page,
    make_guide_page,
    make_page,
    write_site,
)
from benchmarks.extraction import compare, tools
from benchmarks.machine import describe
from benchmarks.timing import alternate, paired

# In-build cost on real pages and on the 500-page corpus; peak memory, enabled ÷ disabled.
GUIDE_TARGET, CORPUS_TARGET, MEMORY_TARGET = 1.03, 1.05, 1.15
# The harness ÷ bash; a chain ÷ its pages alone; a page edited at the end of a kept chain ÷
# that page alone; the memory of a replay printing much ÷ little.
REPLAY_TARGET, CHAIN_TARGET, EDITED_TARGET, PRINTS_TARGET = 1.2, 1.3, 1.2, 1.15
# Seconds: an author's loop on one page; the whole suite, on two cores.
LOOP_TARGET, SUITE_TARGET = 15.0, 90.0
Section = tuple[list[list[str]], list[str]]  # rows of the targets' table, and the section


@dataclass(frozen=True)
class Plan:
    """Builds per side of the real docs, of the guide-shaped corpus and of the corpus, the
    corpora's sizes, other sizes and their builds with the plugin, extraction passes, replays,
    the chain's pages and runs, the lines a replay prints (little, much), and the runs of the
    author's loop and of the whole suite (0: not measured)."""

    name: str
    real_runs: int
    guide_pages: int
    pages: int
    corpus_runs: int
    scaling: dict[int, int]
    passes: int
    replay_runs: int
    chain_pages: int
    chain_runs: int
    prints: tuple[int, int]
    loop_runs: int
    suite_runs: int


PLANS = {
    "full": Plan("full", 15, 48, 500, 7, {100: 3, 2000: 1}, 7, 15, 20, 11, (1000, 10**7), 3, 1),
    "quick": Plan("quick", 3, 48, 60, 2, {20: 1, 120: 1}, 5, 3, 20, 2, (1000, 10**6), 1, 0),
    # For the test suite: every section but the test runs (which would run it), in seconds,
    # with figures that mean little.
    "smoke": Plan("smoke", 1, 6, 6, 1, {3: 1}, 2, 1, 5, 1, (100, 10**4), 0, 0),
}


def cost(builds: Sequence[Build]) -> float:
    """The plugin's in-build cost: build ÷ (build - plugin time), CPU, median over builds."""
    return median(b.cpu / (b.cpu - b.plugin) for b in builds)


def noise(builds: Sequence[Build]) -> float:
    """How much builds vary: the median absolute deviation of their CPU time ÷ its median."""
    middle = median(b.cpu for b in builds)
    return median(abs(b.cpu - middle) for b in builds) / middle


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _table(header: str, rows: Sequence[Sequence[str]]) -> list[str]:
    columns = header.split(" | ")
    aligns = ["---", *["---:"] * (len(columns) - 1)]
    return [f"| {' | '.join(row)} |" for row in (columns, aligns, *rows)]


def _spread(values: Sequence[float]) -> str:
    return f"{median(values):.3f} ({min(values):.3f} to {max(values):.3f})"


def _target(measure: str, ratio: float, limit: float, above: bool = False) -> list[str]:
    """A row of the targets' table: met when `ratio` is at most `limit` (or, `above`, more)."""
    met = ratio > limit if above else ratio <= limit
    target = f"{'>' if above else '≤'} {limit:.3f}".rstrip("0").rstrip(".")
    return [measure, f"{ratio:.3f}", target, "met" if met else "missed"]


def _builds_row(site: str, side: str, builds: Sequence[Build], extension: bool) -> list[str]:
    return [
        f"{site} ({builds[0].pages} pages), {side}",
        str(len(builds)),
        _spread([b.cpu for b in builds]),
        _spread([b.wall for b in builds]),
        f"{median(b.rss for b in builds) / 1024:.1f}",
        f"{median(b.plugin for b in builds) * 1000:.1f}",
        f"{median(b.extension for b in builds) * 1000:.1f}" if extension else "—",
    ]


def _corpus(root: Path, pages: Sequence[Page], name: str = "corpus", nav: bool = False) -> Path:
    texts = {page.path: page.text for page in pages}
    return write_site(root / f"{name}-{len(pages)}", texts, nav)


def _seconds(measure: str, seconds: Sequence[float], limit: float) -> list[str]:
    """A row of the targets' table for a time in seconds (the median of `seconds`)."""
    took = median(seconds)
    return [measure, f"{took:.3f}", f"≤ {limit:.0f} s", "met" if took <= limit else "missed"]


def builds(plan: Plan, root: Path, pages: list[Page]) -> Section:
    """Build the real docs and the corpus with the plugin and without, alternating; and the
    corpus at other sizes with the plugin."""
    real = PROJECT / "mkdocs.yml"
    _progress("warming up (one build per side, not counted) ...")
    build_in_child(real, True)
    build_in_child(real, False)
    guide = [make_guide_page(number) for number in range(plan.guide_pages)]
    sites = {
        "real docs": (real, plan.real_runs),
        "guide-shaped corpus": (_corpus(root, guide, "guide", nav=True), plan.real_runs),
        "generated corpus": (_corpus(root, pages), plan.corpus_runs),
    }
    rows, notes, sides, targets = [], [], [], []
    for name, (config, runs) in sites.items():
        _progress(f"building the {name}, {runs} runs per side ...")
        on, off = alternate(*(partial(build_in_child, config, e) for e in (True, False)), runs)
        sides.append((on, off))
        rows += [_builds_row(name, "enabled", on, True)]
        rows += [_builds_row(name, "`enabled: false`", off, False)]
        cpu = _spread(paired([b.cpu for b in on], [b.cpu for b in off]))
        wall = _spread(paired([b.wall for b in on], [b.wall for b in off]))
        rss = median(b.rss for b in on) / median(b.rss for b in off)
        pages_of = f"{on[0].pages} pages"
        limit = CORPUS_TARGET if name == "generated corpus" else GUIDE_TARGET
        targets.append(_target(f"In-build cost, {name} ({pages_of})", cost(on), limit))
        targets.append(_target(f"Peak memory, {name}, enabled ÷ disabled", rss, MEMORY_TARGET))
        notes.append(
            f"- The {name}, enabled ÷ `enabled: false`, paired: CPU {cpu}, wall {wall}; peak"
            f" RSS {rss:.3f}. Builds without the plugin vary by {noise(off):.1%} (median"
            " absolute deviation of their CPU time)."
        )
    corpus = sides[-1][0]
    scales = {len(pages): corpus}
    for size, runs in plan.scaling.items():
        _progress(f"building a corpus of {size} pages with the plugin, {runs} runs ...")
        config = _corpus(root, [make_page(number) for number in range(size)])
        scales[size] = [build_in_child(config, True) for _ in range(runs)]
    ms = {size: median(b.plugin for b in done) / size * 1000 for size, done in scales.items()}
    scaling = [
        [
            str(size),
            str(len(done)),
            f"{median(b.cpu for b in done) / size * 1000:.2f}",
            f"{ms[size]:.2f}",
            f"{cost(done):.3f}",
        ]
        for size, done in sorted(scales.items())
    ]
    small, large = min(scales), max(scales)
    header = "Site, plugin | Runs | CPU (s) | Wall (s) | Peak RSS (MiB) | Plugin (ms)"
    return targets, [
        "### Builds",
        "",
        "*In-build cost* is build ÷ (build - plugin time), in CPU time. The plugin's time is"
        " measured inside the same builds: its event handlers and its Markdown extension (the"
        " recorder's processors, and its hook around SuperFences less SuperFences' own work).",
        "",
        *_table(f"{header} | Of which its Markdown extension (ms)", rows),
        "",
        *notes,
        "",
        "### Scaling (CPU time, builds with the plugin)",
        "",
        *_table("Pages | Builds | Build (ms/page) | Plugin (ms/page) | In-build cost", scaling),
        "",
        f"Plugin time per page at {large} pages ÷ at {small}: {ms[large] / ms[small]:.2f}"
        " (1.00 is linear growth).",
    ]


def extraction(plan: Plan, root: Path, pages: list[Page]) -> Section:
    """Find the corpus's blocks with runbook and its peers; count the commands each would run."""
    _progress(f"extracting blocks, {plan.passes} passes per tool, then a full read ...")
    found = compare(pages, tools(load_config(str(PROJECT / "mkdocs.yml"))), plan.passes)
    blocks = sum(page.blocks for page in pages)
    commands = sum(len(page.commands) for page in pages)
    rows = [
        [
            e.name,
            f"{blocks / e.best:,.0f}",
            f"{blocks / e.median:,.0f}",
            f"{e.commands} of {commands}",
            str(e.others),
        ]
        for e in found
    ]
    runbook, peers = found[0], found[1:]
    speed = "Blocks/s (best pass), runbook ÷"
    targets = [_target(f"{speed} {e.name}", e.best / runbook.best, 1, above=True) for e in peers]
    header = "Tool | Blocks/s, best | Blocks/s, median | Commands it would run | Others"
    return targets, [
        f"### Block extraction ({len(pages)} pages, {blocks} blocks, {commands} commands)",
        "",
        "One pass of each tool returns every fenced block of every page (CPU time,"
        f" {plan.passes} passes, the tools taking turns). *Would run* follows each tool's own"
        " rule: runbook's steps, from a full read; pytest-codeblocks' blocks whose info string"
        " is exactly `sh` or `bash`; mktestdocs' `grab_code_blocks` for `sh` and `bash`. The"
        " corpus titles every command, as the guide does; *others* are blocks that are not"
        " commands, such as those in HTML comments.",
        "",
        *_table(header, rows),
        "",
        "For context, a full read that decides what a reader sees (`pages.read_markdown`:"
        " render the page, pair its fences, make and check its steps) takes"
        f" {runbook.judged / len(pages) * 1000:.1f} ms of CPU a page.",
    ]


def replays(plan: Plan, root: Path, pages: list[Page]) -> Section:
    """Replay the chapter with the harness and with bash; a chain and its pages alone."""
    # Write the builds' files out first: their write-back would slow the replays' own files.
    os.sync()
    _progress("replaying the chapter ...")
    steps, (harness, bash) = replay.chapter(plan.replay_runs)
    _progress(f"replaying a chain of {plan.chain_pages} pages ...")
    chain, alone = replay.chain(plan.chain_pages, plan.chain_runs, root / "chains")
    _progress(f"replaying the last of {plan.chain_pages} kept pages after an edit ...")
    edited, by_itself = replay.edited(plan.chain_pages, plan.chain_runs, root / "kept")
    little, much = plan.prints
    _progress(f"replaying a step that prints {little:,} lines, and {much:,} ...")
    memory = [replay.peak_memory(lines, root / f"prints-{lines}") for lines in (little, much)]
    by_bash = median(paired([h[0] for h in harness], [b[0] for b in bash]))
    by_alone = median(paired([c[0] for c in chain], [a[0] for a in alone]))
    by_edit = median(paired([e[0] for e in edited], [b[0] for b in by_itself]))
    n = plan.chain_pages
    targets = [
        _target("Replay of the chapter, harness ÷ plain bash, wall", by_bash, REPLAY_TARGET),
        _target(f"Chain of {n} pages ÷ sum of single-page replays, wall", by_alone, CHAIN_TARGET),
        _target(f"Last of {n} kept pages, edited, ÷ that page alone, wall", by_edit, EDITED_TARGET),
        _target(
            f"Peak memory of a replay, step printing {much:,} lines ÷ {little:,}",
            memory[1] / memory[0],
            PRINTS_TARGET,
        ),
    ]
    sides = {
        "chapter, `run_script`": harness,
        "chapter, plain `bash`": bash,
        f"chain of {n} pages, one session": chain,
        f"the same {n} pages alone": alone,
        f"last of {n} kept pages, edited, new session": edited,
        "that page alone": by_itself,
    }
    rows = [
        [name, str(len(done)), _spread([d[0] for d in done]), f"{median(d[1] for d in done):.3f}"]
        for name, done in sides.items()
    ]
    return targets, [
        "### Replays",
        "",
        f"The chapter ({replay.CHAPTER}, {steps} steps) from a fresh sandbox and start state"
        " each run, which are not timed: through `run_script`, and as `bash script.sh` of the"
        f" same script in the same sandbox. A chain of {n} pages of two steps, each starting"
        " where the one before ends, replayed in one session as a test session does (each"
        " page once, end states kept and copied back), against the same pages without"
        " `start:`, each replayed alone from an empty folder. Then the chain's last page,"
        " edited after the chain was replayed once with its ends kept, replayed in a new"
        " session as the next test run does (only that page runs), against that page alone.",
        "",
        *_table("Replay | Runs | Wall (s) | CPU with child processes (s)", rows),
        "",
        f"Peak memory of a process replaying one step that prints {little:,} lines:"
        f" {memory[0] / 1024:.1f} MiB; {much:,} lines: {memory[1] / 1024:.1f} MiB.",
    ]


def tests(plan: Plan, root: Path, pages: list[Page]) -> Section:
    """Time an author's loop on the chapter, and the whole suite, as authors run them."""
    page = replay.CHAPTER.removesuffix(".md")
    runs: dict[str, tuple[list[str], int, float]] = {
        f"`pytest -k {page}`": (["-k", page], plan.loop_runs, LOOP_TARGET),
        f"`pytest tests/test_replay.py -k {page}`": (
            ["tests/test_replay.py", "-k", page],
            plan.loop_runs,
            LOOP_TARGET,
        ),
        "`pytest -n auto`, the whole suite": (["-n", "auto"], plan.suite_runs, SUITE_TARGET),
    }
    targets, rows, left, failed = [], [], [], []
    for name, (arguments, count, limit) in runs.items():
        if not count:
            left.append(name)
            continue
        _progress(f"running {name}, {count} runs ...")
        try:
            walls = [suite.pytest_wall(arguments) for _ in range(count)]
        except RuntimeError as error:  # the report's other sections still count
            targets.append([f"Tests: {name}, wall (s)", "—", f"≤ {limit:.0f} s", "failed"])
            failed.append(f"- {name} failed: {error}")
            continue
        targets.append(_seconds(f"Tests: {name}, wall (s)", walls, limit))
        rows.append([name, str(count), _spread(walls)])
    lines = ["### Tests"]
    if rows:
        lines += [
            "",
            "Each run is a fresh pytest process in the project, as an author runs it after"
            " changing a page; it must pass.",
            "",
            *_table("Command | Runs | Wall (s)", rows),
        ]
    if failed:
        lines += ["", *failed]
    if left:
        lines += ["", f"Not run in {plan.name} mode: {', '.join(left)}."]
    return targets, lines


def measure(plan: Plan, root: Path) -> list[str]:
    """Run every section of `plan`, with generated sites under `root`; return the report."""
    machine, load = describe(), os.getloadavg()[0]
    pages = [make_page(number) for number in range(plan.pages)]
    targets, text = [], []
    for section in (builds, extraction, replays, tests):
        rows, lines = section(plan, root, pages)
        targets += rows
        text += ["", *lines]
    return [
        "## Benchmark: what the runbook checks cost",
        "",
        f"Machine: {machine}; load average {load:.2f} at start, {os.getloadavg()[0]:.2f} at end.",
        "",
        f"Mode: {plan.name}. Each build runs in a fresh process, the two sides alternating"
        " (A B B A A B ...), and is strict with the plugin; figures are medians (with the"
        " range), ratios medians of paired runs, CPU time counts child processes. The"
        f" guide-shaped corpus: {plan.guide_pages} chapters of a few blocks each (commands,"
        " files, expected output) in a full nav. The generated corpus:"
        f" {len(pages)} pages of at least {SHELL_BLOCKS} shell blocks each.",
        "",
        *_table("Measure | Ratio | Target | Verdict", targets),
        *text,
    ]
