"""Slack alerts of the pipeline: what each message says, secret masking, delivery with retries and a spool on disk.

Every alert goes to a channel of the pipeline file (``channels:``), posted through the Airflow connection named
there: an incoming webhook (conn type ``slackwebhook``) or a bot token (conn type ``slack``), both sent with the
Slack provider's notifiers. Delivery never raises and is bounded in time: a few attempts with backoff, then the
message is kept under ``<TRADOSPHERE_HOME>/alerts/spool`` and sent when Slack answers again (on the next alert that
gets through, or by ``flush_spool``). With no connection configured, the alert is written to the log and to
``<TRADOSPHERE_HOME>/alerts/alerts.jsonl`` instead. Every alert, whatever became of it, is recorded in that file.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from airflow.sdk import BaseHook, BaseNotifier
from airflow.sdk.exceptions import AirflowNotFoundException

from tradosphere_cicd import settings
from tradosphere_cicd.operators import RESOLVE_TASK
from tradosphere_cicd.pipeline import ChannelRoute, Pipeline, PipelineError, load_pipeline

log = logging.getLogger(__name__)

TAIL_LINES = 20
MAX_LINE = 300
MASK = "***"
# Secrets shorter than this are not masked word by word: "test" would shred every message that says "test_unit".
# Credentials inside URLs are masked whatever their length.
MIN_SECRET_LENGTH = 5
DEFAULT_BASE_URL = "http://localhost:8080"
DEPLOYMENT_KINDS = ("deployed", "health_check_failed", "rolled_back", "deadline_missed")
STALE_CLAIM_SECONDS = 300

URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^\s:/@]+):(?P<secret>[^\s@/]+)@")
TOKEN_PATTERNS = [
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{8,}"),
    re.compile(r"(?i)\b(bearer|token)\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"hooks\.slack\.com/services/[A-Za-z0-9/]+"),
]


# ---------------------------------------------------------------- the message


@dataclass
class Alert:
    """One message: a headline, the run it is about, facts, the failing command's last lines and links."""

    title: str
    dag_id: str | None = None
    stage: str | None = None
    branch: str | None = None
    commit: str | None = None
    triggered_by: str | None = None
    duration_seconds: float | None = None
    facts: list[str] = field(default_factory=list)
    log_tail: list[str] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        """The message as Slack mrkdwn."""
        lines = [f"*{self.title}*"]
        described = [
            ("DAG", self.dag_id),
            ("Stage", self.stage),
            ("Branch", self.branch),
            ("Commit", self.commit),
            ("Triggered by", self.triggered_by),
            ("Duration", format_duration(self.duration_seconds) if self.duration_seconds is not None else None),
        ]
        summary = " | ".join(f"{label}: `{value}`" for label, value in described if value)
        if summary:
            lines.append(summary)
        lines.extend(self.facts)
        if self.log_tail:
            lines.append(f"Last {len(self.log_tail)} lines of the log:")
            lines.append("```\n" + "\n".join(line[:MAX_LINE] for line in self.log_tail).replace("```", "'''") + "\n```")
        if self.links:
            lines.append(" | ".join(f"<{url}|{label}>" for label, url in self.links.items()))
        return "\n".join(lines)


def format_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


# ---------------------------------------------------------------- secrets


def known_secrets(pipeline: Pipeline | None = None) -> set[str]:
    """Values that must never reach Slack: the pipeline's secret environment and the Slack connections' secrets."""
    secrets: set[str] = set()
    if pipeline is not None:
        for job in pipeline.jobs.values():
            secrets.update(job.secret_environment.values())
        for service in pipeline.services.values():
            secrets.update(service.secret_environment.values())
        for name in type(pipeline.channels).model_fields:
            connection = _connection(pipeline.channels.route(name).connection)
            if connection is not None and connection.password:
                secrets.add(connection.password.strip())
    return {secret for secret in secrets if secret}


