"""The Vercel and Railway tasks of an environment: commands, environment, and where the secrets go (and do not)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from airflow.sdk import DAG, Param

from tradosphere_cicd.hosted import (
    SCRIPTS_DIR,
    ConnectionMissingError,
    hosted_deploy_tasks,
    hosted_rollback_task,
)
from tradosphere_cicd.pipeline import DEFAULT_PIPELINE_FILE, PipelineError, load_pipeline
from tradosphere_cicd.runs import RunResources

VERCEL_SENTINEL = "vercelTokenSentinel7f3a"
RAILWAY_SENTINEL = "railwayTokenSentinel91c2"
DATABASE_SENTINEL = "databasePasswordSentinel55e0"
SENTINELS = (VERCEL_SENTINEL, RAILWAY_SENTINEL, DATABASE_SENTINEL)
SHA = "89abcdef0123456789abcdef0123456789abcdef"
RUN_ID = "manual__2026-12-04T10:00:00+00:00"


@pytest.fixture
def hosted_pipeline(tmp_path: Path):
    """The project's pipeline file with staging on the hosted target."""
    data = yaml.safe_load(DEFAULT_PIPELINE_FILE.read_text())
    staging = data["environments"]["staging"]
    staging.pop("docker")
    staging.update(
        target="vercel_railway",
        url="https://staging.tradosphere.test",
        vercel_railway={
            "vercel_connection": "vercel_staging",
            "railway_connection": "railway_staging",
            "api_url": "https://api-staging.tradosphere.test",
            "supabase_url": "https://project.supabase.test",
        },
    )
    path = tmp_path / "pipeline.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_pipeline(path)


