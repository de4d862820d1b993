"""The `runbook` command: list what pages would run, print a page's script, replay a page.

runbook [-f mkdocs.yml] list [PATH...]
runbook [-f mkdocs.yml] script PAGE [--variant LABEL] [--take-over]
runbook [-f mkdocs.yml] replay PAGE [--variant LABEL] [--take-over] [--transport path|http]
runbook [-f mkdocs.yml] export SITE_DIR
runbook [-f mkdocs.yml] packages [-- PIP_OPTION...]

`-f zensical.toml` reads a guide Zensical builds from that file alone.

Exit status: 0 when all went well, 1 when a replay failed, 2 on bad input (each problem on
stderr as `path:line: message`).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from mkdocs.utils import get_relative_url

from runbook.adapters.packages import fetch_packages
from runbook.adapters.publication import write_output
from runbook.adapters.scriptbox import box_page
from runbook.adapters.site import Site, SiteError, load_site
from runbook.errors import SourceError
from runbook.reading.crosscheck import check_page
from runbook.reading.pages import PageReading
from runbook.reading.steps import Runbook
from runbook.replaying.script import page_script
from runbook.replaying.session import ChainError, PageReplay, ReplaySession

FAILED = 1
BAD_INPUT = 2


def _describe(runbook: Runbook) -> list[str]:
    lines = [runbook.path]
    settings = runbook.settings
    if settings.start is not None:
        lines.append(f"  start: {settings.start.name}")
    if not runbook.steps:
        return [*lines, "  no steps"]
    names = [v.name for v in runbook.variants if v.name]
    lines += [f"  variant: {name}" for name in names] or ["  variant: (one script)"]
    if runbook.take_over:
        lines.append("  take-over: a second path, with the take-over steps")
    for placeholder in runbook.placeholders():
        lines.append(f"  placeholder: {placeholder.name} <{placeholder.text}>")
    for step in runbook.steps:
        notes = [f"in {tab.label}" for tab in step.tabs]
        notes += [f"skipped: {step.skip}"] if step.skip else []
        notes += ["second terminal"] if step.terminal == 2 else []
        notes += [f"background, ready at {step.ready}" if step.ready else "background"] * (
            step.background
        )
        notes += [f"dir {step.dir}"] if step.dir else []
        notes += ["fails"] if step.fails else []
        notes += ["take-over"] if step.take_over else []
        if step.expected is not None:
            how = " exactly" if step.expected.mode == "exact" else ""
            notes.append(f"output{how} as at line {step.expected.line}")
        suffix = f" [{'; '.join(notes)}]" if notes else ""
        if step.kind == "file":
            lines.append(f"  file {step.location}{suffix}  {step.file}")
        else:
            lines.append(f"  step {step.location}{suffix}  {step.command}")
    return lines


def _report(readings: dict[str, PageReading]) -> bool:
    """Print every error on stderr; return whether there were any."""
    errors = [error for reading in readings.values() for error in reading.errors]
    for error in errors:
        print(error, file=sys.stderr)
    return bool(errors)


def list_pages(site: Site, paths: Sequence[str]) -> int:
    """List the site's pages under `paths`: variants, placeholders, steps; errors on stderr."""
    pages = []
    problems: list[SourceError] = []
    for name in paths or [site.config.docs_dir]:
        folder = Path(os.path.abspath(name))
        if folder.is_dir():
            inside = [f for f in site.pages() if Path(f.abs_src_path).is_relative_to(folder)]
            pages += [f for f in inside if f not in pages]
            continue
        try:
            page = site.page(name)
        except SourceError as error:
            problems.append(error)
            continue
        pages += [page] if page not in pages else []
    readings = site.read(pages)
    failed = _report({"": PageReading(Runbook("", (), ()), problems)}) | _report(readings)
    output = [line for r in readings.values() if not r.errors for line in _describe(r.runbook)]
    sys.stdout.write("".join(line + "\n" for line in output))
    return BAD_INPUT if failed else 0


