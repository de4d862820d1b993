"""Every page, read in Chromium, light and dark, on a desktop and a phone: axe-core finds nothing
serious, and the custom parts (the script box, the diagram's figure, links) keep their contrast
in every state and answer the keyboard.

axe-core is vendored in `tests/vendor/axe-core/` (see the README to update it): the tests never
need the network. Material draws diagrams in closed shadow roots; the test browser opens them
(`browser.OPEN_SHADOW_ROOTS`), so axe checks the drawings too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from browser import Browsing, Scheme
from helpers import CHAPTER, DOCS, PROJECT

pytestmark = pytest.mark.browser

AXE = PROJECT / "tests" / "vendor" / "axe-core"
CHAPTER_PATH = CHAPTER.removesuffix(".md") + "/"
PAGES = sorted(path.name for path in DOCS.glob("*.md"))
# Each check runs in both colour schemes, on a desktop and a phone.
VIEWS = [
    pytest.param(("light", 1280, 800), id="desktop-light"),
    pytest.param(("dark", 1280, 800), id="desktop-dark"),
    pytest.param(("light", 390, 844), id="phone-light"),
    pytest.param(("dark", 390, 844), id="phone-dark"),
]
View = tuple[Scheme, int, int]

# The contrast of an element's text with what is behind it, as WCAG computes it: the colours of
# the element and of its ancestors' backgrounds, composited over the page's.
CONTRAST = """
(element, property) => {
  const parse = (text) => {
    const [r, g, b, a = 1] = text.match(/[\\d.]+/g).map(Number);
    return [r, g, b, a];
  };
  const over = (top, bottom) => [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3]));
  const layers = [];
  for (let node = element; node; node = node.parentElement) {
    const colour = parse(getComputedStyle(node).backgroundColor);
    if (colour[3] > 0) layers.push(colour);
    if (colour[3] === 1) break;
  }
  let back = [255, 255, 255];
  for (const layer of layers.reverse()) back = over(layer, back);
  const front = over(parse(getComputedStyle(element)[property]), back);
  const luminance = (colour) => {
    const [r, g, b] = colour.map((v) => {
      v /= 255;
      return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [light, dark] = [luminance(front), luminance(back)].sort((a, b) => b - a);
  return (light + 0.05) / (dark + 0.05);
}
"""


def contrast(element: Locator, property: str = "color") -> float:
    """The contrast ratio of the element's text (or `property`, a colour) with its background."""
    return element.evaluate(CONTRAST, property)


def open_page(browse: Browsing, url: str, width: int, height: int, scheme: Scheme) -> Page:
    """Open a page in that scheme and viewport, once its fonts and diagrams are ready."""
    page = browse.open(url, width=width, height=height, scheme=scheme)
    expect(page.locator("body")).to_have_attribute(
        "data-md-color-scheme", "slate" if scheme == "dark" else "default"
    )
    return ready(page)


def ready(page: Page) -> Page:
    if page.locator("pre.mermaid, div.mermaid").count():
        expect(page.locator("div.mermaid svg")).to_be_visible()
    page.evaluate("document.fonts.ready.then(() => true)")
    return page


@pytest.fixture(scope="session")
def site_pages(browser: Browser, site_url: str) -> Iterator[Callable[[str, View], Page]]:
    """The site's pages, each opened once per session (per xdist worker), then shown in the
    view a test asks for: its viewport, and its scheme, switched with the header's toggle as a
    reader switches it. Nothing is hovered, focused or scrolled when a test gets a page."""
    browsing = Browsing(browser)
    opened: dict[str, Page] = {}

    def show(path: str, view: View) -> Page:
        scheme, width, height = view
        if path not in opened:
            opened[path] = open_page(browsing, site_url + path, width, height, scheme)
        page = opened[path]
        page.set_viewport_size({"width": width, "height": height})
        body, wanted = page.locator("body"), "slate" if scheme == "dark" else "default"
        if body.get_attribute("data-md-color-scheme") != wanted:
            page.get_by_title(f"Switch to {scheme} mode").click()
            expect(body).to_have_attribute("data-md-color-scheme", wanted)
        page.mouse.move(0, 0)
        page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
        page.evaluate("for (const f of document.querySelectorAll('figure')) f.scrollLeft = 0")
        return ready(page)

    yield show
    browsing.close()
    assert (browsing.outside, browsing.errors) == ([], [])


def axe(page: Page) -> dict[str, Any]:
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=AXE / "axe.min.js")
    return page.evaluate("axe.run(document, {resultTypes: ['violations']})")


def serious(results: dict[str, Any]) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']}: {[n['target'] for n in v['nodes']]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture(params=VIEWS)
def view(request: pytest.FixtureRequest, site_pages: Callable[[str, View], Page]) -> Page:
    """The chapter, in each view."""
    return site_pages(CHAPTER_PATH, request.param)


def keyboard_focus(element: Locator) -> None:
    """Focus `element` as the keyboard does: browsers draw the focus ring (`:focus-visible`) for
    a focus that follows a key, not a click."""
    element.page.keyboard.press("Shift")
    element.focus()


def width_of(page: Page) -> int:
    return page.viewport_size["width"] if page.viewport_size else 0


@pytest.mark.parametrize("shown", VIEWS)
@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_nothing_serious(
    site_pages: Callable[[str, View], Page], name: str, shown: View
) -> None:
    """axe-core finds no serious or critical violation on the page, the theme included, and
    in the chapter its drawn diagram (in its shadow root) and its script box."""
    path = "" if name == "index.md" else name.removesuffix(".md") + "/"
    results = axe(site_pages(path, shown))
    assert results["testEngine"]["version"] == (AXE / "VERSION").read_text("utf-8").strip()
    assert serious(results) == []


def test_axe_reports_what_it_must(browse: Browsing, site_url: str) -> None:
    """The check can fail: text planted at 1.5:1 is a serious colour-contrast violation."""
    page = open_page(browse, site_url, 1280, 800, "light")
    page.evaluate(
        "document.querySelector('article').insertAdjacentHTML('beforeend', "
        "'<p style=\"color: #aaa; background: #fff\">Planted</p>')"
    )
    assert any(line.startswith("color-contrast (serious)") for line in serious(axe(page)))


# The script box ---------------------------------------------------------------------------


def test_the_script_box_is_readable_in_every_state(view: Page) -> None:
    """Every text of the box is at least 4.5:1; each link keeps 4.5:1 when the pointer is on
    it and when it has the keyboard's focus, which draws a ring of at least 3:1; the box fits
    the screen's width."""
    box = view.locator("section.runbook-scriptbox")
    texts = box.locator("p, li > span, code, a")
    assert texts.count() > 10
    ratios = {index: contrast(texts.nth(index)) for index in range(texts.count())}
    assert min(ratios.values()) >= 4.5, ratios
    links = box.locator("a.runbook-scriptbox__link")
    expect(links).to_have_count(2)
    for link in links.all():
        normal = contrast(link)
        link.hover()
        hovered = contrast(link)
        view.mouse.move(0, 0)
        keyboard_focus(link)
        focused, ring = contrast(link), contrast(link, "outlineColor")
        assert min(normal, hovered, focused) >= 4.5, (normal, hovered, focused)
        assert link.evaluate("(a) => getComputedStyle(a).outlineStyle") == "solid"
        assert ring >= 3, ring
    assert box.evaluate("(box) => box.getBoundingClientRect().right") <= width_of(view)
    assert view.evaluate("document.documentElement.scrollWidth") <= width_of(view)


def test_the_script_box_works_from_the_keyboard(browse: Browsing, site_url: str) -> None:
    """From the top of the page, Tab reaches the box's first link before any link of the
    chapter's text; Enter on it downloads the script."""
    page = open_page(browse, site_url + CHAPTER_PATH, 390, 844, "light")
    first = page.locator("a.runbook-scriptbox__link").first
    for _ in range(30):
        page.keyboard.press("Tab")
        if first.evaluate("(a) => a === document.activeElement"):
            break
        assert not page.evaluate("!!document.activeElement.closest('article p')")
    else:
        pytest.fail("Tab never reached the script box")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename == CHAPTER.replace(".md", ".sh")


# Links in the text ------------------------------------------------------------------------


def test_links_in_text_are_underlined_and_readable_in_every_state(view: Page) -> None:
    """A link in the chapter's text, in a tab, is underlined, and keeps 4.5:1 when the pointer
    is on it and when it has the focus."""
    link = view.locator(".tabbed-block a", has_text="https://github.com/new")
    assert "underline" in link.evaluate("(a) => getComputedStyle(a).textDecorationLine")
    normal = contrast(link)
    link.hover()
    hovered = contrast(link)
    view.mouse.move(0, 0)
    keyboard_focus(link)
    focused = contrast(link)
    assert min(normal, hovered, focused) >= 4.5, (normal, hovered, focused)


# The diagram ------------------------------------------------------------------------------

DIAGRAM_TEXT = """
(figure) => {
  const svg = figure.querySelector("div.mermaid").shadowRoot.querySelector("svg");
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  const sizes = [...svg.querySelectorAll(".nodeLabel, .edgeLabel, .cluster-label")]
    .filter((label) => label.textContent.trim())
    .map((label) => parseFloat(getComputedStyle(label).fontSize) * scale);
  return {smallest: Math.min(...sizes), count: sizes.length,
          title: svg.querySelector(":scope > title")?.textContent,
          description: svg.querySelector(":scope > desc")?.textContent};
}
"""


def test_the_diagram_is_readable_without_zooming(view: Page) -> None:
    """On a phone as on a desktop, the diagram's text is drawn at least 14 CSS px tall: the
    figure scrolls sideways (the page does not), takes the keyboard's focus with a visible ring
    and moves with the arrow keys, and gives screen readers a name and a description."""
    figure = view.get_by_role("figure", name=re.compile(r"^Where the experiment lives"))
    text = figure.evaluate(DIAGRAM_TEXT)
    assert text["count"] > 10
    assert text["smallest"] >= 14, text
    assert text["title"].startswith("Where the experiment lives at the end of this chapter.")
    assert "git push" in text["description"]
    expect(figure).to_have_attribute("aria-describedby", "diagram-description")
    assert view.evaluate("document.documentElement.scrollWidth") <= width_of(view)
    assert figure.evaluate("(f) => f.scrollWidth > f.clientWidth + 300")
    keyboard_focus(figure)
    assert figure.evaluate("(f) => f === document.activeElement")
    assert figure.evaluate("(f) => getComputedStyle(f).outlineStyle") == "solid"
    assert contrast(figure, "outlineColor") >= 3
    for _ in range(5):
        view.keyboard.press("ArrowRight")
    expect(figure).not_to_have_js_property("scrollLeft", 0)


def test_the_diagram_source_is_the_seeds(site: Path) -> None:
    """The diagram is drawn from the guide's own source: the figure around it adds a caption
    and a description, and takes nothing out."""
    html = (site / CHAPTER_PATH / "index.html").read_text(encoding="utf-8")
    figure = re.search(r'<figure [^>]*class="diagram".*?</figure>', html, re.S)
    assert figure is not None
    assert '<pre class="mermaid"><code>flowchart LR' in figure[0]
    assert "linkStyle 14 opacity:0.4" in figure[0]
