"""
### dependency_update

TradoSphere's weekly dependency update on Airflow, Mondays at 10 AM UTC on
`develop`: the update command of `include/pipeline.yaml` runs on a checkout,
its changes become one commit, lint, type checks, unit and integration tests
run on the updated tree, and only when they pass is the commit pushed to the
branch (a fast-forward; if the branch moved meanwhile, nothing is pushed).
When nothing changed, the run skips its tests and pushes nothing.
"""

from __future__ import annotations

from tradosphere_cicd.workflows import scheduled_workflow

dag = scheduled_workflow("dependency_update", doc_md=__doc__)
