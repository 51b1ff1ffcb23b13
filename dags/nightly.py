"""
### nightly

TradoSphere's nightly full suite on Airflow, at 2 AM UTC on `main`: unit and
integration tests (against real Postgres and Redis), the end-to-end tests in
four shards and the security scan, each in its own container after one
checkout and install. A failure is told to #ci-failures. Trigger it by hand
with a **branch** (and optionally a **commit**) to run the suite elsewhere.
"""

from __future__ import annotations

from tradosphere_cicd.workflows import scheduled_workflow

dag = scheduled_workflow("nightly", doc_md=__doc__)
