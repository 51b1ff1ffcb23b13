"""The hosted deploy target: the frontend on Vercel, the backend on Railway, by the deploy scripts in the deploy image.

Each step is a container of the pipeline's ``deploy`` image running one script of ``include/scripts``. Tokens
and the database URL are read from Airflow connections when the task runs and reach the container only as
private environment: never in a templated field, the command, a log line or an XCom. The version and the
environment name reach it as plain environment, and the scripts take them as their arguments from there.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from airflow.providers.docker.operators.docker import DockerOperator
from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowNotFoundException
from docker.types import Mount

from tradosphere_cicd import settings
from tradosphere_cicd.operators import run_resources
from tradosphere_cicd.pipeline import Environment, Pipeline, PipelineError
from tradosphere_cicd.revision import COMMIT_PATTERN

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator, Context

log = logging.getLogger(__name__)

DEPLOY_IMAGE = "deploy"
SCRIPTS_DIR = "/opt/tradosphere/scripts"
SCRIPT_ENVIRONMENTS = ("staging", "production")
DEFAULT_MEMORY = "1g"


class ConnectionMissingError(RuntimeError):
    """An Airflow connection that a hosted deploy needs is absent, or holds no secret."""


@dataclass(frozen=True)
class Secret:
    """One private environment variable of a container, and the Airflow connection it is read from."""

    variable: str
    connection: str
    source: Literal["password", "uri"]

    def how_to_add(self) -> str:
        if self.source == "uri":
            return f"airflow connections add {self.connection} --conn-uri postgresql://user:password@host:5432/database"
        return f"airflow connections add {self.connection} --conn-type generic --conn-password <token>"

    def read(self, task_id: str) -> str:
        try:
            connection = BaseHook.get_connection(self.connection)
        except AirflowNotFoundException:
            raise ConnectionMissingError(
                f"{task_id}: the Airflow connection {self.connection!r} does not exist; {self.variable} comes "
                f"from it. Add it: {self.how_to_add()}"
            ) from None
        value = connection.get_uri() if self.source == "uri" else connection.password
        if not value:
            raise ConnectionMissingError(
                f"{task_id}: the Airflow connection {self.connection!r} has no {self.source}; {self.variable} "
                f"comes from it. Set it: {self.how_to_add()}"
            )
        return value


def check_version(version: str, task_id: str) -> str:
    """The version must be a commit SHA of 7 to 40 hexadecimal digits."""
    if not COMMIT_PATTERN.match(version):
        raise ValueError(
            f"{task_id}: version {version!r} is not a commit SHA (7 to 40 hexadecimal digits); "
            "trigger the DAG with params.version set to the commit to release"
        )
    return version.lower()


class HostedScriptOperator(DockerOperator):
    """
    Run one deploy script of the deploy image for one environment of the pipeline file.

    :param environment_name: the environment (``staging`` or ``production``), passed as DEPLOY_ENVIRONMENT.
    :param version: the commit SHA to release (templated), passed as DEPLOY_VERSION and checked before the
        container starts.
    :param image: the deploy image.
    :param secrets: the private environment of the container, each read from its Airflow connection when the
        task runs.
    :param settings_environment: non-secret settings of the script (API_URL, connection names for messages).
    :param memory: the container's memory limit.
    :param network: the container's network; the CLIs need one that reaches their service.
    """

    script: ClassVar[str]
    # Arguments of the script, taken inside the container from the environment variables named here.
    script_arguments: ClassVar[tuple[str, ...]] = ()
    uses_workspace: ClassVar[bool] = True
    # The script path ends in .sh, which DockerOperator would otherwise take for a template file to load.
    template_ext = ()

    def __init__(
        self,
        *,
        environment_name: str,
        version: str,
        image: str,
        secrets: tuple[Secret, ...],
        settings_environment: Mapping[str, str],
        memory: str = DEFAULT_MEMORY,
        network: str = "bridge",
        **kwargs: Any,
    ) -> None:
        if environment_name not in SCRIPT_ENVIRONMENTS:
            raise ValueError(
                f"environment_name: {environment_name!r} is not one the deploy scripts know "
                f"({', '.join(SCRIPT_ENVIRONMENTS)})"
            )
        path = f"{SCRIPTS_DIR}/{self.script}"
        if self.script_arguments:
            quoted = " ".join(f'"${variable}"' for variable in self.script_arguments)
            command = ["bash", "-c", f'exec "$0" {quoted}', path]
        else:
            command = [path]
        environment = {
            **settings_environment,
            "CI": "true",
            "DEPLOY_ENVIRONMENT": environment_name,
            "DEPLOY_VERSION": version,
        }
        super().__init__(
            image=image,
            command=command,
            environment=environment,
            docker_url=settings.docker_url(),
            mem_limit=memory,
            network_mode=network,
            working_dir="/workspace",
            auto_remove="force",
            mount_tmp_dir=False,
            tty=False,
            do_xcom_push=False,
            **kwargs,
        )
        self.environment_name = environment_name
        self.secrets = secrets

    def prepare(self, context: Context) -> None:
        """Check the version, name the container after the run, mount its workspace, read the secrets."""
        version = check_version(str(self.environment.get("DEPLOY_VERSION", "")), self.task_id)
        self.environment = {**self.environment, "DEPLOY_VERSION": version}
        run = run_resources(context)
        self.container_name = run.container(self.task_id)
        self.labels = run.labels(self.task_id)
        if self.uses_workspace:
            self.mounts = [Mount(target="/workspace", source=run.workspace_volume, type="volume")]
        self._private_environment = {secret.variable: secret.read(self.task_id) for secret in self.secrets}

    def execute(self, context: Context) -> Any:
        self.prepare(context)
        log.info(
            "%s: %s for %s at %s, image %s, container %s",
            self.task_id,
            self.script,
            self.environment_name,
            self.environment["DEPLOY_VERSION"],
            self.image,
            self.container_name,
        )
        return super().execute(context)


class DeployFrontendOperator(HostedScriptOperator):
    """Deploy the frontend to Vercel (``deploy-frontend.sh``), from the run's workspace."""

    script = "deploy-frontend.sh"
    script_arguments = ("DEPLOY_ENVIRONMENT",)


