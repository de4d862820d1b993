"""Replay results: what the tests replayed, kept in a file that the test run writes and the build
reads, so that each page can say when its scripts last ran, and how it went.

A result names a page, a variant and a path (normal or take-over), and holds the outcome, the
time (UTC) and the sha256 of the exact script that ran. A build shows a result only for the
script it publishes with that very digest: a page changed since is "not yet replayed".

```json
{"format": 1, "results": [{"page": "a.md", "variant": "GitHub", "take_over": false,
  "outcome": "passed", "time": "2026-12-07T16:35:02Z", "script": "<sha256>", "runs": 2}]}
```
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

FORMAT = 1
FILE_NAME = "results.json"

Outcome = Literal["passed", "failed"]
# A page, a variant, the take-over path or not, and its whole chain's script or not.
Key = tuple[str, str, bool, bool]


class ResultsError(Exception):
    """The results file cannot be read: `str()` says which file, and why."""


@dataclass(frozen=True)
class Result:
    """The replay of one script: a page's variant on one path, with its outcome."""

    page: str
    variant: str
    take_over: bool
    outcome: Outcome
    time: str
    script: str
    runs: int = 1
    whole: bool = False

    @property
    def key(self) -> Key:
        return (self.page, self.variant, self.take_over, self.whole)

    @property
    def when(self) -> datetime:
        return datetime.strptime(self.time, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def script_digest(script: str) -> str:
    """The sha256 of a script's text, as published (UTF-8)."""
    return hashlib.sha256(script.encode("utf-8")).hexdigest()


def now() -> str:
    """The current time, UTC, to the second, as results hold it."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def results_file(config_dir: str | os.PathLike[str], cache_dir: str, results: str | None) -> Path:
    """Where a site keeps its results: the `results` option, or `results.json` in `cache_dir`,
    both relative to the folder of the site's configuration."""
    return Path(config_dir) / (results if results is not None else Path(cache_dir) / FILE_NAME)


def combine(results: Iterable[Result]) -> dict[Key, Result]:
    """One result per key: the latest time, failed if any run failed, the runs counted.

    Runs of one key with different scripts are not one result: the latest script's runs win.
    """
    combined: dict[Key, Result] = {}
    for result in sorted(results, key=lambda r: r.time):
        kept = combined.get(result.key)
        if kept is None or kept.script != result.script:
            combined[result.key] = result
            continue
        failed = "failed" in (kept.outcome, result.outcome)
        combined[result.key] = replace(
            result, outcome="failed" if failed else "passed", runs=kept.runs + result.runs
        )
    return combined


def read_results(path: Path) -> dict[Key, Result]:
    """The results in `path`, by key; none if there is no such file. Raises ResultsError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise ResultsError(f"{path}: cannot read the replay results: {error.strerror}") from None
    try:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')!r}, not {FORMAT}")
        results = [_result(item) for item in data["results"]]
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ResultsError(f"{path}: not a replay results file ({error})") from None
    return {result.key: result for result in results}


def _result(item: Mapping[str, object]) -> Result:
    if item["outcome"] not in ("passed", "failed"):
        raise ValueError(f"outcome {item['outcome']!r}")
    result = Result(
        page=str(item["page"]),
        variant=str(item["variant"]),
        take_over=bool(item["take_over"]),
        outcome="passed" if item["outcome"] == "passed" else "failed",
        time=str(item["time"]),
        script=str(item["script"]),
        runs=int(str(item.get("runs", 1))),
        whole=bool(item.get("whole", False)),
    )
    _ = result.when  # a time that does not parse makes the file unreadable, not a page
    return result


def write_results(path: Path, results: Mapping[Key, Result]) -> None:
    """Write `results` to `path` at once: a reader sees the old file or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    items = [asdict(results[key]) for key in sorted(results)]
    text = json.dumps({"format": FORMAT, "results": items}, indent=2, sort_keys=True) + "\n"
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def record(path: Path, new: Iterable[Result]) -> dict[Key, Result]:
    """Put `new` results in the file at `path`, in place of earlier ones of the same keys; keep
    the others. An unreadable file is replaced. Returns what was written."""
    try:
        kept = read_results(path)
    except ResultsError:
        kept = {}
    written = {**kept, **combine(new)}
    write_results(path, written)
    return written
