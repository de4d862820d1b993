"""A package index on 127.0.0.1 that serves the wheels and source archives of local folders.

`pip install`, `pip download` and `uv pip install` in a replay use it as their only index (see
`environment`), so a page installs its packages with no network, from the folders a site
declares (`packages: wheels/`). The index follows the simple repository API (PEP 503): a page
for each project, listing its files. A project that no folder holds gets a 404 and is noted, so
a failed replay can say what the folders lack.
"""

from __future__ import annotations

import html
import re
import shutil
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote

from runbook.standins.serving import serving

_WHEEL = re.compile(r"^(?P<name>[^-]+)-[^-]+(?:-[^-]+)?-[^-]+-[^-]+-[^-]+\.whl$")
_SDIST = re.compile(r"^(?P<name>.+?)-\d[^-]*\.(?:tar\.gz|zip)$")


def project_name(name: str) -> str:
    """A project's name as the index compares names (PEP 503): `Foo_Bar.x` is `foo-bar-x`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def distributions(folders: Sequence[Path]) -> dict[str, list[Path]]:
    """The wheels and source archives of `folders`, by project name."""
    found: dict[str, list[Path]] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            match = _WHEEL.match(path.name) or _SDIST.match(path.name)
            if match is not None and path.is_file():
                found.setdefault(project_name(match["name"]), []).append(path)
    return found


class PackageIndex(ThreadingHTTPServer):
    """The index: its address, and the projects it was asked for and lacked."""

    daemon_threads = True

    def __init__(self, folders: Sequence[Path]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.folders = list(folders)
        self.projects = distributions(self.folders)
        self.missing: list[str] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/simple/"

    def environment(self) -> dict[str, str]:
        """What makes pip and uv install from this index, and nothing else."""
        return {
            "PIP_INDEX_URL": self.url,
            "UV_DEFAULT_INDEX": self.url,
            "UV_INDEX_URL": self.url,
        }

    def note_missing(self, project: str) -> None:
        with self.lock:
            if project not in self.missing:
                self.missing.append(project)


class _Handler(BaseHTTPRequestHandler):
    server: PackageIndex

    def do_HEAD(self) -> None:
        self.do_GET(send_body=False)

    def do_GET(self, send_body: bool = True) -> None:
        path = unquote(self.path.split("?", 1)[0])
        parts = [part for part in path.split("/") if part]
        if parts == ["simple"]:
            links = [f'<a href="/simple/{name}/">{name}</a>' for name in self.server.projects]
            self._page("Projects", links, send_body)
        elif len(parts) == 2 and parts[0] == "simple":
            name = project_name(parts[1])
            files = self.server.projects.get(name)
            if files is None:
                self.server.note_missing(name)
                self.send_error(404, f"no {name} in the package folders of the replay")
                return
            links = [
                f'<a href="/files/{self.server.folders.index(f.parent)}/{quote(f.name)}">'
                f"{html.escape(f.name)}</a>"
                for f in files
            ]
            self._page(name, links, send_body)
        elif len(parts) == 3 and parts[0] == "files" and parts[1].isdigit():
            folder = self.server.folders[int(parts[1])]
            file = folder / parts[2]
            if "/" in parts[2] or not file.is_file():
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(file.stat().st_size))
            self.end_headers()
            if send_body:
                with file.open("rb") as stream:
                    shutil.copyfileobj(stream, self.wfile)
        else:
            self.send_error(404)

    def _page(self, title: str, links: list[str], send_body: bool) -> None:
        body = (
            f"<!DOCTYPE html><html><head><title>{html.escape(title)}</title></head><body>\n"
            + "<br>\n".join(links)
            + "\n</body></html>\n"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve_packages(folders: Sequence[Path]) -> Iterator[PackageIndex]:
    """Serve the packages of `folders` for as long as the block runs."""
    with serving(PackageIndex(folders)) as index:
        yield index


def lacking(missing: Sequence[str], folders: Sequence[Path], root: Path) -> str:
    """What a report says of projects the index was asked for and no folder holds."""
    shown = ", ".join(_relative(folder, root) for folder in folders) or "none declared"
    return (
        f"the package folders ({shown}) lack: {', '.join(missing)}; declare a folder under "
        "packages: in mkdocs.yml or the page's front matter, and fill it with `runbook packages`"
    )


def _relative(folder: Path, root: Path) -> str:
    try:
        return str(folder.relative_to(root))
    except ValueError:
        return str(folder)
