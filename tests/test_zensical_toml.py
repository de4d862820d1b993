"""A guide built with Zensical from `zensical.toml` alone (`tests/zensical-guide/`): `runbook -f
zensical.toml` reads it as the `mkdocs.yml` it stands for, replays it, and exports its scripts
into the site `zensical build` makes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pymdownx.superfences import fence_code_format
from zensical.extensions.emoji import to_svg, twemoji

from helpers import PROJECT, command, page, run_cli, run_program
from runbook.adapters.site import load_site

GUIDE = PROJECT / "tests" / "zensical-guide"

# The same guide as a `mkdocs.yml` would describe it.
MKDOCS_YML = """\
site_name: Greetings, built with Zensical
nav:
  - Greetings: index.md
  - Install the package: install.md
theme: {name: material}
markdown_extensions:
  - admonition
  - attr_list
  - pymdownx.details
  - pymdownx.emoji:
      emoji_index: !!python/name:zensical.extensions.emoji.twemoji
      emoji_generator: !!python/name:zensical.extensions.emoji.to_svg
  - pymdownx.superfences:
      custom_fences:
        - name: mermaid
          class: mermaid
          format: !!python/name:pymdownx.superfences.fence_code_format
  - pymdownx.tabbed: {alternate_style: true}
plugins:
  - runbook: {packages: ../guide/wheels, tools: [uv], values: {MY_NAME: Ada}}
"""

LISTED = """\
index.md
  no steps
install.md
  variant: pip
  variant: uv
  placeholder: MY_NAME <my_name>
  step install.md:5  python3 -m venv .venv
  step install.md:14 [in pip]  pip install greeting==1.0.0
  step install.md:20 [in uv]  uv pip install greeting==1.0.0
  step install.md:28 [output as at line 34]  python -c "import greeting; \
print(greeting.hello('<my_name>'))"
"""


@pytest.fixture
def guide(tmp_path: Path) -> Path:
    """A copy of the Zensical guide, where commands may write, beside the wheels it installs."""
    shutil.copytree(GUIDE, tmp_path / "zensical-guide")
    shutil.copytree(PROJECT / "tests" / "guide" / "wheels", tmp_path / "guide" / "wheels")
    assert not (tmp_path / "zensical-guide" / "mkdocs.yml").exists()
    return tmp_path / "zensical-guide"


def test_list_shows_the_steps_and_variants(capsys: pytest.CaptureFixture[str], guide: Path) -> None:
    """The pages of its `docs_dir` and `nav`, their tabs (the tab extension read from its
    namespace table), a step inside an admonition, the placeholder's test value."""
    assert run_cli(capsys, "-f", "zensical.toml", "list", cwd=guide) == (0, LISTED, "")


