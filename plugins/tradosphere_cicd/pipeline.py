"""The pipeline file (include/pipeline.yaml): its model, validation and loading."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Literal

import yaml
from croniter import CroniterBadDateError, croniter
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# TRADOSPHERE_PIPELINE_FILE points every DAG at another pipeline file (another repository, other ports).
DEFAULT_PIPELINE_FILE = Path(os.environ.get("TRADOSPHERE_PIPELINE_FILE") or PROJECT_ROOT / "include" / "pipeline.yaml")

MEMORY_PATTERN = r"^[1-9][0-9]*[kmg]$"
NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
# The DAGs that are not scheduled workflows; a schedule becomes a DAG of its own name.
RESERVED_DAG_IDS = ("build_test_deploy", "rollback")


class PipelineError(ValueError):
    """The pipeline file is missing, not YAML, or does not describe a valid pipeline."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Step(_Strict):
    name: str = Field(min_length=1)
    run: str = Field(min_length=1)


class BranchRule(_Strict):
    """The guide's branch filters: `only` these branches, or all but those matching `ignore`."""

    only: list[str] | None = None
    ignore: list[str] | None = None

    @field_validator("only", "ignore")
    @classmethod
    def _patterns_compile(cls, patterns: list[str] | None) -> list[str] | None:
        for pattern in patterns or []:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"{pattern!r} is not a valid regular expression: {error}") from None
        return patterns

    def allows(self, branch: str) -> bool:
        if self.only is not None and not any(_matches(rule, branch) for rule in self.only):
            return False
        return not any(_matches(rule, branch) for rule in self.ignore or [])

    def describe(self) -> str:
        if self.only is not None:
            return "runs only on " + ", ".join(self.only)
        return "does not run on branches matching " + ", ".join(self.ignore or [])


def _matches(rule: str, branch: str) -> bool:
    """A rule is a branch name, or a regular expression when written as one (the guide's /^dependabot.*/)."""
    if rule == branch:
        return True
    return re.fullmatch(rule, branch) is not None


class Service(_Strict):
    image: str
    memory: str = Field(default="512m", pattern=MEMORY_PATTERN)
    environment: dict[str, str] = {}
    secret_environment: dict[str, str] = {}
    ready: list[str] = Field(min_length=1)


class Scanners(_Strict):
    class NpmAudit(_Strict):
        audit_level: Literal["low", "moderate", "high", "critical"] = "moderate"

    class Snyk(_Strict):
        connection: str = "snyk"
        severity_threshold: Literal["low", "medium", "high", "critical"] = "high"

    class DependencyCheck(_Strict):
        image: str | None = None

    npm_audit: NpmAudit = NpmAudit()
    snyk: Snyk = Snyk()
    dependency_check: DependencyCheck = DependencyCheck()


class ImageBuild(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._/-]*$")
    dockerfile: str
    # what the image is deployed as: the frontend (web) or the backend (API) of a release
    role: Literal["frontend", "backend"] | None = None


class Job(_Strict):
    requires: list[str] = []
    image: str | None = None
    memory: str | None = Field(default=None, pattern=MEMORY_PATTERN)
    network: Literal["none", "bridge", "host"] | None = None
    branches: BranchRule | None = None
    budget_minutes: float | None = Field(default=None, gt=0)
    services: list[str] = []
    environment: dict[str, str] = {}
    secret_environment: dict[str, str] = {}
    steps: list[Step] = []
    test_results: list[str] = []
    artifacts: list[str] = []
    shards: int | None = Field(default=None, ge=1, le=16)
    scanners: Scanners | None = None
    images: list[ImageBuild] = []
    registry_connection: str | None = None

    @model_validator(mode="after")
    def _has_work(self) -> Job:
        if not (self.steps or self.scanners or self.images):
            raise ValueError("a job needs `steps` (or `scanners` for a security scan, `images` for an image build)")
        return self

    def allows_branch(self, branch: str) -> bool:
        return self.branches is None or self.branches.allows(branch)


class Repository(_Strict):
    url: str = Field(min_length=1)
    default_branch: str = "main"
    lockfile: str = "pnpm-lock.yaml"


class Defaults(_Strict):
    image: str = "node"
    memory: str = Field(default="2g", pattern=MEMORY_PATTERN)
    network: Literal["none", "bridge", "host"] = "none"


