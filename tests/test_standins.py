"""Stand-ins: packages from a folder of wheels, downloads from files, nothing from the network."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from wheels import make_wheel, make_zip

from conftest import Guide, assert_replayed
from helpers import PLUGINS, command, mkdocs_yml, page

pytestmark = pytest.mark.replay

DATA_URL = "https://github.com/example/data/archive/refs/heads/main.zip"
VENV = "python3 -m venv --without-pip .venv && . .venv/bin/activate"


def site(root: Path, options: str) -> str:
    """A `mkdocs.yml` whose runbook plugin has the project's options and `options` (YAML lines
    under the plugin), with a folder of two tiny wheels and an archive beside it."""
    make_wheel(root / "wheels", "greeting", "1.0.0", "def hello():\n    return 'hello'\n")
    make_wheel(root / "wheels", "farewell", "2.0.0", "def bye():\n    return 'bye'\n")
    make_zip(root / "files" / "data.zip", {"data/names.txt": "Ada\n"})
    (root / "files" / "note.txt").write_text("a note\n", encoding="utf-8")
    lines = "".join(f"      {line}\n" for line in options.strip("\n").split("\n"))
    return mkdocs_yml(PLUGINS + lines)


@pytest.fixture
def standing(guide: Callable[..., Guide], tmp_path: Path) -> Callable[..., Guide]:
    """A guide of `pages` in a site whose runbook plugin has `options`."""

    def make(pages: dict[str, str], options: str = "packages: wheels/") -> Guide:
        root = tmp_path / "guide-0"
        return guide(pages, site(root, options))

    return make


def test_pip_and_uv_install_from_the_folder_of_wheels(standing: Callable[..., Guide]) -> None:
    """`pip install`, `pip install -r` and `uv pip install` take the folder's wheels, with no
    index on the network."""
    replayed = standing(
        {
            "p.md": page(
                command("python3 -m venv .venv && . .venv/bin/activate"),
                command("pip install greeting==1.0.0"),
                command("echo farewell > requirements.txt\npip download -r requirements.txt -d d"),
                command("uv pip install farewell"),
                command(
                    "python -c 'import greeting, farewell; print(greeting.hello(), farewell.bye())'"
                ),
            )
        },
        "packages: wheels/\ntools: [uv]",
    ).replay("p.md")
    assert_replayed(replayed)
    assert replayed.result.steps[-1].printed == "hello bye\n"
    assert (replayed.sandbox.workdir / "d" / "farewell-2.0.0-py3-none-any.whl").is_file()


def test_a_package_the_folder_lacks_fails_and_is_named(standing: Callable[..., Guide]) -> None:
    """A package that is not in the folder fails with pip's own error, and the report says which
    package the folder lacks, and how to fill it."""
    replayed = standing(
        {"p.md": page(command(VENV.replace(" --without-pip", "")), command("pip install numpy"))}
    ).replay("p.md")
    assert not replayed.ok
    report = replayed.report()
    assert "No matching distribution found for numpy" in report
    assert "the package folders (wheels) lack: numpy" in report
    assert "runbook packages" in report


def test_without_a_folder_pip_finds_nothing_and_says_so(guide: Callable[..., Guide]) -> None:
    """Without a folder of wheels pip has no index at all: it fails at once, it does not wait
    for the network, and the report says where to declare one."""
    replayed = guide(
        {"p.md": page(command("python3 -m venv .venv && .venv/bin/pip install requests"))}
    ).replay("p.md")
    assert not replayed.ok
    assert replayed.result.steps[0].seconds is not None
    assert replayed.result.steps[0].seconds < 60
    assert "declare a folder under packages:" in replayed.report()


@pytest.mark.parametrize(
    "fetch",
    [
        pytest.param(f"curl -fsSL -o data.zip {DATA_URL}", id="curl"),
        pytest.param(f"wget -q -O data.zip {DATA_URL}", id="wget"),
        pytest.param(
            f"python3 -c \"import urllib.request as u; u.urlretrieve('{DATA_URL}', 'data.zip')\"",
            id="python-urllib",
        ),
    ],
)
def test_a_mapped_https_url_gets_its_file(standing: Callable[..., Guide], fetch: str) -> None:
    """`curl`, `wget` and Python's urllib get a mapped `https://` URL's file, through the
    sandbox's own certificates."""
    options = f"downloads:\n  {DATA_URL}: files/data.zip\n  http://example.com/n: files/note.txt"
    replayed = standing(
        {
            "p.md": page(
                command(fetch),
                command("python3 -m zipfile -e data.zip . && cat data/names.txt"),
                command("curl -fsS http://example.com/n"),
            )
        },
        options,
    ).replay("p.md")
    assert_replayed(replayed)
    assert [run.printed for run in replayed.result.steps[1:]] == ["Ada\n", "a note\n"]


