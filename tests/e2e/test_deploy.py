"""Deploys on the real stack: blue-green behind the proxy, health checks, automatic rollback, deadlines."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tradosphere_cicd.example_releases import example_releases
from tradosphere_cicd.follow import follow
from tradosphere_cicd.releases import ReleaseBook

from .conftest import OVERRUN_ENVIRONMENT

pytestmark = pytest.mark.e2e

DEPLOY_TIMEOUT = 600


def serving(url: str) -> str:
    """The version the environment's backend answers with, through its public address."""
    answer = requests.get(f"{url}/api/health", timeout=10)
    answer.raise_for_status()
    return answer.json()["version"]


def serving_or_nothing(url: str) -> str | None:
    """The version the environment serves, or None when nothing is deployed there yet."""
    try:
        return serving(url)
    except requests.RequestException:
        return None


def deploy(api, environment: str, release: dict[str, str]) -> tuple[str, str, dict[str, str]]:
    run_id = api.trigger(f"deploy_{environment}", {**release, "source": "end-to-end test"})
    with open("/dev/null", "w") as quiet:
        state = follow(api, f"deploy_{environment}", run_id, DEPLOY_TIMEOUT, out=quiet)
    return run_id, state, {task.label: task.state for task in api.task_states(f"deploy_{environment}", run_id)}


@pytest.fixture(scope="module")
def releases(repository: Path) -> dict[str, dict[str, str]]:
    """Four releases of the example: two good ones, one whose API fails, one whose API is slow."""
    return example_releases(repository)


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
        pytest.param("failing", "backend failures", id="api-answers-500"),
        pytest.param("slow", "backend p95", id="api-slower-than-2s-at-p95"),
    ],
)
def test_unhealthy_release_is_rolled_back(
    airflow, production_with_two_releases, releases, environments, slack, release, trigger
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
    bad, good = releases[release]["version"], releases["second"]["version"]
    deployments = [message.text for message in slack.messages if message.channel == "#deployments"]
    assert any(f"production: health check failed for {bad}" in text for text in deployments), deployments
    assert any(f"production: rolled back from {bad} to {good}" in text for text in deployments), deployments


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
