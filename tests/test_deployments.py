"""Deploy decisions without a Docker engine: parameters, rollback targets, deadlines and the approval gate."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from airflow.sdk.exceptions import AirflowFailException

from tradosphere_cicd import deployments
from tradosphere_cicd.pipeline import DEFAULT_PIPELINE_FILE
from tradosphere_cicd.releases import Release, ReleaseBook

FIRST = "a" * 40
SECOND = "b" * 40


def release(version: str, colour: str = "blue", deployed_by: str = "") -> Release:
    return Release(
        version=version,
        frontend_image=f"tradosphere/frontend:{version}",
        backend_image=f"tradosphere/backend:{version}",
        colour=colour,
        deployed_by=deployed_by,
    )


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("TRADOSPHERE_HOME", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize(
    ("params", "message"),
    [
        pytest.param({"version": ""}, "parameter 'version' = '' is not a full commit SHA", id="empty"),
        pytest.param({"version": "main"}, "parameter 'version' = 'main' is not a full commit SHA", id="branch-name"),
        pytest.param(
            {"version": FIRST[:12]}, "is not a full commit SHA: give the 40 hexadecimal digits", id="short-sha"
        ),
        pytest.param({"version": "abc123; rm -rf /"}, "is not a full commit SHA", id="metacharacters"),
        pytest.param(
            {"version": FIRST, "backend_image": "tradosphere/backend:x $(id)"},
            "parameter 'backend_image' = 'tradosphere/backend:x $(id)' is not a Docker image reference",
            id="image-with-metacharacters",
        ),
    ],
)
def test_bad_deploy_parameters_are_refused(pipeline, params, message):
    with pytest.raises(deployments.DeployError, match=re.escape(message)):
        deployments.requested_release(pipeline, params)


def test_images_default_to_the_ones_build_docker_images_tags(pipeline):
    asked = deployments.requested_release(pipeline, {"version": FIRST.upper()})
    assert asked.version == FIRST
    assert asked.frontend_image == f"tradosphere/frontend:{FIRST}"
    assert asked.backend_image == f"tradosphere/backend:{FIRST}"


def test_rollback_goes_to_the_last_good_release_or_a_named_one(home):
    book = ReleaseBook("production")
    book.set_live(release(FIRST))
    book.record_last_good(release(FIRST))
    book.set_live(release(SECOND, "green"))

    assert deployments._rollback_target(book, "production", "").version == FIRST
    assert deployments._rollback_target(book, "production", SECOND[:8]).version == SECOND
    with pytest.raises(deployments.DeployError, match=r"version 'cafe123' was never deployed to production"):
        deployments._rollback_target(book, "production", "cafe123")


def test_rollback_without_a_last_good_release_says_what_to_give(home):
    with pytest.raises(deployments.DeployError, match="staging has no last good release recorded"):
        deployments._rollback_target(ReleaseBook("staging"), "staging", "")


def test_deadline_of_a_deploy_that_already_ended_says_nothing(home, monkeypatch):
    alerts = []
    monkeypatch.setattr(deployments.notifications, "deployment_alert", lambda kind, **kwargs: alerts.append(kind))
    ended = {"dag_id": "deploy_production", "dag_run_id": "manual__run-1", "state": "failed", "end_date": "2026-12-04"}

    deployments.handle_missed_deadline("production", DEFAULT_PIPELINE_FILE, {"dag_run": ended})

    assert alerts == []


@pytest.mark.parametrize(
    ("live_by", "rolled_back"),
    [
        pytest.param("manual__run-1", True, id="went-live-rolls-back"),
        pytest.param("manual__an-earlier-run", False, id="never-went-live-only-reports"),
    ],
)
def test_missed_deploy_deadline_rolls_back_only_a_release_that_went_live(home, monkeypatch, live_by, rolled_back):
    book = ReleaseBook("production")
    book.record_last_good(release(FIRST))
    book.set_live(release(SECOND, "green", deployed_by=live_by))
    restored, alerts = [], []

    def restore(pipeline, name, version, reason, run_id, context):
        restored.append(name)
        alerts.append("rolled_back")

    monkeypatch.setattr(deployments, "restore", restore)
    monkeypatch.setattr(deployments.notifications, "deployment_alert", lambda kind, **kwargs: alerts.append(kind))

    deployments.handle_missed_deadline(
        "production", DEFAULT_PIPELINE_FILE, {"dag_run": {"dag_id": "deploy_production", "dag_run_id": "manual__run-1"}}
    )

    assert restored == (["production"] if rolled_back else [])
    assert alerts == (["deadline_missed", "rolled_back"] if rolled_back else ["deadline_missed"])


def answer_event(option: str | None) -> dict:
    if option is None:
        return {"error": "timeout", "error_type": "timeout", "chosen_options": [], "params_input": {}}
    return {
        "chosen_options": [option],
        "params_input": {},
        "responded_at": datetime.now(UTC),
        "responded_by_user": {"id": "admin", "name": "admin"},
    }


@pytest.mark.parametrize(
    ("option", "message"),
    [
        pytest.param("Reject", "admin rejected the deploy to production: nothing deployed", id="rejected"),
        pytest.param(None, "approval window expired: nobody answered within 60 minutes", id="window-expired"),
    ],
)
def test_approval_gate_fails_the_run_without_an_approval(option, message):
    gate = deployments.ApprovalGate(environment_name="production", task_id="hold_for_approval")
    with pytest.raises(AirflowFailException, match=message):
        gate.execute_complete(context={}, event=answer_event(option))


def test_approval_gate_names_the_approvers_and_the_window(pipeline):
    gate = deployments.ApprovalGate(environment_name="production", task_id="hold_for_approval")
    assert gate.assigned_users == [
        {"id": user, "name": user} for user in pipeline.environments["production"].approval.approvers
    ]
    assert gate.response_timeout.total_seconds() == 60 * 60
    assert gate.fail_on_reject
    assert "http://127.0.0.1:8300" in gate.body


def test_approval_request_names_branch_commit_version_staging_and_the_run():
    from airflow.sdk import DAG

    class ResolvedRun:
        def xcom_pull(self, task_ids: str) -> dict[str, str]:
            assert task_ids == "resolve_revision"
            return {"branch": "main", "commit": FIRST, "short_commit": FIRST[:7]}

    with DAG("build_test_deploy", schedule=None) as dag:
        gate = deployments.ApprovalGate(environment_name="production", task_id="hold_for_approval")
    gate.render_template_fields({"ti": ResolvedRun(), "dag": dag, "run_id": "manual__2026-12-04T10:00:00+00:00"})

    assert gate.subject == f"Deploy {FIRST[:7]} of main to production?"
    assert FIRST in gate.body
    assert "http://127.0.0.1:8300" in gate.body
    assert "/dags/build_test_deploy/runs/manual__2026-12-04T10:00:00+00:00" in gate.body
