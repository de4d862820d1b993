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


def markdown_pages(folder: Path) -> list[Path]:
    """Return the Markdown pages under `folder` that MkDocs builds by default, sorted.

    MkDocs leaves out files and folders whose names start with a dot, and `templates/`.
    """
    pages = []
    for path in folder.rglob("*.md"):
        parts = path.relative_to(folder).parts
        if not any(part.startswith(".") for part in parts) and parts[0] != "templates":
            pages.append(path)
    return sorted(pages)


def script_name(page: str, variant: Variant) -> str:
    """Return the script's path for a page and variant: `a/page.md` -> `a/page-github.sh`."""
    stem = page[: -len(".md")] if page.endswith(".md") else page
    return f"{stem}-{variant.slug}.sh" if variant.slug else f"{stem}.sh"
