"""Replay results: the file a test run writes (under pytest-xdist too) and the build reads."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import build_site
from helpers import command, mkdocs_yml, page, write_site
from runbook.adapters.results import (
    Result,
    ResultsError,
    combine,
    read_results,
    record,
    script_digest,
    write_results,
)

pytest_plugins = ["pytester"]


def result(time: str, outcome: str = "passed", script: str = "a", **key: object) -> Result:
    fields: dict[str, object] = {"page": "p.md", "variant": "", "take_over": False, **key}
    return Result(outcome=outcome, time=time, script=script_digest(script), **fields)  # type: ignore[arg-type]


EARLY, LATE = "2026-01-01T00:00:05Z", "2026-01-01T00:00:09Z"


@pytest.mark.parametrize(
    ("runs", "expected"),
    [
        pytest.param([result(EARLY), result(LATE)], replace(result(LATE), runs=2), id="two-passes"),
        pytest.param(
            [result(LATE, "failed"), result(EARLY)],
            replace(result(LATE, "failed"), runs=2),
            id="a-failure-fails-the-script",
        ),
        pytest.param(
            [result(EARLY, "failed"), result(LATE, script="b")],
            result(LATE, script="b"),
            id="a-later-script-replaces-an-earlier",
        ),
    ],
)
def test_runs_of_one_script_make_one_result(runs: list[Result], expected: Result) -> None:
    """Runs of a script (each transport, each test) combine: failed if any failed, counted."""
    assert list(combine(runs).values()) == [expected]


def test_record_keeps_other_scripts_results_and_replaces_the_same(tmp_path: Path) -> None:
    """Recording puts new results in place of the same keys' and keeps the others; the file is
    written whole, with nothing left beside it."""
    path = tmp_path / "cache" / "results.json"
    other = result("2026-01-01T00:00:00Z", variant="GitLab")
    old = result("2026-01-01T00:00:00Z", "failed")
    write_results(path, combine([other, old]))
    new = result("2026-01-02T00:00:00Z")
    assert record(path, [new]) == {other.key: other, new.key: new}
    assert read_results(path) == {other.key: other, new.key: new}
    assert [p.name for p in path.parent.iterdir()] == ["results.json"]


def test_record_replaces_an_unreadable_file(tmp_path: Path) -> None:
    """A results file that cannot be read is no reason to lose a run's results."""
    path = tmp_path / "results.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ResultsError, match=re.escape(f"{path}: not a replay results file")):
        read_results(path)
    new = result("2026-01-02T00:00:00Z")
    record(path, [new])
    assert read_results(path) == {new.key: new}


def test_no_file_is_no_results(tmp_path: Path) -> None:
    assert read_results(tmp_path / "missing.json") == {}


# The pytest plugin, in a test run of its own -----------------------------------------------

PAGES = {
    "good.md": page(command("echo good")),
    "tabs.md": page(
        '=== "One"\n\n' + command("echo one", indent="    "),
        '=== "Two"\n\n' + command("false", indent="    "),
    ),
}
REPLAYS = """
import pytest

from runbook.adapters.site import load_site
from runbook.replaying.session import ReplaySession


@pytest.mark.parametrize(("page", "variant"), [("good.md", None), ("tabs.md", "One"),
                                               ("tabs.md", "Two")])
def test_replay(record_replay, tmp_path, page, variant):
    site = load_site("mkdocs.yml")
    readings = site.read(site.pages())
    session = ReplaySession(lambda p: readings[p].runbook, readings, site.settings)
    with session.replay(page, variant) as replayed:
        record_replay(replayed)
        assert replayed.ok


def test_without_a_replay():
    pass
"""


def test_a_test_run_records_its_replays_and_the_build_shows_them(
    pytester: pytest.Pytester,
) -> None:
    """Tests hand their replays to `record_replay`; at the end of the run, under pytest-xdist,
    the controller has the workers' results, and the results file holds each script's outcome
    and digest; the next build marks each script with it: passed, failed, as it ran."""
    config = mkdocs_yml("plugins:\n  - runbook:\n      results: out/results.json\n")
    write_site(pytester.path, PAGES, config)
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_replays=REPLAYS)
    outcome = pytester.runpytest_subprocess("-p", "runbook.adapters.pytest_plugin", "-n", "2")
    outcome.assert_outcomes(passed=3, failed=1)
    assert "2 workers" in outcome.stdout.str()
    data = json.loads((pytester.path / "out" / "results.json").read_text(encoding="utf-8"))
    site = build_site(pytester.path / "mkdocs.yml", pytester.path / "site")
    published = {
        path.name: script_digest(path.read_text(encoding="utf-8"))
        for path in (site / "runbooks").glob("*.sh")
    }
    names = {("good.md", ""): "good.sh", ("tabs.md", "One"): "tabs-one.sh"}
    names[("tabs.md", "Two")] = "tabs-two.sh"
    assert {
        (item["page"], item["variant"], item["take_over"]): (item["outcome"], item["script"])
        for item in data["results"]
    } == {
        ("good.md", "", False): ("passed", published["good.sh"]),
        ("tabs.md", "One", False): ("passed", published["tabs-one.sh"]),
        ("tabs.md", "Two", False): ("failed", published["tabs-two.sh"]),
    }
    tabs = (site / "tabs" / "index.html").read_text(encoding="utf-8")
    assert re.findall(r"every step passed|it failed|Not yet replayed", tabs) == [
        "every step passed",
        "it failed",
    ]


def test_a_test_run_without_replays_writes_no_file(pytester: pytest.Pytester) -> None:
    """No replay recorded, no results file: nothing is claimed."""
    write_site(pytester.path, PAGES, mkdocs_yml("plugins:\n  - runbook\n"))
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    pytester.runpytest_subprocess("-p", "runbook.adapters.pytest_plugin").assert_outcomes(passed=1)
    assert not (pytester.path / ".cache").exists()
