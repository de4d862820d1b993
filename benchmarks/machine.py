"""Describe the machine a benchmark ran on, in one line, so that figures can be compared."""

from __future__ import annotations

import os
import platform
import re
from importlib import metadata
from pathlib import Path

PACKAGES = ("mkdocs", "mkdocs-material", "pymdown-extensions", "mkdocs-macros-plugin")
PEERS = ("pytest-codeblocks", "mktestdocs")


def _proc(name: str, field: str) -> str | None:
    path = Path("/proc", name)
    found = re.search(rf"^{field}\s*:\s*(.+)$", path.read_text() if path.is_file() else "", re.M)
    return found[1].strip() if found else None


def describe() -> str:
    """CPU model, cores, RAM, OS, Python and the versions of the packages measured."""
    cpu = _proc("cpuinfo", "model name") or platform.processor() or "unknown CPU"
    memory = _proc("meminfo", "MemTotal")
    ram = f"{int(memory.split()[0]) / 2**20:.1f} GiB RAM" if memory else "RAM unknown"
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in PACKAGES + PEERS)
    return (
        f"{cpu}, {os.cpu_count()} cores, {ram}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, {versions}"
    )
