"""The built site: strict, complete, private, and publishing each page's commands."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest
from mkdocs.commands.build import build
from mkdocs.exceptions import Abort

from conftest import CHAPTER, DOCS, PROJECT, build_site, site_config
from runbook.__main__ import main as runbook_cli
from runbook.fences import find_fences
from runbook.plugin import RunbookPlugin

SEED = PROJECT.parent / "shared" / "seeds" / "000_5d985445816662ba.txt"
CHAPTER_HTML = CHAPTER.removesuffix(".md") + "/index.html"
COMMAND_TITLE = "Execute the following command(s) in a terminal"


class _Text(HTMLParser):
    """The text a reader sees: no comments, scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hidden += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "".join(parser.parts)


def code_text(block_html: str) -> str:
    """The text of a highlighted code block, as the copy button copies it."""
    return unescape(re.sub(r"<[^>]+>", "", block_html))


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The warnings (and worse) the build logged: each one fails `--strict`."""
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def failed_build(
    make_site: Callable[..., Path], caplog: pytest.LogCaptureFixture, pages: dict[str, str]
) -> list[str]:
    """Build `pages`, which must fail `--strict`; return the warnings that failed it."""
    with pytest.raises(Abort):
        make_site(pages)
    return warnings(caplog)


@pytest.fixture(scope="module")
def chapter(site: Path) -> str:
    return (site / CHAPTER_HTML).read_text(encoding="utf-8")


def test_strict_build_has_no_warnings(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """`mkdocs build --strict` of the project passes without a single warning."""
    build_site(tmp_path / "site")
    assert warnings(caplog) == []


def test_collapsible_admonition_is_details(chapter: str) -> None:
    """The take-over section is a closed <details> a reader can open."""
    details = re.search(r'<details class="info">\s*<summary>(.*?)</summary>', chapter, re.S)
    assert details is not None
    assert "take over from this chapter" in details[1]


def test_one_tab_set_labelled_with_icons(chapter: str) -> None:
    """GitHub and GitLab tabs form one set, each label an inline SVG icon and a name."""
    assert chapter.count('class="tabbed-set tabbed-alternate"') == 1
    labels = re.findall(r'<label for="__tabbed_1_\d">(.*?)</label>', chapter, re.S)
    assert [visible_text(label).strip() for label in labels] == ["GitHub", "GitLab"]
    assert all('<span class="twemoji"><svg' in label for label in labels)
    assert ":simple-" not in chapter


def test_mermaid_block_holds_the_diagram(chapter: str) -> None:
    """The diagram reaches the page as mermaid source, for the self-hosted mermaid to draw."""
    block = re.search(r'<pre class="mermaid"><code>(.*?)</code></pre>', chapter, re.S)
    assert block is not None
    source = unescape(block[1])
    assert source.startswith("flowchart LR")
    assert "s3_storage[(S3 Storage)]" in source
    assert "subgraph gitGraph[Git Remote]" in source


def test_command_blocks_keep_their_titles(chapter: str) -> None:
    """The three command blocks render with the guide's title above them."""
    titles = re.findall(r'<span class="filename">(.*?)</span>', chapter)
    assert titles == [COMMAND_TITLE] * 3


def test_todo_comment_is_invisible(chapter: str) -> None:
    """The `[//]: # "TODO"` line leaves nothing a reader can see."""
    assert "TODO" not in visible_text(chapter)
    assert "[//]" not in visible_text(chapter)


def test_chapter_keeps_the_seed_text() -> None:
    """The chapter is the seed's text plus invisible front matter and directives, nothing else."""
    if not SEED.exists():
        pytest.skip(f"the seed chapter is not beside this checkout ({SEED})")
    text = (DOCS / CHAPTER).read_text(encoding="utf-8")
    body = text.split("---\n", 2)[2].lstrip("\n")
    body = re.sub(r"^<!-- runbook:.*-->\n", "", body, flags=re.M)
    assert body == SEED.read_text(encoding="utf-8")


