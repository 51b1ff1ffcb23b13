"""Every DAG file imports cleanly, and build_test_deploy has the guide's stages in the guide's order."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from tradosphere_cicd.pipeline import DEFAULT_PIPELINE_FILE, PROJECT_ROOT

DAG_FILES = sorted((PROJECT_ROOT / "dags").glob("*.py"))

GUIDE_EDGES = {
    ("resolve_revision", "checkout"),
    ("checkout", "install_dependencies"),
    ("install_dependencies", "lint_and_typecheck"),
    ("lint_and_typecheck", "test_unit"),
    ("lint_and_typecheck", "test_integration"),
    ("lint_and_typecheck", "security_scan.npm_audit"),
    ("lint_and_typecheck", "security_scan.snyk"),
    ("lint_and_typecheck", "security_scan.dependency_check"),
    ("test_unit", "test_e2e"),
    ("test_integration", "test_e2e"),
    ("test_e2e", "build_frontend"),
    ("test_e2e", "build_backend"),
    ("build_frontend", "build_docker_images"),
    ("build_backend", "build_docker_images"),
    ("resolve_revision", "start_services"),
    ("start_services", "test_integration"),
    ("start_services", "test_e2e"),
    ("test_integration", "stop_services"),
    ("test_e2e", "stop_services"),
    ("start_services", "stop_services"),
    ("stop_services", "cleanup_run"),
    ("build_docker_images", "deploy_staging"),
    ("security_scan.npm_audit", "deploy_staging"),
    ("security_scan.snyk", "deploy_staging"),
    ("security_scan.dependency_check", "deploy_staging"),
    ("deploy_staging", "smoke_tests"),
    ("smoke_tests", "hold_for_approval"),
    ("hold_for_approval", "deploy_production"),
    ("deploy_production", "cleanup_run"),
    ("checkout", "cleanup_run"),
}

DEPLOY_EDGES = {
    "deploy_staging": {
        ("prepare_release", "run_migrations"),
        ("run_migrations", "start_release"),
        ("start_release", "switch_traffic"),
        ("switch_traffic", "retire_previous"),
    },
    "deploy_production": {
        ("prepare_release", "run_migrations"),
        ("run_migrations", "start_release"),
        ("start_release", "switch_traffic"),
        ("switch_traffic", "health_check"),
        ("health_check", "retire_previous"),
        ("health_check", "rollback"),
    },
}


# The guide's nightly jobs have no requires of their own; the e2e shards still use the database that
# test_integration migrated, so they follow it and test_unit as in build_test_deploy.
NIGHTLY_EDGES = {
    ("resolve_revision", "checkout"),
    ("checkout", "install_dependencies"),
    ("install_dependencies", "test_unit"),
    ("install_dependencies", "test_integration"),
    ("install_dependencies", "security_scan.npm_audit"),
    ("install_dependencies", "security_scan.snyk"),
    ("install_dependencies", "security_scan.dependency_check"),
    ("test_unit", "test_e2e"),
    ("test_integration", "test_e2e"),
    ("resolve_revision", "start_services"),
    ("start_services", "test_integration"),
    ("start_services", "test_e2e"),
    ("start_services", "stop_services"),
    ("test_integration", "stop_services"),
    ("test_e2e", "stop_services"),
    ("stop_services", "cleanup_run"),
    ("test_e2e", "cleanup_run"),
    ("security_scan.npm_audit", "cleanup_run"),
    ("security_scan.snyk", "cleanup_run"),
    ("security_scan.dependency_check", "cleanup_run"),
    ("checkout", "cleanup_run"),
}

DEPENDENCY_UPDATE_EDGES = {
    ("resolve_revision", "checkout"),
    ("checkout", "install_dependencies"),
    ("install_dependencies", "update_dependencies"),
    ("update_dependencies", "lint_and_typecheck"),
    ("lint_and_typecheck", "test_unit"),
    ("lint_and_typecheck", "test_integration"),
    ("update_dependencies", "start_services"),
    ("start_services", "test_integration"),
    ("start_services", "stop_services"),
    ("test_integration", "stop_services"),
    ("stop_services", "cleanup_run"),
    ("test_unit", "push_update"),
    ("test_integration", "push_update"),
    ("push_update", "cleanup_run"),
    ("checkout", "cleanup_run"),
}


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(PROJECT_ROOT / "dags"))


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=[path.name for path in DAG_FILES])
def test_dag_file_imports_without_errors(dagbag, dag_file: Path):
    assert not {name: error for name, error in dagbag.import_errors.items() if name.endswith(dag_file.name)}
    assert any(dag.fileloc == str(dag_file) for dag in dagbag.dags.values())


def test_build_test_deploy_follows_the_guide(dagbag):
    dag = dagbag.dags["build_test_deploy"]
    edges = {(task.task_id, downstream) for task in dag.tasks for downstream in task.downstream_task_ids}
    assert edges == GUIDE_EDGES


@pytest.mark.parametrize("dag_id", sorted(DEPLOY_EDGES))
def test_deploy_dags_release_in_the_order_of_a_blue_green_switch(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    edges = {(task.task_id, downstream) for task in dag.tasks for downstream in task.downstream_task_ids}
    assert edges == DEPLOY_EDGES[dag_id]
    assert set(dag.params.keys()) == {"version", "frontend_image", "backend_image", "branch", "source"}
    assert dag.max_active_runs == 1


@pytest.mark.parametrize(("dag_id", "minutes"), [("deploy_staging", 5), ("deploy_production", 8)])
def test_deploy_dags_carry_the_guides_deadline(dagbag, dag_id, minutes):
    deadline = dagbag.dags[dag_id].deadline
    alert = deadline[0] if isinstance(deadline, list) else deadline
    assert alert.interval.total_seconds() == minutes * 60
    assert alert.callback.path.endswith("deployments.deploy_deadline_missed")


def test_production_needs_an_approval_and_rolls_back_on_a_failed_health_check(dagbag):
    build = dagbag.dags["build_test_deploy"]
    gate = build.get_task("hold_for_approval")
    assert gate.fail_on_reject
    assert [user["id"] for user in gate.assigned_users] == ["admin"]
    rollback = dagbag.dags["deploy_production"].get_task("rollback")
    assert rollback.trigger_dag_id == "rollback"
    assert rollback.trigger_rule == "one_failed"
    assert dagbag.dags["rollback"].params["environment"] == "production"


def test_setup_and_teardown_tasks(dagbag):
    dag = dagbag.dags["build_test_deploy"]
    assert dag.get_task("checkout").is_setup
    assert dag.get_task("start_services").is_setup
    assert dag.get_task("stop_services").is_teardown
    assert dag.get_task("cleanup_run").is_teardown


def test_e2e_is_mapped_over_four_shards(dagbag):
    from airflow.sdk.definitions.mappedoperator import MappedOperator

    task = dagbag.dags["build_test_deploy"].get_task("test_e2e")
    assert isinstance(task, MappedOperator)
    assert task.expand_input.value == {"shard": [1, 2, 3, 4]}


def test_params_are_branch_and_commit_with_defaults(dagbag):
    dag = dagbag.dags["build_test_deploy"]
    assert dag.params["branch"] == "main"
    assert dag.params["commit"] == ""
    assert dag.schedule is None
    assert not dag.catchup
    assert "tradosphere" in dag.tags


@pytest.mark.parametrize(
    ("dag_id", "next_run", "branch", "edges"),
    [
        # from Friday 2026-12-04 12:00 UTC: the next 2 AM, and the next Monday at 10
        pytest.param("nightly", datetime(2026, 12, 5, 2, 0), "main", NIGHTLY_EDGES, id="nightly"),
        pytest.param("dependency_update", datetime(2026, 12, 7, 10), "develop", DEPENDENCY_UPDATE_EDGES, id="update"),
    ],
)
def test_scheduled_workflows_run_the_guides_jobs_on_their_cron_in_utc(dagbag, dag_id, next_run, branch, edges):
    from airflow.sdk import CronTriggerTimetable
    from croniter import croniter

    dag = dagbag.dags[dag_id]
    assert isinstance(dag.timetable, CronTriggerTimetable)
    assert str(dag.timetable.timezone) == "UTC"
    assert croniter(dag.timetable.expression, datetime(2026, 12, 4, 12, 0)).get_next(datetime) == next_run
    assert dag.params["branch"] == branch
    assert not dag.catchup
    assert dag.max_active_runs == 1
    assert {(task.task_id, downstream) for task in dag.tasks for downstream in task.downstream_task_ids} == edges
    assert dag.get_task("cleanup_run").is_teardown
    assert dag.get_task("stop_services").is_teardown


def test_nightly_takes_a_commit_and_the_update_always_starts_from_the_branch_head(dagbag):
    assert dagbag.dags["nightly"].params["commit"] == ""
    assert "commit" not in dagbag.dags["dependency_update"].params


def test_an_update_with_nothing_to_change_skips_instead_of_failing(dagbag):
    from tradosphere_cicd.jobs import NOTHING_TO_UPDATE

    update = dagbag.dags["dependency_update"].get_task("update_dependencies")
    assert list(update.skip_on_exit_code) == [NOTHING_TO_UPDATE]
    assert update.network_mode == "bridge"
    steps = [step.name for step in update.spec.steps]
    assert steps == ["Update Dependencies", "Commit the update"]
    assert update.spec.uses_cache


@pytest.mark.parametrize(
    "dag_id",
    ["build_test_deploy", "nightly", "dependency_update", "deploy_staging", "deploy_production", "rollback"],
)
def test_every_task_has_an_owner_no_retries_and_tells_ci_failures(dagbag, dag_id):
    from tradosphere_cicd.notifications import task_failure_callback

    for task in dagbag.dags[dag_id].tasks:
        assert task.owner == "tradosphere-ci", task.task_id
        assert task.retries == 0, task.task_id
        callbacks = task.on_failure_callback
        assert task_failure_callback in (callbacks if isinstance(callbacks, list) else [callbacks]), task.task_id


def test_a_schedule_added_to_the_pipeline_file_becomes_a_dag_and_a_removed_one_goes(tmp_path):
    data = yaml.safe_load(DEFAULT_PIPELINE_FILE.read_text())
    del data["schedules"]["nightly"]
    data["schedules"]["weekly_e2e"] = {"cron": "0 4 * * 0", "branch": "main", "jobs": ["test_e2e"]}
    pipeline_file = tmp_path / "pipeline.yaml"
    pipeline_file.write_text(yaml.safe_dump(data))
    script = (
        "import json\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        f"bag = DagBag(dag_folder={str(PROJECT_ROOT / 'dags')!r})\n"
        "print(json.dumps({'dags': sorted(bag.dags), 'errors': sorted(bag.import_errors)}))\n"
    )
    environment = {
        **os.environ,
        "TRADOSPHERE_PIPELINE_FILE": str(pipeline_file),
        "PYTHONPATH": str(PROJECT_ROOT / "plugins"),
    }
    parsed = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True)

    found = json.loads(parsed.stdout.strip().splitlines()[-1])
    assert found["errors"] == []
    assert "weekly_e2e" in found["dags"]
    assert "nightly" not in found["dags"]
    assert "dependency_update" in found["dags"]
