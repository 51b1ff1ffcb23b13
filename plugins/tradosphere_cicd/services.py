"""Service containers (Postgres, Redis) on a run's own network, started before and removed after the tests."""

from __future__ import annotations

import contextlib
import logging
import time

import docker
from docker.errors import NotFound

from tradosphere_cicd.pipeline import Pipeline
from tradosphere_cicd.runs import RunResources

log = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 60


class ServiceNotReadyError(RuntimeError):
    """A service container did not accept connections in time."""


def start_services(client: docker.DockerClient, pipeline: Pipeline, run: RunResources, names: list[str]) -> dict:
    """Create the run's network and start each service on it under its own name; wait until each is ready."""
    network = _ensure_network(client, run)
    started: dict[str, str] = {}
    for name in names:
        service = pipeline.services[name]
        container_name = run.container(f"service-{name}")
        with contextlib.suppress(NotFound):
            client.containers.get(container_name).remove(force=True)
        container = client.containers.run(
            pipeline.image(service.image),
            name=container_name,
            detach=True,
            environment={**service.environment, **service.secret_environment},
            labels=run.labels(f"service-{name}"),
            mem_limit=service.memory,
            network=network.name,
            tmpfs={"/tmp": ""},
        )
        network.disconnect(container)
        network.connect(container, aliases=[name])
        started[name] = container_name
        log.info("Service %s: container %s started from %s", name, container_name, pipeline.image(service.image))

    for name, container_name in started.items():
        seconds = wait_until_ready(client.containers.get(container_name), pipeline.services[name].ready, name)
        log.info("Service %s: ready after %.1f s", name, seconds)
    return {"network": network.name, "containers": started}


def _ensure_network(client: docker.DockerClient, run: RunResources) -> docker.models.networks.Network:
    existing = client.networks.list(names=[run.network])
    if existing:
        return existing[0]
    # internal: the tests reach their services and nothing else
    return client.networks.create(run.network, driver="bridge", internal=True, labels=run.labels("network"))


def wait_until_ready(container, probe: list[str], name: str, timeout: float = READY_TIMEOUT_SECONDS) -> float:
    """Run the service's readiness probe inside its container until it exits 0."""
    started = time.monotonic()
    last_output = ""
    while time.monotonic() - started < timeout:
        container.reload()
        if container.status in {"exited", "dead"}:
            logs = container.logs(tail=20).decode(errors="replace")
            raise ServiceNotReadyError(f"service {name} ({container.name}) exited before it was ready:\n{logs}")
        result = container.exec_run(probe)
        if result.exit_code == 0:
            return time.monotonic() - started
        last_output = result.output.decode(errors="replace").strip()
        time.sleep(0.5)
    raise ServiceNotReadyError(
        f"service {name} ({container.name}) was not ready after {timeout:.0f} s; "
        f"last answer of {' '.join(probe)}: {last_output or 'nothing'}"
    )


def stop_services(client: docker.DockerClient, run: RunResources, names: list[str]) -> list[str]:
    """Remove the run's service containers and its network; return what was removed."""
    removed = []
    for name in names:
        container_name = run.container(f"service-{name}")
        try:
            client.containers.get(container_name).remove(force=True, v=True)
            removed.append(container_name)
        except NotFound:
            pass
    for network in client.networks.list(names=[run.network]):
        network.remove()
        removed.append(network.name)
    return removed
