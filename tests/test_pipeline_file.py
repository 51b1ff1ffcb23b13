"""The pipeline file: the shipped one is valid, and broken ones are rejected with file, key and reason."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tradosphere_cicd.pipeline import DEFAULT_PIPELINE_FILE, PipelineError, load_pipeline, parse_pipeline

GUIDE_JOBS = [
    "lint_and_typecheck",
    "test_unit",
    "test_integration",
    "security_scan",
    "test_e2e",
    "build_frontend",
    "build_backend",
    "build_docker_images",
]


def shipped() -> dict:
    return yaml.safe_load(DEFAULT_PIPELINE_FILE.read_text())


def with_change(path: str, value: object) -> str:
    """The shipped pipeline with one key set (value None deletes it); path is dotted."""
    data = shipped()
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[key]
    if value is None:
        del node[last]
    else:
        node[last] = value
    return yaml.safe_dump(data, sort_keys=False)


def test_shipped_pipeline_has_the_guides_jobs(pipeline):
    assert list(pipeline.jobs) == GUIDE_JOBS
    assert pipeline.jobs["test_e2e"].shards == 4
    assert pipeline.jobs["test_integration"].services == ["postgres", "redis"]
    assert pipeline.jobs["lint_and_typecheck"].branches.allows("main")
    assert not pipeline.jobs["lint_and_typecheck"].branches.allows("dependabot/npm_and_yarn/next-14.2.1")
    assert pipeline.jobs["build_docker_images"].branches.allows("develop")
    assert not pipeline.jobs["build_docker_images"].branches.allows("feature/login")
    assert pipeline.budgets.pipeline_minutes == 15


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("jobs: [", "broken.yaml: not valid YAML", id="not-yaml"),
        pytest.param("- a\n- b\n", "broken.yaml: the top level must be a mapping", id="top-level-list"),
        pytest.param(
            with_change("jobs.test_unit.requires", ["lint"]),
            "broken.yaml: jobs.test_unit.requires: unknown job 'lint'",
            id="unknown-required-job",
        ),
        pytest.param(
            with_change("jobs.test_unit.stepz", []),
            "broken.yaml: jobs.test_unit.stepz: unknown key (check its spelling)",
            id="misspelt-key",
        ),
        pytest.param(
            with_change("jobs.test_e2e.image", "playwright"),
            "broken.yaml: jobs.test_e2e.image: unknown image 'playwright' (images: node, e2e, postgres, redis, deploy)",
            id="unknown-image",
        ),
        pytest.param(
            with_change("jobs.test_integration.services", ["postgres", "mysql"]),
            "broken.yaml: jobs.test_integration.services: unknown service 'mysql' (services: postgres, redis)",
            id="unknown-service",
        ),
        pytest.param(
            with_change("jobs.lint_and_typecheck.requires", ["build_docker_images"]),
            "broken.yaml: jobs: the requires form a cycle: lint_and_typecheck -> build_docker_images -> "
            "build_frontend -> test_e2e -> test_unit -> lint_and_typecheck",
            id="cycle",
        ),
        pytest.param(
            with_change("jobs.test_e2e.shards", 0),
            "broken.yaml: jobs.test_e2e.shards: Input should be greater than or equal to 1",
            id="zero-shards",
        ),
        pytest.param(
            with_change("jobs.test_unit.memory", "lots"),
            "broken.yaml: jobs.test_unit.memory: String should match pattern",
            id="bad-memory",
        ),
        pytest.param(
            with_change("jobs.lint_and_typecheck.branches", {"ignore": ["^dependabot/(.*"]}),
            "broken.yaml: jobs.lint_and_typecheck.branches.ignore: '^dependabot/(.*' is not a valid regular expression",
            id="bad-branch-pattern",
        ),
        pytest.param(
            with_change("jobs.build_backend.steps", None),
            "broken.yaml: jobs.build_backend: a job needs `steps`",
            id="job-without-work",
        ),
        pytest.param(
            with_change("repository", None),
            "broken.yaml: repository: Field required",
            id="no-repository",
        ),
        pytest.param(
            with_change("jobs", {"Lint-Job": {"steps": [{"name": "a", "run": "b"}]}}),
            "broken.yaml: jobs: 'Lint-Job' is not a valid name",
            id="job-name-not-a-task-id",
        ),
        pytest.param(
            with_change("channels.ci_failures", "#ci-failures"),
            "broken.yaml: channels.ci_failures: Input should be a valid dictionary",
            id="channel-without-connection",
        ),
        pytest.param(
            with_change("channels.deployments", {"channel": "deployments", "connection": "slack_deployments"}),
            "broken.yaml: channels.deployments.channel: String should match pattern",
            id="channel-without-hash",
        ),
        pytest.param(
            with_change("jobs.security_scan.scanners.npm_audit.audit_level", "severe"),
            "broken.yaml: jobs.security_scan.scanners.npm_audit.audit_level: Input should be 'low', 'moderate'",
            id="bad-audit-level",
        ),
        pytest.param(
            with_change("release.environments", ["staging", "prod"]),
            "broken.yaml: release.environments: unknown environment 'prod' (environments: staging, production)",
            id="release-to-unknown-environment",
        ),
        pytest.param(
            with_change("release.requires", ["build_images"]),
            "broken.yaml: release.requires: unknown job 'build_images'",
            id="release-after-unknown-job",
        ),
        pytest.param(
            with_change("release.smoke_tests.after", "production_eu"),
            "broken.yaml: release.smoke_tests.after: 'production_eu' is not one of release.environments",
            id="smoke-tests-after-unknown-environment",
        ),
        pytest.param(
            with_change("environments.production.docker.proxy_port", 8300),
            "broken.yaml: environments.production.docker.proxy_port: port 8300 is already taken by "
            "environments.staging.docker.proxy_port",
            id="two-environments-on-one-port",
        ),
        pytest.param(
            with_change("environments.production.target", "vercel_railway"),
            "broken.yaml: environments.production: target 'vercel_railway' needs a `vercel_railway` section",
            id="target-without-its-section",
        ),
        pytest.param(
            with_change("environments.production.approval", {"approvers": []}),
            "broken.yaml: environments.production.approval.approvers: List should have at least 1 item",
            id="approval-without-approvers",
        ),
        pytest.param(
            with_change("environments.production.health", {"max_5xx_ratio": 5}),
            "broken.yaml: environments.production.health.max_5xx_ratio: Input should be less than or equal to 1",
            id="5xx-ratio-above-one",
        ),
        pytest.param(
            with_change("jobs.build_docker_images.images", [{"name": "tradosphere/web", "dockerfile": "d"}]),
            "broken.yaml: release: exactly one image of jobs.*.images needs `role: frontend` (found 0)",
            id="no-frontend-image",
        ),
        pytest.param(
            with_change("schedules.nightly.cron", "at 2 am"),
            "broken.yaml: schedules.nightly.cron: 'at 2 am' is not a cron expression: give five fields",
            id="cron-not-a-cron",
        ),
        pytest.param(
            with_change("schedules.nightly.cron", "0 25 * * *"),
            "broken.yaml: schedules.nightly.cron: '0 25 * * *' is not a valid cron expression: a field is out of range",
            id="cron-hour-out-of-range",
        ),
        pytest.param(
            with_change("schedules.nightly.cron", "0 2 31 2 *"),
            "broken.yaml: schedules.nightly.cron: '0 2 31 2 *' never fires: no date matches it",
            id="cron-never-fires",
        ),
        pytest.param(
            with_change("schedules.nightly.branch", "main; rm -rf /"),
            "broken.yaml: schedules.nightly.branch: 'main; rm -rf /' contains characters not allowed in a branch",
            id="schedule-branch-with-metacharacters",
        ),
        pytest.param(
            with_change("schedules.nightly.jobs", ["test_unit", "test_e2e", "test_unit"]),
            "broken.yaml: schedules.nightly.jobs: test_unit listed more than once",
            id="schedule-job-twice",
        ),
        pytest.param(
            with_change("release.environments", ["staging", "staging", "production"]),
            "broken.yaml: release.environments: staging listed more than once",
            id="release-environment-twice",
        ),
        pytest.param(
            with_change("schedules.nightly.jobs", ["test_unit", "test_everything"]),
            "broken.yaml: schedules.nightly.jobs: unknown job 'test_everything' (jobs: lint_and_typecheck,",
            id="schedule-unknown-job",
        ),
        pytest.param(
            with_change("schedules.rollback", {"cron": "0 3 * * *", "branch": "main", "jobs": ["test_unit"]}),
            "broken.yaml: schedules.rollback: the name is taken by a DAG of its own; choose another",
            id="schedule-named-like-a-dag",
        ),
        pytest.param(
            with_change("schedules.dependency_update.update.steps", []),
            "broken.yaml: schedules.dependency_update.update.steps: List should have at least 1 item",
            id="update-without-steps",
        ),
        pytest.param(
            with_change("schedules.dependency_update.update.author", "ci@tradosphere"),
            "broken.yaml: schedules.dependency_update.update.author: 'ci@tradosphere' is not an author: write it as "
            "`Name <email>`",
            id="update-author-without-name",
        ),
    ],
)
def test_broken_pipeline_is_rejected_with_file_key_and_reason(text, expected):
    with pytest.raises(PipelineError) as raised:
        parse_pipeline(text, source="broken.yaml")
    assert str(raised.value).startswith(expected), str(raised.value)


def test_missing_file_names_the_path(tmp_path: Path):
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(PipelineError, match=r"nowhere\.yaml: cannot read the pipeline file"):
        load_pipeline(missing)


def test_repository_url_is_taken_from_the_environment_first(pipeline, monkeypatch):
    monkeypatch.delenv("TRADOSPHERE_REPOSITORY", raising=False)
    assert pipeline.repository_url().endswith("/.state/repos/tradosphere.git")
    monkeypatch.setenv("TRADOSPHERE_REPOSITORY", "/srv/git/tradosphere.git")
    assert pipeline.repository_url() == "/srv/git/tradosphere.git"


def test_shipped_release_goes_to_staging_then_production(pipeline):
    assert pipeline.release.environments == ["staging", "production"]
    assert pipeline.release.smoke_tests.after == "staging"
    staging, production = pipeline.environments["staging"], pipeline.environments["production"]
    assert staging.allows_branch("develop")
    assert staging.allows_branch("main")
    assert production.allows_branch("main")
    assert not production.allows_branch("develop")
    assert (staging.budget_minutes, production.budget_minutes) == (5, 8)
    assert production.health.max_5xx_ratio == 0.05
    assert production.health.max_p95_seconds == 2
    assert production.approval.approvers
    assert staging.approval is None
    assert production.public_url() == "http://127.0.0.1:8400"
    assert pipeline.release_image("backend", "abc1234") == "tradosphere/backend:abc1234"


def test_each_channel_names_its_slack_connection(pipeline):
    routes = {name: pipeline.channels.route(name) for name in ("ci_failures", "deployments", "security_alerts")}
    assert {name: (route.channel, route.connection) for name, route in routes.items()} == {
        "ci_failures": ("#ci-failures", "slack_ci_failures"),
        "deployments": ("#deployments", "slack_deployments"),
        "security_alerts": ("#security-alerts", "slack_security_alerts"),
    }
    assert pipeline.channels.route("approvals").channel == "#deployments"
    with pytest.raises(PipelineError, match="the pipeline has no channel 'general' \\(channels: ci_failures, "):
        pipeline.channels.route("general")


def test_cron_presets_are_accepted():
    assert parse_pipeline(with_change("schedules.nightly.cron", "@daily")).schedule("nightly").cron == "@daily"


def test_shipped_schedules_are_the_guides_nightly_and_weekly_update(pipeline):
    assert pipeline.schedule("nightly").cron == "0 2 * * *"
    assert pipeline.schedule("nightly").branch == "main"
    assert pipeline.schedule("nightly").jobs == ["test_unit", "test_integration", "test_e2e", "security_scan"]
    update = pipeline.schedule("dependency_update")
    assert (update.cron, update.branch) == ("0 10 * * 1", "develop")
    assert update.update is not None
    assert update.update.commit_message == "chore: update dependencies"
    assert "pnpm update --latest" in update.update.steps[0].run
    with pytest.raises(PipelineError, match=r"no schedule 'weekly' \(schedules: nightly, dependency_update\)"):
        pipeline.schedule("weekly")
