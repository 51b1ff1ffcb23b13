"""resolve_revision, the first task: bad input and an unreachable engine stop the run with a clear message."""

from __future__ import annotations

import pytest
from airflow.sdk.exceptions import AirflowFailException

from tradosphere_cicd import engine
from tradosphere_cicd.tasks import resolve_revision


def run_first_task(branch: str, commit: str = ""):
    return resolve_revision.function(params={"branch": branch, "commit": commit})


def test_shell_metacharacters_fail_before_anything_runs(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(AirflowFailException, match=r"parameter 'branch' = 'main && curl x' contains characters"):
        run_first_task("main && curl x")


def test_bad_commit_fails_first(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(AirflowFailException, match="parameter 'commit' = 'HEAD~1' is not a commit SHA"):
        run_first_task("main", "HEAD~1")


def test_a_commit_for_a_dag_that_takes_none_is_refused(monkeypatch):
    class UpdateDag:
        dag_id = "dependency_update"
        params = {"branch": "develop"}

    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(AirflowFailException, match=r"dependency_update takes no commit .* not commit 'abc1234'"):
        resolve_revision.function(params={"branch": "develop", "commit": "abc1234"}, dag=UpdateDag())


def test_unreachable_engine_names_docker_host_and_socket(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(AirflowFailException) as raised:
        run_first_task("main")
    message = str(raised.value)
    assert "cannot reach the Docker engine at unix:///nonexistent/docker.sock" in message
    assert "DOCKER_HOST=unix:///nonexistent/docker.sock" in message
    assert "bin/tradosphere engine start" in message


def test_default_socket_is_named_when_docker_host_is_unset(monkeypatch):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setattr("tradosphere_cicd.settings.DEFAULT_DOCKER_SOCKET", "unix:///nonexistent/default.sock")
    with pytest.raises(engine.EngineUnreachableError, match="DOCKER_HOST is not set, so Docker's default socket"):
        engine.connect()


def test_unknown_branch_names_the_repository(monkeypatch, small_repository, tmp_path):
    monkeypatch.setenv("TRADOSPHERE_REPOSITORY", str(small_repository["url"]))
    monkeypatch.setenv("TRADOSPHERE_HOME", str(tmp_path / "home"))
    monkeypatch.setattr("tradosphere_cicd.engine.connect", lambda: _NoEngine())
    with pytest.raises(AirflowFailException, match=r"branch 'nope' does not exist .* \(repository: .*repo\.git\)"):
        run_first_task("nope")


def test_resolves_branch_head_with_mirror_and_checksum(monkeypatch, small_repository, tmp_path):
    monkeypatch.setenv("TRADOSPHERE_REPOSITORY", str(small_repository["url"]))
    monkeypatch.setenv("TRADOSPHERE_HOME", str(tmp_path / "home"))
    monkeypatch.setattr("tradosphere_cicd.engine.connect", lambda: _NoEngine())
    revision = run_first_task("develop")
    assert revision["commit"] == small_repository["develop"]
    assert revision["mirror"].startswith(str(tmp_path / "home" / "mirrors"))
    assert revision["lockfile_checksum"]


class _NoEngine:
    """Stands in for a reachable engine in tests that are about the repository, not Docker."""

    def close(self) -> None:
        pass