def mask(text: str, secrets: Iterable[str] = ()) -> str:
    """Replace every known secret, every credential inside a URL and anything shaped like a token with ***."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= MIN_SECRET_LENGTH:
            text = text.replace(secret, MASK)
    text = URL_CREDENTIALS.sub(lambda match: f"{match['scheme']}{match['user']}:{MASK}@", text)
    for pattern in TOKEN_PATTERNS:
        text = pattern.sub(MASK, text)
    try:
        from airflow.sdk._shared.secrets_masker import redact

        # Airflow's own masker knows the connections and variables this process has read.
        redacted = redact(text)
        if isinstance(redacted, str):
            text = redacted
    except Exception as error:
        log.debug("Airflow's secrets masker is not available here: %s", error)
    return text


# ---------------------------------------------------------------- delivery


@dataclass(frozen=True)
class DeliveryPolicy:
    """How hard one alert tries before it is spooled; bounded so that a hanging Slack cannot hold a stage."""

    attempts: int = 3
    timeout_seconds: int = 5
    backoff_seconds: float = 1.0

    @classmethod
    def from_environment(cls) -> DeliveryPolicy:
        return cls(
            attempts=max(1, int(os.environ.get("TRADOSPHERE_SLACK_ATTEMPTS", cls.attempts))),
            timeout_seconds=max(1, int(os.environ.get("TRADOSPHERE_SLACK_TIMEOUT_SECONDS", cls.timeout_seconds))),
            backoff_seconds=max(0.0, float(os.environ.get("TRADOSPHERE_SLACK_BACKOFF_SECONDS", cls.backoff_seconds))),
        )


def alerts_dir() -> Path:
    return settings.home() / "alerts"


def alerts_file() -> Path:
    """Every alert and what became of it, one JSON object a line."""
    return alerts_dir() / "alerts.jsonl"


def spool_dir() -> Path:
    """Alerts that Slack did not take yet, one file each, sent oldest first when it answers again."""
    return alerts_dir() / "spool"


def send_alert(channel: str, alert: Alert) -> bool:
    """Post an alert to a channel of the pipeline file; True when Slack took it. Never raises."""
    try:
        return _send(channel, alert)
    except Exception as error:
        log.error("Alert for %s could not be handled: %s: %s", channel, type(error).__name__, mask(str(error)))
        return False


def _send(channel: str, alert: Alert) -> bool:
    pipeline = load_pipeline()
    route = pipeline.channels.route(channel)
    text = mask(alert.text(), known_secrets(pipeline))
    connection = _connection(route.connection)
    if connection is None:
        log.warning(
            "Slack alert for %s (not sent: no Airflow connection %r; add it to post to Slack):\n%s",
            route.channel,
            route.connection,
            text,
        )
        _record(channel, route, text, "logged: no connection")
        return False

    policy = DeliveryPolicy.from_environment()
    # Slack already failed for this connection: one quick try, so that an outage costs each stage nothing.
    attempts = 1 if _pending(route.connection) else policy.attempts
    error = _deliver_with_retries(connection, route, text, policy, attempts)
    if error is None:
        log.info("Slack alert posted to %s: %s", route.channel, alert.title)
        _record(channel, route, text, "delivered")
        _flush(connection_id=route.connection)
        return True

    path = _spool(channel, route, text, error)
    log.warning(
        "Slack did not take the alert for %s after %d attempt(s) (%s); kept in %s and sent when Slack answers "
        "again (bin/tradosphere alerts flush sends it now):\n%s",
        route.channel,
        attempts,
        error,
        path,
        text,
    )
    _record(channel, route, text, "spooled", error=error)
    return False


def flush_spool() -> int:
    """Send every spooled alert whose Slack answers now; return how many went out. Never raises."""
    try:
        return _flush()
    except Exception as error:
        log.error("Flushing the alert spool failed: %s: %s", type(error).__name__, mask(str(error)))
        return 0


def _flush(connection_id: str | None = None) -> int:
    folder = spool_dir()
    if not folder.is_dir():
        return 0
    _reclaim_stale(folder)
    policy = DeliveryPolicy.from_environment()
    sent, down = 0, set()
    for path in sorted(folder.glob("*.json")):
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        route = ChannelRoute(channel=entry["target"], connection=entry["connection"])
        if (connection_id and route.connection != connection_id) or route.connection in down:
            continue
        claimed = path.with_suffix(".sending")
        try:
            path.rename(claimed)
        except OSError:
            continue  # another process is sending it
        connection = _connection(route.connection)
        text = f"_(held back since {entry['created']}: Slack did not answer then)_\n{entry['text']}"
        error = "no connection" if connection is None else _deliver_once(connection, route, text, policy)
        if error is None:
            claimed.unlink(missing_ok=True)
            _record(entry["channel"], route, entry["text"], "delivered from spool")
            sent += 1
        else:
            claimed.rename(path)
            down.add(route.connection)
            log.warning("Spooled alert %s for %s still not delivered: %s", path.name, route.channel, error)
    if sent:
        log.info("Sent %d spooled Slack alert(s); %d still waiting", sent, len(list(folder.glob("*.json"))))
    return sent


def _reclaim_stale(folder: Path) -> None:
    """An alert claimed by a process that died mid-send goes back to the spool."""
    for claimed in folder.glob("*.sending"):
        try:
            if time.time() - claimed.stat().st_mtime > STALE_CLAIM_SECONDS:
                claimed.rename(claimed.with_suffix(".json"))
        except OSError:
            continue


def _pending(connection_id: str) -> bool:
    folder = spool_dir()
    if not folder.is_dir():
        return False
    for path in folder.glob("*.json"):
        try:
            if json.loads(path.read_text(encoding="utf-8")).get("connection") == connection_id:
                return True
        except (OSError, json.JSONDecodeError):
            continue
    return False


def _spool(channel: str, route: ChannelRoute, text: str, error: str) -> Path:
    folder = spool_dir()
    folder.mkdir(parents=True, exist_ok=True)
    created = datetime.now(UTC)
    path = folder / f"{created.strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:8]}.json"
    entry = {
        "channel": channel,
        "target": route.channel,
        "connection": route.connection,
        "created": created.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "text": text,
        "error": error,
    }
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(entry), encoding="utf-8")
    partial.rename(path)
    return path


def _record(channel: str, route: ChannelRoute, text: str, status: str, error: str | None = None) -> None:
    entry = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "channel": channel,
        "target": route.channel,
        "connection": route.connection,
        "status": status,
        "text": text,
    }
    if error:
        entry["error"] = error
    try:
        alerts_dir().mkdir(parents=True, exist_ok=True)
        with alerts_file().open("a", encoding="utf-8") as journal:
            journal.write(json.dumps(entry) + "\n")
    except OSError as failure:
        log.error("Could not write the alerts file %s: %s", alerts_file(), failure)


def _connection(conn_id: str) -> Any | None:
    try:
        return BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return None


def _deliver_with_retries(
    connection: Any, route: ChannelRoute, text: str, policy: DeliveryPolicy, attempts: int
) -> str | None:
    """None when delivered, else the last error (masked)."""
    error: str | None = None
    for attempt in range(1, attempts + 1):
        error = _deliver_once(connection, route, text, policy)
        if error is None:
            return None
        if attempt < attempts:
            pause = policy.backoff_seconds * 2 ** (attempt - 1)
            log.warning(
                "Slack attempt %d/%d for %s failed (%s); next in %.1f s", attempt, attempts, route.channel, error, pause
            )
            time.sleep(pause)
    return error


def _deliver_once(connection: Any, route: ChannelRoute, text: str, policy: DeliveryPolicy) -> str | None:
    """Post once with the Slack provider's notifier; None when Slack took it, else what went wrong."""
    from airflow.providers.slack.notifications.slack import SlackNotifier
    from airflow.providers.slack.notifications.slack_webhook import SlackWebhookNotifier

    notifier: BaseNotifier
    if _is_webhook(connection):
        notifier = SlackWebhookNotifier(
            slack_webhook_conn_id=route.connection, text=text, timeout=policy.timeout_seconds, retry_handlers=[]
        )
    else:
        notifier = SlackNotifier(
            slack_conn_id=route.connection,
            channel=route.channel,
            text=text,
            username="TradoSphere CI/CD",
            timeout=policy.timeout_seconds,
            retry_handlers=[],
        )
    try:
        # notify() directly, not the notifier's __call__: messages carry log lines that must not be templated.
        notifier.notify({})
    except Exception as error:
        secret = (connection.password or "").strip()
        return mask(f"{type(error).__name__}: {error}", [secret] if secret else [])[:500]
    return None


