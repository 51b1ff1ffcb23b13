"""
### Scheduled workflows

One Airflow DAG per entry of the `schedules` section of `include/pipeline.yaml`
(shipped: nightly, dependency_update), each named after its entry and run on its
cron expression in UTC. Each DAG's own description says what it runs.
"""

from __future__ import annotations

from tradosphere_cicd.pipeline import load_pipeline
from tradosphere_cicd.workflows import scheduled_workflow

for name in load_pipeline().schedules:
    globals()[name] = scheduled_workflow(name)
