"""The built site: strict, complete, private, and publishing exactly each page's commands."""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Callable
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort

from conftest import Guide, assert_replayed, build_site, read_guide
from helpers import (
    CHAPTER,
    PROJECT,
    RUNBOOK_PLUGIN,
    TITLE,
    command,
    mkdocs_yml,
    page,
    write_site,
)
from runbook.replaying.script import render_script, script_name
from runbook.replaying.states import make_bundle

CHAPTER_HTML = CHAPTER.removesuffix(".md") + "/index.html"


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
    make_site: Callable[..., Path], caplog: pytest.LogCaptureFixture, pages: dict[str, str], **kw
) -> list[str]:
    """Build `pages`, which must fail `--strict`; return the warnings that failed it."""
    with pytest.raises(Abort):
        make_site(pages, **kw)
    return warnings(caplog)


@pytest.fixture(scope="module")
def chapter(site: Path) -> str:
    return (site / CHAPTER_HTML).read_text(encoding="utf-8")


def test_strict_build_has_no_warnings(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """`mkdocs build --strict` of the project passes without a single warning."""
    build_site(PROJECT / "mkdocs.yml", tmp_path / "site")
    assert warnings(caplog) == []


def test_collapsible_take_over_section_is_details(chapter: str) -> None:
    """The take-over section is a closed <details> holding its download link and commands."""
    details = re.search(
        r'<details class="info">\s*<summary>(.*?)</summary>(.*?)</details>', chapter, re.S
    )
    assert details is not None
    assert "take over from this chapter" in details[1]
    assert 'href="../runbooks/chapter-6.bundle"' in details[2]
    assert "git remote remove origin" in code_text(details[2])


def test_the_search_dialog_has_a_name(chapter: str) -> None:
    """Material's search dialog is named once (overrides/main.html), as axe asks."""
    assert chapter.count('role="dialog" aria-label="Search">') == 1


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
    assert "subgraph gitGraph[Git Remote]" in source


def test_command_blocks_keep_their_titles(chapter: str, docs: Guide) -> None:
    """Every command block renders under the guide's title: one title per step."""
    titles = re.findall(r'<span class="filename">(.*?)</span>', chapter)
    assert titles == [TITLE] * len(docs.runbook(CHAPTER).steps)


def test_published_scripts_are_each_pages_variants_and_paths(site: Path, docs: Guide) -> None:
    """The site publishes one script per page variant and path, exactly as rendered for it, and
    nothing else: a new page with steps needs nothing registered."""
    expected = {}
    for path, reading in docs.readings.items():
        runbook = reading.runbook
        for variant in runbook.variants if runbook.steps else ():
            for take_over in (False, True) if runbook.take_over else (False,):
                name = script_name(path, variant, take_over)
                expected[name] = render_script(runbook, variant, take_over)
    published = {
        p.relative_to(site / "runbooks").as_posix(): p.read_text(encoding="utf-8")
        for p in (site / "runbooks").rglob("*.sh")
    }
    assert published == expected
    assert expected, "the docs publish scripts"


def test_the_chapter_links_its_scripts(site: Path, chapter: str) -> None:
    """The chapter offers both its scripts, and each link resolves to a published file."""
    links = re.findall(r'<a class="runbook-scriptbox__link" href="([^"]+)" download', chapter)
    page_url = "http://site/" + CHAPTER.removesuffix(".md") + "/"
    targets = [urljoin(page_url, link).removeprefix("http://site/") for link in links]
    stem = "runbooks/" + CHAPTER.removesuffix(".md")
    assert targets == [f"{stem}.sh", f"{stem}-take-over.sh"]
    assert all((site / target).is_file() for target in targets)


def test_the_download_is_the_replays_start_the_same_bytes_each_build(
    site: Path, tmp_path: Path
) -> None:
    """The bundle readers download is what replays start from, byte for byte, on every build."""
    published = (site / "runbooks" / "chapter-6.bundle").read_bytes()
    again = build_site(PROJECT / "mkdocs.yml", tmp_path / "again", strict=False)
    assert (again / "runbooks" / "chapter-6.bundle").read_bytes() == published
    assert make_bundle("chapter-6", PROJECT / "states" / "chapter-6.sh") == published


def test_pages_without_commands_offer_no_script(site: Path) -> None:
    """Home and the authors' page have no commands, so no script box."""
    assert "runbook-scriptbox" not in (site / "index.html").read_text(encoding="utf-8")


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
    for html in site.rglob("*.html"):
        assets = _Assets()
        assets.feed(html.read_text(encoding="utf-8"))
        found += [f"{html}: {url}" for url in assets.urls if _external(url)]
        for css in assets.styles:
            found += [f"{html}: {u}" for u in re.findall(r"url\(([^)]*)\)", css) if _external(u)]
    for css_file in site.rglob("*.css"):
        css = css_file.read_text(encoding="utf-8")
        urls = re.findall(r"url\(([^)]*)\)", css) + re.findall(r"@import\s+[\"']([^\"']+)", css)
        found += [f"{css_file}: {url}" for url in urls if _external(url)]
    assert found == []
    assert (site / "assets/vendor/mermaid/mermaid.min.js").stat().st_size > 1_000_000


TABBED = page(
    '=== ":simple-github: GitHub"\n\n' + command("echo github", indent="    "),
    '=== ":simple-gitlab: GitLab"\n\n' + command("echo gitlab", indent="    "),
    heading="Tabs",
)


def test_each_variant_is_published_and_linked(make_site: Callable[..., Path]) -> None:
    """A page with commands in linked tabs offers one script per tab label."""
    site = make_site({"tabs.md": TABBED})
    html = (site / "tabs/index.html").read_text(encoding="utf-8")
    assert re.findall(r'href="\.\./runbooks/([^"]+)" download', html) == [
        "tabs-github.sh",
        "tabs-gitlab.sh",
    ]
    gitlab = (site / "runbooks/tabs-gitlab.sh").read_text(encoding="utf-8")
    assert "echo gitlab" in gitlab
    assert "echo github" not in gitlab


def test_scripts_are_executable_whatever_the_umask(make_site: Callable[..., Path]) -> None:
    """Each script is written whole with mode 0o755, even under umask 077."""
    umask = os.umask(0o077)
    try:
        site = make_site({"tabs.md": TABBED})
    finally:
        os.umask(umask)
    scripts = sorted((site / "runbooks").rglob("*.sh"))
    assert [p.stat().st_mode & 0o777 for p in scripts] == [0o755, 0o755]


def test_a_dirty_build_replaces_scripts(tmp_path: Path, make_site: Callable[..., Path]) -> None:
    """A `--dirty` build over the last one writes the new scripts in place of the old."""
    make_site({"tabs.md": TABBED})
    (tmp_path / "docs" / "tabs.md").write_text(TABBED.replace("echo", "echo changed"), "utf-8")
    # MkDocs warns that a dirty build may leave stale links: not strict, then.
    build(load_config(str(tmp_path / "mkdocs.yml"), site_dir=str(tmp_path / "site")), dirty=True)
    scripts = sorted((tmp_path / "site" / "runbooks").rglob("*.sh"))
    assert all("echo changed" in p.read_text(encoding="utf-8") for p in scripts)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            page(command("git push <git dir>")),
            "bad.md:4: placeholder <git dir> would set GIT_DIR",
            id="reserved-placeholder",
        ),
        pytest.param(
            page(command('echo "unclosed')),
            'bad.md:4: incomplete command: a " quote opens here and never closes',
            id="incomplete-command",
        ),
        pytest.param(
            page(f'```Bash title="{TITLE}"\necho x\n```'),
            "bad.md:3: this block looks like a command but does not run",
            id="near-miss",
        ),
        pytest.param(
            page('<!-- runbook: skip="later" -->', "Some prose.", command("echo x")),
            "bad.md:3: runbook directive is not followed by a code block",
            id="lost-directive",
        ),
    ],
)
def test_author_errors_fail_the_strict_build_and_publish_nothing(
    make_site: Callable[..., Path],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    text: str,
    message: str,
) -> None:
    """A page error is a warning naming `path:line`, so `--strict` fails; no script is made."""
    logged = failed_build(make_site, caplog, {"bad.md": text})
    assert any(message in w for w in logged), logged
    assert not list((tmp_path / "site" / "runbooks").glob("bad*.sh"))


