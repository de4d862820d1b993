"""Generated docs sets, and the commands each page holds.

`make_page` makes a page of at least SHELL_BLOCKS shell blocks, a stress test. Its pages mix
what a block finder must get right: command blocks at the top level, in admonitions,
in linked content tabs and in list items, with tilde and four-backtick fences; blocks in HTML
comments; placeholders; and blocks that are no commands (output, files). The site takes the
project's `mkdocs.yml` and builds under `mkdocs build --strict`.

`make_guide_page` makes a page shaped like a chapter of the real guide: prose, a few commands,
files the reader writes (blocks titled with their path) and the output a command should print
("The output should be similar to this:"), in parts of a full nav.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
TITLE = "Execute the following command(s) in a terminal"
SHELL_BLOCKS = 20

_COMMANDS = (
    "git remote add origin <your git repository url>",
    "git push -u origin main",
    'git add .\ngit commit -m "Move the experiment to the cloud"',
    "dvc remote add -d data s3://<my bucket name>/dvc",
    "dvc push\ndvc status --cloud",
    "python3 -m venv .venv\nsource .venv/bin/activate",
    "pip install --requirement requirements.txt",
    "mkdir -p data/raw\ncd data/raw",
    "gcloud config set project <my project id>",
    "docker build \\\n    --tag experiment:latest \\\n    .",
    # A README written by a command: its inner fence is why a page needs four backticks.
    "cat > README.md <<'EOF'\n# Experiment\n\n```sh\ndvc repro\n```\nEOF",
)
_OTHERS = {  # blocks that are no commands
    "output": ("```text", "On branch main\nYour branch is up to date with 'origin/main'."),
    "file": ('```sh title=".gitignore"', "## Custom experiment\n/data/raw\n\n## Python\n.venv/"),
    "python": ('```python title="src/show.py"', "import yaml\n\nprint(yaml.safe_load('{}'))"),
}
# The sections a page is made of, with their weights; a line `{kind}` stands for a new block.
_SECTIONS = {
    "Run this from the root of the repository.\n\n{command}\n\nIt says:\n\n{output}": 6,
    'A teammate clones it.\n\n<!-- runbook: dir="../teammate" -->\n{other fence}': 2,
    '!!! tip "A fresh clone?"\n\n    Set up the environment first.\n\n    {command}': 1,
    '??? info "A fresh clone?"\n\n    Set up the environment first.\n\n    {command}': 1,
    '=== ":simple-github: GitHub"\n\n    {command}\n\n=== ":simple-gitlab: GitLab"\n\n'
    "    {command}": 2,
    "1. Add the remote:\n\n    {command}\n\n2. Push your changes:\n\n    {command}": 2,
    # A command kept in a comment: SuperFences still sees a fence, no reader does.
    "<!--\nThe previous version of this step:\n\n{in a comment}\n-->": 1,
    "Your `.gitignore` now looks like this:\n\n{file}\n\nAnd the script:\n\n{python}": 2,
}


@dataclass(frozen=True)
class Page:
    """A generated page: its path and text, its fenced blocks, and the commands a reader runs."""

    path: str
    text: str
    blocks: int
    commands: tuple[str, ...]


def _block(kind: str, rng: random.Random, marker: str) -> tuple[str, str, str]:
    """Return the opening line, code and closing fence of a new block of `kind`."""
    if kind in _OTHERS:
        return (*_OTHERS[kind], "```")
    # The marker makes each command unique, so that what each tool finds can be matched.
    code = f"# {marker}\n" + "\n".join(rng.sample(_COMMANDS, rng.choice((1, 1, 2))))
    fence = "````" if "```" in code else "```"
    if kind == "other fence":
        fence = rng.choice(("~~~", "````"))
    title = None if kind == "in a comment" and rng.random() < 0.5 else TITLE
    opening = fence + rng.choice(("sh", "sh", "bash")) + (f' title="{title}"' if title else "")
    return opening, code, fence


def make_page(number: int, seed: int = 7) -> Page:
    """Return page `number` of the corpus, with at least SHELL_BLOCKS shell blocks."""
    path = f"part-{number // 100:02d}/page-{number:04d}.md"
    rng = random.Random(seed * 100_003 + number)
    lines = ["---", "runbook:", "  start: chapter-6", "---", "", f"# Page {number}", ""]
    commands: list[str] = []
    blocks = shells = 0
    while shells < SHELL_BLOCKS:
        lines += [f"## Step {blocks + 1}", ""]
        section = rng.choices(list(_SECTIONS), list(_SECTIONS.values()))[0]
        for line in section.split("\n"):
            kind = line.strip()[1:-1] if line.strip().startswith("{") else None
            if kind is None:
                lines.append(line)
                continue
            pad = line[: len(line) - len(line.lstrip())]
            opening, code, fence = _block(kind, rng, f"{path} block {blocks + 1}")
            lines += [pad + opening, *(pad + ln if ln else "" for ln in code.split("\n"))]
            lines.append(pad + fence)
            blocks += 1
            shells += opening.lstrip("`~").startswith(("sh", "bash"))
            if kind != "in a comment" and TITLE in opening:
                commands.append(code)
        lines.append("")
    return Page(path, "\n".join(lines), blocks, tuple(commands))


_GUIDE_SECTIONS = (
    'Create a `requirements.txt` file:\n\n```txt title="requirements.txt"\n'
    "dvc[gs]==3.59.1\npyyaml==6.0.2\n```\n\nIt lists what the experiment needs.",
    "Add the remote and push:\n\n{command}\n\nThe remote now holds the history.",
    'Check the differences with Git:\n\n```sh title="{title}"\ngit status\n```\n\n'
    "The output should be similar to this:\n\n```text\nOn branch main\n"
    "Changes to be committed:\n  new file:   params.yaml\n```",
    'Update the `params.yaml` file:\n\n```yaml title="params.yaml"\nprepare:\n'
    "  split: 0.2\n  seed: 20170428\ntrain:\n  epochs: 10\n```",
    '!!! info "Why a remote?"\n\n    Teammates get the data from it, not from your disk. '
    "Each of them runs the same commands and gets the same files.\n\n    {command}",
    '=== ":simple-github: GitHub"\n\n    Push to GitHub:\n\n    {command}\n\n'
    '=== ":simple-gitlab: GitLab"\n\n    Push to GitLab:\n\n    {command}',
)
_PROSE = (
    "In this chapter, you will move the experiment's data to a remote storage, so that the "
    "team can reproduce it. The commands below run from the root of the repository, in the "
    "virtual environment you created before. Read each step before you run it."
)


def make_guide_page(number: int, seed: int = 11) -> Page:
    """Return chapter `number` of a guide-shaped site: prose, 3 to 8 blocks, files and output."""
    path = f"part-{number // 8 + 1}/chapter-{number % 8 + 1}.md"
    rng = random.Random(seed * 100_003 + number)
    lines = [f"# Chapter {number + 1}: move the experiment", "", _PROSE, "", "## Steps", ""]
    commands: list[str] = []
    for step in range(rng.randint(2, 5)):
        section = rng.choice(_GUIDE_SECTIONS)
        while "{command}" in section:
            code = f"# {path} step {step + 1}.{len(commands)}\n" + rng.choice(_COMMANDS[:9])
            pad = "    " if section.startswith(("!!!", "===")) else ""
            block = f'```sh title="{TITLE}"\n{code}\n```'.replace("\n", "\n" + pad)
            section = section.replace("{command}", block, 1)
            commands.append(code)
        section = section.replace("{title}", TITLE)
        lines += [f"### Step {step + 1}", "", section, "", _PROSE, ""]
    lines += ["## Summary", "", _PROSE, ""]
    text = "\n".join(lines)
    blocks = sum(line.lstrip().startswith("```") for line in text.splitlines()) // 2
    return Page(path, text, blocks, tuple(commands))


# The site's runbook options: the project's start state, a value for every placeholder.
PLUGINS = f"""\
plugins:
  - search
  - macros:
      modules: [runbook.adapters.macros]
      on_error_fail: true
      on_undefined: strict
  - runbook:
      cache_dir: {PROJECT / ".cache" / "plugin" / "runbook"}
      states:
        chapter-6: {PROJECT / "states" / "chapter-6.sh"}
      values:
        YOUR_GIT_REPOSITORY_URL: {{remote: mlops-guide.git}}
        MY_BUCKET_NAME: a-bucket
        MY_PROJECT_ID: a-project
