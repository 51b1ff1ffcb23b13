"""Builds the DAGs from the pipeline file: build_test_deploy, the scheduled workflows, the deploy DAGs, rollback."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, CronTriggerTimetable, Param, TaskGroup
from airflow.sdk.definitions.callback import AsyncCallback
from airflow.sdk.definitions.deadline import DeadlineAlert, DeadlineReference

from tradosphere_cicd import deployments, tasks
from tradosphere_cicd.budgets import pipeline_deadline
from tradosphere_cicd.jobs import CHECKOUT, INSTALL
from tradosphere_cicd.notifications import task_failure_callback
from tradosphere_cicd.operators import JobOperator, SmokeTestsOperator, UpdateDependenciesOperator
from tradosphere_cicd.pipeline import DEFAULT_PIPELINE_FILE, Pipeline, Schedule, load_pipeline
from tradosphere_cicd.security import DependencyCheckOperator, NpmAuditOperator, SnykOperator

START_DATE = datetime(2026, 1, 1)
DEFAULT_ARGS = {"owner": "tradosphere-ci", "retries": 0, "on_failure_callback": task_failure_callback}


def build_test_deploy(pipeline_file: Path = DEFAULT_PIPELINE_FILE, doc_md: str | None = None) -> DAG:
    """The guide's main workflow: checkout, install, lint, tests, e2e shards, builds, images, then the release."""
    pipeline = load_pipeline(pipeline_file)
    with DAG(
        dag_id="build_test_deploy",
        schedule=None,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=2,
        max_active_tasks=4,
        default_args=DEFAULT_ARGS,
        deadline=pipeline_deadline(pipeline, pipeline_file),
        tags=["tradosphere", "ci"],
        doc_md=doc_md,
        params=_revision_params(pipeline.repository.default_branch),
    ) as dag:
        job_tasks, cleanup = _build_and_test(pipeline, pipeline_file, list(pipeline.jobs))
        required = {required for job in pipeline.jobs.values() for required in job.requires}
        if pipeline.release is not None:
            # the jobs a release requires lead on to it; the release's last stage ends the run
            required |= set(pipeline.release.requires)
        leaves = [job_tasks[name] for name in pipeline.jobs if name not in required]
        if pipeline.release is not None:
            leaves += _release_stages(pipeline, pipeline_file, job_tasks)
        for leaf in leaves:
            leaf >> cleanup
    return dag


def scheduled_workflow(name: str, pipeline_file: Path = DEFAULT_PIPELINE_FILE, doc_md: str | None = None) -> DAG:
    """A schedule of the pipeline file: its jobs on the head of its branch, and for an update, the push after them."""
    pipeline = load_pipeline(pipeline_file)
    schedule = pipeline.schedule(name)
    with DAG(
        dag_id=name,
        schedule=CronTriggerTimetable(schedule.cron, timezone="UTC"),
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        max_active_tasks=4,
        default_args=DEFAULT_ARGS,
        tags=["tradosphere", "scheduled"],
        doc_md=doc_md or _schedule_doc(name, schedule),
        # an update always starts from the branch head, which it pushes on top of: it takes no commit
        params=_revision_params(schedule.branch, with_commit=schedule.update is None),
    ) as dag:
        update = None
        if schedule.update is not None:
            update = UpdateDependenciesOperator(schedule_name=name, pipeline_file=str(pipeline_file))
        job_tasks, cleanup = _build_and_test(pipeline, pipeline_file, schedule.jobs, update)
        required = {required for job in schedule.jobs for required in pipeline.jobs[job].requires}
        leaves = [job_tasks[job] for job in schedule.jobs if job not in required]
        if update is not None:
            push = tasks.push_update()
            leaves >> push
            leaves = [push]
        for leaf in leaves:
            leaf >> cleanup
    return dag


def _schedule_doc(name: str, schedule: Schedule) -> str:
    """What a scheduled workflow runs, in the words of its pipeline file, for the DAG's page in the UI."""
    lines = [f"### {name}", "", f"Runs `{schedule.cron}` (UTC) on the head of `{schedule.branch}`."]
    if schedule.update is not None:
        steps = "; ".join(f"`{step.run.strip()}`" for step in schedule.update.steps)
        lines += [
            "",
            f"**update_dependencies** runs {steps} on a checkout and commits what changed as "
            f"`{schedule.update.commit_message}`. The jobs below run on the updated tree; **push_update** pushes the "
            "commit to the branch only when they pass, and only while the branch is still where the update started. "
            "With nothing to update, the run skips its jobs and pushes nothing.",
        ]
    lines += ["", "Jobs: " + ", ".join(f"`{job}`" for job in schedule.jobs) + ". A failure is told to #ci-failures."]
    lines += ["", "Trigger it by hand with a **branch** to run it on another branch."]
    return "\n".join(lines)


