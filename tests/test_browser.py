"""What readers see, checked in a real browser: the built chapter as Chromium shows it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from browser import Browsing, serve
from conftest import Guide
from helpers import CHAPTER, DOCS, PROJECT, TITLE

pytestmark = pytest.mark.browser

CHAPTER_PATH = CHAPTER.removesuffix(".md") + "/"
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or PROJECT / "screenshots")


@pytest.fixture(scope="session")
def site_url(site: Path) -> Iterator[str]:
    """The project's built site, served on loopback."""
    with serve(site) as url:
        yield url


@pytest.fixture
def browse(browser: Browser) -> Iterator[Browsing]:
    """Open pages for one test; fail it if a page reached another origin or logged an error."""
    browsing = Browsing(browser)
    yield browsing
    browsing.close()
    assert browsing.outside == [], "requests to another origin (blocked)"
    assert browsing.errors == [], "errors in the browser console"


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
def test_chapter_screenshot(
    browse: Browsing, site_url: str, device: str, width: int, height: int, scheme: str
) -> None:
    """The chapter fits the screen's width; its full-page screenshot is kept for people to see."""
    page = browse.open(site_url + CHAPTER_PATH, width=width, height=height)
    if scheme == "dark":
        page.get_by_title("Switch to dark mode").click()
        expect(page.locator("body")).to_have_attribute("data-md-color-scheme", "slate")
    expect(page.locator("div.mermaid svg")).to_be_visible()
    page.evaluate("document.fonts.ready.then(() => true)")
    # Wide content (the diagram, code) must scroll in its own box, not widen the page.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"chapter-{device}-{scheme}.png"
    page.screenshot(path=path, full_page=True, animations="disabled")
    assert path.read_bytes().startswith(b"\x89PNG")
