"""A page's runbook settings: its front matter read as written, or refused at the line to fix."""

from __future__ import annotations

import pytest
from mkdocs.utils.meta import get_data

from runbook.errors import SourceError
from runbook.reading.settings import PageSettings, Remote, page_settings, read_value


def settings_of(source: str) -> PageSettings:
    _, meta = get_data(source)
    return page_settings(meta, source)


def front_matter(*lines: str) -> str:
    return "---\n" + "".join(line + "\n" for line in lines) + "---\n\n# A page\n"


@pytest.mark.parametrize(
    ("written", "value"),
    [
        pytest.param("my-bucket", "my-bucket", id="string"),
        pytest.param("'007'", "007", id="quoted"),
        pytest.param("5", "5", id="integer"),
        pytest.param("007", "007", id="leading-zeros"),
        pytest.param("1.10", "1.10", id="float"),
        pytest.param("true", "true", id="boolean"),
        pytest.param("2024-01-01", "2024-01-01", id="date"),
        pytest.param("0x1F", "0x1F", id="hexadecimal"),
        pytest.param("{remote: data.git}", Remote("data.git"), id="remote"),
    ],
)
def test_a_scalar_value_is_its_text(written: str, value: object) -> None:
    """A test value is the scalar as written, whatever type YAML would make of it."""
    source = front_matter("runbook:", "  values:", f"    MY_THING: {written}")
    assert settings_of(source).values == {"MY_THING": value}


@pytest.mark.parametrize(
    ("lines", "line", "message"),
    [
        pytest.param(
            ["runbook:", "  values:", "    MY_THING: ''"],
            4,
            "MY_THING: a test value cannot be empty: the script asks for each placeholder's "
            "value and stops on an empty one",
            id="empty-string",
        ),
        pytest.param(
            ["runbook:", "  values:", "    MY_THING:"], 4, "cannot be empty", id="no-value"
        ),
        pytest.param(["runbook:", "  values:", "    MY_THING: ~"], 4, "cannot be empty", id="null"),
        pytest.param(
            ["runbook:", "  values:", "    MY_THING: [a, b]"],
            4,
            "MY_THING: a value is a string, or {remote: NAME}",
            id="list",
        ),
        pytest.param(
            ["title: T", "runbook: [", "  start: chapter-6"],
            3,
            "the front matter is no YAML that MkDocs can read",
            id="unclosed-bracket",
        ),
        pytest.param(
            ["runbook:", "\tstart: chapter-6"],
            3,
            "(YAML indents with spaces, not tabs)",
            id="tab-indented",
        ),
        pytest.param(["- runbook: x"], 2, "the front matter is no mapping", id="a-list"),
        pytest.param(
            ["RUNBOOK:", "  start: chapter-6"],
            2,
            "front matter key 'RUNBOOK' is not read: the runbook's settings are under "
            "`runbook:`, in lower case",
            id="upper-case",
        ),
        pytest.param(["Runbook: {}"], 2, "front matter key 'Runbook' is not read", id="title"),
        pytest.param(
            ["runbook:", "  begin: chapter-6"], 3, "unknown runbook setting 'begin'", id="unknown"
        ),
    ],
)
def test_settings_that_would_be_ignored_are_errors_at_their_line(
    lines: list[str], line: int, message: str
) -> None:
    """Front matter the runbook cannot read as its settings is an error at its line, never
    dropped: a replay would start elsewhere, or without its values."""
    with pytest.raises(SourceError) as raised:
        settings_of(front_matter(*lines))
    assert raised.value.line == line
    assert message in raised.value.message


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("# A page\n", id="no-front-matter"),
        pytest.param(front_matter("title: T"), id="other-keys"),
        pytest.param(front_matter("title: [unclosed"), id="broken-yaml-without-runbook"),
        pytest.param("---\n\n# A page after a rule\n", id="a-rule"),
    ],
)
def test_pages_without_runbook_settings_have_none(source: str) -> None:
    """A page that says nothing of the runbook starts from an empty folder, without error."""
    assert settings_of(source) == PageSettings()


def test_a_value_whose_text_is_unknown_must_be_quoted() -> None:
    """Where the text of a value is not at hand, YAML may have changed it: it must be quoted."""
    with pytest.raises(ValueError, match=r"MY_THING: write the value 1\.1 in quotes"):
        read_value("MY_THING", 1.1)
    assert read_value("MY_THING", 1.1, "1.10") == "1.10"
