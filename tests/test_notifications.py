"""Slack alerts against a local Slack: channels, content, links, masked secrets, retries, the spool, no connection."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from airflow.providers.docker.exceptions import DockerContainerFailedException

from slack_server import SlackServer
from tradosphere_cicd import notifications
from tradosphere_cicd.notifications import (
    Alert,
    ApprovalRequestNotifier,
    alerts_file,
    deployment_alert,
    flush_spool,
    mask,
    security_findings_alert,
    send_alert,
    spool_dir,
    task_failure_callback,
)
from tradosphere_cicd.pipeline import DEFAULT_PIPELINE_FILE, parse_pipeline

BASE_URL = "http://127.0.0.1:8290/airflow"
RUN_ID = "manual__2026-03-01T10:00:00+00:00"
COMMIT = "0c1845a5648a9f2e7d1b3c4a5e6f708192a3b4c5"
JOB_SECRET = "s3ntinel-job-password-42"
WEBHOOK_SECRET = "sentinel-webhook-secret-77"
REVISION = {"branch": "main", "commit": COMMIT, "short_commit": COMMIT[:7]}


class FakeTaskInstance:
    """The parts of a running task instance that the callbacks read."""

    def __init__(self, task_id: str, map_index: int = -1, seconds: float = 42.0, revision: Any = REVISION) -> None:
        self.task_id = task_id
        self.dag_id = "build_test_deploy"
        self.run_id = RUN_ID
        self.map_index = map_index
        self.try_number = 1
        self.start_date = datetime.now(UTC) - timedelta(seconds=seconds)
        self.end_date = None
        self._revision = revision

    def xcom_pull(self, task_ids: str, **_: Any) -> Any:
        return self._revision if task_ids == "resolve_revision" else None


class FakeDagRun:
    dag_id = "build_test_deploy"
    run_id = RUN_ID
    run_type = "manual"
    triggering_user_name = "alice"
    conf = {"branch": "main", "commit": ""}


class FakeApprovalTask:
    task_id = "hold_for_approval"
    subject = "Deploy 0c1845a to production?"
    assigned_users = [{"id": "admin", "name": "admin"}, {"id": "carol", "name": "carol"}]
    response_timeout = timedelta(minutes=60)


def context_for(ti: FakeTaskInstance, **extra: Any) -> dict[str, Any]:
    return {"ti": ti, "task_instance": ti, "dag_run": FakeDagRun(), "run_id": RUN_ID, "params": {}, **extra}


def sentinel_pipeline():
    """The shipped pipeline with a sentinel password in a job's secret environment."""
    data = yaml.safe_load(DEFAULT_PIPELINE_FILE.read_text())
    data["jobs"]["test_unit"]["secret_environment"] = {"UNIT_DB_PASSWORD": JOB_SECRET}
    return parse_pipeline(yaml.safe_dump(data))


def webhook(server: SlackServer, secret: str = WEBHOOK_SECRET) -> str:
    return json.dumps({"conn_type": "slackwebhook", "password": server.webhook_url(secret)})


def bot(server: SlackServer) -> str:
    return json.dumps(
        {"conn_type": "slack", "password": server.bot_token, "extra": {"base_url": server.base + "/api/"}}
    )


@pytest.fixture
def alerts(tmp_path, monkeypatch, slack_server):
    """Alerts wired to the local Slack: webhooks for failures and security, a bot token for deployments."""
    monkeypatch.setenv("TRADOSPHERE_HOME", str(tmp_path))
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", BASE_URL)
    monkeypatch.setenv("TRADOSPHERE_SLACK_ATTEMPTS", "3")
    monkeypatch.setenv("TRADOSPHERE_SLACK_TIMEOUT_SECONDS", "1")
    monkeypatch.setenv("TRADOSPHERE_SLACK_BACKOFF_SECONDS", "0.05")
    monkeypatch.setenv("AIRFLOW_CONN_SLACK_CI_FAILURES", webhook(slack_server))
    monkeypatch.setenv("AIRFLOW_CONN_SLACK_SECURITY_ALERTS", webhook(slack_server, "security-hook-secret-9"))
    monkeypatch.setenv("AIRFLOW_CONN_SLACK_DEPLOYMENTS", bot(slack_server))
    pipeline = sentinel_pipeline()
    monkeypatch.setattr(notifications, "load_pipeline", lambda *_: pipeline)
    return slack_server


