"""What a site's pages install, and `runbook packages`, which fetches it into its folder of wheels.

A replay installs packages from the folders a site declares (`packages: wheels/`), never from
the network. `installs` finds what the pages' steps install (`pip install`, `pip3 install`,
`python -m pip install`, `uv pip install`, `pip download`, with `-r FILE` read from the file
step that wrote FILE, on the page or a page its chain starts after); `fill` has pip download it,
for the Python the sandbox runs, into the site's first folder. Each step's requirements are
resolved together, as its replay resolves them: two pages may pin two versions of one package.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from runbook.adapters.site import Site
from runbook.errors import SourceError
from runbook.reading.steps import Runbook, Step
from runbook.replaying.sandbox import system_path


@dataclass(frozen=True)
class Word:
    """A shell word as bash would pass it, and whether a variable or substitution made it."""

    text: str
    expanded: bool = False


# Words bash reads as keywords at the start of a command, or programs that run the next word.
_PREFIXES = frozenset(
    "if then else elif do while until ! { time sudo command exec nohup".split()  # noqa: SIM905
)
_OPERATORS = ";&|()\n"
_HEREDOC = re.compile(r"<<(-?)[ \t]*\\?(['\"]?)([\w.-]+)\2")
# A redirection's operator; the word after it is its target (`2>&1` names a descriptor).
_REDIRECTION = re.compile(r"[<>]+&?-?")


def _continued(code: str, at: int) -> bool:
    """Whether a backslash at `at` continues the line: bash removes both characters."""
    return code.startswith("\\\n", at)


def shell_commands(code: str) -> list[list[Word]]:
    """The simple commands of bash `code`, each as its words: quotes removed, comments,
    redirections and here-documents' bodies left out, variable assignments before a program
    left out. Enough of bash's grammar to find a program and its arguments, not all of it."""
    return [words for words in _Splitter(code).commands() if words]


class _Splitter:
    """Reads bash code once, as bash splits it into words and commands."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.at = 0
        self.heredocs: list[tuple[str, bool]] = []

    def commands(self) -> Iterator[list[Word]]:
        words: list[Word] = []
        redirected = False
        while True:
            word = self.word()
            if word is None:  # an operator, or the end
                if self.at >= len(self.code):
                    yield _program(words)
                    return
                char = self.code[self.at]
                if char in "<>":
                    redirected = self.redirection(words)
                    continue
                self.at += 1
                if char == "\n" and self.heredocs:
                    self.skip_heredocs()
                if char == "&" and self.code.startswith(">", self.at):
                    redirected = self.redirection(words)
                    continue
                yield _program(words)
                words = []
            elif redirected:
                redirected = False
            else:
                words.append(word)

    def redirection(self, words: list[Word]) -> bool:
        """Step over a redirection operator; return whether a word (its target) follows."""
        start = self.at
        if start > 0 and words and words[-1].text.isdigit() and self.code[start - 1].isdigit():
            words.pop()  # the file descriptor of `2>`
        if self.code.startswith("<<<", start):
            self.at += 3
            return True
        heredoc = _HEREDOC.match(self.code, start)
        if heredoc is not None:
            self.heredocs.append((heredoc[3], bool(heredoc[1])))
            self.at = heredoc.end()
            return False
        operator = _REDIRECTION.match(self.code, start)
        assert operator is not None
        self.at = operator.end()
        return not operator[0].endswith("-")  # `>&-` closes: no target follows

    def skip_heredocs(self) -> None:
        """Step over the bodies of the here-documents the line just read opened."""
        for delimiter, tabs in self.heredocs:
            while self.at < len(self.code):
                end = self.code.find("\n", self.at)
                end = len(self.code) if end == -1 else end
                line = self.code[self.at : end]
                self.at = end + 1
                if (line.lstrip("\t") if tabs else line) == delimiter:
                    break
        self.heredocs = []

    def word(self) -> Word | None:
        """The next word, or None at an operator or the end; blanks and comments skipped."""
        code = self.code
        while self.at < len(code) and (code[self.at] in " \t\r" or _continued(code, self.at)):
            self.at += 2 if code[self.at] == "\\" else 1
        if self.at < len(code) and code[self.at] == "#":
            end = code.find("\n", self.at)
            self.at = len(code) if end == -1 else end
        text: list[str] = []
        expanded = False
        while self.at < len(code):
            char = code[self.at]
            if char in " \t\r" or char in _OPERATORS or char in "<>":
                break
            if char == "\\":  # an escaped character, or a line continued
                text.append(code[self.at + 1 : self.at + 2].replace("\n", ""))
                self.at += 2
            elif char == "'":
                end = code.find("'", self.at + 1)
                end = len(code) if end == -1 else end
                text.append(code[self.at + 1 : end])
                self.at = end + 1
            elif char == '"':
                self.at += 1
                while self.at < len(code) and code[self.at] != '"':
                    if code[self.at] == "\\" and code[self.at + 1 : self.at + 2] in '$`"\\\n':
                        text.append(code[self.at + 1 : self.at + 2].replace("\n", ""))
                        self.at += 2
                    elif code[self.at] in "$`":
                        expanded = True
                        text.append(self.expansion())
                    else:
                        text.append(code[self.at])
                        self.at += 1
                self.at += 1
            elif char in "$`":
                expanded = True
                text.append(self.expansion())
            else:
                text.append(char)
                self.at += 1
        if not text and not expanded:
            return None
        return Word("".join(text), expanded)

    def expansion(self) -> str:
        """Step over a `$name`, `${...}`, `$(...)` or backquoted command; return its text."""
        code, start = self.code, self.at
        pairs = {"$(": ")", "${": "}", "`": "`"}
        opener = next((o for o in pairs if code.startswith(o, start)), None)
        if opener is None:
            name = re.compile(r"\$(?:\w+|.)?").match(code, start)
            assert name is not None
            self.at = name.end()
            return name[0]
        depth, at = 1, start + len(opener)
        while at < len(code) and depth:
            if opener != "`" and code.startswith(opener, at):
                depth += 1
            elif code[at] == pairs[opener]:
                depth -= 1
            at += 1
        self.at = at
        return code[start:at]


def _program(words: list[Word]) -> list[Word]:
    """The words from the program on: keywords and variable assignments before it left out."""
    at = 0
    while at < len(words) and (
        words[at].text in _PREFIXES or re.match(r"[A-Za-z_]\w*=", words[at].text)
    ):
        at += 1
    if at < len(words) and words[at].text == "env":
        at += 1
        while at < len(words) and re.match(r"[A-Za-z_]\w*=|-", words[at].text):
            at += 1
    return words[at:]


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


def sandbox_python() -> str:
    """The `python3` a replay's pages run, as the sandbox finds it: the system's, or the one
    the sandbox links in when the system's folders have none."""
    found = shutil.which("python3", path=system_path())
    return found or str(Path(getattr(sys, "_base_executable", sys.executable)).resolve())


