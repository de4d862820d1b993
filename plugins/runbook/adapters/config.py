"""The `runbook` plugin's options in `mkdocs.yml`, each checked where it is declared."""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import yaml
from mkdocs.config import config_options as c
from mkdocs.config.base import Config, ValidationError

from runbook.reading.outputs import OUTPUT_LANGUAGES, OUTPUT_PROSE
from runbook.reading.selection import (
    COMMAND_TITLE,
    OTHER_SHELLS,
    SECOND_TERMINAL_TITLE,
    SHELL_LANGUAGES,
)
from runbook.reading.settings import (
    Setup,
    SiteSettings,
    Value,
    read_downloads,
    read_env,
    read_packages,
    read_timeout,
    read_value,
)

T = TypeVar("T")


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


class Languages(c.ListOfItems[str]):
    """Languages of steps: bash runs every step, so no other shell's language is one."""

    def __init__(self, default: list[str]) -> None:
        super().__init__(c.Type(str), default=default)

    def run_validation(self, value: object) -> list[str]:
        languages = super().run_validation(value)
        for language in languages:
            if language.lower() in OTHER_SHELLS:
                raise ValidationError(
                    f"{language}: {OTHER_SHELLS[language.lower()]}, and the replay runs steps "
                    "with bash, so such blocks cannot be steps (write them for bash, as sh)"
                )
        return languages


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
        self.written: dict[str, tuple[int, str | None]] = {}
        self.file = "mkdocs.yml"

    def pre_validation(self, config: Config, key_name: str) -> None:
        path = config.config_file_path
        if path:
            self.file = os.path.basename(path)
            self.written = _written_values(path)

    def run_validation(self, value: object) -> dict[str, Value]:
        if not isinstance(value, dict):
            raise ValidationError("expected a mapping of placeholder variables to values")
        values = {}
        for name, item in value.items():
            line, text = self.written.get(str(name), (0, None))
            try:
                values[str(name)] = read_value(str(name), item, text)
            except ValueError as error:
                where = f" (line {line} of {self.file})" if line else ""
                raise ValidationError(f"{error}{where}") from None
        return values


def _written_values(path: str) -> dict[str, tuple[int, str | None]]:
    """The line and text of each test value under the runbook plugin's `values:` in the YAML
    file at `path`, as written (YAML reads `1.10` as 1.1); none when it cannot be read."""
    try:
        with open(path, encoding="utf-8") as stream:
            root = yaml.compose(stream, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError):
        return {}
    plugins = _entry(root, "plugins")
    items = plugins.value if isinstance(plugins, yaml.SequenceNode) else [plugins]
    for item in items:
        values = _entry(_entry(item, "runbook"), "values")
        if isinstance(values, yaml.MappingNode):
            return {
                str(name.value): (
                    name.start_mark.line + 1,
                    scalar.value if isinstance(scalar, yaml.ScalarNode) else None,
                )
                for name, scalar in values.value
            }
    return {}


def _entry(node: object, key: str) -> yaml.Node | None:
    """The value of `key` in a YAML mapping node, if it is one and has it."""
    if isinstance(node, yaml.MappingNode):
        return next((value for name, value in node.value if name.value == key), None)
    return None


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


class Checked(c.BaseConfigOption[T]):
    """An option checked by one of the reading functions of `runbook.reading.settings`."""

    def __init__(self, read: Callable[[object], T], default: T) -> None:
        super().__init__()
        self.read = read
        self.default = default

    def run_validation(self, value: object) -> T:
        try:
            return self.read(value)
        except ValueError as error:
            raise ValidationError(str(error)) from None


def _tools(value: object) -> list[str]:
    if not isinstance(value, list) or not all(
        isinstance(name, str) and re.fullmatch(r"[\w.+-]+", name) for name in value
    ):
        raise ValueError("tools takes a list of program names: tools: [uv]")
    return list(value)


class RunbookConfig(Config):
    enabled = c.Type(bool, default=True)
    """Publish each page's scripts and download links; `false` turns the plugin off."""
    languages = Languages(default=list(SHELL_LANGUAGES))
    """Languages of the fenced blocks that can be steps: languages bash reads as its own."""
    title = Pattern(default=COMMAND_TITLE)
    """Regular expression that the whole title of a step's block must match."""
    script_dir = SiteFolder(default="runbooks")
    """Folder of the built site that holds the scripts and downloads, mirroring the pages."""
    states = States()
    """Named start states: `{NAME: path/to/script.sh}`, run in an empty folder to build each."""
    values = Values()
    """Test values of placeholders for replays: `{VAR: text}` or `{VAR: {remote: NAME.git}}`."""
    cache_dir = c.Type(str, default=".cache/plugin/runbook")
    """Where start-state downloads and pages' end states are kept between runs (relative to
    mkdocs.yml)."""
    second_title = Pattern(default=SECOND_TERMINAL_TITLE)
    """Regular expression that the whole title of a second terminal's block must match."""
    output_languages = c.ListOfItems(c.Type(str), default=list(OUTPUT_LANGUAGES))
    """Languages of the blocks that can show a step's output (besides untitled blocks)."""
    output_prose = Pattern(default=OUTPUT_PROSE)
    """Regular expression that the prose before a block showing a step's output matches."""
    packages = Checked(read_packages, ())
    """Folders of wheels that `pip` and `uv` install from in a replay (relative to mkdocs.yml)."""
    downloads = Checked(read_downloads, {})
    """URLs that `curl`, `wget` and Python get from a file in a replay: `{URL: path}`."""
    env = Checked(read_env, {})
    """Environment variables of every replay's sandbox: `{NAME: value}`."""
    timeout = Checked(read_timeout, 120.0)
    """Each step's default timeout, in seconds."""
    tools = Checked(_tools, [])
    """Programs of this machine outside the system's folders (a virtualenv's, a home's) that a
    replay may run: `[uv]`."""
    results = c.Optional(c.Type(str))
    """The replay results the tests write and each page's script box shows (relative to
    mkdocs.yml; default: `results.json` in `cache_dir`)."""


def site_settings(config: RunbookConfig, config_file: str | None) -> SiteSettings:
    """The settings replays need, from the plugin's options in `config_file`."""
    root = Path(config_file or "mkdocs.yml").resolve().parent
    setup = Setup(tuple(config.packages), dict(config.downloads), dict(config.env), config.timeout)
    return SiteSettings(
        root,
        root / config.cache_dir,
        dict(config.states),
        dict(config.values),
        setup,
        tuple(config.tools),
    )
