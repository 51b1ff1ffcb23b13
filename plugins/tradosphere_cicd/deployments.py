"""Releasing to an environment: the deploy and rollback steps, the approval gate and the health check."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.providers.docker.operators.docker import DockerOperator
from airflow.providers.standard.exceptions import HITLRejectException, HITLTimeoutError
from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import BaseSensorOperator
from airflow.sdk.exceptions import AirflowFailException

from tradosphere_cicd import engine, health, notifications, settings
from tradosphere_cicd.bluegreen import DeployError, DockerEnvironment
from tradosphere_cicd.operators import revision_of, skip
from tradosphere_cicd.pipeline import DEFAULT_PIPELINE_FILE, Pipeline, load_pipeline
from tradosphere_cicd.releases import Release, ReleaseBook
from tradosphere_cicd.revision import COMMIT_PATTERN

if TYPE_CHECKING:
    from airflow.sdk import Context

log = logging.getLogger(__name__)

# deploys name the full SHA, as the images are tagged; a rollback may name a prefix of a recorded one
FULL_SHA_PATTERN = re.compile(r"^[0-9a-f]{40}$")
IMAGE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._/:-]*(@sha256:[0-9a-f]{64})?$")
PREPARE_TASK = "prepare_release"
ROLLBACK_DAG = "rollback"
FINISHED_RUN_STATES = {"success", "failed"}


def deploy_dag_id(environment: str) -> str:
    return f"deploy_{environment}"


# ---------------------------------------------------------------------------------------------- releases


def requested_release(pipeline: Pipeline, params: Mapping[str, Any]) -> Release:
    """The release a deploy run was asked for: a version (commit SHA) and the images of that version."""
    version = str(params.get("version") or "").strip().lower()
    if not FULL_SHA_PATTERN.match(version):
        raise DeployError(
            f"parameter 'version' = {version!r} is not a full commit SHA: give the 40 hexadecimal digits of "
            "the commit whose images build_test_deploy built (they are tagged with it)"
        )
    frontend = str(params.get("frontend_image") or "") or pipeline.release_image("frontend", version)
    backend = str(params.get("backend_image") or "") or pipeline.release_image("backend", version)
    for key, image in (("frontend_image", frontend), ("backend_image", backend)):
        if not IMAGE_PATTERN.match(image):
            raise DeployError(f"parameter {key!r} = {image!r} is not a Docker image reference such as repo/name:tag")
    return Release(version=version, frontend_image=frontend, backend_image=backend)


def prepare(pipeline: Pipeline, name: str, params: Mapping[str, Any], run_id: str) -> dict[str, Any]:
    """Check the release, bring up the environment's stack, and record what is live now as the last good."""
    environment = pipeline.environment(name)
    release = requested_release(pipeline, params)
    book = ReleaseBook(name)
    live = book.live()
    colour = None
    if environment.target == "docker":
        client = engine.connect()
        try:
            _check_images_exist(client, release)
            stack = DockerEnvironment(client, name, environment)
            stack.ensure_stack()
            colour = stack.idle_colour()
        finally:
            client.close()
    if live is None:
        log.info("%s has no live release yet: this is its first, nothing to roll back to", name)
    elif live.version != release.version:
        book.record_last_good(live)
        log.info("%s: live release %s recorded as the last good one", name, live.version[:12])
    else:
        log.info("%s: version %s is already live; deploying it again", name, live.version[:12])
    log.info(
        "Deploying %s to %s (%s target%s): frontend %s, backend %s",
        release.version[:12],
        name,
        environment.target,
        f", into the idle colour {colour}" if colour else "",
        release.frontend_image,
        release.backend_image,
    )
    return {
        "release": replace(release, colour=colour, deployed_by=run_id).as_dict(),
        "previous": live.as_dict() if live else None,
    }


def _check_images_exist(client, release: Release) -> None:
    from docker.errors import ImageNotFound

    for image in (release.frontend_image, release.backend_image):
        try:
            client.images.get(image)
        except ImageNotFound:
            raise DeployError(
                f"image {image} is not on the Docker engine at {settings.docker_url()}: build it with "
                "build_test_deploy (build_docker_images) for this version, or name an existing image"
            ) from None