def test_what_a_macro_makes_or_hides_cannot_run(
    make_site: Callable[..., Path], caplog: pytest.LogCaptureFixture
) -> None:
    """A command block a macro adds has no source to run from, and one it hides is not shown:
    both are errors, not a script that differs from the page."""
    made = "{{ '```sh title=\"" + TITLE + "\"\\necho made\\n```' }}"
    hidden = "{% if false %}\n" + command("echo hidden") + "{% endif %}"
    pages = {"made.md": page(made), "hidden.md": page(hidden)}
    pages["after.md"] = page(command("echo written"), made)
    logged = failed_build(make_site, caplog, pages)
    assert any(
        "made.md:1: the rendered page shows a command block that its source does not" in w
        for w in logged
    ), logged
    assert any(
        "after.md:3: the rendered page shows a command block that its source does not hold "
        "('echo made', after the block of line 3)" in w
        for w in logged
    ), logged
    assert any(
        "hidden.md:4: this command block is not in the rendered page" in w for w in logged
    ), logged


HOOK = '''\
def on_page_content(html, page, config, files):
    """Change one shown command after the page is rendered."""
    return html.replace("one", "uno")
'''


def test_a_page_whose_html_shows_other_commands_gets_no_script(
    make_site: Callable[..., Path], caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """Whatever changes a page's HTML after its render (here a hook), the build compares the
    shown commands with the script, block by block, and refuses to publish a mismatch."""
    hook = tmp_path / "hook.py"
    hook.write_text(HOOK, encoding="utf-8")
    config = mkdocs_yml(hooks=f"[{hook}]")
    logged = failed_build(
        make_site, caplog, {"p.md": page(command("echo one"), command("echo two"))}, config=config
    )
    assert any(
        "p.md:3: the script holds this command block, but the rendered page does not show it" in w
        for w in logged
    ), logged
    assert not (tmp_path / "site" / "runbooks" / "p.sh").exists()


TEMPLATE_LIKE = page(
    "Site: {{ config.site_name }}",
    command('echo "{{ x }}" \'{% raw %}\' "${#a[@]}" {# not a comment #}'),
    "!!! note\n\n"
    + command(
        'declare -a a=(1 2); echo "${#a[@]} {{ y }}"', lang="bash", title=None, indent="    "
    ),
)


@pytest.mark.parametrize("enabled", [True, False], ids=["runbook-on", "runbook-off"])
@pytest.mark.parametrize(
    "before", ["", "---\ntitle: T\n---\n\n", "---\ntitle: Rules\n---\n\n---\n\n", "Title: T\n\n"]
)
def test_template_syntax_in_code_reaches_the_reader(
    make_site: Callable[..., Path], before: str, enabled: bool
) -> None:
    """Macros render the page, yet `{{ x }}`, `{% raw %}` and `${#a[@]}` in code stay verbatim."""
    plugins = "plugins:\n  - search\n  - macros:\n      modules: [runbook.adapters.macros]\n"
    plugins += RUNBOOK_PLUGIN
    plugins += f"      enabled: {str(enabled).lower()}\n"
    site = make_site({"index.md": before + TEMPLATE_LIKE}, config=mkdocs_yml(plugins))
    html = (site / "index.html").read_text(encoding="utf-8")
    blocks = [code_text(b) for b in re.findall(r"<code>(.*?)</code>", html, re.S)]
    assert 'echo "{{ x }}" \'{% raw %}\' "${#a[@]}" {# not a comment #}\n' in blocks
    assert 'declare -a a=(1 2); echo "${#a[@]} {{ y }}"\n' in blocks
    assert "Site: A test site" in visible_text(html)


def test_disabled_plugin_publishes_nothing(make_site: Callable[..., Path]) -> None:
    """With `enabled: false` the build has no scripts, no downloads and no script box."""
    plugins = f"plugins:\n  - search\n{RUNBOOK_PLUGIN}      enabled: false\n"
    site = make_site({"tabs.md": TABBED}, config=mkdocs_yml(plugins))
    assert not (site / "runbooks").exists()
    html = (site / "tabs/index.html").read_text(encoding="utf-8")
    assert "runbook-scriptbox" not in html


def test_variants_that_would_share_a_script_name_are_an_error(
    make_site: Callable[..., Path], caplog: pytest.LogCaptureFixture
) -> None:
    """Labels `C` and `C++` both slug to `c`: the build says so instead of losing a script."""
    text = TABBED.replace(":simple-github: GitHub", "C").replace(":simple-gitlab: GitLab", "C++")
    logged = failed_build(make_site, caplog, {"tabs.md": text})
    assert any(
        "tabs.md:1: tab labels 'C', 'C++' give scripts the same file name" in w for w in logged
    ), logged


def test_a_script_name_taken_by_another_page_or_a_file_is_an_error(
    make_site: Callable[..., Path], caplog: pytest.LogCaptureFixture
) -> None:
    """`setup.md`'s GitHub script and `setup-github.md`'s script would both be
    `setup-github.sh`, and a file of the docs may hold a script's name: one script would silently
    replace the other, so the later page is an error, and gets no script."""
    pages = {
        "setup.md": TABBED,
        "setup-github.md": page(command("echo the other page")),
        "runbooks/taken.sh": "echo a file of the docs\n",
        "taken.md": page(command("echo taken")),
    }
    logged = failed_build(make_site, caplog, pages)
    assert any(
        "setup.md:1: its script runbooks/setup-github.sh has the name of setup-github.md's script"
        in w
        for w in logged
    ), logged
    assert any(
        "taken.md:1: its script runbooks/taken.sh has the name of a file of the site" in w
        for w in logged
    ), logged


NEW_PAGE = page(
    command("mkdir -p notes && cd notes"),
    '=== ":simple-github: GitHub"\n\n' + command("echo github > host.txt", indent="    "),
    '=== ":simple-gitlab: GitLab"\n\n' + command("echo gitlab > host.txt", indent="    "),
    command("test -s host.txt"),
    heading="A new page",
)


def test_a_new_page_needs_no_registering(tmp_path: Path) -> None:
    """An author adds a page of steps and tabs to the project's docs, and lists it nowhere
    (not even under `nav:`): the strict build publishes its scripts, and each replays."""
    for name in ("docs", "overrides", "states"):
        shutil.copytree(PROJECT / name, tmp_path / name)
    shutil.copy(PROJECT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    (tmp_path / "plugins").mkdir()  # watched by `mkdocs serve`; the plugin itself is installed
    (tmp_path / "docs" / "a-new-page.md").write_text(NEW_PAGE, encoding="utf-8")
    config = load_config(str(tmp_path / "mkdocs.yml"), strict=True)
    build(config)
    scripts = tmp_path / "site" / "runbooks"
    assert {p.name for p in scripts.glob("a-new-page*")} == {
        "a-new-page-github.sh",
        "a-new-page-gitlab.sh",
    }
    made = read_guide(tmp_path / "mkdocs.yml")
    for variant in ("github", "gitlab"):
        assert_replayed(made.replay("a-new-page.md", variant))
        made.stack.close()


def test_a_symlink_loop_in_the_docs_stops_the_build(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A link to a folder that holds it stops the build before MkDocs walks it, naming it."""
    config = write_site(tmp_path, {"p.md": page(command("echo x")), "a/q.md": "# Q\n"})
    (tmp_path / "docs" / "a" / "up").symlink_to("..")
    with pytest.raises(Abort):
        build_site(config, tmp_path / "site")
    (said,) = warnings(caplog)
    assert said.startswith("runbook: docs/a/up is a symbolic link to docs, a folder that holds")
    assert not (tmp_path / "site").exists()
