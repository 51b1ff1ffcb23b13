"""Does anyone notice a deploy? Requests to an environment's public address during deploys and rollbacks.

Usage (after set-up, with Airflow running; bin/tradosphere benchmark-deploy does both):
    python benchmarks/deploy_availability.py [--environment production]

Builds four releases of the example (see tradosphere_cicd.example_releases), then, with a loop of
requests to the environment's public address running the whole time, on the real deploy DAGs:
  1. deploys a good release over another good one: failed requests during the deploy (target 0);
  2. rolls back by hand to the earlier release through the rollback DAG: failed requests (target 0);
  3. deploys the release whose API fails: the time from it going live until the previous release
     serves again (health check, rollback DAG and switch), and the requests that failed other than
     those the bad release answered itself.
A request fails when it gets no answer or a 5xx. The proxy names the colour that answered.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tradosphere_cicd.airflow_api import AirflowApi
from tradosphere_cicd.bluegreen import COLOUR_HEADER
from tradosphere_cicd.example_releases import example_releases
from tradosphere_cicd.follow import follow, login_from_environment
from tradosphere_cicd.pipeline import load_pipeline
from tradosphere_cicd.releases import ReleaseBook

REQUEST_TIMEOUT = 5
LOOP_PAUSE = 0.05
RUN_TIMEOUT = 900
PATHS = ("/", "/api/markets")


@dataclass
class Traffic:
    """What a request loop saw: every answer's time, status (None: no answer) and colour."""

    answers: list[tuple[float, int | None, str]] = field(default_factory=list)

    def failures(self, since: float, until: float, except_colour: str | None = None) -> int:
        return sum(
            1
            for at, status, colour in self.answers
            if since <= at <= until and (status is None or status >= 500) and colour != except_colour
        )

    def count(self, since: float, until: float) -> int:
        return sum(1 for at, _, _ in self.answers if since <= at <= until)


def request_loop(base_url: str, traffic: Traffic, stop: threading.Event) -> None:
    session = requests.Session()
    index = 0
    while not stop.is_set():
        path = PATHS[index % len(PATHS)]
        index += 1
        try:
            answer = session.get(base_url + path, timeout=REQUEST_TIMEOUT)
            traffic.answers.append((time.monotonic(), answer.status_code, answer.headers.get(COLOUR_HEADER, "")))
        except requests.RequestException:
            traffic.answers.append((time.monotonic(), None, ""))
        time.sleep(LOOP_PAUSE)


def serving(base_url: str) -> tuple[str, str]:
    answer = requests.get(base_url + "/api/health", timeout=REQUEST_TIMEOUT)
    return answer.json().get("version", ""), answer.headers.get(COLOUR_HEADER, "")


def run_dag(api: AirflowApi, dag_id: str, conf: dict[str, str]) -> tuple[str, float, float]:
    started = time.monotonic()
    run_id = api.trigger(dag_id, conf)
    with open("/dev/null", "w") as quiet:
        state = follow(api, dag_id, run_id, RUN_TIMEOUT, out=quiet)
    return state, started, time.monotonic()


def wait_for_version(base_url: str, version: str, timeout: float) -> float:
    """Poll until the environment answers with `version`; return when it first did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if serving(base_url)[0] == version:
                return time.monotonic()
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{base_url} did not serve {version[:12]} within {timeout:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--environment", default="production")
    args = parser.parse_args()
    pipeline = load_pipeline()
    environment = pipeline.environment(args.environment)
    if environment.health is None:
        sys.exit(f"environment {args.environment!r} has no health rules: a bad release would not be rolled back")
    base_url = environment.public_url()
    dag_id = f"deploy_{args.environment}"
    api = AirflowApi(*login_from_environment())
    for dag in (dag_id, "rollback"):
        api.wait_for_dag(dag)

    print("Building the example's releases ...", flush=True)
    releases = example_releases(Path(pipeline.repository_url()))
    print(f"Deploying the first release to {args.environment} (warm-up, not counted) ...", flush=True)
    state, _, _ = run_dag(api, dag_id, releases["first"])
    if state != "success":
        sys.exit(f"the warm-up deploy ended {state}: fix it before measuring")

    traffic, stop = Traffic(), threading.Event()
    loop = threading.Thread(target=request_loop, args=(base_url, traffic, stop), daemon=True)
    loop.start()
    try:
        print("Deploying the second release under load ...", flush=True)
        deploy_state, deploy_from, deploy_to = run_dag(api, dag_id, releases["second"])
        print("Rolling back by hand to the first release under load ...", flush=True)
        rollback_state, rollback_from, rollback_to = run_dag(
            api, "rollback", {"environment": args.environment, "version": releases["first"]["version"]}
        )
        print("Deploying the release whose API fails, under load ...", flush=True)
        bad = releases["failing"]
        book = ReleaseBook(args.environment)
        previous = book.live()
        bad_run = threading.Thread(target=run_dag, args=(api, dag_id, bad))
        bad_run.start()
        live_at = wait_for_version(base_url, bad["version"], RUN_TIMEOUT)
        bad_colour = serving(base_url)[1]
        restored_at = wait_for_version(base_url, previous.version if previous else "", RUN_TIMEOUT)
        bad_run.join(RUN_TIMEOUT)
        time.sleep(1)
    finally:
        stop.set()
        loop.join(REQUEST_TIMEOUT + 1)

    print()
    print(f"{'phase':48} {'requests':>9} {'failed':>7}  outcome")
    print(
        f"{'deploy of a good release':48} {traffic.count(deploy_from, deploy_to):9d} "
        f"{traffic.failures(deploy_from, deploy_to):7d}  {deploy_state}"
    )
    print(
        f"{'rollback by hand':48} {traffic.count(rollback_from, rollback_to):9d} "
        f"{traffic.failures(rollback_from, rollback_to):7d}  {rollback_state}"
    )
    print(
        f"{'bad release live until rolled back (not by it)':48} {traffic.count(live_at, restored_at):9d} "
        f"{traffic.failures(live_at, restored_at, except_colour=bad_colour):7d}  rolled back"
    )
    print()
    print(f"bad release answered with 5xx while live:   {traffic.failures(live_at, restored_at):6d} requests")
    print(f"bad release live to previous serving again: {restored_at - live_at:8.1f} s")
    print(f"  of which the health window allowed:       {environment.health.window_seconds:8.1f} s at most")
    return 0


if __name__ == "__main__":
    sys.exit(main())
