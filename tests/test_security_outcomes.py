"""pnpm audit's report read into three outcomes: clean, vulnerable, unreachable."""

from __future__ import annotations

import json

import pytest

from tradosphere_cicd.security import classify_audit


def report(vulnerabilities: dict[str, int], advisories: dict | None = None) -> str:
    counts = {level: 0 for level in ["info", "low", "moderate", "high", "critical"]} | vulnerabilities
    return json.dumps({"advisories": advisories or {}, "metadata": {"vulnerabilities": counts}})


ADVISORIES = {
    "1": {"module_name": "next", "severity": "critical"},
    "2": {"module_name": "semver", "severity": "moderate"},
    "3": {"module_name": "axios", "severity": "high"},
}
UNREACHABLE_405 = json.dumps(
    {
        "error": {
            "code": "ERR_PNPM_AUDIT_BAD_RESPONSE",
            "message": "The audit endpoint (at https://registry.example/-/npm/v1/security/audits) responded with 405: ",
        }
    }
)


@pytest.mark.parametrize(
    ("exit_code", "text", "outcome"),
    [
        pytest.param(0, report({}), "clean", id="no-findings"),
        pytest.param(0, report({"low": 2}), "clean", id="below-level"),
        pytest.param(1, report({"moderate": 1, "high": 1, "critical": 1}, ADVISORIES), "vulnerable", id="findings"),
        pytest.param(1, UNREACHABLE_405, "unreachable", id="registry-405"),
        pytest.param(1, "", "unreachable", id="no-report-at-all"),
        pytest.param(
            1,
            json.dumps({"error": {"code": "ERR_PNPM_FETCH", "message": "getaddrinfo ENOTFOUND"}}),
            "unreachable",
            id="dns",
        ),
        pytest.param(
            1, json.dumps({"error": {"code": "ERR_PNPM_X", "message": "lockfile broken"}}), "error", id="other"
        ),
    ],
)
def test_audit_outcome(exit_code, text, outcome):
    assert classify_audit(exit_code, text, "moderate").outcome == outcome


def test_vulnerable_report_counts_and_top_packages_by_severity():
    result = classify_audit(1, report({"moderate": 1, "high": 1, "critical": 1}, ADVISORIES), "moderate")
    assert result.counts["critical"] == 1
    assert result.top_packages == ["next", "axios", "semver"]
    assert result.reason == "3 at moderate or above"


def test_level_high_ignores_moderate_findings():
    assert classify_audit(1, report({"moderate": 4}), "high").outcome == "clean"


def test_unreachable_is_never_clean():
    result = classify_audit(1, UNREACHABLE_405, "moderate")
    assert result.outcome == "unreachable"
    assert "405" in result.reason


@pytest.mark.parametrize(
    ("vulnerabilities", "alerted"),
    [
        pytest.param({"moderate": 1, "high": 1, "critical": 1}, True, id="high-and-critical"),
        pytest.param({"moderate": 3}, False, id="moderate-only"),
    ],
)
def test_vulnerable_audit_tells_security_alerts_only_at_high_or_critical(
    tmp_path, monkeypatch, vulnerabilities, alerted
):
    from airflow.sdk.exceptions import AirflowException

    from tradosphere_cicd import security
    from tradosphere_cicd.operators import JobOperator
    from tradosphere_cicd.runs import RunResources

    monkeypatch.setenv("TRADOSPHERE_ARTIFACTS", str(tmp_path))
    run_id = "manual__audit"
    folder = RunResources("build_test_deploy", run_id).artifacts_dir("npm_audit")
    (folder / "security").mkdir(parents=True)
    (folder / security.AUDIT_REPORT).write_text(report(vulnerabilities, ADVISORIES))
    (folder / security.AUDIT_EXIT_CODE).write_text("1")
    monkeypatch.setattr(JobOperator, "_run_job", lambda self, context: {"job": self.task_id})
    sent = []
    monkeypatch.setattr(security, "security_findings_alert", lambda *args: sent.append(args))

    class Dag:
        dag_id = "build_test_deploy"

    class Ti:
        def xcom_push(self, key, value):
            pass

    context = {"dag": Dag(), "run_id": run_id, "ti": Ti()}
    operator = security.NpmAuditOperator(audit_level="moderate")

    with pytest.raises(AirflowException, match="pnpm audit found vulnerabilities"):
        operator.execute(context)  # type: ignore[arg-type]

    if alerted:
        [(_, counts, top)] = sent
        assert (counts["high"], counts["critical"]) == (1, 1)
        assert top == ["next", "axios", "semver"]
    else:
        assert sent == []
