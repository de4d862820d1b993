"""The chapter's own promises, checked with GitPython after its commands are replayed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from git import Repo

from conftest import CHAPTER, REMOTE, Replayed

pytestmark = pytest.mark.replay


@pytest.fixture
def chapter(replay_page: Callable[..., Replayed]) -> Replayed:
    replayed = replay_page(CHAPTER)
    replayed.assert_ok()
    return replayed


def teammate(replayed: Replayed) -> Repo:
    """The teammate's clone: the chapter runs `git clone` in ../teammate."""
    return Repo(replayed.sandbox.root / "teammate" / REMOTE.removesuffix(".git"))


def test_origin_points_at_the_remote(chapter: Replayed) -> None:
    """`origin` is the URL the reader gave for <your git repository url>."""
    assert Repo(chapter.sandbox.workdir).remotes.origin.url == chapter.url


def test_remote_main_equals_local_main(chapter: Replayed) -> None:
    """After `git push -u origin main` the remote holds exactly the local history."""
    local = Repo(chapter.sandbox.workdir)
    assert Repo(chapter.remote).heads.main.commit == local.heads.main.commit
    assert len(list(local.iter_commits("main"))) == 4


def test_local_main_tracks_origin_main(chapter: Replayed) -> None:
    """`-u` set the upstream, so bare `git push` and `git pull` know where to go."""
    tracking = Repo(chapter.sandbox.workdir).heads.main.tracking_branch()
    assert tracking is not None
    assert tracking.name == "origin/main"


def test_teammate_clone_has_the_same_tree(chapter: Replayed) -> None:
    """The teammate's clone holds the experiment exactly as it was pushed."""
    original = Repo(chapter.sandbox.workdir).head.commit
    clone = teammate(chapter).head.commit
    assert clone.tree.hexsha == original.tree.hexsha
    assert "src/train.py" in [blob.path for blob in clone.tree.traverse()]


def test_bare_push_and_pull_keep_both_in_step(chapter: Replayed) -> None:
    """Bare `git push` works after a commit; a teammate's push reaches a bare `git pull`."""
    project = chapter.sandbox.workdir
    (project / "params.yaml").write_text("prepare:\n  seed: 78\n", encoding="utf-8")
    chapter.git(project, "commit", "--quiet", "--all", "--message", "Change the seed")
    chapter.git(project, "push", "--quiet")
    assert Repo(chapter.remote).heads.main.commit == Repo(project).head.commit

    clone = teammate(chapter)
    mate = Path(clone.working_dir)
    chapter.git(mate, "pull", "--quiet")  # the teammate catches up before committing
    (mate / "README.md").write_text("# The experiment\n", encoding="utf-8")
    chapter.git(mate, "add", "README.md")
    chapter.git(mate, "commit", "--quiet", "--message", "Add a README")
    chapter.git(mate, "push", "--quiet")

    chapter.git(project, "pull", "--quiet")
    assert Repo(project).head.commit == clone.head.commit
    assert Repo(project).head.commit.message.strip() == "Add a README"


def test_push_fails_when_the_remote_has_a_readme(
    replay_page: Callable[..., Replayed],
) -> None:
    """The chapter's warning holds: a remote created with a README rejects the first push."""
    replayed = replay_page(CHAPTER, remote_readme=True)
    push = next(s for s in replayed.runbook.steps if "git push -u origin main" in s.code)
    assert not replayed.result.ok
    assert replayed.result.failed == push.location
    assert "rejected" in replayed.result.report(replayed.runbook)