class Cache(_Strict):
    volume: str = Field(pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
    key_prefix: str = Field(pattern=r"^[a-zA-Z0-9_.-]+$")


class Checkout(_Strict):
    image: str = "node"


class Install(_Strict):
    image: str = "node"
    memory: str = Field(default="2g", pattern=MEMORY_PATTERN)
    network: Literal["none", "bridge", "host"] = "bridge"
    steps: list[Step] = Field(min_length=1)


class Budgets(_Strict):
    pipeline_minutes: float = Field(default=15, gt=0)


class ChannelRoute(_Strict):
    """A Slack channel and the Airflow connection (incoming webhook or bot token) that posts to it."""

    channel: str = Field(pattern=r"^#[a-z0-9][a-z0-9_-]*$")
    connection: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")


class Channels(_Strict):
    """Where each kind of alert goes: the guide's three channels, and approval requests."""

    ci_failures: ChannelRoute = ChannelRoute(channel="#ci-failures", connection="slack_ci_failures")
    deployments: ChannelRoute = ChannelRoute(channel="#deployments", connection="slack_deployments")
    security_alerts: ChannelRoute = ChannelRoute(channel="#security-alerts", connection="slack_security_alerts")
    approvals: ChannelRoute = ChannelRoute(channel="#deployments", connection="slack_deployments")

    def route(self, name: str) -> ChannelRoute:
        if name not in type(self).model_fields:
            known = ", ".join(type(self).model_fields)
            raise PipelineError(f"the pipeline has no channel {name!r} (channels: {known})")
        route: ChannelRoute = getattr(self, name)
        return route


class Approval(_Strict):
    """The manual gate before an environment: who may approve, and for how long the gate waits."""

    approvers: list[str] = Field(min_length=1)
    window_minutes: float = Field(default=60, gt=0)


class HealthRules(_Strict):
    """The guide's automatic rollback triggers, watched for a window after a release goes live."""

    window_seconds: float = Field(default=60, gt=0)
    interval_seconds: float = Field(default=2, gt=0)
    requests_per_interval: int = Field(default=10, ge=1)
    min_requests: int = Field(default=20, ge=1)
    max_5xx_ratio: float = Field(default=0.05, ge=0, le=1)
    max_p95_seconds: float = Field(default=2.0, gt=0)
    frontend_path: str = "/"
    backend_path: str = "/api/markets"


class DockerTarget(_Strict):
    """Blue-green on the Docker host: two colours of the frontend and backend behind a reverse proxy."""

    proxy_port: int = Field(ge=1, le=65535)
    database_port: int = Field(ge=1, le=65535)
    memory: str = Field(default="512m", pattern=MEMORY_PATTERN)
    readiness_timeout_seconds: float = Field(default=90, gt=0)


class VercelRailwayTarget(_Strict):
    """The guide's hosted target: the frontend on Vercel, the backend on Railway, tokens from Airflow connections."""

    vercel_connection: str = "vercel"
    railway_connection: str = "railway"
    api_url: str
    supabase_url: str | None = None


class Environment(_Strict):
    target: Literal["docker", "vercel_railway"] = "docker"
    branches: BranchRule | None = None
    budget_minutes: float = Field(gt=0)
    # Airflow connection of the environment's database (migrations and the health check's probe).
    database_connection: str
    url: str | None = None
    approval: Approval | None = None
    health: HealthRules | None = None
    docker: DockerTarget | None = None
    vercel_railway: VercelRailwayTarget | None = None

    @model_validator(mode="after")
    def _target_is_configured(self) -> Environment:
        if getattr(self, self.target) is None:
            raise ValueError(f"target {self.target!r} needs a `{self.target}` section")
        if self.url is None and self.docker is None:
            raise ValueError("`url` is required: the public address that smoke tests and health checks use")
        return self

    def public_url(self) -> str:
        """Where users reach the environment: `url`, else the Docker target's proxy on this host."""
        if self.url:
            return self.url.rstrip("/")
        assert self.docker is not None
        return f"http://127.0.0.1:{self.docker.proxy_port}"

    def allows_branch(self, branch: str) -> bool:
        return self.branches is None or self.branches.allows(branch)


class SmokeTests(Job):
    """The guide's smoke tests: a job run against an environment right after it was deployed."""

    after: str


class ReleasePlan(_Strict):
    """How build_test_deploy releases: after which jobs, to which environments in order, smoke tests between."""

    requires: list[str] = Field(min_length=1)
    environments: list[str] = Field(min_length=1)
    smoke_tests: SmokeTests | None = None

    @field_validator("requires", "environments")
    @classmethod
    def _listed_once(cls, names: list[str]) -> list[str]:
        return _listed_once(names)


class DependencyUpdate(_Strict):
    """What the dependency update runs on a checkout of its branch, and the commit it pushes when the tests pass."""

    network: Literal["none", "bridge", "host"] = "bridge"
    memory: str = Field(default="2g", pattern=MEMORY_PATTERN)
    steps: list[Step] = Field(min_length=1)
    commit_message: str = Field(default="chore: update dependencies", min_length=1, max_length=200)
    author: str = "TradoSphere CI <ci@tradosphere.invalid>"

    @field_validator("author")
    @classmethod
    def _author_is_name_and_email(cls, author: str) -> str:
        if not re.fullmatch(r"[^<>\n]+ <[^<>@\s]+@[^<>\s]+>", author):
            raise ValueError(
                f"{author!r} is not an author: write it as `Name <email>`, e.g. 'TradoSphere CI <ci@example.com>'"
            )
        return author

    @field_validator("commit_message")
    @classmethod
    def _commit_message_is_one_line(cls, message: str) -> str:
        if "\n" in message.strip():
            raise ValueError("the commit message must be one line")
        return message.strip()


class Schedule(_Strict):
    """A workflow on a cron schedule (UTC) for one branch: the jobs it runs, and for updates what it changes."""

    cron: str
    branch: str = Field(min_length=1)
    jobs: list[str] = Field(min_length=1)
    update: DependencyUpdate | None = None

    @field_validator("cron")
    @classmethod
    def _cron_is_valid(cls, cron: str) -> str:
        fields = cron.split()
        if not (len(fields) == 5 or (len(fields) == 1 and cron.startswith("@"))):
            raise ValueError(
                f"{cron!r} is not a cron expression: give five fields (minute hour day month weekday, e.g. "
                "'0 2 * * *' for 2 AM UTC) or a preset such as @daily"
            )
        if not croniter.is_valid(cron):
            raise ValueError(f"{cron!r} is not a valid cron expression: a field is out of range or malformed")
        try:
            croniter(cron, datetime(2026, 1, 1)).get_next(datetime)
        except CroniterBadDateError:
            raise ValueError(f"{cron!r} never fires: no date matches it") from None
        return cron

    @field_validator("branch")
    @classmethod
    def _branch_is_a_branch_name(cls, branch: str) -> str:
        from tradosphere_cicd.revision import RevisionError, check_branch_name

        try:
            return check_branch_name(branch)
        except RevisionError as error:
            raise ValueError(str(error).replace("parameter 'branch' = ", "")) from None

    @field_validator("jobs")
    @classmethod
    def _jobs_listed_once(cls, jobs: list[str]) -> list[str]:
        return _listed_once(jobs)


class Pipeline(_Strict):
    repository: Repository
    images: dict[str, str] = Field(min_length=1)
    defaults: Defaults = Defaults()
    cache: Cache
    checkout: Checkout = Checkout()
    install: Install
    services: dict[str, Service] = {}
    jobs: dict[str, Job] = Field(min_length=1)
    environments: dict[str, Environment] = {}
    release: ReleasePlan | None = None
    schedules: dict[str, Schedule] = {}
    budgets: Budgets = Budgets()
    channels: Channels = Channels()

    @field_validator("jobs", "services", "images", "environments", "schedules")
    @classmethod
    def _names_are_identifiers(cls, named: dict[str, object]) -> dict[str, object]:
        for name in named:
            if not re.match(NAME_PATTERN, name):
                raise ValueError(
                    f"{name!r} is not a valid name: use lower case letters, digits and _ (it becomes a task id)"
                )
        return named

    @model_validator(mode="after")
    def _references_resolve(self) -> Pipeline:
        _check_image(self.images, self.defaults.image, "defaults.image")
        _check_image(self.images, self.checkout.image, "checkout.image")
        _check_image(self.images, self.install.image, "install.image")
        for name, definition in self.services.items():
            _check_image(self.images, definition.image, f"services.{name}.image")
        for name, job in self.jobs.items():
            if job.image is not None:
                _check_image(self.images, job.image, f"jobs.{name}.image")
            for required in job.requires:
                if required not in self.jobs:
                    raise ValueError(f"jobs.{name}.requires: unknown job {required!r} (jobs: {', '.join(self.jobs)})")
            for service in job.services:
                if service not in self.services:
                    known = ", ".join(self.services) or "none defined"
                    raise ValueError(f"jobs.{name}.services: unknown service {service!r} (services: {known})")
        ports = [
            (f"environments.{name}.docker.{key}", port)
            for name, environment in self.environments.items()
            if environment.docker
            for key, port in environment.docker.model_dump(include={"proxy_port", "database_port"}).items()
        ]
        for index, (key, port) in enumerate(ports):
            for other, other_port in ports[:index]:
                if port == other_port:
                    raise ValueError(f"{key}: port {port} is already taken by {other}")
        if self.release is not None:
            self._check_release(self.release)
        for name, schedule in self.schedules.items():
            if name in RESERVED_DAG_IDS or name.startswith("deploy_"):
                raise ValueError(f"schedules.{name}: the name is taken by a DAG of its own; choose another")
            for job_name in schedule.jobs:
                if job_name not in self.jobs:
                    known = ", ".join(self.jobs)
                    raise ValueError(f"schedules.{name}.jobs: unknown job {job_name!r} (jobs: {known})")
        cycle = _find_cycle({name: job.requires for name, job in self.jobs.items()})
        if cycle:
            raise ValueError("jobs: the requires form a cycle: " + " -> ".join(cycle))
        return self

    def _check_release(self, release: ReleasePlan) -> None:
        for required in release.requires:
            if required not in self.jobs:
                raise ValueError(f"release.requires: unknown job {required!r} (jobs: {', '.join(self.jobs)})")
        for name in release.environments:
            if name not in self.environments:
                known = ", ".join(self.environments) or "none defined"
                raise ValueError(f"release.environments: unknown environment {name!r} (environments: {known})")
        if release.smoke_tests is not None:
            if release.smoke_tests.after not in release.environments:
                raise ValueError(
                    f"release.smoke_tests.after: {release.smoke_tests.after!r} is not one of release.environments "
                    f"({', '.join(release.environments)})"
                )
            if release.smoke_tests.image is not None:
                _check_image(self.images, release.smoke_tests.image, "release.smoke_tests.image")
        roles = [image.role for job in self.jobs.values() for image in job.images]
        for role in ("frontend", "backend"):
            if roles.count(role) != 1:
                raise ValueError(
                    f"release: exactly one image of jobs.*.images needs `role: {role}` (found {roles.count(role)})"
                )

    def release_image(self, role: str, version: str) -> str:
        """The image reference that build_docker_images tags for a role and version."""
        for job in self.jobs.values():
            for image in job.images:
                if image.role == role:
                    return f"{image.name}:{version}"
        raise PipelineError(f"no image of the pipeline has `role: {role}`")

    def image(self, name: str | None) -> str:
        return self.images[name or self.defaults.image]

    def job(self, name: str) -> Job:
        try:
            return self.jobs[name]
        except KeyError:
            raise PipelineError(f"the pipeline has no job {name!r} (jobs: {', '.join(self.jobs)})") from None

    def schedule(self, name: str) -> Schedule:
        try:
            return self.schedules[name]
        except KeyError:
            known = ", ".join(self.schedules) or "none defined"
            raise PipelineError(f"the pipeline has no schedule {name!r} (schedules: {known})") from None

    def environment(self, name: str) -> Environment:
        try:
            return self.environments[name]
        except KeyError:
            known = ", ".join(self.environments) or "none defined"
            raise PipelineError(f"the pipeline has no environment {name!r} (environments: {known})") from None

    def repository_url(self) -> str:
        """The repository to build: TRADOSPHERE_REPOSITORY, else the file's url (relative to the project root)."""
        url = os.environ.get("TRADOSPHERE_REPOSITORY") or self.repository.url
        if "://" in url or url.startswith("git@") or os.path.isabs(url):
            return url
        return str(PROJECT_ROOT / url)


def _listed_once(names: list[str]) -> list[str]:
    """A list of names in which each name appears once; a repeated one is an error that names it."""
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"{', '.join(repeated)} listed more than once")
    return names


