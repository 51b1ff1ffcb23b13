"""Default Airflow connections for the databases of the docker-target environments.

Usage: python -m tradosphere_cicd.connections

Prints shell `export AIRFLOW_CONN_...` lines for every docker-target environment
whose database connection is not defined in the environment yet. The password
is the one the environment's Postgres was (or will be) made with, kept under the
state folder (mode 600), so the stack and Airflow agree across restarts. A connection defined by the user
(environment variable, secrets backend or `airflow connections add`) wins:
define it in the environment to replace the default.
"""

from __future__ import annotations

import json
import os
import shlex
import sys

from tradosphere_cicd.bluegreen import DATABASE_NAME, DATABASE_USER, database_password, stack_prefix
from tradosphere_cicd.pipeline import Pipeline, PipelineError, load_pipeline


def variable_name(conn_id: str) -> str:
    return "AIRFLOW_CONN_" + conn_id.upper()


def default_connections(pipeline: Pipeline, environ: dict[str, str] | None = None) -> dict[str, str]:
    """Environment variables (name -> JSON connection) for the database connections not defined yet."""
    environ = dict(os.environ) if environ is None else environ
    defined: dict[str, str] = {}
    for name, environment in pipeline.environments.items():
        if environment.docker is None:
            continue
        variable = variable_name(environment.database_connection)
        if variable in environ or variable in defined:
            continue
        defined[variable] = json.dumps(
            {
                "conn_type": "postgres",
                "host": "127.0.0.1",
                "port": environment.docker.database_port,
                "login": DATABASE_USER,
                "password": database_password(stack_prefix(name)),
                "schema": DATABASE_NAME,
            }
        )
    return defined


def main() -> int:
    try:
        pipeline = load_pipeline()
    except PipelineError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for name, value in default_connections(pipeline).items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
