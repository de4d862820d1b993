"""End states kept between runs: a page's replay, and the folder it left, by a key of all that
made them.

A page that another starts after is replayed once, and its end kept in the cache folder: the
sandbox's files and what the replay found. A later replay of that page, or of one after it,
restores the copy instead of replaying again, in this run or a later one, from the test suite
or the command line. A kept state is only used under the same key, and the key covers all that
made it (see `Plans.key` in `plans.py`); a stale state would be a silent pass.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from runbook.replaying.replay import Replay
from runbook.replaying.sandbox import find_tool, system_path

# A kept state unused this long is removed, and the least recently used beyond this many: the
# cache does not grow without end (a state holds a virtualenv, say, of tens of megabytes).
_UNUSED = 14 * 24 * 3600.0
_MOST = 24
# A file larger than this is known by its size and times, not its bytes: a folder of wheels can
# hold gigabytes.
_HASHED = 16 * 1024 * 1024


@dataclass(frozen=True)
class Kept:
    """What a kept end state holds beside its files; `bases`, every loopback base its pages
    were served at, which its repositories may name."""

    result: Replay
    values: dict[str, str]
    cwd: Path | None
    bases: tuple[str, ...]
    # The run that made it: a fresh run uses only the states it made itself.
    run: str = ""
    # When the replay ran (UTC, to the second).
    ran_at: str = ""


Signature = list[tuple[str, int, int, int, int, int]]


def signature(root: Path) -> Signature:
    """What changes when anything under `root` does: each entry's path, inode, mode, size,
    modification time and change time (which no program can set back)."""
    found = []
    for folder, folders, files in os.walk(root):
        for name in [*folders, *files]:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            found.append(
                (path, info.st_ino, info.st_mode, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
            )
    return sorted(found)


def digest(parts: Iterable[object]) -> str:
    return hashlib.sha256("\0".join(map(str, parts)).encode()).hexdigest()[:24]


def files_digest(path: Path) -> str:
    """A digest of a file, or of every file under a folder: their names and bytes (a large
    file's size and modification time); a missing path is one too."""
    if not path.exists():
        return f"missing:{path}"
    entries = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    parts: list[object] = [path.name]
    for entry in entries:
        info = entry.stat()
        parts.append(entry.relative_to(path) if entry != path else entry.name)
        if info.st_size > _HASHED:  # its change time too, which no program can set back
            parts += [info.st_size, info.st_mtime_ns, info.st_ctime_ns]
        else:
            parts.append(hashlib.sha256(entry.read_bytes()).hexdigest())
    return digest(parts)


@functools.cache
def tool_digest() -> str:
    """What a replay's result depends on beyond the page: this package's code, and the versions
    of bash, git and the sandbox's Python."""
    return digest([sorted(_package().items()), *versions()])


def _package() -> dict[str, str]:
    """This package's modules, and a digest of each."""
    package = Path(__file__).resolve().parents[1]
    return {
        str(p.relative_to(package)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(package.rglob("*.py"))
    }


def versions() -> list[str]:
    """The first line `--version` prints for bash, git and python3."""
    path = system_path()
    return [_version(shutil.which(program, path=path) or program) for program in _SYSTEM]


_SYSTEM = ("bash", "git", "python3")


@functools.cache
def tools_digest(tools: tuple[str, ...]) -> str:
    """What the sandbox's `tools` (`uv`, `dvc`) are: where each is, its file, and the first line
    its `--version` prints; a tool upgraded in place makes the states that used it again."""
    parts: list[object] = []
    for name in tools:
        found = find_tool(name)
        if found is None:
            parts.append(f"{name}: none")
            continue
        parts += [name, found, files_digest(Path(found).resolve()), _version(found)]
    return digest(parts)


def _version(program: str) -> str:
    """The first line `program --version` prints, or what stopped it."""
    try:
        done = subprocess.run(
            [program, "--version"],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"{program}: {type(error).__name__}"
    return (done.stdout or done.stderr).split("\n", 1)[0]


class EndStates:
    """The end states kept in `folder`. A fresh run (`fresh`, its name) ignores those of other
    runs: each is made again, once.

    A folder a replay ran in that still holds a kept state, untouched since it was kept or
    restored, needs no copy of it: `held` says which it holds, beside the folder, with the
    digest of its signature, for later processes too.
    """

    def __init__(self, folder: Path, fresh: str | None = None) -> None:
        self.folder = folder
        self.fresh = fresh

    @staticmethod
    def _held(root: Path) -> Path:
        return root.with_name(root.name + ".held")

    def holds(self, root: Path) -> str | None:
        """The key of the kept state `root` holds untouched, if any."""
        try:
            key, mark = self._held(root).read_text(encoding="utf-8").split("\n", 1)
        except (OSError, ValueError):
            return None
        return key if mark == digest(signature(root)) else None

    def hold(self, root: Path, key: str | None) -> None:
        """Note that `root` now holds the kept state of `key` (None: no kept state)."""
        held = self._held(root)
        if key is None:
            held.unlink(missing_ok=True)
            return
        partial = held.with_name(f"{held.name}.{os.getpid()}")
        partial.write_text(f"{key}\n{digest(signature(root))}", encoding="utf-8")
        partial.replace(held)

    def get(self, key: str) -> Kept | None:
        found = self.folder / f"{key}.pickle"
        if not found.is_file() or not (self.folder / key).is_dir():
            return None
        with found.open("rb") as stream:
            kept: Kept = pickle.load(stream)  # written by this tool, in the site's cache
        if self.fresh is not None and kept.run != self.fresh:
            return None
        os.utime(found)  # used: kept a while longer
        return kept

    def keep(self, key: str, kept: Kept, root: Path, ignore: Callable[..., list[str]]) -> None:
        """Keep a copy of `root` as the end state of `key`."""
        self.folder.mkdir(parents=True, exist_ok=True)
        copy = self.folder / key
        if copy.exists() and self.get(key) is not None:
            return
        partial = self.folder / f"{key}.partial-{os.getpid()}"
        if partial.exists():
            shutil.rmtree(partial)
        shutil.copytree(root, partial, symlinks=True, ignore=ignore)
        if copy.exists():
            shutil.rmtree(copy, ignore_errors=True)
        try:
            partial.rename(copy)
        except OSError:  # another process kept the same state meanwhile
            shutil.rmtree(partial, ignore_errors=True)
        note = self.folder / f"{key}.pickle.partial-{os.getpid()}"
        with note.open("wb") as stream:
            pickle.dump(kept, stream)
        note.replace(self.folder / f"{key}.pickle")
        self.hold(root, key)
        self.prune()

    def restore(self, key: str, root: Path) -> bool:
        """Copy the end state of `key` into `root`; none when `root` still holds it, untouched
        since it was kept or restored. Return whether it was copied."""
        if self.holds(root) == key:
            return False
        self.hold(root, None)
        if root.exists():
            shutil.rmtree(root)
        shutil.copytree(self.folder / key, root, symlinks=True)
        return True

    def prune(self) -> None:
        """Remove the kept states unused for two weeks, and the least recently used beyond
        `_MOST`."""
        now = time.time()
        used = []
        for note in self.folder.glob("*.pickle"):
            try:
                used.append((note.stat().st_mtime, note))
            except OSError:
                continue
        used.sort(reverse=True)
        for place, (when, note) in enumerate(used):
            if now - when > _UNUSED or place >= _MOST:
                note.unlink(missing_ok=True)
                shutil.rmtree(self.folder / note.stem, ignore_errors=True)
