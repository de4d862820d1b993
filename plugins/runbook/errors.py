"""The one error type of the runbook: a problem an author can fix, at a line of a page."""

from __future__ import annotations


class SourceError(Exception):
    """A problem at a line of a Markdown page; `str()` gives `path:line: message` once located."""

    def __init__(self, line: int, message: str, path: str = "") -> None:
        super().__init__(message)
        self.line = line
        self.message = message
        self.path = path

    def at(self, path: str) -> SourceError:
        """Return the same error, located in the page at `path`."""
        return SourceError(self.line, self.message, path)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.path else self.message
