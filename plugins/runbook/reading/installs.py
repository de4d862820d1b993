"""What a site's pages install: each step that runs `pip install`, `pip3 install`, `python -m pip
install`, `uv pip install` or `pip download`, and the requirements it asks for, with `-r FILE`
read from the file step that wrote FILE, on the page or a page its chain starts after.

`runbook packages` (`adapters/packages.py`) has pip fetch them into the site's folder of wheels.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement

from runbook.reading.steps import Runbook, Step
from runbook.reading.words import Word, shell_commands

# pip's and uv's options that take a value, for `install` and `download` (pip 23 to 25, uv 0.5
# to 0.9). Any other option is taken as a flag.
_SHORT_VALUED = frozenset("rcetifdbpCP")
_VALUED = frozenset(
    """
    --editable --target --platform --python-version --implementation --abi --root
    --prefix --src --upgrade-strategy --config-settings --global-option --install-option
    --no-binary --only-binary --progress-bar --root-user-action --report --index-url
    --extra-index-url --find-links --trusted-host --cert --client-cert --proxy --retries
    --timeout --exists-action --log --log-file --cache-dir --python --dest --use-feature
    --use-deprecated --keyring-provider --build-dir --override --overrides
    --build-constraints --build-constraint --python-platform --resolution --prerelease
    --index-strategy --config-setting --link-mode --exclude-newer --reinstall-package
    --upgrade-package --no-build-package --no-build-isolation-package --index
    --default-index --color --directory --project --config-file --refresh-package --extra
    --group --torch-backend --allow-insecure-host
    """.split()  # noqa: SIM905 (names read best as words)
)
# Global options of pip before its command that take a value.
_PIP_VALUED = frozenset(
    """
    --python --log --log-file --proxy --retries --timeout --exists-action --cert --client-cert
    --cache-dir --trusted-host --use-feature --use-deprecated --keyring-provider --color
    """.split()  # noqa: SIM905 (names read best as words)
)


def install_arguments(words: Sequence[Word]) -> list[Word] | None:
    """The arguments of an install or download command (`pip install ARGS`, `uv pip install
    ARGS`, `python3 -m pip download ARGS`...), or None for any other command."""
    if not words:
        return None
    program = posixpath.basename(words[0].text)
    rest = list(words[1:])
    if re.fullmatch(r"python(\d+(\.\d+)?)?", program):
        while rest and rest[0].text.startswith("-") and rest[0].text not in ("-m", "-mpip"):
            rest = rest[1:]
        if rest[:1] and rest[0].text == "-mpip":
            rest = [Word("-m"), Word("pip"), *rest[1:]]
        if [w.text for w in rest[:2]] != ["-m", "pip"]:
            return None
        rest, program = rest[2:], "pip"
    elif program == "uv":
        if not rest or rest[0].text != "pip":
            return None
        rest, program = rest[1:], "uv pip"
    elif not re.fullmatch(r"pip(\d+(\.\d+)?)?", program):
        return None
    while rest and rest[0].text.startswith("-"):  # the installer's own options, before `install`
        takes_value = rest[0].text in _PIP_VALUED
        rest = rest[2:] if takes_value else rest[1:]
    commands = ("install",) if program == "uv pip" else ("install", "download")
    if not rest or rest[0].text not in commands:
        return None
    return rest[1:]


@dataclass(frozen=True)
class Install:
    """A step that installs packages: where it is, its command, what it asks for."""

    location: str
    command: str
    requirements: tuple[str, ...]
    # `--pre`: pre-releases may be chosen.
    pre: bool = False


@dataclass(frozen=True)
class Note:
    """Something a step installs that is not fetched, and why."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


# What each file a page's steps wrote may hold, by its path: one text per variant that wrote it.
Files = Mapping[str, tuple[str, ...]]


def requirements_of(
    arguments: Sequence[Word], files: Files, cwd: str = ""
) -> tuple[list[str], list[str], bool]:
    """The requirements an installer's `arguments` ask for, the reasons others are not
    fetched, and whether `--pre` is among them. `files` holds the texts of the files the page
    wrote, for `-r FILE`; `cwd` is where the step runs, relative to where they were written."""
    found: list[str] = []
    notes: list[str] = []
    pre = False
    words = list(arguments)
    while words:
        word = words.pop(0)
        option, value = _option(word.text, words)
        if option in ("-r", "--requirement") and value is not None:
            if value.expanded:
                notes.append(f"{value.text}: a requirements file named by a variable")
                continue
            more, why = _requirements_file(value.text, files, cwd, frozenset())
            found += more
            notes += why
        elif option == "--pre":
            pre = True
        elif option is not None:
            continue  # an option, and its value if it takes one
        elif word.expanded:
            notes.append(f"{word.text}: a variable's value is not known before the replay")
        else:
            requirement, why = _requirement(word.text)
            found += [requirement] if requirement else []
            notes += [why] if why else []
    return list(dict.fromkeys(found)), notes, pre


def _option(text: str, rest: list[Word]) -> tuple[str | None, Word | None]:
    """The option a word is, if any, and its value: the rest of the word (`--name=value`,
    `-rFILE`), or the next word, taken from `rest`. Short options may be grouped (`-qr FILE`)."""
    if text.startswith("--"):
        name, equals, value = text.partition("=")
        if equals:
            return name, Word(value)
        takes_value = name in _VALUED or name in ("--requirement", "--constraint")
        return name, (rest.pop(0) if takes_value and rest else None)
    if not text.startswith("-") or text == "-":
        return None, None
    for at, letter in enumerate(text[1:], start=2):
        if letter in _SHORT_VALUED:
            value = Word(text[at:]) if text[at:] else (rest.pop(0) if rest else None)
            return f"-{letter}", value
    return text, None


