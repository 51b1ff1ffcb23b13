"""Deploys on the real stack: blue-green behind the proxy, health checks, automatic rollback, deadlines."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import requests

from tradosphere_cicd.follow import follow
from tradosphere_cicd.releases import ReleaseBook

from .conftest import OVERRUN_ENVIRONMENT, git_head, push_branch

pytestmark = pytest.mark.e2e

DEPLOY_TIMEOUT = 600
CONTROLLER = Path("apps/api/src/markets/markets.controller.ts")
LIST_MARKETS = "const { markets, cache } = await this.markets.listMarkets();"


def serving(url: str) -> str:
    """The version the environment's backend answers with, through its public address."""
    answer = requests.get(f"{url}/api/health", timeout=10)
    answer.raise_for_status()
    return answer.json()["version"]


def deploy(api, environment: str, release: dict[str, str]) -> tuple[str, str, dict[str, str]]:
    run_id = api.trigger(f"deploy_{environment}", {**release, "source": "end-to-end test"})
    with open("/dev/null", "w") as quiet:
        state = follow(api, f"deploy_{environment}", run_id, DEPLOY_TIMEOUT, out=quiet)
    return run_id, state, {task.label: task.state for task in api.task_states(f"deploy_{environment}", run_id)}


def build_image(repository: Path, commit: str, dockerfile: str, tag: str) -> str:
    """Build one image of the example at a commit, as build_docker_images does (the layer cache keeps it quick)."""
    inspect = subprocess.run(["docker", "image", "inspect", tag], capture_output=True, check=False)
    if inspect.returncode != 0:
        archive = subprocess.Popen(["git", "--git-dir", str(repository), "archive", commit], stdout=subprocess.PIPE)
        subprocess.run(
            ["docker", "build", "--quiet", "-f", dockerfile, "-t", tag, "-"],
            stdin=archive.stdout,
            check=True,
            capture_output=True,
            env={**os.environ, "DOCKER_BUILDKIT": "0"},
        )
        archive.wait()
    return tag


def edit_controller(replacement: str):
    def change(work: Path) -> None:
        path = work / CONTROLLER
        text = path.read_text()
        assert LIST_MARKETS in text, "the example's markets controller changed: update this test"
        path.write_text(text.replace(LIST_MARKETS, replacement + "\n    " + LIST_MARKETS, 1))

    return change


@pytest.fixture(scope="module")
def releases(repository: Path, tmp_path_factory) -> dict[str, dict[str, str]]:
    """Four releases of the example: two good ones, one whose API fails, one whose API is slow."""
    work = tmp_path_factory.mktemp("releases")
    commits = {
        "first": git_head(repository, "main"),
        "second": push_branch(repository, work, "release/second", lambda tree: _touch(tree / "RELEASE.md")),
        "failing": push_branch(
            repository, work, "release/failing", edit_controller("if (Date.now() > 0) throw new Error('broken');")
        ),
        "slow": push_branch(
            repository, work, "release/slow", edit_controller("await new Promise((done) => setTimeout(done, 2500));")
        ),
    }
    frontend = build_image(
        repository, commits["first"], "docker/Dockerfile.frontend", f"tradosphere/frontend:{commits['first']}"
    )
    return {
        name: {
            "version": commit,
            "frontend_image": frontend,
            "backend_image": build_image(
                repository, commit, "docker/Dockerfile.backend", f"tradosphere/backend:{commit}"
            ),
        }
        for name, commit in commits.items()
    }


def _touch(path: Path) -> None:
    path.write_text("a second release\n")


@pytest.fixture(scope="module")
def production_with_two_releases(airflow, releases, stack_env) -> ReleaseBook:
    """Production serving the second good release, with the first recorded as the last good one."""
    for name in ("first", "second"):
        _, state, tasks = deploy(airflow, "production", releases[name])
        assert state == "success", (name, tasks)
    return ReleaseBook("production", root=Path(stack_env["TRADOSPHERE_HOME"]) / "releases")


def test_good_release_goes_live_and_the_previous_becomes_last_good(
    production_with_two_releases, releases, environments
):
    assert serving(environments["production"]) == releases["second"]["version"]
    assert production_with_two_releases.live().version == releases["second"]["version"]
    assert production_with_two_releases.last_good().version == releases["first"]["version"]


@pytest.mark.parametrize(
    ("release", "trigger"),
    [
        pytest.param("failing", "5xx", id="api-answers-500"),
        pytest.param("slow", "p95", id="api-slower-than-2s-at-p95"),
    ],
)
def test_unhealthy_release_is_rolled_back(
    airflow, production_with_two_releases, releases, environments, release, trigger
):
    run_id, state, tasks = deploy(airflow, "production", releases[release])

    assert state == "failed"
    assert tasks["switch_traffic"] == "success"
    assert tasks["health_check"] == "failed"
    assert tasks["rollback"] == "success"
    assert tasks["retire_previous"] == "upstream_failed"
    assert trigger in airflow.task_log("deploy_production", run_id, "health_check")
    figures = airflow.xcom("deploy_production", run_id, "health_check", key="figures")
    assert figures["requests"] > 0
    assert serving(environments["production"]) == releases["second"]["version"]
    rollbacks = [run for run in airflow.runs("rollback") if run["conf"].get("environment") == "production"]
    assert rollbacks
    assert rollbacks[0]["state"] == "success"


def test_deploy_past_its_deadline_after_going_live_is_rolled_back(airflow, releases, environments):
    _first_run, _, _ = deploy(airflow, OVERRUN_ENVIRONMENT, releases["first"])
    run_id, state, tasks = deploy(airflow, OVERRUN_ENVIRONMENT, releases["second"])

    assert tasks["switch_traffic"] == "success"
    assert serving(environments[OVERRUN_ENVIRONMENT]) == releases["first"]["version"]
    assert state == "failed"
    assert tasks["retire_previous"] == "failed"
    assert "rolled back while it was being observed" in airflow.task_log(
        f"deploy_{OVERRUN_ENVIRONMENT}", run_id, "retire_previous"
    )


def test_manual_rollback_to_what_serves_changes_nothing(airflow, production_with_two_releases, environments, releases):
    run_id = airflow.trigger("rollback", {"environment": "production", "version": releases["second"]["version"]})
    with open("/dev/null", "w") as quiet:
        assert follow(airflow, "rollback", run_id, DEPLOY_TIMEOUT, out=quiet) == "success"
    assert airflow.xcom("rollback", run_id, "restore_release")["changed"] is False
    assert serving(environments["production"]) == releases["second"]["version"]
