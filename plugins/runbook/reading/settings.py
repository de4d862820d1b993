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


def read_value(name: str, value: object) -> Value:
    """Return the test value of placeholder variable `name`: a string or a fresh remote."""
    if not _VARIABLE.fullmatch(name):
        raise ValueError(f"{name!r} is not a placeholder's variable (such as MY_BUCKET_NAME)")
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"remote"} and isinstance(value["remote"], str):
        remote = value["remote"]
        if not re.fullmatch(r"[\w.-]+", remote) or remote.startswith("."):
            raise ValueError(f"{name}: a remote's name is one folder name, not {remote!r}")
        return Remote(remote)
    raise ValueError(
        f"{name}: a value is a string, or {{remote: NAME}} for a fresh bare repository"
    )


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
        return PageSettings()
    lines = _lines(source)
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
            checked[str(name)] = read_value(str(name), value)
        except ValueError as error:
            raise SourceError(lines.get(str(name), lines.get("values", 1)), str(error)) from None
    return PageSettings(Start(start.strip(), lines.get("start", 1)) if start else None, checked)


def _lines(source: str) -> dict[str, int]:
    """Return the line of each key under `runbook:` in the YAML front matter of `source`."""
    found = YAML_RE.match(source)
    if found is None:
        return {}
    try:
        root = yaml.compose(found.group(1), Loader=_LOADER)
    except yaml.YAMLError:
        return {}
    lines: dict[str, int] = {}
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "runbook":
                lines["runbook"] = key.start_mark.line + 2
                for inner, item in getattr(value, "value", []) if value.id == "mapping" else []:
                    lines[inner.value] = inner.start_mark.line + 2
                    if inner.value == "values" and item.id == "mapping":
                        for name, _ in item.value:
                            lines[name.value] = name.start_mark.line + 2
    return lines