TEMPLATE_LIKE = """\
# Code stays code

Site: {{ config.site_name }}

```sh title="Execute the following command(s) in a terminal"
echo "{{ x }}" '{% raw %}' "${#a[@]}" {# not a comment #}
```

!!! note

    ```bash
    declare -a a=(1 2); echo "${#a[@]} {{ y }}{%- if z %}"
    ```
"""


def test_many_blocks_come_back_in_place(make_site: Callable[..., Path]) -> None:
    """A page with a dozen blocks gets each one back where it was, through Jinja."""
    page = "# Many\n\n" + "".join(f"```text\nblock {n} {{{{ n }}}}\n```\n\n" for n in range(12))
    html = (make_site({"index.md": page}) / "index.html").read_text(encoding="utf-8")
    blocks = [code_text(b) for b in re.findall(r"<code>(.*?)</code>", html, re.S)]
    assert blocks == [f"block {n} {{{{ n }}}}\n" for n in range(12)]
    assert "runbook" not in visible_text(html).lower()


# What may come before and after TEMPLATE_LIKE on a page, by what the code guard must get right.
AROUND_TEMPLATE_LIKE = {
    "plain": ("", ""),
    "front-matter": ("---\ntitle: Code stays code\n---\n\n\n", ""),
    # Once MkDocs has taken the front matter off, the body starts with a rule, not with more.
    "rules-after-front-matter": ("---\ntitle: Rules\n---\n\n---\n\n", "\n---\n"),
    "multimarkdown-meta": ("Title: Code stays code\n\n", ""),
}


def plugins_with_runbook(enabled: bool) -> list[object]:
    """The project's plugins, with the runbook plugin `enabled` or not."""
    return [
        "search",
        {"macros": {"modules": ["runbook.macros"]}},
        {"runbook": {"enabled": enabled}},
    ]


@pytest.mark.parametrize("enabled", [True, False], ids=["runbook-on", "runbook-off"])
@pytest.mark.parametrize("around", AROUND_TEMPLATE_LIKE.values(), ids=AROUND_TEMPLATE_LIKE)
def test_template_syntax_in_code_reaches_the_reader(
    make_site: Callable[..., Path], around: tuple[str, str], enabled: bool
) -> None:
    """Macros render the page, yet `{{ x }}`, `{% raw %}` and `${#a[@]}` in code stay verbatim.

    With the runbook plugin on, the guard takes the blocks the plugin found in the page's source;
    off, it finds them itself. Either way they are the blocks of the text Jinja renders, below
    any front matter.
    """
    before, after = around
    site = make_site(
        {"index.md": before + TEMPLATE_LIKE + after}, plugins=plugins_with_runbook(enabled)
    )
    html = (site / "index.html").read_text(encoding="utf-8")
    blocks = [code_text(b) for b in re.findall(r"<code>(.*?)</code>", html, re.S)]
    assert 'echo "{{ x }}" \'{% raw %}\' "${#a[@]}" {# not a comment #}\n' in blocks
    assert 'declare -a a=(1 2); echo "${#a[@]} {{ y }}{%- if z %}"\n' in blocks
    assert "Site: MLOps guide, tested" in visible_text(html)


@pytest.mark.parametrize("around", AROUND_TEMPLATE_LIKE.values(), ids=AROUND_TEMPLATE_LIKE)
def test_code_guard_takes_the_plugins_reading(tmp_path: Path, around: tuple[str, str]) -> None:
    """The runbook plugin hands the code guard the lines of the blocks it found in the source.

    They are counted in the Markdown MkDocs gives plugins, and are the blocks the guard would find
    there itself; for any other Markdown, the plugin has none to give.
    """
    docs = tmp_path / "docs"
    docs.mkdir()
    before, after = around
    (docs / "index.md").write_text(before + TEMPLATE_LIKE + after, encoding="utf-8")
    config = site_config(tmp_path / "site", docs, nav=["index.md"])
    build(config)
    plugin = config.plugins["runbook"]
    assert isinstance(plugin, RunbookPlugin)
    assert plugin.last_page is not None
    markdown = plugin.last_page.markdown
    expected = [(f.line, f.end) for f in find_fences(markdown, front_matter=False)]
    assert len(expected) == 2
    assert plugin.fence_lines(markdown) == expected
    assert plugin.fence_lines(markdown + "\nMore.\n") is None


