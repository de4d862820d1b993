"""The package's layers: reading, stand-ins, replaying, adapters; each imports only those before it.

A newcomer finds where blocks are read, where scripts are made and replayed, where the stand-ins
live, and what adapts it all to MkDocs, Zensical, the command line and pytest, from the tree.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "plugins" / "runbook"
# Each layer may import from itself and from those before it, never from one after it.
LAYERS = ["errors", "reading", "standins", "replaying", "adapters", "__main__"]


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(code: str, package: str) -> Iterator[tuple[int, str]]:
    """The modules that `code`, a module of `package`, imports, with their lines."""
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            names = [f"{target}.{alias.name}" for alias in node.names]
            found = [name for name in names if _is_module(name)]
            yield from ((node.lineno, name) for name in (found or [target]))
        elif isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)


def _is_module(name: str) -> bool:
    relative = Path(*name.split(".")[1:])
    return (PACKAGE / relative).with_suffix(".py").is_file() or (PACKAGE / relative).is_dir()


def _layer(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def _package(path: Path) -> str:
    return _module(path) if path.name == "__init__.py" else _module(path).rsplit(".", 1)[0]


def _own_imports(code: str, package: str) -> set[tuple[int, str]]:
    """What `code` imports of this package."""
    return {
        (line, target)
        for line, target in _imports(code, package)
        if target.split(".")[0] == "runbook" and target != "runbook"
    }


def _upward(module: str, imports: set[tuple[int, str]]) -> list[str]:
    """The imports of `module` from a layer after its own, each as `line: target`."""
    rank = LAYERS.index(_layer(module))
    return [
        f"{line}: imports {target}"
        for line, target in sorted(imports)
        if LAYERS.index(_layer(target)) > rank
    ]


MODULES = {_module(path): path for path in sorted(PACKAGE.rglob("*.py"))}
GRAPH = {
    module: _own_imports(path.read_text(encoding="utf-8"), _package(path))
    for module, path in MODULES.items()
}


def test_every_module_sits_in_a_layer() -> None:
    strays = [module for module in MODULES if module != "runbook" and _layer(module) not in LAYERS]
    assert strays == []
    # The layers the README names are folders, each with several modules.
    for layer in ("reading", "standins", "replaying", "adapters"):
        assert len([m for m in MODULES if _layer(m) == layer]) >= 3, layer


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m != "runbook"))
def test_imports_point_down_the_layers(module: str) -> None:
    assert _upward(module, GRAPH[module]) == [], MODULES[module]


def test_no_module_imports_itself_back() -> None:
    edges = {
        module: {target for _, target in targets if target in MODULES}
        for module, targets in GRAPH.items()
    }
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        for target in sorted(edges[module]):
            cycle = visit(target, [*path, module])
            if cycle:
                return cycle
        done.add(module)
        return None

    cycles = [cycle for module in sorted(edges) if (cycle := visit(module, []))]
    assert cycles == []


def test_the_check_sees_an_upward_import() -> None:
    """A reading module that imports a replaying one, absolutely or relatively, is caught."""
    code = (
        "from runbook.errors import SourceError\n"
        "from runbook.replaying.replay import run_script\n"
        "from ..adapters import cli\n"
    )
    imports = _own_imports(code, "runbook.reading")
    assert _upward("runbook.reading.fences", imports) == [
        "2: imports runbook.replaying.replay",
        "3: imports runbook.adapters.cli",
    ]
