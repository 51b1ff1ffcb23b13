"""Which commit a run builds: parameter checks and resolution against a mirror of the repository."""

from __future__ import annotations

import hashlib
import logging
import re
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SHELL_METACHARACTERS = set("`$&|;<>()\\\"' \t\n*?[]{}!#~")
COMMIT_PATTERN = re.compile(r"^[0-9a-fA-F]{7,40}$")
GIT_TIMEOUT_SECONDS = 120


class RevisionError(ValueError):
    """A branch or commit parameter is malformed or names nothing in the repository."""


@dataclass(frozen=True)
class Revision:
    branch: str
    commit: str
    lockfile_checksum: str | None

    @property
    def short_commit(self) -> str:
        return self.commit[:7]

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self) | {"short_commit": self.short_commit}


def check_branch_name(branch: str) -> str:
    """Reject a branch parameter that is empty, carries shell metacharacters or is not a valid git ref."""
    if not branch:
        raise RevisionError("parameter 'branch' is empty: give a branch name such as main or develop")
    bad = sorted({char for char in branch if char in SHELL_METACHARACTERS or not char.isprintable()})
    if bad:
        raise RevisionError(
            f"parameter 'branch' = {branch!r} contains characters not allowed in a branch name: "
            + " ".join(repr(char) for char in bad)
        )
    if branch.startswith("-") or ".." in branch or branch.endswith((".lock", "/", ".")) or "//" in branch:
        raise RevisionError(f"parameter 'branch' = {branch!r} is not a valid git branch name")
    return branch


def check_commit(commit: str) -> str:
    """Reject a commit parameter that is not a 7 to 40 digit hexadecimal SHA (empty means the branch head)."""
    if commit and not COMMIT_PATTERN.match(commit):
        raise RevisionError(
            f"parameter 'commit' = {commit!r} is not a commit SHA: give 7 to 40 hexadecimal digits, "
            "or leave it empty to build the head of the branch"
        )
    return commit.lower()


def mirror_path(mirrors_root: Path, url: str) -> Path:
    return mirrors_root / (hashlib.sha256(url.encode()).hexdigest()[:16] + ".git")


def update_mirror(url: str, mirrors_root: Path) -> Path:
    """Clone the repository as a bare mirror on first use, fetch it afterwards; return the mirror's path."""
    mirror = mirror_path(mirrors_root, url)
    if (mirror / "HEAD").exists():
        log.info("Fetching %s into mirror %s", url, mirror)
        _git(["--git-dir", str(mirror), "fetch", "--prune", "--quiet", "origin"], what=f"fetch {url}")
    else:
        log.info("Cloning %s into mirror %s", url, mirror)
        mirrors_root.mkdir(parents=True, exist_ok=True)
        _git(["clone", "--mirror", "--quiet", url, str(mirror)], what=f"clone {url}")
    return mirror


def resolve(mirror: Path, branch: str, commit: str, lockfile: str) -> Revision:
    """Resolve branch and commit parameters to a full SHA that exists and belongs to the branch."""
    branch = check_branch_name(branch)
    commit = check_commit(commit)
    git_dir = ["--git-dir", str(mirror)]

    head = _git_optional([*git_dir, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}"])
    if head is None:
        branches = _git([*git_dir, "for-each-ref", "--format=%(refname:short)", "refs/heads"], what="list branches")
        raise RevisionError(
            f"branch {branch!r} does not exist in the repository (branches: {', '.join(branches.split()) or 'none'})"
        )
    if not commit:
        sha = head
    else:
        found = _git_optional([*git_dir, "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}"])
        if found is None:
            raise RevisionError(f"commit {commit!r} does not exist in the repository")
        sha = found
        if _git_returncode([*git_dir, "merge-base", "--is-ancestor", sha, head]) != 0:
            raise RevisionError(f"commit {commit!r} is not on branch {branch!r}")

    return Revision(branch=branch, commit=sha, lockfile_checksum=_file_checksum(mirror, sha, lockfile))


def push_update(mirror: Path, url: str, bundle: Path, branch: str, base: str) -> str:
    """
    Push the single commit in `bundle` to `branch` of the repository at `url`, on top of `base`; return its SHA.

    The push is a fast-forward only: when the branch moved on since `base`, nothing is pushed and the error says
    where the branch is now.
    """
    if not bundle.is_file():
        raise RevisionError(f"no update to push: {bundle} does not exist (the update job did not commit)")
    git_dir = ["--git-dir", str(mirror)]
    _git([*git_dir, "bundle", "verify", "--quiet", str(bundle)], what=f"read the update bundle {bundle}")
    ref = f"refs/tradosphere/updates/{branch}"
    _git([*git_dir, "fetch", "--quiet", str(bundle), f"+HEAD:{ref}"], what=f"fetch the update from {bundle}")
    try:
        sha = _git([*git_dir, "rev-parse", "--verify", f"{ref}^{{commit}}"], what="read the update commit")
        parents = _git([*git_dir, "rev-list", "--parents", "-n", "1", sha], what="read the update's parent").split()[1:]
        if parents != [base]:
            raise RevisionError(
                f"the update commit {sha[:7]} is not one commit on top of {base[:7]} (parents: "
                f"{', '.join(parent[:7] for parent in parents) or 'none'}); nothing pushed"
            )
        completed = subprocess.run(
            ["git", *git_dir, "push", "--quiet", "--porcelain", url, f"{sha}:refs/heads/{branch}"],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
        if completed.returncode != 0:
            now = _git_optional(["ls-remote", url, f"refs/heads/{branch}"])
            where = f"it is now at {now.split()[0][:7]}" if now else "it no longer exists"
            if "rejected" in completed.stdout or "non-fast-forward" in completed.stderr:
                raise RevisionError(
                    f"branch {branch!r} moved on since the update started from {base[:7]} ({where}): the update "
                    "was not pushed; the next run updates from the new head"
                )
            detail = completed.stderr.strip() or completed.stdout.strip()
            raise RevisionError(f"git could not push the update to {branch!r} of {url}: {detail}")
        return sha
    finally:
        _git_optional([*git_dir, "update-ref", "-d", ref])


def _file_checksum(mirror: Path, sha: str, path: str) -> str | None:
    completed = subprocess.run(
        ["git", "--git-dir", str(mirror), "show", f"{sha}:{path}"],
        capture_output=True,
        timeout=GIT_TIMEOUT_SECONDS,
        check=False,
    )
    if completed.returncode != 0:
        return None
    return hashlib.sha256(completed.stdout).hexdigest()


def _git(args: list[str], *, what: str) -> str:
    completed = subprocess.run(["git", *args], capture_output=True, text=True, timeout=GIT_TIMEOUT_SECONDS, check=False)
    if completed.returncode != 0:
        raise RevisionError(f"git could not {what}: {completed.stderr.strip() or completed.stdout.strip()}")
    return completed.stdout.strip()


def _git_optional(args: list[str]) -> str | None:
    completed = subprocess.run(["git", *args], capture_output=True, text=True, timeout=GIT_TIMEOUT_SECONDS, check=False)
    return completed.stdout.strip() if completed.returncode == 0 else None


def _git_returncode(args: list[str]) -> int:
    return subprocess.run(["git", *args], capture_output=True, timeout=GIT_TIMEOUT_SECONDS, check=False).returncode