def _is_webhook(connection: Any) -> bool:
    if connection.conn_type in ("slackwebhook", "slack_webhook"):
        return True
    if connection.conn_type == "slack":
        return False
    return "://" in (connection.password or "")


# ---------------------------------------------------------------- what a run says about itself


def base_url() -> str:
    """Airflow's public address, ``[api] base_url``; links in messages start here."""
    from airflow.sdk.configuration import conf

    configured = conf.get("api", "base_url", fallback=None)
    if not configured:
        log.warning("[api] base_url is not set: alert links use %s (set AIRFLOW__API__BASE_URL)", DEFAULT_BASE_URL)
        return DEFAULT_BASE_URL
    return str(configured).rstrip("/")


def run_link(dag_id: str, run_id: str) -> str:
    return f"{base_url()}/dags/{dag_id}/runs/{quote(run_id, safe='')}"


def task_log_link(dag_id: str, run_id: str, task_id: str, map_index: int = -1, try_number: int | None = None) -> str:
    mapped = f"/mapped/{map_index}" if map_index >= 0 else ""
    attempt = f"?try_number={try_number}" if try_number else ""
    return f"{run_link(dag_id, run_id)}/tasks/{task_id}{mapped}{attempt}"


def required_actions_link(dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> str:
    return f"{run_link(dag_id, run_id)}/tasks/{task_id}/required_actions?map_index={map_index}"


@dataclass
class RunFacts:
    dag_id: str | None = None
    run_id: str | None = None
    branch: str | None = None
    commit: str | None = None
    triggered_by: str | None = None


def run_facts(context: Mapping[str, Any] | None) -> RunFacts:
    """DAG, run, branch, short commit and trigger from a task's context or a deadline callback's."""
    if not context:
        return RunFacts()
    dag_run = context.get("dag_run")
    ti = context.get("ti") or context.get("task_instance")
    dag_id = _field(dag_run, "dag_id") or (getattr(ti, "dag_id", None) if ti is not None else None)
    run_id = _field(dag_run, "run_id") or _field(dag_run, "dag_run_id") or context.get("run_id")
    facts = RunFacts(dag_id=dag_id, run_id=run_id, triggered_by=_trigger(dag_run))

    revision: Any = None
    if ti is not None:
        try:
            revision = ti.xcom_pull(task_ids=RESOLVE_TASK)
        except Exception as error:
            log.debug("No revision from %s: %s", RESOLVE_TASK, error)
    if isinstance(revision, dict):
        facts.branch = revision.get("branch")
        facts.commit = revision.get("short_commit") or str(revision.get("commit") or "")[:7] or None
        return facts
    params = context.get("params") or _field(dag_run, "conf") or {}
    if isinstance(params, Mapping):
        facts.branch = str(params.get("branch") or "") or None
        facts.commit = str(params.get("commit") or "")[:7] or None
    return facts


def _field(holder: Any, name: str) -> Any:
    if holder is None:
        return None
    if isinstance(holder, Mapping):
        return holder.get(name)
    return getattr(holder, name, None)


def _trigger(dag_run: Any) -> str | None:
    user = _field(dag_run, "triggering_user_name")
    how = _field(dag_run, "triggered_by") or _field(dag_run, "run_type")
    how = getattr(how, "value", how)
    if user and how:
        return f"{user} ({how})"
    return str(user or how) if (user or how) else None


def _log_tail(exception: BaseException | None) -> list[str]:
    """The failing command's last lines: the container's log when the job ran one, else the error itself."""
    if exception is None:
        return []
    logs = getattr(exception, "logs", None)
    if logs:
        lines = [line.decode(errors="replace") if isinstance(line, bytes) else str(line) for line in logs]
        lines = [part for line in lines for part in line.rstrip("\n").splitlines()]
        return lines[-TAIL_LINES:]
    return str(exception).strip().splitlines()[-TAIL_LINES:]


def _map_index(ti: Any) -> int:
    map_index = getattr(ti, "map_index", -1)
    return map_index if isinstance(map_index, int) else -1


def _stage(ti: Any) -> str:
    map_index = _map_index(ti)
    return f"{ti.task_id}[{map_index}]" if map_index >= 0 else str(ti.task_id)


def _elapsed(ti: Any) -> float | None:
    started = getattr(ti, "start_date", None)
    if not isinstance(started, datetime):
        return None
    ended = getattr(ti, "end_date", None)
    ended = ended if isinstance(ended, datetime) else datetime.now(UTC)
    return max(0.0, (ended - started).total_seconds())


def _run_links(facts: RunFacts) -> dict[str, str]:
    if not (facts.dag_id and facts.run_id):
        return {}
    return {"Run": run_link(facts.dag_id, facts.run_id)}


# ---------------------------------------------------------------- the alerts


def task_failure_callback(context: Mapping[str, Any]) -> None:
    """on_failure_callback of every task: tell #ci-failures which stage failed, why, and where its log is."""
    try:
        ti = context["ti"]
        facts = run_facts(context)
        exception = context.get("exception")
        stage = _stage(ti)
        reason = str(exception).strip().splitlines()[0] if exception is not None and str(exception).strip() else None
        try_number = getattr(ti, "try_number", None)
        alert = Alert(
            title=f":x: {facts.dag_id}: {stage} failed",
            dag_id=facts.dag_id,
            stage=stage,
            branch=facts.branch,
            commit=facts.commit,
            triggered_by=facts.triggered_by,
            duration_seconds=_elapsed(ti),
            facts=[f"Why: {reason}"] if reason else [],
            log_tail=[line for line in _log_tail(exception) if line.strip() != reason],
            links={
                **_run_links(facts),
                "Task log": task_log_link(
                    str(facts.dag_id),
                    str(facts.run_id),
                    ti.task_id,
                    _map_index(ti),
                    try_number if isinstance(try_number, int) else None,
                ),
            },
        )
        send_alert("ci_failures", alert)
    except Exception as error:
        log.error("The failure alert could not be built: %s: %s", type(error).__name__, mask(str(error)))


def deployment_alert(
    kind: str,
    *,
    environment: str,
    version: str,
    previous_version: str | None = None,
    figures: dict | None = None,
    reason: str | None = None,
    context: Mapping[str, Any] | None = None,
) -> None:
    """
    Tell #deployments about a release.

    :param kind: ``deployed``, ``health_check_failed``, ``rolled_back`` or ``deadline_missed``.
    :param version: the version live after the event (for ``rolled_back``: the one put back).
    :param previous_version: the version live before it (for ``rolled_back``: the one taken down).
    :param figures: measurements worth showing, e.g. the health check's 5xx ratio and p95.
    :param reason: why, in a sentence (health check or deadline).
    :param context: the task's or deadline callback's context, for the run, branch, commit and links.
    """
    if kind not in DEPLOYMENT_KINDS:
        raise ValueError(f"kind: {kind!r} is not a deployment alert (one of: {', '.join(DEPLOYMENT_KINDS)})")
    try:
        facts = run_facts(context)
        headline = {
            "deployed": f":rocket: {environment}: {version} is live",
            "health_check_failed": f":warning: {environment}: health check failed for {version}",
            "rolled_back": f":rewind: {environment}: rolled back from {previous_version or '?'} to {version}",
            "deadline_missed": f":hourglass: {environment}: deploy of {version} ran past its time budget",
        }[kind]
        lines = []
        if kind == "rolled_back":
            lines.append(f"Before: `{previous_version or 'unknown'}` -> after: `{version}`")
        elif previous_version:
            lines.append(f"Previously live: `{previous_version}`")
        if reason:
            lines.append(f"Why: {reason}")
        if figures:
            lines.append("Figures: " + ", ".join(f"{name} {value}" for name, value in figures.items()))
        ti = context.get("ti") if context else None
        links = _run_links(facts)
        if ti is not None and facts.dag_id and facts.run_id:
            links["Task log"] = task_log_link(facts.dag_id, facts.run_id, ti.task_id, _map_index(ti))
        alert = Alert(
            title=headline,
            dag_id=facts.dag_id,
            stage=str(ti.task_id) if ti is not None else None,
            branch=facts.branch,
            commit=facts.commit,
            triggered_by=facts.triggered_by,
            duration_seconds=_elapsed(ti) if ti is not None else None,
            facts=lines,
            links=links,
        )
        send_alert("deployments", alert)
    except Exception as error:
        log.error("The deployment alert could not be built: %s: %s", type(error).__name__, mask(str(error)))


def security_findings_alert(context: Mapping[str, Any], counts: dict[str, int], top_packages: list[str]) -> None:
    """Tell #security-alerts that the scan found high or critical vulnerabilities, with counts and top packages."""
    try:
        ti = context["ti"]
        facts = run_facts(context)
        serious = {level: counts.get(level, 0) for level in ("critical", "high") if counts.get(level, 0)}
        found = " and ".join(f"{count} {level}" for level, count in serious.items()) or "high or critical"
        all_counts = ", ".join(f"{level} {count}" for level, count in counts.items() if count) or "none counted"
        alert = Alert(
            title=f":rotating_light: {facts.dag_id}: {_stage(ti)} found {found} vulnerabilities",
            dag_id=facts.dag_id,
            stage=_stage(ti),
            branch=facts.branch,
            commit=facts.commit,
            triggered_by=facts.triggered_by,
            duration_seconds=_elapsed(ti),
            facts=[
                f"Counts by severity: {all_counts}",
                "Top packages: " + (", ".join(top_packages) or "not named by the scanner"),
            ],
            links={**_run_links(facts), "Task log": task_log_link(str(facts.dag_id), str(facts.run_id), ti.task_id)},
        )
        send_alert("security_alerts", alert)
    except Exception as error:
        log.error("The security alert could not be built: %s: %s", type(error).__name__, mask(str(error)))


class ApprovalRequestNotifier(BaseNotifier):
    """
    Ask for an approval in Slack: what waits, who may approve, and the link to its Required Actions page.

    Give it to ``ApprovalOperator(notifiers=[...])``; the approvers are the operator's ``assigned_users``
    unless named here.

    :param channel: a channel of the pipeline file; ``approvals`` by default.
    :param environment: the environment the approval opens, for the headline.
    :param approvers: who may approve; the operator's ``assigned_users`` when not given.
    """

    template_fields = ()

    def __init__(
        self,
        *,
        channel: str = "approvals",
        environment: str | None = None,
        approvers: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.channel = channel
        self.environment = environment
        self.approvers = approvers

    def notify(self, context: Any) -> None:
        try:
            self._notify(context)
        except Exception as error:
            log.error("The approval request could not be built: %s: %s", type(error).__name__, mask(str(error)))

    def _notify(self, context: Any) -> None:
        ti = context["ti"]
        task = context.get("task")
        facts = run_facts(context)
        approvers = self.approvers or [
            str(user.get("name") or user.get("id")) if isinstance(user, Mapping) else str(user)
            for user in (getattr(task, "assigned_users", None) or [])
        ]
        target = f" to {self.environment}" if self.environment else ""
        lines = [f"Who may approve: {', '.join(approvers) if approvers else 'any user allowed to act on this DAG'}"]
        subject = getattr(task, "subject", None)
        if subject:
            lines.insert(0, f"Asks: {subject}")
        timeout = getattr(task, "response_timeout", None)
        if timeout:
            lines.append(f"Waits {format_duration(timeout.total_seconds())} for an answer")
        dag_id, run_id = str(facts.dag_id), str(facts.run_id)
        map_index = _map_index(ti)
        alert = Alert(
            title=f":raised_hand: Approval needed{target}: {dag_id} {ti.task_id}",
            dag_id=facts.dag_id,
            stage=str(ti.task_id),
            branch=facts.branch,
            commit=facts.commit,
            triggered_by=facts.triggered_by,
            facts=lines,
            links={
                "Required Actions": required_actions_link(dag_id, run_id, ti.task_id, map_index),
                **_run_links(facts),
            },
        )
        send_alert(self.channel, alert)


# ---------------------------------------------------------------- command line


def main(argv: list[str]) -> int:
    """``python -m tradosphere_cicd.notifications flush|pending``: send the spool now, or list it."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    command = argv[0] if argv else ""
    if command == "flush":
        sent = flush_spool()
        waiting = len(list(spool_dir().glob("*.json"))) if spool_dir().is_dir() else 0
        print(f"sent {sent} spooled alert(s); {waiting} still waiting in {spool_dir()}")
        return 0 if waiting == 0 else 1
    if command == "pending":
        for path in sorted(spool_dir().glob("*.json")) if spool_dir().is_dir() else []:
            entry = json.loads(path.read_text(encoding="utf-8"))
            print(f"{entry['created']}  {entry['target']}  {entry['text'].splitlines()[0]}")
        return 0
    print("usage: python -m tradosphere_cicd.notifications flush|pending", file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except PipelineError as failure:
        print(f"error: {failure}", file=sys.stderr)
        sys.exit(2)
