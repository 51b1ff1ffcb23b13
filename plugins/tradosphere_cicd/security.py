"""The security scan: pnpm audit, Snyk and OWASP dependency-check, each with an outcome of its own."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowException, AirflowNotFoundException

from tradosphere_cicd.jobs import JobSpec
from tradosphere_cicd.notifications import security_findings_alert
from tradosphere_cicd.operators import JobOperator, run_resources, skip
from tradosphere_cicd.pipeline import Step

if TYPE_CHECKING:
    from airflow.sdk import Context

log = logging.getLogger(__name__)

SEVERITIES = ["info", "low", "moderate", "high", "critical"]
# Findings at these levels are told to #security-alerts.
SERIOUS = ("high", "critical")
UNREACHABLE_MARKERS = (
    "ERR_PNPM_AUDIT_BAD_RESPONSE",
    "ERR_PNPM_AUDIT_ENDPOINT_NOT_EXISTS",
    "ENOTFOUND",
    "ECONNREFUSED",
    "ECONNRESET",
    "ETIMEDOUT",
    "EAI_AGAIN",
    "ERR_PNPM_META_FETCH_FAIL",
    "responded with 405",
    "responded with 5",
)
AUDIT_REPORT = "security/npm-audit.json"
AUDIT_EXIT_CODE = "security/npm-audit.exit-code"


@dataclass
class AuditResult:
    """What pnpm audit found: clean, vulnerable, or could not ask (the advisory source was unreachable)."""

    outcome: str
    counts: dict[str, int] = field(default_factory=dict)
    top_packages: list[str] = field(default_factory=list)
    reason: str = ""


def classify_audit(exit_code: int, report: str, audit_level: str = "moderate") -> AuditResult:
    """Classify pnpm audit's JSON report and exit code into clean, vulnerable or unreachable."""
    try:
        data = json.loads(report) if report.strip() else {}
    except json.JSONDecodeError:
        data = {}
    if isinstance(data, dict) and "metadata" in data:
        counts = {level: int(data["metadata"].get("vulnerabilities", {}).get(level, 0)) for level in SEVERITIES}
        threshold = SEVERITIES.index(audit_level)
        at_or_above = sum(count for level, count in counts.items() if SEVERITIES.index(level) >= threshold)
        packages = sorted(
            {
                (SEVERITIES.index(advisory.get("severity", "info")), advisory.get("module_name", "?"))
                for advisory in (data.get("advisories") or {}).values()
            },
            reverse=True,
        )
        top = [name for _, name in packages[:5]]
        if at_or_above:
            return AuditResult("vulnerable", counts, top, f"{at_or_above} at {audit_level} or above")
        return AuditResult("clean", counts, top)
    text = report if isinstance(report, str) else ""
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        text = f"{error.get('code', '')}: {error.get('message', '')}"
    if exit_code == 0 and not text.strip():
        return AuditResult("clean")
    reason = text.strip().splitlines()[0] if text.strip() else f"pnpm audit exited {exit_code} with no report"
    if any(marker in text for marker in UNREACHABLE_MARKERS) or not text.strip():
        return AuditResult("unreachable", reason=reason)
    return AuditResult("error", reason=reason)