def _revision_params(branch: str, with_commit: bool = True) -> dict[str, Param]:
    params = {
        "branch": Param(
            branch,
            type="string",
            title="Branch",
            description="The branch to build, e.g. main, develop or feature/x.",
            maxLength=200,
        ),
    }
    if with_commit:
        params["commit"] = Param(
            "",
            type="string",
            title="Commit",
            description="A commit SHA on that branch; leave empty to build the branch head.",
            maxLength=40,
        )
    return params


def _build_and_test(
    pipeline: Pipeline, pipeline_file: Path, job_names: list[str], update: Any = None
) -> tuple[dict[str, Any], Any]:
    """
    The stages every workflow starts with: the revision, checkout, install (then an update, if given), and the
    named jobs in the order of their requires among them, with the run's services around the jobs that need them.

    Returns the job tasks by name and the run's cleanup, which each workflow's last stages lead to.
    """
    revision = tasks.resolve_revision()
    checkout = JobOperator(job_name=CHECKOUT, pipeline_file=str(pipeline_file))
    install = JobOperator(job_name=INSTALL, pipeline_file=str(pipeline_file))
    cleanup = tasks.cleanup_run().as_teardown(setups=checkout)
    revision >> checkout >> install
    first = install
    if update is not None:
        install >> update
        first = update

    job_tasks = {name: _job_task(pipeline, name, pipeline_file) for name in job_names}
    for name in job_names:
        upstream = [job_tasks[required] for required in pipeline.jobs[name].requires if required in job_tasks]
        for task in upstream or [first]:
            task >> job_tasks[name]

    service_names = sorted({service for name in job_names for service in pipeline.jobs[name].services})
    if service_names:
        start = tasks.start_services(service_names)
        stop = tasks.stop_services(service_names).as_teardown(setups=start.operator)  # type: ignore[attr-defined]
        # with an update, the services wait for it: a run with nothing to update starts none
        (update if update is not None else revision) >> start
        for name in job_names:
            if pipeline.jobs[name].services:
                start >> job_tasks[name] >> stop
        stop >> cleanup
    return job_tasks, cleanup


def _release_stages(pipeline: Pipeline, pipeline_file: Path, job_tasks: dict) -> list:
    """deploy_<environment> for each environment in order, smoke tests and approvals between; return the last."""
    assert pipeline.release is not None
    release = pipeline.release
    previous: list = [job_tasks[name] for name in release.requires]
    for index, name in enumerate(release.environments):
        environment = pipeline.environment(name)
        if environment.approval is not None:
            gate = deployments.ApprovalGate(environment_name=name, pipeline_file=str(pipeline_file))
            previous >> gate
            previous = [gate]
        deploy = deployments.ReleaseOperator(
            environment_name=name,
            pipeline_file=str(pipeline_file),
            # a scanner that could not run is skipped, and must not stop the release on its own
            trigger_rule="none_failed" if index == 0 else "all_success",
        )
        previous >> deploy
        previous = [deploy]
        if release.smoke_tests is not None and release.smoke_tests.after == name:
            smoke = SmokeTestsOperator(environment_name=name, pipeline_file=str(pipeline_file))
            deploy >> smoke
            previous = [smoke]
    return previous


