"""What readers see, checked in a real browser: the built chapter as Chromium shows it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from browser import Browsing, serve
from conftest import Guide
from helpers import CHAPTER, DOCS, PROJECT, TITLE, mkdocs_yml
from runbook.adapters.results import script_digest

pytestmark = pytest.mark.browser

CHAPTER_PATH = CHAPTER.removesuffix(".md") + "/"
CHAPTER_TITLE = "Move the ML experiment code to the cloud"
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or PROJECT / "screenshots")


@pytest.fixture
def chapter(browse: Browsing, site_url: str) -> Page:
    """The chapter, open at desktop width."""
    return browse.open(site_url + CHAPTER_PATH)


@pytest.mark.parametrize("name", sorted(p.name for p in DOCS.glob("*.md")))
def test_page_loads_without_errors_or_outside_requests(
    browse: Browsing, site_url: str, name: str
) -> None:
    """Each page loads, and settles, with nothing fetched from another origin and no error."""
    path = "" if name == "index.md" else name.removesuffix(".md") + "/"
    page = browse.open(site_url + path)
    # The search index, the sitemap and the search worker load after the `load` event.
    page.wait_for_load_state("networkidle")
    assert browse.outside == []
    assert browse.errors == []


def test_outside_requests_are_blocked_and_reported(browse: Browsing, site_url: str) -> None:
    """A request to another origin never leaves the browser, and the test hears of it."""
    page = browse.open(site_url)
    # Chromium logs the refusal on its own schedule: wait for it, so none arrives after the test.
    with page.expect_console_message(lambda message: message.type == "error") as logged:
        outcome = page.evaluate("fetch('http://outside.invalid/').then(() => 'sent', () => 'no')")
    assert outcome == "no"
    assert "ERR_BLOCKED_BY_CLIENT" in logged.value.text
    assert browse.outside == ["http://outside.invalid/"]
    # Seen and expected here: clear them so the fixture's own check passes.
    browse.outside.clear()
    browse.errors.clear()


def test_mermaid_diagram_renders_as_svg(browse: Browsing, chapter: Page) -> None:
    """The diagram is drawn as an SVG flowchart holding its labels, with no syntax error."""
    diagram = chapter.locator("div.mermaid svg")
    expect(diagram).to_be_visible()
    labels = set(chapter.locator("div.mermaid :is(.nodeLabel, .cluster-label)").all_inner_texts())
    assert {"S3 Storage", "Git Remote"} <= labels
    # Mermaid 11 throws on a source it cannot parse (an uncaught error, no SVG); older versions
    # drew an error diagram instead, whose role is "error" and text "Syntax error in text".
    assert browse.errors == []
    expect(diagram).to_have_attribute("aria-roledescription", re.compile(r"^flowchart"))
    assert "Syntax error" not in (diagram.text_content() or "")


def test_gitlab_tab_shows_its_content_and_hides_github(chapter: Page) -> None:
    """Clicking the GitLab tab shows the GitLab instructions in place of GitHub's."""
    github = chapter.get_by_text("Create a new GitHub repository")
    gitlab = chapter.get_by_text("Create a new GitLab blank project")
    expect(github).to_be_visible()
    expect(gitlab).to_be_hidden()
    chapter.locator(".tabbed-labels label", has_text="GitLab").click()
    expect(gitlab).to_be_visible()
    expect(github).to_be_hidden()


def _tab_set(name: str) -> str:
    return (
        f'=== ":simple-github: GitHub"\n\n    {name}, GitHub.\n\n'
        f'=== ":simple-gitlab: GitLab"\n\n    {name}, GitLab.\n\n'
    )


def test_linked_tabs_follow_the_readers_choice(
    browse: Browsing, make_site: Callable[..., Path]
) -> None:
    """Picking GitLab in one tab set picks it in the page's other set and on the next page."""
    # Adjacent `===` blocks would merge into one set: a paragraph keeps the two sets apart.
    two_sets = f"# Two sets\n\n{_tab_set('First set')}Between.\n\n{_tab_set('Second set')}"
    site = make_site({"index.md": two_sets, "next.md": f"# Next\n\n{_tab_set('Next page')}"})
    with serve(site) as url:
        page = browse.open(url)
        expect(page.locator(".tabbed-set")).to_have_count(2)
        expect(page.get_by_text("Second set, GitHub.")).to_be_visible()
        first_set = page.locator(".tabbed-set").first
        first_set.locator(".tabbed-labels label", has_text="GitLab").click()
        expect(page.get_by_text("First set, GitLab.")).to_be_visible()
        expect(page.get_by_text("Second set, GitLab.")).to_be_visible()
        expect(page.get_by_text("Second set, GitHub.")).to_be_hidden()

        page.goto(url + "next/")
        expect(page.get_by_text("Next page, GitLab.")).to_be_visible()
        expect(page.get_by_text("Next page, GitHub.")).to_be_hidden()


