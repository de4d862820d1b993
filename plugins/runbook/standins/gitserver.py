"""Serve bare repositories over git's smart HTTP protocol on 127.0.0.1, with `git http-backend`.

This is the transport a reader's `https://` remote uses, run locally: the replay can push to
and clone from it without leaving the machine.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from runbook.standins.serving import serving


def _backend() -> list[str]:
    exec_path = subprocess.run(
        ["git", "--exec-path"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return [str(Path(exec_path) / "git-http-backend")]


class _Handler(BaseHTTPRequestHandler):
    server: _GitServer

    def do_GET(self) -> None:
        self._cgi()

    def do_POST(self) -> None:
        self._cgi()

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _cgi(self) -> None:
        url = urlsplit(self.path)
        body = self._body()
        env = {
            **self.server.git_env,
            "GIT_PROJECT_ROOT": str(self.server.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            # A named user lets http-backend accept pushes (receive-pack).
            "REMOTE_USER": "runbook",
            "REMOTE_ADDR": self.client_address[0],
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": url.path,
            "QUERY_STRING": url.query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
        }
        for key in ("Content-Encoding", "Git-Protocol"):
            if key in self.headers:
                env["HTTP_" + key.upper().replace("-", "_")] = self.headers[key]
        result = subprocess.run(
            self.server.backend, input=body, env=env, capture_output=True, timeout=120
        )
        head, _, payload = result.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = result.stdout.partition(b"\n\n")
        status, headers = 200, []
        for raw in head.decode("latin-1").splitlines():
            key, _, value = raw.partition(":")
            if key.lower() == "status":
                status = int(value.split()[0])
            elif key:
                headers.append((key, value.strip()))
        if result.returncode != 0 and not head:
            status, payload = 500, result.stderr
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass  # requests are the test's business; keep the report quiet


class _GitServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path, git_env: Mapping[str, str]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.root = root
        self.git_env = dict(git_env)
        self.backend = _backend()


@contextmanager
def serve_git(root: Path, git_env: Mapping[str, str]) -> Iterator[str]:
    """Serve the bare repositories under `root`; yield the base URL, `http://127.0.0.1:PORT/`.

    `git_env` is the environment `git http-backend` runs with (the sandbox's, so no outside
    configuration applies on the server side either).
    """
    with serving(_GitServer(root, git_env)) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
