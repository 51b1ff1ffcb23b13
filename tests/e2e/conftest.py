"""The real stack for end-to-end tests: Airflow standalone and the Docker engine, started by bin/tradosphere.

Airflow gets a state folder, port, namespace and environment ports of its own, so a developer's
instance and environments keep running beside it. Its pipeline file is the shipped one with short
windows, so that approvals, health checks and deadlines can be watched within minutes.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
import yaml

from slack_server import SlackServer
from tradosphere_cicd.airflow_api import AirflowApi
from tradosphere_cicd.follow import follow
from tradosphere_cicd.pipeline import DEFAULT_PIPELINE_FILE, PROJECT_ROOT
from tradosphere_cicd.runs import LABEL_RUN, RunResources

TOOL = PROJECT_ROOT / "bin" / "tradosphere"
PORT = int(os.environ.get("TRADOSPHERE_TEST_AIRFLOW_PORT", "8190"))
NAMESPACE = "tradosphere-e2e"
APPROVER, OUTSIDER = "admin", "outsider"
# A release observed for longer than its environment's budget: the deadline passes while it is live.
OVERRUN_ENVIRONMENT = "canary"
UPDATE_SCRIPT = ".dependency-update.sh"
# Sentinels: the secret parts of the Slack connections, which no message may carry.
CI_FAILURES_HOOK = "ci-failures-hook-sentinel-7001"
SECURITY_HOOK = "security-hook-sentinel-7002"
SLACK_BOT_TOKEN = "xoxb-e2e-sentinel-bot-token-7003"
DAG_IDS = ("build_test_deploy", "nightly", "dependency_update", "deploy_staging", "deploy_production", "rollback")


def test_pipeline(path: Path) -> Path:
    """The shipped pipeline file with ports of its own, short windows, and an environment that overruns."""
    data = yaml.safe_load(DEFAULT_PIPELINE_FILE.read_text())
    environments = data["environments"]
    for offset, environment in zip((18300, 18400), (environments["staging"], environments["production"]), strict=True):
        environment["docker"].update(proxy_port=offset, database_port=offset + 1)
    environments["production"]["approval"] = {"approvers": [APPROVER], "window_minutes": 2}
    environments["production"]["health"].update(window_seconds=20, interval_seconds=2)
    environments[OVERRUN_ENVIRONMENT] = {
        "target": "docker",
        "budget_minutes": 1,
        "database_connection": "tradosphere_canary_db",
        "health": {"window_seconds": 150, "interval_seconds": 3},
        "docker": {"proxy_port": 18500, "database_port": 18501},
    }
    # the dependency update runs what the branch under test carries in UPDATE_SCRIPT, so each test sets its outcome
    for schedule in data["schedules"].values():
        schedule["cron"] = "0 0 1 1 *"  # only the tests start them, not a 2 AM or Monday tick during a test run
    update = f"if [ -f {UPDATE_SCRIPT} ]; then bash {UPDATE_SCRIPT}; rm {UPDATE_SCRIPT}; fi"
    data["schedules"]["dependency_update"]["update"]["steps"] = [{"name": "Update Dependencies", "run": update}]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def slack() -> Iterator[SlackServer]:
    """The local Slack that every alert of the test Airflow goes to, for the whole session."""
    server = SlackServer(bot_token=SLACK_BOT_TOKEN)
    server.start()
    yield server
    server.stop()


def slack_connections(server: SlackServer) -> dict[str, str]:
    """The pipeline file's three channel connections, as Airflow connections in the environment."""
    return {
        "AIRFLOW_CONN_SLACK_CI_FAILURES": json.dumps(
            {"conn_type": "slackwebhook", "password": server.webhook_url(CI_FAILURES_HOOK)}
        ),
        "AIRFLOW_CONN_SLACK_SECURITY_ALERTS": json.dumps(
            {"conn_type": "slackwebhook", "password": server.webhook_url(SECURITY_HOOK)}
        ),
        "AIRFLOW_CONN_SLACK_DEPLOYMENTS": json.dumps(
            {"conn_type": "slack", "password": SLACK_BOT_TOKEN, "extra": {"base_url": server.base + "/api/"}}
        ),
        "TRADOSPHERE_SLACK_ATTEMPTS": "2",
        "TRADOSPHERE_SLACK_TIMEOUT_SECONDS": "2",
        "TRADOSPHERE_SLACK_BACKOFF_SECONDS": "0.2",
    }


@pytest.fixture(scope="session")
def stack_env(tmp_path_factory, slack) -> dict[str, str]:
    state = tmp_path_factory.mktemp("state")
    return {
        **os.environ,
        **slack_connections(slack),
        "TRADOSPHERE_HOME": str(state),
        "TRADOSPHERE_AIRFLOW_PORT": str(PORT),
        "TRADOSPHERE_NAMESPACE": NAMESPACE,
        "TRADOSPHERE_PIPELINE_FILE": str(test_pipeline(state / "pipeline.yaml")),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{APPROVER}:admin,{OUTSIDER}:admin",
    }


