"""Shared fixtures: the pipeline file and small git repositories made on the spot."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from tradosphere_cicd.pipeline import DEFAULT_PIPELINE_FILE, load_pipeline

# Tests parse DAGs and run task code in-process: give them an Airflow home of their own.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="tradosphere-tests-airflow-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

# The local Slack of tests/slack_server.py, as the `slack_server` fixture.
pytest_plugins = ["slack_server"]

IDENTITY = ["-c", "user.name=Test", "-c", "user.email=test@tradosphere.invalid"]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *IDENTITY, *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="session")
def pipeline():
    return load_pipeline(DEFAULT_PIPELINE_FILE)


@pytest.fixture
def small_repository(tmp_path: Path) -> dict[str, str | Path]:
    """A bare repository with main (two commits, a lockfile) and develop (one more commit)."""
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "--quiet", "--initial-branch=main")
    (work / "pnpm-lock.yaml").write_text("lockfileVersion: '6.0'\n")
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", "first")
    first = git(work, "rev-parse", "HEAD")
    (work / "README.md").write_text("second\n")
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", "second")
    main_head = git(work, "rev-parse", "HEAD")
    git(work, "checkout", "--quiet", "-b", "develop")
    (work / "DEVELOP.md").write_text("develop only\n")
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", "develop")
    develop_head = git(work, "rev-parse", "HEAD")
    bare = tmp_path / "repo.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(work), str(bare))
    return {"url": bare, "first": first, "main": main_head, "develop": develop_head}
