"""Pages that start where another page ends: state carried along, failures placed, cost linear."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from conftest import Guide, assert_replayed
from helpers import command, page
from runbook.replaying.chains import paths
from runbook.replaying.session import ChainError

pytestmark = pytest.mark.replay


def starts(after: str, *parts: str, heading: str = "A page") -> str:
    """A page whose replay starts where `after`'s ends."""
    return f"---\nrunbook:\n  start: {after}\n---\n\n" + page(*parts, heading=heading)


# A virtualenv, exported and shell variables, a function and the working directory, made by the
# first page, changed by the second, checked by the third.
CHAIN = {
    "a.md": page(
        command("mkdir work && cd work"),
        command("python3 -m venv --without-pip .venv\nsource .venv/bin/activate"),
        command('export GREETING=hello\nnote="only in this shell"\ngreet() { echo "$GREETING"; }'),
    ),
    "b.md": starts(
        "a.md",
        command('test "$VIRTUAL_ENV" = "$PWD/.venv"'),
        command('test "$(command -v python)" = "$VIRTUAL_ENV/bin/python"'),
        command('test "$(greet)" = hello\ntest "$note" = "only in this shell"'),
        command("mkdir ../later && cd ../later\nexport STEP=b"),
    ),
    "c.md": starts(
        "b.md",
        command('test "$(basename "$PWD")" = later\ntest "$STEP" = b'),
        command('deactivate\ntest -z "${VIRTUAL_ENV-}"\n! command -v python >/dev/null'),
    ),
}


def test_a_chain_carries_venv_variables_functions_and_directory(
    guide: Callable[..., Guide],
) -> None:
    """The third page of a chain finds what the first two left: folder, variables, venv."""
    assert_replayed(guide(CHAIN).replay("c.md"))


def test_each_page_of_a_chain_replays_once(guide: Callable[..., Guide]) -> None:
    """Replaying every page of a chain runs each page's script once: end states are reused."""
    made = guide(CHAIN)
    for name in ("c.md", "a.md", "b.md"):  # any order: the last page first
        assert_replayed(made.replay(name))
        made.stack.close()  # a test of each page in turn, as pytest runs them
    assert dict(made.session().runs) == {"a.md": 1, "b.md": 1, "c.md": 1}


def test_an_earlier_pages_failure_is_reported_as_such(guide: Callable[..., Guide]) -> None:
    """When an earlier page fails, the later page is not blamed: the report names both."""
    broken = {**CHAIN, "a.md": page(command("mkdir work && cd work"), command("false"))}
    with pytest.raises(ChainError) as raised:
        guide(broken).replay("c.md")
    said = str(raised.value)
    assert said.startswith("c.md:3: starts after b.md; b.md:3: starts after a.md, whose replay")
    assert "step a.md:7 failed with exit status 1" in said


@pytest.mark.parametrize(
    ("pages", "page_with_error", "message"),
    [
        pytest.param(
            {"a.md": starts("b.md", command("true")), "b.md": starts("a.md", command("true"))},
            "a.md:3",
            "start: makes a cycle (a.md -> b.md -> a.md)",
            id="cycle",
        ),
        pytest.param(
            {"a.md": starts("missing.md", command("true"))},
            "a.md:3",
            "start: missing.md is neither a page of the site nor a named state",
            id="missing-page",
        ),
        pytest.param(
            {"a.md": starts("chapter-9", command("true"))},
            "a.md:3",
            "start: chapter-9 is neither a page of the site nor a named state (states: chapter-6)",
            id="unknown-state",
        ),
        pytest.param(
            {"a.md": starts("chapter-7", command("true"))},
            "a.md:3",
            "start: chapter-7 is neither a page of the site nor a named state (states: "
            "chapter-6); did you mean start: chapter-6?",
            id="close-to-a-state",
        ),
        pytest.param(
            {"a.md": starts("guide/setup.md", command("true")), "guide/set-up.md": "# S\n"},
            "a.md:3",
            "start: guide/setup.md is neither a page of the site nor a named state (states: "
            "chapter-6); did you mean start: guide/set-up.md?",
            id="close-to-a-page",
        ),
        pytest.param(
            {"a.md": starts("docs/guide/b.md", command("true")), "guide/b.md": "# B\n"},
            "a.md:3",
            "start: docs/guide/b.md is neither a page of the site nor a named state (states: "
            "chapter-6); a page is named by its path under the docs folder: start: guide/b.md",
            id="docs-folder-in-the-path",
        ),
        pytest.param(
            {
                "a.md": page(command("true")),
                "b.md": starts("a.md", command("true", directive="take-over")),
            },
            "b.md:3",
            "take-over steps need a start state to download",
            id="take-over-after-a-page",
        ),
    ],
)
def test_bad_starts_are_errors_at_their_line(
    guide: Callable[..., Guide], pages: dict[str, str], page_with_error: str, message: str
) -> None:
    """A start that names no page or state, a cycle, or a take-over with nothing to download
    is an error at the line of `start:`, as the build reports it."""
    errors = guide(pages).errors
    assert any(e.startswith(f"{page_with_error}: {message}") for e in errors), errors


