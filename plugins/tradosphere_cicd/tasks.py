"""Python tasks of the pipeline: resolving the revision, service containers, run cleanup and deploy steps."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from airflow.sdk import task
from airflow.sdk.exceptions import AirflowFailException

from tradosphere_cicd import bluegreen, deployments, engine, notifications, revision, services, settings
from tradosphere_cicd.jobs import UPDATE, UPDATE_BUNDLE
from tradosphere_cicd.operators import RESOLVE_TASK, revision_of, run_resources
from tradosphere_cicd.pipeline import load_pipeline

log = logging.getLogger(__name__)


@task(task_id=RESOLVE_TASK)
def resolve_revision(**context: Any) -> dict[str, Any]:
    """Check the branch and commit parameters, reach the Docker engine, and pin the commit to build."""
    params = context["params"]
    commit = str(params.get("commit") or "")
    dag = context.get("dag")
    if commit and dag is not None and "commit" not in dag.params:
        raise AirflowFailException(
            f"{dag.dag_id} takes no commit (it always starts from the head of its branch): "
            f"trigger it with a branch only, not commit {commit!r}"
        )
    return _resolve(str(params.get("branch") or ""), commit)


@task(task_id=RESOLVE_TASK)
def resolve_release_revision(**context: Any) -> dict[str, Any]:
    """Pin the commit of the release being deployed, so that the deploy scripts run from its checkout."""
    params = context["params"]
    branch = str(params.get("branch") or "") or load_pipeline().repository.default_branch
    return _resolve(branch, str(params.get("version") or ""))


def _resolve(branch: str, commit: str) -> dict[str, Any]:
    try:
        revision.check_branch_name(branch)
        revision.check_commit(commit)
    except revision.RevisionError as error:
        raise AirflowFailException(str(error)) from None

    try:
        engine.connect().close()
    except engine.EngineUnreachableError as error:
        raise AirflowFailException(str(error)) from None

    pipeline = load_pipeline()
    url = pipeline.repository_url()
    try:
        mirror = revision.update_mirror(url, settings.mirrors_root())
        resolved = revision.resolve(mirror, branch, commit, pipeline.repository.lockfile)
    except revision.RevisionError as error:
        raise AirflowFailException(f"{error} (repository: {url})") from None

    log.info(
        "Building %s at %s (%s), lockfile checksum %s",
        resolved.branch,
        resolved.commit,
        "branch head" if not commit else f"requested {commit}",
        resolved.lockfile_checksum or "none: no lockfile at this commit",
    )
    return resolved.as_dict() | {"mirror": str(mirror), "repository": url}


@task(task_id="start_services")
def start_services(names: list[str], **context: Any) -> dict[str, Any]:
    """Start the run's service containers on its own network and wait until they accept connections."""
    client = engine.connect()
    try:
        return services.start_services(client, load_pipeline(), run_resources(context), names)
    except services.ServiceNotReadyError as error:
        raise AirflowFailException(str(error)) from None
    finally:
        client.close()


@task(task_id="stop_services")
def stop_services(names: list[str], **context: Any) -> list[str]:
    """Remove the run's service containers and network, whatever the tests did."""
    client = engine.connect()
    try:
        removed = services.stop_services(client, run_resources(context), names)
    finally:
        client.close()
    log.info("Removed %s", ", ".join(removed) or "nothing: no service was running")
    return removed


@task(task_id="cleanup_run")
def cleanup_run(**context: Any) -> list[str]:
    """Remove every container, network and volume the run left on the engine; its artifacts stay."""
    run = run_resources(context)
    client = engine.connect()
    try:
        removed = engine.remove_run_resources(client, run)
    finally:
        client.close()
    log.info("Run %s cleaned up: %s", run.key, ", ".join(removed) or "nothing left")
    log.info("Artifacts of this run: %s", settings.artifacts_root() / run.dag_id)
    return removed


@task(task_id="push_update")
def push_update(**context: Any) -> dict[str, Any]:
    """Push the tested dependency update to its branch, as a fast-forward from the commit the run started at."""
    resolved = revision_of(context)
    bundle = run_resources(context).artifacts_dir(UPDATE, -1) / UPDATE_BUNDLE
    try:
        sha = revision.push_update(
            Path(resolved["mirror"]), resolved["repository"], bundle, resolved["branch"], resolved["commit"]
        )
    except revision.RevisionError as error:
        raise AirflowFailException(f"{error} (repository: {resolved['repository']})") from None
    log.info(
        "Pushed the dependency update %s to %s of %s (on top of %s)",
        sha,
        resolved["branch"],
        resolved["repository"],
        resolved["short_commit"],
    )
    return {"branch": resolved["branch"], "commit": sha, "previous_commit": resolved["commit"]}


# ---------------------------------------------------------------------------------------------- deploy


def _deploy_failure(error: Exception) -> AirflowFailException:
    return AirflowFailException(str(error))


@task(task_id="prepare_release")
def prepare_release(environment: str, **context: Any) -> dict[str, Any]:
    """Check the version and images, bring up the environment, record the live release as the last good."""
    try:
        return deployments.prepare(load_pipeline(), environment, context["params"], context["run_id"])
    except (deployments.DeployError, engine.EngineUnreachableError) as error:
        raise _deploy_failure(error) from None


@task(task_id="start_release")
def start_release(environment: str, **context: Any) -> dict[str, Any]:
    """Start the release in the idle colour and wait until its frontend and backend answer."""
    release, _ = deployments.prepared(context)
    try:
        deployments.start(load_pipeline(), environment, release)
    except (deployments.DeployError, engine.EngineUnreachableError, bluegreen.ReleaseNotReadyError) as error:
        raise _deploy_failure(error) from None
    return release.as_dict()


@task(task_id="switch_traffic")
def switch_traffic(environment: str, **context: Any) -> dict[str, Any]:
    """Move all traffic to the new release in one step."""
    release, _ = deployments.prepared(context)
    return deployments.go_live(load_pipeline(), environment, release)


@task(task_id="retire_previous")
def retire_previous(environment: str, **context: Any) -> list[str]:
    """Remove the colour that served before, once the new release has proved itself."""
    release, previous = deployments.prepared(context)
    pipeline = load_pipeline()
    removed = deployments.retire_previous(pipeline, environment, release, previous)
    # the guide's #deployments hears of production deploys only: the last environment a release reaches
    if pipeline.release is not None and environment == pipeline.release.environments[-1]:
        notifications.deployment_alert(
            "deployed",
            environment=environment,
            version=release.version,
            previous_version=previous.version if previous else None,
            context=context,
        )
    return removed


@task(task_id="restore_release")
def restore_release(**context: Any) -> dict[str, Any]:
    """Put the last good release (or the version asked for) back into service."""
    params = context["params"]
    environment = str(params.get("environment") or "")
    reason = str(params.get("reason") or "") or f"asked for in run {context['run_id']}"
    version = str(params.get("version") or "")
    try:
        return deployments.restore(load_pipeline(), environment, version, reason, context["run_id"], context)
    except (deployments.DeployError, engine.EngineUnreachableError, bluegreen.ReleaseNotReadyError) as error:
        raise _deploy_failure(error) from None


@task.short_circuit(task_id="is_hosted_rollback")
def is_rollback_of(environment: str, **context: Any) -> bool:
    """Go on to the hosted rollback only for this environment, and only when the release changed."""
    restored = context["ti"].xcom_pull(task_ids="restore_release") or {}
    return context["params"].get("environment") == environment and bool(restored.get("changed"))