def prepared(context: Mapping[str, Any]) -> tuple[Release, Release | None]:
    prepared_release = context["ti"].xcom_pull(task_ids=PREPARE_TASK)
    if not prepared_release:
        raise DeployError(f"no release from task {PREPARE_TASK!r}: it must run first and succeed")
    previous = prepared_release.get("previous")
    return Release.from_dict(prepared_release["release"]), Release.from_dict(previous) if previous else None


def start(pipeline: Pipeline, name: str, release: Release) -> None:
    client = engine.connect()
    try:
        stack = DockerEnvironment(client, name, pipeline.environment(name))
        colour = release.colour or stack.idle_colour()
        started = time.monotonic()
        stack.start(release, colour)
        log.info("%s: release %s ready in %s after %.1f s", name, release.version[:12], colour, _since(started))
    finally:
        client.close()


def go_live(pipeline: Pipeline, name: str, release: Release) -> dict[str, Any]:
    """Switch the environment's traffic to the release in one step and record it as live."""
    environment = pipeline.environment(name)
    if environment.target == "docker":
        client = engine.connect()
        try:
            stack = DockerEnvironment(client, name, environment)
            colour = release.colour or stack.idle_colour()
            started = time.monotonic()
            stack.switch(colour)
            log.info("%s: traffic switched to %s in %.2f s", name, colour, _since(started))
        finally:
            client.close()
    ReleaseBook(name).set_live(release)
    log.info("%s now serves %s at %s", name, release.version[:12], environment.public_url())
    return release.as_dict()


def retire_previous(pipeline: Pipeline, name: str, release: Release, previous: Release | None) -> list[str]:
    """After the release proved itself, remove the colour it replaced; refuse if it is no longer live."""
    live = ReleaseBook(name).live()
    if live is None or live.deployed_by != release.deployed_by:
        raise AirflowFailException(
            f"{name}: release {release.version[:12]} is no longer live (now: {live.version[:12] if live else 'none'}): "
            "it was rolled back while it was being observed"
        )
    environment = pipeline.environment(name)
    if environment.target != "docker" or previous is None or previous.colour in (None, release.colour):
        return []
    client = engine.connect()
    try:
        removed = DockerEnvironment(client, name, environment).retire(previous.colour)
    finally:
        client.close()
    log.info("%s: previous release %s retired from %s: %s", name, previous.version[:12], previous.colour, removed)
    return removed