class DeployBackendOperator(HostedScriptOperator):
    """Deploy the backend to Railway (``deploy-backend.sh``), from the run's workspace."""

    script = "deploy-backend.sh"
    script_arguments = ("DEPLOY_ENVIRONMENT",)


class RunMigrationsOperator(HostedScriptOperator):
    """Apply the workspace's database migrations to the environment's database (``run-migrations.sh``)."""

    script = "run-migrations.sh"


class RollbackReleaseOperator(HostedScriptOperator):
    """Put a previous release back on Vercel and Railway (``rollback.sh <sha>``); needs no workspace."""

    script = "rollback.sh"
    script_arguments = ("DEPLOY_VERSION",)
    uses_workspace = False


def _hosted_environment(pipeline: Pipeline, environment_name: str) -> Environment:
    environment = pipeline.environment(environment_name)
    if environment.target != "vercel_railway" or environment.vercel_railway is None:
        raise PipelineError(
            f"environments.{environment_name}.target is {environment.target!r}: the Vercel and Railway tasks "
            "need target vercel_railway"
        )
    if DEPLOY_IMAGE not in pipeline.images:
        raise PipelineError(
            f"images.{DEPLOY_IMAGE}: the pipeline names no deploy image "
            f"(add `{DEPLOY_IMAGE}: tradosphere/ci-deploy:20` under images)"
        )
    return environment


def _common(pipeline: Pipeline, environment_name: str) -> dict[str, Any]:
    environment = _hosted_environment(pipeline, environment_name)
    hosted = environment.vercel_railway
    assert hosted is not None
    names = {
        "VERCEL_CONNECTION": hosted.vercel_connection,
        "RAILWAY_CONNECTION": hosted.railway_connection,
        "DATABASE_CONNECTION": environment.database_connection,
    }
    return {"environment_name": environment_name, "image": pipeline.images[DEPLOY_IMAGE], "names": names}


def _secrets(names: Mapping[str, str], *which: str) -> tuple[Secret, ...]:
    table = {
        "vercel": Secret("VERCEL_TOKEN", names["VERCEL_CONNECTION"], "password"),
        "railway": Secret("RAILWAY_TOKEN", names["RAILWAY_CONNECTION"], "password"),
        "database": Secret("DATABASE_URL", names["DATABASE_CONNECTION"], "uri"),
    }
    return tuple(table[name] for name in which)


def hosted_deploy_tasks(
    pipeline: Pipeline, environment_name: str, version: str = "{{ params.version }}"
) -> list[BaseOperator]:
    """
    The hosted release of one environment, in the guide's order: deploy_frontend, deploy_backend, run_migrations.

    Call inside a DAG context. The three tasks are chained in that order; the caller puts a checkout of the
    version (the run's workspace volume) upstream of the first.
    """
    common = _common(pipeline, environment_name)
    hosted = pipeline.environment(environment_name).vercel_railway
    assert hosted is not None
    names = common["names"]
    frontend_settings = {"API_URL": hosted.api_url, "VERCEL_CONNECTION": names["VERCEL_CONNECTION"]}
    if hosted.supabase_url:
        frontend_settings["SUPABASE_URL"] = hosted.supabase_url
    base = {"environment_name": environment_name, "version": version, "image": common["image"]}
    frontend = DeployFrontendOperator(
        task_id="deploy_frontend",
        secrets=_secrets(names, "vercel"),
        settings_environment=frontend_settings,
        **base,
    )
    backend = DeployBackendOperator(
        task_id="deploy_backend",
        secrets=_secrets(names, "railway"),
        settings_environment={"RAILWAY_CONNECTION": names["RAILWAY_CONNECTION"]},
        **base,
    )
    migrations = RunMigrationsOperator(
        task_id="run_migrations",
        secrets=_secrets(names, "database"),
        settings_environment={"DATABASE_CONNECTION": names["DATABASE_CONNECTION"]},
        **base,
    )
    frontend >> backend >> migrations
    return [frontend, backend, migrations]


def hosted_rollback_task(
    pipeline: Pipeline, environment_name: str, version: str, task_id: str = "rollback_release"
) -> BaseOperator:
    """The rollback of one hosted environment to ``version`` (a commit SHA, or a template that renders to one)."""
    common = _common(pipeline, environment_name)
    names = common["names"]
    return RollbackReleaseOperator(
        task_id=task_id,
        environment_name=environment_name,
        version=version,
        image=common["image"],
        secrets=_secrets(names, "vercel", "railway"),
        settings_environment={key: names[key] for key in ("VERCEL_CONNECTION", "RAILWAY_CONNECTION")},
    )
