"""What Airflow costs on top of Docker: the pipeline's wall time against the same containers run by hand.

Usage (after set-up, with Airflow running; bin/tradosphere benchmark does both):
    python benchmarks/pipeline_overhead.py [--branch main]

Prints, from one session on one machine:
  1. build_test_deploy's wall time on Airflow, and each stage's time;
  2. the critical path of the same jobs (same images, commands, mounts and
     limits) run with plain `docker run` from this script, parallel where the
     DAG is parallel (the e2e shards, the two builds);
  3. the ratio of the two;
  4. the install's time with an empty pnpm store (cold) and with the store the
     first install filled (warm).
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import docker

from tradosphere_cicd import engine, revision, settings
from tradosphere_cicd.airflow_api import AirflowApi
from tradosphere_cicd.follow import follow, login_from_environment
from tradosphere_cicd.jobs import CHECKOUT, INSTALL
from tradosphere_cicd.operators import JobOperator
from tradosphere_cicd.pipeline import load_pipeline
from tradosphere_cicd.runs import RunResources
from tradosphere_cicd.services import start_services, stop_services

DAG_ID = "build_test_deploy"
CRITICAL_PATH = [
    [CHECKOUT],
    [INSTALL],
    ["lint_and_typecheck"],
    ["test_integration"],
    [("test_e2e", shard) for shard in (1, 2, 3, 4)],
    ["build_frontend", "build_backend"],
    ["build_docker_images"],
]


def run_on_airflow(branch: str) -> tuple[float, dict[str, float]]:
    """The run's wall time from its trigger to the end of its last build stage, and each task's time.

    The release stages that follow (staging, smoke tests, an approval on main) are not on the plain
    critical path: they are timed and printed, but the wall time stops at build_docker_images.
    """
    api = AirflowApi(*login_from_environment())
    api.wait_for_dag(DAG_ID)
    run_id = api.trigger(DAG_ID, {"branch": branch, "commit": ""})

    def approve(task) -> None:
        api.answer(DAG_ID, run_id, task.task_id, "Approve", task.map_index)

    with open("/dev/null", "w") as quiet:
        state = follow(api, DAG_ID, run_id, timeout=3600, out=quiet, on_approval=approve)
    if state != "success":
        sys.exit(f"the pipeline run {run_id} ended {state}: fix it before measuring")
    tasks = api.task_states(DAG_ID, run_id)
    queued = datetime.fromisoformat(api.run(DAG_ID, run_id)["queued_at"])
    built = max(datetime.fromisoformat(task.end_date) for task in tasks if task.task_id == CRITICAL_PATH[-1][0])
    return (built - queued).total_seconds(), {task.label: task.duration or 0.0 for task in tasks}


def run_job(
    client: docker.DockerClient,
    run: RunResources,
    rev: dict,
    job: str | tuple[str, int],
    extra_environment: dict[str, str] | None = None,
) -> float:
    """Run one job's container exactly as its task would, with plain docker run; return its seconds."""
    name, shard = (job, None) if isinstance(job, str) else job
    operator = JobOperator(job_name=name, shard=shard, task_id=name)
    artifacts = run.artifacts_dir(name, (shard - 1) if shard else -1)
    artifacts.mkdir(parents=True, exist_ok=True)
    operator._prepare_container(run, rev, artifacts, (shard - 1) if shard else -1)
    started = time.monotonic()
    container = client.containers.run(
        operator.image,
        operator.command,
        name=operator.container_name,
        environment={**operator.environment, **operator._private_environment, **(extra_environment or {})},
        mounts=operator.mounts,
        network_mode=operator.network_mode,
        mem_limit=operator.mem_limit,
        working_dir="/workspace",
        labels=operator.labels,
        detach=True,
    )
    result = container.wait()
    seconds = time.monotonic() - started
    if result["StatusCode"] != 0:
        print(container.logs(tail=30).decode(errors="replace"), file=sys.stderr)
        container.remove(force=True)
        sys.exit(f"{name} failed under plain docker run (exit {result['StatusCode']})")
    container.remove(force=True)
    return seconds


