"""The `runbook` plugin's options in `mkdocs.yml`, shared by the build and the CLI."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.exceptions import ConfigurationError
from mkdocs.utils.yaml import yaml_load

from runbook.runbook import COMMAND_TITLE, SHELL_LANGUAGES, Selection


class RunbookConfig(Config):
    enabled = c.Type(bool, default=True)
    """Publish each page's scripts and download links; `false` turns the plugin off."""
    languages = c.ListOfItems(c.Type(str), default=list(SHELL_LANGUAGES))
    """Languages of the fenced blocks that can be steps."""
    title = c.Type(str, default=COMMAND_TITLE)
    """Regular expression that the whole title of a step's block must match."""
    script_dir = c.Type(str, default="runbooks")
    """Folder of the built site that holds the scripts, mirroring the pages' paths."""


class SettingsError(Exception):
    """`mkdocs.yml` or the runbook options in it are wrong, at `line` when it is known."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.line = line


def selection(config: RunbookConfig) -> Selection:
    """Return the block selection the options describe; raise SettingsError for a bad title."""
    try:
        re.compile(config.title)
    except re.error as error:
        raise SettingsError(f"title is not a regular expression: {error}") from None
    return Selection(tuple(config.languages), config.title)


def _plugin_options(plugins: Any) -> dict[str, Any] | None:
    entries = (
        plugins.items()
        if isinstance(plugins, dict)
        else (
            next(iter(entry.items())) if isinstance(entry, dict) else (entry, None)
            for entry in plugins or ()
        )
    )
    for name, options in entries:
        if name == "runbook":
            return dict(options or {})
    return None


def load(config_file: Path) -> tuple[RunbookConfig, Path]:
    """Read the runbook options and the docs folder from an `mkdocs.yml`.

    Without the file, or without the plugin listed in it, the defaults apply.
    """
    config = RunbookConfig()
    docs_dir = config_file.parent / "docs"
    options: dict[str, Any] = {}
    if config_file.is_file():
        try:
            with config_file.open(encoding="utf-8") as stream:
                site = yaml_load(stream) or {}
        except (yaml.YAMLError, ConfigurationError) as error:
            # MkDocs wraps the YAML error, which knows the line.
            cause = error.__context__ if isinstance(error, ConfigurationError) else error
            mark = getattr(cause, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 1
            raise SettingsError(f"not valid YAML: {cause}".splitlines()[0], line) from None
        if not isinstance(site, dict):
            raise SettingsError("the configuration must be a mapping of settings")
        docs_dir = config_file.parent / site.get("docs_dir", "docs")
        options = _plugin_options(site.get("plugins")) or {}
    config.load_dict(options)
    errors, _ = config.validate()
    if errors:
        raise SettingsError("; ".join(f"{key}: {error}" for key, error in errors))
    return config, docs_dir
