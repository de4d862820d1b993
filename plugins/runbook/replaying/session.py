"""Replay the pages of a guide, each from where a reader starts it.

A page starts in an empty folder, from a named state (`states.py`), or where the replay of another
page ends (`runbook: {start: other-page.md}`, see `chains.py`): that replay's files and git
state, its working directory, its variables (exported or not) and functions, so an activated
virtualenv too.

`plans.py` says what a replay starts from and the key of all that makes it; `roots.py` holds the
folders chains replay in. A page's end state is replayed once and kept (`kept.py`) under its
key, and copied back for each page that starts after it: a chain costs what changed. Sessions
of several processes (pytest-xdist), and the command line, share the kept states, and take
turns on a chain's folder.

A take-over replay starts in an empty folder holding the download of the page's named start
state, as a reader who has just downloaded it does, and runs the take-over steps too.
"""

from __future__ import annotations

import shlex
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from runbook.errors import SourceError
from runbook.reading.settings import SiteSettings
from runbook.reading.steps import DEFAULT_TIMEOUT, Runbook, Step
from runbook.reading.variants import Variant
from runbook.replaying.chains import whole_chain
from runbook.replaying.kept import Kept
from runbook.replaying.plans import Plans, Transport
from runbook.replaying.prologue import SAVE_STATE
from runbook.replaying.replay import SERVER_GRACE, Replay, run_script
from runbook.replaying.roots import Roots
from runbook.replaying.sandbox import Sandbox, make_sandbox
from runbook.replaying.script import render_script
from runbook.replaying.states import build_state, bundle_name, make_bundle
from runbook.replaying.world import missing_files, missing_interpreters, ports_taken, stand_in
from runbook.standins.gitserver import serve_git

__all__ = ["ChainError", "PageReplay", "ReplaySession", "Transport"]

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
        self.settings = settings
        self.transport = transport
        self.followed = followed
        self.notify = notify or (lambda message: None)
        self.plans = Plans(runbook_of, pages, settings, transport)
        self.roots = Roots(settings, fresh, clean)
        # How many times each page's script ran in this process: a kept end state is not rerun.
        self.runs: Counter[str] = Counter()

    def chain(self, page: str) -> list[str]:
        """The pages whose replays `page` starts after, first first, and `page` itself."""
        return self.plans.chain(page)

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
        chain = self.plans.chain(page)
        path = self.plans.path(page, chosen, after)
        suffix = "-take-over" if take_over else "-whole" if whole else ""
        root = self.roots.root(chain[0], self.transport, suffix)
        with self.roots.hold(root, page) as stack:
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
            key = self.plans.key(page, path, take_over)
            kept = self.roots.ends.get(key)
            if kept is not None and prepare is None:
                self.notify(f"{page}: its replay is kept from an earlier run, and not run again")
                yield PageReplay(
                    runbook,
                    chosen,
                    take_over,
                    self.roots.restore(key, kept, root, base),
                    kept.values,
                    kept.result,
                    kept.cwd,
                    script=self.plans.script(runbook, chosen, take_over),
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
        setup = self.plans.setup(runbook)
        sandbox, restore = self._start(runbook, path, take_over, root, base)
        world = stack.enter_context(stand_in(setup, self.settings, sandbox.own))
        sandbox = self.roots.sandbox(root, base, world.env)
        # What the page's state before held of the stand-ins is this replay's now.
        restore += [f"export {name}={shlex.quote(value)}" for name, value in world.env.items()]
        values = self.plans.values(runbook, variant, take_over, sandbox, base)
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
            script = self.plans.script(runbook, variant, take_over)
        keep = _KEEP_STATE.replace("{state}", shlex.quote(str(state)))
        keep = keep.replace("{cwd}", shlex.quote(str(cwd)))
        steps = [s for s in runbook.steps_for(variant, take_over) if s.skip is None]
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
                    {
                        s.location: (s.timeout or timeout) + SERVER_GRACE * s.background
                        for s in steps
                    },
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
            self._keep(self.plans.key(runbook.path, path), replayed, root, base)
        return replayed

    def _start(
        self, runbook: Runbook, path: list[Variant], take_over: bool, root: Path, base: str
    ) -> tuple[Sandbox, list[str]]:
        """Put the page's start state in `root`: the end of the page it starts after, a named
        state built or downloaded, or nothing. Return its sandbox, and the lines that restore
        the shell's state at the start of its script."""
        start = runbook.settings.start
        if start is not None and start.page and not take_over:
            sandbox = self._bring(start.name, path[:-1], root, base, runbook, start.line)
            return sandbox, [_FIRST_ENV, f"source {shlex.quote(str(sandbox.own / 'state.sh'))}"]
        sandbox = self.roots.fresh(root, base)
        if take_over:
            if start is None or start.page:
                raise SourceError(
                    start.line if start else 1,
                    "take-over steps need a named start state to download (start: NAME)",
                    runbook.path,
                )
            download = make_bundle(start.name, self.plans.state(start.name), self.settings.cache)
            (sandbox.workdir / bundle_name(start.name)).write_bytes(download)
        elif start is not None:
            build_state(start.name, self.plans.state(start.name), sandbox)
        return sandbox, []

    def _bring(
        self, page: str, path: list[Variant], root: Path, base: str, after: Runbook, line: int
    ) -> Sandbox:
        """Put the end state of `page`'s replay in `root`; replay it first if none is kept."""
        key = self.plans.key(page, path)
        kept = self.roots.ends.get(key)
        if kept is not None:
            self.notify(f"{page}: starting from its end state, kept from an earlier run")
            return self.roots.restore(key, kept, root, base)
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
        kept = Kept(
            replayed.result,
            replayed.values,
            replayed.cwd,
            self.roots.bases(root, base),
            self.roots.ends.fresh or "",
            replayed.ran_at,
        )
        self.roots.keep(key, kept, root, replayed.sandbox.own)
