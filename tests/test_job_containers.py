"""What a job container is given: parameters as environment, secrets kept private, run-scoped names."""

from __future__ import annotations

import json

import pytest

from tradosphere_cicd.jobs import CHECKOUT, INSTALL
from tradosphere_cicd.operators import JobOperator
from tradosphere_cicd.runs import RunResources

RUN = RunResources(dag_id="build_test_deploy", run_id="manual__2026-12-04T10:00:00+00:00")
REVISION = {
    "branch": "feature/x",
    "commit": "0123456789abcdef0123456789abcdef01234567",
    "short_commit": "0123456",
    "lockfile_checksum": "f" * 64,
    "mirror": "/srv/mirrors/abc.git",
}


def prepared(job_name: str, shard: int | None = None, tmp_path=None) -> JobOperator:
    operator = JobOperator(job_name=job_name, shard=shard, task_id=job_name)
    operator._prepare_container(RUN, REVISION, tmp_path, shard - 1 if shard else -1)
    return operator


def mounts(operator: JobOperator) -> dict[str, tuple[str, str]]:
    return {mount["Target"]: (mount["Source"], mount["Type"]) for mount in operator.mounts}


def test_parameters_reach_the_container_as_environment_only(tmp_path):
    operator = prepared("lint_and_typecheck", tmp_path=tmp_path)
    assert operator.command == ["node", "/opt/pipeline/run-job.mjs"]
    assert operator.environment["BRANCH"] == "feature/x"
    assert operator.environment["COMMIT_SHA"] == REVISION["commit"]
    steps = json.loads(operator.environment["JOB_STEPS"])
    assert [step["run"] for step in steps] == ["pnpm lint", "pnpm type-check", "pnpm format:check"]
    assert all("feature/x" not in step["run"] for step in steps)
    assert operator.network_mode == "none"
    assert operator.mem_limit == "2g"


def test_secrets_go_to_private_environment_not_to_templated_fields(tmp_path):
    operator = prepared("test_integration", tmp_path=tmp_path)
    assert "DATABASE_URL" not in operator.environment
    assert operator._private_environment["DATABASE_URL"].startswith("postgresql://test:")
    rendered = json.dumps({field: str(getattr(operator, field)) for field in operator.template_fields})
    assert "postgresql://test:test@" not in rendered
    assert operator.network_mode == RUN.network


def test_workspace_and_artifacts_are_per_run(tmp_path):
    operator = prepared("test_unit", tmp_path=tmp_path)
    assert mounts(operator)["/workspace"] == (RUN.workspace_volume, "volume")
    assert mounts(operator)["/artifacts"] == (str(tmp_path), "bind")
    assert operator.container_name == f"tradosphere-{RUN.key}-test-unit"
    assert operator.labels["org.tradosphere.run"] == RUN.key


def test_checkout_reads_the_mirror_read_only(tmp_path):
    operator = prepared(CHECKOUT, tmp_path=tmp_path)
    mirror = next(mount for mount in operator.mounts if mount["Target"] == "/mirror")
    assert mirror["Source"] == "/srv/mirrors/abc.git"
    assert mirror["ReadOnly"] is True


def test_install_uses_the_store_keyed_by_lockfile_checksum(tmp_path):
    operator = prepared(INSTALL, tmp_path=tmp_path)
    assert mounts(operator)["/cache"] == ("tradosphere-pnpm-store", "volume")
    assert operator.environment["CACHE_KEY"] == "v2-deps-" + "f" * 16
    assert operator.environment["CACHE_FALLBACK"] == "v2-deps-"
    assert operator.network_mode == "bridge"


def test_shards_get_their_index_and_their_own_result_paths(tmp_path):
    operator = prepared("test_e2e", shard=3, tmp_path=tmp_path)
    assert operator.environment["SHARD_INDEX"] == "3"
    assert operator.environment["SHARD_TOTAL"] == "4"
    assert json.loads(operator.environment["JOB_ARTIFACTS"]) == [
        "test-results/e2e/shard-3",
        "playwright-report/shard-3",
        "test-results/e2e/shard-3",
    ]
    assert operator.container_name.endswith("-test-e2e-2")
    assert operator.image == "tradosphere/ci-e2e:20"


def test_a_shard_out_of_range_is_refused():
    with pytest.raises(ValueError, match=r"shard: 5 is out of range for job 'test_e2e' \(shards: 4\)"):
        JobOperator(job_name="test_e2e", shard=5, task_id="test_e2e")


def test_image_build_drives_the_engine_and_tags_sha_and_latest(tmp_path):
    operator = prepared("build_docker_images", tmp_path=tmp_path)
    steps = [step["run"] for step in json.loads(operator.environment["JOB_STEPS"])]
    assert steps == [
        'docker build --file docker/Dockerfile.frontend --tag tradosphere/frontend:"$COMMIT_SHA" '
        "--tag tradosphere/frontend:latest .",
        'docker build --file docker/Dockerfile.backend --tag tradosphere/backend:"$COMMIT_SHA" '
        "--tag tradosphere/backend:latest .",
    ]
    assert operator.environment["DOCKER_BUILDKIT"] == "0"


def test_unknown_job_is_named():
    from tradosphere_cicd.pipeline import PipelineError

    with pytest.raises(PipelineError, match="the pipeline has no job 'deploy_moon'"):
        JobOperator(job_name="deploy_moon")
