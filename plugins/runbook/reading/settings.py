"""Runbook settings: a site's, and a page's own from its front matter.

```yaml
---
runbook:
  start: chapter-6          # a named state of mkdocs.yml, or a page: other-page.md
  values:                   # what the page's placeholders get in a replay
    MY_BUCKET_NAME: my-bucket
  packages: [wheels/more]   # folders of wheels, added to the site's
  downloads:                # URLs the replay serves from files, added to the site's
    https://example.com/data.zip: tests/data.zip
  env: {BROWSER: "false"}   # variables of the sandbox, added to the site's
  timeout: 300              # each step's default timeout, in seconds
---
```

A site declares the same under the runbook plugin's options; what a page declares adds to it,
or wins. Paths are read from the folder of the site's configuration file.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from mkdocs.utils.meta import YAML_RE

from runbook.errors import SourceError

_VARIABLE = re.compile(r"[A-Z][A-Z0-9_]*")


@dataclass(frozen=True)
class Remote:
    """A placeholder's value that is a fresh bare Git repository, named `name`, per replay."""

    name: str


Value = str | Remote


def read_value(name: str, value: object, text: str | None = None) -> Value:
    """Return the test value of placeholder variable `name`: a string or a fresh remote.

    A scalar of another type (`5`, `true`, `1.10`) is taken as `text`, the scalar as written,
    when known; an empty value is refused, since the script stops on one.
    """
    if not _VARIABLE.fullmatch(name):
        raise ValueError(f"{name!r} is not a placeholder's variable (such as MY_BUCKET_NAME)")
    if isinstance(value, dict) and set(value) == {"remote"} and isinstance(value["remote"], str):
        remote = value["remote"]
        if not re.fullmatch(r"[\w.-]+", remote) or remote.startswith("."):
            raise ValueError(f"{name}: a remote's name is one folder name, not {remote!r}")
        return Remote(remote)
    if isinstance(value, dict | list):
        raise ValueError(
            f"{name}: a value is a string, or {{remote: NAME}} for a fresh bare repository"
        )
    if value is not None and not isinstance(value, str):
        if text is None:  # its text is not at hand: YAML may have changed it (1.10 is 1.1)
            raise ValueError(f"{name}: write the value {value!r} in quotes, as a string")
        value = text
    if value is None or value == "":
        raise ValueError(
            f"{name}: a test value cannot be empty: the script asks for each placeholder's "
            "value and stops on an empty one, as it would for a reader; give it one"
        )
    return value


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_KEYS = ("start", "values", "packages", "downloads", "env", "timeout")
# What the sandbox sets itself, and the shell or git rely on: `env:` cannot set them.
SANDBOX_VARIABLES = frozenset(
    """
    PATH HOME PWD OLDPWD IFS SHELL TMPDIR SHLVL TZ LANG LC_ALL BASH_ENV ENV CDPATH
    http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy no_proxy NO_PROXY
    SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE REQUESTS_CA_BUNDLE NODE_EXTRA_CA_CERTS WGETRC
    PIP_CONFIG_FILE PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_FIND_LINKS PIP_NO_INDEX
    UV_DEFAULT_INDEX UV_INDEX_URL UV_INDEX UV_EXTRA_INDEX_URL UV_FIND_LINKS UV_NO_CONFIG
    UV_OFFLINE UV_PYTHON_DOWNLOADS
    """.split()  # noqa: SIM905 (names read best as words)
)
_SANDBOX_PREFIXES = ("GIT_", "RUNBOOK_", "LD_", "BASH_FUNC_")


@dataclass(frozen=True)
class Setup:
    """What a replay sets up besides values: stand-ins for the world, environment variables,
    and the default timeout of a step. Paths as written, from the configuration's folder."""

    packages: tuple[str, ...] = ()
    downloads: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    timeout: float | None = None

    def then(self, later: Setup) -> Setup:
        """This setup with `later`'s added: folders and downloads added, variables and the
        timeout replaced."""
        return Setup(
            tuple(dict.fromkeys((*self.packages, *later.packages))),
            {**self.downloads, **later.downloads},
            {**self.env, **later.env},
            later.timeout if later.timeout is not None else self.timeout,
        )


