"""The folders of the site's cache where chains replay, and the end states kept from them.

All pages of one chain replay in one folder (`roots/NAME`), so the absolute paths a page's state
holds (a virtualenv's, a remote's) stay right for the page after it, in this run and the next.
Processes (pytest-xdist workers, the command line) take turns on a folder, under its lock. A
folder remembers the loopback addresses its pages were served at: a state restored there is
reached at this replay's address under all of them.
"""

from __future__ import annotations

import fcntl
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from runbook.errors import SourceError
from runbook.reading.settings import SiteSettings
from runbook.replaying.kept import EndStates, Kept
from runbook.replaying.sandbox import Sandbox, SandboxError, make_sandbox


class Roots:
    """The replay folders of one site, and its kept end states."""

    def __init__(self, settings: SiteSettings, fresh: str | None = None, clean: bool = False):
        """A `fresh` run (its name) ignores the end states other runs kept; `clean` removes
        each folder when its replay closes (the kept end states stay)."""
        self.settings = settings
        self.clean = clean
        self.ends = EndStates(settings.cache / "ends", fresh)
        self._open: set[Path] = set()
        # The loopback bases each root's pages were served at, since it was made.
        self._bases: dict[Path, tuple[str, ...]] = {}

    def root(self, first: str, transport: str, suffix: str = "") -> Path:
        """The folder of the chain whose first page is `first`."""
        return self.settings.scratch / "roots" / f"{_slug(first)}-{transport}{suffix}"

    @contextmanager
    def hold(self, root: Path, page: str) -> Iterator[ExitStack]:
        """Hold `root` for a replay of `page`, against other processes and this one; yield a
        stack whose callbacks run before the hold ends."""
        if root in self._open:
            raise RuntimeError(f"{page}: a replay of its chain is still open; close it first")
        with ExitStack() as stack:
            stack.enter_context(_locked(root.with_name(f"{root.name}.lock")))
            if self.clean:  # before the lock is let go
                stack.callback(self._remove, root)
            self._open.add(root)
            stack.callback(self._open.discard, root)
            yield stack

    def sandbox(self, root: Path, base: str, env: dict[str, str] | None = None) -> Sandbox:
        """The sandbox in `root`, its pages' remotes reached at the loopback base `base`."""
        moved = [(old, base) for old in self._bases.get(root, ()) if base and old != base]
        try:
            return make_sandbox(root, [base] if base else [], moved, env, self.settings.tools)
        except SandboxError as error:
            raise SourceError(1, str(error), "mkdocs.yml") from None

    def fresh(self, root: Path, base: str) -> Sandbox:
        """An empty sandbox in `root`."""
        self.ends.hold(root, None)
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        self._bases[root] = (base,) if base else ()
        return self.sandbox(root, base)

    def bases(self, root: Path, base: str) -> tuple[str, ...]:
        """Every loopback base the pages in `root` were served at."""
        return self._bases.get(root, (base,) if base else ())

    def keep(self, key: str, kept: Kept, root: Path, own: Path) -> None:
        """Keep a copy of `root` as the end of a replay, for later pages and later runs."""
        self.ends.keep(key, kept, root, _remade(own))

    def restore(self, key: str, kept: Kept, root: Path, base: str) -> Sandbox:
        """Copy a kept end state into `root`, reachable at the loopback base `base`."""
        if self.ends.restore(key, root) or root not in self._bases:
            self._bases[root] = kept.bases
        # Every address the pages so far were served at now leads to this replay's server.
        sandbox = self.sandbox(root, base)
        self._bases[root] = tuple(dict.fromkeys((*self._bases.get(root, ()), base))) if base else ()
        self.ends.hold(root, key)
        return sandbox

    def _remove(self, root: Path) -> None:
        self.ends.hold(root, None)
        shutil.rmtree(root, ignore_errors=True)


def _remade(own: Path) -> Callable[[str, list[str]], list[str]]:
    """What a kept copy leaves out: the sandbox's own files that `make_sandbox` writes again,
    and the script the replay ran."""

    def ignore(folder: str, names: list[str]) -> list[str]:
        return ["bin", "gitconfig", "runbook.sh", "state"] if Path(folder) == own else []

    return ignore


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "page"


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
