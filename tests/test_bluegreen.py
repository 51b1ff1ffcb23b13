"""Blue-green on the real Docker engine: the example's images, a stack of its own, a switch under load."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import docker
import pytest
import requests

from tradosphere_cicd import engine
from tradosphere_cicd.bluegreen import (
    COLOUR_HEADER,
    LABEL_ENVIRONMENT,
    DeployError,
    DockerEnvironment,
    ReleaseNotReadyError,
)
from tradosphere_cicd.pipeline import PROJECT_ROOT, DockerTarget, Environment
from tradosphere_cicd.releases import Release

pytestmark = pytest.mark.docker

NAMESPACE = "tradosphere-bgtest"
EXAMPLE = PROJECT_ROOT / "examples" / "tradosphere"
WEB_IMAGE = f"{NAMESPACE}/web:test"
API_IMAGE = f"{NAMESPACE}/api:test"
BROKEN_API_IMAGE = f"{NAMESPACE}/api:never-ready"
BUILD_MEMORY = 2 * 1024**3
LOAD_REQUESTS = 300
LOAD_SECONDS = 30

# An API that listens but never reports healthy.
NEVER_READY_DOCKERFILE = f"""\
FROM {API_IMAGE}
CMD ["node", "-e", "require('http').createServer((q, s) => {{ s.statusCode = 503; s.end('warming up') }}).listen(4000)"]
"""


def environment(readiness_timeout: float = 90) -> Environment:
    return Environment(
        budget_minutes=5,
        database_connection="tradosphere_bgtest_db",
        docker=DockerTarget(proxy_port=18600, database_port=18601, readiness_timeout_seconds=readiness_timeout),
    )


@pytest.fixture(scope="session")
def client() -> docker.DockerClient:
    return engine.connect(timeout=600)


@pytest.fixture(scope="session")
def images(client: docker.DockerClient) -> dict[str, str]:
    """The example's frontend and backend images, built once per session (the layer cache keeps rebuilds short)."""
    started = time.monotonic()
    for tag, dockerfile in ((API_IMAGE, "docker/Dockerfile.backend"), (WEB_IMAGE, "docker/Dockerfile.frontend")):
        client.images.build(
            path=str(EXAMPLE),
            dockerfile=dockerfile,
            tag=tag,
            network_mode="bridge",
            rm=True,
            forcerm=True,
            container_limits={"memory": BUILD_MEMORY, "memswap": BUILD_MEMORY},
        )
    client.images.build(
        fileobj=io.BytesIO(NEVER_READY_DOCKERFILE.encode()),
        tag=BROKEN_API_IMAGE,
        rm=True,
        container_limits={"memory": BUILD_MEMORY, "memswap": BUILD_MEMORY},
    )
    print(f"\nexample images built in {time.monotonic() - started:.1f} s")
    return {"web": WEB_IMAGE, "api": API_IMAGE, "broken_api": BROKEN_API_IMAGE}


@pytest.fixture(scope="module")
def stack(client: docker.DockerClient, images: dict[str, str], tmp_path_factory) -> Iterator[DockerEnvironment]:
    home = tmp_path_factory.mktemp("bluegreen-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRADOSPHERE_HOME", str(home))
        environment_stack = DockerEnvironment(client, "staging", environment(), namespace=NAMESPACE)
        environment_stack.remove()
        started = time.monotonic()
        environment_stack.ensure_stack()
        print(f"\nstack started in {time.monotonic() - started:.1f} s")
        try:
            yield environment_stack
        finally:
            environment_stack.remove()


def release(version: str, images: dict[str, str], api: str = "api") -> Release:
    return Release(version=version, frontend_image=images["web"], backend_image=images[api])


def health(stack: DockerEnvironment) -> tuple[int, dict, str | None]:
    response = requests.get(f"{stack.public_url}/api/health", timeout=5)
    return response.status_code, response.json(), response.headers.get(COLOUR_HEADER)


