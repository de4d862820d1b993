"""`runbook packages`: fetch what a site's pages install into its folder of wheels.

A replay installs packages from the folders a site declares (`packages: wheels/`), never from
the network. `reading/installs.py` finds what the pages' steps install; `fill` has pip download
it, for the Python the sandbox runs, into the site's first folder. Each step's requirements are
resolved together, as its replay resolves them: two pages may pin two versions of one package.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from runbook.adapters.site import Site
from runbook.errors import SourceError
from runbook.reading.installs import Install, installs
from runbook.reading.steps import Runbook
from runbook.replaying.sandbox import system_path


def sandbox_python() -> str:
    """The `python3` a replay's pages run, as the sandbox finds it: the system's, or the one
    the sandbox links in when the system's folders have none."""
    found = shutil.which("python3", path=system_path())
    return found or str(Path(getattr(sys, "_base_executable", sys.executable)).resolve())


def download_command(
    install: Install, folder: Path, python: str, extra: Sequence[str] = ()
) -> list[str]:
    """The pip command that downloads what `install` asks for, and what it depends on, for
    `python`, into `folder`. This environment's pip runs it, under that Python (`--python`):
    the sandbox's Python need not have pip itself."""
    return [
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "download",
        "--dest",
        str(folder),
        *(["--pre"] if install.pre else []),
        *install.requirements,
        *extra,
    ]


def fill(
    folder: Path,
    found: Sequence[Install],
    python: str,
    extra: Sequence[str] = (),
) -> list[Install]:
    """Download what each install asks for into `folder`, each step's requirements together
    (once for the same requirements); pip prints what it saves, and its errors. Return the
    installs pip failed on."""
    failed = []
    done: set[tuple[tuple[str, ...], bool]] = set()
    for install in found:
        if (install.requirements, install.pre) in done:
            continue
        done.add((install.requirements, install.pre))
        ran = subprocess.run(download_command(install, folder, python, extra), check=False)
        if ran.returncode != 0:
            failed.append(install)
    return failed


def fetch_packages(site: Site, pip_args: Sequence[str]) -> int:
    """`runbook packages`: fill the site's first folder of wheels with what its pages install.

    Prints what it fetches, and why anything a step installs is not fetched; exits 2 on pages
    with errors or no folder declared, 1 when pip fails (its errors are its own)."""
    declared = site.settings.setup.packages
    if not declared:
        raise SourceError(
            1,
            "no folder of wheels to fill: declare one under the runbook plugin's options, "
            "packages: wheels/",
            os.path.relpath(site.config.config_file_path),
        )
    readings = site.read(site.pages())
    errors = [error for reading in readings.values() for error in reading.errors]
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        return 2
    runbooks = {path: reading.runbook for path, reading in readings.items()}
    found, notes = installs(runbooks, lambda path: _start_page(runbooks[path]))
    for note in notes:
        print(f"runbook: {note}", file=sys.stderr)
    if not found:
        print("runbook: no step of the pages installs a package: nothing to fetch")
        return 0
    folder = site.settings.path(declared[0])
    python = sandbox_python()
    print(f"runbook: fetching into {os.path.relpath(folder)} for {python}, what these install:")
    for install in found:
        print(f"{install.location}: {' '.join(install.requirements)}")
    sys.stdout.flush()
    failed = fill(folder, found, python, pip_args)
    if failed:
        where = ", ".join(install.location for install in failed)
        print(f"runbook: pip could not fetch what these install: {where}", file=sys.stderr)
        return 1
    return 0


def _start_page(runbook: Runbook) -> str | None:
    start = runbook.settings.start
    return start.name if start is not None and start.page else None
