"""Shared fixtures: real MkDocs builds of the project's docs or of small pages written by a test."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config

PROJECT = Path(__file__).resolve().parents[1]
DOCS = PROJECT / "docs"
CHAPTER = "move-the-ml-experiment-code-to-the-cloud.md"

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")


def build_site(site_dir: Path, docs_dir: Path = DOCS, **options: object) -> Path:
    """Build the site with the project's mkdocs.yml, strictly, into `site_dir`."""
    config = load_config(
        str(PROJECT / "mkdocs.yml"),
        docs_dir=str(docs_dir),
        site_dir=str(site_dir),
        strict=True,
        **options,
    )
    build(config)
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