def deploy_environment(name: str, pipeline_file: Path = DEFAULT_PIPELINE_FILE, doc_md: str | None = None) -> DAG:
    """Deploy one version to one environment: checks, migrations, the new colour, the switch, observation."""
    pipeline = load_pipeline(pipeline_file)
    environment = pipeline.environment(name)
    with DAG(
        dag_id=deployments.deploy_dag_id(name),
        schedule=None,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        tags=["tradosphere", "deploy", name],
        doc_md=doc_md,
        deadline=DeadlineAlert(
            reference=DeadlineReference.DAGRUN_QUEUED_AT,
            interval=timedelta(minutes=environment.budget_minutes),
            callback=AsyncCallback(
                deployments.deploy_deadline_missed, kwargs={"environment": name, "pipeline_file": str(pipeline_file)}
            ),
        ),
        params={
            "version": Param(
                "",
                type="string",
                title="Version",
                description="The full commit SHA to deploy (40 digits); build_test_deploy built its images.",
                pattern="^[0-9a-fA-F]{40}$",
            ),
            "frontend_image": Param(
                "", type="string", title="Frontend image", description="Default: the frontend image of that version."
            ),
            "backend_image": Param(
                "", type="string", title="Backend image", description="Default: the backend image of that version."
            ),
            "branch": Param(
                pipeline.repository.default_branch,
                type="string",
                title="Branch",
                description="The branch the version was built from (hosted targets check it out from there).",
            ),
            "source": Param("", type="string", title="Source", description="What asked for this deploy."),
        },
    ) as dag:
        prepare = tasks.prepare_release(name)
        if environment.target == "docker":
            migrate = deployments.MigrationOperator(
                environment_name=name, command=MIGRATION_COMMAND, pipeline_file=str(pipeline_file)
            )
            start = tasks.start_release(name)
            live = tasks.switch_traffic(name)
            prepare >> migrate >> start >> live
        else:
            from tradosphere_cicd import hosted

            # the guide's scripts deploy from a checkout of the version, with its dependencies installed
            revision = tasks.resolve_release_revision()
            checkout = JobOperator(job_name=CHECKOUT, pipeline_file=str(pipeline_file))
            install = JobOperator(job_name=INSTALL, pipeline_file=str(pipeline_file))
            steps = hosted.hosted_deploy_tasks(pipeline, name)
            live = tasks.switch_traffic(name)
            prepare >> revision >> checkout >> install >> steps[0]
            steps[-1] >> live
            live >> tasks.cleanup_run().as_teardown(setups=checkout)
        retire = tasks.retire_previous(name)
        if environment.health is not None:
            check = deployments.HealthCheckSensor(environment_name=name, pipeline_file=str(pipeline_file))
            live >> check >> retire
            check >> deployments.RollbackOperator(environment_name=name)
        else:
            live >> retire
    return dag


MIGRATION_COMMAND = ["node", "apps/api/scripts/migrate.js"]


def rollback(pipeline_file: Path = DEFAULT_PIPELINE_FILE, doc_md: str | None = None) -> DAG:
    """Put an environment's last good release (or a given earlier version) back into service."""
    pipeline = load_pipeline(pipeline_file)
    environments = list(pipeline.environments)
    with DAG(
        dag_id=deployments.ROLLBACK_DAG,
        schedule=None,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        tags=["tradosphere", "deploy", "rollback"],
        doc_md=doc_md,
        params={
            "environment": Param(
                environments[-1] if environments else "",
                type="string",
                enum=environments,
                title="Environment",
            ),
            "version": Param(
                "",
                type="string",
                title="Version",
                description="An earlier version to put back; leave empty for the last good release.",
            ),
            "reason": Param("", type="string", title="Reason", description="Why; shown in the alert."),
        },
    ) as dag:
        restore = tasks.restore_release()
        for name, environment in pipeline.environments.items():
            if environment.target == "vercel_railway":
                from tradosphere_cicd import hosted

                gate = tasks.is_rollback_of.override(task_id=f"is_rollback_of_{name}")(name)
                (
                    restore
                    >> gate
                    >> hosted.hosted_rollback_task(
                        pipeline,
                        name,
                        "{{ ti.xcom_pull(task_ids='restore_release')['after'] }}",
                        task_id=f"rollback_release_{name}",
                    )
                )
    return dag


def _job_task(pipeline: Pipeline, name: str, pipeline_file: Path):
    job = pipeline.jobs[name]
    if job.scanners is not None:
        with TaskGroup(group_id=name, tooltip="pnpm audit, Snyk and OWASP dependency-check") as group:
            NpmAuditOperator(audit_level=job.scanners.npm_audit.audit_level, pipeline_file=str(pipeline_file))
            SnykOperator(
                connection=job.scanners.snyk.connection,
                severity_threshold=job.scanners.snyk.severity_threshold,
                pipeline_file=str(pipeline_file),
            )
            DependencyCheckOperator(image=job.scanners.dependency_check.image, pipeline_file=str(pipeline_file))
        return group
    if job.shards:
        return JobOperator.partial(task_id=name, job_name=name, pipeline_file=str(pipeline_file)).expand(
            shard=list(range(1, job.shards + 1))
        )
    return JobOperator(job_name=name, pipeline_file=str(pipeline_file))