@dataclass
class Load:
    """Requests sent to the proxy from a background thread, and what came back."""

    url: str
    answers: list[tuple[float, int | None, str | None]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        deadline = time.monotonic() + LOAD_SECONDS
        while not self.stop.is_set() and len(self.answers) < LOAD_REQUESTS and time.monotonic() < deadline:
            sent = time.monotonic()
            try:
                response = requests.get(self.url, timeout=5)
                self.answers.append((sent, response.status_code, response.headers.get(COLOUR_HEADER)))
                if response.status_code != 200:
                    self.failures.append(f"HTTP {response.status_code}: {response.text[:100]}")
            except requests.RequestException as error:
                self.answers.append((sent, None, None))
                self.failures.append(str(error))
            time.sleep(0.01)


def test_ensure_stack_is_idempotent(stack: DockerEnvironment, client: docker.DockerClient) -> None:
    before = {container.name: container.id for container in client.containers.list(filters={"label": label(stack)})}
    stack.ensure_stack()
    after = {container.name: container.id for container in client.containers.list(filters={"label": label(stack)})}
    assert after == before
    assert sorted(before) == [stack.container_name(role) for role in ("postgres", "proxy", "redis")]
    assert stack.live_colour() is None
    assert stack.idle_colour() == "blue"
    assert requests.get(stack.public_url + "/", timeout=5).status_code == 503, "no release is live yet"


def test_a_release_goes_live_and_the_next_replaces_it_without_a_failed_request(
    stack: DockerEnvironment, client: docker.DockerClient, images: dict[str, str]
) -> None:
    started = time.monotonic()
    stack.start(release("v1", images), "blue")
    print(f"\nrelease v1 started in {time.monotonic() - started:.1f} s")
    started = time.monotonic()
    stack.switch("blue")
    print(f"switch to blue took {time.monotonic() - started:.2f} s")
    assert stack.live_colour() == "blue"
    assert health(stack) == (200, {"status": "ok", "version": "v1"}, "blue")

    migration = client.containers.run(
        images["api"],
        ["node", "apps/api/scripts/migrate.js"],
        environment={"DATABASE_URL": stack.database_url()},
        network=stack.network,
        mem_limit="256m",
        detach=True,
        labels={LABEL_ENVIRONMENT: stack.prefix},
    )
    try:
        assert migration.wait(timeout=120)["StatusCode"] == 0, migration.logs().decode()
        assert "applied" in migration.logs().decode() or "up to date" in migration.logs().decode()
    finally:
        migration.remove(force=True)
    markets = requests.get(f"{stack.public_url}/api/markets", timeout=5)
    assert markets.status_code == 200, markets.text
    assert isinstance(markets.json(), list)

    assert stack.idle_colour() == "green"
    started = time.monotonic()
    stack.start(release("v2", images), "green")
    print(f"release v2 started in {time.monotonic() - started:.1f} s")
    assert health(stack)[1]["version"] == "v1", "starting the idle colour does not touch the live one"
    assert (stack.running_version("blue"), stack.running_version("green")) == ("v1", "v2")

    load = Load(f"{stack.public_url}/api/health")
    thread = threading.Thread(target=load.run)
    thread.start()
    try:
        time.sleep(1)
        started = time.monotonic()
        stack.switch("green")
        switched = time.monotonic()
        time.sleep(1)
    finally:
        load.stop.set()
        thread.join()
    colours = [colour for _, _, colour in load.answers]
    after_switch = [colour for sent, _, colour in load.answers if sent > switched]
    print(
        f"switch to green under load took {switched - started:.2f} s; {len(load.answers)} requests, "
        f"{len(load.failures)} failed, {colours.count('blue')} from blue, {colours.count('green')} from green"
    )
    assert load.failures == []
    assert colours[0] == "blue", "the load started before the switch"
    assert after_switch, "the load went on after the switch"
    assert set(after_switch) == {"green"}, "once switch() returns, only green answers"
    assert health(stack) == (200, {"status": "ok", "version": "v2"}, "green")
    assert stack.live_colour() == "green"

    assert stack.retire("blue") == [stack.container_name("web-blue"), stack.container_name("api-blue")]
    assert stack.running_version("blue") is None
    assert health(stack)[1]["version"] == "v2"
    with pytest.raises(DeployError, match="green serves traffic now"):
        stack.retire("green")
    with pytest.raises(DeployError, match="green serves traffic now"):
        stack.start(release("v3", images), "green")


def test_a_release_whose_api_never_gets_ready_fails_and_the_live_colour_keeps_serving(
    stack: DockerEnvironment, client: docker.DockerClient, images: dict[str, str]
) -> None:
    live = stack.live_colour()
    if live is None:
        stack.start(release("v2", images), "green")
        stack.switch("green")
        live = "green"
    idle = stack.idle_colour()
    impatient = DockerEnvironment(client, "staging", environment(readiness_timeout=8), namespace=NAMESPACE)

    started = time.monotonic()
    with pytest.raises(ReleaseNotReadyError) as caught:
        impatient.start(release("v3-broken", images, api="broken_api"), idle)
    message = str(caught.value)
    assert time.monotonic() - started < 30
    assert stack.container_name(f"api-{idle}") in message
    assert "503 warming up" in message, "the last answer is in the error"
    password = stack.database_url().split(":")[2].split("@")[0]
    assert password not in message

    status, body, colour = health(stack)
    assert (status, colour) == (200, live)
    assert body["version"] != "v3-broken"
    assert stack.live_colour() == live
    assert stack.running_version(idle) is None, "the failed release's containers are stopped"
    with pytest.raises(DeployError, match="not running"):
        stack.switch(idle)
    assert health(stack)[2] == live, "a refused switch leaves the proxy as it was"
    assert stack.retire(idle) == [stack.container_name(f"web-{idle}"), stack.container_name(f"api-{idle}")]


def test_a_port_taken_by_another_stack_is_an_error_that_names_the_setting(
    stack: DockerEnvironment, client: docker.DockerClient
) -> None:
    other = DockerEnvironment(client, "staging", environment(), namespace=f"{NAMESPACE}-other")
    try:
        with pytest.raises(DeployError) as caught:
            other.ensure_stack()
        message = str(caught.value)
        assert other.container_name("postgres") in message
        assert "environments.staging.docker.database_port" in message
        assert client.containers.list(all=True, filters={"name": other.container_name("postgres")}) == []
    finally:
        other.remove()
    assert health(stack)[0] == 200, "the stack that holds the port is untouched"


def test_remove_leaves_nothing_of_the_environment(stack: DockerEnvironment, client: docker.DockerClient) -> None:
    removed = stack.remove()
    assert f"network {stack.network}" in removed
    assert f"volume {stack.volume}" in removed
    assert client.containers.list(all=True, filters={"label": label(stack)}) == []
    assert [
        container.name for container in client.containers.list(all=True) if container.name.startswith(NAMESPACE)
    ] == []
    assert [network.name for network in client.networks.list() if network.name.startswith(NAMESPACE)] == []
    assert [volume.name for volume in client.volumes.list() if volume.name.startswith(NAMESPACE)] == []
    assert stack.remove() == [], "removing twice is harmless"


def label(stack: DockerEnvironment) -> str:
    return f"{LABEL_ENVIRONMENT}={stack.prefix}"
