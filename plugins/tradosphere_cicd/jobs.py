"""What a job container gets: image, steps, environment, mounts and network, from the pipeline file."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from string import Template

from tradosphere_cicd.pipeline import BranchRule, Job, Pipeline, PipelineError, Step

CHECKOUT = "checkout"
INSTALL = "install_dependencies"
SMOKE_TESTS = "smoke_tests"
UPDATE = "update_dependencies"

# The update job's last step ends with this code, and leaves the marker file, when nothing changed: the task is
# skipped and nothing is pushed. The marker tells that apart from an update step of the user's exiting 99.
NOTHING_TO_UPDATE = 99
NOTHING_TO_UPDATE_MARKER = "nothing-to-update"
UPDATE_BUNDLE = "dependency-update.bundle"
COMMIT_UPDATE_STEP = Step(
    name="Commit the update",
    run=(
        "git add --all\n"
        "if git diff --cached --quiet; then\n"
        '  echo "Nothing to update: the dependencies are already at their latest versions"\n'
        '  touch "$UPDATE_UNCHANGED_PATH"\n'
        f"  exit {NOTHING_TO_UPDATE}\n"
        "fi\n"
        "git diff --cached --stat\n"
        'git -c user.name="$AUTHOR_NAME" -c user.email="$AUTHOR_EMAIL" commit --quiet --no-verify '
        '--message "$COMMIT_MESSAGE"\n'
        'git bundle create --quiet "$UPDATE_BUNDLE_PATH" "$COMMIT_SHA..HEAD"\n'
        'git log -1 --format="committed %H on top of %P: %s"'
    ),
)

CHECKOUT_STEPS = [
    Step(name="Clone", run="git clone --quiet --no-checkout /mirror /workspace"),
    Step(
        name="Checkout",
        run='git -c advice.detachedHead=false checkout --quiet --detach "$COMMIT_SHA" && '
        'git log -1 --format="checked out %H (%an: %s)"',
    ),
]


@dataclass(frozen=True)
class JobSpec:
    """One container's worth of work, resolved from the pipeline file."""

    name: str
    image: str
    memory: str
    network: str
    steps: list[Step]
    environment: dict[str, str] = field(default_factory=dict)
    secret_environment: dict[str, str] = field(default_factory=dict)
    services: list[str] = field(default_factory=list)
    test_results: list[str] = field(default_factory=list)
    artifacts: list[str] = field(default_factory=list)
    branches: BranchRule | None = None
    shards: int | None = None
    uses_mirror: bool = False
    uses_cache: bool = False
    uses_docker: bool = False

    def allows_branch(self, branch: str) -> bool:
        return self.branches is None or self.branches.allows(branch)

    def for_shard(self, index: int | None) -> dict[str, str]:
        """Shard variables (1-based, like Playwright's --shard) or nothing for an unsharded job."""
        if index is None or self.shards is None:
            return {}
        return {"SHARD_INDEX": str(index), "SHARD_TOTAL": str(self.shards)}

    def paths(self, paths: list[str], shard: int | None) -> list[str]:
        variables = self.for_shard(shard)
        return [Template(path).safe_substitute(variables) for path in paths]


def job_spec(pipeline: Pipeline, name: str) -> JobSpec:
    """The spec of a task: checkout, install_dependencies, smoke_tests or one of the pipeline's jobs."""
    if name == CHECKOUT:
        return JobSpec(
            name=name,
            image=pipeline.image(pipeline.checkout.image),
            memory="512m",
            network="none",
            steps=CHECKOUT_STEPS,
            uses_mirror=True,
        )
    if name == INSTALL:
        install = pipeline.install
        return JobSpec(
            name=name,
            image=pipeline.image(install.image),
            memory=install.memory,
            network=install.network,
            steps=install.steps,
            uses_cache=True,
        )
    if name == SMOKE_TESTS:
        if pipeline.release is None or pipeline.release.smoke_tests is None:
            raise PipelineError("the pipeline file has no release.smoke_tests")
        return _spec(pipeline, name, pipeline.release.smoke_tests, pipeline.release.smoke_tests.steps)
    job = pipeline.job(name)
    return _spec(pipeline, name, job, job.steps or image_build_steps(pipeline, name))


def update_spec(pipeline: Pipeline, schedule_name: str) -> JobSpec:
    """The dependency update of a schedule: its steps on the checkout, then a commit that the run pushes later."""
    update = pipeline.schedule(schedule_name).update
    if update is None:
        raise PipelineError(f"schedules.{schedule_name} has no `update` section")
    author_name, _, author_email = update.author.partition(" <")
    return JobSpec(
        name=UPDATE,
        image=pipeline.image(pipeline.install.image),
        memory=update.memory,
        network=update.network,
        steps=[*update.steps, COMMIT_UPDATE_STEP],
        environment={
            "COMMIT_MESSAGE": update.commit_message,
            "AUTHOR_NAME": author_name,
            "AUTHOR_EMAIL": author_email.rstrip(">"),
            "UPDATE_BUNDLE_PATH": f"/artifacts/{UPDATE_BUNDLE}",
            "UPDATE_UNCHANGED_PATH": f"/artifacts/{NOTHING_TO_UPDATE_MARKER}",
        },
        uses_cache=True,
    )


def _spec(pipeline: Pipeline, name: str, job: Job, steps: list[Step]) -> JobSpec:
    return JobSpec(
        name=name,
        image=pipeline.image(job.image),
        memory=job.memory or pipeline.defaults.memory,
        network=job.network or pipeline.defaults.network,
        steps=steps,
        environment=dict(job.environment),
        secret_environment=dict(job.secret_environment),
        services=list(job.services),
        test_results=list(job.test_results),
        artifacts=list(job.artifacts),
        branches=job.branches,
        shards=job.shards,
        uses_docker=bool(job.images),
    )


def image_build_steps(pipeline: Pipeline, name: str) -> list[Step]:
    """The guide's docker/build: each image tagged with the commit SHA and latest."""
    steps = []
    for image in pipeline.job(name).images:
        repository, dockerfile = shlex.quote(image.name), shlex.quote(image.dockerfile)
        steps.append(
            Step(
                name=f"Build {image.name}",
                run=f'docker build --file {dockerfile} --tag {repository}:"$COMMIT_SHA" --tag {repository}:latest .',
            )
        )
    return steps
