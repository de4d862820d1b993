"""The chapter's own promises, checked with GitPython after its commands are replayed.

Each check runs on both paths a reader can take through the chapter: from the state chapter 6
leaves, and from the download of the take-over section; and over both transports.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from git import Repo

from conftest import Guide, assert_replayed
from helpers import CHAPTER, DOCS
from runbook.replaying.sandbox import Sandbox
from runbook.replaying.session import PageReplay

pytestmark = pytest.mark.replay

URL = "YOUR_GIT_REPOSITORY_URL"
REMOTE = "mlops-guide.git"


@pytest.fixture(params=[False, True], ids=["from-chapter-6", "taken-over"])
def chapter(request: pytest.FixtureRequest, replay_page: Callable[..., PageReplay]) -> PageReplay:
    """The chapter, replayed on one of its two paths."""
    replayed = replay_page(CHAPTER, take_over=request.param)
    assert_replayed(replayed)
    return replayed


def project(replayed: PageReplay) -> Repo:
    """The reader's working copy: where the chapter's commands ended."""
    assert replayed.cwd is not None
    return Repo(replayed.cwd)


def remote(replayed: PageReplay) -> Repo:
    return Repo(replayed.sandbox.remotes / REMOTE)


def teammate(replayed: PageReplay) -> Repo:
    """The teammate's clone: the chapter runs `git clone` in ../teammate."""
    return Repo(replayed.sandbox.root / "teammate" / REMOTE.removesuffix(".git"))


def git(replayed: PageReplay, cwd: Path | str, *args: str) -> str:
    """Run git as the reader would, inside the sandbox."""
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        env=replayed.sandbox.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_origin_points_at_the_remote(chapter: PageReplay) -> None:
    """`origin` is the URL the reader gave for <your git repository url>, and nothing else."""
    assert [r.name for r in project(chapter).remotes] == ["origin"]
    assert project(chapter).remotes.origin.url == chapter.values[URL]


def test_remote_main_equals_local_main(chapter: PageReplay) -> None:
    """After `git push -u origin main` the remote holds exactly the local history."""
    local = project(chapter)
    assert remote(chapter).heads.main.commit == local.heads.main.commit
    assert len(list(local.iter_commits("main"))) == 4


def test_local_main_tracks_origin_main(chapter: PageReplay) -> None:
    """`-u` set the upstream, so bare `git push` and `git pull` know where to go."""
    tracking = project(chapter).heads.main.tracking_branch()
    assert tracking is not None
    assert tracking.name == "origin/main"


def test_teammate_clone_has_the_remotes_tree(chapter: PageReplay) -> None:
    """The teammate's clone and the remote's `main` hold the same tree, the experiment's."""
    clone = teammate(chapter).head.commit
    assert clone.tree.hexsha == remote(chapter).heads.main.commit.tree.hexsha
    assert clone.tree.hexsha == project(chapter).head.commit.tree.hexsha
    assert "src/train.py" in [blob.path for blob in clone.tree.traverse()]


def test_bare_push_and_pull_keep_both_in_step(chapter: PageReplay) -> None:
    """Bare `git push` works after a commit; a teammate's push reaches a bare `git pull`."""
    local = project(chapter)
    (Path(local.working_dir) / "params.yaml").write_text("prepare:\n  seed: 78\n", "utf-8")
    git(chapter, local.working_dir, "commit", "--quiet", "--all", "--message", "Change the seed")
    git(chapter, local.working_dir, "push", "--quiet")
    assert remote(chapter).heads.main.commit == local.head.commit

    mate = Path(teammate(chapter).working_dir)
    git(chapter, mate, "pull", "--quiet")  # the teammate catches up before committing
    (mate / "README.md").write_text("# The experiment\n", encoding="utf-8")
    git(chapter, mate, "add", "README.md")
    git(chapter, mate, "commit", "--quiet", "--message", "Add a README")
    git(chapter, mate, "push", "--quiet")

    git(chapter, local.working_dir, "pull", "--quiet")
    assert local.head.commit == teammate(chapter).head.commit
    assert local.head.commit.message.strip() == "Add a README"


def _readme_on_the_remote(sandbox: Sandbox) -> None:
    """Give the remote a first commit, as a hosting service's "Add a README file" box does."""
    seed = sandbox.root / "seed"

    def run(*args: str, cwd: Path = sandbox.root) -> None:
        subprocess.run(["git", *args], cwd=cwd, env=sandbox.env, check=True, capture_output=True)

    run("clone", "--quiet", str(sandbox.remotes / REMOTE), str(seed))
    (seed / "README.md").write_text("# mlops-guide\n", encoding="utf-8")
    run("add", "README.md", cwd=seed)
    run("commit", "--quiet", "--message", "Initial commit", cwd=seed)
    run("push", "--quiet", "origin", "HEAD:main", cwd=seed)


def test_push_fails_when_the_remote_has_a_readme(replay_page: Callable[..., PageReplay]) -> None:
    """The chapter's warning holds: a remote created with a README rejects the first push."""
    replayed = replay_page(CHAPTER, prepare=_readme_on_the_remote)
    push = next(s for s in replayed.steps if "git push -u origin main" in s.code)
    assert not replayed.ok
    assert replayed.result.failed == push.location
    assert "rejected" in replayed.report()


def test_a_take_over_that_forgets_the_downloads_remote_is_caught(
    guide: Callable[..., Guide],
) -> None:
    """Cloning the download leaves it as `origin`: without `git remote remove origin` in the
    take-over steps, the chapter's `git remote add origin` fails, and the replay says so."""
    text = (DOCS / CHAPTER).read_text(encoding="utf-8")
    forgetful = text.replace("    git remote remove origin\n", "")
    assert forgetful != text
    replayed = guide({CHAPTER: forgetful}).replay(CHAPTER, take_over=True)
    add = next(s for s in replayed.steps if "git remote add origin" in s.code)
    assert replayed.result.failed == add.location
    assert "remote origin already exists" in replayed.report()
