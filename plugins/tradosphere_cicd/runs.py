"""Names of what one pipeline run owns on the Docker engine, so that it can all be found and removed."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from tradosphere_cicd import settings

LABEL_RUN = "org.tradosphere.run"
LABEL_DAG = "org.tradosphere.dag"
LABEL_TASK = "org.tradosphere.task"


@dataclass(frozen=True)
class RunResources:
    """The workspace volume, network and container names of one DAG run."""

    dag_id: str
    run_id: str

    @property
    def key(self) -> str:
        return hashlib.sha256(f"{self.dag_id}/{self.run_id}".encode()).hexdigest()[:12]

    @property
    def workspace_volume(self) -> str:
        return f"tradosphere-ws-{self.key}"

    @property
    def network(self) -> str:
        return f"tradosphere-net-{self.key}"

    def container(self, task: str, map_index: int = -1) -> str:
        suffix = f"-{map_index}" if map_index >= 0 else ""
        return f"tradosphere-{self.key}-{task.replace('.', '-').replace('_', '-')}{suffix}"

    def labels(self, task: str | None = None) -> dict[str, str]:
        labels = {LABEL_RUN: self.key, LABEL_DAG: self.dag_id}
        if task:
            labels[LABEL_TASK] = task
        return labels

    def artifacts_dir(self, task: str, map_index: int = -1) -> Path:
        """Host folder for one task's JUnit results and artifacts: <root>/<dag>/<run>/<task>[/shard-N]."""
        folder = settings.artifacts_root() / self.dag_id / folder_name(self.run_id) / task
        return folder / f"shard-{map_index + 1}" if map_index >= 0 else folder


def folder_name(run_id: str) -> str:
    """A run id made safe as a folder name."""
    return re.sub(r"[^A-Za-z0-9_.+-]", "_", run_id)
