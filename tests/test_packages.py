"""`runbook packages`: what the pages install, fetched once into the site's folder of wheels, so
their replays install it offline."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from wheels import make_wheel

from conftest import Guide
from helpers import PLUGINS, TITLE, command, mkdocs_yml, page, write_site
from runbook.reading.installs import installs

VENV = "python3 -m venv .venv\nsource .venv/bin/activate"


def file(path: str, text: str) -> str:
    """A block that shows a file's content, titled with its path, as the guide writes one."""
    return command(text, title=path, lang="txt")


def tabs(*pairs: tuple[str, str]) -> str:
    """Content tabs, each label with its command."""
    return "\n".join(f'=== "{label}"\n\n' + command(code, indent="    ") for label, code in pairs)


# Pages, and what their steps install: each step's requirements, in page order; and the start of
# each note on what is not fetched.
FINDS = [
    pytest.param(
        {"p.md": page(command(VENV), command("pip install greeting==1.0.0"))},
        [["greeting==1.0.0"]],
        [],
        id="pip-pinned",
    ),
    pytest.param(
        {"p.md": page(command("pip3 install \"dvc[gs]>=3.0\" 'bentoml<2' pandas"))},
        [["dvc[gs]>=3.0", "bentoml<2", "pandas"]],
        [],
        id="pip3-extras-and-quotes",
    ),
    pytest.param(
        {"p.md": page(command("python3 -m pip install --upgrade pip\npython -m pip install x"))},
        [["pip"], ["x"]],
        [],
        id="python-m-pip",
    ),
    pytest.param(
        {"p.md": page(command("uv venv && uv pip install --python .venv farewell==1.0.0"))},
        [["farewell==1.0.0"]],
        [],
        id="uv-pip",
    ),
    pytest.param(
        {"p.md": page(command("pip download greeting -d wheels --no-deps"))},
        [["greeting"]],
        [],
        id="pip-download",
    ),
    pytest.param(
        {
            "p.md": page(
                file("requirements.txt", "# What the code needs\ngreeting==1.0.0\n\nfarewell>=1"),
                command("pip install -r requirements.txt"),
            )
        },
        [["greeting==1.0.0", "farewell>=1"]],
        [],
        id="requirements-written-by-a-file-step",
    ),
    pytest.param(
        {
            "p.md": page(
                file("src/base.txt", "numpy==2.0.0 --hash=sha256:abc"),
                file("src/requirements.txt", "-r base.txt\n-e .\n--index-url https://x\nscipy"),
                command("uv pip install --requirement=src/requirements.txt"),
            )
        },
        [["numpy==2.0.0", "scipy"]],
        [],
        id="requirements-within-requirements",
    ),
    pytest.param(
        {
            "p.md": page(
                file("requirements.txt", "greeting==1.0.0"),
                command("pip install -qr requirements.txt"),
                file("requirements.txt", "greeting==2.0.0"),
            )
        },
        [["greeting==1.0.0"]],
        [],
        id="requirements-as-written-before-the-step",
    ),
    pytest.param(
        {
            "p.md": page(
                command(
                    "pip install --index-url https://example.com/simple -c constraints.txt \\\n"
                    "    --target lib --no-cache-dir -f links greeting  # the one package"
                )
            )
        },
        [["greeting"]],
        [],
        id="options-and-their-values-left-out",
    ),
    pytest.param(
        {"p.md": page(command("pip install -e . ./dist/x-1.0-py3-none-any.whl ../lib src/"))},
        [],
        [],
        id="local-paths-left-out",
    ),
    pytest.param(
        {
            "p.md": page(
                tabs(
                    ("pip", "pip install greeting==1.0.0"),
                    ("uv", "uv pip install greeting==1.0.0 farewell"),
                )
            )
        },
        [["greeting==1.0.0"], ["greeting==1.0.0", "farewell"]],
        [],
        id="each-tab",
    ),
    pytest.param(
        {
            "p.md": page(
                '<!-- runbook: skip="needs a GPU" -->\n' + command("pip install tensorflow"),
                command("pip install --pre jax 2>&1 | tee install.log"),
            )
        },
        [["jax"]],
        [],
        id="skipped-steps-left-out",
    ),
    pytest.param(
        {
            "p.md": page(
                command(
                    'pip freeze > requirements.txt\npip list\necho "pip install x"\n'
                    "python3 -m venv .venv\ncat <<EOF > notes.txt\npip install y\nEOF"
                )
            )
        },
        [],
        [],
        id="other-commands-install-nothing",
    ),
    pytest.param(
        {
            "p.md": page(
                command('pip install "$PACKAGE" git+https://github.com/x/y.git'),
                command("pip install -r requirements-dev.txt"),
            )
        },
        [],
        [
            "$PACKAGE: a variable's value",
            "git+https://github.com/x/y.git: a URL",
            "requirements-dev.txt: no file step",
        ],
        id="what-is-not-fetched-is-said",
    ),
    pytest.param(
        {
            "a.md": page(command("mkdir app && cd app"), file("requirements.txt", "greeting")),
            "b.md": "---\nrunbook:\n  start: a.md\n---\n\n"
            + page(command("pip install -r requirements.txt")),
        },
        [["greeting"]],
        [],
        id="requirements-written-by-the-page-it-starts-after",
    ),
]