def restore(
    pipeline: Pipeline, name: str, version: str, reason: str, run_id: str, context: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Put a recorded release back: the last good one, or the given version from the environment's history.

    #deployments hears of it, with the versions before and after, when the release changed.
    """
    environment = pipeline.environment(name)
    book = ReleaseBook(name)
    live = book.live()
    target = _rollback_target(book, name, version)
    log.info(
        "Rolling %s back from %s to %s (%s)",
        name,
        live.version[:12] if live else "nothing",
        target.version[:12],
        reason,
    )
    unchanged = {"environment": name, "before": target.version, "after": target.version, "changed": False}
    already_live = live is not None and live.version == target.version
    if environment.target == "docker":
        client = engine.connect()
        try:
            stack = DockerEnvironment(client, name, environment)
            stack.ensure_stack()
            if already_live and live is not None and stack.live_colour() == live.colour:
                log.info("%s already serves %s: nothing to do", name, target.version[:12])
                return unchanged
            colour = target.colour if target.colour and stack.running_version(target.colour) == target.version else None
            if colour is None:
                colour = stack.idle_colour()
                stack.start(replace(target, colour=colour), colour)
            stack.switch(colour)
            target = replace(target, colour=colour)
        finally:
            client.close()
    elif already_live:
        log.info("%s already serves %s: nothing to do", name, target.version[:12])
        return unchanged
    book.set_live(replace(target, deployed_by=run_id))
    before = live.version if live else None
    log.info("%s serves %s again at %s", name, target.version[:12], environment.public_url())
    notifications.deployment_alert(
        "rolled_back", environment=name, version=target.version, previous_version=before, reason=reason, context=context
    )
    return {"environment": name, "before": before, "after": target.version, "changed": True}


def _rollback_target(book: ReleaseBook, name: str, version: str) -> Release:
    version = version.strip().lower()
    if not version:
        last_good = book.last_good()
        if last_good is None:
            raise DeployError(f"{name} has no last good release recorded: give the version to roll back to")
        return last_good
    if not COMMIT_PATTERN.match(version):
        raise DeployError(f"parameter 'version' = {version!r} is not a commit SHA (7 to 40 hexadecimal digits)")
    for release in reversed(book.history()):
        if release.version.startswith(version):
            return release
    known = ", ".join(release.version[:12] for release in book.history()) or "none"
    raise DeployError(f"version {version!r} was never deployed to {name} (releases: {known})")


def _since(started: float) -> float:
    return time.monotonic() - started


# ---------------------------------------------------------------------------------------------- operators


class MigrationOperator(DockerOperator):
    """
    Run the database migrations of a release's backend image against the environment's database.

    The database URL (with the stack's generated password) is read at run time and reaches the
    container as private environment only.

    :param environment_name: an environment of the pipeline file with the docker target.
    :param command: the migration command in the backend image.
    """

    def __init__(
        self,
        *,
        environment_name: str,
        command: list[str],
        pipeline_file: str = str(DEFAULT_PIPELINE_FILE),
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("task_id", "run_migrations")
        super().__init__(
            image="tradosphere/backend:latest",
            command=command,
            docker_url=settings.docker_url(),
            mem_limit="512m",
            auto_remove="force",
            mount_tmp_dir=False,
            tty=False,
            **kwargs,
        )
        self.environment_name = environment_name
        self.pipeline_file = pipeline_file

    def execute(self, context: Context) -> Any:
        release, _ = prepared(context)
        pipeline = load_pipeline(Path(self.pipeline_file))
        client = engine.connect()
        try:
            stack = DockerEnvironment(client, self.environment_name, pipeline.environment(self.environment_name))
            self.network_mode = stack.network
            self._private_environment = {"DATABASE_URL": stack.database_url()}
        finally:
            client.close()
        self.image = release.backend_image
        self.container_name = f"{stack.prefix}-migrate-{release.version[:12]}"
        log.info("Migrating the %s database with %s", self.environment_name, self.image)
        super().execute(context)
        return {"environment": self.environment_name, "image": self.image}


class ReleaseOperator(TriggerDagRunOperator):
    """
    Deploy the run's commit to one environment by triggering its deploy DAG and waiting for it.

    The wait is deferred (no worker slot is held). A branch the environment does not take is
    skipped with the rule named.
    """

    def __init__(self, *, environment_name: str, pipeline_file: str = str(DEFAULT_PIPELINE_FILE), **kwargs: Any):
        kwargs.setdefault("task_id", deploy_dag_id(environment_name))
        super().__init__(
            trigger_dag_id=deploy_dag_id(environment_name),
            wait_for_completion=True,
            deferrable=True,
            poke_interval=5,
            failed_states=["failed"],
            **kwargs,
        )
        self.environment_name = environment_name
        self.pipeline_file = pipeline_file

    def execute(self, context: Context) -> Any:
        pipeline = load_pipeline(Path(self.pipeline_file))
        environment = pipeline.environment(self.environment_name)
        revision = revision_of(context)
        if not environment.allows_branch(revision["branch"]):
            rule = environment.branches.describe() if environment.branches else ""
            skip(f"{self.environment_name} {rule}: branch {revision['branch']!r} is not deployed there")
        self.conf = {
            "version": revision["commit"],
            "branch": revision["branch"],
            "frontend_image": pipeline.release_image("frontend", revision["commit"]),
            "backend_image": pipeline.release_image("backend", revision["commit"]),
            "source": f"{context['dag'].dag_id} {context['run_id']} ({revision['branch']})",
        }
        log.info("Deploying %s of %s to %s", revision["short_commit"], revision["branch"], self.environment_name)
        return super().execute(context)


class RollbackOperator(TriggerDagRunOperator):
    """Roll the environment back through the rollback DAG, but only if this run's release went live."""

    def __init__(self, *, environment_name: str, **kwargs: Any) -> None:
        kwargs.setdefault("task_id", "rollback")
        kwargs.setdefault("trigger_rule", "one_failed")
        super().__init__(
            trigger_dag_id=ROLLBACK_DAG,
            wait_for_completion=True,
            deferrable=True,
            poke_interval=5,
            failed_states=["failed"],
            **kwargs,
        )
        self.environment_name = environment_name

    def execute(self, context: Context) -> Any:
        live = ReleaseBook(self.environment_name).live()
        if live is None or live.deployed_by != context["run_id"]:
            skip(f"the release of this run never went live on {self.environment_name}: nothing to roll back")
        self.conf = {
            "environment": self.environment_name,
            "version": "",
            "reason": f"health check of {live.version[:12]} failed ({context['dag'].dag_id} {context['run_id']})",
        }
        return super().execute(context)


class ApprovalGate(ApprovalOperator):
    """
    The guide's hold-for-approval: named approvers answer in the Airflow UI (Required Actions).

    Reject fails the run; so does an answer that does not come within the approval window.
    """

    def __init__(self, *, environment_name: str, pipeline_file: str = str(DEFAULT_PIPELINE_FILE), **kwargs: Any):
        pipeline = load_pipeline(Path(pipeline_file))
        environment = pipeline.environment(environment_name)
        if environment.approval is None:
            raise ValueError(f"environment_name: {environment_name!r} has no approval section in the pipeline file")
        approval = environment.approval
        kwargs.setdefault("task_id", "hold_for_approval")
        staging = [
            name for name in (pipeline.release.environments if pipeline.release else []) if name != environment_name
        ]
        staged_at = pipeline.environment(staging[0]).public_url() if staging else "(no earlier environment)"
        super().__init__(
            subject=(
                f"Deploy {{{{ ti.xcom_pull(task_ids='resolve_revision')['short_commit'] }}}} of "
                f"{{{{ ti.xcom_pull(task_ids='resolve_revision')['branch'] }}}} to {environment_name}?"
            ),
            body=(
                f"Version **{{{{ ti.xcom_pull(task_ids='resolve_revision')['commit'] }}}}** passed its tests and "
                f"smoke tests and runs on {staging[0] if staging else 'staging'}: {staged_at}\n\n"
                f"Run: {notifications.base_url()}/dags/{{{{ dag.dag_id }}}}/runs/{{{{ run_id }}}}\n\n"
                f"Approvers: {', '.join(approval.approvers)}. The gate closes after {approval.window_minutes:g} "
                "minutes; then nothing is deployed."
            ),
            assigned_users=[{"id": user, "name": user} for user in approval.approvers],
            response_timeout=timedelta(minutes=approval.window_minutes),
            fail_on_reject=True,
            notifiers=[
                notifications.ApprovalRequestNotifier(environment=environment_name, approvers=approval.approvers)
            ],
            **kwargs,
        )
        self.environment_name = environment_name
        self.window_minutes = approval.window_minutes
        self.branches = environment.branches

    def execute(self, context: Context) -> Any:
        revision = revision_of(context)
        if self.branches is not None and not self.branches.allows(revision["branch"]):
            skip(f"{self.environment_name} {self.branches.describe()}: no approval asked for {revision['branch']!r}")
        return super().execute(context)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> Any:
        try:
            answer = super().execute_complete(context, event)
        except HITLTimeoutError:
            raise AirflowFailException(
                f"approval window expired: nobody answered within {self.window_minutes:g} minutes, so nothing was "
                f"deployed to {self.environment_name}; the images and artifacts of this run are kept"
            ) from None
        except HITLRejectException:
            who = (event.get("responded_by_user") or {}).get("name", "an approver")
            raise AirflowFailException(
                f"{who} rejected the deploy to {self.environment_name}: nothing deployed"
            ) from None
        who = (answer.get("responded_by_user") or {}).get("name", "?")
        log.info("%s approved the deploy to %s", who, self.environment_name)
        return answer


class HealthCheckSensor(BaseSensorOperator):
    """
    Watch an environment after a release went live, and fail on the guide's rollback triggers.

    Every poke sends a burst of requests to the frontend and the backend through the public address
    and probes the database; the run fails as soon as a trigger is crossed, and succeeds when the
    observation window passes. The figures go to the log and to XCom.
    """

    def __init__(self, *, environment_name: str, pipeline_file: str = str(DEFAULT_PIPELINE_FILE), **kwargs: Any):
        environment = load_pipeline(Path(pipeline_file)).environment(environment_name)
        if environment.health is None:
            raise ValueError(f"environment_name: {environment_name!r} has no health section in the pipeline file")
        rules = environment.health
        kwargs.setdefault("task_id", "health_check")
        super().__init__(
            poke_interval=rules.interval_seconds,
            timeout=rules.window_seconds * 3 + 60,
            mode="poke",
            **kwargs,
        )
        self.environment_name = environment_name
        self.pipeline_file = pipeline_file
        self.figures = health.HealthFigures()
        self.observing_since: float | None = None

    def poke(self, context: Context) -> bool:
        environment = load_pipeline(Path(self.pipeline_file)).environment(self.environment_name)
        rules = environment.health
        assert rules is not None
        if self.observing_since is None:
            self.observing_since = time.monotonic()
            self.figures = health.HealthFigures()
        base = environment.public_url()
        health.sample(
            self.figures,
            base + rules.frontend_path,
            base + rules.backend_path,
            count=rules.requests_per_interval,
            timeout=rules.max_p95_seconds * 3,
        )
        health.probe_database(environment.database_connection, self.figures)
        summary = self.figures.summary()
        elapsed = time.monotonic() - self.observing_since
        log.info("%s after %.0f s of %.0f s: %s", self.environment_name, elapsed, rules.window_seconds, summary)
        reason = health.verdict(self.figures, rules)
        if reason:
            context["ti"].xcom_push(key="figures", value=summary)
            live = ReleaseBook(self.environment_name).live()
            notifications.deployment_alert(
                "health_check_failed",
                environment=self.environment_name,
                version=live.version if live else "?",
                figures=summary,
                reason=reason,
                context=context,
            )
            raise AirflowFailException(f"health check of {self.environment_name} failed: {reason}")
        if elapsed >= rules.window_seconds:
            context["ti"].xcom_push(key="figures", value=summary)
            log.info("%s healthy for the whole window of %.0f s", self.environment_name, rules.window_seconds)
            return True
        return False


# ---------------------------------------------------------------------------------------------- deadlines


async def deploy_deadline_missed(environment: str, pipeline_file: str, context: dict[str, Any] | None = None) -> None:
    """Deadline callback of a deploy DAG (runs in the triggerer): the work runs in a thread."""
    await asyncio.to_thread(handle_missed_deadline, environment, Path(pipeline_file), context or {})


def handle_missed_deadline(environment: str, pipeline_file: Path, context: Mapping[str, Any]) -> None:
    """Roll back if the late run's release went live; report the miss either way."""
    dag_run = context.get("dag_run") or {}
    if not isinstance(dag_run, Mapping):
        dag_run = {}
    run_id = dag_run.get("dag_run_id") or dag_run.get("run_id")
    if dag_run.get("end_date") or dag_run.get("state") in FINISHED_RUN_STATES:
        # Airflow fires the deadline of a run that failed before it: that run did not overrun
        log.info(
            "Deploy run %s of %s ended (%s) before its deadline: nothing to do",
            run_id,
            environment,
            dag_run.get("state"),
        )
        return
    pipeline = load_pipeline(pipeline_file)
    budget = pipeline.environment(environment).budget_minutes
    live = ReleaseBook(environment).live()
    went_live = live is not None and run_id is not None and live.deployed_by == run_id
    reason = f"deploy to {environment} ran past its budget of {budget:g} minutes (run {run_id})"
    log.warning("%s", reason)
    notifications.deployment_alert(
        "deadline_missed",
        environment=environment,
        version=live.version if went_live and live else "?",
        reason=reason + ("; its release went live, rolling back" if went_live else "; nothing went live"),
        context=context,
    )
    if not went_live:
        return
    try:
        restore(pipeline, environment, "", reason, run_id=f"deadline:{run_id}", context=context)
    except Exception as error:
        log.exception("Rollback of %s after the missed deadline failed", environment)
        notifications.deployment_alert(
            "rolled_back", environment=environment, version="?", reason=f"rollback FAILED: {error}", context=context
        )
