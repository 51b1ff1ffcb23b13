"""Release records of each environment: what is live, the last good release, and a bounded history.

One JSON file per environment under <home>/releases/, replaced atomically on every change, so that a
rollback still knows what to put back after a restart of Airflow or a long wait for an approval.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tradosphere_cicd import settings

log = logging.getLogger(__name__)

HISTORY_LIMIT = 20
FORMAT_VERSION = 1
ENVIRONMENT_PATTERN = r"^[a-z][a-z0-9_-]*$"


class ReleaseRecordError(RuntimeError):
    """A release file cannot be read, or does not hold release records."""


@dataclass(frozen=True)
class Release:
    """One version of the app as deployed: the images of both halves and where it ran."""

    version: str
    frontend_image: str
    backend_image: str
    colour: str | None = None
    deployed_at: str = ""
    # the DAG run that put it live: tells a deploy run whether its own release is the one serving
    deployed_by: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Release:
        if not isinstance(data, dict):
            raise ValueError(f"a release must be a mapping, not {type(data).__name__}")
        missing = [key for key in ("version", "frontend_image", "backend_image") if not data.get(key)]
        if missing:
            raise ValueError(f"a release needs {', '.join(missing)}")
        unknown = set(data) - {"version", "frontend_image", "backend_image", "colour", "deployed_at", "deployed_by"}
        if unknown:
            raise ValueError(f"unknown release keys: {', '.join(sorted(unknown))}")
        return cls(
            version=str(data["version"]),
            frontend_image=str(data["frontend_image"]),
            backend_image=str(data["backend_image"]),
            colour=data.get("colour"),
            deployed_at=str(data.get("deployed_at") or ""),
            deployed_by=str(data.get("deployed_by") or ""),
        )


class ReleaseBook:
    """The release records of one environment, kept in <root>/<environment>.json."""

    def __init__(self, environment: str, root: Path | None = None) -> None:
        if not re.match(ENVIRONMENT_PATTERN, environment):
            raise ValueError(f"environment {environment!r} is not a valid name (lower case letters, digits, _ and -)")
        self.environment = environment
        self.root = Path(root) if root is not None else settings.home() / "releases"
        self.path = self.root / f"{environment}.json"

    def live(self) -> Release | None:
        """The release that serves traffic now, if any was recorded."""
        return self._read()["live"]

    def last_good(self) -> Release | None:
        """The last release that passed its checks: what a rollback puts back."""
        return self._read()["last_good"]

    def history(self) -> list[Release]:
        """Releases that went live, oldest first, at most HISTORY_LIMIT of them."""
        return list(self._read()["history"])

    def set_live(self, release: Release) -> None:
        """Record `release` as live (stamped with the time, unless it has one) and append it to the history."""
        if not release.deployed_at:
            release = replace(release, deployed_at=datetime.now(UTC).isoformat(timespec="seconds"))
        state = self._read()
        state["live"] = release
        state["history"] = [*state["history"], release][-HISTORY_LIMIT:]
        self._write(state)
        log.info("Environment %s: release %s is live (colour %s)", self.environment, release.version, release.colour)

    def record_last_good(self, release: Release) -> None:
        """Record `release` as the one to roll back to."""
        state = self._read()
        state["last_good"] = release
        self._write(state)
        log.info("Environment %s: release %s recorded as last good", self.environment, release.version)

    def _read(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {"live": None, "last_good": None, "history": []}
        except OSError as error:
            raise ReleaseRecordError(f"{self.path}: cannot read the release records: {error.strerror}") from None
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ValueError("the top level must be an object with live, last_good and history")
            return {
                "live": _release_or_none(data.get("live")),
                "last_good": _release_or_none(data.get("last_good")),
                "history": [Release.from_dict(item) for item in data.get("history") or []],
            }
        except (ValueError, TypeError) as error:
            raise ReleaseRecordError(
                f"{self.path}: the release records of environment {self.environment!r} are damaged ({error}); "
                "repair or remove the file (a rollback needs its last_good release)"
            ) from None

    def _write(self, state: dict[str, Any]) -> None:
        data = {
            "format": FORMAT_VERSION,
            "environment": self.environment,
            "live": state["live"].as_dict() if state["live"] else None,
            "last_good": state["last_good"].as_dict() if state["last_good"] else None,
            "history": [release.as_dict() for release in state["history"]],
        }
        self.root.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{self.environment}.", suffix=".tmp", dir=self.root)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2)
                handle.write("\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _release_or_none(data: Any) -> Release | None:
    return None if data is None else Release.from_dict(data)