def test_collapsible_admonition_opens_and_closes(chapter: Page) -> None:
    """The `??? info` section starts closed and opens and closes on a click on its title."""
    details = chapter.locator("details.info")
    summary = details.locator("summary")
    body = details.get_by_text("a small stand-in of the experiment")
    expect(details).not_to_have_attribute("open", "")
    expect(body).to_be_hidden()
    summary.click()
    expect(details).to_have_attribute("open", "")
    expect(body).to_be_visible()
    summary.click()
    expect(details).not_to_have_attribute("open", "")
    expect(body).to_be_hidden()


def test_copy_button_copies_each_command_block(chapter: Page, docs: Guide) -> None:
    """Each command block's copy button copies exactly the block's code from the page source."""
    expected = [step.code for step in docs.runbook(CHAPTER).steps]
    chapter.locator("details.info summary").click()  # the take-over steps are in there
    blocks = chapter.locator(".highlight").filter(has=chapter.locator(".filename", has_text=TITLE))
    expect(blocks).to_have_count(len(expected))
    assert expected, "the chapter has command blocks"
    for block, code in zip(blocks.all(), expected, strict=True):
        chapter.evaluate("navigator.clipboard.writeText('')")
        block.hover()
        block.get_by_title("Copy to clipboard").click()
        copied = chapter.evaluate("navigator.clipboard.readText()")
        assert copied == code
        assert copied == (block.locator("code").text_content() or "").rstrip("\n")


@pytest.mark.parametrize("take_over", [False, True], ids=["script", "take-over-script"])
def test_download_links_return_the_cli_scripts(chapter: Page, take_over: bool) -> None:
    """Each of the page's download links saves exactly the script `runbook script` prints."""
    cli = subprocess.run(
        [sys.executable, "-m", "runbook", "script", f"docs/{CHAPTER}"]
        + (["--take-over"] if take_over else []),
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    )
    with chapter.expect_download() as download:
        chapter.locator("a.runbook-scriptbox__link").nth(int(take_over)).click()
    stem = CHAPTER.removesuffix(".md") + ("-take-over" if take_over else "")
    assert download.value.suggested_filename == f"{stem}.sh"
    assert Path(download.value.path()).read_text(encoding="utf-8") == cli.stdout


@pytest.mark.parametrize("where", ["details.info", "section.runbook-scriptbox"])
def test_take_over_download_is_the_repository_of_chapter_6(
    chapter: Page, site: Path, where: str
) -> None:
    """The take-over section's link, and the script box's, download the published bundle,
    byte for byte."""
    chapter.locator("details.info summary").click()
    with chapter.expect_download() as download:
        chapter.locator(where).get_by_role("link", name="chapter-6.bundle").click()
    published = (site / "runbooks" / "chapter-6.bundle").read_bytes()
    assert Path(download.value.path()).read_bytes() == published


def test_palette_toggle_switches_to_dark_and_back(chapter: Page) -> None:
    """The header toggle switches light to dark (kept across a reload) and back to light."""
    body = chapter.locator("body")
    expect(body).to_have_attribute("data-md-color-scheme", "default")
    chapter.get_by_title("Switch to dark mode").click()
    expect(body).to_have_attribute("data-md-color-scheme", "slate")
    chapter.reload()
    expect(body).to_have_attribute("data-md-color-scheme", "slate")
    chapter.get_by_title("Switch to light mode").click()
    expect(body).to_have_attribute("data-md-color-scheme", "default")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(
    ("device", "width", "height"), [("desktop", 1280, 800), ("phone", 390, 844)]
)
# Named by what they show, not by the chapter's path: screenshots are for people to look at, and
# an author's `pytest -k PAGE` need not take them.
@pytest.mark.parametrize(
    ("name", "path"), [("chapter", CHAPTER_PATH), ("home", "")], ids=["chapter", "home"]
)
def test_screenshot(
    browse: Browsing,
    site_url: str,
    name: str,
    path: str,
    device: str,
    width: int,
    height: int,
    scheme: str,
) -> None:
    """The page fits the screen's width; its full-page screenshot is kept for people to see."""
    page = browse.open(site_url + path, width=width, height=height)
    if scheme == "dark":
        page.get_by_title("Switch to dark mode").click()
        expect(page.locator("body")).to_have_attribute("data-md-color-scheme", "slate")
    if name == "chapter":
        expect(page.locator("div.mermaid svg")).to_be_visible()
    page.evaluate("document.fonts.ready.then(() => true)")
    # Wide content (the diagram, code) must scroll in its own box, not widen the page.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / f"{name}-{device}-{scheme}.png"
    page.screenshot(path=shot, full_page=True, animations="disabled")
    assert shot.read_bytes().startswith(b"\x89PNG")


