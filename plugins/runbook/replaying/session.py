"""Replay the pages of a guide, each from where a reader starts it.

A page starts in an empty folder, from a named state (`states.py`), or where the replay of another
page ends (`runbook: {start: other-page.md}`): that replay's files and git state, its working
directory, its variables (exported or not) and functions, so an activated virtualenv too. Each
replay keeps the shell's state at its end for that purpose.

All pages of one chain replay in the same folder, so the absolute paths a page's state holds
(a virtualenv's, a remote's) stay right for the page after it. A page's end state is replayed
once per session, kept, and copied back for each page that starts after it: the pages of a chain
cost about what they cost one by one. Sessions of several processes (pytest-xdist) share their
kept states, and take turns on a chain's folder.

A take-over replay starts in an empty folder holding the download of the page's named start
state, as a reader who has just downloaded it does, and runs the take-over steps too.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pickle
import re
import shlex
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from runbook.adapters.config import RunbookConfig
from runbook.errors import SourceError
from runbook.reading.settings import Remote, Value
from runbook.reading.steps import Runbook, Step
from runbook.reading.variants import Variant
from runbook.replaying.prologue import SAVE_STATE
from runbook.replaying.replay import SERVER_GRACE, Replay, run_script
from runbook.replaying.sandbox import Sandbox, make_sandbox
from runbook.replaying.script import render_script
from runbook.replaying.states import build_state, bundle_name, make_bundle, unknown_state
from runbook.standins.gitserver import serve_git

Transport = Literal["path", "http"]

# Appended to a page's script in a replay: keep the shell's state for a page that starts after.
_KEEP_STATE = (
    "\n# Replay only: keep the shell's state, for a page that starts where this one ends.\n"
    "trap - ERR\n" + SAVE_STATE + "runbook_save_state {state}\nprintf '%s' \"$PWD\" >|{cwd}\n"
)
# Put before a chained page's script in a replay: what a new terminal of the page has is the
# environment the replay gives, not the state of the page before.
_FIRST_ENV = (
    "runbook_token=${RUNBOOK_EVENTS-}\n"
    "unset RUNBOOK_EVENTS\n"
    "runbook_first_env=$(export -p)\n"
    "export RUNBOOK_EVENTS=$runbook_token\n"
)


@dataclass
class PageReplay:
    """A page replayed in a sandbox, with everything a page's checks look at."""

    runbook: Runbook
    variant: Variant
    take_over: bool
    sandbox: Sandbox
    values: dict[str, str]
    result: Replay
    cwd: Path | None

    @property
    def steps(self) -> list[Step]:
        return self.runbook.steps_for(self.variant, self.take_over)

    @property
    def ok(self) -> bool:
        return self.result.ok

    def report(self) -> str:
        where = f" ({self.variant.name})" if self.variant.name else ""
        path = " on the take-over path" if self.take_over else ""
        return f"{self.runbook.path}{where}{path}: {self.result.report(self.steps)}"


class ChainError(Exception):
    """A page could not start: the replay of a page it starts after failed. `str()` says so."""


@dataclass(frozen=True)
class _Kept:
    """What a kept end state holds beside its files; `bases`, every loopback base its pages
    were served at, which its repositories may name."""

    result: Replay
    values: dict[str, str]
    cwd: Path | None
    bases: tuple[str, ...]


def _remade(own: Path) -> Callable[[str, list[str]], list[str]]:
    """What a kept copy leaves out: the sandbox's own files that `make_sandbox` writes again,
    and the script the replay ran."""

    def ignore(folder: str, names: list[str]) -> list[str]:
        return ["bin", "gitconfig", "runbook.sh"] if Path(folder) == own else []

    return ignore


def _signature(root: Path) -> list[tuple[str, int, int, int, int, int]]:
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


