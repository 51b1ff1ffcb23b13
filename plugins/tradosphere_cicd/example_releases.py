"""Releases of the example monorepo for trying deploys: good ones, one whose API fails, one whose API is slow.

Each variant is one commit on a branch of its own, pushed to the example repository, and its images are
built from that commit with the example's own Dockerfiles, as build_docker_images builds them (the layer
cache makes every build after the first quick). The end-to-end tests and the deploy benchmark use them.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from tradosphere_cicd.example_repo import FIXED_IDENTITY, git

MARKETS_CONTROLLER = Path("apps/api/src/markets/markets.controller.ts")
LIST_MARKETS = "const { markets, cache } = await this.markets.listMarkets();"
FAILING = "if (Date.now() > 0) throw new Error('this release is broken on purpose');"
SLOW = "await new Promise((done) => setTimeout(done, 2500));"
BUILD_TIMEOUT_SECONDS = 900


def push_variant(bare: Path, branch: str, change: Callable[[Path], None], base: str = "main") -> str:
    """Push `branch`: `base` plus one commit that `change(work_tree)` makes; return the commit's SHA."""
    with tempfile.TemporaryDirectory(prefix="tradosphere-variant-") as tmp:
        work = Path(tmp) / "work"
        git("clone", "--quiet", "--branch", base, str(bare), str(work))
        change(work)
        git("add", "--all", cwd=work)
        git("commit", "--quiet", "--no-gpg-sign", "-m", f"example release: {branch}", cwd=work, env=FIXED_IDENTITY)
        git("push", "--quiet", "--force", "origin", f"HEAD:refs/heads/{branch}", cwd=work)
        return git("rev-parse", "HEAD", cwd=work)


def in_markets_list(statement: str) -> Callable[[Path], None]:
    """A change that runs `statement` first thing when the API lists markets."""

    def change(work: Path) -> None:
        path = work / MARKETS_CONTROLLER
        text = path.read_text()
        if LIST_MARKETS not in text:
            raise RuntimeError(f"{path}: the markets controller no longer reads {LIST_MARKETS!r}")
        path.write_text(text.replace(LIST_MARKETS, f"{statement}\n    {LIST_MARKETS}", 1))

    return change


def a_note(work: Path) -> None:
    """A change that alters no behaviour: a new version of the same app."""
    (work / "RELEASE.md").write_text("Another release of the same app.\n")


def build_image(bare: Path, commit: str, dockerfile: str, tag: str) -> str:
    """Build `tag` from the repository at `commit`, unless the engine has it already; return the tag."""
    if subprocess.run(["docker", "image", "inspect", tag], capture_output=True, check=False).returncode == 0:
        return tag
    archive = subprocess.Popen(["git", "--git-dir", str(bare), "archive", commit], stdout=subprocess.PIPE)
    built = subprocess.run(
        ["docker", "build", "--quiet", "--file", dockerfile, "--tag", tag, "-"],
        stdin=archive.stdout,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_SECONDS,
        env={**os.environ, "DOCKER_BUILDKIT": "0"},
        check=False,
    )
    archive.wait()
    if built.returncode != 0:
        raise RuntimeError(f"docker build of {tag} from {commit[:12]} failed:\n{built.stderr[-2000:]}")
    return tag


def example_releases(bare: Path) -> dict[str, dict[str, str]]:
    """Four releases as deploy parameters: first and second (good), failing (API 500s), slow (API > 2 s)."""
    commits = {
        "first": git("--git-dir", str(bare), "rev-parse", "main"),
        "second": push_variant(bare, "release/second", a_note),
        "failing": push_variant(bare, "release/failing", in_markets_list(FAILING)),
        "slow": push_variant(bare, "release/slow", in_markets_list(SLOW)),
    }
    first = commits["first"]
    frontend = build_image(bare, first, "docker/Dockerfile.frontend", f"tradosphere/frontend:{first}")
    return {
        name: {
            "version": commit,
            "frontend_image": frontend,
            "backend_image": build_image(bare, commit, "docker/Dockerfile.backend", f"tradosphere/backend:{commit}"),
        }
        for name, commit in commits.items()
    }
