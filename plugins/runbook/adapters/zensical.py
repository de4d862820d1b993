"""Read a Zensical guide's `zensical.toml` as the MkDocs configuration it stands for, in memory.

A guide built with Zensical may have no `mkdocs.yml` at all: `runbook -f zensical.toml` reads
its `[project]` table instead. `zensical_config` takes what decides which pages there are and
how they render, and the runbook's own options:

- `site_name`, `docs_dir` (default `docs`), `nav`, `exclude_docs`, `draft_docs`, `not_in_nav`,
  `use_directory_urls`, `site_url`, `extra` and the like, as MkDocs reads them;
- `[project.markdown_extensions.NAME]` tables, where `pymdownx` and `zensical` (and
  `pymdownx.blocks`, `zensical.extensions`) are namespaces, so
  `[project.markdown_extensions.pymdownx.superfences]` is the extension `pymdownx.superfences`.
  Where Zensical takes a Python object (a fence's `format`, the emoji `emoji_index`, a
  `slugify`), a string names it (`"pymdownx.superfences.fence_code_format"`) and a table
  `{object = "...", kwds = {...}}` calls it. Without any, Zensical's default extensions apply;
- `[project.plugins.runbook]`, the options `plugins: - runbook:` takes in `mkdocs.yml`, which
  Zensical skips without a word, as it skips every plugin it does not know;
  `[project.plugins.macros]` becomes the macros plugin.

Everything else in the file is Zensical's alone (its theme, its search) and is not read.
"""

from __future__ import annotations

import copy
import importlib
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from typing import Any

from mkdocs.config.defaults import MkDocsConfig

from runbook.errors import SourceError

# The settings of `[project]` that MkDocs reads the same way, and that decide which pages there
# are, where they go, or what they render.
_SAME = (
    "site_name",
    "site_url",
    "site_description",
    "site_author",
    "copyright",
    "docs_dir",
    "site_dir",
    "use_directory_urls",
    "exclude_docs",
    "draft_docs",
    "not_in_nav",
    "nav",
    "extra",
)
# Tables of extensions under `markdown_extensions`: their names are prefixed with the table's.
_NAMESPACES = frozenset({"pymdownx", "pymdownx.blocks", "zensical", "zensical.extensions"})
# Where an extension's options take a Python object, and the object a table without `object`
# calls: ("custom_fences", "*", "format") is each custom fence's format.
_OBJECTS: dict[str, tuple[tuple[tuple[str, ...], str | None], ...]] = {
    "pymdownx.emoji": ((("emoji_index",), None), (("emoji_generator",), None)),
    "pymdownx.superfences": (
        (("custom_fences", "*", "format"), "pymdownx.superfences.fence_code_format"),
        (("custom_fences", "*", "validator"), None),
    ),
    "pymdownx.inlinehilite": ((("custom_inline", "*", "format"), None),),
    "pymdownx.tabbed": ((("slugify",), "pymdownx.slugs.slugify"),),
    "pymdownx.blocks.tab": ((("slugify",), "pymdownx.slugs.slugify"),),
    "toc": ((("slugify",), "pymdownx.slugs.slugify"),),
}
# The plugins of `[project.plugins]` that MkDocs runs when it reads a page.
_PLUGINS = ("macros", "runbook")