def test_it_reads_as_the_mkdocs_yml_it_stands_for(
    capsys: pytest.CaptureFixture[str], guide: Path
) -> None:
    """The same extensions with the same options, the Python objects the strings name
    included; the same runbook options, pages and scripts as the equivalent `mkdocs.yml`."""
    (guide / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    toml, yml = load_site(guide / "zensical.toml"), load_site(guide / "mkdocs.yml")
    configs = toml.config.mdx_configs
    assert configs["pymdownx.superfences"]["custom_fences"][0]["format"] is fence_code_format
    emoji = configs["pymdownx.emoji"]
    assert (emoji["emoji_index"], emoji["emoji_generator"]) == (twemoji, to_svg)
    assert configs == yml.config.mdx_configs
    named = [name for name in toml.config.markdown_extensions if isinstance(name, str)]
    assert named == [name for name in yml.config.markdown_extensions if isinstance(name, str)]
    assert toml.settings == yml.settings
    assert [f.src_uri for f in toml.pages()] == [f.src_uri for f in yml.pages()]
    for variant in ("pip", "uv"):
        scripts = [
            run_cli(
                capsys, "-f", name, "script", "docs/install.md", "--variant", variant, cwd=guide
            )
            for name in ("zensical.toml", "mkdocs.yml")
        ]
        assert scripts[0] == scripts[1]
        assert scripts[0][0] == 0


@pytest.mark.replay
def test_replay_passes(guide: Path) -> None:
    """`runbook -f zensical.toml replay` installs from the wheels of its `packages`, with the uv
    of its `tools`, and greets with the value of its `values` (the README's command replays the
    pip variant)."""
    done = run_program(
        "runbook", "-f", "zensical.toml", "replay", "docs/install.md", "--variant", "uv", cwd=guide
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("install.md (uv): all 3 steps passed")


def test_export_writes_the_scripts_into_zensicals_site(
    capsys: pytest.CaptureFixture[str], guide: Path
) -> None:
    """`zensical build --strict` skips the runbook's table without a word; `runbook -f
    zensical.toml export site` finds each page's commands in Zensical's HTML and writes the
    scripts `runbook script` prints, and each page's script box."""
    built = run_program("zensical", "build", "--strict", "--clean", cwd=guide)
    assert built.returncode == 0, built.stdout + built.stderr
    assert "runbook" not in (built.stdout + built.stderr).lower()
    exported = run_program("runbook", "-f", "zensical.toml", "export", "site", cwd=guide)
    assert exported.returncode == 0, exported.stderr
    for variant in ("pip", "uv"):
        status, script, _ = run_cli(
            capsys,
            "-f",
            "zensical.toml",
            "script",
            "docs/install.md",
            "--variant",
            variant,
            cwd=guide,
        )
        written = guide / "site" / "runbooks" / f"install-{variant}.sh"
        assert (status, written.read_text(encoding="utf-8")) == (0, script)
    html = (guide / "site" / "install" / "index.html").read_text(encoding="utf-8")
    assert "runbook-scriptbox" in html
    assert "runbook-scriptbox" not in (guide / "site" / "index.html").read_text(encoding="utf-8")


def edited(text: str, change: str) -> str:
    """The guide's `zensical.toml` with one change: `OLD => NEW`, or a line to add at the end."""
    if " => " not in change:
        return text + change + "\n"
    old, new = change.split(" => ")
    assert old in text
    return text.replace(old, new.replace("\\n", "\n"))


@pytest.mark.parametrize(
    ("change", "error"),
    [
        pytest.param(
            '"Greetings, built with Zensical" => ',
            "zensical.toml:5: not TOML that Zensical can read: Invalid value",
            id="not-toml",
        ),
        pytest.param(
            'site_name = "Greetings, built with Zensical" => ',
            "zensical.toml:1: site_name: Required configuration not provided.",
            id="no-site-name",
        ),
        pytest.param(
            'docs_dir = "docs" => docs_dir = "pages"',
            "zensical.toml:6: docs_dir: The path 'pages' isn't an existing directory.",
            id="no-docs-folder",
        ),
        pytest.param(
            "fence_code_format => fence_code_formats",
            "zensical.toml:20: pymdownx.superfences: cannot import "
            "'pymdownx.superfences.fence_code_formats'",
            id="a-callable-that-is-not-there",
        ),
        pytest.param(
            "[project.markdown_extensions.admonition] => [project.markdown_extensions]\\n"
            "admonition = true",
            "zensical.toml:13: markdown_extensions: admonition takes a table of options, not True",
            id="an-extensions-options-not-a-table",
        ),
        pytest.param(
            'tools = ["uv"] => tools = ["uv"]\\nscript_folder = "x"',
            "zensical.toml:32: plugins: Plugin 'runbook' option 'script_folder': Unrecognised "
            "configuration name: script_folder",
            id="an-unknown-runbook-option",
        ),
        pytest.param(
            "MY_YEAR = 2026",
            "zensical.toml:35: plugins: Plugin 'runbook' option 'values': MY_YEAR: write the "
            "value 2026 in quotes, as a string",
            id="a-test-value-not-text",
        ),
        pytest.param(
            "plugins.runbook => plugins.Runbook",
            "zensical.toml:27: plugin 'Runbook' is not read: the runbook's options are under "
            "[project.plugins.runbook], in lower case",
            id="the-runbook-table-misspelt",
        ),
    ],
)
def test_a_bad_file_is_refused_at_its_line(
    capsys: pytest.CaptureFixture[str], guide: Path, change: str, error: str
) -> None:
    """Each problem of the file, with its line, and exit status 2."""
    config = guide / "zensical.toml"
    config.write_text(edited(config.read_text(encoding="utf-8"), change), encoding="utf-8")
    status, out, err = run_cli(capsys, "-f", "zensical.toml", "list", cwd=guide)
    assert (status, out) == (2, "")
    assert err.startswith(error), err


def test_macros_render_the_page_as_zensical_does(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`[project.plugins.macros]` renders the page's Jinja, `extra` included, before it is read:
    a command a macro makes is refused, as under `mkdocs.yml`, since the page does not hold it."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "zensical.toml").write_text(
        '[project]\nsite_name = "Macros"\n[project.extra]\nversion = "1.2.3"\n'
        "[project.markdown_extensions.pymdownx.superfences]\n[project.plugins.macros]\n",
        encoding="utf-8",
    )
    (tmp_path / "docs" / "index.md").write_text(
        page("Version {{ version }}.", command('echo "{{ version }}"')), encoding="utf-8"
    )
    status, out, err = run_cli(capsys, "-f", "zensical.toml", "list", cwd=tmp_path)
    assert (status, out) == (2, "")
    assert "shows a command block that its source does not hold ('echo \"1.2.3\"')" in err
