"""Replay the pages of a guide, each from where a reader starts it.

A page starts in an empty folder, from a named state (`states.py`), or where the replay of another
page ends (`runbook: {start: other-page.md}`, see `chains.py`): that replay's files and git
state, its working directory, its variables (exported or not) and functions, so an activated
virtualenv too.

All pages of one chain replay in the same folder of the site's cache (`roots/`), so the absolute
paths a page's state holds (a virtualenv's, a remote's) stay right for the page after it, in
this run and the next. A page's end state is replayed once and kept (`kept.py`), under a key of
all that made it, and copied back for each page that starts after it: a chain costs what
changed. Sessions of several processes (pytest-xdist), and the command line, share the kept
states, and take turns on a chain's folder.

A take-over replay starts in an empty folder holding the download of the page's named start
state, as a reader who has just downloaded it does, and runs the take-over steps too.
"""

from __future__ import annotations

import fcntl
import re
import shlex
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from runbook.errors import SourceError
from runbook.reading.settings import Remote, Setup, SiteSettings, Value
from runbook.reading.steps import DEFAULT_TIMEOUT, Runbook, Step
from runbook.reading.variants import Variant
from runbook.replaying.chains import chain_of, path_through, whole_chain
from runbook.replaying.kept import (
    EndStates,
    Kept,
    digest,
    files_digest,
    tool_digest,
)
from runbook.replaying.prologue import SAVE_STATE
from runbook.replaying.replay import SERVER_GRACE, Replay, run_script
from runbook.replaying.sandbox import Sandbox, SandboxError, make_sandbox
from runbook.replaying.script import page_script, render_script
from runbook.replaying.states import build_state, bundle_name, make_bundle, state_digest
from runbook.replaying.world import (
    World,
    missing_files,
    missing_interpreters,
    ports_taken,
    stand_in,
)
from runbook.standins.gitserver import serve_git

Transport = Literal["path", "http"]
# Hears what a session does besides a replay's events: which pages it replays first, and
# whether it used a kept state.
Notify = Callable[[str], None]

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
    # What the report says besides the steps: packages and downloads the stand-ins lacked.
    notes: tuple[str, ...] = ()
    # The script the replay ran, as the site publishes it; and whether it is the page's whole
    # chain's.
    script: str = ""
    whole: bool = False
    # When its steps ran (UTC, to the second): a kept replay ran before it was restored.
    ran_at: str = ""

    @property
    def steps(self) -> list[Step]:
        return self.runbook.steps_for(self.variant, self.take_over)

    @property
    def ok(self) -> bool:
        return self.result.ok

    def report(self) -> str:
        where = f" ({self.variant.name})" if self.variant.name else ""
        path = " on the take-over path" if self.take_over else ""
        report = f"{self.runbook.path}{where}{path}: {self.result.report(self.steps)}"
        return "\n".join([report, *self.notes]) if not self.ok else report


class ChainError(Exception):
    """A page could not start: the replay of a page it starts after failed. `str()` says so."""


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


