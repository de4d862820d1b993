"""Find the corpus's blocks with runbook, pytest-codeblocks and mktestdocs; time and check each.

Each extractor is timed on the same job, one pass that returns every fenced block of every page,
and is then judged by the blocks it would run, under its own rule, against the corpus's truth.
"""

from __future__ import annotations

import gc
import io
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from mktestdocs import grab_code_blocks
from pytest_codeblocks import extract_from_buffer

from benchmarks.corpus import Page
from benchmarks.timing import Sample, Summary, alternate, timed
from runbook.fences import find_fences
from runbook.runbook import SHELL_LANGUAGES, read_runbook

# The languages pytest-codeblocks runs as shell (its plugin's `collect`), and the ones mktestdocs
# runs once an executor is registered for `sh` beside its built-in `bash`.
_PLAIN_SHELL = ("sh", "bash")


@dataclass(frozen=True)
class Reading:
    """One tool's reading of a page: the code of every block, of its shell blocks, of its runs."""

    blocks: list[str]
    shell: list[str]
    runs: list[str]


@dataclass(frozen=True)
class Extractor:
    """A block finder: `extract` is the timed pass, `read` how its output is judged."""

    name: str
    extract: Callable[[str], object]
    read: Callable[[str], Reading]


def _runbook(text: str) -> Reading:
    fences = find_fences(text)
    steps = read_runbook("page.md", text).steps
    return Reading(
        [f.text for f in fences],
        [f.text for f in fences if f.lang in SHELL_LANGUAGES],
        [s.code for s in steps],
    )


def _pytest_codeblocks(text: str) -> Reading:
    blocks = extract_from_buffer(io.StringIO(text))
    words = [(b.syntax or "").split()[:1] for b in blocks]
    return Reading(
        [b.code for b in blocks],
        [b.code for b, w in zip(blocks, words, strict=True) if w and w[0] in SHELL_LANGUAGES],
        [b.code for b in blocks if b.syntax in _PLAIN_SHELL],
    )


def _mktestdocs(text: str) -> Reading:
    # It tells a block's language only by the one it is asked for, a fence line of exactly ```sh.
    def grab(langs: tuple[str, ...]) -> list[str]:
        return [code for lang in langs for code in grab_code_blocks(text, lang=lang)]

    return Reading(grab_code_blocks(text, lang=None), grab(SHELL_LANGUAGES), grab(_PLAIN_SHELL))


EXTRACTORS = (
    Extractor("runbook `find_fences`", find_fences, _runbook),
    Extractor(
        "runbook `read_runbook` (steps, placeholders, variants)",
        lambda text: read_runbook("page.md", text),
        _runbook,
    ),
    Extractor(
        "pytest-codeblocks `extract_from_buffer`",
        lambda text: extract_from_buffer(io.StringIO(text)),
        _pytest_codeblocks,
    ),
    Extractor("mktestdocs `grab_code_blocks`", partial(grab_code_blocks, lang=None), _mktestdocs),
)


def _normal(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip("\n").split("\n"))


@dataclass(frozen=True)
class Result:
    """How fast one extractor is and what it finds, against the corpus's known blocks."""

    name: str
    time: Summary
    blocks: int
    shell: int
    runs: int
    missed: Counter[str]
    unseen: Counter[str]
    wrong_runs: int

    def blocks_per_second(self, corpus_blocks: int) -> float:
        return corpus_blocks / self.time.cpu


def time_extractors(
    pages: list[Page], runs: int, extractors: Sequence[Extractor] = EXTRACTORS
) -> list[Summary]:
    """Time `runs` passes of each extractor over all `pages`, the extractors taking turns."""
    texts = [page.text for page in pages]

    def one_pass(extractor: Extractor) -> Callable[[], Sample]:
        def run() -> None:
            # Each page's blocks are dropped once found, as a build does with a page's text.
            for text in texts:
                extractor.extract(text)

        return lambda: timed(run)

    # Frozen, the corpora this process holds are not rescanned by each garbage collection, so a
    # pass costs the same however many pages the benchmark keeps in memory.
    gc.collect()
    gc.freeze()
    try:
        return [Summary.of(s) for s in alternate([one_pass(e) for e in extractors], runs)]
    finally:
        gc.unfreeze()


def bench_extraction(pages: list[Page], runs: int) -> list[Result]:
    """Time each extractor over all `pages` and judge its findings against the corpus."""
    texts = [page.text for page in pages]
    times = time_extractors(pages, runs)
    known = [block for page in pages for block in page.blocks]
    commands = {_normal(block.code): block.context for block in known if block.runnable}
    results = []
    for extractor, time in zip(EXTRACTORS, times, strict=True):
        readings = [extractor.read(text) for text in texts]
        seen = {_normal(code) for r in readings for code in r.blocks}
        ran = [_normal(code) for r in readings for code in r.runs]
        ran_set = set(ran)
        results.append(
            Result(
                name=extractor.name,
                time=time,
                blocks=sum(len(r.blocks) for r in readings),
                shell=sum(len(r.shell) for r in readings),
                runs=len(ran),
                missed=Counter(ctx for code, ctx in commands.items() if code not in ran_set),
                unseen=Counter(ctx for code, ctx in commands.items() if code not in seen),
                wrong_runs=sum(1 for code in ran if code not in commands),
            )
        )
    return results
