"""The `runbook` plugin's options in `mkdocs.yml`, each checked where it is declared."""

from __future__ import annotations

import posixpath
import re

from mkdocs.config import config_options as c
from mkdocs.config.base import Config, ValidationError

from runbook.reading.selection import COMMAND_TITLE, SHELL_LANGUAGES
from runbook.reading.settings import Value, read_value


class Pattern(c.Type[str]):
    """A regular expression that must compile; the option's value is the pattern's text."""

    def __init__(self, default: str) -> None:
        super().__init__(str, default=default)

    def run_validation(self, value: object) -> str:
        text = super().run_validation(value)
        try:
            re.compile(text)
        except re.error as error:
            raise ValidationError(f"not a regular expression: {error}") from None
        return text


class SiteFolder(c.Type[str]):
    """A folder inside the built site, given relative to it with `/`: no `..`, no absolute path."""

    def __init__(self, default: str) -> None:
        super().__init__(str, default=default)

    def run_validation(self, value: object) -> str:
        text = super().run_validation(value)
        folder = posixpath.normpath(text.replace("\\", "/"))
        if posixpath.isabs(folder) or re.match(r"[A-Za-z]:", folder):
            raise ValidationError(f"{text!r} must be a folder inside the site, not absolute")
        if folder == ".." or folder.startswith("../") or folder == ".":
            raise ValidationError(f"{text!r} must be a folder inside the site")
        return folder


class Values(c.BaseConfigOption[dict[str, Value]]):
    """Placeholders' values in a replay, by variable: `{VAR: text}` or `{VAR: {remote: N}}`."""

    def __init__(self) -> None:
        super().__init__()
        self.default: dict[str, Value] = {}

    def run_validation(self, value: object) -> dict[str, Value]:
        if not isinstance(value, dict):
            raise ValidationError("expected a mapping of placeholder variables to values")
        try:
            return {str(name): read_value(str(name), item) for name, item in value.items()}
        except ValueError as error:
            raise ValidationError(str(error)) from None


class States(c.BaseConfigOption[dict[str, str]]):
    """Named start states, each a bash script (path relative to `mkdocs.yml`) that builds it."""

    def __init__(self) -> None:
        super().__init__()
        self.default: dict[str, str] = {}

    def pre_validation(self, config: Config, key_name: str) -> None:
        self.script = c.File(exists=True)
        self.script.pre_validation(config, key_name)

    def run_validation(self, value: object) -> dict[str, str]:
        if not isinstance(value, dict):
            raise ValidationError("expected a mapping of state names to bash scripts")
        states = {}
        for name, script in value.items():
            if not re.fullmatch(r"[\w.-]+", str(name)) or str(name).endswith(".md"):
                raise ValidationError(f"{name!r} cannot name a state (letters, digits, . _ -)")
            try:
                states[str(name)] = self.script.run_validation(script)
            except ValidationError as error:
                raise ValidationError(f"{name}: {error}") from None
        return states


class RunbookConfig(Config):
    enabled = c.Type(bool, default=True)
    """Publish each page's scripts and download links; `false` turns the plugin off."""
    languages = c.ListOfItems(c.Type(str), default=list(SHELL_LANGUAGES))
    """Languages of the fenced blocks that can be steps."""
    title = Pattern(default=COMMAND_TITLE)
    """Regular expression that the whole title of a step's block must match."""
    script_dir = SiteFolder(default="runbooks")
    """Folder of the built site that holds the scripts and downloads, mirroring the pages."""
    states = States()
    """Named start states: `{NAME: path/to/script.sh}`, run in an empty folder to build each."""
    values = Values()
    """Test values of placeholders for replays: `{VAR: text}` or `{VAR: {remote: NAME.git}}`."""
    cache_dir = c.Type(str, default=".cache/plugin/runbook")
    """Where built start-state downloads are kept between builds (relative to mkdocs.yml)."""
    results = c.Optional(c.Type(str))
    """The replay results the tests write and each page's script box shows (relative to
    mkdocs.yml; default: `results.json` in `cache_dir`)."""
