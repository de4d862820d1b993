"""`python -m benchmarks`: every section measured, and a ratio and a verdict for each target."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from helpers import PROJECT

pytestmark = pytest.mark.replay

SECTIONS = ("### Builds", "### Scaling", "### Block extraction", "### Replays", "### Tests")
TARGETS = (
    "In-build cost, real docs",
    "In-build cost, guide-shaped corpus",
    "In-build cost, generated corpus",
    "Peak memory, real docs, enabled ÷ disabled",
    "Peak memory, guide-shaped corpus, enabled ÷ disabled",
    "Peak memory, generated corpus, enabled ÷ disabled",
    "Blocks/s (best pass), runbook ÷ pytest-codeblocks",
    "Blocks/s (best pass), runbook ÷ mktestdocs",
    "Replay of the chapter",
    "Chain of",
    "Last of 5 kept pages, edited, ÷ that page alone",
    "Peak memory of a replay, step printing",
)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The report of a smoke run: every section, on the smallest sizes (the peers it times
    come with the test extras)."""
    output = tmp_path_factory.mktemp("benchmarks") / "report.md"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--output", str(output)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == output.read_text(encoding="utf-8")
    return done.stdout


def test_the_report_describes_the_machine_and_has_every_section(report: str) -> None:
    """The report says what it ran on, and has a section for each kind of measure."""
    assert re.search(r"^Machine: .*\d+ cores, .* GiB RAM, .*Python 3\.\d+.*mkdocs ", report, re.M)
    assert "load average" in report
    for section in SECTIONS:
        assert f"\n{section}" in report


@pytest.mark.parametrize("target", TARGETS)
def test_each_target_has_a_ratio_and_a_verdict(report: str, target: str) -> None:
    """Each target's row gives the measured ratio, the target, and whether it was met."""
    rows = [line for line in report.splitlines() if line.startswith(f"| {target}")]
    assert len(rows) == 1, rows
    assert re.search(r"\| \d+\.\d{3} \| [≤>] \d[.\d]* \| (met|missed) \|$", rows[0]), rows[0]


def test_the_smoke_run_names_the_test_runs_it_leaves_out(report: str) -> None:
    """The smoke run is itself a test: it does not time the tests, and says so."""
    left = r"^Not run in smoke mode: `pytest -k [\w-]+`, .*`pytest -n auto`"
    assert re.search(left, report, re.M)
    assert "| Tests:" not in report


def test_runbook_runs_every_command_of_the_corpus_and_the_peers_none(report: str) -> None:
    """Every command of the corpus is titled, as the guide's are: runbook runs each of them,
    the peers, which skip titled blocks, none."""
    found = dict(
        re.findall(r"^\| (\S+) `[^`]+` \| [\d,]+ \| [\d,]+ \| (\d+ of \d+) \|", report, re.M)
    )
    assert set(found) == {"runbook", "pytest-codeblocks", "mktestdocs"}, found
    run, total = found["runbook"].split(" of ")
    assert run == total != "0"
    assert found["pytest-codeblocks"] == found["mktestdocs"] == f"0 of {total}"


def test_the_readme_options_exist() -> None:
    """`--quick` and `--output`, which the README shows, are the benchmark's options."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--help"], cwd=PROJECT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "--quick" in done.stdout
    assert "--output" in done.stdout
