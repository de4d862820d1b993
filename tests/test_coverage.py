"""The coverage page: every page, its steps, variants, skipped steps and last replays."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from test_site import visible_text

from helpers import command, mkdocs_yml, page
from runbook.adapters.results import script_digest

PAGES = {
    "index.md": "# Home\n\nNo commands here.\n",
    "tabs.md": page(
        command("echo first"),
        '<!-- runbook: skip="needs a browser login" -->\n' + command("gh auth login"),
        '=== ":simple-github: GitHub"\n\n' + command("echo github", indent="    "),
        '=== ":simple-gitlab: GitLab"\n\n' + command("echo gitlab", indent="    "),
        heading="Tabs",
    ),
    "coverage.md": "# Coverage\n\n{{ runbook_coverage() }}\n",
}
PLUGINS = """\
plugins:
  - macros:
      modules: [runbook.adapters.macros]
      on_undefined: strict
  - runbook
"""


def coverage(site: Path) -> str:
    html = (site / "coverage" / "index.html").read_text(encoding="utf-8")
    article = re.search(r"<article[^>]*>(.*?)</article>", html, re.S)
    assert article is not None
    return " ".join(visible_text(article[1].replace("<br>", " ")).split())


def test_the_coverage_page_lists_every_page_and_its_last_replays(
    make_site: Callable[..., Path], tmp_path: Path
) -> None:
    """A row per page with commands: steps, variants, skipped steps with their reasons, and the
    last replay of each script, shown only for the script the build publishes; then the pages
    without commands."""
    config = mkdocs_yml(PLUGINS)
    site = make_site(PAGES, config=config)
    text = coverage(site)
    assert "3 pages, 1 with commands. Their 2 scripts: 0 replayed and passed, 0 failed, 2 not" in (
        text
    )
    assert "tabs 4 GitHub, GitLab tabs.md:8: needs a browser login" in text
    assert "GitHub: not yet replayed GitLab: not yet replayed" in text
    assert "Pages without commands: coverage, index." in text

    github = (site / "runbooks" / "tabs-github.sh").read_text(encoding="utf-8")
    cache = tmp_path / ".cache" / "plugin" / "runbook"
    cache.mkdir(parents=True)
    result = {
        "page": "tabs.md",
        "variant": "GitHub",
        "take_over": False,
        "outcome": "passed",
        "time": "2026-12-07T16:35:02Z",
        "script": script_digest(github),
    }
    stale = {**result, "variant": "GitLab", "script": script_digest("echo before\n")}
    (cache / "results.json").write_text(json.dumps({"format": 1, "results": [result, stale]}))
    text = coverage(make_site(PAGES, config=config))
    assert "Their 2 scripts: 1 replayed and passed, 0 failed, 1 not yet replayed." in text
    assert "GitHub: passed, 7 Dec 2026, 16:35 UTC GitLab: not yet replayed" in text


def test_the_projects_coverage_page_lists_the_chapter(site: Path) -> None:
    """The site's own coverage page has the chapter's row, with both of its scripts."""
    text = coverage(site)
    assert re.search(
        r"move-the-ml-experiment-code-to-the-cloud 4 \(1 on the take-over path only\) one none "
        r"Script: (not yet replayed|passed, .*? UTC) Take over: (not yet replayed|passed, .*? UTC)",
        text,
    ), text
    assert "Pages without commands: benchmarks, coverage, how-these-pages-are-tested, index." in (
        text
    )