def assert_no_secret(server: SlackServer) -> None:
    for message in server.messages:
        raw = json.dumps(message.body)
        for secret in (JOB_SECRET, WEBHOOK_SECRET, "security-hook-secret-9", server.bot_token):
            assert secret not in raw, f"secret {secret!r} leaked into a message to {message.channel or message.path}"


def failing_unit_test() -> DockerContainerFailedException:
    logs = [
        "> pnpm test:unit --coverage",
        f"connecting with postgresql://test:{JOB_SECRET}@postgres:5432/tradosphere_test",
        f"UNIT_DB_PASSWORD={JOB_SECRET}",
        "FAIL src/markets/price.spec.ts",
        "  expected 101.5 to equal 100",
        "Tests: 1 failed, 13 passed",
    ]
    return DockerContainerFailedException("test_unit failed: a step exited non-zero (see the log above).", logs=logs)


def run_url(task: str | None = None) -> str:
    run = f"{BASE_URL}/dags/build_test_deploy/runs/{quote(RUN_ID, safe='')}"
    return run if task is None else f"{run}/tasks/{task}"


def test_failed_task_goes_to_ci_failures_with_its_run_stage_and_log(alerts):
    ti = FakeTaskInstance("test_unit", seconds=42)

    task_failure_callback(context_for(ti, exception=failing_unit_test()))

    [message] = alerts.messages
    assert message.via == "webhook"
    assert message.path.endswith(WEBHOOK_SECRET)
    text = message.text
    assert "build_test_deploy: test_unit failed" in text
    for fact in ("DAG: `build_test_deploy`", "Stage: `test_unit`", "Branch: `main`", "Commit: `0c1845a`"):
        assert fact in text
    assert "Triggered by: `alice (manual)`" in text
    assert "Duration: `42." in text
    assert "FAIL src/markets/price.spec.ts" in text
    assert "Tests: 1 failed, 13 passed" in text
    assert "postgresql://test:***@postgres" in text
    assert f"<{run_url()}|Run>" in text
    assert f"<{run_url('test_unit')}?try_number=1|Task log>" in text
    assert_no_secret(alerts)


def test_failed_shard_links_to_its_mapped_log(alerts):
    task_failure_callback(context_for(FakeTaskInstance("test_e2e", map_index=2), exception=RuntimeError("boom")))

    [message] = alerts.messages
    assert "Stage: `test_e2e[2]`" in message.text
    assert f"<{run_url('test_e2e')}/mapped/2?try_number=1|Task log>" in message.text
    assert "Why: boom" in message.text


def test_failure_before_the_revision_is_known_uses_the_parameters(alerts):
    ti = FakeTaskInstance("resolve_revision", revision=None)
    context = context_for(ti, exception=RuntimeError("branch 'nope' does not exist"))
    context["params"] = {"branch": "nope", "commit": ""}

    task_failure_callback(context)

    [message] = alerts.messages
    assert "Branch: `nope`" in message.text
    assert "Commit:" not in message.text


@pytest.mark.parametrize(
    ("kind", "kwargs", "expected"),
    [
        pytest.param(
            "deployed",
            {"previous_version": "9f8e7d6"},
            [":rocket: production: 0c1845a is live", "Previously live: `9f8e7d6`"],
            id="deployed",
        ),
        pytest.param(
            "health_check_failed",
            {"figures": {"5xx ratio": "12.0%", "p95": "2.8 s"}, "reason": "p95 above 2 s"},
            ["health check failed for 0c1845a", "Figures: 5xx ratio 12.0%, p95 2.8 s", "Why: p95 above 2 s"],
            id="health-check-failed",
        ),
        pytest.param(
            "rolled_back",
            {"previous_version": "0c1845a"},
            ["rolled back from 0c1845a to 9f8e7d6", "Before: `0c1845a` -> after: `9f8e7d6`"],
            id="rolled-back",
        ),
        pytest.param(
            "deadline_missed",
            {"reason": "8 min budget passed at readiness"},
            ["deploy of 0c1845a ran past its time budget", "Why: 8 min budget passed at readiness"],
            id="deadline-missed",
        ),
    ],
)
def test_deployment_alerts_go_to_deployments_through_the_bot_token(alerts, kind, kwargs, expected):
    version = "9f8e7d6" if kind == "rolled_back" else "0c1845a"
    ti = FakeTaskInstance("deploy_production")

    deployment_alert(kind, environment="production", version=version, context=context_for(ti), **kwargs)

    [message] = alerts.messages
    assert (message.via, message.channel) == ("api", "#deployments")
    for part in expected:
        assert part in message.text
    assert f"<{run_url()}|Run>" in message.text
    assert f"<{run_url('deploy_production')}|Task log>" in message.text
    assert "Branch: `main`" in message.text
    assert_no_secret(alerts)


