"""The CI pipelines: valid by the schemas check-jsonschema ships, and running the README's commands.

The schemas check the shape of each file (no network: they are vendored in check-jsonschema);
the tests below check what a schema cannot: which commands run, and when the site is published.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from mkdocs.config import load_config
from test_readme import readme_build_command, readme_commands

from helpers import PROJECT
from runbook.adapters.results import results_file

GITHUB = PROJECT / ".github" / "workflows" / "ci.yml"
GITLAB = PROJECT / ".gitlab-ci.yml"
PIPELINES = [
    pytest.param("vendor.github-workflows", GITHUB, id="github"),
    pytest.param("vendor.gitlab-ci", GITLAB, id="gitlab"),
]


def check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    """Validate `path` against one of check-jsonschema's builtin schemas."""
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def load(path: Path) -> dict[Any, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def github() -> dict[Any, Any]:
    return load(GITHUB)


def gitlab() -> dict[Any, Any]:
    return load(GITLAB)


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    """The workflow's `on:`, which YAML 1.1 reads as the key True."""
    return workflow["on"] if "on" in workflow else workflow[True]


def github_lines(job: dict[str, Any]) -> list[str]:
    """Each line of shell a GitHub job runs, in order."""
    return [line for step in job["steps"] for line in step.get("run", "").splitlines()]


def gitlab_lines(job: dict[str, Any]) -> list[str]:
    """Each line of shell a GitLab job runs, in order."""
    return [
        line for item in job.get("before_script", []) + job["script"] for line in item.splitlines()
    ]


def commands(lines: list[str]) -> list[str]:
    """The commands of `lines`, each `a && b` taken apart."""
    return [part.strip() for line in lines for part in line.split("&&")]


def needs(job: dict[str, Any]) -> list[str]:
    wanted = job.get("needs", [])
    return [wanted] if isinstance(wanted, str) else wanted


def lines_of_the_test_job(service: str) -> list[str]:
    if service == "github":
        return github_lines(github()["jobs"]["test"])
    return gitlab_lines(gitlab()["test"])


# The schemas --------------------------------------------------------------------------------


@pytest.mark.parametrize(("schema", "path"), PIPELINES)
def test_pipeline_is_valid(schema: str, path: Path) -> None:
    """Each pipeline validates against check-jsonschema's vendored schema for its service."""
    result = check_jsonschema(schema, path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("schema", "path", "old", "new", "message"),
    [
        pytest.param(
            "vendor.github-workflows",
            GITHUB,
            "    steps:",
            "    step:",
            "'step' was unexpected",
            id="github-misspelt-key",
        ),
        pytest.param(
            "vendor.github-workflows",
            GITHUB,
            "pages: write",
            "pages: writ",
            "'writ' is not one",
            id="github-bad-permission",
        ),
        pytest.param(
            "vendor.gitlab-ci",
            GITLAB,
            "  script:",
            "  scirpt:",
            "'scirpt' was unexpected",
            id="gitlab-misspelt-key",
        ),
        pytest.param(
            "vendor.gitlab-ci",
            GITLAB,
            "  rules:",
            "  rule:",
            "'rule' was unexpected",
            id="gitlab-misspelt-rules",
        ),
    ],
)
def test_a_broken_pipeline_is_invalid(
    schema: str, path: Path, old: str, new: str, message: str, tmp_path: Path
) -> None:
    """A copy with one mistake fails the same validation, saying what is wrong."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / path.name
    broken.write_text(text.replace(old, new), encoding="utf-8")
    result = check_jsonschema(schema, broken)
    assert result.returncode == 1, result.stdout + result.stderr
    assert message in result.stdout


# The commands -------------------------------------------------------------------------------


@pytest.mark.parametrize("service", ["github", "gitlab"])
def test_the_test_job_runs_the_readme_test_command(service: str) -> None:
    """The test job runs the README's test command word for word, as `.ci/run` does."""
    assert readme_commands()[1] in lines_of_the_test_job(service)


@pytest.mark.parametrize("service", ["github", "gitlab"])
def test_the_test_job_builds_the_site_strictly_after_the_tests(service: str) -> None:
    """After the tests, the test job runs the README's strict build, in the tests' virtualenv."""
    build = readme_build_command()
    assert build == "mkdocs build --strict"
    lines = lines_of_the_test_job(service)
    tests = lines.index(readme_commands()[1])
    assert build in commands(lines[tests + 1 :])


@pytest.mark.parametrize("service", ["github", "gitlab"])
def test_the_test_job_installs_what_ci_run_installs(service: str) -> None:
    """The apt packages `.ci/run` installs when missing (Chromium among them) are installed."""
    ci_run = (PROJECT / ".ci" / "run").read_text(encoding="utf-8")
    packages = set(re.findall(r"missing\+=\((\S+)\)", ci_run))
    assert "chromium" in packages
    installs = [
        command
        for command in commands(lines_of_the_test_job(service))
        if "apt-get install" in command
    ]
    assert installs
    assert packages <= set(installs[0].split())


def test_every_job_runs_in_one_debian_image() -> None:
    """Every job runs in one Debian image; the test jobs under CI=true, so no browser test skips."""
    jobs, pipeline = github()["jobs"], gitlab()
    image = pipeline["default"]["image"]
    assert image.endswith("-bookworm")
    assert jobs["test"]["container"] == jobs["deploy"]["container"] == image
    github_job, gitlab_job = jobs["test"], pipeline["test"]
    assert github_job["env"]["CI"] == gitlab_job["variables"]["CI"] == "true"


# Publishing ---------------------------------------------------------------------------------


def test_both_run_on_pushes_to_main_and_on_pull_requests() -> None:
    """GitHub runs on pushes to main and on pull requests; GitLab on the same two."""
    on = triggers(github())
    assert on["push"] == {"branches": ["main"]}
    assert "pull_request" in on
    assert gitlab()["workflow"]["rules"] == [
        {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'},
        {"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"},
    ]


def test_github_deploys_from_main_after_the_tests() -> None:
    """The deploy job needs the test job, runs on pushes to main only, and deploys to Pages."""
    workflow = github()
    deploy = workflow["jobs"]["deploy"]
    assert needs(deploy) == ["test"]
    conditions = {part.strip() for part in deploy["if"].split("&&")}
    assert conditions == {"github.event_name == 'push'", "github.ref == 'refs/heads/main'"}
    assert deploy["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert deploy["concurrency"]["group"]
    assert deploy["environment"]["name"] == "github-pages"
    uses = [step["uses"].split("@")[0] for step in deploy["steps"] if "uses" in step]
    assert uses[-2:] == ["actions/upload-pages-artifact", "actions/deploy-pages"]
    upload = next(s for s in deploy["steps"] if "upload-pages-artifact" in s.get("uses", ""))
    assert upload["with"]["path"] == "site"
    assert readme_build_command() in commands(github_lines(deploy))


def test_github_grants_pages_rights_to_the_deploy_job_only() -> None:
    """Pull requests run with read rights: only the deploy job may write Pages or get a token."""
    workflow = github()
    assert workflow["permissions"] == {"contents": "read"}
    assert [name for name, job in workflow["jobs"].items() if "permissions" in job] == ["deploy"]


def test_gitlab_publishes_public_from_the_default_branch_after_the_tests() -> None:
    """The `pages` job runs on the default branch only, after `test`, and publishes public/."""
    pipeline = gitlab()
    pages = pipeline["pages"]
    assert pages["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]
    assert needs(pages) == ["test"]
    stages = pipeline["stages"]
    assert stages.index(pages["stage"]) > stages.index(pipeline["test"]["stage"])
    assert pages["artifacts"]["paths"] == ["public"]
    assert f"{readme_build_command()} --site-dir public" in commands(gitlab_lines(pages))


# The replay results: written by the tests, read by the build that publishes ----------------


def results_path() -> str:
    """Where the project's build reads the replay results, from mkdocs.yml's plugin options."""
    site = load_config(str(PROJECT / "mkdocs.yml"))
    options = site.plugins["runbook"].config  # type: ignore[attr-defined]
    path = results_file(PROJECT, options.cache_dir, options.results)
    return path.relative_to(PROJECT).as_posix()


def test_github_publishes_the_results_of_the_tests_that_ran_before() -> None:
    """The test job keeps the results file its tests wrote, after they passed; the deploy job,
    which needs the test job, puts it where the build reads it before building."""
    jobs = github()["jobs"]
    steps = jobs["test"]["steps"]
    tests = next(i for i, s in enumerate(steps) if readme_commands()[1] in s.get("run", ""))
    upload = next(i for i, s in enumerate(steps) if "upload-artifact" in s.get("uses", ""))
    assert upload > tests
    kept = steps[upload]["with"]
    assert (kept["path"], kept["if-no-files-found"]) == (results_path(), "error")
    deploy = jobs["deploy"]
    assert needs(deploy) == ["test"]
    steps = deploy["steps"]
    download = next(i for i, s in enumerate(steps) if "download-artifact" in s.get("uses", ""))
    build = next(i for i, s in enumerate(steps) if readme_build_command() in s.get("run", ""))
    assert download < build
    got = steps[download]["with"]
    assert got["name"] == kept["name"]
    assert f"{got['path']}/results.json" == results_path()


def test_gitlab_publishes_the_results_of_the_tests_that_ran_before() -> None:
    """The test job keeps the results file as an artifact; the pages job needs the test job,
    so it gets the file where the build reads it."""
    pipeline = gitlab()
    assert pipeline["test"]["artifacts"]["paths"] == [results_path()]
    assert needs(pipeline["pages"]) == ["test"]  # artifacts of needed jobs are fetched
