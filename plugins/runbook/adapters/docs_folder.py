"""The docs folder as MkDocs walks it: following every symbolic link to a folder.

A link to a folder that holds it (`docs/again -> ..`, or through other links) makes that walk go
round: MkDocs finds a copy of each page at every turn until the path grows too long (one loop
gives 40 copies), and two loops make it take exponential time. `symlink_loops` finds such links
before MkDocs walks them, in one walk that does not follow a link into a folder it is already in.
"""

from __future__ import annotations

import os


def symlink_loops(folder: str) -> list[tuple[str, str]]:
    """Return each symbolic link under `folder` that leads to a folder holding it, with that
    folder: (link, target), both as paths under `folder`'s parent."""
    base = os.path.dirname(os.path.abspath(folder))
    loops: list[tuple[str, str]] = []

    def walk(path: str, real: str, around: frozenset[str], via: str | None) -> None:
        try:
            entries = sorted(os.scandir(path), key=lambda entry: entry.name)
        except OSError:
            return  # MkDocs skips what it cannot read too
        for entry in entries:
            try:
                if not entry.is_dir():  # follows links
                    continue
                link = entry.is_symlink()
            except OSError:
                continue
            target = os.path.realpath(entry.path) if link else os.path.join(real, entry.name)
            if target in around:  # back in a folder the walk is in: through the last link
                culprit = entry.path if link else via or entry.path
                loops.append((_shown(culprit, base), _shown(os.path.realpath(culprit), base)))
                continue
            walk(entry.path, target, around | {target}, entry.path if link else via)

    top = os.path.realpath(folder)
    walk(folder, top, frozenset([top]), None)
    return loops


def _shown(path: str, base: str) -> str:
    relative = os.path.relpath(path, base)
    return path if relative.startswith("..") else relative
