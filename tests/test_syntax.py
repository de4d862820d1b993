"""Each step parses as complete bash on its own; what does not is an error at its line."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from helpers import command, page
from runbook.errors import SourceError
from runbook.reading import syntax
from runbook.reading.pages import PageReading
from runbook.reading.steps import Step
from runbook.reading.syntax import check_steps

Read = Callable[..., PageReading]
UNFINISHED = "incomplete command: the block ends inside an unfinished if, case, loop, function"


def errors_of(read: Read, text: str) -> list[str]:
    return [str(error) for error in read(text, "p.md").errors]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        pytest.param(
            page(command("echo ok\necho 'a\nb")),
            5,
            "incomplete command: a ' quote opens here and never closes",
            id="unclosed-quote",
        ),
        pytest.param(
            page(command('echo "a')),
            4,
            'incomplete command: a " quote opens here and never closes',
            id="unclosed-double-quote",
        ),
        pytest.param(
            page(command("echo ok\ncat <<EOF\nx")),
            5,
            "incomplete command: here-document <<EOF never ends: its delimiter line EOF must",
            id="heredoc-never-ends",
        ),
        pytest.param(
            page(command("cat <<EOF\nx"), "Then:", command("EOF")),
            4,
            "incomplete command: here-document <<EOF never ends",
            id="heredoc-ends-in-a-later-block",
        ),
        pytest.param(
            page(command("echo ok\ncat <<EOF"), command("x\nEOF")),
            5,
            "incomplete command: here-document <<EOF has no lines",
            id="heredoc-operator-on-the-last-line",
        ),
        pytest.param(
            page(command("echo a \\\n  b \\")),
            5,
            "incomplete command: the last line ends with a backslash, which would join it",
            id="final-backslash",
        ),
        pytest.param(
            page(command("ls <path>")),
            4,
            "bash reads a one-word <name> as redirections: a value for the reader needs two words",
            id="one-word-placeholder",
        ),
        pytest.param(page(command("echo a\nif true; then\n  echo b")), 4, UNFINISHED, id="if"),
        pytest.param(page(command("for x in a b; do\n  echo $x")), 4, UNFINISHED, id="for"),
        pytest.param(page(command("case $x in\n  a) echo a;;")), 4, UNFINISHED, id="case"),
        pytest.param(page(command("f() {\n  echo a")), 4, "a { group opens here", id="function"),
        pytest.param(
            page(command("echo )")),
            4,
            "bash cannot parse this block: syntax error near unexpected token `)'",
            id="syntax-error",
        ),
        pytest.param(
            page(command("echo a\n\necho b; done")),
            6,
            "bash cannot parse this block: syntax error near unexpected token `done'",
            id="syntax-error-on-a-later-line",
        ),
    ],
)
def test_a_step_that_is_not_complete_bash_is_an_error(
    text: str, line: int, message: str, read: Read
) -> None:
    """One error, at the line where the problem starts, saying what is left unfinished."""
    (error,) = read(text, "p.md").errors
    assert (error.path, error.line) == ("p.md", line)
    assert message in error.message


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(page(command("cat <<EOF > notes.txt\n$HOME <my value>\nEOF")), id="heredoc"),
        pytest.param(page(command("cat <<'EOF'\nit's <one>\nEOF\necho done")), id="quoted-heredoc"),
        pytest.param(page(command("x=$(cat <<EOF\nhi)\nEOF\n)")), id="heredoc-in-sub"),
        pytest.param(page(command("greet() {\n  echo hi\n}\ngreet")), id="function"),
        pytest.param(page(command("case $x in\n  a|b) echo ab;;\n  *) :;;\nesac")), id="case"),
        pytest.param(page(command("for x in a b; do\n  echo $x\ndone")), id="loop"),
        pytest.param(page(command("{ echo a; echo b; } > out.txt")), id="group"),
        pytest.param(page(command("echo $(( 1 << 2 ))\n(( x = 1 << 3 ))")), id="shift"),
        pytest.param(page(command("ls !(x) @(a|b)")), id="extglob"),
        pytest.param(page(command("[[ -f x ]] && echo 'it is'")), id="conditional"),
        pytest.param(page(command("echo a # the end \\")), id="backslash-in-a-comment"),
        pytest.param(page(command("echo a \\\n  b")), id="continued-line"),
        pytest.param(page(command("echo '<my value>' \"<my value>\"")), id="quoted-placeholders"),
        pytest.param(page(command("echo 'a", directive='skip="shown only"')), id="skipped"),
    ],
)
def test_complete_steps_are_no_error(text: str, read: Read) -> None:
    """Steps that bash parses whole on their own are no error."""
    assert errors_of(read, text) == []


def test_a_bad_conditional_expression_is_an_error(read: Read) -> None:
    """`[[ -f x ]` is no bash: it swallows the next lines at run time."""
    (error,) = read(page(command("echo a\n[[ -f x ] && echo b")), "p.md").errors
    assert (error.path, error.line) == ("p.md", 5)
    assert "syntax error in conditional expression" in error.message


def test_a_brace_the_step_never_opened_is_no_unfinished_construct(read: Read) -> None:
    """A `}` with no `{` before it is an unexpected token, not a block left open."""
    (error,) = read(page(command("echo a; }")), "p.md").errors
    assert "unexpected token `}'" in error.message
    assert "incomplete" not in error.message


def steps(*codes: str, skip: int | None = None) -> list[Step]:
    """One step per code, ten lines apart from line 3 on; the `skip`-th one skipped."""
    return [
        Step("p.md", 3 + 10 * number, code, code, skip="why" if number == skip else None)
        for number, code in enumerate(codes)
    ]


def located(errors: list[SourceError]) -> list[str]:
    return [f"{error.path}:{error.line}" for error in errors]


@pytest.mark.parametrize(
    "codes",
    [
        pytest.param(('echo "a', 'echo b"'), id="double-quotes"),
        pytest.param(("echo 'a", "echo b'"), id="single-quotes"),
        pytest.param(("echo $(date", "echo )"), id="substitution"),
        pytest.param(("echo `date", "echo `"), id="backticks"),
        pytest.param(("if true; then", "fi"), id="if"),
        pytest.param(("f() {", "}"), id="function"),
        pytest.param(
            ("{ echo a", "echo b; }"),
            id="group",
        ),
        # Each closes its function in one text, the lexer finding none of them open.
        pytest.param(("{\necho }", "echo {\n}"), id="brace-words"),
        pytest.param(("echo ${x:- #'\nx}", ") #'x}"), id="hash-in-an-expansion"),
    ],
)
def test_broken_steps_that_would_mend_each_other_are_each_reported(codes: tuple[str, ...]) -> None:
    """Steps checked in one batch cannot close each other: each is reported, in order."""
    assert located(check_steps(steps(*codes))) == ["p.md:4", "p.md:14"]


@pytest.mark.parametrize("broken", ["echo 'x", "echo )", "while true; do", "cat <<EOF\nx"])
def test_one_broken_step_among_many_is_the_one_reported(broken: str) -> None:
    """Among many complete steps, only the broken one is reported, at its own line."""
    codes = [f"echo {number}" for number in range(40)]
    codes.insert(23, broken)
    assert located(check_steps(steps(*codes))) == ["p.md:234"]


def test_skipped_steps_are_not_checked() -> None:
    """A skipped step never runs, so it need not parse; the others still must."""
    assert check_steps(steps("echo 'a", skip=0)) == []
    assert located(check_steps(steps("echo 'a", "echo )", "echo 'b", skip=1))) == [
        "p.md:4",
        "p.md:24",
    ]


def test_a_bash_without_pretty_print_parses_each_step_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """bash before 5.2 cannot print back what it parsed, so it parses every step alone: steps
    that would mend each other are still each reported."""
    monkeypatch.setattr(syntax, "_pretty_prints", lambda: False)
    assert located(check_steps(steps("{\necho }", "echo {\n}", "echo fine"))) == [
        "p.md:4",
        "p.md:14",
    ]


def test_a_brace_that_ends_its_block_early_is_an_error() -> None:
    """A `}` that closes no `{` of its block ends the block for bash; what follows would run
    outside it, or not at all (here a function that nothing calls). bash parses it without a
    word, so the lexer says so."""
    errors = check_steps(steps("echo a\n}\nx() {\necho never-runs", "echo c"))
    assert [(e.line, e.message.split(":")[0]) for e in errors] == [
        (5, "this } closes no { of this block")
    ]


@pytest.mark.parametrize("code", ["echo }", "f() { echo; }", "cat <<EOF\n}\nEOF", "echo '\n}'"])
def test_a_brace_that_is_no_command_is_no_error(code: str) -> None:
    """A `}` that is an argument, closes a group of the block, or is text, is fine."""
    assert check_steps(steps(code)) == []
