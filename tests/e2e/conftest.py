"""The real stack for end-to-end tests: Airflow standalone and the Docker engine, started by bin/tradosphere.

Airflow gets a state folder and port of its own, so a developer's instance keeps running beside it.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tradosphere_cicd.airflow_api import AirflowApi
from tradosphere_cicd.pipeline import PROJECT_ROOT

TOOL = PROJECT_ROOT / "bin" / "tradosphere"
PORT = int(os.environ.get("TRADOSPHERE_TEST_AIRFLOW_PORT", "8190"))


@pytest.fixture(scope="session")
def stack_env(tmp_path_factory) -> dict[str, str]:
    state = tmp_path_factory.mktemp("state")
    return {**os.environ, "TRADOSPHERE_HOME": str(state), "TRADOSPHERE_AIRFLOW_PORT": str(PORT)}


@pytest.fixture(scope="session")
def airflow(stack_env) -> Iterator[AirflowApi]:
    started = subprocess.run([str(TOOL), "airflow", "start"], env=stack_env, capture_output=True, text=True)
    if started.returncode != 0:
        pytest.fail(f"bin/tradosphere airflow start failed:\n{started.stdout}\n{started.stderr}")
    try:
        home = Path(stack_env["TRADOSPHERE_HOME"]) / "airflow"
        password = json.loads((home / "simple_auth_manager_passwords.json.generated").read_text())["admin"]
        api = AirflowApi(f"http://localhost:{PORT}", "admin", password)
        api.wait_for_dag("build_test_deploy")
        yield api
    finally:
        subprocess.run([str(TOOL), "airflow", "stop"], env=stack_env, check=False)


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
