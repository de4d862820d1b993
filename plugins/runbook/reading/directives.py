"""Runbook directives: the `<!-- runbook: ... -->` comment an author puts before a block.

A directive says how a block runs (`dir`, `fails`, `timeout`, `background` with `ready`), that it
does not (`skip`, or `excerpt` for a file's), how to read its `<...>` texts (`literal`,
`placeholder`), or whether a block shows a step's output (`output`, `not-output`). Each problem is
a `SourceError` at the directive's line.
"""

from __future__ import annotations

import math
import posixpath
import re

from runbook.errors import SourceError
from runbook.reading.fences import DIRECTIVES, Fence

# Directives of a block that is no step: it shows a step's output, or it does not.
OUTPUT_DIRECTIVES = ("output", "not-output")
# How an expected output compares with the real one.
OUTPUT_MODES = ("similar", "exact")

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
    literal="<a_b> ...", placeholder="<c d> ...", excerpt, background, ready="ADDRESS",
    output[="exact"], not-output."""
    settings: dict[str, object] = {}
    for key, value in directive_options(line, text).items():
        if key == "skip":
            if not value.strip():
                raise SourceError(line, 'skip needs a reason: skip="why this block does not run"')
            settings["skip"] = value.strip()
        elif key == "dir":
            if not value:
                raise SourceError(line, 'dir needs a directory: dir="../teammate"')
            folder = posixpath.normpath(value)
            if folder.startswith("/") or folder.startswith("../.."):
                raise SourceError(
                    line,
                    f"dir={value!r} leaves the replay's folder: a block runs in a folder inside "
                    'or beside the one the page starts in, such as dir="../teammate"',
                )
            settings["dir"] = value
        elif key in ("fails", "take-over", "excerpt", "background", "not-output"):
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
        elif key == "ready":
            settings["ready"] = ready_address(line, value)
        elif key == "output":
            mode = value or "similar"
            if mode not in OUTPUT_MODES:
                raise SourceError(line, f'output takes no value, or output="exact", not {value!r}')
            settings["output"] = mode
        else:
            known = ", ".join(DIRECTIVES)
            raise SourceError(line, f"unknown runbook directive {key!r} (known: {known})")
    return settings


_READY = re.compile(
    r"(?:(?P<scheme>https?)://)?(?P<host>127\.0\.0\.1|localhost|\[::1\])(?::(?P<port>[0-9]{1,5}))?"
    r"(?P<path>/[^\s]*)?"
)


def ready_address(line: int, value: str) -> str:
    """Check the address a `background` step's server answers at: `http://127.0.0.1:8000/` (an
    HTTP answer) or `127.0.0.1:8000` (a connection); only this machine's loopback."""
    found = _READY.fullmatch(value)
    if found is None or (found["scheme"] is None and (found["path"] or found["port"] is None)):
        raise SourceError(
            line,
            f'ready takes a loopback address, not {value!r}: ready="http://127.0.0.1:8000/" '
            'waits for an HTTP answer, ready="127.0.0.1:8000" for a connection',
        )
    port = int(found["port"] or (443 if found["scheme"] == "https" else 80))
    if not 0 < port < 65536:
        raise SourceError(line, f"ready: {port} is no port")
    return value


def skipped(fence: Fence) -> bool:
    """Whether the fence's directive says it does not run (one that cannot be read does not:
    its error comes when the step is made)."""
    if fence.directive is None:
        return False
    try:
        return "skip" in directive_options(*fence.directive)
    except SourceError:
        return False
