"""Time one `mkdocs build` in a child process of its own, with the runbook plugin on or off.

A fresh process per build is what `mkdocs build` costs an author, and it lets the parent read
that build's own peak memory from `os.wait4`. The child times loading the configuration and
building, not starting Python, which is the same for both sides.

The child is this module: `python -m benchmarks.build REQUEST_JSON` prints a JSON result.
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
from typing import TYPE_CHECKING, Any

from benchmarks.timing import Sample

if TYPE_CHECKING:
    from mkdocs.plugins import PluginCollection

PROJECT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Site:
    """A site to build: an mkdocs.yml, and optionally another docs folder and nav."""

    config_file: Path
    docs_dir: Path | None = None
    nav: list[str] | None = None


class BuildError(RuntimeError):
    """A benchmark build failed, or did not do what its side says."""


def build_in_child(site: Site, enabled: bool) -> Sample:
    """Build `site` in a new process, the runbook plugin `enabled` or not; return its sample.

    Raises BuildError if the build fails, logs warnings, or publishes scripts it should not.
    """
    with (
        tempfile.TemporaryDirectory(prefix="runbook-bench-site-") as site_dir,
        tempfile.TemporaryFile() as out,
    ):
        request = {
            "config_file": str(site.config_file),
            "docs_dir": str(site.docs_dir) if site.docs_dir else None,
            "site_dir": site_dir,
            "nav": site.nav,
            "enabled": enabled,
        }
        env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT), env.get("PYTHONPATH")]))
        argv = [sys.executable, "-m", "benchmarks.build", json.dumps(request)]
        pid = os.posix_spawn(
            sys.executable, argv, env, file_actions=[(os.POSIX_SPAWN_DUP2, out.fileno(), 1)]
        )
        # wait4 gives this child's own rusage; RUSAGE_CHILDREN would mix in every earlier child.
        _, status, usage = os.wait4(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise BuildError(f"build of {site.docs_dir or site.config_file} failed ({status=})")
        out.seek(0)
        result = json.loads(out.read())
    if result["warnings"]:
        raise BuildError("build logged warnings: " + "; ".join(result["warnings"][:3]))
    if (result["scripts"] > 0) != enabled:
        raise BuildError(
            f"runbook enabled={enabled} but the build wrote {result['scripts']} scripts"
        )
    # Linux reports ru_maxrss in KiB.
    return Sample(
        result["wall"], result["cpu"], usage.ru_maxrss, result["plugin"], result["macros"]
    )


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _timer(function: Callable[..., Any], spent: list[float]) -> Callable[..., Any]:
    """Wrap `function` so that the CPU seconds it takes are added to `spent[0]`."""

    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[0] += time.process_time() - start

    return timed


def _time_plugin(plugins: PluginCollection, name: str) -> list[float]:
    """Time every event handler of plugin `name`, as registered in the loaded configuration."""
    spent = [0.0]
    plugin = plugins[name]
    for methods in plugins.events.values():
        for index, method in enumerate(methods):
            if getattr(method, "__self__", None) is plugin:
                methods[index] = _timer(method, spent)
                plugins._event_origins[methods[index]] = name
    return spent


def _time_macros() -> list[float]:
    """Time the `runbook.macros` hooks, which mkdocs-macros looks up when the build starts."""
    import runbook.macros

    spent = [0.0]
    for hook in ("on_pre_page_macros", "on_post_page_macros"):
        setattr(runbook.macros, hook, _timer(getattr(runbook.macros, hook), spent))
    return spent


def _child(request: dict[str, Any]) -> dict[str, Any]:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    warnings = _Collect()
    logging.getLogger("mkdocs").addHandler(warnings)
    macros = _time_macros()
    options: dict[str, Any] = {"site_dir": request["site_dir"]}
    if request["docs_dir"]:
        options["docs_dir"] = request["docs_dir"]
    if request["nav"] is not None:
        options["nav"] = request["nav"]
        options["validation"] = {"nav": {"omitted_files": "ignore"}}
    wall, cpu = time.perf_counter(), time.process_time()
    config = load_config(request["config_file"], **options)
    # The same switch as `enabled: false` under `- runbook:` in mkdocs.yml, read before any event.
    config.plugins["runbook"].config.enabled = request["enabled"]
    plugin = _time_plugin(config.plugins, "runbook")
    build(config)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    published = Path(request["site_dir"], config.plugins["runbook"].config.script_dir)
    return {
        "wall": wall,
        "cpu": cpu,
        "plugin": plugin[0],
        "macros": macros[0],
        "scripts": sum(1 for _ in published.rglob("*.sh")),
        "warnings": warnings.messages,
    }


if __name__ == "__main__":
    print(json.dumps(_child(json.loads(sys.argv[1]))))