@pytest.fixture
def connections(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_VERCEL_STAGING", json.dumps({"conn_type": "generic", "password": VERCEL_SENTINEL}))
    monkeypatch.setenv(
        "AIRFLOW_CONN_RAILWAY_STAGING", json.dumps({"conn_type": "generic", "password": RAILWAY_SENTINEL})
    )
    monkeypatch.setenv(
        "AIRFLOW_CONN_TRADOSPHERE_STAGING_DB",
        json.dumps(
            {
                "conn_type": "postgres",
                "host": "db.staging.test",
                "login": "app",
                "password": DATABASE_SENTINEL,
                "schema": "tradosphere",
                "port": 5432,
            }
        ),
    )


def make_dag(pipeline, rollback_version: str = "{{ params.version }}"):
    with DAG(
        "deploy_staging",
        schedule=None,
        start_date=datetime(2026, 1, 1, tzinfo=UTC),
        params={"version": Param(SHA, type="string")},
    ) as dag:
        deploy = hosted_deploy_tasks(pipeline, "staging")
        rollback = hosted_rollback_task(pipeline, "staging", rollback_version)
    return dag, deploy, rollback


def render_and_prepare(dag, operator, version: str = SHA) -> None:
    context = {"params": {"version": version}, "dag": dag, "run_id": RUN_ID, "ti": None}
    operator.render_template_fields(context)
    operator.prepare(context)


def templated(operator) -> str:
    return json.dumps({field: getattr(operator, field) for field in operator.template_fields}, default=str)


def serialized(dag) -> str:
    from airflow.serialization.serialized_objects import DagSerialization

    return json.dumps(DagSerialization.to_dict(dag), default=str)


def test_deploy_tasks_come_in_the_guides_order(hosted_pipeline):
    dag, deploy, _ = make_dag(hosted_pipeline)
    assert [task.task_id for task in deploy] == ["deploy_frontend", "deploy_backend", "run_migrations"]
    assert dag.get_task("deploy_backend").upstream_task_ids == {"deploy_frontend"}
    assert dag.get_task("run_migrations").upstream_task_ids == {"deploy_backend"}
    assert dag.get_task("rollback_release").upstream_task_ids == set()


def test_commands_are_lists_that_take_parameters_from_the_environment(hosted_pipeline):
    _, (frontend, backend, migrations), rollback = make_dag(hosted_pipeline)
    assert frontend.command == ["bash", "-c", 'exec "$0" "$DEPLOY_ENVIRONMENT"', f"{SCRIPTS_DIR}/deploy-frontend.sh"]
    assert backend.command == ["bash", "-c", 'exec "$0" "$DEPLOY_ENVIRONMENT"', f"{SCRIPTS_DIR}/deploy-backend.sh"]
    assert migrations.command == [f"{SCRIPTS_DIR}/run-migrations.sh"]
    assert rollback.command == ["bash", "-c", 'exec "$0" "$DEPLOY_VERSION"', f"{SCRIPTS_DIR}/rollback.sh"]
    for operator in (frontend, backend, migrations, rollback):
        assert operator.image == "tradosphere/ci-deploy:20"
        assert operator.mem_limit == "1g"
        assert operator.environment["DEPLOY_ENVIRONMENT"] == "staging"
        assert operator.do_xcom_push is False
    assert frontend.environment["API_URL"] == "https://api-staging.tradosphere.test"
    assert frontend.environment["SUPABASE_URL"] == "https://project.supabase.test"
    assert frontend.environment["VERCEL_CONNECTION"] == "vercel_staging"


def test_secrets_reach_only_the_private_environment(hosted_pipeline, connections):
    dag, deploy, rollback = make_dag(hosted_pipeline)
    as_parsed = serialized(dag)
    expected = {
        "deploy_frontend": {"VERCEL_TOKEN": VERCEL_SENTINEL},
        "deploy_backend": {"RAILWAY_TOKEN": RAILWAY_SENTINEL},
        "run_migrations": {
            "DATABASE_URL": f"postgres://app:{DATABASE_SENTINEL}@db.staging.test:5432/tradosphere",
        },
        "rollback_release": {"VERCEL_TOKEN": VERCEL_SENTINEL, "RAILWAY_TOKEN": RAILWAY_SENTINEL},
    }
    for operator in [*deploy, rollback]:
        render_and_prepare(dag, operator)
        assert operator._private_environment == expected[operator.task_id]
        assert operator.environment["DEPLOY_VERSION"] == SHA
        visible = templated(operator) + json.dumps(operator.environment) + json.dumps(operator.command)
        for sentinel in SENTINELS:
            assert sentinel not in visible, f"{operator.task_id} shows a secret"
    as_run = serialized(dag)
    assert '"DeployFrontendOperator"' in as_parsed
    for sentinel in SENTINELS:
        assert sentinel not in as_parsed
        assert sentinel not in as_run


def test_deploys_run_on_the_runs_workspace_and_rollback_needs_none(hosted_pipeline, connections):
    dag, (frontend, _, migrations), rollback = make_dag(hosted_pipeline)
    run = RunResources(dag_id="deploy_staging", run_id=RUN_ID)
    for operator in (frontend, migrations, rollback):
        render_and_prepare(dag, operator)
    assert [(mount["Target"], mount["Source"]) for mount in frontend.mounts] == [("/workspace", run.workspace_volume)]
    assert frontend.container_name == run.container("deploy_frontend")
    assert frontend.labels["org.tradosphere.run"] == run.key
    assert [mount["Source"] for mount in migrations.mounts] == [run.workspace_volume]
    assert rollback.mounts == []


@pytest.mark.parametrize(
    "version",
    [
        pytest.param("main", id="branch-name"),
        pytest.param("abc12", id="too-short"),
        pytest.param("0" * 41, id="too-long"),
        pytest.param("89abcdef; rm -rf /", id="shell"),
        pytest.param("", id="empty"),
    ],
)
def test_a_version_that_is_not_a_sha_is_refused_before_the_container(hosted_pipeline, connections, version):
    dag, (frontend, _, _), rollback = make_dag(hosted_pipeline)
    for operator in (frontend, rollback):
        with pytest.raises(ValueError, match=rf"{operator.task_id}: version .* is not a commit SHA"):
            render_and_prepare(dag, operator, version=version)
        assert operator._private_environment == {}


def test_a_short_sha_is_accepted(hosted_pipeline, connections):
    dag, (frontend, _, _), _ = make_dag(hosted_pipeline)
    render_and_prepare(dag, frontend, version="89ABCDE")
    assert frontend.environment["DEPLOY_VERSION"] == "89abcde"


def test_rollback_version_can_be_a_fixed_sha(hosted_pipeline, connections):
    dag, _, rollback = make_dag(hosted_pipeline, rollback_version="fedcba9")
    render_and_prepare(dag, rollback, version="not-used")
    assert rollback.environment["DEPLOY_VERSION"] == "fedcba9"


@pytest.mark.parametrize(
    ("task", "variable", "connection", "how"),
    [
        pytest.param(
            "deploy_frontend", "AIRFLOW_CONN_VERCEL_STAGING", "vercel_staging", "--conn-password", id="vercel"
        ),
        pytest.param("deploy_backend", "AIRFLOW_CONN_RAILWAY_STAGING", "railway_staging", "--conn-password", id="rail"),
        pytest.param(
            "run_migrations", "AIRFLOW_CONN_TRADOSPHERE_STAGING_DB", "tradosphere_staging_db", "--conn-uri", id="db"
        ),
        pytest.param("rollback_release", "AIRFLOW_CONN_RAILWAY_STAGING", "railway_staging", "--conn-password", id="rb"),
    ],
)
def test_a_missing_connection_is_named_with_how_to_add_it(
    hosted_pipeline, connections, monkeypatch, task, variable, connection, how
):
    monkeypatch.delenv(variable)
    dag, _, _ = make_dag(hosted_pipeline)
    operator = dag.get_task(task)
    with pytest.raises(ConnectionMissingError) as error:
        render_and_prepare(dag, operator)
    message = str(error.value)
    assert f"{task}: the Airflow connection {connection!r} does not exist" in message
    assert f"airflow connections add {connection} " in message
    assert how in message
    assert all(sentinel not in message for sentinel in SENTINELS)


def test_a_connection_without_a_token_is_refused(hosted_pipeline, connections, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_VERCEL_STAGING", json.dumps({"conn_type": "generic", "login": "someone"}))
    dag, (frontend, _, _), _ = make_dag(hosted_pipeline)
    with pytest.raises(ConnectionMissingError, match="'vercel_staging' has no password"):
        render_and_prepare(dag, frontend)


def test_an_environment_on_the_docker_target_is_refused(pipeline):
    with pytest.raises(PipelineError, match=r"environments\.staging\.target is 'docker'"):
        make_dag(pipeline)


def test_an_unknown_environment_is_refused(hosted_pipeline):
    with pytest.raises(PipelineError, match="no environment 'qa'"):
        hosted_deploy_tasks(hosted_pipeline, "qa")


def test_hosted_deploy_dag_checks_out_the_version_before_the_scripts(hosted_pipeline, tmp_path):
    from tradosphere_cicd.workflows import deploy_environment, rollback

    path = tmp_path / "pipeline.yaml"
    dag = deploy_environment("staging", path)
    edges = {(task.task_id, downstream) for task in dag.tasks for downstream in task.downstream_task_ids}
    for edge in [
        ("prepare_release", "resolve_revision"),
        ("resolve_revision", "checkout"),
        ("checkout", "install_dependencies"),
        ("install_dependencies", "deploy_frontend"),
        ("deploy_frontend", "deploy_backend"),
        ("deploy_backend", "run_migrations"),
        ("run_migrations", "switch_traffic"),
        ("switch_traffic", "retire_previous"),
    ]:
        assert edge in edges, edge
    assert dag.get_task("cleanup_run").is_teardown

    restore = rollback(path)
    assert restore.get_task("is_rollback_of_staging").downstream_task_ids == {"rollback_release_staging"}
    assert SENTINELS[0] not in serialized(dag) + serialized(restore)
