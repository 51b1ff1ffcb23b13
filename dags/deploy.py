"""
### deploy_&lt;environment&gt;

Deploys one version of TradoSphere to one environment of `include/pipeline.yaml`
(one Airflow DAG per environment: deploy_staging, deploy_production). build_test_deploy
triggers it and waits; trigger it by hand with a **version** (commit SHA) to
redeploy a version that was built before.

Before the release goes live, the live one is recorded as the last good
release. Migrations run, the release starts in the idle colour, passes
readiness, and the reverse proxy switches to it in one step. Where the
environment has health rules, the release is observed for a window and rolled
back automatically on the guide's triggers. The deploy has a time budget (a
Deadline Alert); a deploy that overruns it after going live is rolled back.
"""

from __future__ import annotations

from tradosphere_cicd.pipeline import load_pipeline
from tradosphere_cicd.workflows import deploy_environment

for environment in load_pipeline().environments:
    globals()[f"deploy_{environment}"] = deploy_environment(environment, doc_md=__doc__)
