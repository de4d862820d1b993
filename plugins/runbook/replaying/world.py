"""The world a replay sees: its stand-ins (a package index, downloads), and its environment.

For each replay the stand-ins start on 127.0.0.1, from the page's setup (the site's, then its
own), and stop when it ends. What they did not have (a package, a URL) is noted for the report.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from runbook.reading.settings import Setup, SiteSettings
from runbook.reading.steps import Step
from runbook.standins.certificates import Authority
from runbook.standins.downloads import Downloads, blocked_note, serve_downloads
from runbook.standins.packages import PackageIndex, lacking, serve_packages

# An interpreter named by its version, as a command: a machine may lack it.
_VERSIONED = re.compile(r"(?<![\w./-])(python[23]\.\d+)(?![\w.-])")
# What pip says of a requirement it could not find.
_NOT_FOUND = re.compile(r"No matching distribution found for ([^\s;]+)")


@dataclass
class World:
    """The stand-ins of one replay, and the environment that sends the sandbox to them."""

    setup: Setup
    settings: SiteSettings
    index: PackageIndex
    downloads: Downloads
    env: dict[str, str] = field(default_factory=dict)

    @property
    def folders(self) -> list[Path]:
        return [self.settings.path(folder) for folder in self.setup.packages]

    def notes(self, printed: str = "") -> list[str]:
        """What the report says of the stand-ins: packages they lacked, URLs they blocked.
        `printed` is the output of the step that failed, for what pip said it lacked."""
        notes = []
        missing = list(self.index.missing)
        missing += [name for name in _NOT_FOUND.findall(printed) if name not in missing]
        if missing:
            notes.append(lacking(missing, self.folders, self.settings.root))
        if self.downloads.blocked:
            notes.append(blocked_note(self.downloads.blocked))
        notes += self.downloads.problems
        return notes


@contextmanager
def stand_in(setup: Setup, settings: SiteSettings, own: Path) -> Iterator[World]:
    """Start the stand-ins of `setup` for one replay whose sandbox keeps its files in `own`."""
    folders = [settings.path(folder) for folder in setup.packages]
    mapping = {url: settings.path(path) for url, path in setup.downloads.items()}
    authority = Authority(settings.scratch / "authority")
    with ExitStack() as stack:
        index = stack.enter_context(serve_packages(folders))
        downloads = stack.enter_context(serve_downloads(mapping, authority))
        env = {**index.environment(), **downloads.environment(own / "wgetrc"), **setup.env}
        yield World(setup, settings, index, downloads, env)


_PORT = re.compile(r"^(?:https?://)?[^/:]+(?::(\d+))?")


@contextmanager
def ports_taken(steps: Sequence[Step]) -> Iterator[None]:
    """Take the loopback ports the steps' servers answer at, for as long as the block runs:
    replays whose servers use the same port (any two replays of one page) take turns."""
    ports = sorted(
        {
            int(found[1] or (443 if step.ready.startswith("https") else 80))
            for step in steps
            if step.background and step.ready and (found := _PORT.match(step.ready))
        }
    )
    folder = Path(tempfile.gettempdir()) / f"runbook-ports-{os.getuid()}"
    with ExitStack() as stack:
        for port in ports:
            folder.mkdir(exist_ok=True)
            lock = stack.enter_context((folder / f"{port}.lock").open("a"))
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def missing_files(setup: Setup, settings: SiteSettings) -> list[str]:
    """The folders of wheels and the files of downloads that `setup` names and this machine
    lacks: a replay cannot stand in with them."""
    missing = [f"packages: {p}" for p in setup.packages if not settings.path(p).is_dir()]
    missing += [
        f"downloads: {url}: {path}"
        for url, path in setup.downloads.items()
        if not settings.path(path).is_file()
    ]
    return missing


def missing_interpreters(steps: Sequence[Step], path: str) -> str | None:
    """Say which step runs a Python by version (`python3.12`) that the sandbox's PATH lacks."""
    for step in steps:
        if step.kind != "command" or step.skip is not None or "python" not in step.code:
            continue
        for number, line in enumerate(step.code.split("\n"), start=step.line + 1):
            for name in _VERSIONED.findall(line):
                if shutil.which(name, path=path) is None:
                    return (
                        f"{step.path}:{number} runs {name}, which this machine lacks (not on the "
                        "sandbox's PATH): install it, or run the Python the machine has"
                    )
    return None
