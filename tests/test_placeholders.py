"""Placeholders: named after their words, and substituted so that a value is data, never code."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from runbook.errors import SourceError
from runbook.reading.placeholders import Placeholder, name_problem, substitute, variable_name
from runbook.reading.quoting import unfinished

MARKERS = frozenset({"docker_image"})


@pytest.mark.parametrize(
    ("text", "name"),
    [
        pytest.param("your git repository url", "YOUR_GIT_REPOSITORY_URL", id="spaces"),
        pytest.param("my_git_repository_url", "MY_GIT_REPOSITORY_URL", id="underscores"),
        pytest.param("EXTERNAL-IP", "EXTERNAL_IP", id="hyphen"),
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
        pytest.param("cd <my_git_repository_url>", ["MY_GIT_REPOSITORY_URL"], id="underscored"),
        pytest.param("curl http://<THE-EXTERNAL-IP>/", ["THE_EXTERNAL_IP"], id="capitals"),
        pytest.param("echo <a b> <the d> <a b>", ["A_B", "THE_D", "A_B"], id="each-use"),
        pytest.param("echo --url=<my url>", ["MY_URL"], id="after-equals"),
        pytest.param("if [ 1 -lt 2 ]; then echo <a b>; fi", ["A_B"], id="after-a-test"),
        pytest.param("ls <path>", [], id="one-word"),
        pytest.param("sort < file > out.txt", [], id="redirections"),
        pytest.param("wc -l <file.txt", [], id="redirection-without-space"),
        pytest.param("cat <<EOF\nplain\nEOF", [], id="here-document"),
        pytest.param("make 2>&1 | tee log", [], id="fd-redirection"),
        pytest.param("cat <<< 'here string'", [], id="here-string"),
        pytest.param("diff <(ls a) <(ls b)", [], id="process-substitution"),
        pytest.param("exec 3<&0", [], id="fd-duplication"),
        pytest.param("echo hi # then <your value>", [], id="in-a-comment"),
    ],
)
def test_placeholders_found(code: str, names: list[str]) -> None:
    """Two or more words in angle brackets are placeholders; redirections never are."""
    script, found = substitute(code)
    assert [p.name for p in found] == names
    if not names:
        assert script == code


def test_placeholder_lines() -> None:
    """A placeholder knows the page line it is on, counted from the code's first line."""
    _, found = substitute("echo one\necho <my value>\n\necho '<your other value>'", first_line=10)
    assert found == [
        Placeholder("my value", "MY_VALUE", 11),
        Placeholder("your other value", "YOUR_OTHER_VALUE", 13),
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        *(
            pytest.param(text, None, id=text)
            for text in (
                "my value",
                "your git repository url",
                "My_Bucket_Name",
                "our-team-name",
                "the_name_of_the_new_branch",
                "a b",
                "an API key",
                "MY-EXTERNAL-IP",
            )
        ),
        pytest.param("openai api key", "<my openai api key>", id="openai"),
        pytest.param("kaggle_key", "<my_kaggle_key>", id="kaggle"),
        pytest.param("ssl-cert-dir", "<my-ssl-cert-dir>", id="ssl"),
        pytest.param("python version", "<my python version>", id="python"),
        pytest.param("EXTERNAL-IP", "<MY-EXTERNAL-IP>", id="capitals"),
        pytest.param("mysql pwd", "<my mysql pwd>", id="my-inside-a-word"),
        pytest.param("git dir", "<my git dir>", id="git"),
        pytest.param("path to data", "<my path to data>", id="path"),
    ],
)
def test_a_placeholder_says_whose_value_it_is(text: str, problem: str | None) -> None:
    """A placeholder's first word says whose value it is: programs name the variables they read
    after themselves (OPENAI_API_KEY, PATH), never after an owner, so none reads its variable."""
    if problem is None:
        assert name_problem(text) is None
    else:
        said = name_problem(text)
        assert said is not None
        assert said.startswith(f"placeholder <{text}> would set {variable_name(text)}, a name")
        assert said.endswith(f"(my, your, our, the, a, an), such as {problem}")


