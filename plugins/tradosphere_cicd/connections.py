"""Default Airflow connections for the databases of the docker-target environments.

Usage: python -m tradosphere_cicd.connections

Prints shell `export AIRFLOW_CONN_...` lines for every docker-target environment
whose database connection is not defined in the environment yet. The password
is made once and kept under the state folder (mode 600), so the environment's
Postgres and Airflow agree across restarts. A connection defined by the user
(environment variable, secrets backend or `airflow connections add`) wins:
define it in the environment to replace the default.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import sys
from pathlib import Path

from tradosphere_cicd import settings
from tradosphere_cicd.pipeline import Pipeline, load_pipeline

DATABASE_USER = "tradosphere"
DATABASE_NAME = "tradosphere"


def variable_name(conn_id: str) -> str:
    return "AIRFLOW_CONN_" + conn_id.upper()


def database_password(conn_id: str, secrets_dir: Path | None = None) -> str:
    """The generated password of a default database connection, made on first use."""
    folder = secrets_dir or settings.home() / "secrets"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{conn_id}.password"
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(24))
    return path.read_text().strip()


def default_connections(pipeline: Pipeline, environ: dict[str, str] | None = None) -> dict[str, str]:
    """Environment variables (name -> JSON connection) for the database connections not defined yet."""
    environ = dict(os.environ) if environ is None else environ
    defined: dict[str, str] = {}
    for environment in pipeline.environments.values():
        if environment.docker is None:
            continue
        name = variable_name(environment.database_connection)
        if name in environ or name in defined:
            continue
        defined[name] = json.dumps(
            {
                "conn_type": "postgres",
                "host": "127.0.0.1",
                "port": environment.docker.database_port,
                "login": DATABASE_USER,
                "password": database_password(environment.database_connection),
                "schema": DATABASE_NAME,
            }
        )
    return defined


def main() -> int:
    for name, value in default_connections(load_pipeline()).items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
