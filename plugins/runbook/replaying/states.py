"""Named start states: a bash script builds each one, in an empty folder of a sandbox.

A page that starts from `chapter-6` finds the folder its commands run in as that state's script
left it. The same script makes what a reader who takes over downloads: a git bundle of the
repository it builds, the same bytes on every build (identity and dates are fixed in the sandbox,
and git packs the same objects the same way).
"""

from __future__ import annotations

import difflib
import hashlib
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Collection
from pathlib import Path

from runbook.errors import SourceError
from runbook.reading.steps import DEFAULT_TIMEOUT
from runbook.replaying.sandbox import Sandbox, make_sandbox

# Changes when what a bundle holds would: cached bundles of another version are not reused.
_BUNDLE_FORMAT = "1"


class StateError(Exception):
    """A named state's script failed: `str()` says which, and what it wrote to stderr."""


def build_state(name: str, script: Path, sandbox: Sandbox) -> None:
    """Run the script of state `name` in the sandbox's empty project folder."""
    try:
        result = subprocess.run(
            [shutil.which("bash") or "/bin/bash", str(script)],
            cwd=sandbox.workdir,
            env=sandbox.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=DEFAULT_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise StateError(f"start state {name} ({script}) ran over {DEFAULT_TIMEOUT:g}s") from None
    if result.returncode != 0:
        said = "\n".join(f"    {line}" for line in result.stderr.rstrip().splitlines())
        raise StateError(
            f"start state {name} ({script}) failed with exit status {result.returncode}:\n{said}"
        )


def bundle_name(state: str) -> str:
    return f"{state}.bundle"


def make_bundle(name: str, script: Path, cache: Path | None = None) -> bytes | None:
    """Return a git bundle of the repository state `name` builds: every branch, and HEAD.

    Return None when the state is no git repository. With a `cache` folder, a bundle made
    before from the same script is read back instead. Raises StateError when the script fails.
    """
    version = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout
    key = hashlib.sha256(
        b"\0".join([_BUNDLE_FORMAT.encode(), version.encode(), script.read_bytes()])
    ).hexdigest()
    kept = cache / f"{name}-{key[:16]}.bundle" if cache is not None else None
    if kept is not None and kept.is_file():
        return kept.read_bytes()
    with tempfile.TemporaryDirectory(prefix="runbook-state-") as scratch:
        sandbox = make_sandbox(Path(scratch))
        build_state(name, script, sandbox)
        target = Path(scratch) / bundle_name(name)
        made = subprocess.run(
            ["git", "bundle", "create", "--quiet", str(target), "--all"],
            cwd=sandbox.workdir,
            env=sandbox.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if made.returncode != 0:
            return None
        data = target.read_bytes()
    if kept is not None:
        kept.parent.mkdir(parents=True, exist_ok=True)
        # Builds may run side by side: each writes its own copy, then swaps it in whole.
        partial = kept.with_name(f".{kept.name}.{os.getpid()}.{secrets.token_hex(4)}")
        partial.write_bytes(data)
        partial.replace(kept)
    return data


def unknown_state(
    path: str, line: int, name: str, known: list[str], pages: Collection[str] = ()
) -> SourceError:
    """The error of a `start:` that names neither a page of `pages` nor a state of `known`,
    suggesting what the author may have meant."""
    names = ", ".join(known) or "none in mkdocs.yml"
    hint = ""
    parts = name.replace("\\", "/").split("/")
    under = next(
        ("/".join(parts[n:]) for n in range(1, len(parts)) if "/".join(parts[n:]) in pages), None
    )
    if under is not None:
        hint = f"; a page is named by its path under the docs folder: start: {under}"
    elif close := difflib.get_close_matches(name, [*pages, *known], n=1, cutoff=0.6):
        hint = f"; did you mean start: {close[0]}?"
    return SourceError(
        line,
        f"start: {name} is neither a page of the site nor a named state (states: {names}){hint}",
        path,
    )