@pytest.fixture(scope="session")
def airflow(stack_env) -> Iterator[AirflowApi]:
    started = subprocess.run([str(TOOL), "airflow", "start"], env=stack_env, capture_output=True, text=True)
    if started.returncode != 0:
        pytest.fail(f"bin/tradosphere airflow start failed:\n{started.stdout}\n{started.stderr}")
    try:
        api = login(stack_env, APPROVER)
        for dag_id in DAG_IDS:
            api.wait_for_dag(dag_id)
        yield api
    finally:
        subprocess.run([str(TOOL), "airflow", "stop"], env=stack_env, check=False)


def login(stack_env: dict[str, str], user: str) -> AirflowApi:
    home = Path(stack_env["TRADOSPHERE_HOME"]) / "airflow"
    password = json.loads((home / "simple_auth_manager_passwords.json.generated").read_text())[user]
    return AirflowApi(f"http://localhost:{PORT}", user, password)


@pytest.fixture(scope="session")
def outsider(stack_env, airflow) -> AirflowApi:
    """A user who may use Airflow but is not an approver of production."""
    return login(stack_env, OUTSIDER)


@pytest.fixture(scope="session")
def repository(stack_env, airflow) -> Path:
    """The example repository that bin/tradosphere published for this Airflow (main and develop)."""
    return Path(stack_env["TRADOSPHERE_HOME"]) / "repos" / "tradosphere.git"


@pytest.fixture(scope="session")
def artifacts(stack_env) -> Path:
    return Path(stack_env["TRADOSPHERE_HOME"]) / "artifacts"


@pytest.fixture(scope="session")
def engine() -> Iterator[docker.DockerClient]:
    client = docker.DockerClient(base_url=os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock")
    yield client
    client.close()


IDENTITY = ["-c", "user.name=Test", "-c", "user.email=test@tradosphere.invalid"]


def git_head(repository: Path, branch: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(repository), "rev-parse", branch], capture_output=True, text=True, check=True
    ).stdout.strip()


def push_branch(repository: Path, tmp_path: Path, branch: str, change, base: str = "main") -> str:
    """Push a new branch made from `base` with one commit that `change(work_tree)` makes; return its SHA."""
    work = tmp_path / branch.replace("/", "-")
    subprocess.run(["git", "clone", "--quiet", "--branch", base, str(repository), str(work)], check=True)
    subprocess.run(["git", "checkout", "--quiet", "-b", branch], cwd=work, check=True)
    change(work)
    subprocess.run(["git", "add", "-A"], cwd=work, check=True)
    subprocess.run(["git", *IDENTITY, "commit", "--quiet", "-m", f"test: {branch}"], cwd=work, check=True)
    subprocess.run(["git", "push", "--quiet", "--force", "origin", branch], cwd=work, check=True)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=work, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="session")
def environments(stack_env, airflow, engine) -> Iterator[dict[str, str]]:
    """Public address of each environment of the test pipeline; their stacks are removed at the end."""
    from tradosphere_cicd.bluegreen import DockerEnvironment
    from tradosphere_cicd.pipeline import parse_pipeline

    path = Path(stack_env["TRADOSPHERE_PIPELINE_FILE"])
    pipeline = parse_pipeline(path.read_text(), source=str(path))
    yield {name: environment.public_url() for name, environment in pipeline.environments.items()}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRADOSPHERE_HOME", stack_env["TRADOSPHERE_HOME"])
        for name, environment in pipeline.environments.items():
            if environment.docker is not None:
                DockerEnvironment(engine, name, environment, namespace=NAMESPACE).remove()


def run_dag(api: AirflowApi, dag_id: str, conf: dict[str, Any], timeout: float) -> tuple[str, str, dict[str, str]]:
    """Trigger a run, wait for its end; return the run id, its state and every task's state."""
    run_id = api.trigger(dag_id, conf)
    with open(Path("/dev/null"), "w") as quiet:
        state = follow(api, dag_id, run_id, timeout, out=quiet)
    return run_id, state, {task.label: task.state for task in api.task_states(dag_id, run_id)}


def assert_nothing_left(engine: docker.DockerClient, dag_id: str, run_id: str) -> None:
    """No container, network or workspace volume of the run is left on the engine."""
    run = RunResources(dag_id, run_id)
    time.sleep(1)
    assert engine.containers.list(all=True, filters={"label": f"{LABEL_RUN}={run.key}"}) == []
    assert engine.networks.list(names=[run.network]) == []
    assert [volume.name for volume in engine.volumes.list() if volume.name == run.workspace_volume] == []
