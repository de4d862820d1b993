"""Shared fixtures: real MkDocs builds of the project's docs or of small pages written by a test."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig

from checkpoints import CHECKPOINTS
from runbook.config import load
from runbook.config import selection as rules
from runbook.gitserver import serve_git
from runbook.pages import markdown_pages, read_page
from runbook.replay import Replay, Sandbox, make_sandbox, replay
from runbook.runbook import Runbook, Selection, read_runbook

PROJECT = Path(__file__).resolve().parents[1]
DOCS = PROJECT / "docs"
CHAPTER = "move-the-ml-experiment-code-to-the-cloud.md"

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")


def site_config(site_dir: Path, docs_dir: Path = DOCS, **options: object) -> MkDocsConfig:
    """The project's mkdocs.yml, strict unless `options` say not, building `docs_dir`."""
    options.setdefault("strict", True)
    return load_config(
        str(PROJECT / "mkdocs.yml"), docs_dir=str(docs_dir), site_dir=str(site_dir), **options
    )


def build_site(site_dir: Path, docs_dir: Path = DOCS, **options: object) -> Path:
    """Build the site with the project's mkdocs.yml, strictly, into `site_dir`."""
    build(site_config(site_dir, docs_dir, **options))
    return site_dir


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's docs, built once per test session."""
    return build_site(tmp_path_factory.mktemp("site"))


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[..., Path]:
    """Build a site of the given pages ({name: markdown}) with the project's configuration."""

    def make(pages: dict[str, str], **options: object) -> Path:
        docs = tmp_path / "docs"
        shutil.rmtree(docs, ignore_errors=True)
        for name, text in pages.items():
            (docs / name).parent.mkdir(parents=True, exist_ok=True)
            (docs / name).write_text(text, encoding="utf-8")
        shutil.copytree(DOCS / "assets", docs / "assets")
        options.setdefault("nav", list(pages))
        return build_site(tmp_path / "site", docs, **options)

    return make


@pytest.fixture(autouse=True)
def _quiet_mkdocs_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="mkdocs")


# Replay ------------------------------------------------------------------------------------

REMOTE = "mlops-guide.git"

# What each placeholder a page leaves to the reader is in a replay: a function of the remote's
# URL. A page that introduces a placeholder adds its test value here.
VALUES: dict[str, Callable[[str], str]] = {
    "YOUR_GIT_REPOSITORY_URL": lambda url: url,
    "MY_GIT_REPOSITORY_URL": lambda url: url,
}


def selection() -> Selection:
    """The block selection of the project's mkdocs.yml, as the build and the CLI use it."""
    return rules(load(PROJECT / "mkdocs.yml")[0])


def runbook_of(page: str) -> Runbook:
    return read_page(DOCS / page, page, selection())


def replayable_pages() -> list[tuple[str, str]]:
    """Every (page, variant) of the docs that has steps: each one is replayed."""
    pages = [p.relative_to(DOCS).as_posix() for p in markdown_pages(DOCS)]
    return [
        (page, variant.name)
        for page in pages
        for runbook in [runbook_of(page)]
        if runbook.steps
        for variant in runbook.variants
    ]


def sandbox_git(cwd: Path, sandbox: Sandbox, *args: str, check: bool = True) -> str:
    """Run git as the reader would, inside the sandbox; return its output."""
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env=sandbox.env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    if check and result.returncode != 0:
        pytest.fail(f"git {' '.join(args)} failed in {cwd}:\n{result.stderr}", pytrace=False)
    return result.stdout


@dataclass
class Replayed:
    """A page replayed in a sandbox, and the places a page's checks look at."""

    runbook: Runbook
    sandbox: Sandbox
    remote: Path
    url: str
    result: Replay

    def assert_ok(self) -> None:
        if not self.result.ok:
            pytest.fail(self.result.report(self.runbook), pytrace=False)

    def git(self, cwd: Path, *args: str, check: bool = True) -> str:
        return sandbox_git(cwd, self.sandbox, *args, check=check)


@pytest.fixture(params=["path", "http"], ids=["remote-path", "remote-http"])
def transport(request: pytest.FixtureRequest) -> str:
    """How the replay reaches its remote: a local path, or smart HTTP on 127.0.0.1."""
    return request.param


@pytest.fixture
def replay_page(tmp_path: Path, transport: str) -> Iterator[Callable[..., Replayed]]:
    """Replay a docs page (or any Markdown) in a fresh sandbox against a fresh bare remote."""
    with ExitStack() as stack:

        def run(
            page: str,
            variant: str | None = None,
            *,
            text: str | None = None,
            remote_readme: bool = False,
        ) -> Replayed:
            runbook = runbook_of(page) if text is None else read_runbook(page, text, selection())
            root = Path(tempfile.mkdtemp(prefix="replay-", dir=tmp_path))
            remotes = root / "remotes"
            remotes.mkdir()
            base = ""
            if transport == "http":
                base = stack.enter_context(serve_git(remotes, make_sandbox(root / "server").env))
            sandbox = make_sandbox(root, loopback=[base] if base else [])
            remote = remotes / REMOTE
            sandbox_git(
                root, sandbox, "init", "--quiet", "--bare", "--initial-branch=main", str(remote)
            )
            if remote_readme:
                _add_readme(remote, sandbox)
            if runbook.start is not None:
                if runbook.start not in CHECKPOINTS:
                    pytest.fail(f"{page}: unknown start state {runbook.start!r}", pytrace=False)
                CHECKPOINTS[runbook.start](sandbox.workdir, sandbox.env)
            url = base + REMOTE if base else str(remote)
            values = {}
            for placeholder in runbook.placeholders():
                if placeholder.name not in VALUES:
                    pytest.fail(
                        f"{page}:{placeholder.line}: no test value for {placeholder.name}; "
                        "add one to VALUES in tests/conftest.py",
                        pytrace=False,
                    )
                values[placeholder.name] = VALUES[placeholder.name](url)
            result = replay(runbook, sandbox, values, runbook.variant(variant))
            return Replayed(runbook, sandbox, remote, url, result)

        yield run


def _add_readme(remote: Path, sandbox: Sandbox) -> None:
    """Give the remote a first commit, as a hosting service's "Add a README file" box does."""
    seed = sandbox.root / "seed"
    sandbox_git(sandbox.root, sandbox, "clone", "--quiet", str(remote), str(seed))
    (seed / "README.md").write_text("# mlops-guide\n", encoding="utf-8")
    sandbox_git(seed, sandbox, "add", "README.md")
    sandbox_git(seed, sandbox, "commit", "--quiet", "--message", "Initial commit")
    sandbox_git(seed, sandbox, "push", "--quiet", "origin", "HEAD:main")
