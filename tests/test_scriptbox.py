"""The script box: in each page's content, under its title, saying what its scripts are, and
when each one was last replayed, never more than the results file holds."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from mkdocs.exceptions import Abort
from test_site import visible_text, warnings

from helpers import CHAPTER, PROJECT, command, mkdocs_yml, page
from runbook.adapters.results import script_digest

BOX = re.compile(r'<section class="runbook-scriptbox".*?</section>', re.S)
TABBED = page(
    '=== ":simple-github: GitHub"\n\n' + command("echo github", indent="    "),
    '=== ":simple-gitlab: GitLab"\n\n' + command("echo gitlab", indent="    "),
    heading="Tabs",
)


def box_of(html: str) -> str:
    found = BOX.findall(html)
    assert len(found) == 1, f"{len(found)} script boxes"
    return found[0]


@pytest.fixture(scope="module")
def chapter(site: Path) -> str:
    return (site / CHAPTER.removesuffix(".md") / "index.html").read_text(encoding="utf-8")


def test_the_box_comes_right_after_the_title(chapter: str) -> None:
    """The box is part of the page's content, right after its H1, before the first section."""
    article = chapter.split('<article class="md-content__inner md-typeset">', 1)[1]
    title_end = article.index("</h1>") + len("</h1>")
    assert article[title_end:].startswith('<section class="runbook-scriptbox"')
    assert article.index("runbook-scriptbox") < article.index('id="introduction"')


def test_the_box_explains_itself_without_tooltips(chapter: str) -> None:
    """What the scripts are, where to run them, the variable to set, what "Take over" is and its
    download, and the folder beside the project: all in text, none in a title attribute."""
    box = box_of(chapter)
    text = " ".join(visible_text(box).split())
    assert "Run this page's commands as one script" in text
    assert "bash script of the command blocks below, in reading order" in text
    assert "run it with bash in your project's folder" in text
    assert "YOUR_GIT_REPOSITORY_URL (your git repository url)" in text
    assert "Take over if you start at this page: put chapter-6.bundle" in text
    assert 'href="../runbooks/chapter-6.bundle" download' in box
    assert "It also runs git clone <your git repository url> in ../teammate, next to" in text
    assert " title=" not in box


def test_the_boxs_icons_are_hidden_from_screen_readers(chapter: str) -> None:
    """Every icon of the box is aria-hidden and not focusable: the text beside it says it all."""
    icons = re.findall(r"<svg[^>]*>", box_of(chapter))
    assert len(icons) >= 3
    assert all('aria-hidden="true"' in icon and 'focusable="false"' in icon for icon in icons)


def test_the_box_has_its_stylesheet_and_no_script(site: Path, chapter: str) -> None:
    """The box's styles are a file the plugin publishes and links; no script draws the box."""
    assert '<link rel="stylesheet" href="../runbooks/scriptbox.css">' in chapter
    assert ".runbook-scriptbox" in (site / "runbooks" / "scriptbox.css").read_text("utf-8")
    assert not list(site.rglob("runbook*.js"))


OWN_MAIN = """\
{% extends "base.html" %}
{% block content %}<div class="the-guides-own">{{ page.content }}</div>{% endblock %}
"""


@pytest.mark.parametrize("theme", ["material-own-main", "mkdocs"])
def test_a_guide_with_its_own_templates_gets_the_box(
    make_site: Callable[..., Path], tmp_path: Path, theme: str
) -> None:
    """A guide whose `main.html` replaces the content block, or MkDocs' own theme, shows the
    box under the title all the same, styled by the published stylesheet."""
    templates = tmp_path / "templates"
    templates.mkdir()
    if theme != "mkdocs":
        (templates / "main.html").write_text(OWN_MAIN, encoding="utf-8")
    name = theme.split("-")[0]
    config = mkdocs_yml(
        "plugins:\n  - runbook\n", theme=f"{{name: {name}, custom_dir: {templates}}}"
    )
    site = make_site({"tabs.md": TABBED}, config=config)
    html = (site / "tabs" / "index.html").read_text(encoding="utf-8")
    assert re.search(r"</h1>\s*<section class=\"runbook-scriptbox\"", html)
    assert re.findall(r'class="runbook-scriptbox__link" href="\.\./runbooks/([^"]+)"', html) == [
        "tabs-github.sh",
        "tabs-gitlab.sh",
    ]
    assert re.search(r'<link [^>]*href="\.\./runbooks/scriptbox\.css"', html)
    if theme != "mkdocs":
        assert '<div class="the-guides-own"><h1' in html


def test_a_page_that_starts_after_another_says_where_to_run_its_script(
    make_site: Callable[..., Path],
) -> None:
    """A page whose replay starts where another's ends links that page from its box; a page
    that starts from nothing says to run the script where its first command would run."""
    pages = {
        "first.md": page(command("mkdir work && cd work")),
        "second.md": "---\nrunbook:\n  start: first.md\n---\n\n" + page(command("ls")),
    }
    site = make_site(pages, config=mkdocs_yml("plugins:\n  - runbook\n"))
    first = box_of((site / "first" / "index.html").read_text(encoding="utf-8"))
    second = box_of((site / "second" / "index.html").read_text(encoding="utf-8"))
    assert "in the folder where you would type the first command" in visible_text(first)
    assert 'It goes on from <a href="../first/">the page before</a>' in second
    assert "Take over" not in visible_text(second)


