"""The guide's time budgets as an Airflow Deadline Alert: which build and test stages ran long, told to #ci-failures.

build_test_deploy has 15 minutes from the moment its run is queued to the end of its build and test stages (the
jobs of the pipeline file, with the checkout and the install). Each job stage records when it started and ended as
an XCom; when the deadline passes, the callback runs in the triggerer, reads those times and judges only these
stages. The deploy stages and the wait for approval come after them and do not count: a run that finished its
build and test stages within the budget and now waits for an approval stays quiet.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk.definitions.callback import AsyncCallback
from airflow.sdk.definitions.deadline import DeadlineAlert, DeadlineReference

from tradosphere_cicd.jobs import CHECKOUT, INSTALL
from tradosphere_cicd.pipeline import DEFAULT_PIPELINE_FILE, Pipeline, load_pipeline

log = logging.getLogger(__name__)

TIMING_KEY = "stage_timing"
SCANNER_TASKS = ("npm_audit", "snyk", "dependency_check")
UNFINISHED_RUN_STATES = {"queued", "running"}


# ---------------------------------------------------------------- recording, in each job task


def record_stage_time(context: Mapping[str, Any], started_at: datetime, ended_at: datetime | None = None) -> None:
    """Push the stage's start (and end) as an XCom; a failure to record never fails the stage."""
    value = {"started_at": started_at.isoformat(), "ended_at": ended_at.isoformat() if ended_at else None}
    try:
        context["ti"].xcom_push(key=TIMING_KEY, value=value)
    except Exception as error:
        log.warning("Could not record the stage's timing for the pipeline budget: %s", error)


# ---------------------------------------------------------------- judging, a pure function


@dataclass(frozen=True)
class TaskTiming:
    """When one task of a stage started and ended (None: still running, or never started)."""

    stage: str
    started_at: datetime | None
    ended_at: datetime | None


@dataclass(frozen=True)
class StageTime:
    stage: str
    minutes: float
    target_minutes: float | None
    running: bool

    def describe(self) -> str:
        target = f" (target {self.target_minutes:g})" if self.target_minutes is not None else ""
        return f"{self.stage} {self.minutes:.1f} min{' so far' if self.running else ''}{target}"


@dataclass
class BudgetVerdict:
    """What the deadline found: whether the build and test stages ended within the budget, and where time went."""

    budget_minutes: float
    over_budget: bool
    elapsed_minutes: float
    over_target: list[StageTime] = field(default_factory=list)
    running: list[StageTime] = field(default_factory=list)
    not_started: list[str] = field(default_factory=list)
    slowest: list[StageTime] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The verdict as message lines, for #ci-failures."""
        lines = [
            f"Build and test stages: {self.elapsed_minutes:.1f} min from queued"
            f"{' and not done' if self.running or self.not_started else ''}, budget {self.budget_minutes:g} min "
            "(the wait for approval and the deploy stages do not count)."
        ]
        if self.over_target:
            lines.append("Over their targets: " + ", ".join(stage.describe() for stage in self.over_target))
        if self.running:
            lines.append("Still running at the deadline: " + ", ".join(stage.describe() for stage in self.running))
        if self.not_started:
            lines.append("Not started by the deadline: " + ", ".join(self.not_started))
        if self.slowest:
            lines.append("Slowest stages: " + ", ".join(stage.describe() for stage in self.slowest))
        return lines


def budget_stages(pipeline: Pipeline) -> list[str]:
    """The stages the pipeline budget covers, in pipeline order."""
    return [CHECKOUT, INSTALL, *pipeline.jobs]


def judge_budget(
    pipeline: Pipeline,
    queued_at: datetime,
    now: datetime,
    timings: Iterable[TaskTiming],
    run_unfinished: bool,
) -> BudgetVerdict:
    """
    Judge the build and test stages of one run against the pipeline budget and each job's ``budget_minutes``.

    A stage lasts from its first task's start to its last task's end (shards and scanners fold into their stage);
    one still running counts until ``now``. A stage with no timing at all counts as not started only while the run
    is unfinished: in a finished run it was skipped or never reached because an earlier stage failed.
    """
    budget = pipeline.budgets.pipeline_minutes
    by_stage: dict[str, list[TaskTiming]] = {}
    for timing in timings:
        by_stage.setdefault(timing.stage, []).append(timing)

    stages: list[StageTime] = []
    not_started: list[str] = []
    last_end = queued_at
    for name in budget_stages(pipeline):
        records = [record for record in by_stage.get(name, []) if record.started_at is not None]
        if not records:
            if run_unfinished:
                not_started.append(name)
            continue
        running = any(record.ended_at is None for record in records)
        start = min(record.started_at for record in records if record.started_at is not None)
        end = now if running else max(record.ended_at for record in records if record.ended_at is not None)
        last_end = max(last_end, end)
        job = pipeline.jobs.get(name)
        minutes = (end - start).total_seconds() / 60
        stages.append(StageTime(name, minutes, job.budget_minutes if job else None, running))

    running_stages = [stage for stage in stages if stage.running]
    if running_stages or not_started:
        last_end = max(last_end, now)
    elapsed = (last_end - queued_at).total_seconds() / 60
    over_budget = elapsed > budget or bool(running_stages) or bool(not_started)
    return BudgetVerdict(
        budget_minutes=budget,
        over_budget=over_budget,
        elapsed_minutes=elapsed,
        over_target=[
            stage for stage in stages if stage.target_minutes is not None and stage.minutes > stage.target_minutes
        ],
        running=running_stages,
        not_started=not_started,
        slowest=sorted(stages, key=lambda stage: stage.minutes, reverse=True)[:3],
    )


