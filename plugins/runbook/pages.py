"""Read pages from disk into runbooks, with the errors an author can act on."""

from __future__ import annotations

from pathlib import Path

from runbook.errors import SourceError
from runbook.runbook import Runbook, Selection, Variant, read_runbook


def read_page(path: Path, shown_as: str, selection: Selection) -> Runbook:
    """Return the runbook of the Markdown file at `path`, named `shown_as` in messages."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(1, f"cannot read: {error.strerror}", shown_as) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise SourceError(line, "not valid UTF-8 text", shown_as) from None
    return read_runbook(shown_as, text, selection)


def script_name(page: str, variant: Variant) -> str:
    """Return the script's path for a page and variant: `a/page.md` -> `a/page-github.sh`."""
    stem = page[: -len(".md")] if page.endswith(".md") else page
    return f"{stem}-{variant.slug}.sh" if variant.slug else f"{stem}.sh"
