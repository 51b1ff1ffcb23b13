"""Blue-green deploys on the Docker host: one environment's stack behind an nginx reverse proxy.

Each environment owns a network, a Postgres with a persistent volume, a Redis, a proxy published on
127.0.0.1, and up to two colours (blue, green) of the web app and the API. A release starts in the idle
colour, is switched live by rewriting the proxy's site and reloading nginx gracefully, and the colour it
replaced is retired once the new one is known to be good.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import secrets
import tarfile
import time
from pathlib import Path
from typing import Any

import docker
import requests
from docker.errors import APIError, ImageNotFound, NotFound

from tradosphere_cicd import settings
from tradosphere_cicd.pipeline import DockerTarget, Environment
from tradosphere_cicd.releases import Release
from tradosphere_cicd.services import wait_until_ready

log = logging.getLogger(__name__)

COLOURS = ("blue", "green")
COLOUR_HEADER = "X-Release-Colour"
# answered by nginx itself, before and after the first release
PROXY_PROBE = "/__proxy"

PROXY_IMAGE = "tradosphere/proxy:1"
POSTGRES_IMAGE = "tradosphere/postgres:15"
REDIS_IMAGE = "tradosphere/redis:7"

LABEL_NAMESPACE = "org.tradosphere.namespace"
LABEL_ENVIRONMENT = "org.tradosphere.environment"
LABEL_ROLE = "org.tradosphere.role"
LABEL_VERSION = "org.tradosphere.release"

SITE_DIRECTORY = "/etc/nginx/conf.d"
SITE_FILE = "default.conf"
LIVE_MARKER = re.compile(r"^# live colour: (\w+)$", re.MULTILINE)

WEB_PORT = 3000
API_PORT = 4000
DATABASE_USER = "tradosphere"
DATABASE_NAME = "tradosphere"
DATABASE_DATA = "/var/lib/postgresql/data"

SERVICE_MEMORY = {"proxy": "128m", "postgres": "512m", "redis": "256m"}
STACK_READY_TIMEOUT_SECONDS = 60
SWITCH_VERIFY_SECONDS = 30
# worker_processes of include/images/proxy/nginx.conf
PROXY_WORKERS = 1
LOG_TAIL_LINES = 30

# Run inside an app container: GET the URL, print "<status> <body>", exit 0 only on 200.
HTTP_PROBE = (
    "fetch(process.argv[1],{signal:AbortSignal.timeout(3000)})"
    ".then(async r=>{console.log(r.status+' '+(await r.text()).slice(0,300));process.exit(r.status===200?0:1)})"
    ".catch(e=>{console.log(String(e.cause||e));process.exit(1)})"
)


class DeployError(RuntimeError):
    """A deploy step on the Docker host failed; the message names the environment and the container."""


class ReleaseNotReadyError(DeployError):
    """A release's containers did not answer their health checks within the readiness timeout."""


def render_proxy_config(colour: str, web_host: str, api_host: str, environment: str = "") -> str:
    """The nginx site that sends / to the web app and /api/ (prefix stripped) to the API of one colour."""
    _check_colour(colour)
    return f"""\
# Blue-green site of environment {environment or "?"}: replaced on every switch.
# live colour: {colour}
server {{
  listen 80 default_server;
  add_header {COLOUR_HEADER} {colour} always;

  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_set_header Host $host;
  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
  proxy_set_header X-Forwarded-Proto $scheme;
  proxy_connect_timeout 5s;
  proxy_read_timeout 30s;

  location = {PROXY_PROBE} {{
    default_type text/plain;
    return 200 "proxy of {colour}";
  }}

  location /api/ {{
    proxy_pass http://{api_host}:{API_PORT}/;
  }}

  location / {{
    proxy_pass http://{web_host}:{WEB_PORT};
  }}
}}
"""


def parse_live_colour(config: str) -> str | None:
    """The colour a proxy site sends traffic to, or None for the site that precedes the first release."""
    match = LIVE_MARKER.search(config)
    if match is None:
        return None
    colour = match.group(1)
    return colour if colour in COLOURS else None


def _check_colour(colour: str) -> None:
    if colour not in COLOURS:
        raise ValueError(f"colour {colour!r} is not one of {', '.join(COLOURS)}")


def stack_prefix(name: str, namespace: str | None = None) -> str:
    """What every container, the network and the volume of an environment's stack are named after."""
    return f"{namespace or settings.deploy_namespace()}-{name.replace('_', '-')}"


