"""The `runbook` plugin's options in `mkdocs.yml`, shared by the build and the CLI."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
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
    """The runbook options in `mkdocs.yml` are wrong."""


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
        with config_file.open(encoding="utf-8") as stream:
            site = yaml_load(stream) or {}
        docs_dir = config_file.parent / site.get("docs_dir", "docs")
        options = _plugin_options(site.get("plugins")) or {}
    config.load_dict(options)
    errors, _ = config.validate()
    if errors:
        raise SettingsError("; ".join(f"{key}: {error}" for key, error in errors))
    return config, docs_dir