def test_deployment_alert_from_a_deadline_context_links_the_run(alerts):
    context = {
        "dag_run": {"dag_id": "deploy_production", "dag_run_id": RUN_ID, "conf": {"branch": "main"}},
        "deadline": {"id": "x", "deadline_time": "2026-03-01T10:08:00+00:00"},
    }
    deployment_alert("deadline_missed", environment="production", version="0c1845a", context=context)

    [message] = alerts.messages
    assert f"{BASE_URL}/dags/deploy_production/runs/{quote(RUN_ID, safe='')}" in message.text


def test_unknown_deployment_kind_is_refused():
    with pytest.raises(ValueError, match="kind: 'shipped' is not a deployment alert"):
        deployment_alert("shipped", environment="production", version="1")


def test_security_findings_go_to_security_alerts_with_counts_and_packages(alerts):
    ti = FakeTaskInstance("security_scan.npm_audit")
    counts = {"info": 0, "low": 1, "moderate": 2, "high": 3, "critical": 1}

    security_findings_alert(context_for(ti), counts, ["next", "axios", "semver"])

    [message] = alerts.messages
    assert message.path.endswith("security-hook-secret-9")
    assert "found 1 critical and 3 high vulnerabilities" in message.text
    assert "Counts by severity: low 1, moderate 2, high 3, critical 1" in message.text
    assert "Top packages: next, axios, semver" in message.text
    assert f"<{run_url('security_scan.npm_audit')}|Task log>" in message.text
    assert_no_secret(alerts)


def test_approval_request_names_the_approvers_and_links_required_actions(alerts):
    ti = FakeTaskInstance("hold_for_approval")
    notifier = ApprovalRequestNotifier(environment="production")

    notifier(context_for(ti, task=FakeApprovalTask()))

    [message] = alerts.messages
    assert (message.via, message.channel) == ("api", "#deployments")
    assert "Approval needed to production" in message.text
    assert "Who may approve: admin, carol" in message.text
    assert "Asks: Deploy 0c1845a to production?" in message.text
    assert f"<{run_url('hold_for_approval')}/required_actions?map_index=-1|Required Actions>" in message.text
    assert f"<{run_url()}|Run>" in message.text


def test_slack_answering_500_then_200_gets_the_alert_exactly_once(alerts):
    alerts.fail_next(1)

    assert send_alert("ci_failures", Alert(title="retried")) is True

    assert alerts.requests == 2
    assert [message.text for message in alerts.messages] == ["*retried*"]
    assert not list(spool_dir().glob("*.json"))


def test_slack_down_for_a_whole_run_spools_every_alert_and_flush_delivers_them(alerts, caplog):
    alerts.down()
    caplog.set_level(logging.WARNING, logger="tradosphere_cicd.notifications")

    task_failure_callback(context_for(FakeTaskInstance("lint_and_typecheck"), exception=RuntimeError("lint")))
    task_failure_callback(context_for(FakeTaskInstance("test_unit"), exception=failing_unit_test()))
    deployment_alert("deployed", environment="production", version="0c1845a")

    assert len(list(spool_dir().glob("*.json"))) == 3
    assert "kept in" in caplog.text
    assert JOB_SECRET not in "".join(path.read_text() for path in spool_dir().glob("*.json"))
    assert alerts.messages == []

    alerts.up()
    assert flush_spool() == 3

    assert not list(spool_dir().glob("*.json"))
    texts = [message.text for message in alerts.messages]
    assert len(texts) == 3
    assert all("held back since" in text for text in texts)
    assert any("lint_and_typecheck failed" in text for text in texts)
    assert any("test_unit failed" in text for text in texts)
    assert [message.channel for message in alerts.messages if message.via == "api"] == ["#deployments"]
    assert flush_spool() == 0
    assert len(alerts.messages) == 3
    assert_no_secret(alerts)