def internal_url(name: str) -> str:
    """The environment's address for containers on its network: its reverse proxy."""
    return f"http://{stack_prefix(name)}-proxy"


def password_file(prefix: str) -> Path:
    return settings.home() / "secrets" / f"{prefix}-database-password"


def database_password(prefix: str) -> str:
    """An environment's database password: made once, kept beside the release records (mode 0600)."""
    path = password_file(prefix)
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_hex(24) + "\n")
    return path.read_text(encoding="utf-8").strip()


class DockerEnvironment:
    """One environment's blue-green stack on a Docker engine."""

    def __init__(
        self,
        client: docker.DockerClient,
        name: str,
        environment: Environment,
        namespace: str | None = None,
    ) -> None:
        if environment.docker is None:
            raise ValueError(
                f"environment {name!r} deploys to {environment.target!r}, not to docker: it has no `docker` section"
            )
        self.client = client
        self.name = name
        self.environment = environment
        self.target: DockerTarget = environment.docker
        self.namespace = namespace or settings.deploy_namespace()
        self.prefix = stack_prefix(name, self.namespace)
        self.network = self.prefix
        self.volume = f"{self.prefix}-db"
        self.public_url = f"http://127.0.0.1:{self.target.proxy_port}"

    def container_name(self, role: str) -> str:
        """Name of one container of the stack: proxy, postgres, redis, web-blue, api-green, ..."""
        return f"{self.prefix}-{role}"

    def database_url(self) -> str:
        """The database as containers on the environment network reach it. A secret: never log it."""
        return self._database_url(self.container_name("postgres"), 5432)

    def host_database_url(self) -> str:
        """The database as this host reaches it (the published port on 127.0.0.1). A secret: never log it."""
        return self._database_url("127.0.0.1", self.target.database_port)

    def redis_url(self) -> str:
        return f"redis://{self.container_name('redis')}:6379"

    # ------------------------------------------------------------------ the stack

    def ensure_stack(self) -> None:
        """Create what is missing of network, Postgres, Redis and proxy; wait until each answers."""
        started = time.monotonic()
        self._ensure_network()
        self._ensure_volume()
        postgres = self._ensure_service(
            "postgres",
            POSTGRES_IMAGE,
            environment={
                "POSTGRES_USER": DATABASE_USER,
                "POSTGRES_PASSWORD": self._database_password(),
                "POSTGRES_DB": DATABASE_NAME,
            },
            volumes={self.volume: {"bind": DATABASE_DATA, "mode": "rw"}},
            ports={"5432/tcp": ("127.0.0.1", self.target.database_port)},
            port_key="database_port",
        )
        redis = self._ensure_service("redis", REDIS_IMAGE, port_key=None)
        proxy = self._ensure_service(
            "proxy", PROXY_IMAGE, ports={"80/tcp": ("127.0.0.1", self.target.proxy_port)}, port_key="proxy_port"
        )

        probe = ["pg_isready", "--quiet", "-h", "127.0.0.1", "-U", DATABASE_USER, "-d", DATABASE_NAME]
        wait_until_ready(postgres, probe, f"{self.name} postgres", STACK_READY_TIMEOUT_SECONDS)
        wait_until_ready(redis, ["redis-cli", "ping"], f"{self.name} redis", STACK_READY_TIMEOUT_SECONDS)
        self._wait_for_proxy(proxy)
        log.info(
            "Environment %s: stack ready in %.1f s (proxy %s, database on 127.0.0.1:%s)",
            self.name,
            time.monotonic() - started,
            self.public_url,
            self.target.database_port,
        )

    def live_colour(self) -> str | None:
        """The colour the proxy sends traffic to now, read from the proxy's site; None before the first switch."""
        try:
            proxy = self.client.containers.get(self.container_name("proxy"))
        except NotFound:
            return None
        if proxy.status != "running":
            return None
        return parse_live_colour(self._read_site(proxy))

    def idle_colour(self) -> str:
        """The colour that does not serve traffic: where the next release starts."""
        return "green" if self.live_colour() == "blue" else "blue"

    def running_version(self, colour: str) -> str | None:
        """The release version whose web app and API both run in `colour`, or None.

        A rollback within the health window finds the previous release still running in the other
        colour: switching back to it is then enough, no start needed.
        """
        _check_colour(colour)
        versions = set()
        for part in ("web", "api"):
            try:
                container = self.client.containers.get(self.container_name(f"{part}-{colour}"))
            except NotFound:
                return None
            if container.status != "running":
                return None
            versions.add(container.labels.get(LABEL_VERSION))
        return versions.pop() if len(versions) == 1 else None

    # ------------------------------------------------------------------ releases

    def start(self, release: Release, colour: str) -> None:
        """(Re)create the web app and API of `colour` from the release's images; wait until both answer 200."""
        _check_colour(colour)
        if colour == self.live_colour():
            raise DeployError(
                f"environment {self.name}: {colour} serves traffic now; start release {release.version} "
                f"in the idle colour {self.idle_colour()}"
            )
        started = time.monotonic()
        api_name = self.container_name(f"api-{colour}")
        web_name = self.container_name(f"web-{colour}")
        self._remove_containers([web_name, api_name])

        api = self._run_app(
            release,
            colour,
            "api",
            release.backend_image,
            {
                "RELEASE_VERSION": release.version,
                "DATABASE_URL": self.database_url(),
                "REDIS_URL": self.redis_url(),
                "PORT": str(API_PORT),
            },
        )
        web = self._run_app(
            release,
            colour,
            "web",
            release.frontend_image,
            {"RELEASE_VERSION": release.version, "API_URL": f"http://{api_name}:{API_PORT}", "PORT": str(WEB_PORT)},
        )
        log.info(
            "Environment %s: release %s starting in %s (%s from %s, %s from %s)",
            self.name,
            release.version,
            colour,
            api_name,
            release.backend_image,
            web_name,
            release.frontend_image,
        )

        deadline = started + self.target.readiness_timeout_seconds
        try:
            self._wait_for_app(api, f"http://127.0.0.1:{API_PORT}/health", release, deadline)
            self._wait_for_app(web, f"http://127.0.0.1:{WEB_PORT}/api/health", release, deadline)
        except ReleaseNotReadyError:
            for container in (api, web):
                with contextlib.suppress(NotFound, APIError):
                    container.stop(timeout=5)
            raise
        log.info(
            "Environment %s: release %s ready in %s after %.1f s",
            self.name,
            release.version,
            colour,
            time.monotonic() - started,
        )

    def switch(self, colour: str) -> None:
        """Point the proxy at `colour`: write the site, check it with nginx -t, reload gracefully, verify."""
        _check_colour(colour)
        started = time.monotonic()
        proxy = self._container("proxy")
        for role in ("proxy", f"web-{colour}", f"api-{colour}"):
            container = self._container(role)
            if container.status != "running":
                raise DeployError(
                    f"environment {self.name}: cannot switch to {colour}: container {container.name} "
                    f"is {container.status}, not running"
                )

        previous = self._read_site(proxy)
        config = render_proxy_config(
            colour,
            self.container_name(f"web-{colour}"),
            self.container_name(f"api-{colour}"),
            environment=self.prefix,
        )
        self._write_site(proxy, config)
        for command in (["nginx", "-t", "-q"], ["nginx", "-s", "reload"]):
            result = proxy.exec_run(command)
            if result.exit_code != 0:
                self._write_site(proxy, previous)
                output = result.output.decode(errors="replace").strip()
                raise DeployError(
                    f"environment {self.name}: `{' '.join(command)}` in {proxy.name} failed for the {colour} site "
                    f"(exit {result.exit_code}): {output}; the previous site was put back"
                )

        self._verify_colour(proxy, colour)
        log.info(
            "Environment %s: proxy %s now sends traffic to %s (switch took %.2f s)",
            self.name,
            proxy.name,
            colour,
            time.monotonic() - started,
        )

    def retire(self, colour: str) -> list[str]:
        """Remove the web app and API of `colour`; refuses the colour that serves traffic."""
        _check_colour(colour)
        if colour == self.live_colour():
            raise DeployError(f"environment {self.name}: {colour} serves traffic now and cannot be retired")
        removed = self._remove_containers([self.container_name(f"web-{colour}"), self.container_name(f"api-{colour}")])
        log.info("Environment %s: retired %s (%s)", self.name, colour, ", ".join(removed) or "nothing was running")
        return removed

    def remove(self) -> list[str]:
        """Remove the whole stack: every container, the network, the database volume and its password."""
        removed: list[str] = []
        for container in self.client.containers.list(all=True, filters={"label": f"{LABEL_ENVIRONMENT}={self.prefix}"}):
            try:
                container.remove(force=True, v=True)
                removed.append(f"container {container.name}")
            except NotFound:
                pass
        for network in self.client.networks.list(names=[self.network]):
            if network.name != self.network:
                continue
            try:
                network.remove()
                removed.append(f"network {network.name}")
            except (NotFound, APIError) as error:
                log.warning("Environment %s: could not remove network %s: %s", self.name, network.name, error)
        try:
            self.client.volumes.get(self.volume).remove(force=True)
            removed.append(f"volume {self.volume}")
        except NotFound:
            pass
        self._password_file().unlink(missing_ok=True)
        log.info("Environment %s: removed %s", self.name, ", ".join(removed) or "nothing (no stack)")
        return removed

    # ------------------------------------------------------------------ helpers

    def _labels(self, role: str, **extra: str) -> dict[str, str]:
        return {LABEL_NAMESPACE: self.namespace, LABEL_ENVIRONMENT: self.prefix, LABEL_ROLE: role, **extra}

    def _database_url(self, host: str, port: int) -> str:
        return f"postgresql://{DATABASE_USER}:{self._database_password()}@{host}:{port}/{DATABASE_NAME}"

    def _password_file(self) -> Path:
        return password_file(self.prefix)

    def _database_password(self) -> str:
        return database_password(self.prefix)

    def _mask(self, text: str) -> str:
        password = self._password_file().read_text(encoding="utf-8").strip() if self._password_file().exists() else ""
        return text.replace(password, "***") if password else text

    def _ensure_network(self) -> None:
        if any(network.name == self.network for network in self.client.networks.list(names=[self.network])):
            return
        self.client.networks.create(self.network, driver="bridge", labels=self._labels("network"))
        log.info("Environment %s: created network %s", self.name, self.network)

    def _ensure_volume(self) -> None:
        try:
            self.client.volumes.get(self.volume)
        except NotFound:
            self.client.volumes.create(self.volume, labels=self._labels("database"))
            log.info("Environment %s: created database volume %s", self.name, self.volume)

    def _ensure_service(self, role: str, image: str, port_key: str | None, **options: Any) -> Any:
        name = self.container_name(role)
        try:
            container = self.client.containers.get(name)
        except NotFound:
            container = None
        if container is not None and container.status == "running":
            return container
        if container is not None:
            try:
                container.start()
                container.reload()
                log.info("Environment %s: started the existing %s", self.name, name)
                return container
            except APIError as error:
                log.warning("Environment %s: %s would not start (%s); creating it again", self.name, name, error)
                container.remove(force=True)
        # unless-stopped brings the stack back after an engine restart. The proxy resolves the live colour's
        # container names when nginx starts, so it fails and is restarted by Docker until they run again:
        # after a host restart the environment answers once its live colour is up, a few seconds later.
        try:
            container = self.client.containers.run(
                image,
                name=name,
                detach=True,
                network=self.network,
                labels=self._labels(role),
                mem_limit=SERVICE_MEMORY[role],
                restart_policy={"Name": "unless-stopped"},
                **options,
            )
        except ImageNotFound:
            raise DeployError(
                f"environment {self.name}: image {image} of {name} is missing; build it with bin/tradosphere setup"
            ) from None
        except APIError as error:
            self._remove_containers([name])
            where = f" (environments.{self.name}.docker.{port_key})" if port_key else ""
            raise DeployError(f"environment {self.name}: cannot start {name}{where}: {error.explanation}") from None
        log.info("Environment %s: created %s from %s", self.name, name, image)
        return container

    def _wait_for_proxy(self, proxy: Any) -> None:
        deadline = time.monotonic() + STACK_READY_TIMEOUT_SECONDS
        last = "nothing"
        while time.monotonic() < deadline:
            proxy.reload()
            if proxy.status in {"exited", "dead"}:
                break
            try:
                # the proxy's own answer: a slow or failing release must not make the proxy look down
                requests.get(self.public_url + PROXY_PROBE, timeout=2)
                return
            except requests.RequestException as error:
                last = str(error)
            time.sleep(0.3)
        logs = self._mask(proxy.logs(tail=LOG_TAIL_LINES).decode(errors="replace"))
        raise DeployError(
            f"environment {self.name}: proxy {proxy.name} does not answer on {self.public_url} "
            f"(status {proxy.status}; last error: {last}); its last log lines:\n{logs}"
        )

    def _run_app(self, release: Release, colour: str, part: str, image: str, environment: dict[str, str]) -> Any:
        name = self.container_name(f"{part}-{colour}")
        try:
            return self.client.containers.run(
                image,
                name=name,
                detach=True,
                network=self.network,
                environment=environment,
                labels=self._labels(f"{part}-{colour}", **{LABEL_VERSION: release.version}),
                mem_limit=self.target.memory,
                restart_policy={"Name": "unless-stopped"},
            )
        except ImageNotFound:
            raise DeployError(
                f"environment {self.name}: release {release.version}: image {image} of {name} is not on the engine"
            ) from None
        except APIError as error:
            self._remove_containers([name])
            raise DeployError(
                f"environment {self.name}: release {release.version}: cannot start {name}: "
                f"{self._mask(str(error.explanation))}"
            ) from None

    def _wait_for_app(self, container: Any, url: str, release: Release, deadline: float) -> None:
        last = "nothing yet"
        while True:
            container.reload()
            if container.status in {"exited", "dead", "restarting"}:
                state = container.attrs.get("State", {})
                last = f"the container stopped (exit code {state.get('ExitCode')})"
                break
            result = container.exec_run(["node", "-e", HTTP_PROBE, url])
            answer = result.output.decode(errors="replace").strip()
            if result.exit_code == 0:
                return
            last = answer or f"exit {result.exit_code}"
            if time.monotonic() >= deadline:
                break
            time.sleep(0.5)
        logs = self._mask(container.logs(tail=LOG_TAIL_LINES).decode(errors="replace").rstrip())
        raise ReleaseNotReadyError(
            f"environment {self.name}: release {release.version}: container {container.name} was not ready "
            f"within {self.target.readiness_timeout_seconds:.0f} s (GET {url}); last answer: {self._mask(last)}; "
            f"its containers are stopped and kept for inspection. Last log lines of {container.name}:\n{logs}"
        )

    def _verify_colour(self, proxy: Any, colour: str) -> None:
        """Wait until the proxy answers from `colour` and the workers of the previous site have exited.

        After a reload nginx lets its old workers finish what they hold; until they exit, a new
        request can still be served by the old site. The switch is complete only when they are gone.
        """
        deadline = time.monotonic() + SWITCH_VERIFY_SECONDS
        last = "nothing"
        answered_new = False
        while time.monotonic() < deadline:
            if not answered_new:
                try:
                    response = requests.get(self.public_url + "/api/health", timeout=3)
                    answered = response.headers.get(COLOUR_HEADER)
                    answered_new = answered == colour and response.status_code == 200
                    last = f"HTTP {response.status_code} from colour {answered}"
                except requests.RequestException as error:
                    last = str(error)
            if answered_new:
                workers = self._worker_count(proxy)
                if workers == PROXY_WORKERS:
                    return
                last = f"{workers} nginx workers still running (old ones finishing their requests)"
            time.sleep(0.1)
        raise DeployError(
            f"environment {self.name}: after the reload the proxy on {self.public_url} does not serve only "
            f"{colour} within {SWITCH_VERIFY_SECONDS} s (last: {last})"
        )

    def _worker_count(self, proxy: Any) -> int:
        result = proxy.exec_run(["sh", "-c", "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' '\\n'"])
        lines = result.output.decode(errors="replace").splitlines()
        return sum(1 for line in lines if line.startswith("nginx: worker process"))

    def _container(self, role: str) -> Any:
        name = self.container_name(role)
        try:
            return self.client.containers.get(name)
        except NotFound:
            raise DeployError(f"environment {self.name}: container {name} does not exist") from None

    def _read_site(self, proxy: Any) -> str:
        result = proxy.exec_run(["cat", f"{SITE_DIRECTORY}/{SITE_FILE}"])
        if result.exit_code != 0:
            raise DeployError(
                f"environment {self.name}: cannot read {SITE_DIRECTORY}/{SITE_FILE} in {proxy.name}: "
                f"{result.output.decode(errors='replace').strip()}"
            )
        return str(result.output.decode(errors="replace"))

    def _write_site(self, proxy: Any, config: str) -> None:
        data = config.encode()
        archive = io.BytesIO()
        with tarfile.open(fileobj=archive, mode="w") as tar:
            entry = tarfile.TarInfo(SITE_FILE)
            entry.size = len(data)
            entry.mode = 0o644
            entry.mtime = int(time.time())
            tar.addfile(entry, io.BytesIO(data))
        if not proxy.put_archive(SITE_DIRECTORY, archive.getvalue()):
            raise DeployError(f"environment {self.name}: could not write {SITE_DIRECTORY}/{SITE_FILE} in {proxy.name}")

    def _remove_containers(self, names: list[str]) -> list[str]:
        removed = []
        for name in names:
            try:
                self.client.containers.get(name).remove(force=True, v=True)
                removed.append(name)
            except NotFound:
                pass
        return removed
