"""Operators that run the pipeline's jobs as Docker containers on a run's workspace."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from airflow.providers.docker.exceptions import DockerContainerFailedException
from airflow.providers.docker.operators.docker import DockerOperator
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
from docker.types import Mount

from tradosphere_cicd import settings
from tradosphere_cicd.budgets import record_stage_time
from tradosphere_cicd.jobs import (
    NOTHING_TO_UPDATE,
    NOTHING_TO_UPDATE_MARKER,
    SMOKE_TESTS,
    UPDATE,
    JobSpec,
    job_spec,
    update_spec,
)
from tradosphere_cicd.pipeline import DEFAULT_PIPELINE_FILE, load_pipeline
from tradosphere_cicd.results import JobSummary, count_junit
from tradosphere_cicd.runs import RunResources

if TYPE_CHECKING:
    from airflow.sdk import Context

log = logging.getLogger(__name__)

RESOLVE_TASK = "resolve_revision"
TAIL_LINES = 30


def skip(reason: str) -> NoReturn:
    """Skip the task with a reason that shows in its log (Airflow itself logs only "Skipping task")."""
    log.warning("Skipped: %s", reason)
    raise AirflowSkipException(reason)


def run_resources(context: Mapping[str, Any]) -> RunResources:
    return RunResources(dag_id=context["dag"].dag_id, run_id=context["run_id"])


def revision_of(context: Mapping[str, Any]) -> dict[str, Any]:
    revision = context["ti"].xcom_pull(task_ids=RESOLVE_TASK)
    if not revision:
        raise RuntimeError(f"no revision from task {RESOLVE_TASK!r}: it must run first and succeed")
    return revision


class JobOperator(DockerOperator):
    """
    Run one job of the pipeline file in a container on the run's workspace volume.

    The job's steps come from ``include/pipeline.yaml``; the container gets them as
    environment and runs them with the in-image runner, so no parameter is ever
    pasted into a shell string. JUnit results and artifacts land in the run's
    artifacts folder on the host, and the job returns a summary as its XCom.

    :param job_name: a job of the pipeline file, or ``checkout`` / ``install_dependencies``.
    :param shard: 1-based shard index for a sharded job (mapped with ``expand``).
    :param pipeline_file: the pipeline file; the default is ``include/pipeline.yaml``.
    :param spec: what the container runs, when it is not a job of the pipeline file by that name.
    """

    def __init__(
        self,
        *,
        job_name: str,
        shard: int | None = None,
        pipeline_file: str = str(DEFAULT_PIPELINE_FILE),
        spec: JobSpec | None = None,
        **kwargs: Any,
    ) -> None:
        pipeline = load_pipeline(Path(pipeline_file))
        spec = spec or job_spec(pipeline, job_name)
        if shard is not None and not (spec.shards and 1 <= shard <= spec.shards):
            raise ValueError(f"shard: {shard!r} is out of range for job {job_name!r} (shards: {spec.shards})")
        kwargs.setdefault("task_id", job_name)
        super().__init__(
            image=spec.image,
            command=["node", "/opt/pipeline/run-job.mjs"],
            docker_url=settings.docker_url(),
            mem_limit=spec.memory,
            network_mode=spec.network,
            working_dir="/workspace",
            auto_remove="force",
            mount_tmp_dir=False,
            tty=False,
            **kwargs,
        )
        self.job_name = job_name
        self.shard = shard
        self.pipeline_file = pipeline_file
        self.spec = spec

    def execute(self, context: Context) -> Any:
        started_at = datetime.now(UTC)
        record_stage_time(context, started_at)
        try:
            return self._run_job(context)
        finally:
            record_stage_time(context, started_at, datetime.now(UTC))

    def _run_job(self, context: Context) -> Any:
        run = run_resources(context)
        revision = revision_of(context)
        ti_map_index = context["ti"].map_index
        map_index = ti_map_index if self.shard is not None and ti_map_index is not None else -1
        if not self.spec.allows_branch(revision["branch"]):
            rule = self.spec.branches.describe() if self.spec.branches else ""
            skip(f"{self.task_id} {rule}: skipped on branch {revision['branch']!r}")

        artifacts_dir = run.artifacts_dir(self.task_id, map_index)
        artifacts_dir.mkdir(parents=True, exist_ok=True)
        self._prepare_container(run, revision, artifacts_dir, map_index)
        log.info(
            "Job %s%s: commit %s on %s, image %s, container %s, network %s",
            self.job_name,
            f" shard {self.shard}/{self.spec.shards}" if self.shard else "",
            revision["short_commit"],
            revision["branch"],
            self.image,
            self.container_name,
            self.network_mode,
        )

        started = time.monotonic()
        try:
            super().execute(context)
        except DockerContainerFailedException as error:
            summary = self._summarize("failed", started, artifacts_dir)
            log.error("%s", summary.line())
            tail = [str(line) for line in (error.logs or [])][-TAIL_LINES:]
            if tail:
                log.error("Last %d lines of %s:\n%s", len(tail), self.container_name, "\n".join(tail))
            raise DockerContainerFailedException(
                f"{self.task_id} failed: a step exited non-zero (see the log above). {summary.line()}",
                logs=error.logs,
            ) from None
        summary = self._summarize("passed", started, artifacts_dir)
        log.info("%s", summary.line())
        return summary.as_dict()

    def _prepare_container(
        self, run: RunResources, revision: dict[str, Any], artifacts_dir: Path, map_index: int
    ) -> None:
        spec = self.spec
        self.container_name = run.container(self.task_id, map_index)
        self.labels = run.labels(self.task_id)
        self.mounts = [
            Mount(target="/workspace", source=run.workspace_volume, type="volume"),
            Mount(target="/artifacts", source=str(artifacts_dir), type="bind"),
        ]
        if spec.services:
            self.network_mode = run.network
        environment = {
            **spec.environment,
            "CI": "true",
            "JOB_NAME": self.job_name,
            "JOB_STEPS": json.dumps([step.model_dump() for step in spec.steps]),
            "JOB_ARTIFACTS": json.dumps(spec.paths(spec.artifacts + spec.test_results, self.shard)),
            "BRANCH": revision["branch"],
            "COMMIT_SHA": revision["commit"],
            **spec.for_shard(self.shard),
        }
        if spec.uses_mirror:
            self.mounts.append(Mount(target="/mirror", source=revision["mirror"], type="bind", read_only=True))
        if spec.uses_cache:
            self._use_cache(revision, environment)
        if spec.uses_docker:
            self._use_engine(environment)
        self.environment = environment
        self._private_environment = dict(spec.secret_environment)

    def _use_cache(self, revision: dict[str, Any], environment: dict[str, str]) -> None:
        cache = load_pipeline(Path(self.pipeline_file)).cache
        checksum = revision.get("lockfile_checksum") or "no-lockfile"
        self.mounts.append(Mount(target="/cache", source=cache.volume, type="volume"))
        environment.update(
            CACHE_ROOT="/cache", CACHE_KEY=f"{cache.key_prefix}{checksum[:16]}", CACHE_FALLBACK=cache.key_prefix
        )

    def _use_engine(self, environment: dict[str, str]) -> None:
        socket = settings.docker_socket_path(self.docker_url if isinstance(self.docker_url, str) else "")
        if socket:
            self.mounts.append(Mount(target="/var/run/docker.sock", source=socket, type="bind"))
            environment["DOCKER_HOST"] = "unix:///var/run/docker.sock"
        else:
            environment["DOCKER_HOST"] = str(self.docker_url)
        environment["DOCKER_BUILDKIT"] = "0"

    def _summarize(self, outcome: str, started: float, artifacts_dir: Path) -> JobSummary:
        folders = [artifacts_dir / path for path in self.spec.paths(self.spec.test_results, self.shard)]
        counts, _ = count_junit(folders)
        return JobSummary(
            job=self.task_id if self.shard is None else f"{self.task_id}[{self.shard}/{self.spec.shards}]",
            outcome=outcome,
            duration_seconds=round(time.monotonic() - started, 1),
            passed=counts.passed,
            failed=counts.failed,
            skipped=counts.skipped,
            artifacts=str(artifacts_dir),
        )


class SmokeTestsOperator(JobOperator):
    """
    The guide's smoke tests against an environment that was just deployed, on the run's workspace.

    For the docker target the container joins the environment's network and reaches it through its
    reverse proxy; otherwise it uses the environment's public address.

    :param environment_name: the environment the smoke tests run against.
    """

    def __init__(self, *, environment_name: str, **kwargs: Any) -> None:
        kwargs.setdefault("task_id", SMOKE_TESTS)
        super().__init__(job_name=SMOKE_TESTS, **kwargs)
        self.environment_name = environment_name

    def _prepare_container(
        self, run: RunResources, revision: dict[str, Any], artifacts_dir: Path, map_index: int
    ) -> None:
        super()._prepare_container(run, revision, artifacts_dir, map_index)
        from tradosphere_cicd.bluegreen import internal_url, stack_prefix

        environment = load_pipeline(Path(self.pipeline_file)).environment(self.environment_name)
        if environment.target == "docker":
            self.network_mode = stack_prefix(self.environment_name)
            self.environment["BASE_URL"] = internal_url(self.environment_name)
        else:
            self.network_mode = "bridge"
            self.environment["BASE_URL"] = environment.public_url()
        log.info("Smoke tests against %s at %s", self.environment_name, self.environment["BASE_URL"])


class UpdateDependenciesOperator(JobOperator):
    """
    The dependency update of a schedule: its steps on the run's checkout, then a commit of what they changed.

    The commit leaves the container as a git bundle in the task's artifacts; the run's tests then run on the
    updated workspace, and only then is it pushed. When nothing changed, the task is skipped and so is the
    rest of the run.

    :param schedule_name: the schedule of the pipeline file whose ``update`` section this runs.
    """

    def __init__(self, *, schedule_name: str, pipeline_file: str = str(DEFAULT_PIPELINE_FILE), **kwargs: Any):
        spec = update_spec(load_pipeline(Path(pipeline_file)), schedule_name)
        super().__init__(
            job_name=UPDATE, pipeline_file=pipeline_file, spec=spec, skip_on_exit_code=NOTHING_TO_UPDATE, **kwargs
        )
        self.schedule_name = schedule_name

    def _run_job(self, context: Context) -> Any:
        try:
            return super()._run_job(context)
        except AirflowSkipException:
            marker = run_resources(context).artifacts_dir(self.task_id) / NOTHING_TO_UPDATE_MARKER
            if not marker.exists():
                raise AirflowFailException(
                    f"a step of the update exited with {NOTHING_TO_UPDATE} before its changes were committed; "
                    "nothing is pushed (see the steps above)"
                ) from None
            skip(
                f"nothing to update on {revision_of(context)['branch']!r}: the update steps changed no file, "
                "so there is nothing to test or push"
            )
