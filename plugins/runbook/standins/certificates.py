"""A certificate authority of the replay's own, so that `https://` downloads can be stood in for.

The download stand-in (`downloads.py`) answers `https://` requests itself: it needs a
certificate for each host, signed by an authority the sandbox's programs trust (and no program
outside it). `openssl` makes them: the authority once per cache folder, a certificate per host
when a replay first asks for it.
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_NAME = "runbook sandbox authority"
_LOCK = threading.Lock()


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One process at a time makes a folder's keys and certificates: a key and its certificate
    must come from the same run of openssl."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    with _LOCK, (folder / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class CertificateError(Exception):
    """openssl is missing, or failed: `str()` says so."""


def _openssl(*arguments: str, cwd: Path) -> None:
    program = shutil.which("openssl")
    if program is None:
        raise CertificateError(
            "https downloads need openssl, to make the replay's certificates: install it"
        )
    done = subprocess.run(
        [program, *arguments], cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise CertificateError(f"openssl {arguments[0]} failed: {done.stderr.strip()}")


class Authority:
    """The authority kept in `folder`: `bundle` is its certificate, for the sandbox to trust."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.contexts: dict[str, ssl.SSLContext] = {}

    @property
    def bundle(self) -> Path:
        return self.folder / "authority.pem"

    def ensure(self) -> Path:
        """Make the authority, once: its key and its certificate; return the certificate."""
        if self.bundle.is_file():
            return self.bundle
        with _locked(self.folder):
            if not self.bundle.is_file():
                self._make()
        return self.bundle

    def _make(self) -> None:
        scratch = self.folder / f".made-{os.getpid()}-{secrets.token_hex(4)}"
        scratch.mkdir()
        try:
            _openssl(
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-days", "3650", "-subj", f"/CN={_NAME}",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                "-keyout", "authority.key", "-out", "authority.pem",
                cwd=scratch,
            )  # fmt: skip
            # The key first: whoever sees the certificate finds its key beside it.
            (scratch / "authority.key").replace(self.folder / "authority.key")
            (scratch / "authority.pem").replace(self.bundle)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def context(self, host: str) -> ssl.SSLContext:
        """A server context with a certificate for `host`, made on first use."""
        if host in self.contexts:
            return self.contexts[host]
        self.ensure()
        safe = re.sub(r"[^A-Za-z0-9.-]", "_", host)
        certificate = self.folder / "hosts" / f"{safe}.pem"
        key = self.folder / "hosts" / f"{safe}.key"
        with _locked(self.folder):
            if not (certificate.is_file() and key.is_file()):
                self._issue(host, certificate, key)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(certificate, key)
        self.contexts[host] = context
        return context

    def _issue(self, host: str, certificate: Path, key: Path) -> None:
        certificate.parent.mkdir(parents=True, exist_ok=True)
        scratch = certificate.parent / f".made-{os.getpid()}-{secrets.token_hex(4)}"
        scratch.mkdir()
        kind = "IP" if re.fullmatch(r"[0-9.]+|[0-9a-fA-F:]+", host) else "DNS"
        try:
            (scratch / "extensions.cnf").write_text(
                f"subjectAltName={kind}:{host}\nbasicConstraints=CA:FALSE\n"
                "extendedKeyUsage=serverAuth\n",
                encoding="utf-8",
            )
            _openssl(
                "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-subj", f"/CN={host}", "-keyout", "host.key", "-out", "host.csr",
                cwd=scratch,
            )  # fmt: skip
            _openssl(
                "x509", "-req", "-in", "host.csr", "-days", "825",
                "-CA", str(self.bundle), "-CAkey", str(self.folder / "authority.key"),
                "-set_serial", str(int.from_bytes(secrets.token_bytes(8), "big")),
                "-extfile", "extensions.cnf", "-out", "host.pem",
                cwd=scratch,
            )  # fmt: skip
            (scratch / "host.key").replace(key)
            (scratch / "host.pem").replace(certificate)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
