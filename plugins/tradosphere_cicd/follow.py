"""Trigger a DAG run and follow it to the end, printing each stage's state and duration.

Usage: python -m tradosphere_cicd.follow DAG_ID [--branch B] [--commit SHA] [--timeout SECONDS] [--approve]

When the run waits for an approval, its Required Actions page is printed; on a
terminal you are asked to approve or reject right here, and with --approve the
logged-in user approves at once.

Airflow's address and login come from AIRFLOW__API__BASE_URL and the simple auth
manager's generated password file, as bin/tradosphere sets them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from tradosphere_cicd.airflow_api import TERMINAL_RUN_STATES, AirflowApi, AirflowApiError

POLL_SECONDS = 2


def login_from_environment() -> tuple[str, str, str]:
    base_url = os.environ.get("AIRFLOW__API__BASE_URL", "http://localhost:8080")
    users = os.environ.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "admin:admin")
    username = users.split(",")[0].split(":")[0]
    passwords_file = Path(
        os.environ.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE")
        or Path(os.environ.get("AIRFLOW_HOME", "~/airflow")).expanduser()
        / "simple_auth_manager_passwords.json.generated"
    )
    try:
        password = json.loads(passwords_file.read_text())[username]
    except (OSError, KeyError, json.JSONDecodeError) as error:
        raise AirflowApiError(f"no password for {username!r} in {passwords_file}: {error}") from None
    return base_url, username, password


AWAITING_INPUT = "awaiting_input"


def follow(api: AirflowApi, dag_id: str, run_id: str, timeout: float, out=sys.stdout, on_approval=None) -> str:
    """Print every task's state change until the run ends; return the run's final state.

    `on_approval(task)` is called once for each task that starts waiting for a human answer.
    """
    started = time.monotonic()
    seen: dict[str, str | None] = {}
    while True:
        for task in sorted(api.task_states(dag_id, run_id), key=lambda t: (t.task_id, t.map_index)):
            if seen.get(task.label) != task.state and task.state:
                seen[task.label] = task.state
                duration = f"{task.duration:6.1f} s" if task.duration is not None and task.state != "running" else ""
                print(f"[{time.monotonic() - started:6.0f} s] {task.label:40} {task.state:16} {duration}", file=out)
                out.flush()
                if task.state == AWAITING_INPUT and on_approval is not None:
                    on_approval(task)
        state = api.run_state(dag_id, run_id)
        if state in TERMINAL_RUN_STATES:
            return state
        if time.monotonic() - started > timeout:
            raise AirflowApiError(f"run {run_id} of {dag_id} still {state} after {timeout:.0f} s")
        time.sleep(POLL_SECONDS)


def approver(api: AirflowApi, base_url: str, dag_id: str, run_id: str, approve: bool):
    """What to do when the run waits for an approval: print where to answer, then approve or ask."""

    def on_approval(task) -> None:
        request = api.approval(dag_id, run_id, task.task_id, task.map_index)
        users = ", ".join(user.get("id", "?") for user in request.get("assigned_users") or []) or "anyone"
        link = (
            f"{base_url}/dags/{dag_id}/runs/{run_id}/tasks/{task.task_id}/required_actions?map_index={task.map_index}"
        )
        print(f"\n{request.get('subject', 'Approval needed')}\n  approvers: {users}\n  answer here: {link}\n")
        if approve:
            choice = "Approve"
        elif sys.stdin.isatty():
            reply = input("Approve? [y/N] (or answer in the UI and press Enter) ").strip().lower()
            choice = "Approve" if reply in {"y", "yes"} else ("Reject" if reply in {"n", "no"} else "")
        else:
            print("Waiting for an approver to answer in the UI (or rerun with --approve).")
            return
        if choice:
            status = api.answer(dag_id, run_id, task.task_id, choice, task.map_index)
            print(f"{choice}: HTTP {status}" + (" (not an approver of this gate)" if status == 403 else ""))

    return on_approval


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="follow", description=__doc__.splitlines()[0])
    parser.add_argument("dag_id")
    parser.add_argument("--branch", default="main")
    parser.add_argument("--commit", default="")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--approve", action="store_true", help="approve the production deploy without asking")
    args = parser.parse_args(argv)

    try:
        base_url, username, password = login_from_environment()
        api = AirflowApi(base_url, username, password)
        api.wait_for_dag(args.dag_id)
        conf = {"branch": args.branch, **({"commit": args.commit} if args.commit else {})}
        run_id = api.trigger(args.dag_id, conf)
        print(f"Triggered {args.dag_id} run {run_id} on branch {args.branch}", file=sys.stdout)
        print(f"Watch it: {base_url}/dags/{args.dag_id}/runs/{run_id}", file=sys.stdout)
        state = follow(
            api,
            args.dag_id,
            run_id,
            args.timeout,
            on_approval=approver(api, base_url, args.dag_id, run_id, args.approve),
        )
    except AirflowApiError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Run {run_id}: {state}")
    return 0 if state == "success" else 1


if __name__ == "__main__":
    sys.exit(main())