@pytest.mark.parametrize(("pages", "expected", "notes"), FINDS)
def test_what_the_pages_install(
    guide: Callable[..., Guide], pages: dict[str, str], expected: list[list[str]], notes: list[str]
) -> None:
    """Each step's requirements, as the guide writes installs; what is not fetched is said."""
    read = guide(pages)
    assert read.errors == []
    runbooks = read.runbooks

    def after(path: str) -> str | None:
        start = runbooks[path].settings.start
        return start.name if start else None

    found, said = installs(runbooks, after)
    assert [list(install.requirements) for install in found] == expected
    assert len(said) == len(notes)
    for note, start in zip(said, notes, strict=True):
        assert note.message.startswith(start), note


# The command line, in a real process, with a local folder of wheels for the package index ----


def runbook(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `runbook` with pip reading none of this machine's configuration (its indexes)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(PIP_CONFIG_FILE=os.devnull, NO_MKDOCS_2_WARNING="1")
    return subprocess.run(
        [sys.executable, "-m", "runbook", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture
def index(tmp_path: Path) -> Path:
    """A local folder of tiny wheels, standing in for the package index."""
    folder = tmp_path / "index"
    make_wheel(folder, "greeting", "1.0.0", "from names import NAME\nHELLO = 'Hello'\n", ["names"])
    make_wheel(folder, "names", "1.0.0", "NAME = 'Ada'\n")
    make_wheel(folder, "farewell", "1.0.0", "BYE = 'Bye'\n")
    make_wheel(folder, "unused", "1.0.0", "")
    return folder


GREETINGS = page(
    command(VENV),
    command("pip install greeting==1.0.0"),
    file("requirements.txt", "farewell==1.0.0"),
    command("pip install -r requirements.txt"),
    command("python -c 'import greeting, farewell; print(greeting.HELLO, greeting.NAME)'"),
)


@pytest.mark.replay
def test_the_filled_folder_makes_the_replay_pass_offline(tmp_path: Path, index: Path) -> None:
    """`runbook packages` fetches what the page installs and what that depends on, nothing
    else; then the replay passes offline (test_standins shows it fails for want of one)."""
    site = tmp_path / "site"
    write_site(site, {"p.md": GREETINGS}, mkdocs_yml(PLUGINS + "      packages: wheels/\n"))
    filled = runbook("packages", "--", "--no-index", "--find-links", str(index), cwd=site)
    assert filled.returncode == 0, filled.stdout + filled.stderr
    assert filled.stdout.startswith("runbook: fetching into wheels for ")
    assert "p.md:8: greeting==1.0.0\np.md:16: farewell==1.0.0\n" in filled.stdout
    assert sorted(path.name for path in (site / "wheels").iterdir()) == [
        "farewell-1.0.0-py3-none-any.whl",
        "greeting-1.0.0-py3-none-any.whl",
        "names-1.0.0-py3-none-any.whl",
    ]
    after = runbook("replay", "docs/p.md", cwd=site)
    assert after.returncode == 0, after.stdout + after.stderr
    assert after.stdout.startswith("p.md: all 5 steps passed")


@pytest.mark.parametrize(
    ("options", "pages", "status", "said"),
    [
        pytest.param(
            "",
            {"p.md": GREETINGS},
            2,
            "mkdocs.yml:1: no folder of wheels to fill: declare one",
            id="no-folder-declared",
        ),
        pytest.param(
            "      packages: [wheels/, more/]\n",
            {"p.md": page(command("pip install greeting==2.0.0"))},
            1,
            "pip could not fetch what these install: p.md:3",
            id="pip-fails",
        ),
        pytest.param(
            "      packages: wheels/\n",
            {"p.md": page(command("git status"))},
            0,
            "",
            id="nothing-to-fetch",
        ),
        pytest.param(
            "      packages: wheels/\n",
            {"p.md": page(f'```sh title="{TITLE}"\n')},
            2,
            "p.md:3: ",
            id="a-page-with-an-error",
        ),
    ],
)
def test_the_command_says_what_went_wrong(
    tmp_path: Path, index: Path, options: str, pages: dict[str, str], status: int, said: str
) -> None:
    """No folder or a page with errors is bad input (2), pip's failure is a failure (1), with
    pip's own error; a site that installs nothing has nothing to fetch (0)."""
    site = tmp_path / "site"
    write_site(site, pages, mkdocs_yml(PLUGINS + options))
    done = runbook("packages", "--", "--no-index", "--find-links", str(index), cwd=site)
    assert done.returncode == status, done.stdout + done.stderr
    assert said in done.stderr
    if status == 1:
        assert "No matching distribution found for greeting==2.0.0" in done.stderr
        assert not (site / "more").exists()
    if status == 0:
        assert done.stdout == "runbook: no step of the pages installs a package: nothing to fetch\n"