def print_script(
    site: Site, page: str, variant: str | None, take_over: bool, whole: bool = False
) -> int:
    """Print the script of one page's variant and path, as the site publishes it; with `whole`,
    its whole chain's, from the start."""
    uri = site.page(page).src_uri
    readings = site.read(site.pages() if whole else [site.page(page)])
    reading = readings[uri]
    if _report({page: reading}):
        return BAD_INPUT
    runbook = reading.runbook
    if not runbook.steps:
        raise SourceError(1, "no steps: no block of this page is a command to run", runbook.path)
    if take_over and not runbook.take_over:
        raise SourceError(1, "no take-over steps: the page has one path only", runbook.path)
    chosen = runbook.variant(variant)
    if variant is None and len(runbook.variants) > 1:
        others = ", ".join(repr(v.name) for v in runbook.variants[1:])
        print(
            f"runbook: the script of variant {chosen.name!r}, the first; the others: {others} "
            "(choose one with --variant)",
            file=sys.stderr,
        )
    if whole:
        if site.plugin.publication.chain(uri) is None:
            raise SourceError(1, "no chain: the page starts after no other page", uri)
        sys.stdout.write(site.plugin.publication.whole_script(uri, chosen))
        return 0
    sys.stdout.write(page_script(runbook, chosen, take_over, site.plugin.config.timeout))
    return 0


def export(site: Site, folder: str) -> int:
    """Write into a site another generator built the files `mkdocs build` would publish, and
    put each page's script box into its HTML.

    Each page's shown commands, in that site's HTML, must be its script's: otherwise nothing is
    written, as a strict build publishes nothing.
    """
    readings = site.read(site.pages())
    files: dict[str, bytes] = {}
    for reading in readings.values():
        if not reading.errors and reading.runbook.steps:
            for name, script in site.plugin.publication.publish(reading).items():
                files[name] = script.encode("utf-8")
    if _report(readings):
        return BAD_INPUT
    problems: list[SourceError] = []
    for file in site.pages():
        steps = readings[file.src_uri].runbook.steps
        built = Path(folder) / file.dest_uri
        if built.is_file():  # a page without steps must show no command either
            html = built.read_text(encoding="utf-8")
            problems += check_page(file.src_uri, html, steps, site.plugin.selection)
        elif steps:
            problems.append(
                SourceError(1, f"{built} is missing: build the site first", file.src_uri)
            )
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        return BAD_INPUT
    files.update(site.plugin.publication.outputs())
    for name, data in sorted(files.items()):
        write_output(Path(folder) / name, data)
        print(f"{folder.rstrip('/')}/{name}")
    for file in site.pages():  # each page with scripts gets its script box, as MkDocs gives it
        if site.plugin.publication.links.get(file.src_uri):
            built = Path(folder) / file.dest_uri
            box = site.plugin.publication.box(file.src_uri, file.url)
            css = get_relative_url(site.plugin.publication.stylesheet, file.url)
            built.write_text(box_page(built.read_text("utf-8"), box, css), encoding="utf-8")
            print(built)
    return 0


class _PageErrors(Exception):
    """A page the replay needs has errors; they are printed already."""


def replay_page(
    site: Site,
    page: str,
    variant: str | None,
    take_over: bool,
    transport: str,
    keep: bool,
    outputs: bool = False,
    fresh: bool = False,
) -> int:
    """Replay a page in a sandbox, as the tests do; progress on stderr, the report on stdout."""
    read: dict[str, Runbook] = {}

    def runbook_of(uri: str) -> Runbook:
        if uri not in read:
            reading = site.read([site.page(site.docs_dir / uri)])[uri]
            if _report({uri: reading}):
                raise _PageErrors
            read[uri] = reading.runbook
        return read[uri]

    uri = site.page(page).src_uri
    try:
        if not runbook_of(uri).steps:
            raise SourceError(1, "no steps: no block of this page is a command to run", uri)
    except _PageErrors:
        return BAD_INPUT
    progress = _Progress()
    names = {file.src_uri for file in site.pages()}
    session = ReplaySession(
        runbook_of,
        names,
        site.settings,
        transport,  # type: ignore[arg-type]
        fresh=f"cli-{os.getpid()}-{time.time()}" if fresh else None,
        notify=progress.say,
        clean=not keep,
    )
    try:
        with session.replay(uri, variant, take_over, progress=progress.event) as replayed:
            print(replayed.report())
            if outputs:
                print(_outputs(replayed), end="")
            if keep:
                progress.say(f"the sandbox is kept in {replayed.sandbox.root}")
            return 0 if replayed.ok else FAILED
    except ChainError as error:
        print(error)
        return FAILED
    except _PageErrors:
        return BAD_INPUT


