"""The dependency update's commit step and its push, on real git repositories in a temporary folder."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tradosphere_cicd import revision
from tradosphere_cicd.jobs import COMMIT_UPDATE_STEP, NOTHING_TO_UPDATE, NOTHING_TO_UPDATE_MARKER

IDENTITY = ["-c", "user.name=Developer", "-c", "user.email=dev@tradosphere.invalid"]
AUTHOR = ("TradoSphere CI", "ci@tradosphere.invalid")


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(["git", *IDENTITY, *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    """A bare repository whose develop branch has one commit with a package.json."""
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "package.json").write_text('{"devDependencies": {"jest": "29.0.0"}}\n')
    git("init", "--quiet", "--initial-branch", "develop", cwd=seed)
    git("add", "-A", cwd=seed)
    git("commit", "--quiet", "-m", "first", cwd=seed)
    bare = tmp_path / "origin.git"
    git("clone", "--quiet", "--bare", str(seed), str(bare))
    return bare


def checkout_like_the_pipeline(mirror: Path, commit: str, work: Path) -> Path:
    """The workspace a job container gets: a clone of the mirror at the commit, detached."""
    git("clone", "--quiet", "--no-checkout", str(mirror), str(work))
    git("-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", commit, cwd=work)
    return work


def commit_update(work: Path, base: str, bundle: Path) -> subprocess.CompletedProcess:
    """Run the commit step as the update container does, with the bundle (and the marker) beside `bundle`."""
    environment = {
        **os.environ,
        "COMMIT_SHA": base,
        "COMMIT_MESSAGE": "chore: update dependencies",
        "AUTHOR_NAME": AUTHOR[0],
        "AUTHOR_EMAIL": AUTHOR[1],
        "UPDATE_BUNDLE_PATH": str(bundle),
        "UPDATE_UNCHANGED_PATH": str(bundle.with_name(NOTHING_TO_UPDATE_MARKER)),
    }
    return subprocess.run(
        ["bash", "-eo", "pipefail", "-c", COMMIT_UPDATE_STEP.run],
        cwd=work,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def updated(origin: Path, tmp_path: Path):
    """An update run up to its commit: the mirror, the base commit, the bundle the container left."""
    mirror = revision.update_mirror(str(origin), tmp_path / "mirrors")
    base = git("--git-dir", str(mirror), "rev-parse", "refs/heads/develop")
    work = checkout_like_the_pipeline(mirror, base, tmp_path / "workspace")
    (work / "package.json").write_text('{"devDependencies": {"jest": "29.7.0"}}\n')
    bundle = tmp_path / "artifacts" / "dependency-update.bundle"
    bundle.parent.mkdir()
    # a hook of the repository's (as husky installs them) does not stop the update's commit
    hook = work / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'commit refused by a hook' >&2\nexit 1\n")
    hook.chmod(0o755)
    committed = commit_update(work, base, bundle)
    assert committed.returncode == 0, committed.stderr
    assert not bundle.with_name(NOTHING_TO_UPDATE_MARKER).exists()
    return mirror, base, bundle


def test_nothing_changed_exits_with_the_skip_code_and_leaves_no_bundle(origin: Path, tmp_path: Path):
    mirror = revision.update_mirror(str(origin), tmp_path / "mirrors")
    base = git("--git-dir", str(mirror), "rev-parse", "refs/heads/develop")
    work = checkout_like_the_pipeline(mirror, base, tmp_path / "workspace")
    bundle = tmp_path / "dependency-update.bundle"

    committed = commit_update(work, base, bundle)

    assert committed.returncode == NOTHING_TO_UPDATE
    assert "Nothing to update" in committed.stdout
    assert not bundle.exists()
    assert bundle.with_name(NOTHING_TO_UPDATE_MARKER).exists()


def test_tested_update_is_pushed_as_one_commit_on_top_of_the_base(origin: Path, updated):
    mirror, base, bundle = updated

    sha = revision.push_update(mirror, str(origin), bundle, "develop", base)

    assert git("--git-dir", str(origin), "rev-parse", "refs/heads/develop") == sha
    assert git("--git-dir", str(origin), "log", "-1", "--format=%P|%an <%ae>|%s", sha) == (
        f"{base}|{AUTHOR[0]} <{AUTHOR[1]}>|chore: update dependencies"
    )
    assert "29.7.0" in git("--git-dir", str(origin), "show", f"{sha}:package.json")
    # the mirror keeps no ref of its own for the update
    assert "refs/tradosphere" not in git("--git-dir", str(mirror), "for-each-ref")


def test_branch_that_moved_meanwhile_is_left_as_it_is(origin: Path, updated, tmp_path: Path):
    mirror, base, bundle = updated
    other = tmp_path / "colleague"
    git("clone", "--quiet", "--branch", "develop", str(origin), str(other))
    (other / "README.md").write_text("a colleague's change\n")
    git("add", "-A", cwd=other)
    git("commit", "--quiet", "-m", "docs", cwd=other)
    git("push", "--quiet", "origin", "develop", cwd=other)
    moved_to = git("rev-parse", "HEAD", cwd=other)

    with pytest.raises(revision.RevisionError) as raised:
        revision.push_update(mirror, str(origin), bundle, "develop", base)

    assert str(raised.value).startswith(
        f"branch 'develop' moved on since the update started from {base[:7]} (it is now at {moved_to[:7]})"
    )
    assert git("--git-dir", str(origin), "rev-parse", "refs/heads/develop") == moved_to


def test_update_on_top_of_another_commit_is_refused(origin: Path, updated):
    mirror, base, bundle = updated
    with pytest.raises(revision.RevisionError, match="is not one commit on top of 0000000"):
        revision.push_update(mirror, str(origin), bundle, "develop", "0" * 40)
    assert git("--git-dir", str(origin), "rev-parse", "refs/heads/develop") == base


def test_missing_bundle_says_the_update_did_not_commit(origin: Path, tmp_path: Path):
    mirror = revision.update_mirror(str(origin), tmp_path / "mirrors")
    with pytest.raises(revision.RevisionError, match="the update job did not commit"):
        revision.push_update(mirror, str(origin), tmp_path / "none.bundle", "develop", "0" * 40)


def test_branch_deleted_meanwhile_is_not_recreated(origin: Path, updated):
    mirror, base, bundle = updated
    git("--git-dir", str(origin), "update-ref", "-d", "refs/heads/develop")

    with pytest.raises(revision.RevisionError, match=r"moved on since the update started .* \(it no longer exists\)"):
        revision.push_update(mirror, str(origin), bundle, "develop", base)

    assert "refs/heads/develop" not in git("--git-dir", str(origin), "for-each-ref")


def test_push_the_repository_refuses_is_reported_with_its_reason(origin: Path, updated):
    mirror, base, bundle = updated
    hook = origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'develop is protected' >&2\nexit 1\n")
    hook.chmod(0o755)

    with pytest.raises(revision.RevisionError) as raised:
        revision.push_update(mirror, str(origin), bundle, "develop", base)

    assert str(raised.value) == (
        f"git could not push the update to 'develop' of {origin}: remote rejected (pre-receive hook declined)"
    )
    assert git("--git-dir", str(origin), "rev-parse", "refs/heads/develop") == base
