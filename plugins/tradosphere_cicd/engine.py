"""The Docker engine the jobs run on: reaching it, and removing what a run left on it."""

from __future__ import annotations

import logging
import os

import docker
from docker.errors import APIError, DockerException, NotFound

from tradosphere_cicd import settings
from tradosphere_cicd.runs import LABEL_RUN, RunResources

log = logging.getLogger(__name__)


class EngineUnreachableError(RuntimeError):
    """No Docker engine answers where the pipeline was told to look."""


def connect(url: str | None = None, timeout: int = 10) -> docker.DockerClient:
    """A client for the engine, or an error naming DOCKER_HOST and the address tried."""
    url = url or settings.docker_url()
    try:
        client = docker.DockerClient(base_url=url, timeout=timeout)
        client.ping()
    except DockerException as error:
        origin = (
            f"DOCKER_HOST={os.environ['DOCKER_HOST']}"
            if os.environ.get("DOCKER_HOST")
            else (f"DOCKER_HOST is not set, so Docker's default socket {settings.DEFAULT_DOCKER_SOCKET} was tried")
        )
        raise EngineUnreachableError(
            f"cannot reach the Docker engine at {url} ({origin}): {error}. "
            "Start the engine (bin/tradosphere engine start) or point DOCKER_HOST at one that runs."
        ) from None
    return client


def remove_run_resources(client: docker.DockerClient, run: RunResources, *, keep_volume: bool = False) -> list[str]:
    """Remove every container, the network and the workspace volume of a run; return what was removed."""
    removed: list[str] = []
    for container in client.containers.list(all=True, filters={"label": f"{LABEL_RUN}={run.key}"}):
        try:
            container.remove(force=True, v=True)
            removed.append(f"container {container.name}")
        except NotFound:
            pass
    for network in client.networks.list(names=[run.network]):
        try:
            network.remove()
            removed.append(f"network {network.name}")
        except (NotFound, APIError) as error:
            log.warning("Could not remove network %s: %s", network.name, error)
    if not keep_volume:
        try:
            client.volumes.get(run.workspace_volume).remove(force=True)
            removed.append(f"volume {run.workspace_volume}")
        except NotFound:
            pass
    return removed
