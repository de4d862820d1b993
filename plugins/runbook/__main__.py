"""The `runbook` command: print a page's script, or list what pages would run.

runbook script PAGE.md [--variant LABEL]
runbook list PATH...
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from runbook.config import SettingsError, load, selection
from runbook.errors import SourceError
from runbook.pages import markdown_pages, read_page
from runbook.runbook import Runbook, Selection
from runbook.script import render_script


def _shown_as(path: Path, docs_dir: Path) -> str:
    """Name a page as the site does, relative to the docs folder, when it lies inside it."""
    try:
        return path.resolve().relative_to(docs_dir.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _pages(paths: Sequence[str]) -> list[Path]:
    pages: list[Path] = []
    for name in paths:
        path = Path(name)
        pages += markdown_pages(path) if path.is_dir() else [path]
    return pages


def _describe(runbook: Runbook) -> list[str]:
    lines = [runbook.path]
    if runbook.start:
        lines.append(f"  start: {runbook.start}")
    if not runbook.steps:
        return [*lines, "  no steps"]
    names = [v.name for v in runbook.variants if v.name]
    lines += [f"  variant: {name}" for name in names] or ["  variant: (one script)"]
    for placeholder in runbook.placeholders():
        lines.append(f"  placeholder: {placeholder.name} <{placeholder.text}>")
    for step in runbook.steps:
        notes = [f"in {tab.label}" for tab in step.tabs]
        notes += [f"skipped: {step.skip}"] if step.skip else []
        notes += [f"dir {step.dir}"] if step.dir else []
        notes += ["fails"] if step.fails else []
        suffix = f" [{'; '.join(notes)}]" if notes else ""
        lines.append(f"  step {step.location}{suffix}  {step.command}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="runbook", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    script = commands.add_parser("script", help="print the bash script of a page")
    script.add_argument("page", help="Markdown page")
    script.add_argument("--variant", help="tab label(s) of the variant, as `runbook list` shows")
    listing = commands.add_parser("list", help="list pages, variants, steps and placeholders")
    listing.add_argument("paths", nargs="+", help="Markdown pages or folders of them")
    args = parser.parse_args(argv)

    try:
        config, docs_dir = load(Path("mkdocs.yml"))
        rules: Selection = selection(config)
    except SettingsError as error:
        print(f"mkdocs.yml:{error.line}: {error}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as error:
        print(f"mkdocs.yml:1: {error}", file=sys.stderr)
        return 2
    try:
        if args.command == "script":
            page = Path(args.page)
            runbook = read_page(page, _shown_as(page, docs_dir), rules)
            output = render_script(runbook, runbook.variant(args.variant))
        else:
            runbooks = [read_page(p, _shown_as(p, docs_dir), rules) for p in _pages(args.paths)]
            output = "\n".join(line for r in runbooks for line in _describe(r)) + "\n"
    except SourceError as error:
        print(error, file=sys.stderr)
        return 2
    sys.stdout.write(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
