"""Health figures: p95, the rollback verdict tables, sampling a real local server, the database probe."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tradosphere_cicd.health import HealthFigures, probe_database, sample, verdict
from tradosphere_cicd.pipeline import HealthRules

RULES = HealthRules(min_requests=20, max_5xx_ratio=0.05, max_p95_seconds=2.0)


def figures(
    frontend: int = 20,
    frontend_5xx: int = 0,
    latencies: list[float] | None = None,
    backend_failures: int = 0,
    db_errors: int = 0,
    last_db_error: str = "",
) -> HealthFigures:
    latencies = [0.1] * 20 if latencies is None else latencies
    return HealthFigures(
        requests=frontend + len(latencies) + backend_failures,
        frontend_5xx=frontend_5xx,
        frontend_requests=frontend,
        backend_latencies=latencies,
        backend_failures=backend_failures,
        db_errors=db_errors,
        last_db_error=last_db_error,
    )


@pytest.mark.parametrize(
    ("latencies", "p95"),
    [
        pytest.param([], 0.0, id="no-requests"),
        pytest.param([0.4], 0.4, id="one"),
        pytest.param([float(n) for n in range(1, 21)], 19.0, id="twenty: rank 19"),
        pytest.param([float(n) for n in range(100, 0, -1)], 95.0, id="hundred unsorted: rank 95"),
        pytest.param([0.1] * 94 + [3.0] * 6, 3.0, id="six slow of a hundred"),
        pytest.param([0.1] * 95 + [3.0] * 5, 0.1, id="five slow of a hundred"),
    ],
)
def test_backend_p95_is_the_nearest_rank(latencies: list[float], p95: float) -> None:
    assert HealthFigures(backend_latencies=latencies).backend_p95() == p95


@pytest.mark.parametrize(
    ("seen", "expected"),
    [
        pytest.param(figures(), None, id="healthy"),
        pytest.param(figures(frontend=5, frontend_5xx=5, latencies=[0.1] * 5), None, id="too-few-requests-yet"),
        pytest.param(figures(frontend=40, frontend_5xx=2), None, id="5xx-at-the-limit"),
        pytest.param(
            figures(frontend=40, frontend_5xx=5),
            "frontend 5xx 12.5% of 40 requests is above 5%",
            id="5xx-above-the-limit",
        ),
        pytest.param(
            figures(latencies=[0.2] * 19 + [9.0]),
            None,
            id="one-slow-of-twenty-is-within-the-p95",
        ),
        pytest.param(
            figures(latencies=[0.2] * 18 + [2.31, 2.6]),
            "backend p95 2.31 s is above 2 s",
            id="p95-above-the-limit",
        ),
        pytest.param(
            figures(latencies=[2.0] * 20),
            None,
            id="p95-exactly-at-the-limit",
        ),
        pytest.param(
            figures(latencies=[0.1] * 10, backend_failures=10),
            "backend failures 50.0% of 20 requests is above 5%",
            id="backend-not-answering",
        ),
        pytest.param(
            figures(db_errors=1, last_db_error="connection refused"),
            "database connection errors: 1 (last: connection refused)",
            id="database-error",
        ),
        pytest.param(
            figures(frontend=1, latencies=[], db_errors=2, last_db_error="timeout"),
            "database connection errors: 2 (last: timeout)",
            id="database-error-counts-before-min-requests",
        ),
        pytest.param(
            figures(frontend=40, frontend_5xx=10, db_errors=1, last_db_error="x"),
            "database connection errors: 1 (last: x)",
            id="database-error-reported-first",
        ),
    ],
)
def test_verdict(seen: HealthFigures, expected: str | None) -> None:
    assert verdict(seen, RULES) == expected


def test_verdict_names_a_fractional_limit_exactly() -> None:
    rules = HealthRules(min_requests=1, max_5xx_ratio=0.025)
    assert verdict(figures(frontend=10, frontend_5xx=1), rules) == "frontend 5xx 10.0% of 10 requests is above 2.5%"


class _App(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/slow":
            time.sleep(0.3)
        status = 503 if self.path == "/broken" else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def app_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _App)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_sample_counts_answers_of_a_healthy_app(app_url: str) -> None:
    seen = HealthFigures()
    sample(seen, f"{app_url}/", f"{app_url}/slow", count=8, timeout=5)
    assert (seen.requests, seen.frontend_requests, seen.frontend_5xx) == (16, 8, 0)
    assert len(seen.backend_latencies) == 8
    assert min(seen.backend_latencies) >= 0.3
    assert verdict(seen, HealthRules(min_requests=16)) is None


def test_sample_counts_5xx_and_unanswered_requests_as_failures(app_url: str) -> None:
    seen = HealthFigures()
    closed_port = "http://127.0.0.1:9/"
    sample(seen, f"{app_url}/broken", closed_port, count=5, timeout=2)
    sample(seen, f"{app_url}/", f"{app_url}/broken", count=5, timeout=2)
    assert (seen.requests, seen.frontend_requests, seen.frontend_5xx) == (20, 10, 5)
    assert seen.backend_failures == 10
    assert len(seen.backend_latencies) == 5, "only answered backend requests have a latency"
    assert verdict(seen, HealthRules(min_requests=20)) == "frontend 5xx 50.0% of 10 requests is above 5%"


def test_sample_gives_up_on_a_slow_answer_at_the_timeout(app_url: str) -> None:
    seen = HealthFigures()
    sample(seen, f"{app_url}/slow", f"{app_url}/", count=2, timeout=0.05)
    assert seen.frontend_5xx == 2


def test_a_database_that_refuses_connections_is_a_database_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_HEALTH_TEST_DB", "postgresql://user:hunter2@127.0.0.1:9/app?connect_timeout=2")
    seen = HealthFigures()
    probe_database("health_test_db", seen)
    assert seen.db_errors == 1
    assert "127.0.0.1" in seen.last_db_error
    assert "hunter2" not in seen.last_db_error
    assert verdict(seen, RULES) == f"database connection errors: 1 (last: {seen.last_db_error})"
