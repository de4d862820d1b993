"""Under Zensical, Material's successor: `zensical build && runbook export site` gives the site.

Zensical reads `mkdocs.yml` but skips the runbook plugin, and runs the macros itself, inside
the Markdown render. So the scripts, downloads and manifest come from `runbook export`, which
also puts each page's script box into its HTML, and `runbook.adapters.macros`, listed as a
Markdown extension, keeps code out of Zensical's Jinja.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from browser import Browsing, serve
from helpers import CHAPTER, PROJECT, TITLE, command, page, run_program

CODE_PAGE = page(
    "Prose: {{ 1 + 1 }}.",
    command("a=(x y); echo \"${#a[@]} {{ x }}\" '{% raw %}'"),
    heading="Code stays code",
)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project's site sources, with one more page of template syntax in code."""
    root = tmp_path_factory.mktemp("zensical")
    for name in ("docs", "overrides", "states"):
        shutil.copytree(PROJECT / name, root / name)
    config = (PROJECT / "mkdocs.yml").read_text(encoding="utf-8")
    (root / "mkdocs.yml").write_text(config + "not_in_nav: /code.md\n", encoding="utf-8")
    (root / "plugins").mkdir()  # watched by `mkdocs serve`; the plugin itself is installed
    (root / "docs" / "code.md").write_text(CODE_PAGE, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def zensical_site(project: Path) -> Path:
    """The copy built by Zensical, strictly, then given its scripts by `runbook export`."""
    built = run_program("zensical", "build", "--strict", "--clean", cwd=project)
    assert built.returncode == 0, built.stdout + built.stderr
    exported = run_program("runbook", "export", "site", cwd=project)
    assert exported.returncode == 0, exported.stderr
    return project / "site"


@pytest.fixture(scope="module")
def mkdocs_site(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same copy built by MkDocs, the reference."""
    site = tmp_path_factory.mktemp("mkdocs-site")
    built = run_program("mkdocs", "build", "--strict", "--site-dir", str(site), cwd=project)
    assert built.returncode == 0, built.stderr
    return site


def published(site: Path) -> dict[str, bytes]:
    return {
        path.relative_to(site).as_posix(): path.read_bytes()
        for path in (site / "runbooks").rglob("*")
        if path.is_file()
    }


def test_export_publishes_what_mkdocs_build_publishes(
    zensical_site: Path, mkdocs_site: Path
) -> None:
    """`runbook export` writes the same scripts, downloads and manifest, byte for byte."""
    exported = published(zensical_site)
    assert exported == published(mkdocs_site)
    assert {"runbooks/chapter-6.bundle", "runbooks/manifest.json"} <= exported.keys()
    assert os.access(zensical_site / "runbooks" / CHAPTER.replace(".md", ".sh"), os.X_OK)


def test_the_chapter_keeps_its_features(zensical_site: Path) -> None:
    """The chapter has its tabs with icons, its collapsible section, diagram and commands."""
    html = (zensical_site / CHAPTER.removesuffix(".md") / "index.html").read_text("utf-8")
    assert html.count('class="tabbed-set tabbed-alternate"') == 1
    assert '<details class="info">' in html
    assert '<pre class="mermaid"><code>flowchart LR' in html
    assert "mermaid.min.js" in html
    assert html.count(f'<span class="filename">{TITLE}</span>') == 4
    assert html.count('<section class="runbook-scriptbox"') == 1  # put in by `runbook export`
    # Zensical names its search dialog itself: overrides/main.html adds no second name.
    assert html.count('role="dialog" aria-label="Search">') == 1


def script_box(html: str) -> str:
    boxes = re.findall(r'<section class="runbook-scriptbox".*?</section>', html, re.S)
    assert len(boxes) == 1, f"{len(boxes)} script boxes"
    return boxes[0]


def test_export_puts_the_box_mkdocs_puts_under_the_title(
    zensical_site: Path, mkdocs_site: Path, tmp_path: Path
) -> None:
    """Each page with scripts gets, right after its H1, the box MkDocs gives it, and a link to
    its stylesheet; exporting again changes nothing (one box, one link)."""
    name = CHAPTER.removesuffix(".md") + "/index.html"
    html = (zensical_site / name).read_text(encoding="utf-8")
    assert script_box(html) == script_box((mkdocs_site / name).read_text(encoding="utf-8"))
    assert re.search(r"</h1>\s*<section class=\"runbook-scriptbox\"", html)
    assert html.count('<link rel="stylesheet" href="../runbooks/scriptbox.css">') == 1
    assert "runbook-scriptbox" not in (zensical_site / "index.html").read_text(encoding="utf-8")
    copy = tmp_path / "again"
    shutil.copytree(zensical_site, copy)
    again = run_program("runbook", "export", str(copy), cwd=zensical_site.parent)
    assert again.returncode == 0, again.stderr
    assert (copy / name).read_text(encoding="utf-8") == html


def test_macros_render_prose_and_leave_code(zensical_site: Path) -> None:
    """Zensical's macros render prose; `runbook.adapters.macros` keeps the code verbatim."""
    html = (zensical_site / "code" / "index.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", html)
    assert "Prose: 2." in text
    assert "a=(x y); echo \"${#a[@]} {{ x }}\" '{% raw %}'" in text.replace("&quot;", '"').replace(
        "&#39;", "'"
    )
    assert "A guide to MLOps" in (zensical_site / "index.html").read_text(encoding="utf-8")


def site_copy(site: Path, tmp_path: Path) -> Path:
    """A copy of a built site, without the files `runbook export` writes."""
    copy = tmp_path / "site"
    shutil.copytree(site, copy)
    shutil.rmtree(copy / "runbooks")
    return copy


def test_export_refuses_a_site_that_shows_other_commands(
    project: Path, zensical_site: Path, tmp_path: Path
) -> None:
    """If the built site shows a command the script does not hold, export writes nothing."""
    copy = site_copy(zensical_site, tmp_path)
    chapter = copy / CHAPTER.removesuffix(".md") / "index.html"
    chapter.write_text(chapter.read_text("utf-8").replace("main", "master"), "utf-8")
    exported = run_program("runbook", "export", str(copy), cwd=project)
    assert exported.returncode == 2
    assert f"{CHAPTER}:" in exported.stderr
    assert "the rendered page does not show it" in exported.stderr
    assert not (copy / "runbooks").exists()


@pytest.fixture
def browsing(zensical_site: Path, browser: Browser) -> Iterator[tuple[Browsing, str]]:
    with serve(zensical_site) as url:
        browsing = Browsing(browser)
        yield browsing, url
        browsing.close()


@pytest.mark.browser
def test_readers_get_the_download_links_and_the_diagram(
    browsing: tuple[Browsing, str], mkdocs_site: Path
) -> None:
    """In a browser, the Zensical chapter draws its diagram and offers both scripts, which
    download as the MkDocs site publishes them; nothing else is fetched, nothing fails."""
    browse, url = browsing
    chapter = browse.open(url + CHAPTER.removesuffix(".md") + "/")
    links = chapter.locator("a.runbook-scriptbox__link")
    expect(links).to_have_count(2)
    expect(chapter.locator("div.mermaid svg")).to_be_visible()
    for index, name in enumerate(["", "-take-over"]):
        with chapter.expect_download() as download:
            links.nth(index).click()
        script = CHAPTER.removesuffix(".md") + name + ".sh"
        assert download.value.suggested_filename == script
        expected = (mkdocs_site / "runbooks" / script).read_bytes()
        assert Path(download.value.path()).read_bytes() == expected
    assert browse.outside == []
    assert browse.errors == []


def test_export_refuses_a_command_on_a_page_without_steps(
    project: Path, zensical_site: Path, tmp_path: Path
) -> None:
    """A page with no steps must show no command either: one it shows is an error too."""
    copy = site_copy(zensical_site, tmp_path)
    chapter = (copy / CHAPTER.removesuffix(".md") / "index.html").read_text("utf-8")
    block = re.search(r'<div class="language-sh highlight">.*?</code></pre></div>', chapter, re.S)
    assert block is not None
    home = copy / "index.html"
    home.write_text(home.read_text("utf-8").replace("</article>", block[0] + "</article>"), "utf-8")
    exported = run_program("runbook", "export", str(copy), cwd=project)
    assert exported.returncode == 2
    assert "index.md:1: the rendered page shows a command block the script does not hold" in (
        exported.stderr
    )
    assert not (copy / "runbooks").exists()


def test_export_reads_attributes_as_browsers_do(
    project: Path, zensical_site: Path, tmp_path: Path
) -> None:
    """A command block added by hand, its attributes in single quotes, after another attribute,
    is a command block to `runbook export` as it is to a reader: the export writes nothing."""
    copy = site_copy(zensical_site, tmp_path)
    home = copy / "index.html"
    block = (
        f"<div data-x='1' class='language-sh highlight'><span data-x=\"1\" class=\"filename\">"
        f"{TITLE}</span><pre><code>touch by-hand</code></pre></div>"
    )
    home.write_text(home.read_text("utf-8").replace("</article>", block + "</article>"), "utf-8")
    exported = run_program("runbook", "export", str(copy), cwd=project)
    assert exported.returncode == 2
    assert "index.md:1: the rendered page shows a command block the script does not hold" in (
        exported.stderr
    )
    assert not (copy / "runbooks").exists()