class ReplaySession:
    """Replays the pages of one site into folders under `base`, over one transport."""

    def __init__(
        self,
        runbook_of: Callable[[str], Runbook],
        pages: Collection[str],
        config: RunbookConfig,
        base: Path,
        transport: Transport = "path",
        followed: Callable[[str], bool] = lambda page: False,
    ) -> None:
        """`runbook_of` reads a page of `pages`; `followed` says whether a page starts where
        another ends, so that its end is worth keeping for later tests."""
        self.runbook_of = runbook_of
        self.pages = pages
        self.config = config
        self.base = base
        self.transport = transport
        self.followed = followed
        self.cache = base / "cache"
        self._open: set[Path] = set()
        # The loopback bases each root's pages were served at, since it was made.
        self._bases: dict[Path, tuple[str, ...]] = {}
        # The kept end state each root holds, as it was when it was kept or restored.
        self._holds: dict[Path, tuple[str, list[tuple[str, int, int, int, int, int]]]] = {}
        # How many times each page's script ran in this process: a kept end state is not rerun.
        self.runs: Counter[str] = Counter()

    # What a replay starts from --------------------------------------------------------------

    def chain(self, page: str) -> list[str]:
        """Return the pages whose replays `page` starts after, first first, and `page` itself.

        Raises SourceError, at the line of `start:`, for a start that is no page or state, and
        for a cycle.
        """
        chain = [page]
        while (start := self.runbook_of(chain[0]).settings.start) is not None and start.page:
            if start.name not in self.pages:
                raise unknown_state(chain[0], start.line, start.name, sorted(self.config.states))
            if start.name in chain:
                cycle = " -> ".join([start.name, *chain[: chain.index(start.name) + 1]])
                raise SourceError(start.line, f"start: makes a cycle ({cycle})", chain[0])
            chain.insert(0, start.name)
        start = self.runbook_of(chain[0]).settings.start
        if start is not None and start.name not in self.config.states:
            raise unknown_state(chain[0], start.line, start.name, sorted(self.config.states))
        return chain

    def _variant_after(self, page: str, variant: Variant) -> Variant:
        """The variant of `page` a reader who chose `variant` on a later page has replayed."""
        variants = self.runbook_of(page).variants
        return max(variants, key=lambda v: len(set(v.labels) & set(variant.labels)))

    def key(self, page: str, variant: Variant, take_over: bool = False) -> str:
        """A digest of everything a page's replay depends on: its steps, values and start."""
        runbook = self.runbook_of(page)
        start = runbook.settings.start
        if start is None:
            origin = "empty"
        elif start.page and not take_over:
            origin = self.key(start.name, self._variant_after(start.name, variant))
        else:
            script = Path(self.config.states[start.name])
            origin = f"{start.name}:{take_over}:{hashlib.sha256(script.read_bytes()).hexdigest()}"
        steps = [
            (s.location, s.script, s.skip, s.dir, s.fails, s.timeout)
            for s in runbook.steps_for(variant, take_over)
        ]
        parts = [origin, self.transport, repr(steps), repr(sorted(self._declared(runbook).items()))]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:24]

    def _declared(self, runbook: Runbook) -> dict[str, Value]:
        return {**self.config.values, **runbook.settings.values}

    # Replays ---------------------------------------------------------------------------------

    @contextmanager
    def replay(
        self,
        page: str,
        variant: str | None = None,
        take_over: bool = False,
        prepare: Callable[[Sandbox], None] | None = None,
        progress: Callable[[str, str], None] | None = None,
    ) -> Iterator[PageReplay]:
        """Replay `page` from where it starts; yield the replay for as long as it is looked at.

        The sandbox, and the loopback server of an `http` session, last until the block ends.
        `prepare` may change the start state before the page's first step. Raises SourceError
        for a page that cannot be replayed (a start or a value missing), ChainError when a page
        it starts after fails.
        """
        runbook = self.runbook_of(page)
        chosen = runbook.variant(variant)
        if take_over and not runbook.take_over:
            raise SourceError(1, "no take-over steps: the page has one path only", page)
        chain = self.chain(page)
        path = "-take-over" if take_over else ""
        root = self.base / "roots" / f"{_slug(chain[0])}-{self.transport}{path}"
        if root in self._open:
            raise RuntimeError(f"{page}: a replay of its chain is still open; close it first")
        with ExitStack() as stack:
            stack.enter_context(_locked(self.base / "locks" / f"{root.name}.lock"))
            self._open.add(root)
            stack.callback(self._open.discard, root)
            base = ""
            if self.transport == "http":
                server = make_sandbox(self.base / "servers" / root.name).env
                base = stack.enter_context(serve_git(root / "remotes", server))
            key = self.key(page, chosen, take_over)
            kept = self._kept(key)
            if kept is not None and prepare is None:
                sandbox = self._restore(key, kept, root, base)
                yield PageReplay(
                    runbook, chosen, take_over, sandbox, kept.values, kept.result, kept.cwd
                )
                return
            yield self._run(runbook, chosen, take_over, root, base, prepare, progress)

    def _run(
        self,
        runbook: Runbook,
        variant: Variant,
        take_over: bool,
        root: Path,
        base: str,
        prepare: Callable[[Sandbox], None] | None = None,
        progress: Callable[[str, str], None] | None = None,
    ) -> PageReplay:
        """Replay `runbook` in `root`, from its start; keep its end if a page starts after it."""
        start = runbook.settings.start
        restore: list[str] = []
        if start is not None and start.page and not take_over:
            before = self._variant_after(start.name, variant)
            sandbox = self._bring(start.name, before, root, base, runbook.path, start.line)
            restore += [_FIRST_ENV, f"source {shlex.quote(str(sandbox.own / 'state.sh'))}"]
        else:
            sandbox = self._fresh(root, base)
            if take_over:
                name = start.name if start is not None and not start.page else None
                if name is None:
                    raise SourceError(
                        start.line if start else 1,
                        "take-over steps need a named start state to download (start: NAME)",
                        runbook.path,
                    )
                download = make_bundle(name, Path(self.config.states[name]), self.cache)
                (sandbox.workdir / bundle_name(name)).write_bytes(download)
            elif start is not None:
                build_state(start.name, Path(self.config.states[start.name]), sandbox)
        values = self._values(runbook, variant, take_over, sandbox, base)
        restore += [f"export {name}={shlex.quote(value)}" for name, value in values.items()]
        if prepare is not None:
            prepare(sandbox)
        # The state a page starts after is read at the start, and replaced at the end.
        state, cwd = sandbox.own / "state.sh", sandbox.own / "cwd"
        cwd.unlink(missing_ok=True)
        script = render_script(runbook, variant, take_over)
        keep = _KEEP_STATE.replace("{state}", shlex.quote(str(state)))
        keep = keep.replace("{cwd}", shlex.quote(str(cwd)))
        steps = [s for s in runbook.steps_for(variant, take_over) if s.skip is None]
        self.runs[runbook.path] += 1
        result = run_script(
            "\n".join([*restore, script, keep]),
            sandbox,
            [step.location for step in steps],
            {step.location: step.timeout + SERVER_GRACE * step.background for step in steps},
            values,
            progress,
            expected={step.location: step.expected for step in steps if step.expected},
        )
        if result.ok and not cwd.is_file():
            result.problem = "the replay could not keep the shell's state at its end"
        ended = Path(cwd.read_text(encoding="utf-8")) if cwd.is_file() else None
        replayed = PageReplay(runbook, variant, take_over, sandbox, values, result, ended)
        if result.ok and self.followed(runbook.path) and not take_over and prepare is None:
            self._keep(self.key(runbook.path, variant), replayed, root, base)
        return replayed

    def _fresh(self, root: Path, base: str) -> Sandbox:
        self._holds.pop(root, None)
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        self._bases[root] = (base,) if base else ()
        return make_sandbox(root, [base] if base else [])

    def _bring(
        self, page: str, variant: Variant, root: Path, base: str, after: str, line: int
    ) -> Sandbox:
        """Put the end state of `page`'s replay in `root`; replay it first if none is kept."""
        key = self.key(page, variant)
        kept = self._kept(key)
        if kept is not None:
            return self._restore(key, kept, root, base)
        try:
            replayed = self._run(self.runbook_of(page), variant, False, root, base)
        except ChainError as error:
            raise ChainError(f"{after}:{line}: starts after {page}; {error}") from None
        if replayed.ok:
            self._keep(key, replayed, root, base)
        else:
            raise ChainError(
                f"{after}:{line}: starts after {page}, whose replay failed\n{replayed.report()}"
            )
        return replayed.sandbox

    def _kept(self, key: str) -> _Kept | None:
        found = self.cache / "ends" / f"{key}.pickle"
        if not found.is_file():
            return None
        with found.open("rb") as stream:
            kept: _Kept = pickle.load(stream)  # written by this session's own processes
        return kept

    def _keep(self, key: str, replayed: PageReplay, root: Path, base: str) -> None:
        """Keep a copy of `root` as the end of a replay, for later pages and later tests."""
        ends = self.cache / "ends"
        ends.mkdir(parents=True, exist_ok=True)
        copy = ends / key
        if copy.exists():
            return
        partial = ends / f"{key}.partial"
        if partial.exists():
            shutil.rmtree(partial)
        shutil.copytree(root, partial, symlinks=True, ignore=_remade(replayed.sandbox.own))
        partial.rename(copy)
        bases = self._bases.get(root, (base,) if base else ())
        with (ends / f"{key}.pickle.partial").open("wb") as stream:
            pickle.dump(_Kept(replayed.result, replayed.values, replayed.cwd, bases), stream)
        (ends / f"{key}.pickle.partial").rename(ends / f"{key}.pickle")
        self._holds[root] = (key, _signature(root))

    def _restore(self, key: str, kept: _Kept, root: Path, base: str) -> Sandbox:
        """Copy a kept end state into `root`, reachable at the loopback base `base`; none when
        `root` still holds it, untouched since it was kept or restored."""
        if self._holds.get(root, ("", None)) != (key, _signature(root)):
            if root.exists():
                shutil.rmtree(root)
            shutil.copytree(self.cache / "ends" / key, root, symlinks=True)
            self._bases[root] = kept.bases
        # Every address the pages so far were served at now leads to this replay's server.
        moved = [(old, base) for old in self._bases.get(root, ()) if base and old != base]
        sandbox = make_sandbox(root, [base] if base else [], moved)
        self._bases[root] = tuple(dict.fromkeys((*self._bases.get(root, ()), base))) if base else ()
        self._holds[root] = (key, _signature(root))
        return sandbox

    def _values(
        self, runbook: Runbook, variant: Variant, take_over: bool, sandbox: Sandbox, base: str
    ) -> dict[str, str]:
        """The environment variables of the page's placeholders, from the declared test values."""
        declared = self._declared(runbook)
        values = {}
        for placeholder in runbook.placeholders(variant, take_over):
            value = declared.get(placeholder.name)
            if value is None:
                raise SourceError(
                    placeholder.line,
                    f"no test value for {placeholder.name} (<{placeholder.text}>): declare it "
                    "under `values:` of the runbook plugin in mkdocs.yml, or under "
                    "`runbook: values:` in the page's front matter",
                    runbook.path,
                )
            values[placeholder.name] = self._value(value, sandbox, base)
        return values

    def _value(self, value: Value, sandbox: Sandbox, base: str) -> str:
        if not isinstance(value, Remote):
            return value
        remote = sandbox.remotes / value.name
        if not remote.exists():
            subprocess.run(
                ["git", "init", "--quiet", "--bare", "--initial-branch=main", str(remote)],
                env=sandbox.env,
                check=True,
                capture_output=True,
            )
        return base + value.name if base else str(remote)


def start_errors(
    runbooks: Mapping[str, Runbook], pages: Collection[str], config: RunbookConfig
) -> list[SourceError]:
    """Return an error for each of `runbooks` whose `start:` names no page of `pages` and no
    named state, or makes a cycle through the pages read."""
    errors = []
    for page, runbook in sorted(runbooks.items()):
        start, seen = runbook.settings.start, [page]
        while start is not None and start.page and start.name in pages:
            if start.name in seen:
                cycle = " -> ".join([*seen, start.name])
                errors.append(SourceError(start.line, f"start: makes a cycle ({cycle})", page))
                break
            seen.append(start.name)
            start = runbooks[start.name].settings.start if start.name in runbooks else None
        else:
            start = runbook.settings.start
            if start is not None and start.name not in pages and start.name not in config.states:
                errors.append(unknown_state(page, start.line, start.name, sorted(config.states)))
    return errors