def test_the_next_alert_that_gets_through_sends_the_spooled_ones(alerts):
    alerts.down()
    assert send_alert("ci_failures", Alert(title="first, while down")) is False
    alerts.up()

    assert send_alert("ci_failures", Alert(title="second")) is True

    texts = [message.text for message in alerts.messages]
    assert texts[0] == "*second*"
    assert "first, while down" in texts[1]
    assert "held back since" in texts[1]
    assert not list(spool_dir().glob("*.json"))


def test_slack_hanging_costs_a_bounded_wait_then_the_alert_is_spooled(alerts):
    alerts.hang()

    assert send_alert("ci_failures", Alert(title="while hanging")) is False

    assert len(list(spool_dir().glob("*.json"))) == 1
    alerts.release()
    assert flush_spool() == 1
    assert ["while hanging" in message.text for message in alerts.messages] == [True]


def test_while_slack_is_known_down_each_alert_tries_once(alerts):
    alerts.down()
    send_alert("ci_failures", Alert(title="one"))
    alerts.up()
    alerts.fail_next(10)
    before = alerts.requests

    assert send_alert("ci_failures", Alert(title="two")) is False

    assert alerts.requests - before == 1
    assert len(list(spool_dir().glob("*.json"))) == 2


def test_without_a_connection_the_alert_goes_to_the_log_and_the_alerts_file(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("TRADOSPHERE_HOME", str(tmp_path))
    for name in ("SLACK_CI_FAILURES", "SLACK_DEPLOYMENTS", "SLACK_SECURITY_ALERTS"):
        monkeypatch.delenv(f"AIRFLOW_CONN_{name}", raising=False)
    caplog.set_level(logging.WARNING, logger="tradosphere_cicd.notifications")

    task_failure_callback(context_for(FakeTaskInstance("test_unit"), exception=failing_unit_test()))

    assert "no Airflow connection 'slack_ci_failures'" in caplog.text
    assert "test_unit failed" in caplog.text
    [entry] = [json.loads(line) for line in alerts_file().read_text().splitlines()]
    assert entry["status"] == "logged: no connection"
    assert entry["target"] == "#ci-failures"
    assert "FAIL src/markets/price.spec.ts" in entry["text"]
    assert not spool_dir().exists()


def test_alerts_file_records_delivered_alerts_too(alerts):
    send_alert("ci_failures", Alert(title="recorded"))

    [entry] = [json.loads(line) for line in alerts_file().read_text().splitlines()]
    assert (entry["status"], entry["text"]) == ("delivered", "*recorded*")


def test_unknown_channel_is_logged_not_raised(alerts, caplog):
    caplog.set_level(logging.ERROR, logger="tradosphere_cicd.notifications")

    assert send_alert("general", Alert(title="lost?")) is False

    assert "the pipeline has no channel 'general'" in caplog.text


@pytest.mark.parametrize(
    ("text", "secrets", "expected"),
    [
        pytest.param("url redis://app:hunter22@redis:6379/0", [], "url redis://app:***@redis:6379/0", id="url"),
        pytest.param("token xoxb-1234567890-abcdefghij", [], "token ***", id="slack-token"),
        pytest.param("Authorization: Bearer abcdefgh12345678", [], "Authorization: ***", id="bearer"),
        pytest.param("pw=topsecret99 and topsecret99", ["topsecret99"], "pw=*** and ***", id="known-secret"),
        pytest.param("test_unit uses test", ["test"], "test_unit uses test", id="short-secret-kept"),
    ],
)
def test_mask(text, secrets, expected):
    assert mask(text, secrets) == expected
