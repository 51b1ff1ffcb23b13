"""The deploy image for real: its Vercel CLI, offline, fails to reach Vercel and deploy-frontend.sh says so."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from docker.errors import ImageNotFound

from tradosphere_cicd.engine import EngineUnreachableError, connect
from tradosphere_cicd.hosted import SCRIPTS_DIR

IMAGE = "tradosphere/ci-deploy:20"
TOKEN = "vercelTokenSentinel7f3a"


@pytest.fixture
def engine():
    try:
        client = connect()
    except EngineUnreachableError as error:
        pytest.skip(str(error))
    try:
        client.images.get(IMAGE)
    except ImageNotFound:
        pytest.skip(f"{IMAGE} is not built (bin/tradosphere setup builds it)")
    return client


@pytest.mark.docker
def test_offline_frontend_deploy_reports_that_vercel_cannot_be_reached(engine, tmp_path: Path):
    (tmp_path / "apps" / "web").mkdir(parents=True)
    container = engine.containers.run(
        IMAGE,
        ["bash", "-c", 'exec "$0" "$DEPLOY_ENVIRONMENT"', f"{SCRIPTS_DIR}/deploy-frontend.sh"],
        name=f"tradosphere-test-deploy-{uuid.uuid4().hex[:8]}",
        labels={"org.tradosphere.test": "deploy-image"},
        environment={
            "DEPLOY_ENVIRONMENT": "staging",
            "API_URL": "https://api-staging.tradosphere.test",
            "VERCEL_TOKEN": TOKEN,
        },
        volumes={str(tmp_path): {"bind": "/workspace", "mode": "rw"}},
        working_dir="/workspace",
        network_mode="none",
        mem_limit="1g",
        detach=True,
    )
    try:
        status = container.wait(timeout=180)
        logs = container.logs().decode(errors="replace")
    finally:
        container.remove(force=True)
    assert status["StatusCode"] == 1, logs
    assert "Vercel CLI 58.10.0" in logs
    assert "error: could not reach Vercel: " in logs
    assert TOKEN not in logs


@pytest.mark.docker
def test_the_image_has_no_railway_cli_and_the_backend_deploy_says_so(engine, tmp_path: Path):
    (tmp_path / "apps" / "api").mkdir(parents=True)
    output = engine.containers.run(
        IMAGE,
        ["bash", "-c", f'{SCRIPTS_DIR}/deploy-backend.sh staging; echo "exit $?"'],
        labels={"org.tradosphere.test": "deploy-image"},
        environment={"RAILWAY_TOKEN": "railwayTokenSentinel91c2"},
        volumes={str(tmp_path): {"bind": "/workspace", "mode": "rw"}},
        working_dir="/workspace",
        network_mode="none",
        mem_limit="256m",
        remove=True,
        stderr=True,
    ).decode()
    assert "the Railway CLI is not installed in this image" in output
    # stdout and stderr come back as one stream whose interleaving Docker does not keep in order
    assert "exit 1" in output.splitlines()
