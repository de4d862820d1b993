"""The benchmark: what the runbook checks cost on top of the build, side by side in one run.

    python -m benchmarks [--quick] [--output FILE]

Prints a Markdown report (and writes it to FILE); progress goes to stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.build import PROJECT, Site, build_in_child
from benchmarks.corpus import BLOCKS_PER_PAGE, Page, make_corpus, write_corpus
from benchmarks.extraction import EXTRACTORS, bench_extraction, time_extractors
from benchmarks.machine import describe
from benchmarks.replay import ReplayUnavailable, bench_replay
from benchmarks.report import (
    Comparison,
    Scale,
    builds_detail,
    extraction_detail,
    replay_detail,
    scaling_detail,
    summary,
)
from benchmarks.timing import alternate


@dataclass(frozen=True)
class Plan:
    """How much to measure: runs per side, and the corpus sizes."""

    name: str
    real_runs: int
    corpus_pages: int
    corpus_runs: int
    extraction_runs: int
    # Corpus size -> build runs per side; the main corpus size reuses its own builds.
    scaling: dict[int, int]
    replay_runs: int


FULL = Plan("full", 15, 500, 7, 7, {100: 3, 500: 0, 2000: 1}, 15)
QUICK = Plan("quick", 4, 80, 2, 5, {20: 1, 80: 0}, 4)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def compare(name: str, pages: int, site: Site, runs: int) -> Comparison:
    """Build `site` `runs` times with the plugin on and off, alternating; return the medians."""
    _progress(f"building {name} ({pages} pages), {runs} runs per side ...")
    on, off = alternate(
        [lambda: build_in_child(site, enabled=True), lambda: build_in_child(site, enabled=False)],
        runs,
    )
    return Comparison.of(name, pages, on, off)


def measure(plan: Plan, root: Path) -> list[str]:
    """Run every section of `plan`, with generated corpora under `root`; return the report."""
    machine, load = describe(), os.getloadavg()[0]
    real = Site(PROJECT / "mkdocs.yml")
    real_pages = sum(1 for _ in (PROJECT / "docs").rglob("*.md"))
    _progress("warming up (one build per side, not counted) ...")
    build_in_child(real, enabled=True)
    build_in_child(real, enabled=False)
    real_build = compare("real docs", real_pages, real, plan.real_runs)

    corpora: dict[int, tuple[list[Page], Site]] = {}
    for size in sorted(plan.scaling.keys() | {plan.corpus_pages}):
        pages = make_corpus(size)
        folder = root / f"corpus-{size}"
        nav = write_corpus(folder, pages, PROJECT / "docs" / "assets")
        # A nav of the home page only: a full nav makes each page render every other page's
        # link, a quadratic cost of the theme that would hide the plugin's share.
        corpora[size] = pages, Site(PROJECT / "mkdocs.yml", folder / "docs", nav[:1])

    pages, site = corpora[plan.corpus_pages]
    corpus_build = compare("generated corpus", len(pages), site, plan.corpus_runs)
    _progress(f"extracting blocks, {plan.extraction_runs} passes per extractor ...")
    extraction = bench_extraction(pages, plan.extraction_runs)

    scales = []
    for size, runs in sorted(plan.scaling.items()):
        if size == plan.corpus_pages:
            build = corpus_build
            fences, steps = extraction[0].time, extraction[1].time
        else:
            build = compare("generated corpus", size, corpora[size][1], runs)
            # Three passes suffice here: the finders vary far less than builds do.
            fences, steps = time_extractors(corpora[size][0], 3, EXTRACTORS[:2])
        scales.append(Scale(size, build, fences, steps))

    _progress("replaying the chapter ...")
    try:
        replay, replay_note = bench_replay(plan.replay_runs), ""
    except ReplayUnavailable as error:
        replay, replay_note = None, str(error)

    blocks = sum(len(p.blocks) for p in pages)
    shell = sum(b.shell for p in pages for b in p.blocks)
    commands = sum(b.runnable for p in pages for b in p.blocks)
    builds = [real_build, corpus_build]
    return [
        "## Benchmark: what the runbook checks cost",
        "",
        f"Machine: {machine}; load average {load:.2f} at start, {os.getloadavg()[0]:.2f} at end.",
        "",
        f"Mode: {plan.name}. Each build runs in a fresh process; the two sides alternate"
        " (A B B A A B ...); times are medians of the runs shown below, and each ratio is the"
        " median of the ratios of a run with the checks to the run without them next to it. CPU"
        " time is the build process's own; wall time also counts whatever else the machine was"
        " doing. The plugin's own time is measured inside the same builds, around its event"
        " handlers, and so is the time of the code guard in `runbook.macros`, which takes the"
        " plugin's reading of a page when the plugin is on and scans the page itself when it is"
        " off: the plugin's net cost is its handlers' time less what the guard saves."
        f" Generated corpus: {len(pages)} pages of about {BLOCKS_PER_PAGE} shell blocks each,"
        f" {blocks} fenced blocks in all, {shell} of them shell blocks, {commands} commands.",
        "",
        *summary(builds, extraction, blocks, replay),
        "",
        "### Builds",
        "",
        *builds_detail(builds),
        "",
        f"### Block extraction ({len(pages)} pages, {blocks} blocks, {commands} commands)",
        "",
        "Each extractor makes one pass returning every fenced block of every page. *Would run*"
        " follows each tool's own rule: runbook's steps; pytest-codeblocks' blocks whose info"
        " string is exactly `sh` or `bash`; mktestdocs' `grab_code_blocks(lang=...)` for `sh`"
        " and `bash` (an executor registered for `sh`). Every command of the corpus is titled,"
        " as the guide writes them.",
        "",
        *extraction_detail(extraction, blocks),
        "",
        "### Scaling (CPU time)",
        "",
        *scaling_detail(scales),
        "",
        "### Replay",
        "",
        *replay_detail(replay, replay_note),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.strip())
    parser.add_argument("--quick", action="store_true", help="fewer runs and smaller corpora")
    parser.add_argument("--output", type=Path, help="also write the Markdown report here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="runbook-bench-") as root:
        report = "\n".join(measure(QUICK if args.quick else FULL, Path(root))) + "\n"
    sys.stdout.write(report)
    if args.output is not None:
        args.output.write_text(report, encoding="utf-8")
    return 0