def _requirement(text: str) -> tuple[str | None, str | None]:
    """A requirement specifier as written, or why the word is not one to fetch (None when a
    reader installs it from their own disk)."""
    if "://" in text or text.startswith(("git+", "hg+", "svn+", "bzr+")):
        return None, f"{text}: a URL, which pip fetches itself, not from the folder of wheels"
    if _local(text):
        return None, None
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        return None, f"{text}: not a requirement that pip reads"
    if requirement.url:
        return None, f"{text}: a URL, which pip fetches itself, not from the folder of wheels"
    return text, None


def _local(text: str) -> bool:
    """Whether an installer's argument is a path on disk (a project, a wheel, an archive)."""
    return (
        text.startswith((".", "/", "~"))
        or ("/" in text and "@" not in text)
        or text.endswith((".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz"))
    )


def _requirements_file(
    path: str, files: Files, cwd: str, seen: frozenset[str]
) -> tuple[list[str], list[str]]:
    """The requirements of the file at `path`, as every text the page's steps may have written
    there; `-r` inside it is read from its folder, as pip reads it."""
    where = posixpath.normpath(posixpath.join(cwd, path))
    if where in seen:
        return [], []
    texts = files.get(where)
    if texts is None:
        return [], [
            f"{path}: no file step of the page, or of a page it starts after, writes it, so "
            "what it lists is not fetched (fetch it with pip download -d FOLDER -r FILE)"
        ]
    found: list[str] = []
    notes: list[str] = []
    for text in texts:
        for line in _logical_lines(text):
            if not line.startswith("-"):
                requirement, why = _requirement(line.split(" --", 1)[0].strip())
                found += [requirement] if requirement else []
                notes += [f"{path}: {why}"] if why else []
                continue
            words = [Word(word) for word in line.split()]
            option, value = _option(words[0].text, words[1:])
            if option in ("-r", "--requirement") and value is not None:
                folder = posixpath.dirname(where)
                more, why = _requirements_file(value.text, files, folder, seen | {where})
                found += more
                notes += why
            # Other options (-e, -c, --index-url...) hold nothing to fetch.
    return found, notes


def _logical_lines(text: str) -> list[str]:
    """The lines of a requirements file as pip reads them: continuations joined, comments and
    blank lines left out."""
    joined = re.sub(r"\\\n", "", text)
    lines = (re.sub(r"(^|\s)#.*", "", line).strip() for line in joined.splitlines())
    return [line for line in lines if line]


def installs(
    runbooks: Mapping[str, Runbook], after: Callable[[str], str | None]
) -> tuple[list[Install], list[Note]]:
    """Every step of `runbooks` that installs packages, and what it asks for.

    `after(path)` names the page a page starts after, if any: the files that page's steps wrote
    are there when the page runs. Every variant and path is read, take-over steps included;
    skipped steps are not. Returns the installs in page order, and what is not fetched."""
    written: dict[str, Files] = {}
    found: dict[str, Install] = {}
    notes: dict[str, Note] = {}

    def files_after(path: str, visiting: frozenset[str]) -> Files:
        if path not in written:
            before = after(path)
            start: Files = {}
            if before in runbooks and before not in visiting:
                start = files_after(before, visiting | {path})
            written[path] = _walk(runbooks[path], start, found, notes)
        return written[path]

    for path in sorted(runbooks):
        files_after(path, frozenset())
    order = sorted(found.values(), key=lambda i: _order(i.location))
    return order, sorted(notes.values(), key=lambda n: _order(n.location))


def _order(location: str) -> tuple[str, int]:
    path, _, line = location.rpartition(":")
    return path, int(line)


def _walk(
    runbook: Runbook, start: Files, found: dict[str, Install], notes: dict[str, Note]
) -> Files:
    """Read the installs of one page, each variant from the files in `start`; return the texts
    each file may hold at the page's end."""
    end: dict[str, list[str]] = {}
    for variant in runbook.variants:
        files = {path: list(texts) for path, texts in start.items()}
        for step in runbook.steps_for(variant, take_over=True):
            if step.skip is not None:
                continue
            if step.kind == "file":
                assert step.file is not None
                files[_path(step.file, step.dir)] = [step.code]
            else:
                _read_step(step, {p: tuple(t) for p, t in files.items()}, found, notes)
        for path, texts in files.items():
            end.setdefault(path, [])
            end[path] += [text for text in texts if text not in end[path]]
    return {path: tuple(texts) for path, texts in end.items()}


def _path(file: str, folder: str | None) -> str:
    return posixpath.normpath(posixpath.join(folder or "", file))


def _read_step(step: Step, files: Files, found: dict[str, Install], notes: dict[str, Note]) -> None:
    for words in shell_commands(step.script):
        arguments = install_arguments(words)
        if arguments is None:
            continue
        command = " ".join(word.text for word in words)
        requirements, why, pre = requirements_of(arguments, files, step.dir or "")
        key = f"{step.location} {command}"
        if key in found:  # read again in another variant: add what its files hold
            known = found[key]
            requirements = list(dict.fromkeys([*known.requirements, *requirements]))
            pre = pre or known.pre
        if requirements:
            found[key] = Install(step.location, command, tuple(requirements), pre)
        for message in why:
            notes.setdefault(f"{step.location} {message}", Note(step.location, message))
