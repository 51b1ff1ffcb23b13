"""Builds the build_test_deploy DAG from the pipeline file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from airflow.sdk import DAG, Param, TaskGroup

from tradosphere_cicd import tasks
from tradosphere_cicd.budgets import pipeline_deadline
from tradosphere_cicd.jobs import CHECKOUT, INSTALL
from tradosphere_cicd.notifications import task_failure_callback
from tradosphere_cicd.operators import JobOperator
from tradosphere_cicd.pipeline import DEFAULT_PIPELINE_FILE, Pipeline, load_pipeline
from tradosphere_cicd.security import DependencyCheckOperator, NpmAuditOperator, SnykOperator

START_DATE = datetime(2026, 1, 1)
DEFAULT_ARGS = {"owner": "tradosphere-ci", "retries": 0, "on_failure_callback": task_failure_callback}


def build_test_deploy(pipeline_file: Path = DEFAULT_PIPELINE_FILE, doc_md: str | None = None) -> DAG:
    """The guide's main workflow: checkout, install, lint, tests, e2e shards, builds and images."""
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
        params={
            "branch": Param(
                pipeline.repository.default_branch,
                type="string",
                title="Branch",
                description="The branch to build, e.g. main, develop or feature/x.",
                maxLength=200,
            ),
            "commit": Param(
                "",
                type="string",
                title="Commit",
                description="A commit SHA on that branch; leave empty to build the branch head.",
                maxLength=40,
            ),
        },
    ) as dag:
        revision = tasks.resolve_revision()
        checkout = JobOperator(job_name=CHECKOUT, pipeline_file=str(pipeline_file))
        install = JobOperator(job_name=INSTALL, pipeline_file=str(pipeline_file))
        cleanup = tasks.cleanup_run().as_teardown(setups=checkout)
        revision >> checkout >> install

        job_tasks = {name: _job_task(pipeline, name, pipeline_file) for name in pipeline.jobs}
        for name, job in pipeline.jobs.items():
            upstream = [job_tasks[required] for required in job.requires] or [install]
            for task in upstream:
                task >> job_tasks[name]

        service_names = sorted({service for job in pipeline.jobs.values() for service in job.services})
        if service_names:
            start = tasks.start_services(service_names)
            stop = tasks.stop_services(service_names).as_teardown(setups=start.operator)  # type: ignore[attr-defined]
            revision >> start
            for name, job in pipeline.jobs.items():
                if job.services:
                    start >> job_tasks[name] >> stop
            stop >> cleanup

        required = {required for job in pipeline.jobs.values() for required in job.requires}
        for name in pipeline.jobs:
            if name not in required:
                job_tasks[name] >> cleanup
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
