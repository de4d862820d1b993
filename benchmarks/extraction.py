"""Find the corpus's fenced blocks with runbook, pytest-codeblocks and mktestdocs, side by side.

Each tool is timed on the same job, one pass that returns every fenced block of every page, and
then judged by the blocks it would run, under its own rule, against the corpus's commands.
"""

from __future__ import annotations

import gc
import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import median

from mkdocs.config.defaults import MkDocsConfig
from mktestdocs import grab_code_blocks
from pytest_codeblocks import extract_from_buffer

from benchmarks.corpus import Page
from benchmarks.timing import cpu
from runbook.adapters.plugin import selection_of
from runbook.reading.fences import FenceReader
from runbook.reading.pages import read_markdown

# A tool: its name, its pass over a page's text, and the code of the blocks it would run.
Tool = tuple[str, Callable[[str], object], Callable[[str], list[str]]]


@dataclass(frozen=True)
class Extraction:
    """A tool's CPU seconds per pass (best and median); how many of the corpus's commands, and
    of its other blocks, it would run; and the CPU seconds it took to tell."""

    name: str
    best: float
    median: float
    commands: int
    others: int
    judged: float


def tools(config: MkDocsConfig) -> list[Tool]:
    extensions, configs = config.markdown_extensions, config.mdx_configs
    selection = selection_of(config.plugins["runbook"].config)  # type: ignore[arg-type]

    def steps(text: str) -> list[str]:
        # What a reader runs is decided by a full read, which renders the page.
        reading = read_markdown("page.md", text, extensions, configs, selection)
        return [step.code for step in reading.runbook.steps]

    def codeblocks(text: str) -> list[str]:
        # It runs a block as shell when its info string is exactly `sh` or `bash`.
        found = extract_from_buffer(io.StringIO(text))
        return [block.code for block in found if block.syntax in ("sh", "bash")]

    def testdocs(text: str) -> list[str]:
        # Asked for a language, it takes the blocks whose fence line is exactly ```sh.
        return [code for lang in ("sh", "bash") for code in grab_code_blocks(text, lang=lang)]

    return [
        ("runbook `FenceReader.read`", FenceReader.configured(extensions, configs).read, steps),
        (
            "pytest-codeblocks `extract_from_buffer`",
            lambda t: extract_from_buffer(io.StringIO(t)),
            codeblocks,
        ),
        ("mktestdocs `grab_code_blocks`", lambda text: grab_code_blocks(text, None), testdocs),
    ]


def _normal(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip("\n").split("\n"))


def compare(pages: Sequence[Page], tools: Sequence[Tool], passes: int) -> list[Extraction]:
    """Time `passes` passes of each tool over `pages`, the tools taking turns; judge each."""
    texts = [page.text for page in pages]
    spent: list[list[float]] = [[] for _ in tools]
    # Frozen, the pages held in memory are not rescanned by each garbage collection.
    gc.collect()
    gc.freeze()
    for run in range(passes):
        for index in range(len(tools))[:: -1 if run % 2 else 1]:
            start = time.process_time()
            for text in texts:
                tools[index][1](text)
            spent[index].append(time.process_time() - start)
    gc.unfreeze()
    commands = {_normal(code) for page in pages for code in page.commands}
    results = []
    for (name, _, runs), times in zip(tools, spent, strict=True):
        start = cpu()
        ran = {_normal(code) for text in texts for code in runs(text)}
        found, others, judged = len(ran & commands), len(ran - commands), cpu() - start
        results.append(Extraction(name, min(times), median(times), found, others, judged))
    return results