# Replay marks ---------------------------------------------------------------------------------


def results(*items: dict[str, object]) -> str:
    return json.dumps({"format": 1, "results": list(items)})


def replayed(script: str, variant: str, outcome: str = "passed") -> dict[str, object]:
    return {
        "page": "tabs.md",
        "variant": variant,
        "take_over": False,
        "outcome": outcome,
        "time": "2026-12-07T16:35:02Z",
        "script": script_digest(script),
    }


def marks(site: Path) -> list[str]:
    html = (site / "tabs" / "index.html").read_text(encoding="utf-8")
    found = re.findall(r'<span class="runbook-scriptbox__mark[^"]*">(.*?)</span>', box_of(html))
    return [" ".join(visible_text(mark).split()) for mark in found]


@pytest.fixture
def tabs_site(make_site: Callable[..., Path], tmp_path: Path) -> Callable[[str | None], Path]:
    """Build the tabbed page, with the given results file if any, named by the `results`
    option; a first build gives the scripts the results are about."""
    config = mkdocs_yml("plugins:\n  - runbook:\n      results: replays/results.json\n")

    def build(text: str | None) -> Path:
        if text is not None:
            (tmp_path / "replays").mkdir(exist_ok=True)
            (tmp_path / "replays" / "results.json").write_text(text, encoding="utf-8")
        return make_site({"tabs.md": TABBED}, config=config)

    return build


def scripts(site: Path) -> tuple[str, str]:
    folder = site / "runbooks"
    return tuple(  # type: ignore[return-value]
        (folder / f"tabs-{name}.sh").read_text(encoding="utf-8") for name in ("github", "gitlab")
    )


def test_without_results_no_script_is_said_to_be_replayed(
    tabs_site: Callable[[str | None], Path],
) -> None:
    """No results file: each script is "not yet replayed", and nothing claims a replay."""
    site = tabs_site(None)
    assert marks(site) == ["Not yet replayed.", "Not yet replayed."]
    assert "Replayed" not in (site / "tabs" / "index.html").read_text(encoding="utf-8")


def test_a_recorded_replay_of_the_published_script_is_shown(
    tabs_site: Callable[[str | None], Path],
) -> None:
    """A result whose digest is the published script's shows its time and outcome, for that
    variant only; a failure says so."""
    github, gitlab = scripts(tabs_site(None))
    site = tabs_site(results(replayed(github, "GitHub"), replayed(gitlab, "GitLab", "failed")))
    assert marks(site) == [
        "Replayed 7 Dec 2026, 16:35 UTC: every step passed.",
        "Replayed 7 Dec 2026, 16:35 UTC: it failed.",
    ]
    html = (site / "tabs" / "index.html").read_text(encoding="utf-8")
    assert '<time datetime="2026-12-07T16:35:02Z">' in html


def test_a_replay_of_another_script_is_not_shown(
    tabs_site: Callable[[str | None], Path],
) -> None:
    """A result of the same page and variant but another script (the page changed since, or
    another variant's) is no replay of what the build publishes."""
    github, gitlab = scripts(tabs_site(None))
    stale = replayed(github.replace("echo github", "echo before"), "GitHub")
    swapped = replayed(github, "GitLab")
    site = tabs_site(results(stale, swapped))
    assert marks(site) == ["Not yet replayed.", "Not yet replayed."]
    assert gitlab != github


@pytest.mark.parametrize(
    "text",
    ["{", json.dumps({"format": 2, "results": []}), results({"page": "tabs.md"})],
    ids=["broken", "other-format", "missing-keys"],
)
def test_an_unreadable_results_file_fails_the_strict_build(
    tabs_site: Callable[[str | None], Path],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    text: str,
) -> None:
    """A results file the build cannot read is a warning naming it, so `--strict` fails."""
    with pytest.raises(Abort):
        tabs_site(text)
    logged = warnings(caplog)
    assert any(
        f"{tmp_path / 'replays' / 'results.json'}: not a replay results file" in w for w in logged
    ), logged


def test_the_default_results_file_is_in_the_cache_dir(make_site: Callable[..., Path]) -> None:
    """With no `results` option, the build reads `results.json` in the plugin's `cache_dir`."""
    config = mkdocs_yml("plugins:\n  - runbook\n")
    first = make_site({"tabs.md": TABBED}, config=config)
    github, _ = scripts(first)
    folder = first.parent / ".cache" / "plugin" / "runbook"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(results(replayed(github, "GitHub")), encoding="utf-8")
    assert marks(make_site({"tabs.md": TABBED}, config=config)) == [
        "Replayed 7 Dec 2026, 16:35 UTC: every step passed.",
        "Not yet replayed.",
    ]


def test_the_project_keeps_its_results_out_of_git() -> None:
    """The results file is written by each test run, under `.cache/`, which git ignores."""
    assert ".cache/" in (PROJECT / ".gitignore").read_text(encoding="utf-8").splitlines()