def run_by_hand(client: docker.DockerClient, branch: str) -> tuple[float, dict[str, float]]:
    pipeline = load_pipeline()
    mirror = revision.update_mirror(pipeline.repository_url(), settings.mirrors_root())
    rev = revision.resolve(mirror, branch, "", pipeline.repository.lockfile).as_dict() | {"mirror": str(mirror)}
    run = RunResources(DAG_ID, f"benchmark__{time.time():.0f}")
    times: dict[str, float] = {}
    started = time.monotonic()
    try:
        services_started = time.monotonic()
        start_services(client, pipeline, run, ["postgres", "redis"])
        times["start_services"] = time.monotonic() - services_started
        for stage in CRITICAL_PATH:
            with ThreadPoolExecutor(max_workers=len(stage)) as pool:
                seconds = list(pool.map(lambda job: run_job(client, run, rev, job), stage))
            for job, took in zip(stage, seconds, strict=True):
                # labelled like Airflow's task instances: shards by map index, from 0
                times[job if isinstance(job, str) else f"{job[0]}[{job[1] - 1}]"] = took
        return time.monotonic() - started, times
    finally:
        stop_services(client, run, ["postgres", "redis"])
        engine.remove_run_resources(client, run)


def install_cold_and_warm(client: docker.DockerClient, branch: str) -> tuple[float, float]:
    """Two installs into fresh workspaces: the first with an empty store, the second reusing it."""
    pipeline = load_pipeline()
    mirror = revision.update_mirror(pipeline.repository_url(), settings.mirrors_root())
    rev = revision.resolve(mirror, branch, "", pipeline.repository.lockfile).as_dict() | {"mirror": str(mirror)}
    rev["lockfile_checksum"] = f"benchmark-{time.time():.0f}"  # a key no run has used
    # cold: nothing to seed the new key from; warm: the same key, which the cold install filled
    nothing_to_restore = {"CACHE_FALLBACK": f"benchmark-no-such-entry-{time.time():.0f}-"}
    measured = []
    for attempt, environment in (("cold", nothing_to_restore), ("warm", None)):
        run = RunResources(DAG_ID, f"benchmark-install-{attempt}__{time.time():.0f}")
        try:
            run_job(client, run, rev, CHECKOUT)
            measured.append(run_job(client, run, rev, INSTALL, environment))
        finally:
            engine.remove_run_resources(client, run)
    cache = pipeline.cache
    client.containers.run(
        "tradosphere/ci-node:20",
        ["rm", "-rf", f"/cache/{cache.key_prefix}{rev['lockfile_checksum'][:16]}"],
        mounts=[docker.types.Mount("/cache", cache.volume, type="volume")],
        remove=True,
    )
    return measured[0], measured[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branch", default="develop", help="develop: images and staging, no approval to wait for")
    args = parser.parse_args()
    client = engine.connect()

    print("Running build_test_deploy on Airflow ...", flush=True)
    airflow_wall, stages = run_on_airflow(args.branch)
    print("Running the critical path with plain docker run ...", flush=True)
    plain_wall, plain = run_by_hand(client, args.branch)
    print("Measuring cold and warm installs ...", flush=True)
    cold, warm = install_cold_and_warm(client, args.branch)

    print()
    print(f"{'stage':40} {'airflow task s':>15} {'docker run s':>13}")
    for label in sorted(stages, key=lambda name: list(stages).index(name)):
        by_hand = f"{plain[label]:13.1f}" if label in plain else f"{'':>13}"
        print(f"{label:40} {stages[label]:15.1f} {by_hand}")
    print()
    print(f"pipeline wall time on Airflow (to images): {airflow_wall:6.1f} s")
    print(f"critical path with plain docker run:     {plain_wall:8.1f} s")
    print(f"ratio Airflow / plain docker:            {airflow_wall / plain_wall:8.2f}")
    print(f"install, cold pnpm store:                {cold:8.1f} s")
    print(f"install, warm pnpm store:                {warm:8.1f} s")
    print(f"ratio cold / warm install:               {cold / warm:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