def _check_image(images: dict[str, str], name: str, key: str) -> None:
    if name not in images:
        raise ValueError(f"{key}: unknown image {name!r} (images: {', '.join(images)})")


def _find_cycle(graph: dict[str, list[str]]) -> list[str]:
    """Return one cycle of the graph as a path that ends where it starts, or an empty list."""
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str]:
        if node in visiting:
            return [*visiting[visiting.index(node) :], node]
        if node in done:
            return []
        visiting.append(node)
        for child in graph.get(node, []):
            cycle = visit(child)
            if cycle:
                return cycle
        visiting.pop()
        done.add(node)
        return []

    for start in graph:
        found = visit(start)
        if found:
            return found
    return []


def parse_pipeline(text: str, source: str = "<pipeline>") -> Pipeline:
    """Parse and validate pipeline YAML; errors name the source, the key and the reason."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise PipelineError(f"{source}: not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise PipelineError(f"{source}: the top level must be a mapping of sections (repository, images, jobs, ...)")
    try:
        return Pipeline.model_validate(data)
    except ValidationError as error:
        raise PipelineError(f"{source}: " + "; ".join(_describe(error.errors()))) from None


def _describe(errors: Iterable[ErrorDetails]) -> list[str]:
    described = []
    for error in errors:
        key = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key (check its spelling)"
        described.append(f"{key}: {message}" if key else message)
    return described


@functools.cache
def load_pipeline(path: Path = DEFAULT_PIPELINE_FILE) -> Pipeline:
    """Load and validate the pipeline file once per process."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise PipelineError(f"{path}: cannot read the pipeline file: {error.strerror}") from None
    return parse_pipeline(text, source=str(path))