def _external(url: str | None) -> bool:
    return bool(url) and re.match(r"(?:https?:)?//", url.strip(" \"'")) is not None


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.styles: list[str] = []
        self.in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "script" and attr.get("src"):
            self.urls.append(attr["src"] or "")
        if tag == "link" and attr.get("rel") in (
            "stylesheet",
            "preload",
            "modulepreload",
            "icon",
            "preconnect",
            "dns-prefetch",
        ):
            self.urls.append(attr.get("href") or "")
        if tag in ("img", "iframe", "source", "audio", "video") and attr.get("src"):
            self.urls.append(attr["src"] or "")
        if attr.get("style"):
            self.styles.append(attr["style"] or "")
        self.in_style = tag == "style"

    def handle_data(self, data: str) -> None:
        if self.in_style:
            self.styles.append(data)


def test_nothing_is_loaded_from_another_host(site: Path) -> None:
    """No script, stylesheet, font or image of the site comes from another host."""
    found: list[str] = []
    for page in site.rglob("*.html"):
        assets = _Assets()
        assets.feed(page.read_text(encoding="utf-8"))
        found += [f"{page}: {url}" for url in assets.urls if _external(url)]
        for css in assets.styles:
            found += [f"{page}: {u}" for u in re.findall(r"url\(([^)]*)\)", css) if _external(u)]
    for css_file in site.rglob("*.css"):
        css = css_file.read_text(encoding="utf-8")
        urls = re.findall(r"url\(([^)]*)\)", css) + re.findall(r"@import\s+[\"']([^\"']+)", css)
        found += [f"{css_file}: {url}" for url in urls if _external(url)]
    assert found == []
    assert (site / "assets/vendor/mermaid/mermaid.min.js").stat().st_size > 1_000_000


