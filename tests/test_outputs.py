"""Expected output: the block after a step that shows what it prints is compared with it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conftest import Guide, assert_replayed, only_runbook
from helpers import command, page
from runbook.reading.outputs import Expected
from runbook.reading.pages import PageReading
from runbook.replaying.expected import compare

Read = Callable[..., PageReading]
SAID = "The output should be similar to this:"


def shown(text: str, lang: str = "text", directive: str | None = None) -> str:
    """An output block as the guide shows one."""
    before = f"<!-- runbook: {directive} -->\n" if directive else ""
    return f"{before}```{lang}\n{text}\n```\n"


# Similar, and exact ---------------------------------------------------------------------------

GIT_DIFF = """\
diff --git a/requirements.txt b/requirements.txt
index 3b18e51..a3c4b2e 100644
--- a/requirements.txt
+++ b/requirements.txt
@@ -1 +1,2 @@
 dvc==3.0.0
+bentoml==1.2.0"""


@pytest.mark.parametrize(
    ("page_shows", "printed"),
    [
        pytest.param(GIT_DIFF, GIT_DIFF.replace("3b18e51..a3c4b2e", "0f0f0f0..1e2d3c4"), id="ids"),
        pytest.param(
            "[main 1a2b3c4] Add BentoML",
            "[main 9f8e7d6] Add BentoML\n 1 file changed, 1 insertion(+)",
            id="commit-id-and-more-lines",
        ),
        pytest.param(
            "On branch main\nChanges to be committed:\n    modified:   requirements.txt",
            'On branch main\nChanges to be committed:\n  (use "git restore")\n'
            "\tmodified:   requirements.txt\n",
            id="spacing-and-a-line-between",
        ),
        pytest.param(
            '{"image_mean": ..., "image_std": ...}',
            '{"image_mean": [0.5, 0.4], "image_std": [0.2, 0.1]}',
            id="dots-within-a-line",
        ),
        pytest.param("start\n...\nend", "start\na\nb\nc\nend", id="dots-alone"),
        pytest.param(
            "Date:   Thu Jan 1 12:00:00 2026 +0000\nsaved 2026-01-01T12:00:00Z in 3.2s, 14 KiB",
            "Date:   Mon Dec 7 16:23:06 2026 +0000\nsaved 2026-12-07T16:23:06Z in 0.41s, 9.5 MiB",
            id="dates-times-durations-sizes",
        ),
        pytest.param(
            "Cloning into '/home/reader/mlops-guide'...",
            "Cloning into '/tmp/pytest-of-root/sandbox/project/mlops-guide'...",
            id="paths",
        ),
        pytest.param("done", "\x1b[32mdone\x1b[0m", id="colours"),
        pytest.param("", "anything at all", id="nothing-shown"),
    ],
)
def test_similar_output_matches(page_shows: str, printed: str) -> None:
    """What changes from run to run, spacing, `...` and extra lines do not count."""
    assert compare(Expected(10, page_shows), printed) is None


@pytest.mark.parametrize(
    ("page_shows", "printed", "missing"),
    [
        pytest.param(
            GIT_DIFF, GIT_DIFF.replace("+bentoml", "+mlflow"), "+bentoml==1.2.0", id="edit"
        ),
        pytest.param("one\ntwo", "two\none", "two", id="order"),
        pytest.param('{"image_mean": ...}', '{"image_std": 1}', '{"image_mean": ...}', id="dots"),
        pytest.param("3 files changed", "2 files changed", "3 files changed", id="counts"),
        pytest.param("a\n...\nb", "a\n", "b", id="dots-alone-need-what-follows"),
    ],
)
def test_different_output_is_a_mismatch(page_shows: str, printed: str, missing: str) -> None:
    """A shown line that does not appear, in order, fails, and is named."""
    mismatch = compare(Expected(10, page_shows), printed)
    assert mismatch is not None
    assert mismatch.missing == missing
    assert "--- shown on the page" in mismatch.diff
    assert "+++ printed by the step" in mismatch.diff


@pytest.mark.parametrize(
    ("printed", "same"),
    [
        pytest.param("one\ntwo\n", True, id="same"),
        pytest.param("one\ntwo\n\n", True, id="final-newlines"),
        pytest.param("one\ntwo\nthree\n", False, id="a-line-more"),
        pytest.param("one\n  two\n", False, id="spacing"),
    ],
)
def test_exact_output_is_the_text_itself(printed: str, same: bool) -> None:
    """`exact` compares the texts as they are, but for the final newlines."""
    assert (compare(Expected(10, "one\ntwo", "exact"), printed) is None) == same


# Which block is a step's output ------------------------------------------------------------


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        pytest.param([SAID, shown("x", "diff")], (9, "x", "similar"), id="diff"),
        pytest.param(
            ["The output of the `git status` command should be similar to this:", shown("x")],
            (9, "x", "similar"),
            id="text-after-a-longer-sentence",
        ),
        pytest.param([SAID, shown("{}", "json")], (9, "{}", "similar"), id="json"),
        pytest.param([SAID, "```\nx\n```"], (9, "x", "similar"), id="untitled"),
        pytest.param(["An example of a file:", shown("x")], None, id="other-prose"),
        pytest.param([SAID, shown("x", "python")], (9, "x", "similar"), id="untitled-python"),
        pytest.param([SAID, '```python title="Log"\nx\n```'], None, id="titled-other-language"),
        pytest.param(
            [SAID, '``` title="Log"\nx\n```'], (9, "x", "similar"), id="titled-no-language"
        ),
        pytest.param(
            ["Nothing to say.", shown("x", directive="output")], (10, "x", "similar"), id="output"
        ),
        pytest.param(
            ["Compare:", shown("x", directive='output="exact"')], (10, "x", "exact"), id="exact"
        ),
        pytest.param([SAID, shown("x", directive="not-output")], None, id="not-output"),
    ],
)
def test_which_block_is_a_steps_output(
    read: Read, parts: list[str], expected: tuple[int, str, str] | None
) -> None:
    """An output block right after a step, with prose that says so between, or a directive."""
    runbook = only_runbook(read(page(command("git diff"), *parts)))
    found = runbook.steps[0].expected
    assert (None if found is None else (found.line, found.text, found.mode)) == expected


@pytest.mark.parametrize(
    ("parts", "line", "message"),
    [
        pytest.param(
            ["The output is below:", shown("x")], 9, "speaks of output, but not as", id="unclear"
        ),
        pytest.param(
            [command("true"), "Some prose.", shown("x", directive="output")],
            1,
            None,
            id="fine-after-the-second-step",
        ),
        pytest.param(
            ["```python\nprint(1)\n```", shown("x", directive="output")],
            12,
            "no step comes right before",
            id="a-block-between",
        ),
        pytest.param(
            [
                '```txt title="requirements.txt"\ndvc\n```',
                SAID,
                shown("x"),
            ],
            13,
            "a file's block prints nothing",
            id="after-a-file",
        ),
    ],
)
def test_output_blocks_that_cannot_be(
    read: Read, parts: list[str], line: int, message: str | None
) -> None:
    """An output block that is unclear, or has no step right before it, is an error at its line."""
    errors = read(page(command("git diff"), *parts), "p.md").errors
    if message is None:
        assert errors == []
        return
    assert [(error.path, error.line) for error in errors] == [("p.md", line)]
    assert message in errors[0].message


def test_output_in_other_tabs_than_its_step_is_an_error(read: Read) -> None:
    """A step's output belongs in its tabs: elsewhere a reader of one tab sees the other's."""
    text = page(
        '=== "GitHub"\n\n' + command("git status", indent="    "),
        SAID,
        shown("On branch main"),
    )
    errors = read(text, "p.md").errors
    assert [error.line for error in errors] == [11]
    assert "not in the same content tabs" in errors[0].message


def test_output_directives_before_a_step_are_errors(read: Read) -> None:
    """`output` and `not-output` go before a block that shows output, not before a command."""
    errors = read(page(command("true"), command("true", directive="output")), "p.md").errors
    assert [error.line for error in errors] == [7]
    assert "not before a step" in errors[0].message


# Replayed --------------------------------------------------------------------------------------

EDIT = page(
    command("git init -q --initial-branch=main repo && cd repo"),
    '```txt title="requirements.txt"\ndvc==3.0.0\n```',
    command("git add requirements.txt && git commit -q -m 'Add requirements'"),
    '```txt title="requirements.txt"\ndvc==3.0.0\nbentoml==1.2.0\n```',
    "Check the differences with Git:",
    command("git diff requirements.txt"),
    SAID,
    shown(GIT_DIFF, "diff"),
    command("git status"),
    "The output of the `git status` command should be similar to this:",
    shown("On branch main\nChanges not staged for commit:\n        modified:   requirements.txt"),
)


def test_output_the_page_shows_passes(guide: Callable[..., Guide]) -> None:
    """A `git diff` and a `git status` print what the page shows, ids and spacing aside."""
    replayed = guide({"page.md": EDIT}).replay("page.md")
    assert_replayed(replayed)


def test_output_a_changed_edit_no_longer_shows_fails(guide: Callable[..., Guide]) -> None:
    """When the edit changes and the diff no longer shows it, the step fails; the report names
    the output block and shows the diff."""
    changed = EDIT.replace("dvc==3.0.0\nbentoml==1.2.0\n```", "dvc==3.0.0\nmlflow==2.0.0\n```")
    replayed = guide({"page.md": changed}).replay("page.md")
    assert not replayed.ok
    diff_step = replayed.result.steps[4]
    assert diff_step.outcome == "output differs"
    report = replayed.report()
    assert report.startswith(
        f"page.md: step {diff_step.location}'s output differs from the output shown at line 28: "
        "no line like '+bentoml==1.2.0'"
    )
    assert "-+bentoml==1.2.0\n++mlflow==2.0.0" in report
    assert replayed.result.steps[5].outcome == "passed"  # the steps after it ran