def read_packages(value: object) -> tuple[str, ...]:
    """`packages:`, one folder or a list of them."""
    folders = [value] if isinstance(value, str) else value
    if not isinstance(folders, list | tuple) or not all(isinstance(f, str) and f for f in folders):
        raise ValueError("packages takes a folder of wheels, or a list of them: packages: wheels/")
    return tuple(folders)


def read_downloads(value: object) -> dict[str, str]:
    """`downloads:`, a mapping of URLs to files."""
    if not isinstance(value, dict):
        raise ValueError("downloads takes a mapping of URLs to files: {https://...: data.zip}")
    checked = {}
    for url, path in value.items():
        if not isinstance(url, str) or not re.match(r"https?://[^/\s]+", url):
            raise ValueError(f"downloads: {url!r} is no http:// or https:// URL")
        if not isinstance(path, str) or not path:
            raise ValueError(f"downloads: {url} takes the path of a file")
        checked[url] = path
    return checked


def read_env(value: object) -> dict[str, str]:
    """`env:`, a mapping of variable names to values (scalars as their text)."""
    if not isinstance(value, dict):
        raise ValueError("env takes a mapping of variables to values: {BROWSER: 'false'}")
    checked = {}
    for name, item in value.items():
        name = str(name)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"env: {name!r} is no variable name")
        if name in SANDBOX_VARIABLES or name.startswith(_SANDBOX_PREFIXES):
            raise ValueError(f"env: {name} is the sandbox's own, or the shell's or git's")
        if item is None or isinstance(item, dict | list):
            raise ValueError(f"env: {name} takes a text, a number or true/false")
        checked[name] = str(item).lower() if isinstance(item, bool) else str(item)
    return checked


def read_timeout(value: object) -> float:
    """`timeout:`, seconds."""
    seconds = value if isinstance(value, int | float) and not isinstance(value, bool) else 0
    if not 0 < seconds < math.inf:
        raise ValueError(f"timeout takes a number of seconds, not {value!r}")
    return float(seconds)