def cli_script(page: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> str:
    monkeypatch.chdir(PROJECT)
    assert runbook_cli(["script", f"docs/{page}"]) == 0
    return capsys.readouterr().out


def test_published_script_is_what_the_cli_prints(
    site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The script the site publishes holds the same bytes `runbook script` prints."""
    published = (site / "runbooks" / CHAPTER.replace(".md", ".sh")).read_bytes()
    assert published == cli_script(CHAPTER, monkeypatch, capsys).encode()


def test_published_scripts_are_executable_whatever_the_umask(
    make_site: Callable[..., Path],
) -> None:
    """Each script is written whole with mode 0o755, even under umask 077; no temporary is left."""
    umask = os.umask(0o077)
    try:
        site = make_site({"tabs.md": TABBED})
    finally:
        os.umask(umask)
    scripts = sorted((site / "runbooks").rglob("*"))
    assert [p.name for p in scripts] == ["tabs-github.sh", "tabs-gitlab.sh"]
    assert [p.stat().st_mode & 0o777 for p in scripts] == [0o755, 0o755]


def test_a_build_that_keeps_the_site_replaces_scripts_whole(tmp_path: Path) -> None:
    """A `--dirty` build finds the last build's scripts and replaces each one whole."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "tabs.md").write_text(TABBED, encoding="utf-8")
    build(site_config(tmp_path / "site", docs, nav=["tabs.md"]))
    (docs / "tabs.md").write_text(TABBED.replace("echo", "echo changed"), "utf-8")
    # MkDocs warns that a dirty build may leave stale links: not strict, then.
    build(site_config(tmp_path / "site", docs, nav=["tabs.md"], strict=False), dirty=True)
    scripts = sorted((tmp_path / "site" / "runbooks").rglob("*"))
    assert [p.name for p in scripts] == ["tabs-github.sh", "tabs-gitlab.sh"]
    assert all("echo changed" in p.read_text(encoding="utf-8") for p in scripts)
    assert [p.stat().st_mode & 0o777 for p in scripts] == [0o755, 0o755]


def test_chapter_links_its_script(site: Path, chapter: str) -> None:
    """The chapter offers its script for download, and the link resolves to the file."""
    links = re.findall(r'<a class="runbook-downloads__link" href="([^"]+)" download', chapter)
    assert len(links) == 1
    page_url = "http://site/" + CHAPTER.removesuffix(".md") + "/"
    target = urljoin(page_url, links[0]).removeprefix("http://site/")
    assert (site / target).is_file()
    assert target == "runbooks/" + CHAPTER.replace(".md", ".sh")


def test_pages_without_commands_offer_no_script(site: Path) -> None:
    """Home and the authors' page have no commands, so no download box."""
    assert "runbook-downloads" not in (site / "index.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in (site / "runbooks").iterdir()) == [CHAPTER.replace(".md", ".sh")]


TABBED = """\
# Tabs

=== ":simple-github: GitHub"

    ```sh title="Execute the following command(s) in a terminal"
    echo github
    ```

=== ":simple-gitlab: GitLab"

    ```sh title="Execute the following command(s) in a terminal"
    echo gitlab
    ```
"""


def test_each_variant_is_published_and_linked(make_site: Callable[..., Path]) -> None:
    """A page with commands in linked tabs offers one script per tab label."""
    site = make_site({"tabs.md": TABBED})
    html = (site / "tabs/index.html").read_text(encoding="utf-8")
    assert re.findall(r'href="\.\./runbooks/([^"]+)" download', html) == [
        "tabs-github.sh",
        "tabs-gitlab.sh",
    ]
    assert "echo gitlab" in (site / "runbooks/tabs-gitlab.sh").read_text(encoding="utf-8")
    assert "echo github" not in (site / "runbooks/tabs-gitlab.sh").read_text(encoding="utf-8")


def test_author_errors_fail_the_strict_build(
    make_site: Callable[..., Path], caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """A page error is a warning naming `path:line`, so `--strict` fails and nothing half-built."""
    bad = f'# Bad\n\n```sh title="{COMMAND_TITLE}"\ngit push <git dir>\n```\n'
    logged = failed_build(make_site, caplog, {"bad.md": bad})
    assert any("bad.md:4: placeholder <git dir> would set GIT_DIR" in w for w in logged), logged
    assert not (tmp_path / "site" / "runbooks" / "bad.sh").exists()


def test_disabled_plugin_publishes_nothing(make_site: Callable[..., Path]) -> None:
    """With `enabled: false` the build has no scripts and no download links."""
    site = make_site({"tabs.md": TABBED}, plugins=plugins_with_runbook(False))
    assert not (site / "runbooks").exists()
    assert "runbook-downloads" not in (site / "tabs/index.html").read_text(encoding="utf-8")


def test_a_page_error_still_keeps_code_from_jinja(
    make_site: Callable[..., Path], caplog: pytest.LogCaptureFixture
) -> None:
    """With a directive typo on the page, its later code is still verbatim; the error is ours."""
    text = (
        '# Typo\n\n<!-- runbook: skip="later" -->\nSome prose.\n\n'
        '```sh title="Execute the following command(s) in a terminal"\n'
        'echo "${#files[@]} {{ x }} {# y"\n```\n'
    )
    logged = failed_build(make_site, caplog, {"typo.md": text})
    assert any(
        "typo.md:3: runbook directive is not followed by a code block" in w for w in logged
    ), logged
    assert not any("comment tag" in w or "Jinja" in w for w in logged), logged


def test_variants_that_would_share_a_script_name_are_an_error(
    make_site: Callable[..., Path], caplog: pytest.LogCaptureFixture
) -> None:
    """Labels `C` and `C++` both slug to `c`: the build says so instead of losing a script."""
    text = TABBED.replace(":simple-github: GitHub", "C").replace(":simple-gitlab: GitLab", "C++")
    logged = failed_build(make_site, caplog, {"tabs.md": text})
    assert any(
        "tabs.md:1: tab labels 'C', 'C++' give scripts the same file name" in w for w in logged
    ), logged
