#!/usr/bin/env bash
# The experiment as chapter 6 of the guide leaves it: a small stand-in with the files and the
# history that chapter 7 needs (the scripts, parameters, DVC pipeline and data pointers of the
# real experiment, without its data set or its model).
#
# Named `chapter-6` under `states:` in mkdocs.yml. A replay runs it in an empty folder, in the
# sandbox; the site publishes the repository it makes as `chapter-6.bundle`, for readers who
# take over from chapter 7. Change it here: the replays and the download follow.
set -euo pipefail

git init --quiet --initial-branch=main
mkdir -p src data .dvc

# Turn the notebook into scripts
cat > src/prepare.py <<'RUNBOOK_FILE'
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
RUNBOOK_FILE
cat > src/train.py <<'RUNBOOK_FILE'
import sys

import yaml


def main() -> None:
    params = yaml.safe_load(open("params.yaml"))["train"]
    print(f"Training on {sys.argv[1]} for {params['epochs']} epochs into {sys.argv[2]}")


if __name__ == "__main__":
    main()
RUNBOOK_FILE
cat > src/evaluate.py <<'RUNBOOK_FILE'
import json
import sys


def main() -> None:
    metrics = {"val_loss": 0.42, "val_acc": 0.87}
    json.dump(metrics, open("evaluation/metrics.json", "w"))
    print(f"Evaluated {sys.argv[1]}: {metrics}")


if __name__ == "__main__":
    main()
RUNBOOK_FILE
cat > params.yaml <<'RUNBOOK_FILE'
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
RUNBOOK_FILE
cat > requirements.txt <<'RUNBOOK_FILE'
dvc[s3]==3.59.1
pyyaml==6.0.2
tensorflow==2.17.0
RUNBOOK_FILE
cat > .gitignore <<'RUNBOOK_FILE'
# Python
__pycache__/
.venv/
RUNBOOK_FILE
git add --all
git commit --quiet --message "Turn the notebook into scripts"

# Track the raw data with DVC
: > .dvc/config
cat > .dvc/.gitignore <<'RUNBOOK_FILE'
/config.local
/tmp
/cache
RUNBOOK_FILE
cat > .dvcignore <<'RUNBOOK_FILE'
# Add patterns of files dvc should ignore
RUNBOOK_FILE
cat > data/.gitignore <<'RUNBOOK_FILE'
/raw
RUNBOOK_FILE
cat > data/raw.dvc <<'RUNBOOK_FILE'
outs:
- md5: 2d8f3b9c6a1e4f7d0b5c8a9e3f1d2c4b.dir
  size: 1024
  nfiles: 4
  hash: md5
  path: raw
RUNBOOK_FILE
git add --all
git commit --quiet --message "Track the raw data with DVC"

# Describe the experiment as a DVC pipeline
cat > dvc.yaml <<'RUNBOOK_FILE'
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
RUNBOOK_FILE
cat > dvc.lock <<'RUNBOOK_FILE'
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
RUNBOOK_FILE
cat > .gitignore <<'RUNBOOK_FILE'
# Python
__pycache__/
.venv/

# DVC outputs
/model
/evaluation
RUNBOOK_FILE
git add --all
git commit --quiet --message "Describe the experiment as a DVC pipeline"

# Share the data through an S3 remote
cat > .dvc/config <<'RUNBOOK_FILE'
[core]
    remote = data
['remote "data"']
    url = s3://mlops-data
RUNBOOK_FILE
git add --all
git commit --quiet --message "Share the data through an S3 remote"
