"""How long a program waits before it answers an approval for a person."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tradosphere_cicd.airflow_api import settle_delay

NOW = datetime(2026, 12, 4, 12, 0, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("asked_at", "expected"),
    [
        pytest.param("2026-12-04T12:00:10Z", 10.0, id="just-asked"),
        pytest.param("2026-12-04T12:00:07+00:00", 7.0, id="three-seconds-old"),
        pytest.param("2026-12-04T12:00:00.000000Z", 0.0, id="exactly-settled"),
        pytest.param("2026-12-04T11:59:00Z", 0.0, id="long-asked"),
        pytest.param("2026-12-04T12:00:30Z", 10.0, id="clock-ahead-waits-no-longer-than-settle"),
        pytest.param("2026-12-04T12:00:05", 5.0, id="no-timezone-is-utc"),
        pytest.param(None, 10.0, id="request-unreadable"),
        pytest.param("yesterday", 10.0, id="time-unreadable"),
    ],
)
def test_settle_delay(asked_at, expected):
    assert settle_delay(asked_at, 10.0, NOW) == pytest.approx(expected)
