"""Publishes examples/tradosphere as a git repository (main and develop) for the pipeline to build.

Usage: python -m tradosphere_cicd.example_repo BARE_REPOSITORY_PATH

The commit is made with a fixed author and date, so the same files always give
the same SHA and running this again changes nothing. Other branches in the
repository (for instance ones the tests push) are left alone.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tradosphere_cicd.pipeline import PROJECT_ROOT

log = logging.getLogger(__name__)

EXAMPLE = PROJECT_ROOT / "examples" / "tradosphere"
BRANCHES = ("main", "develop")
IGNORED = {"node_modules", ".next", "dist", "coverage", "test-results", "playwright-report", ".turbo"}
FIXED_IDENTITY = {
    "GIT_AUTHOR_NAME": "TradoSphere Example",
    "GIT_AUTHOR_EMAIL": "example@tradosphere.invalid",
    "GIT_COMMITTER_NAME": "TradoSphere Example",
    "GIT_COMMITTER_EMAIL": "example@tradosphere.invalid",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
}


def git(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    completed = subprocess.run(
        ["git", *args], cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {completed.stderr.strip()}")
    return completed.stdout.strip()


def publish(bare: Path, source: Path = EXAMPLE) -> str:
    """Commit the example's files and point main and develop of the bare repository at that commit."""
    if not (source / "package.json").exists():
        raise FileNotFoundError(f"{source} is not the example monorepo (no package.json)")
    if not (bare / "HEAD").exists():
        bare.parent.mkdir(parents=True, exist_ok=True)
        git("init", "--quiet", "--bare", "--initial-branch=main", str(bare))

    with tempfile.TemporaryDirectory(prefix="tradosphere-example-") as tmp:
        work = Path(tmp) / "work"
        shutil.copytree(source, work, ignore=shutil.ignore_patterns(*IGNORED))
        git("init", "--quiet", "--initial-branch=main", cwd=work)
        git("add", "--all", cwd=work)
        git("commit", "--quiet", "--no-gpg-sign", "-m", "TradoSphere example monorepo", cwd=work, env=FIXED_IDENTITY)
        sha = git("rev-parse", "HEAD", cwd=work)
        refspecs = [f"+HEAD:refs/heads/{branch}" for branch in BRANCHES]
        git("push", "--quiet", str(bare), *refspecs, cwd=work)
    return sha


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    bare = Path(sys.argv[1])
    sha = publish(bare)
    print(f"example repository {bare}: main and develop at {sha[:12]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
