"""Every step a page runs is a block its reader sees, in Chromium: on every page of the docs,
once the step's tabs are selected and its collapsible sections opened.

The build refuses a step that the HTML itself hides (see `reading/hidden.py`); what a style
sheet or a script hides, only a browser knows. So the rules the build follows are checked
against Chromium too, case by case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from browser import Browsing, serve
from conftest import Guide
from helpers import DOCS, command, mkdocs_yml, page
from runbook.reading.hidden import concealed, visible
from runbook.reading.selection import Selection

pytestmark = pytest.mark.browser

# Each code block of the page, with its language, title and first line.
_BLOCKS = """() => [...document.querySelectorAll("article .highlight")].map((block) => ({
  lang: [...block.classList].find((c) => c.startsWith("language-"))?.slice(9) ?? "",
  title: block.querySelector(".filename")?.textContent ?? null,
  code: block.querySelector("code")?.innerText ?? "",
}))"""

# Select each tab around the block, outer first, and open each collapsible section around it,
# as a reader would; then say whether a reader sees it: visible, not transparent, and on top
# where its code is, once scrolled to.
_REVEAL = """(block) => {
  const around = [];
  for (let node = block.parentElement; node; node = node.parentElement) around.unshift(node);
  for (const node of around) {
    if (node.matches("details")) node.open = true;
    if (node.matches(".tabbed-set > .tabbed-content > .tabbed-block")) {
      const blocks = [...node.parentElement.children].filter((c) => c.matches(".tabbed-block"));
      const labels = node.parentElement.parentElement.querySelectorAll(
        ":scope > .tabbed-labels > label");
      labels[blocks.indexOf(node)]?.click();
    }
  }
}"""
_SEEN = """(block) => {
  const options = {opacityProperty: true, visibilityProperty: true, contentVisibilityAuto: true};
  const code = block.querySelector("code") ?? block;
  if (!block.checkVisibility(options) || !code.checkVisibility(options)) return false;
  code.scrollIntoView({block: "center"});
  const box = code.getBoundingClientRect();
  if (box.width === 0 || box.height === 0) return false;
  const x = (Math.max(box.left, 0) + Math.min(box.right, innerWidth)) / 2;
  const y = (Math.max(box.top, 0) + Math.min(box.bottom, innerHeight)) / 2;
  const hit = document.elementFromPoint(x, y);
  return hit !== null && block.contains(hit);
}"""


def unseen_steps(page: Page, selection: Selection) -> tuple[int, list[str]]:
    """Return how many step blocks the page shows, and the first line of each one a reader
    cannot see once its tabs are selected and its sections opened."""
    blocks = page.locator("article .highlight")
    found = page.evaluate(_BLOCKS)
    steps = [
        index
        for index, block in enumerate(found)
        if selection.selects(block["lang"], block["title"])
    ]
    unseen = []
    for index in steps:
        block = blocks.nth(index)
        block.evaluate(_REVEAL)
        page.wait_for_timeout(50)  # Material links the other tab sets on the next tick
        if not block.evaluate(_SEEN):
            unseen.append(found[index]["code"].split("\n")[0])
    return len(steps), unseen


@pytest.fixture(scope="module")
def site_url(site: Path) -> Iterator[str]:
    """The project's built site, served on loopback."""
    with serve(site) as url:
        yield url