@pytest.mark.parametrize("template", ["echo {}", "echo '{}'", "cat <<EOF\n{}\nEOF"])
@pytest.mark.parametrize(
    ("text", "name"),
    [
        pytest.param("<git dir>", "GIT_DIR", id="git"),
        pytest.param("<runbook step>", "RUNBOOK_STEP", id="the-script-own"),
        pytest.param("<pip index url>", "PIP_INDEX_URL", id="pip"),
        pytest.param("<openai api key>", "OPENAI_API_KEY", id="openai"),
        pytest.param("<kaggle key>", "KAGGLE_KEY", id="kaggle"),
        pytest.param("<ssl cert dir>", "SSL_CERT_DIR", id="ssl"),
    ],
)
def test_a_placeholder_programs_may_read_is_an_error_at_its_line(
    template: str, text: str, name: str
) -> None:
    """A placeholder whose variable a program may read is refused at its line, saying which."""
    with pytest.raises(SourceError) as raised:
        substitute("true\n" + template.format(text), first_line=7)
    assert raised.value.line == 8 + template.count("\n", 0, template.index("{}"))
    assert raised.value.message.startswith(f"placeholder {text} would set {name}, a name")


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("docker pull <docker_image>", id="bare"),
        pytest.param('sed -i "s|<docker_image>|$IMAGE|g" deploy.yaml', id="double-quotes"),
        pytest.param("sed -i 's|<docker_image>|x|' deploy.yaml", id="single-quotes"),
        pytest.param("cat <<EOF\nimage: <docker_image>\nEOF", id="here-document"),
        pytest.param("cat <<'EOF'\nimage: <docker_image>\nEOF", id="quoted-here-document"),
    ],
)
def test_template_markers_stay_as_written(code: str) -> None:
    """A marker is text for a command to replace: it stays as written and asks for no value."""
    assert substitute(code, 1, MARKERS) == (code, [])
    script, found = substitute(f"{code}\necho <my value>", 1, MARKERS)
    assert script == f'{code}\necho "${{MY_VALUE}}"'
    assert [p.name for p in found] == ["MY_VALUE"]


@pytest.mark.parametrize("delimiter", ["'EOF'", '"EOF"', "\\EOF"])
def test_placeholder_in_quoted_here_document_is_an_error(delimiter: str) -> None:
    """A quoted here-document takes no value: a placeholder in it is refused at its line."""
    with pytest.raises(SourceError) as raised:
        substitute(f"cat <<{delimiter}\n<docker_image>\n<my value>\nEOF", 20, MARKERS)
    assert raised.value.line == 22
    assert "placeholder <my value> is in a quoted here-document" in raised.value.message


