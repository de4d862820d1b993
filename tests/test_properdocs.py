"""ProperDocs builds the site MkDocs builds: the same files, byte for byte, but the generator tag.

Each tool builds in a process of its own: ProperDocs aliases every `mkdocs.*` import to itself for
the whole process (`properdocs.replacement`), and this one has imported MkDocs already.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from helpers import PROJECT

# Material's base.html writes `content="mkdocs-{{ mkdocs_version }}, mkdocs-material-X"`, and
# ProperDocs gives "ProperDocs X" as the MkDocs version: only that engine part is not compared.
GENERATOR_ENGINE = re.compile(rb'(<meta name="generator" content=")mkdocs-[^,"]*')
# One build date for both: the sitemap's <lastmod> and sitemap.xml.gz's header carry the UTC day.
SOURCE_DATE_EPOCH = "1700000000"
SCRIPT = "runbooks/move-the-ml-experiment-code-to-the-cloud.sh"
BUNDLE = "runbooks/chapter-6.bundle"


def build(tool: str, site_dir: Path) -> Path:
    """Build the project's site strictly with `tool` ("mkdocs" or "properdocs") into `site_dir`."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH, "NO_MKDOCS_2_WARNING": "1"}
    command = ["build", "--strict", "-q", "-f", "mkdocs.yml", "-d", str(site_dir)]
    result = subprocess.run(
        [sys.executable, "-m", tool, *command],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"{tool} build failed:\n{result.stdout}{result.stderr}"
    return site_dir


def files(root: Path) -> dict[str, Path]:
    return {path.relative_to(root).as_posix(): path for path in root.rglob("*") if path.is_file()}


def normalised(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix == ".html":
        data = GENERATOR_ENGINE.sub(rb"\1mkdocs-*", data)
    return data


def site_differences(a: Path, b: Path) -> list[str]:
    """One line per file that is in only one of the sites, or whose bytes differ."""
    files_a, files_b = files(a), files(b)
    differences = [f"only in {a}: {name}" for name in sorted(files_a.keys() - files_b.keys())]
    differences += [f"only in {b}: {name}" for name in sorted(files_b.keys() - files_a.keys())]
    differences += [
        f"differs: {name}"
        for name in sorted(files_a.keys() & files_b.keys())
        if normalised(files_a[name]) != normalised(files_b[name])
    ]
    return differences


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The project's site built by MkDocs, then by ProperDocs, with the same build date."""
    return (
        build("mkdocs", tmp_path_factory.mktemp("mkdocs")),
        build("properdocs", tmp_path_factory.mktemp("properdocs")),
    )


def test_properdocs_builds_the_same_site(sites: tuple[Path, Path]) -> None:
    """Every file of the two builds is identical, but the engine named in the generator tag."""
    assert site_differences(*sites) == []


def test_both_publish_the_runbooks_and_the_bundle(sites: tuple[Path, Path]) -> None:
    """Both sites publish the page scripts and the chapter-6 bundle, with the same bytes."""
    mkdocs_site, properdocs_site = sites
    scripts = sorted(path.name for path in (mkdocs_site / "runbooks").glob("*.sh"))
    assert Path(SCRIPT).name in scripts
    assert sorted(path.name for path in (properdocs_site / "runbooks").glob("*.sh")) == scripts
    for name in [*(f"runbooks/{script}" for script in scripts), BUNDLE]:
        assert (mkdocs_site / name).read_bytes() == (properdocs_site / name).read_bytes(), name


def test_the_generator_tags_name_each_engine(sites: tuple[Path, Path]) -> None:
    """Each page has one generator tag; it names MkDocs or ProperDocs, then the same Material."""
    for site, engine in zip(sites, [rb"mkdocs-1\.", rb"mkdocs-ProperDocs "], strict=True):
        pages = [path for path in files(site).values() if path.suffix == ".html"]
        assert pages
        for page in pages:
            tags = GENERATOR_ENGINE.findall(page.read_bytes())
            assert len(tags) == 1, page
            assert re.search(b'content="' + engine, page.read_bytes()), page


def append(name: str, data: bytes) -> Callable[[Path], None]:
    return lambda site: (site / name).write_bytes((site / name).read_bytes() + data)


def replace(name: str, old: bytes, new: bytes) -> Callable[[Path], None]:
    def plant(site: Path) -> None:
        page = site / name
        assert old in page.read_bytes()
        page.write_bytes(page.read_bytes().replace(old, new, 1))

    return plant


def delete(name: str) -> Callable[[Path], None]:
    return lambda site: (site / name).unlink()


@pytest.mark.parametrize(
    ("plant", "expected"),
    [
        pytest.param(append(SCRIPT, b"echo planted\n"), [f"differs: {SCRIPT}"], id="script"),
        pytest.param(append(BUNDLE, b"\0"), [f"differs: {BUNDLE}"], id="bundle"),
        pytest.param(
            replace("index.html", b"mkdocs-material-", b"mkdocs-material-0"),
            ["differs: index.html"],
            id="material-version-in-the-generator-tag",
        ),
        pytest.param(
            replace("index.html", b"<title>", b"<title>Planted "),
            ["differs: index.html"],
            id="page-title",
        ),
        pytest.param(delete("sitemap.xml"), ["only in {a}: sitemap.xml"], id="missing-file"),
        pytest.param(
            lambda site: (site / "runbooks" / "planted.sh").write_bytes(b"true\n"),
            ["only in {b}: runbooks/planted.sh"],
            id="extra-file",
        ),
        pytest.param(
            replace("index.html", b'content="mkdocs-1.', b'content="mkdocs-ProperDocs 0.'),
            [],
            id="engine-in-the-generator-tag-alone",
        ),
    ],
)
def test_a_planted_difference_is_reported(
    plant: Callable[[Path], None],
    expected: list[str],
    sites: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    """A copy of the MkDocs site with one change planted differs by that file, and only by it."""
    original = sites[0]
    copy = shutil.copytree(original, tmp_path / "planted")
    plant(copy)
    assert site_differences(original, copy) == [
        line.format(a=original, b=copy) for line in expected
    ]
