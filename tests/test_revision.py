"""Branch and commit parameters: rejected when malformed, resolved against a real repository."""

from __future__ import annotations

import hashlib

import pytest

from tradosphere_cicd.revision import RevisionError, check_branch_name, check_commit, resolve, update_mirror


@pytest.mark.parametrize(
    ("branch", "message"),
    [
        pytest.param("", "parameter 'branch' is empty", id="empty"),
        pytest.param("main; rm -rf /", "contains characters not allowed in a branch name: ' ' ';'", id="semicolon"),
        pytest.param("$(reboot)", "contains characters not allowed in a branch name: '$' '(' ')'", id="subshell"),
        pytest.param("feat`id`", "contains characters not allowed in a branch name: '`'", id="backticks"),
        pytest.param("a|b", "'|'", id="pipe"),
        pytest.param("main\nx", "'\\n'", id="newline"),
        pytest.param("--upload-pack=evil", "is not a valid git branch name", id="option-injection"),
        pytest.param("a..b", "is not a valid git branch name", id="dot-dot"),
    ],
)
def test_malformed_branch_is_rejected(branch, message):
    with pytest.raises(RevisionError, match=None) as raised:
        check_branch_name(branch)
    assert message in str(raised.value)


@pytest.mark.parametrize("branch", ["main", "develop", "feature/login-page", "dependabot/npm_and_yarn/next-14.2.1"])
def test_ordinary_branch_names_pass(branch):
    assert check_branch_name(branch) == branch


@pytest.mark.parametrize("commit", ["abc", "xyz1234", "1234567; ls", "HEAD", "a" * 41])
def test_malformed_commit_is_rejected(commit):
    with pytest.raises(RevisionError, match="is not a commit SHA"):
        check_commit(commit)


def test_empty_commit_means_branch_head(small_repository, tmp_path):
    mirror = update_mirror(str(small_repository["url"]), tmp_path / "mirrors")
    revision = resolve(mirror, "main", "", "pnpm-lock.yaml")
    assert revision.commit == small_repository["main"]
    assert revision.short_commit == small_repository["main"][:7]
    assert revision.lockfile_checksum == hashlib.sha256(b"lockfileVersion: '6.0'\n").hexdigest()


def test_short_sha_resolves_to_the_full_commit(small_repository, tmp_path):
    mirror = update_mirror(str(small_repository["url"]), tmp_path / "mirrors")
    revision = resolve(mirror, "main", small_repository["first"][:8].upper(), "pnpm-lock.yaml")
    assert revision.commit == small_repository["first"]


def test_unknown_branch_names_the_branches_there(small_repository, tmp_path):
    mirror = update_mirror(str(small_repository["url"]), tmp_path / "mirrors")
    with pytest.raises(
        RevisionError, match=r"branch 'release' does not exist in the repository \(branches: develop, main\)"
    ):
        resolve(mirror, "release", "", "pnpm-lock.yaml")


def test_commit_that_does_not_exist(small_repository, tmp_path):
    mirror = update_mirror(str(small_repository["url"]), tmp_path / "mirrors")
    with pytest.raises(RevisionError, match="commit 'deadbeef' does not exist in the repository"):
        resolve(mirror, "main", "deadbeef", "pnpm-lock.yaml")


def test_commit_from_another_branch_is_refused(small_repository, tmp_path):
    mirror = update_mirror(str(small_repository["url"]), tmp_path / "mirrors")
    develop_only = small_repository["develop"]
    with pytest.raises(RevisionError, match=f"commit '{develop_only}' is not on branch 'main'"):
        resolve(mirror, "main", develop_only, "pnpm-lock.yaml")


def test_mirror_follows_new_commits(small_repository, tmp_path):
    from conftest import git

    mirrors = tmp_path / "mirrors"
    update_mirror(str(small_repository["url"]), mirrors)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", "--branch", "main", str(small_repository["url"]), str(clone))
    (clone / "NEW.md").write_text("new\n")
    git(clone, "add", "-A")
    git(clone, "commit", "--quiet", "-m", "new")
    git(clone, "push", "--quiet", "origin", "main")
    pushed = git(clone, "rev-parse", "HEAD")

    mirror = update_mirror(str(small_repository["url"]), mirrors)
    assert resolve(mirror, "main", "", "pnpm-lock.yaml").commit == pushed


def test_missing_lockfile_gives_no_checksum(small_repository, tmp_path):
    mirror = update_mirror(str(small_repository["url"]), tmp_path / "mirrors")
    assert resolve(mirror, "main", "", "does-not-exist.yaml").lockfile_checksum is None


def test_unreachable_repository_is_named(tmp_path):
    with pytest.raises(RevisionError, match=r"git could not clone .*nothing-here\.git"):
        update_mirror(str(tmp_path / "nothing-here.git"), tmp_path / "mirrors")
