"""A small client of Airflow's REST API (v2): trigger a DAG run and watch its tasks."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

TERMINAL_RUN_STATES = {"success", "failed"}
TERMINAL_TASK_STATES = {"success", "failed", "skipped", "upstream_failed", "removed"}

# Airflow 3.3 parks an approval task and ends its first attempt; the scheduler hears of that end a few
# seconds later (up to a worker heartbeat, 5 s by default). An answer that resumes the task before then
# shares the attempt's key, and the late report of the parked attempt fails the resumed one ("Task
# killed"). People answer long after that; a program answering for them waits until the request is this old.
ANSWER_SETTLE_SECONDS = 10.0


class AirflowApiError(RuntimeError):
    """Airflow answered with an error, or not at all."""


@dataclass
class TaskState:
    task_id: str
    map_index: int
    state: str | None
    duration: float | None
    start_date: str | None = None
    end_date: str | None = None

    @property
    def label(self) -> str:
        return self.task_id if self.map_index < 0 else f"{self.task_id}[{self.map_index}]"


class AirflowApi:
    def __init__(self, base_url: str, username: str, password: str, timeout: float = 30) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self._login(username, password)

    def _login(self, username: str, password: str) -> None:
        try:
            answer = self.session.post(
                f"{self.base_url}/auth/token", json={"username": username, "password": password}, timeout=self.timeout
            )
        except requests.RequestException as error:
            raise AirflowApiError(f"Airflow at {self.base_url} does not answer: {error}") from None
        if answer.status_code not in (200, 201):
            raise AirflowApiError(f"login to {self.base_url} as {username!r} failed: HTTP {answer.status_code}")
        self.session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            answer = self.session.request(method, f"{self.base_url}/api/v2{path}", timeout=self.timeout, **kwargs)
        except requests.RequestException as error:
            raise AirflowApiError(f"{method} {path}: Airflow does not answer: {error}") from None
        if answer.status_code >= 400:
            raise AirflowApiError(f"{method} {path}: HTTP {answer.status_code}: {answer.text[:500]}")
        return answer.json() if answer.content else None

    def wait_for_dag(self, dag_id: str, timeout: float = 180) -> None:
        """Wait until the DAG is parsed and registered; fail early on an import error of its file."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self._call("GET", f"/dags/{dag_id}")
                return
            except AirflowApiError:
                errors = self._call("GET", "/importErrors").get("import_errors", [])
                for error in errors:
                    if dag_id in error.get("filename", ""):
                        raise AirflowApiError(f"{error['filename']} does not import:\n{error['stack_trace']}") from None
                time.sleep(2)
        raise AirflowApiError(f"DAG {dag_id!r} did not appear within {timeout:.0f} s: check the dag-processor log")

    def trigger(self, dag_id: str, conf: dict[str, Any], note: str | None = None) -> str:
        self._call("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
        body: dict[str, Any] = {"logical_date": None, "conf": conf}
        if note:
            body["note"] = note
        return self._call("POST", f"/dags/{dag_id}/dagRuns", json=body)["dag_run_id"]

    def run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        return self._call("GET", f"/dags/{dag_id}/dagRuns/{run_id}")

    def run_state(self, dag_id: str, run_id: str) -> str:
        return self.run(dag_id, run_id)["state"]

    def task_states(self, dag_id: str, run_id: str) -> list[TaskState]:
        answer = self._call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 200})
        return [
            TaskState(
                item["task_id"],
                item.get("map_index", -1),
                item.get("state"),
                item.get("duration"),
                item.get("start_date"),
                item.get("end_date"),
            )
            for item in answer["task_instances"]
        ]

    def task_log(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1, try_number: int = 1) -> str:
        answer = self._call(
            "GET",
            f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{try_number}",
            params={"map_index": map_index},
            headers={"Accept": "application/json"},
        )
        content = answer.get("content", [])
        if isinstance(content, list):
            return "\n".join(_log_line(item) for item in content)
        return str(content)

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value", map_index: int = -1) -> Any:
        answer = self._call(
            "GET",
            f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}",
            params={"map_index": map_index, "deserialize": True},
        )
        return answer.get("value")

    def approval(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> dict[str, Any]:
        """The human-in-the-loop request of a task: subject, body, options, assigned users, answer."""
        return self._call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/{map_index}/hitlDetails")

    def answer(
        self,
        dag_id: str,
        run_id: str,
        task_id: str,
        option: str,
        map_index: int = -1,
        settle_seconds: float = ANSWER_SETTLE_SECONDS,
    ) -> int:
        """Answer a human-in-the-loop request (Approve or Reject); return the HTTP status.

        The answer waits until the request is `settle_seconds` old, so that it never resumes the task before
        Airflow has seen its parked attempt end.
        """
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/{map_index}/hitlDetails"
        try:
            asked_at = self.approval(dag_id, run_id, task_id, map_index).get("created_at")
        except AirflowApiError:
            asked_at = None
        time.sleep(settle_delay(asked_at, settle_seconds, datetime.now(UTC)))
        try:
            answer = self.session.patch(
                f"{self.base_url}/api/v2{path}", json={"chosen_options": [option]}, timeout=self.timeout
            )
        except requests.RequestException as error:
            raise AirflowApiError(f"PATCH {path}: Airflow does not answer: {error}") from None
        return answer.status_code

    def wait_for_task(
        self, dag_id: str, run_id: str, task_id: str, states: set[str], timeout: float, map_index: int = -1
    ) -> str:
        """Wait until a task reaches one of `states` (or the run ends); return the task's state."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for task in self.task_states(dag_id, run_id):
                if task.task_id == task_id and task.map_index == map_index and task.state in states:
                    return task.state
            if self.run_state(dag_id, run_id) in TERMINAL_RUN_STATES:
                break
            time.sleep(2)
        current = {task.label: task.state for task in self.task_states(dag_id, run_id)}
        raise AirflowApiError(f"task {task_id} of {dag_id} run {run_id} did not reach {sorted(states)}: {current}")

    def runs(self, dag_id: str) -> list[dict[str, Any]]:
        return self._call("GET", f"/dags/{dag_id}/dagRuns", params={"order_by": "-run_after", "limit": 50})["dag_runs"]


def settle_delay(asked_at: str | None, settle_seconds: float, now: datetime) -> float:
    """How long to wait before answering a request made at `asked_at` (ISO 8601), so it is `settle_seconds` old."""
    try:
        asked = datetime.fromisoformat(str(asked_at).replace("Z", "+00:00"))
    except ValueError:
        return settle_seconds
    if asked.tzinfo is None:
        asked = asked.replace(tzinfo=UTC)
    age = (now - asked).total_seconds()
    return min(settle_seconds, max(0.0, settle_seconds - age))


def _log_line(item: Any) -> str:
    """One structured log record as text; an exception's type and message follow its event."""
    if not isinstance(item, dict):
        return str(item)
    line = str(item.get("event", item))
    for error in item.get("error_detail") or []:
        if isinstance(error, dict):
            line += f"\n{error.get('exc_type', 'Error')}: {error.get('exc_value', '')}"
    return line