CONTEXTS = [
    pytest.param("printf '[%s]' <my value>", "[{v}]", id="bare"),
    pytest.param("x=<my value>; printf '[%s]' \"$x\"", "[{v}]", id="assignment"),
    pytest.param("printf '[%s]' \"x <my value> y\"", "[x {v} y]", id="double-quotes"),
    pytest.param("printf '[%s]' \"it's <my value>\"", "[it's {v}]", id="quote-in-double-quotes"),
    pytest.param("printf '[%s]' 'x <my value> y'", "[x {v} y]", id="single-quotes"),
    pytest.param("printf '[%s]' $'x\\t <my value>'", "[x\t {v}]", id="ansi-c-quotes"),
    pytest.param("cat <<EOF\n[<my value>]\nEOF", "[{v}]\n", id="here-document"),
    pytest.param("cat <<-EOF\n\t[<my value>]\n\tEOF", "[{v}]\n", id="here-document-tabs"),
    pytest.param("x=$(printf %s <my value>); printf '[%s]' \"$x\"", "[{v}]", id="sub"),
    pytest.param("printf '[%s]' \"$(printf %s <my value>)\"", "[{v}]", id="sub-in-quotes"),
    pytest.param("x=`printf %s <my value>`; printf '[%s]' \"$x\"", "[{v}]", id="backticks"),
    pytest.param("printf '[%s]' $((1<<2)) <my value>", "[4][{v}]", id="arithmetic-shift"),
    pytest.param("(( x = 1 << 3 ))\nprintf '[%s]' $x <my value>", "[8][{v}]", id="arithmetic"),
    pytest.param("cat <<A; printf '[%s]' <my value>\n<my value>\nA", "{v}\n[{v}]", id="one-line"),
]
HOSTILE = [
    pytest.param("$(touch pwned)", id="command-substitution"),
    pytest.param("`touch pwned`", id="backticks"),
    pytest.param("'; rm -rf ~; '", id="single-quote-breakout"),
    pytest.param('"; touch pwned; "', id="double-quote-breakout"),
    pytest.param("line one\nline two; touch pwned", id="newline"),
    pytest.param("a  b * ? [x]", id="spaces-and-globs"),
    pytest.param("\\ \\n \\' $HOME ${HOME} !! $'\\x41'", id="backslashes-and-dollars"),
]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize(("code", "expected"), CONTEXTS)
def test_a_value_is_data_in_every_context(
    code: str, expected: str, value: str, tmp_path: Path
) -> None:
    """Whatever a value holds, the command gets it verbatim and nothing of it runs."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "keep").touch()
    (tmp_path / "a-file-a-glob-would-find").touch()
    script, _ = substitute(code)
    result = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + script],
        cwd=tmp_path,
        env={**os.environ, "HOME": str(home), "MY_VALUE": value},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (result.returncode, result.stdout) == (0, expected.format(v=value)), result.stderr
    assert not (tmp_path / "pwned").exists()
    assert (home / "keep").exists()


@pytest.mark.parametrize(
    ("code", "where"),
    [
        pytest.param("echo $(( <my num> + 1 ))", "an arithmetic expression $(( ))", id="dollar"),
        pytest.param('echo "$(( <my num> ))"', "an arithmetic expression $(( ))", id="quoted"),
        pytest.param("(( <my num> > 0 ))", "an arithmetic expression (( ))", id="double-paren"),
        pytest.param("for (( i = 0; i < <my num>; i++ )); do :; done", "(( ))", id="for"),
        pytest.param("echo $(( $(echo '<my num>') ))", "$(( ))", id="substitution-inside"),
        pytest.param("[[ <my num> -gt 0 ]]", "a [[ ]] test that compares", id="test-before"),
        pytest.param('[[ 1 -le "<my num>" ]] && echo', "a [[ ]] test", id="test-after"),
        pytest.param('let "n = <my num>"', "a let", id="let"),
        pytest.param("declare -i n=<my num>", "an assignment to an integer", id="declare-i"),
        pytest.param("a[<my num>]=1", "an array subscript", id="subscript"),
        pytest.param("x=1; a[<my num>]=1", "an array subscript", id="subscript-after-semicolon"),
        pytest.param("echo $[<my num> + 1]", "an array subscript", id="old-arithmetic"),
        pytest.param('echo "${a[<my num>]}"', "the subscript or offset", id="expanded-subscript"),
        pytest.param('echo "${s:<my num>}"', "the subscript or offset", id="offset"),
        pytest.param('echo "${s:0:<my num>}"', "the subscript or offset", id="length"),
    ],
)
def test_placeholders_in_arithmetic_are_refused(code: str, where: str) -> None:
    """bash evaluates arithmetic, subscripts included, whatever the quoting: a value there
    would run as code, so a placeholder there is refused at its line, saying where it is."""
    with pytest.raises(SourceError) as raised:
        substitute("true\n" + code, first_line=4)
    assert raised.value.line == 5
    assert where in raised.value.message
    assert "n=<my number>; [[ $n =~ ^[0-9]+$ ]]" in raised.value.message


ARITHMETIC_VALUE = "x[$(touch pwned)0]"


@pytest.mark.parametrize(
    "code",
    [
        pytest.param('[ "<my num>" -gt 0 ] || true', id="single-bracket-test"),
        pytest.param("test <my num> -eq 1 || true", id="test-builtin"),
        pytest.param("printf '%d' <my num> || true", id="printf"),
        pytest.param('echo "${s:-<my num>}"', id="default-value"),
        pytest.param("[[ <my num> == x* ]] || true", id="string-test"),
        pytest.param("echo $(( 1 + 1 )) <my num>", id="after-arithmetic"),
        pytest.param("echo ${#s} <my num>", id="after-length"),
    ],
)
def test_placeholders_beside_arithmetic_are_data(code: str, tmp_path: Path) -> None:
    """Where bash does not evaluate a value as arithmetic, a placeholder is bound, and a value
    written to run code runs nothing."""
    script, found = substitute(code)
    assert [p.name for p in found] == ["MY_NUM"]
    subprocess.run(
        ["bash", "-c", f"s=abc\n{script}"],
        cwd=tmp_path,
        env={**os.environ, "MY_NUM": ARITHMETIC_VALUE},
        capture_output=True,
        check=False,
        timeout=30,
    )
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param("echo 'a", (1, "a ' quote opens here"), id="single-quote"),
        pytest.param('echo ok\necho "a\nb', (2, 'a " quote opens here'), id="double-quote"),
        pytest.param("echo $'a\\'", (1, "a $' quote opens here"), id="ansi-c-quote"),
        pytest.param("echo `date", (1, "a ` command substitution opens"), id="backtick"),
        pytest.param("x=$(date\necho", (1, "a $( command substitution opens"), id="sub"),
        pytest.param("echo\n(cd x", (2, "a ( subshell opens"), id="subshell"),
        pytest.param("echo $(( 1 +", (1, "an arithmetic (( expression opens"), id="arithmetic"),
        pytest.param("echo\ncat <<EOF\nx", (2, "here-document <<EOF never ends"), id="heredoc"),
        pytest.param("cat <<'EOF'\nx\n EOF", (1, "here-document <<EOF never ends"), id="quoted"),
        pytest.param("echo\ncat <<EOF", (2, "here-document <<EOF has no lines"), id="no-lines"),
        pytest.param("echo a \\\n  b \\", (2, "ends with a backslash"), id="final-backslash"),
        pytest.param("echo 'a' \"b\" $'c\\'d' `date` $(date) (cd x)", None, id="closed"),
        pytest.param("echo a \\\\", None, id="escaped-final-backslash"),
        pytest.param("echo a \\\n  b", None, id="continued-line"),
        pytest.param("echo a # ends with \\", None, id="backslash-in-a-final-comment"),
        pytest.param("echo a # it's", None, id="quote-in-a-comment"),
        pytest.param("cat <<EOF\nx\nEOF", None, id="closed-heredoc"),
        pytest.param("cat <<-'EOF'\n\tit's\n\tEOF", None, id="quoted-heredoc-with-tabs"),
        pytest.param("cat <<A <<B\na\nA\nb\nB", None, id="two-heredocs"),
        pytest.param("echo $(( 1 << 2 ))\n(( x = 1 << 2 ))", None, id="shift"),
        pytest.param("echo '<my value>' \"<my value>\" $'<my value>'", None, id="placeholders"),
        pytest.param("echo $(case x in a) echo a;; esac)", None, id="case-in-sub"),
    ],
)
def test_unfinished(code: str, expected: tuple[int, str] | None) -> None:
    """What bash would read on past the code's end is named, at the line where it opens."""
    found = unfinished(code)
    if expected is None:
        assert found is None
    else:
        assert found is not None
        assert (found[0], expected[1] in found[1]) == (expected[0], True)


def test_unfinished_reports_the_line_of_a_heredoc_operator_before_an_open_quote() -> None:
    """A here-document operator followed by an open quote is reported on its own line."""
    found = unfinished("cat <<EOF; echo 'a\nbody\nEOF")
    assert found is not None
    assert found[0] == 1
