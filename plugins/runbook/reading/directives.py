"""Runbook directives: the `<!-- runbook: ... -->` comment an author puts before a block.

A directive says how a block runs (`dir`, `fails`, `timeout`), that it does not (`skip`), or how
to read its `<...>` texts (`literal`, `placeholder`). Each problem is a `SourceError` at the
directive's line.
"""

from __future__ import annotations

import math
import re

from runbook.errors import SourceError
from runbook.reading.fences import Fence

DIRECTIVES = ("skip", "dir", "fails", "timeout", "take-over", "literal", "placeholder")

_DIRECTIVE_OPTION = re.compile(r"""\s*([a-z][a-z-]*)(?:=(?:"([^"]*)"|'([^']*)'|([^\s"']+)))?""")
_ANGLED = re.compile(r"<([^<>\n]+)>")


def directive_options(line: int, text: str) -> dict[str, str]:
    options: dict[str, str] = {}
    position = 0
    while position < len(text.rstrip()):
        match = _DIRECTIVE_OPTION.match(text, position)
        if match is None or match.end() == position:
            raise SourceError(line, f"cannot read runbook directive at {text[position:].strip()!r}")
        key, *values = match.groups()
        if key in options:
            raise SourceError(line, f"{key} is given twice in this runbook directive: give it once")
        options[key] = next((v for v in values if v is not None), "")
        position = match.end()
    return options


def read_directive(line: int, text: str) -> dict[str, object]:
    """Read a directive: skip="reason", dir="path", fails, timeout=SECONDS, take-over,
    literal="<a_b> ...", placeholder="<c d> ..."."""
    settings: dict[str, object] = {}
    for key, value in directive_options(line, text).items():
        if key == "skip":
            if not value.strip():
                raise SourceError(line, 'skip needs a reason: skip="why this block does not run"')
            settings["skip"] = value.strip()
        elif key == "dir":
            if not value:
                raise SourceError(line, 'dir needs a directory: dir="../teammate"')
            settings["dir"] = value
        elif key in ("fails", "take-over"):
            if value:
                raise SourceError(line, f"{key} takes no value")
            settings[key.replace("-", "_")] = True
        elif key == "timeout":
            try:
                seconds = float(value)
            except ValueError:
                seconds = 0.0
            if not 0 < seconds < math.inf:
                raise SourceError(line, f"timeout needs a number of seconds, not {value!r}")
            settings["timeout"] = seconds
        elif key in ("literal", "placeholder"):
            texts = _ANGLED.findall(value)
            if not texts or _ANGLED.sub("", value).strip():
                raise SourceError(line, f'{key} takes <...> texts: {key}="<docker_image>"')
            settings[key] = frozenset(texts)
        else:
            known = ", ".join(DIRECTIVES)
            raise SourceError(line, f"unknown runbook directive {key!r} (known: {known})")
    return settings


def skipped(fence: Fence) -> bool:
    """Whether the fence's directive says it does not run (one that cannot be read does not:
    its error comes when the step is made)."""
    if fence.directive is None:
        return False
    try:
        return "skip" in directive_options(*fence.directive)
    except SourceError:
        return False
