"""Release records: persistence across instances, atomic replacement, last good, bounded history, damage."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tradosphere_cicd import releases
from tradosphere_cicd.releases import HISTORY_LIMIT, Release, ReleaseBook, ReleaseRecordError


def release(version: str, colour: str | None = "blue") -> Release:
    return Release(
        version=version,
        frontend_image=f"tradosphere-web:{version}",
        backend_image=f"tradosphere-api:{version}",
        colour=colour,
    )


def test_an_environment_without_records_has_no_live_release(tmp_path: Path) -> None:
    book = ReleaseBook("staging", root=tmp_path)
    assert book.live() is None
    assert book.last_good() is None
    assert book.history() == []
    assert not (tmp_path / "staging.json").exists()


def test_records_survive_a_new_book_on_the_same_folder(tmp_path: Path) -> None:
    ReleaseBook("production", root=tmp_path).set_live(release("v1"))
    ReleaseBook("production", root=tmp_path).record_last_good(release("v1"))
    ReleaseBook("production", root=tmp_path).set_live(release("v2", colour="green"))

    again = ReleaseBook("production", root=tmp_path)
    live = again.live()
    assert live is not None
    assert (live.version, live.colour) == ("v2", "green")
    assert live.deployed_at, "set_live stamps the time of the deploy"
    last_good = again.last_good()
    assert last_good is not None
    assert last_good.version == "v1"
    assert [item.version for item in again.history()] == ["v1", "v2"]


def test_environments_are_kept_apart(tmp_path: Path) -> None:
    ReleaseBook("staging", root=tmp_path).set_live(release("s1"))
    assert ReleaseBook("production", root=tmp_path).live() is None
    assert sorted(path.name for path in tmp_path.iterdir()) == ["staging.json"]


def test_root_defaults_to_the_home_of_the_deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADOSPHERE_HOME", str(tmp_path))
    ReleaseBook("staging").set_live(release("v1"))
    assert json.loads((tmp_path / "releases" / "staging.json").read_text())["live"]["version"] == "v1"


def test_history_keeps_only_the_latest_releases(tmp_path: Path) -> None:
    book = ReleaseBook("staging", root=tmp_path)
    for number in range(HISTORY_LIMIT + 5):
        book.set_live(release(f"v{number}"))
    versions = [item.version for item in book.history()]
    assert len(versions) == HISTORY_LIMIT
    assert versions[0] == "v5"
    assert versions[-1] == f"v{HISTORY_LIMIT + 4}"


def test_a_release_round_trips_through_its_dict() -> None:
    original = Release("abc123", "web:abc123", "api:abc123", colour="green", deployed_at="2026-01-01T00:00:00+00:00")
    assert Release.from_dict(original.as_dict()) == original


def test_a_failed_write_leaves_the_previous_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = ReleaseBook("production", root=tmp_path)
    book.set_live(release("v1"))
    before = (tmp_path / "production.json").read_text()

    def failing_replace(source: str, target: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(releases.os, "replace", failing_replace)
    with pytest.raises(OSError, match="No space left"):
        book.set_live(release("v2"))

    assert (tmp_path / "production.json").read_text() == before
    assert [path.name for path in tmp_path.iterdir()] == ["production.json"], "the temporary file is removed"


def test_the_file_is_replaced_not_rewritten_in_place(tmp_path: Path) -> None:
    book = ReleaseBook("production", root=tmp_path)
    book.set_live(release("v1"))
    first_inode = os.stat(tmp_path / "production.json").st_ino
    book.set_live(release("v2"))
    assert os.stat(tmp_path / "production.json").st_ino != first_inode


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        pytest.param("{not json", "Expecting property name", id="not-json"),
        pytest.param("[1, 2]", "top level must be an object", id="not-an-object"),
        pytest.param('{"live": {"version": "v1"}}', "needs frontend_image, backend_image", id="incomplete-release"),
        pytest.param(
            '{"history": [{"version": "v1", "frontend_image": "w", "backend_image": "a", "x": 1}]}',
            "unknown release keys: x",
            id="unknown-key",
        ),
        pytest.param('{"history": 7}', "not iterable", id="history-not-a-list"),
    ],
)
def test_a_damaged_file_is_an_error_that_names_it(tmp_path: Path, content: str, reason: str) -> None:
    (tmp_path / "staging.json").write_text(content)
    book = ReleaseBook("staging", root=tmp_path)
    with pytest.raises(ReleaseRecordError) as caught:
        book.last_good()
    message = str(caught.value)
    assert str(tmp_path / "staging.json") in message
    assert reason in message


def test_an_environment_name_that_is_not_a_file_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a valid name"):
        ReleaseBook("../etc", root=tmp_path)
