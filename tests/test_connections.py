"""Default database connections of the docker-target environments: made once, never over a user's own."""

from __future__ import annotations

import json
import stat

from tradosphere_cicd.bluegreen import password_file, stack_prefix
from tradosphere_cicd.connections import default_connections, variable_name


def test_each_docker_environment_gets_a_postgres_connection_with_the_stacks_password(pipeline, tmp_path, monkeypatch):
    monkeypatch.setenv("TRADOSPHERE_HOME", str(tmp_path))
    monkeypatch.setenv("TRADOSPHERE_NAMESPACE", "tradosphere-unit")

    made = default_connections(pipeline, environ={})

    assert set(made) == {"AIRFLOW_CONN_TRADOSPHERE_STAGING_DB", "AIRFLOW_CONN_TRADOSPHERE_PRODUCTION_DB"}
    production = json.loads(made["AIRFLOW_CONN_TRADOSPHERE_PRODUCTION_DB"])
    assert (production["conn_type"], production["host"], production["port"]) == ("postgres", "127.0.0.1", 8401)
    secret = password_file(stack_prefix("production"))
    assert production["password"] == secret.read_text().strip()
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert default_connections(pipeline, environ={}) == made


def test_a_connection_the_user_defined_is_left_alone(pipeline, tmp_path, monkeypatch):
    monkeypatch.setenv("TRADOSPHERE_HOME", str(tmp_path))
    mine = variable_name("tradosphere_production_db")

    made = default_connections(pipeline, environ={mine: "postgresql://me:secret@db.internal:5432/prod"})

    assert mine not in made
    assert "AIRFLOW_CONN_TRADOSPHERE_STAGING_DB" in made
