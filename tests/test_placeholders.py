"""Placeholders: named after their words, and substituted so that a value is data, never code."""

from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path

import pytest

from runbook.errors import SourceError
from runbook.placeholders import (
    Placeholder,
    _Lexer,
    _plain_lines,
    substitute,
    variable_name,
)

# A value that breaks out of every quoting context that is not handled exactly.
HOSTILE = "a b;  $(touch pwned) `touch pwned` 'single' \"double\" \\ * $HOME\nsecond line"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        pytest.param("your git repository url", "YOUR_GIT_REPOSITORY_URL", id="spaces"),
        pytest.param("my_git_repository_url", "MY_GIT_REPOSITORY_URL", id="underscores"),
        pytest.param("raw-dataset-folder", "RAW_DATASET_FOLDER", id="hyphens"),
        pytest.param("my bucket  name", "MY_BUCKET_NAME", id="runs-of-spaces"),
        pytest.param("my - _ username", "MY_USERNAME", id="mixed-run"),
        pytest.param("My S3 Bucket", "MY_S3_BUCKET", id="case-and-digits"),
        pytest.param("_my value_", "MY_VALUE", id="no-underscore-at-the-ends"),
    ],
)
def test_variable_name(text: str, name: str) -> None:
    """Upper-cased, each run of other characters one `_`, none at the ends."""
    assert variable_name(text) == name


@pytest.mark.parametrize(
    ("code", "names"),
    [
        pytest.param(
            "git clone <your git repository url>", ["YOUR_GIT_REPOSITORY_URL"], id="words"
        ),
        pytest.param("echo <my_username>", ["MY_USERNAME"], id="underscored"),
        pytest.param("cd <raw-dataset-folder>", ["RAW_DATASET_FOLDER"], id="hyphenated"),
        pytest.param("echo <a b> <c d> <a b>", ["A_B", "C_D", "A_B"], id="each-use"),
        pytest.param("echo --url=<my url>", ["MY_URL"], id="after-equals"),
        pytest.param("echo <word>", [], id="one-word-is-not"),
        pytest.param("sort < data.txt > out.txt", [], id="redirections"),
        pytest.param("wc -l <file.txt", [], id="redirection-without-space"),
        pytest.param("diff <(ls a) <(ls b)", [], id="process-substitution"),
        pytest.param("make 2>&1 | tee log", [], id="fd-redirection"),
        pytest.param("cat <<EOF\nplain\nEOF", [], id="here-document"),
        pytest.param("cat <<< 'here string'", [], id="here-string"),
        pytest.param("exec 3<&0", [], id="fd-duplication"),
        pytest.param("echo hi # then <your value>", [], id="in-a-comment"),
        pytest.param("if [ 1 -lt 2 ]; then echo <a b>; fi", ["A_B"], id="after-test"),
    ],
)
def test_placeholders_found(code: str, names: list[str]) -> None:
    """Two or more words in angle brackets are placeholders; redirections never are."""
    script, found = substitute(code)
    assert [p.name for p in found] == names
    if not names:
        assert script == code


@pytest.mark.parametrize(
    ("code", "script"),
    [
        pytest.param("echo <my value>", 'echo "${MY_VALUE}"', id="bare"),
        pytest.param('echo "x <my value> y"', 'echo "x ${MY_VALUE} y"', id="double-quotes"),
        pytest.param("echo 'x <my value> y'", "echo 'x '\"${MY_VALUE}\"' y'", id="single-quotes"),
        pytest.param("echo $'x <my value>'", "echo $'x '\"${MY_VALUE}\"$''", id="ansi-c-quotes"),
        pytest.param(
            "cat <<EOF\nx <my value>\nEOF", "cat <<EOF\nx ${MY_VALUE}\nEOF", id="here-document"
        ),
        pytest.param(
            'echo "$(basename <my value>)"',
            'echo "$(basename "${MY_VALUE}")"',
            id="command-substitution-in-double-quotes",
        ),
        pytest.param("echo `basename <my value>`", 'echo `basename "${MY_VALUE}"`', id="backticks"),
        pytest.param("x=<my value>", 'x="${MY_VALUE}"', id="assignment"),
        pytest.param(
            'echo "it\'s <my value>"', 'echo "it\'s ${MY_VALUE}"', id="quote-in-double-quotes"
        ),
    ],
)
def test_substitution_by_context(code: str, script: str) -> None:
    """Each placeholder becomes the expansion its quoting context needs."""
    assert substitute(code)[0] == script


def test_placeholder_lines() -> None:
    """A placeholder knows the page line it is on, counted from the code's first line."""
    _, found = substitute("echo one\necho <my value>\n\necho <other value>", first_line=10)
    assert found == [
        Placeholder("my value", "MY_VALUE", 11),
        Placeholder("other value", "OTHER_VALUE", 13),
    ]


@pytest.mark.parametrize(
    ("code", "name"),
    [
        pytest.param("git --git-dir=<git dir> log", "GIT_DIR", id="git-prefix"),
        pytest.param("echo <bash env>", "BASH_ENV", id="bash-prefix"),
        pytest.param("echo <lc all>", "LC_ALL", id="locale"),
        pytest.param("echo <ld preload>", "LD_PRELOAD", id="loader"),
        pytest.param("echo <ssh auth sock>", "SSH_AUTH_SOCK", id="ssh"),
        pytest.param("echo <prompt command>", "PROMPT_COMMAND", id="shell-hook"),
        pytest.param("echo <http proxy>", "HTTP_PROXY", id="proxy"),
        pytest.param("echo <virtual env>", "VIRTUAL_ENV", id="python"),
        pytest.param("echo <runbook step>", "RUNBOOK_STEP", id="the-script-own"),
    ],
)
def test_reserved_name_is_an_error(code: str, name: str) -> None:
    """A placeholder that would shadow a variable the shell, git or the script uses is refused."""
    with pytest.raises(SourceError) as raised:
        substitute("true\n" + code, first_line=7)
    assert raised.value.line == 8
    assert name in raised.value.message


