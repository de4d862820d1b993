"""Time one `mkdocs build` in a fresh process, the runbook plugin enabled or not, and the plugin's
own share of it.

A fresh process per build is what `mkdocs build` costs an author; the parent reads its peak
memory from `os.wait4`. The plugin's share is the CPU time spent in its event handlers and in
its Markdown extension: the recorder's processors, and its hook around SuperFences' fence
handler less SuperFences' own work in there. The child wraps them before the build: the plugin
class's methods, and the recorder the plugin makes. The child is this module:
`python -m benchmarks.build REQUEST_JSON` prints a JSON result.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.timing import cpu

PROJECT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Build:
    """A build's pages, wall and CPU seconds, the plugin's CPU seconds (and those of them in
    its Markdown extension), and peak memory in KiB."""

    pages: int
    wall: float
    cpu: float
    plugin: float
    extension: float
    rss: int


def build_in_child(config: Path, enabled: bool) -> Build:
    """Build the site of `config` in a new process; raise RuntimeError if it fails, or warns
    with the plugin (without it, a page's link to a download the plugin publishes is broken)."""
    with (
        tempfile.TemporaryDirectory(prefix="runbook-bench-site-") as site,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        argv = [sys.executable, "-m", "benchmarks.build"]
        argv.append(json.dumps({"config": str(config), "site": site, "enabled": enabled}))
        env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT), env.get("PYTHONPATH")]))
        dup = [(os.POSIX_SPAWN_DUP2, out.fileno(), 1), (os.POSIX_SPAWN_DUP2, err.fileno(), 2)]
        # wait4 gives this child's own usage; RUSAGE_CHILDREN would add every earlier child's.
        _, status, usage = os.wait4(os.posix_spawn(argv[0], argv, env, file_actions=dup), 0)
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            said = err.read().decode(errors="replace").strip().splitlines()[-5:]
            raise RuntimeError(f"build of {config} failed:\n" + "\n".join(said))
        got = json.loads(out.read())
    if (got["scripts"] > 0) != enabled:
        raise RuntimeError(f"{config}: enabled={enabled}, but {got['scripts']} scripts")
    plugin = got["events"] + got["extension"]
    # Linux gives ru_maxrss in KiB.
    return Build(got["pages"], got["wall"], got["cpu"], plugin, got["extension"], usage.ru_maxrss)


class Clock:
    """Counts the CPU time spent in the functions it wraps, and not in those it excludes."""

    def __init__(self) -> None:
        self.spent, self.since, self.running = 0.0, 0.0, False

    def _switch(self, on: bool) -> bool:
        was = self.running
        if was != on:
            now = cpu()
            self.spent += now - self.since if was else 0.0
            self.since, self.running = now, on
        return was

    def wrap(self, function: Callable[..., Any], counts: bool = True) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            was = self._switch(counts)
            try:
                return function(*args, **kwargs)
            finally:
                self._switch(was)

        return timed


def _instrument(events: Clock, extension: Clock) -> None:
    """Time the plugin's event handlers, and the Markdown extension its `on_config` adds."""
    from runbook.adapters.plugin import RunbookPlugin
    from runbook.reading.fences import superfences

    for name in [name for name in vars(RunbookPlugin) if name.startswith("on_")]:
        setattr(RunbookPlugin, name, events.wrap(getattr(RunbookPlugin, name)))

    def extend(recorded: Callable[[Any], None], md: Any) -> None:
        pre = superfences(md)
        pre.process_nested_block = extension.wrap(pre.process_nested_block, counts=False)
        registries = (md.preprocessors, md.treeprocessors, md.postprocessors)
        before = {id(processor) for registry in registries for processor in registry}
        extension.wrap(recorded)(md)
        pre.process_nested_block = extension.wrap(pre.process_nested_block)
        for processor in (p for registry in registries for p in registry):
            if id(processor) not in before:
                processor.run = extension.wrap(processor.run)

    configure = RunbookPlugin.on_config

    @functools.wraps(configure)
    def on_config(plugin: RunbookPlugin, config: Any) -> None:
        configure(plugin, config)
        recorder = getattr(plugin, "recorder", None)
        if recorder is not None:  # one per build, added to each page's Markdown
            recorder.extendMarkdown = functools.partial(extend, recorder.extendMarkdown)

    RunbookPlugin.on_config = on_config  # type: ignore[method-assign]


def _child(config_file: str, site: str, enabled: bool) -> dict[str, Any]:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.structure.files import get_files

    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")  # warnings to stderr
    events, extension = Clock(), Clock()
    _instrument(events, extension)
    wall, used = time.perf_counter(), cpu()
    config = load_config(config_file, site_dir=site, strict=enabled)
    config.plugins["runbook"].config.enabled = enabled  # as `enabled: false` in mkdocs.yml
    build(config)
    wall, used = time.perf_counter() - wall, cpu() - used
    return {
        "pages": len(get_files(config).documentation_pages()),
        "wall": wall,
        "cpu": used,
        "events": events.spent,
        "extension": extension.spent,
        "scripts": sum(1 for _ in Path(site).rglob("*.sh")),
    }


if __name__ == "__main__":
    request = json.loads(sys.argv[1])
    print(json.dumps(_child(request["config"], request["site"], request["enabled"])))