class ReplaySession:
    """Replays the pages of one site, over one transport, in folders of the site's cache."""

    def __init__(
        self,
        runbook_of: Callable[[str], Runbook],
        pages: Collection[str],
        settings: SiteSettings,
        transport: Transport = "path",
        followed: Callable[[str], bool] = lambda page: False,
        fresh: str | None = None,
        notify: Notify | None = None,
        clean: bool = False,
    ) -> None:
        """`runbook_of` reads a page of `pages`; `followed` says whether a page starts where
        another ends, so that its end is worth keeping; a `fresh` run (its name) ignores the end
        states other runs kept; `clean` removes the folder of each replay when it closes (the
        kept end states stay)."""
        self.runbook_of = runbook_of
        self.pages = pages
        self.settings = settings
        self.transport = transport
        self.followed = followed
        self.notify = notify or (lambda message: None)
        self.clean = clean
        self.cache = settings.cache
        self.ends = EndStates(self.cache / "ends", fresh)
        self._open: set[Path] = set()
        # The loopback bases each root's pages were served at, since it was made.
        self._bases: dict[Path, tuple[str, ...]] = {}
        # How many times each page's script ran in this process: a kept end state is not rerun.
        self.runs: Counter[str] = Counter()

    # What a replay starts from --------------------------------------------------------------

    def chain(self, page: str) -> list[str]:
        """The pages whose replays `page` starts after, first first, and `page` itself."""
        return chain_of(page, self.runbook_of, self.pages, self.settings.states)

    def path(
        self, page: str, variant: Variant, after: tuple[str | None, ...] = ()
    ) -> list[Variant]:
        """The variants a replay of `variant` of `page` takes through its chain: those `after`
        names (by name, for the pages before it), or those its labels link to."""
        runbooks = [self.runbook_of(name) for name in self.chain(page)]
        fixed = {len(runbooks) - 1: variant}
        for place, name in enumerate(after[: len(runbooks) - 1]):
            if name is not None:
                fixed[place] = runbooks[place].variant(name)
        return list(path_through(runbooks, fixed))

    def setup(self, runbook: Runbook) -> Setup:
        """What a page's replay sets up: the site's setup, then the page's own."""
        return self.settings.setup.then(runbook.settings.setup)

    def key(self, page: str, path: list[Variant], take_over: bool = False) -> str:
        """A digest of all that makes a page's replay, and its end: the page's script and
        steps, where it starts (every page of its chain, or the files of its named state), its
        values and setup (the stand-ins' files, its variables), the transport, and the tool
        (this code, bash, git and the sandbox's Python)."""
        runbook = self.runbook_of(page)
        variant = path[-1]
        start = runbook.settings.start
        if start is None:
            origin = "empty"
        elif start.page and not take_over:
            origin = self.key(start.name, path[:-1])
        else:
            origin = digest([start.name, take_over, state_digest(self._state(start.name))])
        steps = runbook.steps_for(variant, take_over)
        setup = self.setup(runbook)
        stand_ins = [files_digest(self.settings.path(folder)) for folder in setup.packages]
        stand_ins += [
            (url, files_digest(self.settings.path(p))) for url, p in setup.downloads.items()
        ]
        parts = [
            origin,
            self.transport,
            page_script(runbook, variant, take_over, self.settings.setup.timeout),
            repr([(s.location, s.kind, s.file, s.timeout, s.expected) for s in steps]),
            repr(sorted(self._declared(runbook).items())),
            repr(stand_ins),
            repr(sorted(setup.env.items())),
            setup.timeout,
            self.settings.tools,
            # The folder its state was made in: the absolute paths a state holds lead there.
            self.settings.scratch,
            tool_digest(),
        ]
        return digest(parts)

    def _state(self, name: str) -> Path:
        return self.settings.path(self.settings.states[name])

    def _declared(self, runbook: Runbook) -> dict[str, Value]:
        return {**self.settings.values, **runbook.settings.values}

    # Replays ---------------------------------------------------------------------------------

    @contextmanager
    def replay(
        self,
        page: str,
        variant: str | None = None,
        take_over: bool = False,
        prepare: Callable[[Sandbox], None] | None = None,
        progress: Callable[[str, str], None] | None = None,
        after: tuple[str | None, ...] = (),
        whole: bool = False,
    ) -> Iterator[PageReplay]:
        """Replay `page` from where it starts; yield the replay for as long as it is looked at.

        `after` names the variants of the pages before it in its chain (by default, those its
        labels link to). `whole` replays the script of its whole chain instead, from where the
        first page starts, as a reader who joins at the page runs it. The sandbox, and the
        loopback servers of the replay, last until the block ends. `prepare` may change the
        start state before the page's first step. Raises SourceError for a page that cannot be
        replayed (a start or a value missing), ChainError when a page it starts after fails.
        """
        runbook = self.runbook_of(page)
        chosen = runbook.variant(variant)
        if take_over and not runbook.take_over:
            raise SourceError(1, "no take-over steps: the page has one path only", page)
        chain = self.chain(page)
        path = self.path(page, chosen, after)
        suffix = "-take-over" if take_over else "-whole" if whole else ""
        root = self.settings.scratch / "roots" / f"{_slug(chain[0])}-{self.transport}{suffix}"
        if root in self._open:
            raise RuntimeError(f"{page}: a replay of its chain is still open; close it first")
        with ExitStack() as stack:
            stack.enter_context(_locked(root.with_name(f"{root.name}.lock")))
            if self.clean:  # before the lock is let go
                stack.callback(self._remove, root)
            self._open.add(root)
            stack.callback(self._open.discard, root)
            base = ""
            if self.transport == "http":
                server = make_sandbox(self.settings.scratch / "servers" / root.name).env
                base = stack.enter_context(serve_git(root / "remotes", server))
            if whole:
                runbooks = [self.runbook_of(name) for name in chain]
                combined = whole_chain(runbooks, tuple(path))
                yield self._run(
                    combined, [Variant()], False, root, base, stack, prepare, progress, chain
                )
                return
            key = self.key(page, path, take_over)
            kept = self.ends.get(key)
            if kept is not None and prepare is None:
                self.notify(f"{page}: its replay is kept from an earlier run, and not run again")
                sandbox = self._restore(key, kept, root, base, runbook)
                script = page_script(runbook, chosen, take_over, self.settings.setup.timeout)
                yield PageReplay(
                    runbook,
                    chosen,
                    take_over,
                    sandbox,
                    kept.values,
                    kept.result,
                    kept.cwd,
                    script=script,
                    ran_at=kept.ran_at,
                )
                return
            yield self._run(runbook, path, take_over, root, base, stack, prepare, progress)

    def _run(
        self,
        runbook: Runbook,
        path: list[Variant],
        take_over: bool,
        root: Path,
        base: str,
        stack: ExitStack,
        prepare: Callable[[Sandbox], None] | None = None,
        progress: Callable[[str, str], None] | None = None,
        whole: list[str] | None = None,
    ) -> PageReplay:
        """Replay `runbook` in `root`, from its start; keep its end if a page starts after it.

        The replay's stand-ins run until `stack` closes. `whole` names the pages of a chain
        whose steps `runbook` holds, all replayed from the first's start."""
        variant = path[-1]
        start = runbook.settings.start
        setup = self.setup(runbook)
        restore: list[str] = []
        if start is not None and start.page and not take_over:
            sandbox = self._bring(start.name, path[:-1], root, base, runbook, start.line)
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
                download = make_bundle(name, self._state(name), self.cache)
                (sandbox.workdir / bundle_name(name)).write_bytes(download)
            elif start is not None:
                build_state(start.name, self._state(start.name), sandbox)
        world = stack.enter_context(stand_in(setup, self.settings, sandbox.own))
        sandbox = self._sandbox(root, base, world)
        # What the page's state before held of the stand-ins is this replay's now.
        restore += [f"export {name}={shlex.quote(value)}" for name, value in world.env.items()]
        values = self._values(runbook, variant, take_over, sandbox, base)
        restore += [f"export {name}={shlex.quote(value)}" for name, value in values.items()]
        if prepare is not None:
            prepare(sandbox)
        # The state a page starts after is read at the start, and replaced at the end.
        state, cwd = sandbox.own / "state.sh", sandbox.own / "cwd"
        cwd.unlink(missing_ok=True)
        timeout = setup.timeout or DEFAULT_TIMEOUT
        if whole:
            script = render_script(runbook, variant, False, None, timeout, whole)
        else:
            script = page_script(runbook, variant, take_over, self.settings.setup.timeout)
        keep = _KEEP_STATE.replace("{state}", shlex.quote(str(state)))
        keep = keep.replace("{cwd}", shlex.quote(str(cwd)))
        steps = [s for s in runbook.steps_for(variant, take_over) if s.skip is None]
        timeouts = {s.location: (s.timeout or timeout) + SERVER_GRACE * s.background for s in steps}
        problem = missing_interpreters(steps, sandbox.env["PATH"])
        missing = missing_files(setup, self.settings)
        if missing:
            problem = "the site's stand-ins name what this machine lacks: " + "; ".join(missing)
        self.runs[runbook.path] += 1
        ran_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        if problem is not None:
            result = Replay([], 1, "", False, problem=problem)
        else:
            with ports_taken(steps):
                result = run_script(
                    "\n".join([*restore, script, keep]),
                    sandbox,
                    [step.location for step in steps],
                    timeouts,
                    values,
                    progress,
                    timeout,
                    expected={step.location: step.expected for step in steps if step.expected},
                )
        if result.ok and not cwd.is_file():
            result.problem = "the replay could not keep the shell's state at its end"
        ended = Path(cwd.read_text(encoding="utf-8")) if cwd.is_file() else None
        failed = next((run.printed for run in result.steps if run.outcome != "passed"), "")
        notes = tuple(world.notes(failed)) if not result.ok else ()
        replayed = PageReplay(
            runbook,
            variant,
            take_over,
            sandbox,
            values,
            result,
            ended,
            notes,
            script,
            bool(whole),
            ran_at,
        )
        if result.ok and self.followed(runbook.path) and not (take_over or prepare or whole):
            self._keep(self.key(runbook.path, path), replayed, root, base)
        return replayed

    def _sandbox(self, root: Path, base: str, world: World | None = None) -> Sandbox:
        moved = [(old, base) for old in self._bases.get(root, ()) if base and old != base]
        try:
            return make_sandbox(
                root,
                [base] if base else [],
                moved,
                world.env if world is not None else None,
                self.settings.tools,
            )
        except SandboxError as error:
            raise SourceError(1, str(error), "mkdocs.yml") from None

    def _remove(self, root: Path) -> None:
        self.ends.hold(root, None)
        shutil.rmtree(root, ignore_errors=True)

    def _fresh(self, root: Path, base: str) -> Sandbox:
        self.ends.hold(root, None)
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        self._bases[root] = (base,) if base else ()
        return self._sandbox(root, base)

    def _bring(
        self, page: str, path: list[Variant], root: Path, base: str, after: Runbook, line: int
    ) -> Sandbox:
        """Put the end state of `page`'s replay in `root`; replay it first if none is kept."""
        key = self.key(page, path)
        kept = self.ends.get(key)
        if kept is not None:
            self.notify(f"{page}: starting from its end state, kept from an earlier run")
            return self._restore(key, kept, root, base, self.runbook_of(page))
        self.notify(f"{page}: replaying it first, as {after.path} starts where it ends")
        clock = time.monotonic()
        with ExitStack() as stack:
            try:
                replayed = self._run(self.runbook_of(page), path, False, root, base, stack)
            except ChainError as error:
                raise ChainError(f"{after.path}:{line}: starts after {page}; {error}") from None
        if not replayed.ok:
            raise ChainError(
                f"{after.path}:{line}: starts after {page}, whose replay failed\n"
                f"{replayed.report()}"
            )
        self.notify(f"{page}: passed in {time.monotonic() - clock:.1f} s")
        self._keep(key, replayed, root, base)
        return replayed.sandbox

    def _keep(self, key: str, replayed: PageReplay, root: Path, base: str) -> None:
        """Keep a copy of `root` as the end of a replay, for later pages and later runs."""
        bases = self._bases.get(root, (base,) if base else ())
        kept = Kept(
            replayed.result,
            replayed.values,
            replayed.cwd,
            bases,
            self.ends.fresh or "",
            replayed.ran_at,
        )
        self.ends.keep(key, kept, root, _remade(replayed.sandbox.own))

    def _restore(self, key: str, kept: Kept, root: Path, base: str, runbook: Runbook) -> Sandbox:
        """Copy a kept end state into `root`, reachable at the loopback base `base`."""
        if self.ends.restore(key, root) or root not in self._bases:
            self._bases[root] = kept.bases
        # Every address the pages so far were served at now leads to this replay's server.
        sandbox = self._sandbox(root, base)
        self._bases[root] = tuple(dict.fromkeys((*self._bases.get(root, ()), base))) if base else ()
        self.ends.hold(root, key)
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