def zensical_config(path: str | os.PathLike[str]) -> MkDocsConfig:
    """The MkDocs configuration of the guide `zensical.toml` at `path` describes, validated as
    `mkdocs.yml` would be. Raises SourceError, at the file's line when it can tell."""
    text = _read(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _toml_error(error, text) from None
    project = data.get("project", data)
    if not isinstance(project, dict):
        raise SourceError(_line(text, "project"), "[project] is a table of settings")
    settings = mkdocs_settings(project, text)
    config = MkDocsConfig(config_file_path=os.fspath(path))
    config.load_dict(settings)
    errors, warnings = config.validate()
    # Zensical never reads the runbook's options: what MkDocs only warns of is an error here.
    problems = errors + [(key, w) for key, w in warnings if "'runbook'" in str(w)]
    if problems:
        key, problem = problems[0]
        message = f"{key}: {problem}".split("\n")[0]
        # The names it quotes, then a test value's variable: the line of the last one found.
        names = re.findall(r"'([\w.-]+)'|\b([A-Z][A-Z0-9_]*):", message)
        raise SourceError(
            _line(text, key, *(quoted or variable for quoted, variable in names)), message
        )
    return config


def _read(path: str | os.PathLike[str]) -> str:
    try:
        with open(path, encoding="utf-8") as stream:
            return stream.read()
    except UnicodeDecodeError:
        raise SourceError(1, "not valid UTF-8 text, as TOML must be") from None


def _toml_error(error: tomllib.TOMLDecodeError, text: str) -> SourceError:
    """TOML's own message, at its line (tomllib says it in the message)."""
    message = str(error)
    found = re.search(r" \(at line (\d+), column \d+\)$", message)
    if found is not None:
        line, message = int(found[1]), message[: found.start()]
    else:
        line, message = text.count("\n") + 1, message.removesuffix(" (at end of document)")
    return SourceError(line, f"not TOML that Zensical can read: {message}")


def mkdocs_settings(project: Mapping[str, Any], text: str = "") -> dict[str, Any]:
    """The settings of `mkdocs.yml` that a `[project]` table stands for (`text` is the file,
    to name the line of a problem)."""
    settings = {key: project[key] for key in _SAME if key in project}
    settings["theme"] = {"name": "material"}
    settings["markdown_extensions"] = markdown_extensions(project.get("markdown_extensions"), text)
    settings["plugins"] = [{name: options} for name, options in _plugins(project, text)]
    return settings


def _plugins(project: Mapping[str, Any], text: str) -> list[tuple[str, Any]]:
    """The plugins MkDocs runs, with their options, from a table or a list of them."""
    value = project.get("plugins") or {}
    if isinstance(value, list):
        entries: list[tuple[str, Any]] = []
        for item in value:
            if isinstance(item, str):
                entries.append((item, {}))
            elif isinstance(item, dict) and len(item) == 1:
                entries.append(next(iter(item.items())))
            else:
                raise SourceError(_line(text, "plugins"), "plugins: a name, or {name = {...}}")
    elif isinstance(value, dict):
        entries = list(value.items())
    else:
        raise SourceError(_line(text, "plugins"), "plugins is a table of plugins' options")
    for name, _ in entries:
        if name not in _PLUGINS and re.sub(r"[\W_]", "", str(name)).lower() == "runbook":
            raise SourceError(
                _line(text, name),
                f"plugin {name!r} is not read: the runbook's options are under "
                "[project.plugins.runbook], in lower case",
            )
    return [(name, options or {}) for name, options in entries if name in _PLUGINS]


def markdown_extensions(value: object, text: str = "") -> list[str | dict[str, Any]]:
    """The extensions of `markdown_extensions` (a table or a list, as Zensical takes it), in
    `mkdocs.yml`'s form, with the Python objects their options name; Zensical's own defaults
    when there is none. SuperFences is added when missing, as Zensical adds it."""
    if value is None:
        extensions = _zensical_defaults(text)
    elif isinstance(value, dict):
        extensions = _flatten("", value, text)
    elif isinstance(value, list):
        extensions = []
        for item in value:
            if isinstance(item, str):
                extensions.append((item, {}))
            elif isinstance(item, dict) and len(item) == 1:
                extensions += _flatten("", item, text)
            else:
                where = _line(text, "markdown_extensions")
                raise SourceError(where, "markdown_extensions: a name, or {name = {...}}")
    else:
        raise SourceError(_line(text, "markdown_extensions"), "markdown_extensions is a table")
    names = [name for name, _ in extensions]
    if "pymdownx.superfences" not in names:
        extensions.append(("pymdownx.superfences", {}))
    return [{name: _objects(name, options, text)} for name, options in extensions]


def _flatten(prefix: str, table: Mapping[str, Any], text: str) -> list[tuple[str, Any]]:
    """The extensions of a table of them, its namespaces' included, with their options."""
    found: list[tuple[str, Any]] = []
    for key, options in table.items():
        name = f"{prefix}{key}"
        if name in _NAMESPACES and isinstance(options, dict):
            found += _flatten(f"{name}.", options, text)
        elif options is None or isinstance(options, dict):
            found.append((name, dict(options or {})))
        else:
            raise SourceError(
                _line(text, key),
                f"markdown_extensions: {name} takes a table of options, not {options!r}",
            )
    return found


def _zensical_defaults(text: str) -> list[tuple[str, Any]]:
    """The extensions Zensical renders with when the file lists none, from Zensical itself."""
    try:
        # Imported only here: Zensical is needed only for a file that relies on its defaults.
        from zensical.config import DEFAULT_MARKDOWN_EXTENSIONS
    except ImportError:
        raise SourceError(
            1,
            "no markdown_extensions: Zensical renders with its own defaults, which runbook "
            "reads from the zensical package: install it, or list the extensions",
        ) from None
    return [(name, copy.deepcopy(options)) for name, options in DEFAULT_MARKDOWN_EXTENSIONS.items()]


def _objects(extension: str, options: dict[str, Any], text: str) -> dict[str, Any]:
    """`options` with each Python object Zensical takes there resolved."""
    for where, default in _OBJECTS.get(extension, ()):
        for holder, key in _places(options, where):
            holder[key] = _object(holder[key], default, extension, text)
    return options


def _places(options: Any, where: tuple[str, ...]) -> list[tuple[dict[str, Any], str]]:
    """The (mapping, key) pairs that `where` reaches in `options`; `*` is each item of a list."""
    holders: list[Any] = [options]
    for step in where[:-1]:
        if step == "*":
            holders = [item for holder in holders if isinstance(holder, list) for item in holder]
        else:
            holders = [h[step] for h in holders if isinstance(h, dict) and step in h]
    return [(h, where[-1]) for h in holders if isinstance(h, dict) and where[-1] in h]


def _object(value: Any, default: str | None, extension: str, text: str) -> Any:
    """The object a string names, or the result of calling the one a table names."""
    if isinstance(value, str):
        return _import(value, extension, text)
    if isinstance(value, dict) and set(value) <= {"object", "kwds"}:
        name = value.get("object", default)
        kwds = value.get("kwds", {})
        if name is None or not isinstance(kwds, dict):
            raise SourceError(
                _line(text, extension.rsplit(".", 1)[-1]),
                f'{extension}: a table that makes an object is {{object = "module.name", '
                "kwds = {...}}",
            )
        made: Callable[..., Any] = _import(name, extension, text)
        return made(**kwds)
    return value


def _import(name: str, extension: str, text: str) -> Any:
    module, _, attribute = name.rpartition(".")
    try:
        return getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError, ValueError) as error:
        raise SourceError(
            _line(text, name), f"{extension}: cannot import {name!r} ({error})"
        ) from None


def _line(text: str, *names: str) -> int:
    """The line of the file that sets the last of `names` it holds (a key, a table, a string
    value), else 1."""
    lines = text.splitlines()
    for name in reversed(names):
        quoted = re.escape(str(name))
        pattern = re.compile(
            rf"""^\s*(?:["']?{quoted}["']?\s*=|\[.*\b{quoted}["']?\s*\]\s*(?:#.*)?$)"""
            rf"""|["']{quoted}["']"""
        )
        for number, line in enumerate(lines, start=1):
            if pattern.search(line):
                return number
    return 1
