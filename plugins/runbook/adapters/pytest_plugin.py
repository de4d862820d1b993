"""A pytest plugin: record the test run's replays in the results file the script boxes read.

Load it with `-p runbook.adapters.pytest_plugin`, or `pytest_plugins` in a conftest. A test hands
each replay of the site's pages to the `record_replay` fixture, which puts what ran into the
test's `user_properties`: pytest-xdist workers send those to the controller with each report.
The process that runs the session (the controller, under xdist) collects them, and at its end
puts them into the results file the `runbook` plugin of the site's configuration names (the
`runbook_config_file` ini option, `mkdocs.yml` by default, from pytest's rootdir), in place of
the earlier results of the same scripts.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import pytest
from mkdocs.config import load_config

from runbook.adapters.config import RunbookConfig
from runbook.adapters.plugin import RunbookPlugin
from runbook.adapters.results import Result, now, record, results_file, script_digest
from runbook.replaying.session import PageReplay

PROPERTY = "runbook_replay"


def result_of(replayed: PageReplay) -> Result:
    """What a replay ran, and how it went: the digest is that of the script it replayed."""
    return Result(
        page=replayed.runbook.path,
        variant=replayed.variant.name,
        take_over=replayed.take_over,
        outcome="passed" if replayed.ok else "failed",
        time=replayed.ran_at or now(),
        script=script_digest(replayed.script),
        whole=replayed.whole,
    )


@pytest.fixture
def record_replay(request: pytest.FixtureRequest) -> Callable[[PageReplay], None]:
    """Record a replay of one of the site's pages in the results file, at the session's end."""

    def record_one(replayed: PageReplay) -> None:
        request.node.user_properties.append((PROPERTY, asdict(result_of(replayed))))

    return record_one


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "runbook_config_file",
        "the site's configuration, whose runbook plugin names the replay results file",
        default="mkdocs.yml",
    )


class Collector:
    """The replays the session's tests recorded, written to the results file at its end."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.results: list[Result] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # A test's teardown report carries every property the test recorded.
        if report.when == "teardown":
            for name, value in report.user_properties:
                if name == PROPERTY:
                    self.results.append(Result(**value))  # type: ignore[arg-type]

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.results:
            record(self.path(), self.results)

    def path(self) -> Path:
        """The results file the site's runbook plugin reads."""
        config_file = self.config.rootpath / self.config.getini("runbook_config_file")
        site = load_config(str(config_file))
        plugin = site.plugins.get("runbook")
        options = plugin.config if isinstance(plugin, RunbookPlugin) else RunbookConfig()
        return results_file(config_file.parent, options.cache_dir, options.results)


def _stop(signum: int, frame: object) -> None:
    """SIGTERM stops a test run as Ctrl+C does: replays end what they started, and their
    folders go."""
    raise KeyboardInterrupt


def pytest_configure(config: pytest.Config) -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop)
    # Under pytest-xdist the workers report to the controller, which alone writes the file.
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(Collector(config), "runbook-results")