# ---------------------------------------------------------------- the deadline, in the DAG and the triggerer


def pipeline_deadline(pipeline: Pipeline, pipeline_file: Path | str = DEFAULT_PIPELINE_FILE) -> DeadlineAlert:
    """The pipeline budget as a Deadline Alert on build_test_deploy, from the moment a run is queued."""
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=timedelta(minutes=pipeline.budgets.pipeline_minutes),
        callback=AsyncCallback(pipeline_budget_missed, kwargs={"pipeline_file": str(pipeline_file)}),
        name="pipeline_budget",
    )


async def pipeline_budget_missed(pipeline_file: str, context: dict[str, Any] | None = None) -> None:
    """Deadline callback (in the triggerer): judge the run's build and test stages, alert when they ran long."""
    try:
        await asyncio.to_thread(report_budget, Path(pipeline_file), context or {})
    except Exception as error:
        log.error("The pipeline budget could not be judged: %s: %s", type(error).__name__, error)


def report_budget(pipeline_file: Path, context: Mapping[str, Any], reader: Any = None) -> BudgetVerdict | None:
    """Read the stage timings of the run in the deadline's context, judge them, and tell #ci-failures on a miss."""
    from tradosphere_cicd.notifications import Alert, run_facts, run_link, send_alert

    pipeline = load_pipeline(pipeline_file)
    dag_run = context.get("dag_run") or {}
    dag_id, run_id = dag_run.get("dag_id"), dag_run.get("dag_run_id") or dag_run.get("run_id")
    queued_at = _parse_time(dag_run.get("queued_at")) or _parse_time(dag_run.get("start_date"))
    if not (dag_id and run_id and queued_at):
        log.error("The deadline's context names no run (dag_id, dag_run_id, queued_at): %s", sorted(dag_run))
        return None

    read = reader or _read_xcom
    timings = list(stage_timings(pipeline, lambda task_id, map_index: read(dag_id, run_id, task_id, map_index)))
    state = str(dag_run.get("state") or "")
    verdict = judge_budget(pipeline, queued_at, datetime.now(UTC), timings, state in UNFINISHED_RUN_STATES)
    if not verdict.over_budget:
        log.info(
            "%s %s: build and test stages ended %.1f min after queued, within the %g min budget",
            dag_id,
            run_id,
            verdict.elapsed_minutes,
            verdict.budget_minutes,
        )
        return verdict

    facts = run_facts(context)
    revision = read(dag_id, run_id, "resolve_revision", -1, "return_value")
    if isinstance(revision, Mapping):
        facts.branch, facts.commit = revision.get("branch") or facts.branch, revision.get("short_commit")
    alert = Alert(
        title=f":hourglass: {dag_id}: build and test stages ran past the {verdict.budget_minutes:g} min budget",
        dag_id=dag_id,
        stage=", ".join(stage.stage for stage in verdict.over_target + verdict.running) or None,
        branch=facts.branch,
        commit=facts.commit,
        triggered_by=facts.triggered_by,
        duration_seconds=verdict.elapsed_minutes * 60,
        facts=verdict.lines(),
        links={"Run": run_link(dag_id, run_id)},
    )
    send_alert("ci_failures", alert)
    return verdict


def stage_timings(pipeline: Pipeline, read: Any) -> Iterable[TaskTiming]:
    """Every task of the budget's stages, with the times it recorded; ``read(task_id, map_index)`` gives the XCom."""
    for stage in budget_stages(pipeline):
        job = pipeline.jobs.get(stage)
        if job is not None and job.scanners is not None:
            tasks = [(f"{stage}.{scanner}", -1) for scanner in SCANNER_TASKS]
        elif job is not None and job.shards:
            tasks = [(stage, index) for index in range(job.shards)]
        else:
            tasks = [(stage, -1)]
        for task_id, map_index in tasks:
            value = read(task_id, map_index)
            if isinstance(value, Mapping):
                yield TaskTiming(stage, _parse_time(value.get("started_at")), _parse_time(value.get("ended_at")))


def _read_xcom(dag_id: str, run_id: str, task_id: str, map_index: int, key: str = TIMING_KEY) -> Any:
    from airflow.sdk.execution_time.xcom import XCom

    try:
        return XCom.get_one(key=key, dag_id=dag_id, task_id=task_id, run_id=run_id, map_index=map_index)
    except Exception as error:
        log.warning("No %s XCom from %s[%d]: %s", key, task_id, map_index, error)
        return None


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