def download_command(
    install: Install, folder: Path, python: str, extra: Sequence[str] = ()
) -> list[str]:
    """The pip command that downloads what `install` asks for, and what it depends on, for
    `python`, into `folder`. This environment's pip runs it, under that Python (`--python`):
    the sandbox's Python need not have pip itself."""
    return [
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "download",
        "--dest",
        str(folder),
        *(["--pre"] if install.pre else []),
        *install.requirements,
        *extra,
    ]


def fill(
    folder: Path,
    found: Sequence[Install],
    python: str,
    extra: Sequence[str] = (),
) -> list[Install]:
    """Download what each install asks for into `folder`, each step's requirements together
    (once for the same requirements); pip prints what it saves, and its errors. Return the
    installs pip failed on."""
    failed = []
    done: set[tuple[tuple[str, ...], bool]] = set()
    for install in found:
        if (install.requirements, install.pre) in done:
            continue
        done.add((install.requirements, install.pre))
        ran = subprocess.run(download_command(install, folder, python, extra), check=False)
        if ran.returncode != 0:
            failed.append(install)
    return failed


def fetch_packages(site: Site, pip_args: Sequence[str]) -> int:
    """`runbook packages`: fill the site's first folder of wheels with what its pages install.

    Prints what it fetches, and why anything a step installs is not fetched; exits 2 on pages
    with errors or no folder declared, 1 when pip fails (its errors are its own)."""
    declared = site.settings.setup.packages
    if not declared:
        raise SourceError(
            1,
            "no folder of wheels to fill: declare one under the runbook plugin's options, "
            "packages: wheels/",
            os.path.relpath(site.config.config_file_path),
        )
    readings = site.read(site.pages())
    errors = [error for reading in readings.values() for error in reading.errors]
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        return 2
    runbooks = {path: reading.runbook for path, reading in readings.items()}
    found, notes = installs(runbooks, lambda path: _start_page(runbooks[path]))
    for note in notes:
        print(f"runbook: {note}", file=sys.stderr)
    if not found:
        print("runbook: no step of the pages installs a package: nothing to fetch")
        return 0
    folder = site.settings.path(declared[0])
    python = sandbox_python()
    print(f"runbook: fetching into {os.path.relpath(folder)} for {python}, what these install:")
    for install in found:
        print(f"{install.location}: {' '.join(install.requirements)}")
    sys.stdout.flush()
    failed = fill(folder, found, python, pip_args)
    if failed:
        where = ", ".join(install.location for install in failed)
        print(f"runbook: pip could not fetch what these install: {where}", file=sys.stderr)
        return 1
    return 0


def _start_page(runbook: Runbook) -> str | None:
    start = runbook.settings.start
    return start.name if start is not None and start.page else None