@pytest.mark.parametrize("name", sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")))
def test_every_step_is_visible_in_chromium(
    browse: Browsing, site_url: str, docs: Guide, name: str
) -> None:
    """Each step of each page is a block a reader sees, once its tab is selected and its
    collapsible section opened; the page shows no other block titled as a step."""
    steps = docs.runbook(name).steps
    file = docs.site.files.get_file_from_path(name)
    assert file is not None
    opened = browse.open(site_url + file.url)
    count, unseen = unseen_steps(opened, docs.site.plugin.selection)
    assert count == len(steps)
    assert unseen == []


def test_a_step_a_style_sheet_hides_is_found(
    browse: Browsing, make_site: Callable[..., Path]
) -> None:
    """What HTML cannot say, Chromium can: a step hidden by a style sheet builds, and the
    browser check names it; steps in a second tab and a closed section are revealed and seen."""
    text = page(
        command("touch shown"),
        '<div class="secret" markdown>\n\n' + command("touch hidden-by-css") + "\n</div>",
        '=== "GitHub"\n\n' + command("echo github", indent="    "),
        '=== "GitLab"\n\n'
        + '    ??? note "Closed"\n\n'
        + command("echo gitlab in a closed section", indent="        "),
    )
    pages: dict[str, str | bytes] = {
        "p.md": text,
        "secret.css": ".md-typeset .secret { display: none; }\n",
    }
    built = make_site(pages, mkdocs_yml(extra_css="[secret.css]"))
    with serve(built) as url:
        opened = browse.open(url + "p/")
        count, unseen = unseen_steps(opened, Selection())
    assert count == 4
    assert unseen == ["touch hidden-by-css"]


CASES = {
    "hidden-attribute": "<div hidden>{}</div>",
    "hidden-until-found": "<div hidden=until-found>{}</div>",
    "hidden-span-around-a-div": "<span hidden>{}</span>",
    "hidden-p-closed-by-the-block": "<p hidden>A note.\n{}",
    "hidden-li-closed-by-the-next": "<ul><li hidden>x<li>{}</ul>",
    "hidden-dd-closed-by-a-dt": "<dl><dd hidden>x<dt>{}</dl>",
    "hidden-p-in-a-closed-div": "<div><p hidden>x</div>{}",
    "hidden-td": "<table><tr><td hidden>{}</td></tr></table>",
    "display-none": "<div style='color: red; display: none'>{}</div>",
    "visibility-hidden": "<div style='visibility:hidden'>{}</div>",
    "content-visibility-hidden": "<div style='content-visibility: hidden'>{}</div>",
    "display-none-in-another-attribute": "<div title='display:none'>{}</div>",
    "dialog": "<dialog>{}</dialog>",
    "open-dialog": "<dialog open>{}</dialog>",
    "dialog-in-a-paragraph": "<p><dialog></p>{}<p></dialog></p>",
    "video": "<video>\n{}</video>",
    "video-in-a-paragraph": "<p><video></p>{}<p></video></p>",
    "audio": "<audio>\n{}</audio>",
    "canvas": "<canvas>{}</canvas>",
    "meter": "<meter>{}</meter>",
    "progress": "<progress>{}</progress>",
    "datalist": "<datalist>{}</datalist>",
    "select": "<select>{}</select>",
    "select-in-a-paragraph": "<p><select></p>{}<p></select></p>",
    "select-closed-before": "<select><option>x</select>{}",
    "select-closed-by-select": "<select><option>x<select>{}",
    "object-shows-its-fallback": "<object>{}</object>",
    "picture-shows-its-content": "<picture>{}</picture>",
    "formatting-element-opened-again": "<p><font hidden></p>{}",
    "formatting-element-closed-after": "<p><font hidden></p><p></font></p>{}",
    "formatting-element-closed": "<b hidden><p>x</p></b>{}",
    "formatting-element-around-a-div": "<p><b hidden>x{}",
    "span-closed-by-a-paragraph-end": "<p><span hidden></p>{}",
}
BLOCK = '<div id="block" class="language-sh highlight"><pre><code>echo x\n</code></pre></div>'


@pytest.mark.parametrize("html", list(CASES.values()), ids=list(CASES))
def test_html_rules_agree_with_chromium(browse: Browsing, html: str, tmp_path: Path) -> None:
    """The build's reading of what an element hides agrees with Chromium's rendering."""
    text = html.format(BLOCK)
    shown = visible(text).text
    at = shown.index('id="block"')
    hidden_by_rules = any(start <= at < end for start, end, _ in concealed(shown))
    (tmp_path / "index.html").write_text(
        f"<!doctype html><html><head><meta charset=utf-8></head><body>{text}</body></html>",
        encoding="utf-8",
    )
    with serve(tmp_path) as url:
        opened = browse.open(url)
        seen = opened.locator("#block").evaluate(_SEEN)
    assert hidden_by_rules == (not seen)
