"""Where this deployment keeps its state, and how it reaches the Docker engine."""

from __future__ import annotations

import os
from pathlib import Path

from tradosphere_cicd.pipeline import PROJECT_ROOT

DEFAULT_DOCKER_SOCKET = "unix:///var/run/docker.sock"


def home() -> Path:
    """State of this deployment: repository mirrors, artifacts. TRADOSPHERE_HOME, default .state in the project."""
    return Path(os.environ.get("TRADOSPHERE_HOME") or PROJECT_ROOT / ".state")


def artifacts_root() -> Path:
    return Path(os.environ.get("TRADOSPHERE_ARTIFACTS") or home() / "artifacts")


def mirrors_root() -> Path:
    return home() / "mirrors"


def docker_url() -> str:
    """The Docker engine the jobs run on: DOCKER_HOST, else Docker's default socket."""
    return os.environ.get("DOCKER_HOST") or DEFAULT_DOCKER_SOCKET


def docker_socket_path(url: str) -> str | None:
    """The socket file behind a unix:// URL, for jobs that drive the engine themselves."""
    return url.removeprefix("unix://") if url.startswith("unix://") else None


def deploy_namespace() -> str:
    """Prefix of every container, network and volume of the deploy environments: TRADOSPHERE_NAMESPACE."""
    return os.environ.get("TRADOSPHERE_NAMESPACE") or "tradosphere"
