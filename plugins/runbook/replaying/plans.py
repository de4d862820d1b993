"""What a page's replay starts from and is given: the chain of pages before it, the variants it
takes through them, its setup, the values of its placeholders, and the key of all of these.

The key names a replay's end state in the kept states (`kept.py`): it covers all that made it,
since a state kept under a key that misses an input would be a silent pass.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Literal

from runbook.errors import SourceError
from runbook.reading.settings import Remote, Setup, SiteSettings, Value
from runbook.reading.steps import Runbook
from runbook.reading.variants import Variant
from runbook.replaying.chains import chain_of, path_through
from runbook.replaying.kept import digest, files_digest, tool_digest, tools_digest
from runbook.replaying.sandbox import Sandbox
from runbook.replaying.script import page_script
from runbook.replaying.states import state_digest

Transport = Literal["path", "http"]


class Plans:
    """Plans the replays of one site's pages, over one transport."""

    def __init__(
        self,
        runbook_of: Callable[[str], Runbook],
        pages: Collection[str],
        settings: SiteSettings,
        transport: Transport = "path",
    ) -> None:
        self.runbook_of = runbook_of
        self.pages = pages
        self.settings = settings
        self.transport = transport
        # Keys made so far: a chain's pages share the keys of the pages before them, and nothing
        # a key covers changes while one session replays.
        self._keys: dict[tuple[str, tuple[str | None, ...], bool], str] = {}

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

    def script(self, runbook: Runbook, variant: Variant, take_over: bool) -> str:
        """The page's script, as the site publishes it."""
        return page_script(runbook, variant, take_over, self.settings.setup.timeout)

    def state(self, name: str) -> Path:
        """The script of the named start state `name`."""
        return self.settings.path(self.settings.states[name])

    def key(self, page: str, path: list[Variant], take_over: bool = False) -> str:
        """A digest of all that makes a page's replay, and its end: the page's script and
        steps, where it starts (every page of its chain, or the files of its named state), its
        values and setup (the stand-ins' files, its variables), the transport, and the tool
        (this code, bash, git and the sandbox's Python)."""
        known = (page, tuple(variant.name for variant in path), take_over)
        if known not in self._keys:
            self._keys[known] = self._key(page, path, take_over)
        return self._keys[known]

    def _key(self, page: str, path: list[Variant], take_over: bool) -> str:
        runbook = self.runbook_of(page)
        variant = path[-1]
        start = runbook.settings.start
        if start is None:
            origin = "empty"
        elif start.page and not take_over:
            origin = self.key(start.name, path[:-1])
        else:
            origin = digest([start.name, take_over, state_digest(self.state(start.name))])
        steps = runbook.steps_for(variant, take_over)
        setup = self.setup(runbook)
        stand_ins = [files_digest(self.settings.path(folder)) for folder in setup.packages]
        stand_ins += [
            (url, files_digest(self.settings.path(p))) for url, p in setup.downloads.items()
        ]
        parts = [
            origin,
            self.transport,
            self.script(runbook, variant, take_over),
            repr([(s.location, s.kind, s.file, s.timeout, s.expected) for s in steps]),
            repr(sorted(self._declared(runbook).items())),
            repr(stand_ins),
            repr(sorted(setup.env.items())),
            setup.timeout,
            tools_digest(tuple(self.settings.tools)),
            # The folder its state was made in: the absolute paths a state holds lead there.
            self.settings.scratch,
            tool_digest(),
        ]
        return digest(parts)

    def values(
        self, runbook: Runbook, variant: Variant, take_over: bool, sandbox: Sandbox, base: str
    ) -> dict[str, str]:
        """The environment variables of the page's placeholders, from the declared test values;
        a remote's value is a bare repository in the sandbox, made if it is not there yet."""
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
            values[placeholder.name] = _value(value, sandbox, base)
        return values

    def _declared(self, runbook: Runbook) -> dict[str, Value]:
        return {**self.settings.values, **runbook.settings.values}


def _value(value: Value, sandbox: Sandbox, base: str) -> str:
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
