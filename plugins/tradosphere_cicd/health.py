"""The automatic rollback triggers as figures: frontend 5xx ratio, backend p95 latency, database errors.

A health check samples the live environment for a while (`sample`, `probe_database`), then asks
`verdict` whether the figures break the environment's rules; a reason means: roll back.
"""

from __future__ import annotations

import logging
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests

from tradosphere_cicd.pipeline import HealthRules

log = logging.getLogger(__name__)

SAMPLE_CONCURRENCY = 4
DB_ERROR_LENGTH = 200


@dataclass
class HealthFigures:
    """What a health check has seen so far of one live release."""

    requests: int = 0
    frontend_5xx: int = 0
    frontend_requests: int = 0
    backend_latencies: list[float] = field(default_factory=list)
    backend_failures: int = 0
    db_errors: int = 0
    last_db_error: str = ""

    def frontend_5xx_ratio(self) -> float:
        """Failed frontend requests (5xx or no answer) over all frontend requests; 0 before any."""
        return self.frontend_5xx / self.frontend_requests if self.frontend_requests else 0.0

    def backend_requests(self) -> int:
        return len(self.backend_latencies) + self.backend_failures

    def backend_failure_ratio(self) -> float:
        total = self.backend_requests()
        return self.backend_failures / total if total else 0.0

    def backend_p95(self) -> float:
        """95th percentile of the backend's response times in seconds (nearest rank); 0 before any."""
        if not self.backend_latencies:
            return 0.0
        ordered = sorted(self.backend_latencies)
        rank = math.ceil(0.95 * len(ordered))
        return ordered[rank - 1]

    def summary(self) -> dict[str, float | int | str]:
        """The figures as a person reads them (and as they go to XCom)."""
        return {
            "requests": self.requests,
            "frontend_requests": self.frontend_requests,
            "frontend_5xx": self.frontend_5xx,
            "frontend_5xx_ratio": round(self.frontend_5xx_ratio(), 4),
            "backend_requests": self.backend_requests(),
            "backend_failures": self.backend_failures,
            "backend_failure_ratio": round(self.backend_failure_ratio(), 4),
            "backend_p95_seconds": round(self.backend_p95(), 3),
            "db_errors": self.db_errors,
            "last_db_error": self.last_db_error,
        }


def _get(url: str, timeout: float) -> tuple[int | None, float]:
    """Status code (None when no answer came) and the seconds the request took."""
    started = time.monotonic()
    try:
        status: int | None = requests.get(url, timeout=timeout).status_code
    except requests.RequestException:
        status = None
    return status, time.monotonic() - started


def sample(figures: HealthFigures, frontend_url: str, backend_url: str, count: int, timeout: float) -> None:
    """Send `count` GETs to each URL, a few at a time, and add what came back to `figures`.

    A 5xx or no answer at all (refused, reset, timed out) counts as a failure. Backend latencies are
    recorded for every answer; a backend request without an answer counts as a backend failure.
    """
    urls = [("frontend", frontend_url)] * count + [("backend", backend_url)] * count
    with ThreadPoolExecutor(max_workers=SAMPLE_CONCURRENCY) as pool:
        answers = list(pool.map(lambda target: (target[0], *_get(target[1], timeout)), urls))

    for part, status, seconds in answers:
        figures.requests += 1
        failed = status is None or status >= 500
        if part == "frontend":
            figures.frontend_requests += 1
            figures.frontend_5xx += failed
        elif status is None:
            figures.backend_failures += 1
        else:
            figures.backend_latencies.append(seconds)
            figures.backend_failures += failed
    log.info(
        "Health sample: %s requests so far, frontend failures %s/%s, backend p95 %.3f s",
        figures.requests,
        figures.frontend_5xx,
        figures.frontend_requests,
        figures.backend_p95(),
    )


def probe_database(conn_id: str, figures: HealthFigures) -> None:
    """Run SELECT 1 through the Airflow connection `conn_id`; an error adds to the figures' database errors."""
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    try:
        PostgresHook(postgres_conn_id=conn_id).get_first("SELECT 1")
    except Exception as error:
        figures.db_errors += 1
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        figures.last_db_error = first_line[:DB_ERROR_LENGTH]
        log.warning("Health: database probe through connection %s failed: %s", conn_id, figures.last_db_error)


def verdict(figures: HealthFigures, rules: HealthRules) -> str | None:
    """Why the release must be rolled back, or None while it is healthy.

    Database errors count at once. The request figures count only after `rules.min_requests` requests,
    so that one slow first answer does not roll a release back.
    """
    if figures.db_errors:
        return f"database connection errors: {figures.db_errors} (last: {figures.last_db_error or 'no message'})"
    if figures.requests < rules.min_requests:
        return None
    ratio = figures.frontend_5xx_ratio()
    if ratio > rules.max_5xx_ratio:
        return (
            f"frontend 5xx {ratio:.1%} of {figures.frontend_requests} requests is above {_percent(rules.max_5xx_ratio)}"
        )
    backend_ratio = figures.backend_failure_ratio()
    if backend_ratio > rules.max_5xx_ratio:
        return (
            f"backend failures {backend_ratio:.1%} of {figures.backend_requests()} requests "
            f"is above {_percent(rules.max_5xx_ratio)}"
        )
    p95 = figures.backend_p95()
    if p95 > rules.max_p95_seconds:
        return f"backend p95 {p95:.2f} s is above {rules.max_p95_seconds:g} s"
    return None


def _percent(ratio: float) -> str:
    return f"{ratio * 100:g}%"
