"""A page's own runbook settings, from its front matter: where its replay starts, its values.

```yaml
---
runbook:
  start: chapter-6          # a named state of mkdocs.yml, or a page: other-page.md
  values:
    MY_BUCKET_NAME: my-bucket
---
```
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from mkdocs.utils.meta import YAML_RE

from runbook.errors import SourceError

_VARIABLE = re.compile(r"[A-Z][A-Z0-9_]*")


@dataclass(frozen=True)
class Remote:
    """A placeholder's value that is a fresh bare Git repository, named `name`, per replay."""

    name: str


Value = str | Remote


def read_value(name: str, value: object, text: str | None = None) -> Value:
    """Return the test value of placeholder variable `name`: a string or a fresh remote.

    A scalar of another type (`5`, `true`, `1.10`) is taken as `text`, the scalar as written,
    when known; an empty value is refused, since the script stops on one.
    """
    if not _VARIABLE.fullmatch(name):
        raise ValueError(f"{name!r} is not a placeholder's variable (such as MY_BUCKET_NAME)")
    if isinstance(value, dict) and set(value) == {"remote"} and isinstance(value["remote"], str):
        remote = value["remote"]
        if not re.fullmatch(r"[\w.-]+", remote) or remote.startswith("."):
            raise ValueError(f"{name}: a remote's name is one folder name, not {remote!r}")
        return Remote(remote)
    if isinstance(value, dict | list):
        raise ValueError(
            f"{name}: a value is a string, or {{remote: NAME}} for a fresh bare repository"
        )
    if value is not None and not isinstance(value, str):
        if text is None:  # its text is not at hand: YAML may have changed it (1.10 is 1.1)
            raise ValueError(f"{name}: write the value {value!r} in quotes, as a string")
        value = text
    if value is None or value == "":
        raise ValueError(
            f"{name}: a test value cannot be empty: the script asks for each placeholder's "
            "value and stops on an empty one, as it would for a reader; give it one"
        )
    return value


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_KEYS = ("start", "values")


@dataclass(frozen=True)
class Start:
    """Where a page's replay starts: a named state, or where another page's replay ends.

    `line` is the line of `start:` in the page's front matter.
    """

    name: str
    line: int

    @property
    def page(self) -> bool:
        return self.name.endswith(".md")


@dataclass(frozen=True)
class PageSettings:
    start: Start | None = None
    values: Mapping[str, Value] = field(default_factory=dict)


def page_settings(meta: Mapping[str, Any], source: str) -> PageSettings:
    """Return the runbook settings of a page from its front matter `meta`.

    `source` is the page as written, to name the line of a problem. Raises SourceError.
    """
    settings = meta.get("runbook")
    if settings is None:
        _check_unread(meta, source)
        return PageSettings()
    written = _written(source)
    lines = written.lines
    if not isinstance(settings, dict):
        raise SourceError(lines.get("runbook", 1), "`runbook` takes a mapping: {start: NAME}")
    unknown = [key for key in settings if key not in _KEYS]
    if unknown:
        raise SourceError(
            lines.get(str(unknown[0]), 1),
            f"unknown runbook setting {unknown[0]!r} (known: {', '.join(_KEYS)})",
        )
    start = settings.get("start")
    if start is not None and (not isinstance(start, str) or not start.strip()):
        raise SourceError(lines.get("start", 1), "start names a state or a page: start: NAME")
    values = settings.get("values") or {}
    if not isinstance(values, dict):
        raise SourceError(lines.get("values", 1), "values takes a mapping: {VAR: value}")
    checked = {}
    for name, value in values.items():
        try:
            checked[str(name)] = read_value(str(name), value, written.texts.get(str(name)))
        except ValueError as error:
            raise SourceError(lines.get(str(name), lines.get("values", 1)), str(error)) from None
    return PageSettings(Start(start.strip(), lines.get("start", 1)) if start else None, checked)


def _check_unread(meta: Mapping[str, Any], source: str) -> None:
    """Raise SourceError for runbook settings a page writes that would otherwise be ignored: a
    key that is `runbook` but for case or spacing, or front matter YAML cannot read."""
    for key in meta:
        if isinstance(key, str) and key.strip().lower() == "runbook":
            raise SourceError(
                _written(source).lines.get(key, 1),
                f"front matter key {key!r} is not read: the runbook's settings are under "
                "`runbook:`, in lower case",
            )
    if meta or not source.startswith("---"):
        return
    found = YAML_RE.match(source)
    if found is None or "runbook" not in found[1].lower():
        return
    try:
        root = yaml.compose(found[1], Loader=_LOADER)
    except yaml.YAMLError as error:
        # Where the construct left open began, if YAML says, else where it gave up.
        mark = getattr(error, "context_mark", None) or getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        tabs = " (YAML indents with spaces, not tabs)" if "\t" in found[1] else ""
        raise SourceError(
            mark.line + 2 if mark is not None else 1,
            f"the front matter is no YAML that MkDocs can read ({problem}{tabs}), so its "
            "runbook settings would be ignored: fix it",
        ) from None
    if not isinstance(root, yaml.MappingNode):
        raise SourceError(
            2, "the front matter is no mapping of keys, so its runbook settings would be ignored"
        )


@dataclass(frozen=True)
class _Written:
    """Where each key under `runbook:` is in a page's front matter, and each value's text."""

    lines: dict[str, int] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)


def _written(source: str) -> _Written:
    """Read the YAML front matter of `source` as written: the line of each key under
    `runbook:` (and of `runbook` itself, however it is spelt), and each test value's text."""
    found = YAML_RE.match(source)
    if found is None:
        return _Written()
    try:
        root = yaml.compose(found.group(1), Loader=_LOADER)
    except yaml.YAMLError:
        return _Written()
    written = _Written()
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if str(key.value).strip().lower() != "runbook":
                continue
            written.lines[key.value] = key.start_mark.line + 2
            for inner, item in value.value if value.id == "mapping" else []:
                written.lines[inner.value] = inner.start_mark.line + 2
                if inner.value == "values" and item.id == "mapping":
                    for name, scalar in item.value:
                        written.lines[name.value] = name.start_mark.line + 2
                        if scalar.id == "scalar":
                            written.texts[name.value] = scalar.value
    return written