class _Progress:
    """Says on stderr what a replay does as it goes: the page, the step, the time."""

    def __init__(self) -> None:
        self.clock = time.monotonic()

    def say(self, message: str) -> None:
        elapsed = time.monotonic() - self.clock
        print(f"runbook: [{elapsed:6.1f} s] {message}", file=sys.stderr, flush=True)

    def event(self, kind: str, argument: str) -> None:
        said = {
            "start": f"running {argument}",
            "end": f"passed {argument}",
            "finished": "the script finished",
            "leftover": f"ended what the steps left running: {argument}",
            "server": f"{argument.split(' ', 1)[0]} started a server",
            "stopped": f"stopped the server of {argument.rsplit(' ', 1)[0]} with Ctrl+C",
        }
        self.say(said.get(kind, f"{kind} {argument}"))


def _outputs(replayed: PageReplay) -> str:
    """Each step that shows its output: the output shown, and the output it printed."""
    runs = {run.location: run for run in replayed.result.steps}
    lines = []
    for step in replayed.steps:
        run = runs.get(step.location)
        if step.expected is None or run is None or run.outcome == "never ran":
            continue
        how = "exactly" if step.expected.mode == "exact" else "similar"
        verdict = "differs" if run.mismatch is not None else "matches"
        lines.append(
            f"\n{step.location}: its output {verdict} ({how}) the block at line "
            f"{step.expected.line}"
        )
        lines += ["shown on the page:", *(f"    {x}" for x in step.expected.text.split("\n"))]
        lines += [
            "printed by the step:",
            *(f"    {x}" for x in run.printed.rstrip("\n").split("\n")),
        ]
    return "".join(line + "\n" for line in lines)


def _stop(signum: int, frame: object) -> None:
    """SIGTERM ends the command as Ctrl+C does: what it started ends, its folders go."""
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop)
    # Ctrl+C stops the command even where it started with SIGINT ignored (after `&` in a
    # script, say), where Python would leave it ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("runbook: stopped; what the replay started is ended", file=sys.stderr)
        return 128 + signal.SIGINT


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="runbook", description=__doc__.splitlines()[0])
    parser.add_argument(
        "-f",
        "--config-file",
        default="mkdocs.yml",
        help="the site's configuration: mkdocs.yml, or a Zensical guide's zensical.toml",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="list pages, variants, placeholders and steps")
    listing.add_argument("paths", nargs="*", help="pages or folders of the docs (default: all)")
    script = commands.add_parser("script", help="print the bash script of a page")
    script.add_argument("page", help="a Markdown page of the docs")
    script.add_argument("--variant", help="tab label(s) of the variant, as `runbook list` shows")
    script.add_argument("--take-over", action="store_true", help="the take-over path's script")
    script.add_argument(
        "--from-the-start",
        action="store_true",
        help="the script of the page's whole chain, from where its first page starts",
    )
    replay = commands.add_parser("replay", help="replay a page in a sealed sandbox, as tests do")
    replay.add_argument("page", help="a Markdown page of the docs")
    replay.add_argument("--variant", help="tab label(s) of the variant, as `runbook list` shows")
    replay.add_argument("--take-over", action="store_true", help="replay the take-over path")
    replay.add_argument(
        "--transport",
        choices=["path", "http"],
        default="path",
        help="reach fresh remotes by path or over a loopback HTTP server (default: path)",
    )
    replay.add_argument("--keep", action="store_true", help="keep the sandbox, and say where")
    replay.add_argument(
        "--fresh",
        action="store_true",
        help="replay every page of the chain again, ignoring the end states kept from before",
    )
    replay.add_argument(
        "--outputs",
        action="store_true",
        help="show each step's real output beside the output its page shows",
    )
    exporting = commands.add_parser(
        "export", help="write the scripts and downloads into a site another generator built"
    )
    exporting.add_argument("site_dir", help="the built site, such as `site` after `zensical build`")
    packages = commands.add_parser(
        "packages",
        help="download what the pages install, for the sandbox's Python, into the site's first "
        "folder of wheels (packages:), from the package index",
    )
    packages.add_argument(
        "pip_args",
        nargs="*",
        metavar="-- PIP_OPTION",
        help="options for `pip download`, after --: -- --no-index --find-links DIR",
    )
    args = parser.parse_args(argv)

    try:
        site = load_site(args.config_file)
        if args.command == "list":
            return list_pages(site, args.paths)
        if args.command == "export":
            return export(site, args.site_dir)
        if args.command == "packages":
            return fetch_packages(site, args.pip_args)
        if args.command == "replay":
            return replay_page(
                site,
                args.page,
                args.variant,
                args.take_over,
                args.transport,
                args.keep,
                args.outputs,
                args.fresh,
            )
        return print_script(site, args.page, args.variant, args.take_over, args.from_the_start)
    except (SiteError, SourceError) as error:
        print(error, file=sys.stderr)
        return BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
