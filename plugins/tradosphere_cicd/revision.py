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

    The push goes through only while the branch is still at `base` (a lease on it), so it is always a
    fast-forward: when the branch moved on or was deleted meanwhile, nothing is pushed and the error says where
    the branch is now. A refusal by the repository itself (a hook, a protected branch) is reported with its reason.
    """
    if not bundle.is_file():
        raise RevisionError(f"no update to push: {bundle} does not exist (the update job did not commit)")
    git_dir = ["--git-dir", str(mirror)]
    _git([*git_dir, "bundle", "verify", "--quiet", str(bundle)], what=f"read the update bundle {bundle}")
    heads = _git([*git_dir, "bundle", "list-heads", str(bundle), "HEAD"], what=f"read the update bundle {bundle}")
    if not heads:
        raise RevisionError(f"the update bundle {bundle} has no HEAD: the update job did not commit")
    sha = heads.split()[0]
    # the objects go into the mirror without a ref, which the mirror's next fetch would prune anyway
    _git([*git_dir, "bundle", "unbundle", str(bundle)], what=f"unpack the update bundle {bundle}")
    parents = _git([*git_dir, "rev-list", "--parents", "-n", "1", sha], what="read the update's parent").split()[1:]
    if parents != [base]:
        raise RevisionError(
            f"the update commit {sha[:7]} is not one commit on top of {base[:7]} (parents: "
            f"{', '.join(parent[:7] for parent in parents) or 'none'}); nothing pushed"
        )

    target = f"refs/heads/{branch}"
    completed = subprocess.run(
        ["git", *git_dir, "push", "--porcelain", f"--force-with-lease={target}:{base}", url, f"{sha}:{target}"],
        capture_output=True,
        text=True,
        timeout=GIT_TIMEOUT_SECONDS,
        check=False,
    )
    if completed.returncode == 0:
        return sha
    refused = _refusal(completed.stdout, target)
    if refused is not None and not refused.startswith("remote rejected"):
        raise RevisionError(
            f"branch {branch!r} moved on since the update started from {base[:7]} ({_where(url, target)}): the "
            "update was not pushed; the next run updates from the new head"
        )
    detail = refused or completed.stderr.strip() or completed.stdout.strip()
    raise RevisionError(f"git could not push the update to {branch!r} of {url}: {detail}")


def _refusal(porcelain: str, target: str) -> str | None:
    """The reason git gives for refusing `target`, from `push --porcelain` ("!<tab>src:dst<tab>[reason]")."""
    for line in porcelain.splitlines():
        fields = line.split("\t")
        if len(fields) >= 3 and fields[0] == "!" and fields[1].endswith(f":{target}"):
            return fields[2].strip("[] ").replace("] (", " (")
    return None


def _where(url: str, target: str) -> str:
    listed = _git_optional(["ls-remote", url, target])
    if listed is None:
        return "where it is now could not be read"
    return f"it is now at {listed.split()[0][:7]}" if listed else "it no longer exists"


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