class NpmAuditOperator(JobOperator):
    """
    Run ``pnpm audit`` at the pipeline's level and report one of three outcomes.

    clean passes; vulnerable fails with the counts and the top packages; when the
    advisory source cannot be reached the task is skipped with that reason, so it
    is never mistaken for a clean scan.
    """

    def __init__(self, *, audit_level: str, registry: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("task_id", "npm_audit")
        super().__init__(job_name="security_scan", **kwargs)
        self.audit_level = audit_level
        self.registry = registry
        # The step records pnpm audit's exit code instead of failing on it: the outcome is
        # decided here, from the report, so "could not ask" never reads as "vulnerable" or "clean".
        report = (
            f"mkdir -p security; status=0; pnpm audit --audit-level={audit_level} --json > {AUDIT_REPORT} "
            f"|| status=$?; echo $status > {AUDIT_EXIT_CODE}"
        )
        self.spec = _with_steps(self.spec, [Step(name="pnpm audit", run=report)], artifacts=["security"])

    def execute(self, context: Context) -> Any:
        if self.registry:
            self.spec.environment["npm_config_registry"] = self.registry
        summary = super().execute(context)
        folder = _artifacts(context, self)
        report = _read(folder / AUDIT_REPORT)
        exit_code = int(_read(folder / AUDIT_EXIT_CODE) or 1)
        result = classify_audit(exit_code, report, self.audit_level)
        outcome = {**summary, "outcome": result.outcome, "counts": result.counts, "top_packages": result.top_packages}
        context["ti"].xcom_push(key="audit", value=outcome)
        if result.outcome == "clean":
            log.info("pnpm audit: clean at level %s (%s)", self.audit_level, result.counts or "no findings")
            return outcome
        if result.outcome == "vulnerable":
            if any(result.counts.get(level, 0) for level in SERIOUS):
                security_findings_alert(context, result.counts, result.top_packages)
            raise AirflowException(
                f"pnpm audit found vulnerabilities: {result.reason}; counts {result.counts}; "
                f"top packages: {', '.join(result.top_packages) or 'unknown'}"
            )
        if result.outcome == "unreachable":
            skip(
                "pnpm audit could not reach its advisory source, so nothing was checked (NOT a clean scan): "
                f"{result.reason}"
            )
        raise AirflowException(f"pnpm audit failed: {result.reason}")


class SnykOperator(JobOperator):
    """Snyk's dependency test, run only when an Airflow connection holds the token."""

    def __init__(self, *, connection: str, severity_threshold: str, **kwargs: Any) -> None:
        kwargs.setdefault("task_id", "snyk")
        super().__init__(job_name="security_scan", **kwargs)
        self.connection = connection
        run = f"npx --yes snyk test --severity-threshold={severity_threshold}"
        self.spec = _with_steps(self.spec, [Step(name="Snyk Security Scan", run=run)], artifacts=[])

    def execute(self, context: Context) -> Any:
        token = _connection_password(self.connection)
        if not token:
            skip(
                f"Snyk is not configured: add an Airflow connection {self.connection!r} "
                "with the Snyk token as its password"
            )
        self.spec.secret_environment["SNYK_TOKEN"] = token
        return super().execute(context)


class DependencyCheckOperator(JobOperator):
    """OWASP dependency-check over the workspace, run only when its image is named in the pipeline file."""

    def __init__(self, *, image: str | None, **kwargs: Any) -> None:
        kwargs.setdefault("task_id", "dependency_check")
        super().__init__(job_name="security_scan", **kwargs)
        self.scanner_image = image
        if image:
            self.image = image
            self.command = [
                "--project",
                "TradoSphere",
                "--scan",
                "/workspace",
                "--format",
                "HTML",
                "--out",
                "/artifacts/dependency-check-report",
            ]

    def execute(self, context: Context) -> Any:
        if not self.scanner_image:
            skip(
                "OWASP dependency-check is not configured: name its image in include/pipeline.yaml "
                "at jobs.security_scan.scanners.dependency_check.image"
            )
        return super().execute(context)


def _with_steps(spec: JobSpec, steps: list[Step], artifacts: list[str]) -> JobSpec:
    return replace(
        spec,
        steps=steps,
        artifacts=artifacts,
        environment=dict(spec.environment),
        secret_environment=dict(spec.secret_environment),
    )


def _artifacts(context: Context, operator: JobOperator) -> Path:
    return run_resources(context).artifacts_dir(operator.task_id)


def _read(path: Path) -> str:
    return path.read_text(errors="replace").strip() if path.exists() else ""


def _connection_password(conn_id: str) -> str | None:
    try:
        return BaseHook.get_connection(conn_id).password or None
    except AirflowNotFoundException:
        return None
