"""The nightly suite and the weekly dependency update on the real stack, triggered as their schedule would."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest

from .conftest import (
    CI_FAILURES_HOOK,
    SECURITY_HOOK,
    SLACK_BOT_TOKEN,
    TOOL,
    UPDATE_SCRIPT,
    assert_nothing_left,
    git_head,
    push_branch,
    run_dag,
)

pytestmark = pytest.mark.e2e

RUN_TIMEOUT = 1200
UPDATE_MESSAGE = "chore: update dependencies"
UPDATE_AUTHOR = "TradoSphere CI <ci@tradosphere.invalid>"


def run(api, dag_id: str, branch: str) -> tuple[str, str, dict[str, str]]:
    return run_dag(api, dag_id, {"branch": branch, "commit": ""}, RUN_TIMEOUT)


def alerts_about(stack_env, dag_id: str, task_id: str) -> list[dict]:
    journal = Path(stack_env["TRADOSPHERE_HOME"]) / "alerts" / "alerts.jsonl"
    entries = [json.loads(line) for line in journal.read_text().splitlines()] if journal.exists() else []
    return [entry for entry in entries if f"`{dag_id}`" in entry["text"] and f"`{task_id}`" in entry["text"]]


def slack_messages_about(slack, dag_id: str, task_id: str) -> list:
    """What the local Slack took for #ci-failures (its webhook) about one task of a DAG."""
    return [
        message
        for message in slack.messages
        if CI_FAILURES_HOOK in message.path and f"`{dag_id}`" in message.text and f"`{task_id}`" in message.text
    ]


def assert_no_secret_in_slack(slack) -> None:
    for message in slack.messages:
        raw = json.dumps(message.body)
        for secret in (CI_FAILURES_HOOK, SECURITY_HOOK, SLACK_BOT_TOKEN):
            assert secret not in raw, f"{secret!r} leaked into a Slack message"


def commit_of(repository: Path, sha: str, format: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(repository), "log", "-1", f"--format={format}", sha],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def with_update(script: str):
    """A change to a branch: the update it asks the test pipeline's dependency update to make."""

    def change(work: Path) -> None:
        (work / UPDATE_SCRIPT).write_text(script)

    return change


def test_nightly_failure_stops_its_suite_and_tells_ci_failures(airflow, engine, repository, stack_env, slack, tmp_path):
    def break_integration_test(work: Path) -> None:
        spec = work / "apps" / "api" / "test" / "markets.int-spec.ts"
        broken = "it('fails in the night', () => expect(1).toBe(2));\n\ndescribe("
        spec.write_text(spec.read_text().replace("describe(", broken, 1))

    push_branch(repository, tmp_path, "nightly/integration-failure", break_integration_test)
    run_id, state, tasks = run(airflow, "nightly", "nightly/integration-failure")

    assert state == "failed"
    assert tasks["test_unit"] == "success"
    assert tasks["test_integration"] == "failed"
    e2e = {label: task_state for label, task_state in tasks.items() if label.startswith("test_e2e")}
    assert set(e2e.values()) == {"upstream_failed"}, e2e
    assert tasks["security_scan.npm_audit"] in {"success", "skipped"}
    assert tasks["stop_services"] == "success"
    assert tasks["cleanup_run"] == "success"
    alerts = alerts_about(stack_env, "nightly", "test_integration")
    assert [alert["target"] for alert in alerts] == ["#ci-failures"], alerts
    assert "1 failed" in alerts[0]["text"]  # jest's count, in the log tail
    [message] = slack_messages_about(slack, "nightly", "test_integration")
    run_link = f"{airflow.base_url}/dags/nightly/runs/{quote(run_id, safe='')}"
    assert f"<{run_link}|" in message.text
    assert f"<{run_link}/tasks/test_integration" in message.text
    assert "`nightly/integration-failure`" in message.text
    assert_no_secret_in_slack(slack)
    assert_nothing_left(engine, "nightly", run_id)


def test_dependency_update_that_passes_its_tests_is_pushed(airflow, engine, repository, tmp_path):
    bump = 'sed -i \'s|"@types/node": "^20.17.0"|"@types/node": "^20.17.1"|\' package.json\n'
    before = push_branch(repository, tmp_path, "deps/outdated", with_update(bump), base="develop")
    run_id, state, tasks = run(airflow, "dependency_update", "deps/outdated")

    assert state == "success", tasks
    for task in ("update_dependencies", "lint_and_typecheck", "test_unit", "test_integration", "push_update"):
        assert tasks[task] == "success", (task, tasks)
    after = git_head(repository, "deps/outdated")
    assert commit_of(repository, after, "%P|%an <%ae>|%s") == f"{before}|{UPDATE_AUTHOR}|{UPDATE_MESSAGE}"
    changed = subprocess.run(
        ["git", "--git-dir", str(repository), "show", "--name-only", "--format=", after],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert sorted(changed) == [UPDATE_SCRIPT, "package.json"]
    assert airflow.xcom("dependency_update", run_id, "push_update")["commit"] == after
    assert_nothing_left(engine, "dependency_update", run_id)


def test_dependency_update_that_breaks_lint_is_not_pushed_and_slack_down_loses_no_alert(
    airflow, engine, repository, stack_env, slack, tmp_path
):
    breaks = "printf '\\nconst unusedAfterUpdate = 1;\\n' >> apps/api/src/main.ts\n"
    before = push_branch(repository, tmp_path, "deps/breaking", with_update(breaks), base="develop")
    slack.down()
    try:
        run_id, state, tasks = run(airflow, "dependency_update", "deps/breaking")
    finally:
        slack.up()
    assert slack_messages_about(slack, "dependency_update", "lint_and_typecheck") == []

    assert state == "failed"
    assert tasks["update_dependencies"] == "success"
    assert tasks["lint_and_typecheck"] == "failed"
    assert tasks["push_update"] == "upstream_failed"
    assert git_head(repository, "deps/breaking") == before
    alerts = alerts_about(stack_env, "dependency_update", "lint_and_typecheck")
    assert [(alert["target"], alert["status"]) for alert in alerts] == [("#ci-failures", "spooled")], alerts
    assert_nothing_left(engine, "dependency_update", run_id)

    flushed = subprocess.run([str(TOOL), "alerts", "flush"], env=stack_env, capture_output=True, text=True)
    assert flushed.returncode == 0, flushed.stderr
    [message] = slack_messages_about(slack, "dependency_update", "lint_and_typecheck")
    assert "unusedAfterUpdate" in message.text
    assert_no_secret_in_slack(slack)


def test_dependency_update_with_nothing_to_update_pushes_nothing(airflow, engine, repository, tmp_path):
    def touch_readme(work: Path) -> None:
        (work / "README.md").write_text((work / "README.md").read_text() + "\nAll dependencies are current.\n")

    before = push_branch(repository, tmp_path, "deps/current", touch_readme, base="develop")
    run_id, state, tasks = run(airflow, "dependency_update", "deps/current")

    assert state == "success"
    assert tasks["update_dependencies"] == "skipped"
    for task in ("lint_and_typecheck", "test_unit", "test_integration", "push_update", "start_services"):
        assert tasks[task] == "skipped", (task, tasks)
    assert "nothing to update on 'deps/current'" in airflow.task_log("dependency_update", run_id, "update_dependencies")
    assert git_head(repository, "deps/current") == before
    assert_nothing_left(engine, "dependency_update", run_id)
