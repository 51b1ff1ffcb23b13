"""The pipeline budget: which build and test stages ran long, quiet within budget, and the DAG's Deadline Alert."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tradosphere_cicd import budgets, notifications
from tradosphere_cicd.budgets import TIMING_KEY, TaskTiming, judge_budget, record_stage_time, report_budget

QUEUED = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
RUN_ID = "manual__2026-03-01T10:00:00+00:00"


def at(minutes: float) -> datetime:
    return QUEUED + timedelta(minutes=minutes)


def run_of(stages: dict[str, tuple[float, float | None]], e2e_shards: list[tuple[float, float | None]] | None = None):
    """Timings of one run: stage -> (start, end) in minutes after queued; end None for a running stage."""
    timings = [
        TaskTiming(stage, at(start), at(end) if end is not None else None) for stage, (start, end) in stages.items()
    ]
    for start, end in e2e_shards or []:
        timings.append(TaskTiming("test_e2e", at(start), at(end) if end is not None else None))
    return timings


FAST_RUN = {
    "checkout": (0.1, 0.3),
    "install_dependencies": (0.3, 1.0),
    "lint_and_typecheck": (1.0, 2.5),
    "test_unit": (2.5, 4.0),
    "test_integration": (2.5, 6.0),
    "security_scan": (2.5, 3.0),
    "build_frontend": (9.0, 10.5),
    "build_backend": (9.0, 10.0),
    "build_docker_images": (10.5, 12.0),
}
FAST_E2E = [(6.0, 8.5), (6.0, 9.0), (6.1, 8.9), (6.1, 8.0)]


def test_stages_within_budget_are_quiet_even_while_the_run_waits_for_approval(pipeline):
    verdict = judge_budget(pipeline, QUEUED, at(15.01), run_of(FAST_RUN, FAST_E2E), run_unfinished=True)

    assert not verdict.over_budget
    assert verdict.elapsed_minutes == pytest.approx(12.0)
    assert verdict.over_target == []


def test_stages_over_their_targets_are_named(pipeline):
    slow = dict(FAST_RUN, lint_and_typecheck=(1.0, 3.5), build_frontend=(16.0, 17.5), build_backend=(16.0, 17.0))
    slow["build_docker_images"] = (17.5, 18.0)
    shards = [(6.0, 16.5), (6.0, 15.5), (6.1, 13.0), (6.1, 12.0)]

    verdict = judge_budget(pipeline, QUEUED, at(20), run_of(slow, shards), run_unfinished=True)

    assert verdict.over_budget
    assert verdict.elapsed_minutes == pytest.approx(18.0)
    assert [(stage.stage, stage.target_minutes) for stage in verdict.over_target] == [
        ("lint_and_typecheck", 2),
        ("test_e2e", 10),
    ]
    assert verdict.over_target[1].minutes == pytest.approx(10.5)
    lines = "\n".join(verdict.lines())
    assert "lint_and_typecheck 2.5 min (target 2)" in lines
    assert "18.0 min from queued" in lines


def test_a_stage_running_at_the_deadline_counts_against_the_budget(pipeline):
    stages = {name: FAST_RUN[name] for name in list(FAST_RUN)[:6]}
    shards = [(6.0, None), (6.0, 14.0), (6.1, 9.0), (6.1, 9.0)]

    verdict = judge_budget(pipeline, QUEUED, at(15), run_of(stages, shards), run_unfinished=True)

    assert verdict.over_budget
    assert [stage.stage for stage in verdict.running] == ["test_e2e"]
    assert verdict.running[0].minutes == pytest.approx(9.0)
    assert verdict.not_started == ["build_frontend", "build_backend", "build_docker_images"]
    assert "Still running at the deadline: test_e2e 9.0 min so far (target 10)" in verdict.lines()


def test_a_run_that_failed_early_is_not_reported_as_slow(pipeline):
    stages = {name: FAST_RUN[name] for name in ("checkout", "install_dependencies", "lint_and_typecheck")}

    verdict = judge_budget(pipeline, QUEUED, at(15), run_of(stages), run_unfinished=False)

    assert not verdict.over_budget
    assert verdict.not_started == []


def fake_reader(values: dict[tuple[str, int], object]):
    def read(dag_id, run_id, task_id, map_index, key=TIMING_KEY):
        assert (dag_id, run_id) == ("build_test_deploy", RUN_ID)
        if key == "return_value":
            return {"branch": "main", "short_commit": "0c1845a"} if task_id == "resolve_revision" else None
        return values.get((task_id, map_index))

    return read


def timings_as_xcom(stages: dict[str, tuple[float, float | None]], shards: list[tuple[float, float | None]]):
    values: dict[tuple[str, int], object] = {}
    for stage, (start, end) in stages.items():
        task_id = "security_scan.npm_audit" if stage == "security_scan" else stage
        values[(task_id, -1)] = {"started_at": at(start).isoformat(), "ended_at": at(end).isoformat() if end else None}
    for index, (start, end) in enumerate(shards):
        values[("test_e2e", index)] = {"started_at": at(start).isoformat(), "ended_at": at(end).isoformat()}
    return values


def deadline_context(state: str) -> dict:
    return {
        "dag_run": {
            "dag_id": "build_test_deploy",
            "dag_run_id": RUN_ID,
            "queued_at": QUEUED.isoformat(),
            "state": state,
            "triggered_by": "ui",
            "triggering_user_name": "alice",
            "conf": {"branch": "main", "commit": ""},
        },
        "deadline": {"id": "d1", "deadline_time": at(15).isoformat()},
    }


@pytest.fixture
def ci_failures(tmp_path, monkeypatch, slack_server):
    monkeypatch.setenv("TRADOSPHERE_HOME", str(tmp_path))
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "http://127.0.0.1:8290")
    url = slack_server.webhook_url("budget-hook-secret")
    monkeypatch.setenv("AIRFLOW_CONN_SLACK_CI_FAILURES", json.dumps({"conn_type": "slackwebhook", "password": url}))
    return slack_server


def test_deadline_callback_tells_ci_failures_which_stages_ran_long(pipeline, ci_failures, monkeypatch):
    slow = dict(FAST_RUN, build_frontend=(16.0, 17.5), build_backend=(16.0, 17.0), build_docker_images=(17.5, 18.0))
    shards = [(6.0, 16.0), (6.0, 15.5), (6.1, 13.0), (6.1, 12.0)]
    read = fake_reader(timings_as_xcom(slow, shards))
    monkeypatch.setattr(budgets, "datetime", _FrozenClock)

    verdict = report_budget(budgets.DEFAULT_PIPELINE_FILE, deadline_context("running"), reader=read)

    assert verdict is not None
    assert verdict.over_budget
    [message] = ci_failures.messages
    assert "build and test stages ran past the 15 min budget" in message.text
    assert "Over their targets" not in message.text
    assert "Slowest stages: test_e2e 10.0 min (target 10)" in message.text
    assert "Branch: `main`" in message.text
    assert "Commit: `0c1845a`" in message.text
    assert "Triggered by: `alice (ui)`" in message.text
    assert "18.0 min from queued" in message.text
    assert "<http://127.0.0.1:8290/dags/build_test_deploy/runs/manual__2026-03-01T10%3A00%3A00%2B00%3A00|Run>" in (
        message.text
    )


def test_deadline_callback_names_an_overrunning_stage(pipeline, ci_failures, monkeypatch):
    slow = dict(FAST_RUN, test_integration=(2.5, 8.0))
    read = fake_reader(timings_as_xcom(slow, [(8.0, 19.5), (8.0, 12.0)]))
    monkeypatch.setattr(budgets, "datetime", _FrozenClock)

    report_budget(budgets.DEFAULT_PIPELINE_FILE, deadline_context("running"), reader=read)

    [message] = ci_failures.messages
    assert "Over their targets: test_integration 5.5 min (target 5), test_e2e 11.5 min (target 10)" in message.text


def test_deadline_callback_is_quiet_when_the_stages_ended_within_budget(pipeline, ci_failures, monkeypatch):
    read = fake_reader(timings_as_xcom(FAST_RUN, FAST_E2E))
    monkeypatch.setattr(budgets, "datetime", _FrozenClock)

    verdict = report_budget(budgets.DEFAULT_PIPELINE_FILE, deadline_context("running"), reader=read)

    assert verdict is not None
    assert not verdict.over_budget
    assert ci_failures.messages == []
    assert not notifications.alerts_file().exists()


def test_build_test_deploy_carries_the_pipeline_budget_as_a_deadline_alert(pipeline):
    from airflow.sdk.definitions.deadline import DeadlineReference

    from tradosphere_cicd.workflows import build_test_deploy

    dag = build_test_deploy()
    deadlines = dag.deadline if isinstance(dag.deadline, list) else [dag.deadline]

    [deadline] = deadlines
    assert deadline.reference == DeadlineReference.DAGRUN_QUEUED_AT
    assert deadline.interval == timedelta(minutes=pipeline.budgets.pipeline_minutes)
    assert deadline.callback.path == "tradosphere_cicd.budgets.pipeline_budget_missed"
    assert deadline.callback.kwargs == {"pipeline_file": str(budgets.DEFAULT_PIPELINE_FILE)}


def test_every_task_of_build_test_deploy_alerts_on_failure():
    from tradosphere_cicd.notifications import task_failure_callback
    from tradosphere_cicd.workflows import build_test_deploy

    dag = build_test_deploy()
    for task in dag.tasks:
        callbacks = task.on_failure_callback
        callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
        assert task_failure_callback in callbacks, task.task_id


def test_a_stage_records_its_start_and_end():
    pushed = []

    class Ti:
        def xcom_push(self, key, value):
            pushed.append((key, value))

    record_stage_time({"ti": Ti()}, at(1))
    record_stage_time({"ti": Ti()}, at(1), at(3))

    assert pushed == [
        (TIMING_KEY, {"started_at": at(1).isoformat(), "ended_at": None}),
        (TIMING_KEY, {"started_at": at(1).isoformat(), "ended_at": at(3).isoformat()}),
    ]


class _FrozenClock(datetime):
    """The callback's clock, 20 minutes after the run was queued."""

    @classmethod
    def now(cls, tz=None):
        return at(20)


def test_a_run_with_nothing_done_at_the_deadline_counts_until_now(pipeline):
    verdict = judge_budget(pipeline, QUEUED, at(16), [], run_unfinished=True)

    assert verdict.over_budget
    assert verdict.elapsed_minutes == pytest.approx(16.0)
    assert verdict.not_started[:2] == ["checkout", "install_dependencies"]
