"""Downloads a replay stands in for: a proxy on 127.0.0.1 that serves mapped URLs from files.

Every program of the sandbox that honours the proxy variables (`curl`, `wget`, Python's
`urllib`, `requests`, pip) asks this proxy for what it fetches. A URL the site maps to a file
(`downloads: {URL: path}`) gets that file; any other gets a 403 at once, whose reason says the
sandbox blocked it, and is noted for the replay's report. `https://` requests come through
`CONNECT`: the proxy answers them itself, with a certificate of the replay's own authority
(`certificates.py`), which the sandbox's programs are told to trust.
"""

from __future__ import annotations

import mimetypes
import shutil
import ssl
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from runbook.standins.certificates import Authority, CertificateError
from runbook.standins.serving import serving

BLOCKED = "network access blocked"
_REASON = f"{BLOCKED} (runbook sandbox)"
_LOOPBACK = "127.0.0.1,localhost,::1"


class Downloads(ThreadingHTTPServer):
    """The proxy: its address, and the URLs it served and blocked."""

    daemon_threads = True

    def __init__(self, mapping: Mapping[str, Path], authority: Authority) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mapping = dict(mapping)
        self.authority = authority
        self.blocked: list[str] = []
        self.served: list[str] = []
        self.problems: list[str] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def environment(self, wgetrc: Path) -> dict[str, str]:
        """What sends the sandbox's programs here, and has them trust its certificates. `wgetrc`
        is written: wget reads its authorities from a file of its own."""
        bundle = self.authority.ensure()
        wgetrc.parent.mkdir(parents=True, exist_ok=True)
        wgetrc.write_text(f"ca_certificate = {bundle}\n", encoding="utf-8")
        proxies = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
        return {
            **dict.fromkeys(proxies, self.url),
            "all_proxy": self.url,
            "no_proxy": _LOOPBACK,
            "NO_PROXY": _LOOPBACK,
            "SSL_CERT_FILE": str(bundle),
            "CURL_CA_BUNDLE": str(bundle),
            "REQUESTS_CA_BUNDLE": str(bundle),
            "NODE_EXTRA_CA_CERTS": str(bundle),
            "WGETRC": str(wgetrc),
        }

    def note(self, kind: str, url: str) -> None:
        with self.lock:
            found = self.served if kind == "served" else self.blocked
            if url not in found:
                found.append(url)


class _Handler(BaseHTTPRequestHandler):
    server: Downloads
    protocol_version = "HTTP/1.1"
    # The scheme and host of a CONNECT tunnel this handler answers inside, if any.
    tunnel = ""

    def do_CONNECT(self) -> None:
        host, _, port = self.path.rpartition(":")
        host = host.strip("[]")
        base = f"https://{host}" + ("" if port in ("", "443") else f":{port}")
        try:
            context = self.server.authority.context(host)
        except CertificateError as error:
            self.server.problems.append(str(error))
            self.server.note("blocked", base + "/")
            self.send_error(502, _REASON)
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        try:
            connection = context.wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError):
            self.server.note("blocked", base + "/")  # the client did not trust the authority
            self.close_connection = True
            return
        self.connection = connection
        self.rfile = connection.makefile("rb", self.rbufsize)
        self.wfile = connection.makefile("wb", self.wbufsize or -1)
        self.tunnel = base
        self.close_connection = False
        while not self.close_connection:
            self.handle_one_request()

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def do_POST(self) -> None:
        self._block(self._url())

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_POST

    def _url(self) -> str:
        return self.tunnel + self.path if self.tunnel else self.path

    def _answer(self, send_body: bool) -> None:
        url = self._url()
        file = self.server.mapping.get(url)
        if file is None:
            self._block(url)
            return
        self.server.note("served", url)
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(file.stat().st_size))
        self.end_headers()
        if send_body:
            with file.open("rb") as stream:
                shutil.copyfileobj(stream, self.wfile)

    def _block(self, url: str) -> None:
        self.server.note("blocked", url)
        body = (
            f"runbook sandbox: {BLOCKED}: {url}\n"
            "Map it to a file under downloads: in mkdocs.yml or in the page's front matter.\n"
        ).encode()
        self.send_response(403, _REASON)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (TimeoutError, ConnectionError, ssl.SSLError):
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve_downloads(mapping: Mapping[str, Path], authority: Authority) -> Iterator[Downloads]:
    """Stand in for the downloads of `mapping` for as long as the block runs."""
    with serving(Downloads(mapping, authority)) as proxy:
        yield proxy


def blocked_note(urls: list[str]) -> str:
    """What a report says of URLs the sandbox blocked."""
    return (
        f"{BLOCKED}: {', '.join(urls)}; map each to a file under downloads: in mkdocs.yml or "
        "in the page's front matter"
    )