NAV = """
[...document.querySelectorAll('.md-nav--primary > .md-nav__list > .md-nav__item')].map((item) => [
  item.querySelector('.md-nav__link').textContent.trim(),
  [...item.querySelectorAll(':scope > nav > ul > li > a.md-nav__link')].map(
    (link) => link.textContent.trim()),
])
"""


def test_author_pages_are_a_section_of_their_own_after_the_chapter(
    browse: Browsing, site_url: str
) -> None:
    """The navigation lists Home, the chapter, then *For authors* with the authors' pages; Home
    leads on to the chapter, and the chapter leads nowhere: no "Next" takes readers to the
    authors' pages."""
    page = browse.open(site_url)
    nav = [(name, pages) for name, pages in page.evaluate(NAV)]
    assert [name for name, _ in nav] == ["Home", CHAPTER_TITLE, "For authors"]
    assert nav[2][1] == ["How these pages are tested", "Test coverage", "What the checks cost"]
    next_link = page.locator(".md-footer__link--next")
    expect(next_link).to_be_visible()
    expect(next_link).to_have_attribute("aria-label", f"Next: {CHAPTER_TITLE}")
    page.goto(site_url + CHAPTER_PATH)
    expect(page.locator(".md-footer__link--next")).to_be_hidden()
    page.goto(site_url + "how-these-pages-are-tested/")
    expect(page.locator(".md-footer__link--next")).to_have_attribute(
        "aria-label", "Next: Test coverage"
    )


def test_home_names_the_guide_and_starts_the_reader(browse: Browsing, site_url: str) -> None:
    """The home page names the guide, its authors and the chapter, links the original and its
    source, and has one button, which opens the chapter."""
    page = browse.open(site_url, width=390, height=844)
    expect(page.locator("h1")).to_have_text(re.compile(r"One chapter of A guide to MLOps"))
    intro = page.locator("article p").first
    expect(intro).to_contain_text(f"chapter 7, {CHAPTER_TITLE}, of A guide to MLOps")
    expect(intro).to_contain_text("by the Swiss AI Center")
    guide = intro.get_by_role("link", name="A guide to MLOps")
    expect(guide).to_have_attribute("href", "https://mlops.swiss-ai-center.ch/")
    source = intro.get_by_role("link", name="GitHub")
    expect(source).to_have_attribute("href", "https://github.com/swiss-ai-center/a-guide-to-mlops")
    buttons = page.locator("article .md-button")
    expect(buttons).to_have_count(1)
    expect(buttons).to_have_text(f"Start chapter 7: {CHAPTER_TITLE}")
    buttons.click()
    expect(page.locator("h1")).to_have_text(re.compile(f"Chapter 7: {CHAPTER_TITLE}"))


MARKED = "# Marked\n\n" + (
    '```sh title="Execute the following command(s) in a terminal"\necho marked\n```\n'
)


def test_the_replayed_mark_shows_only_with_a_results_file(
    browse: Browsing, make_site: Callable[..., Path], tmp_path: Path
) -> None:
    """Without a results file the box says the script was not yet replayed; with one that
    recorded a replay of this very script, it shows when, and that every step passed."""
    config = mkdocs_yml("plugins:\n  - runbook\n")
    site = make_site({"marked.md": MARKED}, config=config)
    with serve(site) as url:
        page = browse.open(url + "marked/")
        mark = page.locator(".runbook-scriptbox__mark")
        expect(mark).to_have_text("Not yet replayed.")
        expect(page.get_by_text(re.compile("^Replayed"))).to_have_count(0)
    script = (site / "runbooks" / "marked.sh").read_text(encoding="utf-8")
    result = {"page": "marked.md", "variant": "", "take_over": False, "outcome": "passed"}
    result |= {"time": "2026-12-07T16:35:02Z", "script": script_digest(script)}
    cache = tmp_path / ".cache" / "plugin" / "runbook"
    cache.mkdir(parents=True)
    (cache / "results.json").write_text(json.dumps({"format": 1, "results": [result]}), "utf-8")
    site = make_site({"marked.md": MARKED}, config=config)
    with serve(site) as url:
        page = browse.open(url + "marked/")
        mark = page.locator(".runbook-scriptbox__mark")
        expect(mark).to_have_text("Replayed 7 Dec 2026, 16:35 UTC: every step passed.")
        expect(mark.locator("svg")).to_have_attribute("aria-hidden", "true")