@pytest.mark.parametrize(
    "fetch",
    [
        pytest.param("curl -fsS https://example.com/data.csv", id="curl-https"),
        pytest.param("wget -q http://example.com/data.csv", id="wget-http"),
        pytest.param(
            "python3 -c \"import urllib.request as u; u.urlopen('https://example.com/data.csv')\"",
            id="python-urllib",
        ),
    ],
)
def test_an_unmapped_url_is_blocked_at_once(guide: Callable[..., Guide], fetch: str) -> None:
    """A URL the site does not map fails at once, and the report names it and where to map
    it."""
    replayed = guide({"p.md": page(command(fetch, directive="timeout=30"))}).replay("p.md")
    assert replayed.result.steps[0].outcome == "failed"
    assert replayed.result.steps[0].seconds is not None
    assert replayed.result.steps[0].seconds < 20
    said = "network access blocked: https://example.com/data.csv"
    if "http://" in fetch:
        said = said.replace("https", "http")
    assert said in replayed.report()
    assert "map each to a file under downloads:" in replayed.report()


def test_a_missing_interpreter_is_named_before_any_step(guide: Callable[..., Guide]) -> None:
    """A page that runs a Python this machine lacks fails before it starts, naming it: not
    later with a puzzling "command not found"."""
    replayed = guide(
        {"p.md": page(command("touch started"), command("python3.99 -m venv .venv"))}
    ).replay("p.md")
    assert not replayed.ok
    assert replayed.result.summary().startswith("p.md:8 runs python3.99, which this machine lacks")
    assert not (replayed.sandbox.workdir / "started").exists()


def test_env_reaches_every_step_and_a_page_adds_to_it(standing: Callable[..., Guide]) -> None:
    """The site's `env:` is in every replay's sandbox; a page's front matter adds to it and wins."""
    front = "---\nrunbook:\n  env:\n    MY_TOOL_MODE: page\n    MY_FLAG: 1\n---\n"
    replayed = standing(
        {"p.md": front + page(command('echo "$MY_TOOL_MODE $MY_FLAG $MY_SITE_ONLY"'))},
        "env:\n  MY_TOOL_MODE: site\n  MY_SITE_ONLY: on-site",
    ).replay("p.md")
    assert_replayed(replayed)
    assert replayed.result.steps[0].printed == "page 1 on-site\n"


def test_a_browser_a_step_opens_needs_a_person(guide: Callable[..., Guide]) -> None:
    """A step that opens a browser fails fast, and says to mark it skip."""
    code = "python3 -c \"import webbrowser, sys; sys.exit(not webbrowser.open('http://x'))\""
    replayed = guide({"p.md": page(command(code, directive="timeout=30"))}).replay("p.md")
    assert not replayed.ok
    assert 'mark it skip="why"' in replayed.report()


def test_timeouts_of_the_site_and_the_page(standing: Callable[..., Guide]) -> None:
    """A step's timeout is its directive's, else its page's, else the site's."""
    front = "---\nrunbook:\n  timeout: 2\n---\n"
    made = standing(
        {
            "site.md": page(command("sleep 313.5")),
            "page.md": front + page(command("sleep 314.5")),
            "step.md": front + page(command("sleep 315.5", directive="timeout=1")),
        },
        "timeout: 3",
    )
    for name, seconds in (("site.md", 3), ("page.md", 2), ("step.md", 1)):
        replayed = made.replay(name)
        (run,) = replayed.result.steps
        assert run.outcome == "timed out"
        assert run.seconds is not None
        assert seconds <= run.seconds < seconds + 2


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param("packages: none/", "packages: none/", id="a-folder-missing"),
        pytest.param(
            f"downloads:\n  {DATA_URL}: files/none.zip",
            f"downloads: {DATA_URL}: files/none.zip",
            id="a-file-missing",
        ),
    ],
)
def test_stand_ins_the_machine_lacks_are_named(
    standing: Callable[..., Guide], options: str, message: str
) -> None:
    """A folder of wheels or a download file that is not there fails the replay before any
    step, naming it."""
    replayed = standing({"p.md": page(command("touch started"))}, options).replay("p.md")
    assert not replayed.ok
    assert message in replayed.result.summary()
    assert not (replayed.sandbox.workdir / "started").exists()
