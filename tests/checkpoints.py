"""Named start states: the repository as a chapter expects to find it, built for each replay.

A page names its start state in its front matter (`runbook: {start: NAME}`). Each builder
writes small, plausible files and commits them the way the earlier chapters do.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

Builder = Callable[[Path, Mapping[str, str]], None]
CHECKPOINTS: dict[str, Builder] = {}


def checkpoint(name: str) -> Callable[[Builder], Builder]:
    def register(builder: Builder) -> Builder:
        CHECKPOINTS[name] = builder
        return builder

    return register


def git(repo: Path, env: Mapping[str, str], *args: str) -> str:
    """Run git in `repo` with the sandbox's environment; return its output."""
    return subprocess.run(
        ["git", *args], cwd=repo, env=dict(env), check=True, capture_output=True, text=True
    ).stdout


def commit(repo: Path, env: Mapping[str, str], message: str, files: dict[str, str]) -> None:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    git(repo, env, "add", "--all")
    git(repo, env, "commit", "--quiet", "--message", message)


PREPARE = """\
import sys
from pathlib import Path

import yaml


def main() -> None:
    params = yaml.safe_load(open("params.yaml"))["prepare"]
    raw, prepared = Path(sys.argv[1]), Path(sys.argv[2])
    prepared.mkdir(parents=True, exist_ok=True)
    print(f"Preparing {raw} into {prepared} at {params['image_size']} px")


if __name__ == "__main__":
    main()
"""

TRAIN = """\
import sys

import yaml


def main() -> None:
    params = yaml.safe_load(open("params.yaml"))["train"]
    print(f"Training on {sys.argv[1]} for {params['epochs']} epochs into {sys.argv[2]}")


if __name__ == "__main__":
    main()
"""

EVALUATE = """\
import json
import sys


def main() -> None:
    metrics = {"val_loss": 0.42, "val_acc": 0.87}
    json.dump(metrics, open("evaluation/metrics.json", "w"))
    print(f"Evaluated {sys.argv[1]}: {metrics}")


if __name__ == "__main__":
    main()
"""

PARAMS = """\
prepare:
  seed: 77
  split: 0.2
  image_size: [32, 32]
  grayscale: True

train:
  seed: 77
  lr: 0.0001
  epochs: 5
  conv_size: 64
  dense_size: 128
  output_classes: 11
"""

DVC_YAML = """\
stages:
  prepare:
    cmd: python3.11 src/prepare.py data/raw data/prepared
    deps:
      - data/raw
      - src/prepare.py
    params:
      - prepare
    outs:
      - data/prepared
  train:
    cmd: python3.11 src/train.py data/prepared model
    deps:
      - data/prepared
      - src/train.py
    params:
      - train
    outs:
      - model
  evaluate:
    cmd: python3.11 src/evaluate.py model data/prepared
    deps:
      - model
      - src/evaluate.py
    metrics:
      - evaluation/metrics.json
"""

DVC_LOCK = """\
schema: '2.0'
stages:
  prepare:
    cmd: python3.11 src/prepare.py data/raw data/prepared
    deps:
    - path: data/raw
      hash: md5
      md5: 2d8f3b9c6a1e4f7d0b5c8a9e3f1d2c4b.dir
      size: 1024
      nfiles: 4
    outs:
    - path: data/prepared
      hash: md5
      md5: 7a1c9e3b5d2f4a6c8e0b1d3f5a7c9e2b.dir
      size: 512
      nfiles: 2
"""


@checkpoint("chapter-6")
def chapter_6(repo: Path, env: Mapping[str, str]) -> None:
    """The experiment as chapter 6 leaves it: scripts, parameters, DVC pipeline and data."""
    git(repo, env, "init", "--quiet", "--initial-branch=main")
    commit(
        repo,
        env,
        "Turn the notebook into scripts",
        {
            "src/prepare.py": PREPARE,
            "src/train.py": TRAIN,
            "src/evaluate.py": EVALUATE,
            "params.yaml": PARAMS,
            "requirements.txt": "dvc[s3]==3.59.1\npyyaml==6.0.2\ntensorflow==2.17.0\n",
            ".gitignore": "# Python\n__pycache__/\n.venv/\n",
        },
    )
    commit(
        repo,
        env,
        "Track the raw data with DVC",
        {
            ".dvc/config": "",
            ".dvc/.gitignore": "/config.local\n/tmp\n/cache\n",
            ".dvcignore": "# Add patterns of files dvc should ignore\n",
            "data/.gitignore": "/raw\n",
            "data/raw.dvc": (
                "outs:\n- md5: 2d8f3b9c6a1e4f7d0b5c8a9e3f1d2c4b.dir\n"
                "  size: 1024\n  nfiles: 4\n  hash: md5\n  path: raw\n"
            ),
        },
    )
    commit(
        repo,
        env,
        "Describe the experiment as a DVC pipeline",
        {
            "dvc.yaml": DVC_YAML,
            "dvc.lock": DVC_LOCK,
            ".gitignore": "# Python\n__pycache__/\n.venv/\n\n# DVC outputs\n/model\n/evaluation\n",
        },
    )
    commit(
        repo,
        env,
        "Share the data through an S3 remote",
        {
            ".dvc/config": "[core]\n    remote = data\n['remote \"data\"']\n    url = s3://mlops-data\n",
        },
    )
