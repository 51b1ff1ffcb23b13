"""
### build_test_deploy

TradoSphere's main CI/CD workflow on Airflow: checkout of a branch and commit, one install,
lint and type checks, unit and integration tests (against real Postgres and
Redis), a security scan, end-to-end tests in four shards, the frontend and
backend builds, and the Docker images. Every step runs in a container; what it
runs is set in `include/pipeline.yaml`.

Trigger it with a **branch** and, optionally, a **commit** on that branch.
"""

from __future__ import annotations

from tradosphere_cicd.workflows import build_test_deploy

dag = build_test_deploy(doc_md=__doc__)
