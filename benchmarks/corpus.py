"""A synthetic docs corpus shaped like the guide's chapters, with the truth about every block.

Each page mixes the layouts a block finder must get right: command blocks at the top level,
in admonitions (`!!!`, `???`), in linked content tabs and in list items, with backtick, tilde
and four-backtick fences; blocks in HTML comments; placeholders; and blocks that are not
commands (`text` output, `sh title=".gitignore"` files, python). The generator records what a
correct reader must make of each block, so the benchmark can count what other tools miss.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass
from pathlib import Path

SHELL_LANGUAGES = ("sh", "bash", "shell", "zsh")
COMMAND_TITLE = "Execute the following command(s) in a terminal"
TABS = (":simple-github: GitHub", ":simple-gitlab: GitLab")
BLOCKS_PER_PAGE = 20


@dataclass(frozen=True)
class Block:
    """One fenced block as written: where it opens, what it holds, and whether it is a step."""

    page: str
    line: int
    lang: str
    code: str
    context: str
    runnable: bool

    @property
    def shell(self) -> bool:
        return self.lang in SHELL_LANGUAGES


@dataclass(frozen=True)
class Page:
    path: str
    text: str
    blocks: tuple[Block, ...]


_COMMANDS = (
    "git remote add origin <your git repository url>",
    "git push -u origin main",
    "git clone <your git repository url>",
    'git add .\ngit commit -m "Move the experiment to the cloud"',
    "dvc remote add -d data s3://<your bucket name>/dvc",
    "dvc push\ndvc status --cloud",
    "dvc repro",
    "python3 -m venv .venv\nsource .venv/bin/activate",
    "pip install --requirement requirements.txt",
    "mkdir -p data/raw\ncd data/raw",
    'export GIT_AUTHOR_NAME="<your full name>"',
    "gcloud config set project <your project id>",
    "docker build \\\n    --tag <your image name>:latest \\\n    .",
)
_HEREDOC = "cat > params.yaml <<'EOF'\nprepare:\n  split: 0.2\n  seed: 20170428\nEOF"
# A README written from a command: its inner fence is why the page needs four backticks.
_NESTED = "cat > README.md <<'EOF'\n# Experiment\n\n```sh\ndvc repro\n```\nEOF"
_OUTPUT = "On branch main\nYour branch is up to date with 'origin/main'.\n\nnothing to commit"
_GITIGNORE = "## Custom experiment\n/data/raw\n/model\n\n## Python\n__pycache__/\n.venv/"
_PYTHON = (
    "import yaml\n\nwith open('params.yaml') as f:\n    params = yaml.safe_load(f)\nprint(params)"
)


class _Writer:
    """Appends lines to a page and records each block it writes."""

    def __init__(self, path: str, rng: random.Random) -> None:
        self.path = path
        self.rng = rng
        self.lines: list[str] = []
        self.blocks: list[Block] = []
        self.commands = 0

    def text(self, *lines: str) -> None:
        self.lines.extend(lines)

    def command(self) -> str:
        self.commands += 1
        # The comment makes each command block's code unique, so tools' results can be matched.
        marker = f"# {self.path} command {self.commands}"
        body = self.rng.choice(_COMMANDS)
        if self.rng.random() < 0.3:
            body += "\n" + self.rng.choice(_COMMANDS)
        return f"{marker}\n{body}"

    def block(
        self,
        code: str,
        *,
        lang: str = "sh",
        title: str | None = COMMAND_TITLE,
        context: str = "top",
        indent: int = 0,
        fence: str = "```",
        runnable: bool | None = None,
    ) -> int:
        """Write a fenced block followed by a blank line; return 1 if it is a shell block."""
        pad = " " * indent
        header = fence + lang + (f' title="{title}"' if title is not None else "")
        self.blocks.append(
            Block(
                page=self.path,
                line=len(self.lines) + 1,
                lang=lang,
                code=code,
                context=context,
                runnable=(lang in SHELL_LANGUAGES and title == COMMAND_TITLE)
                if runnable is None
                else runnable,
            )
        )
        self.lines.append(pad + header)
        self.lines.extend(pad + line if line else "" for line in code.split("\n"))
        self.lines.extend([pad + fence, ""])
        return int(lang in SHELL_LANGUAGES)


def _top(w: _Writer) -> int:
    w.text("Run the command below from the root of the repository.", "")
    shells = w.block(w.command(), lang=w.rng.choice(("sh", "sh", "bash")))
    if w.rng.random() < 0.4:
        w.text("The output should be similar to this:", "")
        w.block(_OUTPUT, lang="text", title=None)
    return shells


def _directive(w: _Writer) -> int:
    w.text("A teammate clones the repository in a folder of their own.", "")
    w.text('<!-- runbook: dir="../teammate" -->')
    return w.block(w.command())


def _fences(w: _Writer) -> int:
    w.text("Write the parameters of the experiment.", "")
    shells = w.block(f"{w.command()}\n{_HEREDOC}", fence="~~~", context="tilde")
    w.text("", "Document how to run it.", "")
    return shells + w.block(f"{w.command()}\n{_NESTED}", fence="````", context="4-backtick")


def _admonition(w: _Writer) -> int:
    kind, context = w.rng.choice((("!!! tip", "admonition"), ("??? info", "collapsible")))
    w.text(f'{kind} "Working from a fresh clone?"', "", "    Set up the environment first.", "")
    return w.block(w.command(), context=context, indent=4)


def _tabs(w: _Writer) -> int:
    shells = 0
    for label in TABS:
        service = label.rsplit(" ", 1)[-1]
        w.text(f'=== "{label}"', "", f"    Create a new {service} repository for this chapter.", "")
        shells += w.block(w.command(), context="tab", indent=4)
    return shells


def _list(w: _Writer) -> int:
    w.text("1. Add the remote to your repository:", "")
    shells = w.block(w.command(), context="list", indent=4)
    w.text("2. Push your changes:", "")
    return shells + w.block(w.command(), context="list", indent=4)


def _comment(w: _Writer) -> int:
    # An author parks an old command in a comment: SuperFences still sees a fence, no one reads it.
    w.text("<!--", "The previous version of this step, kept for reference:", "")
    title = w.rng.choice((COMMAND_TITLE, None))
    shells = w.block(w.command(), lang="bash", title=title, context="comment", runnable=False)
    w.text("-->", "")
    return shells


def _files(w: _Writer) -> int:
    w.text("Your `.gitignore` should now look like this:", "")
    shells = w.block(_GITIGNORE, title=".gitignore", context="file")
    if w.rng.random() < 0.5:
        w.text("And the script reads it like this:", "")
        w.block(_PYTHON, lang="python", title="src/read_params.py", context="file")
    return shells


_SECTIONS = (
    (_top, 6),
    (_directive, 1),
    (_fences, 1),
    (_admonition, 2),
    (_tabs, 2),
    (_list, 2),
    (_comment, 1),
    (_files, 2),
)


def make_page(number: int, shell_blocks: int = BLOCKS_PER_PAGE, seed: int = 6) -> Page:
    """Return page `number` of the corpus, with at least `shell_blocks` shell blocks."""
    path = f"chapter-{number // 50:03d}/page-{number:05d}.md"
    rng = random.Random(seed * 1_000_003 + number)
    w = _Writer(path, rng)
    w.text("---", "runbook:", "  start: chapter-6", "---", "", f"# Page {number}", "")
    w.text("At this point the data is versioned with DVC, but the code is not.", "")
    sections, weights = zip(*_SECTIONS, strict=True)
    shells = 0
    step = 0
    while shells < shell_blocks:
        step += 1
        w.text(f"## Step {step}", "")
        shells += rng.choices(sections, weights)[0](w)
    return Page(path, "\n".join(w.lines), tuple(w.blocks))


def make_corpus(pages: int, shell_blocks: int = BLOCKS_PER_PAGE, seed: int = 6) -> list[Page]:
    """Return `pages` pages, the same ones for the same arguments."""
    return [make_page(number, shell_blocks, seed) for number in range(pages)]


def write_corpus(root: Path, pages: list[Page], assets: Path | None = None) -> list[str]:
    """Write the pages (and a copy of `assets`) under `root`/docs; return the nav entries."""
    docs = root / "docs"
    index = "# A synthetic guide\n\nGenerated by `python -m benchmarks`.\n"
    (docs).mkdir(parents=True, exist_ok=True)
    (docs / "index.md").write_text(index, encoding="utf-8")
    for page in pages:
        (docs / page.path).parent.mkdir(parents=True, exist_ok=True)
        (docs / page.path).write_text(page.text, encoding="utf-8")
    if assets is not None:
        shutil.copytree(assets, docs / "assets")
    return ["index.md", *(page.path for page in pages)]