"""


def write_site(root: Path, pages: dict[str, str], nav: bool = False) -> Path:
    """Write `pages` under `root`/docs with an mkdocs.yml that inherits the project's; return
    the configuration file. The nav holds the home page only, unless `nav`: a full nav renders
    every page's link on every page, a cost of the theme that grows with the square of the
    pages, as a real guide's does, and would hide the plugin's in a large corpus."""
    docs = root / "docs"
    for name, text in {"index.md": "# A generated guide\n", **pages}.items():
        (docs / name).parent.mkdir(parents=True, exist_ok=True)
        (docs / name).write_text(text, encoding="utf-8")
    if not (docs / "assets").exists():  # the self-hosted mermaid
        (docs / "assets").symlink_to(PROJECT / "docs" / "assets")
    config = root / "mkdocs.yml"
    navigation = _nav(pages) if nav else "nav: [index.md]"
    config.write_text(
        f"INHERIT: {PROJECT / 'mkdocs.yml'}\nsite_name: A generated guide\n"
        f"theme:\n  custom_dir: {PROJECT / 'overrides'}\n{navigation}\nwatch: []\n"
        "validation:\n  nav:\n    omitted_files: ignore\n" + PLUGINS,
        encoding="utf-8",
    )
    return config


def _nav(pages: dict[str, str]) -> str:
    """A nav of every page, a section for each folder."""
    parts: dict[str, list[str]] = {}
    for path in sorted(pages):
        parts.setdefault(path.rpartition("/")[0], []).append(path)
    sections = "".join(
        f"  - {part or 'Pages'}:\n" + "".join(f"      - {path}\n" for path in paths)
        for part, paths in parts.items()
    )
    return "nav:\n  - index.md\n" + sections.rstrip("\n")