@pytest.mark.parametrize("delimiter", ["'EOF'", '"EOF"', "\\EOF"])
def test_placeholder_in_quoted_here_document_is_an_error(delimiter: str) -> None:
    """A quoted here-document takes no value, so a placeholder in it is refused at its line."""
    with pytest.raises(SourceError) as raised:
        substitute(f"cat <<{delimiter}\nfirst\n<my value>\nEOF", first_line=20)
    assert raised.value.line == 22
    assert "quoted here-document" in raised.value.message


def run_bash(code: str, cwd: Path, **values: str) -> subprocess.CompletedProcess[str]:
    """Run `code` with bash in `cwd`, with only PATH and the given variables set."""
    env = {"PATH": os.environ["PATH"], "HOME": str(cwd), "LC_ALL": "C", **values}
    return subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param("printf '[%s]' <my value>", "[{v}]", id="bare"),
        pytest.param("printf '[%s]' \"x <my value> y\"", "[x {v} y]", id="double-quotes"),
        pytest.param("printf '[%s]' 'x <my value> y'", "[x {v} y]", id="single-quotes"),
        pytest.param("printf '[%s]' $'x\\t <my value> y'", "[x\t {v} y]", id="ansi-c-quotes"),
        pytest.param("cat <<EOF\n[<my value>]\nEOF", "[{v}]\n", id="here-document"),
        pytest.param("cat <<-EOF\n\t[<my value>]\n\tEOF", "[{v}]\n", id="here-document-tabs"),
        pytest.param(
            "x=$(printf '%s' <my value>); printf '[%s]' \"$x\"", "[{v}]", id="command-substitution"
        ),
        pytest.param("x=<my value>; printf '[%s]' \"$x\"", "[{v}]", id="assignment"),
        pytest.param(
            "printf '%s' <my value> > out.txt; printf '[%s]' \"$(cat out.txt)\"",
            "[{v}]",
            id="redirected",
        ),
        pytest.param(
            "cat <<A; printf '[%s]' <my value>\n<my value>\nA",
            "{v}\n[{v}]",
            id="here-document-and-command-on-one-line",
        ),
    ],
)
def test_hostile_value_is_data(code: str, expected: str, tmp_path: Path) -> None:
    """Spaces, `;`, `$(...)`, backticks, quotes, `*` and a newline reach the command verbatim."""
    (tmp_path / "a-file-a-glob-would-find").touch()
    script, _ = substitute(code)
    result = run_bash(script, tmp_path, MY_VALUE=HOSTILE)
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected.format(v=HOSTILE)
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("echo $((1<<2))\nprintf '[%s]' <my value>", id="arithmetic-shift"),
        pytest.param("(( x = 1 << 3 ))\nprintf '[%s]' <my value>", id="arithmetic-command"),
        pytest.param("echo $(( (1 << 2) ))\nprintf '[%s]' <my value>", id="nested-parentheses"),
        pytest.param("echo \"$(( 2 << 1 ))\"\nprintf '[%s]' <my value>", id="in-double-quotes"),
    ],
)
def test_a_shift_is_no_here_document(code: str, tmp_path: Path) -> None:
    """`<<` in arithmetic shifts bits: the placeholder after it is still bound as data."""
    script, _ = substitute(code)
    result = subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "MY_VALUE": "two words *"},
    )
    assert result.stdout.endswith("[two words *]")


# Pieces of shell from which `test_plain_code_reads_as_the_lexer_reads_it` builds its code.
PIECES = (
    *("git", "push", " ", " ", "\t", "\n", "\n", ";", "&&", "=", "<", ">", "<<<", "EOF"),
    *("<your url>", "<my_repo name>", "x<your url>", "<a b>", "<git dir>", "<home dir>"),
    *("#", " # ", "#x", "a#b", ";#", "'", '"', "$", "$(", "(", ")", "`", "\\", "<<", "<<EOF"),
    *('"<your url>"', '"a #b"', '"it\'s"', "\\\n", '"x"#y'),
)


def _lexed(code: str) -> tuple[str, list[Placeholder]] | str:
    """The reading of the full lexer, or its error."""
    lexer = _Lexer(code, 3)
    try:
        return lexer.run(), lexer.found
    except SourceError as error:
        return str(error)


def _substituted(code: str) -> tuple[str, list[Placeholder]] | str:
    try:
        return substitute(code, 3)
    except SourceError as error:
        return str(error)


@pytest.mark.parametrize("seed", range(4))
def test_plain_code_reads_as_the_lexer_reads_it(seed: int) -> None:
    """Code with no quoting to follow is read without the lexer, to the same script and errors."""
    rng = random.Random(seed)
    plain = 0
    for _ in range(3000):
        code = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 12)))
        if "<" not in code:
            continue
        assert _substituted(code) == _lexed(code), code
        plain += _plain_lines(code) is not None
    assert plain > 100  # the plain reading was taken, not only the lexer
