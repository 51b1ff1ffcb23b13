"""The blue-green proxy's site: what it routes where, and reading the live colour back from it."""

from __future__ import annotations

import re
from unittest import mock

import docker
import pytest

from tradosphere_cicd.bluegreen import (
    COLOUR_HEADER,
    PROXY_PROBE,
    DockerEnvironment,
    parse_live_colour,
    render_proxy_config,
)
from tradosphere_cicd.pipeline import PROJECT_ROOT, DockerTarget, Environment, VercelRailwayTarget


def locations(config: str) -> dict[str, str]:
    """location prefix -> proxy_pass target."""
    return dict(re.findall(r"location (\S+) \{\s*proxy_pass (\S+);", config))


@pytest.mark.parametrize("colour", ["blue", "green"])
def test_the_site_routes_both_apps_of_one_colour(colour: str) -> None:
    config = render_proxy_config(colour, f"ts-staging-web-{colour}", f"ts-staging-api-{colour}", "ts-staging")
    assert locations(config) == {
        "/api/": f"http://ts-staging-api-{colour}:4000/",
        "/": f"http://ts-staging-web-{colour}:3000",
    }
    assert f"add_header {COLOUR_HEADER} {colour} always;" in config
    assert parse_live_colour(config) == colour


def test_the_api_prefix_is_stripped_by_the_trailing_slash() -> None:
    """nginx replaces the matched /api/ with the URI part of proxy_pass: /api/health reaches /health."""
    config = render_proxy_config("blue", "web", "api")
    assert locations(config)["/api/"].endswith(":4000/")
    assert not locations(config)["/"].endswith("/")


def test_braces_balance() -> None:
    config = render_proxy_config("green", "web", "api")
    assert config.count("{") == config.count("}")


def test_an_unknown_colour_is_refused() -> None:
    with pytest.raises(ValueError, match="'red' is not one of blue, green"):
        render_proxy_config("red", "web", "api")


@pytest.mark.parametrize(
    ("config", "colour"),
    [
        pytest.param((PROJECT_ROOT / "include/images/proxy/default.conf").read_text(), None, id="image-default"),
        pytest.param("# live colour: purple\n", None, id="unknown-colour"),
        pytest.param("server {}\n", None, id="no-marker"),
        pytest.param("# header\n# live colour: green\nserver {}\n", "green", id="marker"),
    ],
)
def test_parse_live_colour(config: str, colour: str | None) -> None:
    assert parse_live_colour(config) == colour


def docker_environment(**docker_settings: object) -> Environment:
    return Environment(
        budget_minutes=5,
        database_connection="db",
        docker=DockerTarget(proxy_port=18400, database_port=18401, **docker_settings),  # type: ignore[arg-type]
    )


def test_names_follow_the_namespace_and_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("TRADOSPHERE_HOME", str(tmp_path))
    monkeypatch.setenv("TRADOSPHERE_NAMESPACE", "mine")
    client = mock.Mock(spec=docker.DockerClient)
    stack = DockerEnvironment(client, "release_candidate", docker_environment())
    assert stack.network == "mine-release-candidate"
    assert stack.volume == "mine-release-candidate-db"
    assert stack.container_name("web-blue") == "mine-release-candidate-web-blue"
    assert stack.public_url == "http://127.0.0.1:18400"
    assert stack.database_url().endswith("@mine-release-candidate-postgres:5432/tradosphere")
    assert stack.host_database_url().endswith("@127.0.0.1:18401/tradosphere")
    assert stack.database_url().split("@")[0] == stack.host_database_url().split("@")[0], "one password"
    password_file = tmp_path / "secrets" / "mine-release-candidate-database-password"
    assert password_file.stat().st_mode & 0o077 == 0, "the password file is private"


def test_a_stack_needs_the_docker_target() -> None:
    hosted = Environment(
        target="vercel_railway",
        budget_minutes=5,
        database_connection="db",
        url="https://example.invalid",
        vercel_railway=VercelRailwayTarget(api_url="https://api.example.invalid"),
    )
    with pytest.raises(ValueError, match="environment 'production' deploys to 'vercel_railway'"):
        DockerEnvironment(mock.Mock(spec=docker.DockerClient), "production", hosted, namespace="t")


@pytest.mark.parametrize("colour", ["blue", "green"])
def test_the_proxy_answers_its_own_probe_whatever_the_release_does(colour):
    site = render_proxy_config(colour, "web", "api", "production")
    probe = site.index(f"location = {PROXY_PROBE} {{")
    assert "return 200" in site[probe : site.index("}", probe)]
    assert f"location = {PROXY_PROBE}" in (PROJECT_ROOT / "include/images/proxy/default.conf").read_text()