@dataclass(frozen=True)
class SiteSettings:
    """A site's runbook settings, for replays: its named start states (bash scripts), test
    values and setup; `root` is the folder of the configuration file, `cache` where replays keep
    what they make between runs."""

    root: Path
    cache: Path
    states: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Value] = field(default_factory=dict)
    setup: Setup = field(default_factory=Setup)
    # Programs of the machine, outside the system's folders, that replays may run.
    tools: tuple[str, ...] = ()

    def path(self, written: str) -> Path:
        """A path of the settings, from the configuration's folder."""
        return (self.root / written).resolve()

    @property
    def scratch(self) -> Path:
        """Where replays run, out of the project: the same folder for the same cache, so the
        absolute paths of a kept state (a virtualenv's) hold when it is restored there."""
        mark = hashlib.sha256(str(self.cache.resolve()).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"runbook-{os.getuid()}" / mark


@dataclass(frozen=True)
class Start:
    """Where a page's replay starts: a named state, or where another page's replay ends.

    `line` is the line of `start:` in the page's front matter.
    """

    name: str
    line: int

    @property
    def page(self) -> bool:
        return self.name.endswith(".md")


@dataclass(frozen=True)
class PageSettings:
    start: Start | None = None
    values: Mapping[str, Value] = field(default_factory=dict)
    setup: Setup = field(default_factory=Setup)


def page_settings(meta: Mapping[str, Any], source: str) -> PageSettings:
    """Return the runbook settings of a page from its front matter `meta`.

    `source` is the page as written, to name the line of a problem. Raises SourceError.
    """
    settings = meta.get("runbook")
    if settings is None:
        _check_unread(meta, source)
        return PageSettings()
    written = _written(source)
    lines = written.lines
    if not isinstance(settings, dict):
        raise SourceError(lines.get("runbook", 1), "`runbook` takes a mapping: {start: NAME}")
    unknown = [key for key in settings if key not in _KEYS]
    if unknown:
        raise SourceError(
            lines.get(str(unknown[0]), 1),
            f"unknown runbook setting {unknown[0]!r} (known: {', '.join(_KEYS)})",
        )
    start = settings.get("start")
    if start is not None and (not isinstance(start, str) or not start.strip()):
        raise SourceError(lines.get("start", 1), "start names a state or a page: start: NAME")
    values = settings.get("values") or {}
    if not isinstance(values, dict):
        raise SourceError(lines.get("values", 1), "values takes a mapping: {VAR: value}")
    checked = {}
    for name, value in values.items():
        try:
            checked[str(name)] = read_value(str(name), value, written.texts.get(str(name)))
        except ValueError as error:
            raise SourceError(lines.get(str(name), lines.get("values", 1)), str(error)) from None
    setup: dict[str, Any] = {}
    for key, read in (
        ("packages", read_packages),
        ("downloads", read_downloads),
        ("env", read_env),
        ("timeout", read_timeout),
    ):
        if key in settings:
            try:
                setup[key] = read(settings[key])
            except ValueError as error:
                raise SourceError(lines.get(key, 1), str(error)) from None
    start_at = Start(start.strip(), lines.get("start", 1)) if start else None
    return PageSettings(start_at, checked, Setup(**setup))


def _check_unread(meta: Mapping[str, Any], source: str) -> None:
    """Raise SourceError for runbook settings a page writes that would otherwise be ignored: a
    key that is `runbook` but for case or spacing, or front matter YAML cannot read."""
    for key in meta:
        if isinstance(key, str) and key.strip().lower() == "runbook":
            raise SourceError(
                _written(source).lines.get(key, 1),
                f"front matter key {key!r} is not read: the runbook's settings are under "
                "`runbook:`, in lower case",
            )
    if meta or not source.startswith("---"):
        return
    found = YAML_RE.match(source)
    if found is None or "runbook" not in found[1].lower():
        return
    try:
        root = yaml.compose(found[1], Loader=_LOADER)
    except yaml.YAMLError as error:
        # Where the construct left open began, if YAML says, else where it gave up.
        mark = getattr(error, "context_mark", None) or getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        tabs = " (YAML indents with spaces, not tabs)" if "\t" in found[1] else ""
        raise SourceError(
            mark.line + 2 if mark is not None else 1,
            f"the front matter is no YAML that MkDocs can read ({problem}{tabs}), so its "
            "runbook settings would be ignored: fix it",
        ) from None
    if not isinstance(root, yaml.MappingNode):
        raise SourceError(
            2, "the front matter is no mapping of keys, so its runbook settings would be ignored"
        )


@dataclass(frozen=True)
class _Written:
    """Where each key under `runbook:` is in a page's front matter, and each value's text."""

    lines: dict[str, int] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)


def _written(source: str) -> _Written:
    """Read the YAML front matter of `source` as written: the line of each key under
    `runbook:` (and of `runbook` itself, however it is spelt), and each test value's text."""
    found = YAML_RE.match(source)
    if found is None:
        return _Written()
    try:
        root = yaml.compose(found.group(1), Loader=_LOADER)
    except yaml.YAMLError:
        return _Written()
    written = _Written()
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if str(key.value).strip().lower() != "runbook":
                continue
            written.lines[key.value] = key.start_mark.line + 2
            for inner, item in value.value if value.id == "mapping" else []:
                written.lines[inner.value] = inner.start_mark.line + 2
                if inner.value == "values" and item.id == "mapping":
                    for name, scalar in item.value:
                        written.lines[name.value] = name.start_mark.line + 2
                        if scalar.id == "scalar":
                            written.texts[name.value] = scalar.value
    return written
