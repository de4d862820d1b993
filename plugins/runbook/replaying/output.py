"""What a replay keeps of a script's output: each step's, bounded, as a reader's terminal shows it.

The script's standard output and error are one stream, as at a terminal; the marker that
`runbook_begin` prints (with the run's token, so no step can print one) says where each step's
part starts. However much a step prints, a replay keeps its first and last `KEPT` characters
and counts the rest.
"""

from __future__ import annotations

import collections
import os
import selectors
from collections.abc import Iterator, Mapping, Sequence

from runbook.replaying.prologue import FINISHED

# What is kept of a step's output at each end.
KEPT = 256 * 1024
# A line longer than this is passed on in pieces, its last part kept back for a marker.
_LONG_LINE = 1024 * 1024
_MARKER_ROOM = 4096


class Bounded:
    """Text kept up to `KEPT` characters at its start and at its end; `left_out` counts the rest."""

    def __init__(self, kept: int = KEPT) -> None:
        self.kept = kept
        self.head: list[str] = []
        self.head_size = 0
        self.tail: collections.deque[str] = collections.deque()
        self.tail_size = 0
        self.left_out = 0

    def add(self, text: str) -> None:
        if self.head_size < self.kept:
            room = self.kept - self.head_size
            self.head.append(text[:room])
            self.head_size += min(room, len(text))
            text = text[room:]
            if not text:
                return
        if len(text) > self.kept:
            self.left_out += len(text) - self.kept + self.tail_size
            self.tail.clear()
            text = text[-self.kept :]
            self.tail_size = 0
        self.tail.append(text)
        self.tail_size += len(text)
        while self.tail_size > self.kept:
            first = self.tail[0]
            over = self.tail_size - self.kept
            if len(first) <= over:
                self.tail.popleft()
                self.tail_size -= len(first)
                self.left_out += len(first)
            else:
                self.tail[0] = first[over:]
                self.tail_size -= over
                self.left_out += over

    def text(self) -> str:
        """The text kept; where some was left out, a line says how much."""
        middle = f"\n[... {self.left_out} characters left out ...]\n" if self.left_out else ""
        return "".join(self.head) + middle + "".join(self.tail)

    def __str__(self) -> str:
        return self.text()


class Transcript:
    """Splits the script's output by step, at the markers `runbook_begin` prints.

    A step's output without a final newline can stand before a marker on its line.
    """

    def __init__(self, steps: Sequence[str], token: str) -> None:
        self.steps = list(steps)
        self.token = token
        self.outside = Bounded()  # before the first step, and after the last one ends
        self.by_step = [Bounded() for _ in steps]
        self.next = 0
        self.current = self.outside

    def add(self, block: str) -> None:
        """Take output that ends at the end of a line (or of the output): most of it is no
        marker, and goes to the current step whole."""
        while block:
            at = block.find(self.token) if self.next < len(self.steps) else -1
            if at < 0:
                self._plain(block)
                return
            start = block.rfind("\n", 0, at) + 1
            end = block.find("\n", at)
            end = len(block) if end < 0 else end + 1
            self._plain(block[:start])
            self._line(block[start:end])
            block = block[end:]

    def _plain(self, text: str) -> None:
        """Lines with no marker; the script's closing line, which no step printed, aside."""
        at = text.find(FINISHED)
        if at >= 0 and (at == 0 or text[at - 1] == "\n"):
            end = text.find("\n", at)
            end = len(text) if end < 0 else end + 1
            if text[at:end].rstrip("\n") == FINISHED:
                self.current.add(text[:at])
                self.outside.add(text[at:end])
                self._plain(text[end:])
                return
        if text:
            self.current.add(text)

    def _line(self, line: str) -> None:
        text = line.rstrip("\n")
        marker = f"{self.token} step {self.steps[self.next]}"
        if text.endswith(marker):
            self.current.add(text[: -len(marker)])
            self.current = self.by_step[self.next]
            self.next += 1
            return
        self.current.add(line)

    def of(self, index: int) -> Bounded:
        return self.by_step[index]


class Streams:
    """The script's outputs (its output and its events), read line by line as they come, in
    this thread."""

    def __init__(self, streams: Mapping[str, int]) -> None:
        self.selector = selectors.DefaultSelector()
        # What each open output gave since its last newline, in pieces: a long line without a
        # newline (a progress bar's) is joined once, not again at each read.
        self.partial: dict[int, list[bytes]] = {}
        self.sizes: dict[int, int] = {}
        for name, fd in streams.items():
            self.selector.register(fd, selectors.EVENT_READ, name)
            self.partial[fd] = []
            self.sizes[fd] = 0

    @property
    def open(self) -> bool:
        return bool(self.partial)

    def lines(self, timeout: float) -> Iterator[tuple[str, str]]:
        """The (stream, lines) pairs that are ready within `timeout`: each text ends at the end
        of a line; an output's last line, with no newline, comes when it closes; a very long
        one comes in pieces."""
        for key, _ in self.selector.select(timeout):
            fd = key.fd
            data = os.read(fd, 65536)
            if not data:
                last = b"".join(self.partial.pop(fd))
                self.selector.unregister(fd)
                os.close(fd)
                if last:
                    yield key.data, last.decode(errors="replace")
                continue
            if b"\n" not in data:
                self.partial[fd].append(data)
                self.sizes[fd] += len(data)
                if self.sizes[fd] > _LONG_LINE:  # pass it on, but for room for a marker
                    joined = b"".join(self.partial[fd])
                    self.partial[fd] = [joined[-_MARKER_ROOM:]]
                    self.sizes[fd] = _MARKER_ROOM
                    yield key.data, joined[:-_MARKER_ROOM].decode(errors="replace")
                continue
            joined = b"".join([*self.partial[fd], data])
            cut = joined.rfind(b"\n") + 1
            rest = joined[cut:]
            self.partial[fd] = [rest] if rest else []
            self.sizes[fd] = len(rest)
            yield key.data, joined[:cut].decode(errors="replace")

    def close(self) -> None:
        for fd in self.partial:
            os.close(fd)
        self.selector.close()