def test_values_come_from_the_page_then_the_site(guide: Callable[..., Guide]) -> None:
    """A page's front matter gives a placeholder its test value; the site's values stay."""
    text = "---\nrunbook:\n  values:\n    MY_BUCKET_NAME: the-bucket\n---\n\n" + page(
        command('test "<my bucket name>" = the-bucket\ngit ls-remote <my git repository url>')
    )
    replayed = guide({"p.md": text}).replay("p.md")
    assert_replayed(replayed)
    assert replayed.values["MY_BUCKET_NAME"] == "the-bucket"
    assert replayed.values["MY_GIT_REPOSITORY_URL"].endswith("remotes/mlops-guide.git")


def test_a_missing_value_says_where_to_declare_it(guide: Callable[..., Guide]) -> None:
    """A placeholder without a test value is an error at its line, saying where values go."""
    made = guide({"p.md": page(command("echo <my token name>"))})
    with pytest.raises(Exception, match=r"p\.md:4: no test value for MY_TOKEN_NAME") as raised:
        made.replay("p.md")
    assert "mkdocs.yml" in str(raised.value)
    assert "front matter" in str(raised.value)


# A remote added on the first page, pushed to on each: over HTTP each replay has its own server,
# at its own address, so each page must reach the remote the first page added, where it is now.
REMOTE_CHAIN = {
    "a.md": page(
        command("git init --quiet --initial-branch=main work && cd work"),
        command("git remote add origin <my git repository url>"),
        command("git commit --quiet --allow-empty -m a && git push --quiet -u origin main"),
    ),
    "b.md": starts("a.md", command("git commit --quiet --allow-empty -m b && git push --quiet")),
    "c.md": starts("b.md", command("git commit --quiet --allow-empty -m c && git push --quiet")),
    "d.md": starts("c.md", command("git commit --quiet --allow-empty -m d && git push --quiet")),
}


@pytest.mark.parametrize("transport", ["path", "http"])
def test_a_chain_reaches_its_remote_over_either_transport(
    guide: Callable[..., Guide], transport: str
) -> None:
    """Each page pushes to the remote the first page added, page after page, in any order."""
    made = guide(REMOTE_CHAIN)
    for name in ("b.md", "c.md", "d.md", "a.md"):
        assert_replayed(made.replay(name, transport=transport))
        made.stack.close()


def test_a_change_to_a_kept_replay_does_not_reach_the_page_after(
    guide: Callable[..., Guide],
) -> None:
    """A test may change what a replay left, here a file rewritten with its size and time kept:
    the page that starts after it still starts from the end its replay kept."""
    made = guide(
        {
            "a.md": page(command("echo 0.1 > lr.txt")),
            "b.md": starts("a.md", command('test "$(cat lr.txt)" = 0.1')),
        }
    )
    replayed = made.replay("a.md")
    assert replayed.cwd is not None
    lr = replayed.cwd / "lr.txt"
    before = lr.stat()
    lr.write_text("0.9\n", encoding="utf-8")
    os.utime(lr, ns=(before.st_atime_ns, before.st_mtime_ns))
    made.stack.close()
    assert_replayed(made.replay("b.md"))
    assert dict(made.session().runs) == {"a.md": 1, "b.md": 1}


def tabs(*labels: str, code: str = "echo {label} >> path.txt") -> str:
    """A tab set with a step in each tab, which notes its label."""
    return "".join(
        f'=== "{label}"\n\n' + command(code.format(label=label), indent="    ") for label in labels
    )


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        pytest.param(
            ("GitHub", "GitLab"),
            ("GitHub", "GitLab"),
            [("GitHub", "GitHub"), ("GitLab", "GitLab")],
            id="linked-labels",
        ),
        pytest.param(
            ("GitHub", "GitLab"),
            ("pip", "uv"),
            [("GitHub", "pip"), ("GitHub", "uv"), ("GitLab", "pip")],
            id="other-labels",
        ),
        pytest.param(
            ("GitHub", "GitLab", "Bitbucket"),
            ("GitHub", "GitLab"),
            [("GitHub", "GitHub"), ("GitLab", "GitLab"), ("Bitbucket", "GitHub")],
            id="more-labels-before",
        ),
    ],
)
def test_a_page_replays_after_each_variant_of_the_page_before(
    guide: Callable[..., Guide],
    first: tuple[str, ...],
    second: tuple[str, ...],
    expected: list[tuple[str, str]],
) -> None:
    """A reader's tab choice holds across pages, as Material links tabs by label: the page after
    replays after the variant with its label, and after every variant of the page before at
    least once."""
    made = guide(
        {
            "a.md": page(command("mkdir work && cd work"), tabs(*first)),
            "b.md": starts("a.md", tabs(*second), command("cat path.txt")),
        }
    )
    runbooks = [made.runbook("a.md"), made.runbook("b.md")]
    ways = [tuple(variant.name for variant in way) for way in paths(runbooks)]
    assert ways == expected
    for before, variant in ways:
        replayed = made.replay("b.md", variant, after=(before,))
        assert_replayed(replayed)
        assert replayed.result.steps[-1].printed == f"{before}\n{variant}\n"
        made.stack.close()


def test_a_page_that_sets_noclobber_still_hands_on_its_state(guide: Callable[..., Guide]) -> None:
    """A page whose shell refuses to overwrite files (`set -o noclobber`) is kept as any other,
    and the page after it finds the option set, as a reader's terminal would."""
    made = guide(
        {
            "a.md": page(command("set -o noclobber\necho one > kept.txt")),
            "b.md": starts("a.md", command("[[ -o noclobber ]]\n! (echo two > kept.txt)")),
        }
    )
    assert_replayed(made.replay("b.md"))
