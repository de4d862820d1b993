"""Named start states: a bash script builds each one, in an empty folder of a sandbox.

A page that starts from `chapter-6` finds the folder its commands run in as that state's script
left it. The same script makes what a reader who takes over downloads: a git bundle of the
repository it builds, the same bytes on every build (identity and dates are fixed in the sandbox,
and git packs the same objects the same way).

A state's script may read the files of its own folder (`states/`), and no others: it runs from a
copy of that folder, so what it reads is what `state_digest` covers, and a kept state or bundle
is made again when any of it changes.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

from runbook.reading.steps import DEFAULT_TIMEOUT
from runbook.replaying.kept import digest, files_digest
from runbook.replaying.sandbox import Sandbox, make_sandbox

# Changes when what a bundle holds would: cached bundles of another version are not reused.
_BUNDLE_FORMAT = "1"


class StateError(Exception):
    """A named state's script failed: `str()` says which, and what it wrote to stderr."""


def state_digest(script: Path) -> str:
    """A digest of all that a state's script can read: the files of its folder, and its name."""
    return digest([script.name, files_digest(script.parent)])


def build_state(name: str, script: Path, sandbox: Sandbox) -> None:
    """Run the script of state `name`, from a copy of its folder, in the sandbox's empty
    project folder."""
    copy = sandbox.own / "state"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(script.parent, copy, symlinks=True)
    try:
        result = subprocess.run(
            [shutil.which("bash") or "/bin/bash", str(copy / script.name)],
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
    key = digest([_BUNDLE_FORMAT, version, state_digest(script)])
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
