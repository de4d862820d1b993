"""Tiny wheels and archives made here, byte for byte the same each time: what the tests install
and download instead of reaching a package index or a web server.

`python tests/wheels.py` writes those of the test guide (`tests/guide/`), which are kept in the
repository; a test checks they are what this module makes.
"""

from __future__ import annotations

import base64
import hashlib
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

# Every file in an archive gets this date, so the bytes never change.
_DATE = (2026, 1, 1, 12, 0, 0)
GUIDE = Path(__file__).resolve().parent / "guide"


def _entry(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_DATE)
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def make_wheel(
    folder: Path, name: str, version: str, code: str, requires: Sequence[str] = ()
) -> Path:
    """Write a pure-Python wheel of one module, `name.py` holding `code`, that depends on the
    `requires` specifiers; return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    info = f"{name}-{version}.dist-info"
    files = {
        f"{name}.py": code.encode(),
        f"{info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
            f"Summary: A tiny package of the tests\n"
            + "".join(f"Requires-Dist: {required}\n" for required in requires)
        ).encode(),
        f"{info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: tests/wheels.py\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n"
        ),
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            _entry(archive, path, data)
    return wheel


def make_zip(path: Path, files: dict[str, str]) -> Path:
    """Write a zip archive of `files` ({name: text}) at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            _entry(archive, name, text.encode())
    return path


def make_guide_stand_ins(root: Path) -> list[Path]:
    """The wheels and the download of the test guide, under `root` (`tests/guide/`)."""
    return [
        make_wheel(
            root / "wheels",
            "greeting",
            "1.0.0",
            'def hello(name: str) -> str:\n    return f"Hello, {name}!"\n',
        ),
        make_wheel(
            root / "wheels",
            "farewell",
            "1.0.0",
            'def goodbye(name: str) -> str:\n    return f"Goodbye, {name}!"\n',
        ),
        make_zip(
            root / "downloads" / "greetings-data.zip",
            {"greetings-data-main/names.txt": "Ada\nGrace\nKatherine\n"},
        ),
    ]


if __name__ == "__main__":
    for made in make_guide_stand_ins(GUIDE):
        print(made.relative_to(Path.cwd()) if made.is_relative_to(Path.cwd()) else made)
    sys.exit(0)
