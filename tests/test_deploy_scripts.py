"""The deploy scripts of include/scripts, run by bash with recording stand-ins for the vercel, railway and pnpm CLIs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tradosphere_cicd.pipeline import PROJECT_ROOT

SCRIPTS = PROJECT_ROOT / "include" / "scripts"
VERCEL_SENTINEL = "vercelTokenSentinel7f3a"
RAILWAY_SENTINEL = "railwayTokenSentinel91c2"
SHA = "0123456789abcdef0123456789abcdef01234567"
API_URL = "https://api-staging.tradosphere.test"
SUPABASE_URL = "https://project.supabase.test"

# How each stand-in answers, by FAKE_CLI_MODE: what it prints on stderr and its exit code.
FAILURES = {
    "vercel": {
        "unreachable": ("Error: getaddrinfo ENOTFOUND api.vercel.com", 1),
        "rejected": ("Error: The specified token is not valid. Use `vercel login` to generate a new token.", 1),
    },
    "railway": {
        "unreachable": (
            "Failed to fetch: error sending request for url (https://backboard.railway.com/graphql/v2): "
            "dns error: failed to lookup address information",
            1,
        ),
        "rejected": ("Unauthorized. Please login with `railway login`", 1),
    },
    "pnpm": {},
}

FAKE_CLI = """#!{python}
import json, os, sys
failures = {failures!r}
with open(os.environ["FAKE_CLI_LOG"], "a") as log:
    call = {{"cli": {name!r}, "argv": sys.argv[1:], "cwd": os.getcwd(), "env": dict(os.environ)}}
    log.write(json.dumps(call) + "\\n")
mode = os.environ.get("FAKE_CLI_MODE", "ok")
if mode in failures:
    message, code = failures[mode]
    print(message, file=sys.stderr)
    sys.exit(code)
print("ok from " + {name!r})
"""


@pytest.fixture
def cli(tmp_path: Path):
    """A bin folder of stand-ins that record each call, a workspace with the two apps, and a runner."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, failures in FAILURES.items():
        path = bin_dir / name
        path.write_text(FAKE_CLI.format(python=sys.executable, name=name, failures=failures))
        path.chmod(0o755)
    workspace = tmp_path / "workspace"
    (workspace / "apps" / "web").mkdir(parents=True)
    (workspace / "apps" / "api").mkdir(parents=True)
    log = tmp_path / "calls.jsonl"

    class Runner:
        def __init__(self) -> None:
            self.bin_dir = bin_dir
            self.workspace = workspace

        def run(self, script: str, *args: str, env: dict[str, str] | None = None, without: tuple[str, ...] = ()):
            environment = {
                "PATH": f"{bin_dir}:/usr/bin:/bin",
                "HOME": str(tmp_path),
                "FAKE_CLI_LOG": str(log),
                "VERCEL_TOKEN": VERCEL_SENTINEL,
                "RAILWAY_TOKEN": RAILWAY_SENTINEL,
                "API_URL": API_URL,
                **(env or {}),
            }
            for name in without:
                environment.pop(name, None)
            return subprocess.run(
                ["bash", str(SCRIPTS / script), *args],
                cwd=workspace,
                env=environment,
                capture_output=True,
                text=True,
                timeout=60,
            )

        def calls(self) -> list[dict]:
            if not log.exists():
                return []
            return [json.loads(line) for line in log.read_text().splitlines()]

    return Runner()


def test_staging_frontend_is_a_staging_deployment_with_its_build_environment(cli):
    result = cli.run("deploy-frontend.sh", "staging", env={"SUPABASE_URL": SUPABASE_URL})
    assert result.returncode == 0, result.stderr
    [call] = cli.calls()
    assert call["cli"] == "vercel"
    assert call["argv"] == [
        "deploy",
        "--yes",
        "--target=staging",
        "--build-env",
        f"NEXT_PUBLIC_API_URL={API_URL}",
        "--build-env",
        f"NEXT_PUBLIC_SUPABASE_URL={SUPABASE_URL}",
    ]
    assert call["cwd"] == str(cli.workspace / "apps" / "web")
    assert call["env"]["VERCEL_TOKEN"] == VERCEL_SENTINEL
    assert not any(VERCEL_SENTINEL in argument for argument in call["argv"])


def test_production_frontend_is_a_production_deployment(cli):
    result = cli.run("deploy-frontend.sh", "production")
    assert result.returncode == 0, result.stderr
    [call] = cli.calls()
    assert call["argv"] == ["deploy", "--yes", "--prod", "--build-env", f"NEXT_PUBLIC_API_URL={API_URL}"]
    assert not any(argument.startswith("--target") for argument in call["argv"])
    assert call["env"]["VERCEL_TOKEN"] == VERCEL_SENTINEL
    assert VERCEL_SENTINEL not in result.stdout + result.stderr


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_backend_goes_up_in_its_railway_environment(cli, environment):
    result = cli.run("deploy-backend.sh", environment)
    assert result.returncode == 0, result.stderr
    [call] = cli.calls()
    assert call["cli"] == "railway"
    assert call["argv"] == ["up", "--ci", "--environment", environment]
    assert call["cwd"] == str(cli.workspace / "apps" / "api")
    assert call["env"]["RAILWAY_TOKEN"] == RAILWAY_SENTINEL
    assert not any(RAILWAY_SENTINEL in argument for argument in call["argv"])


def test_backend_names_the_railway_service_when_one_is_set(cli):
    result = cli.run("deploy-backend.sh", "staging", env={"RAILWAY_SERVICE": "api"})
    assert result.returncode == 0, result.stderr
    assert cli.calls()[0]["argv"] == ["up", "--ci", "--environment", "staging", "--service", "api"]


def test_rollback_rolls_back_vercel_then_railway_to_the_sha(cli):
    result = cli.run("rollback.sh", SHA)
    assert result.returncode == 0, result.stderr
    calls = cli.calls()
    assert [(call["cli"], call["argv"]) for call in calls] == [
        ("vercel", ["rollback", SHA, "--yes"]),
        ("railway", ["rollback", f"--version={SHA}"]),
    ]
    assert calls[0]["env"]["VERCEL_TOKEN"] == VERCEL_SENTINEL
    assert calls[1]["env"]["RAILWAY_TOKEN"] == RAILWAY_SENTINEL
    assert all(not any("Sentinel" in argument for argument in call["argv"]) for call in calls)


def test_migrations_run_against_database_url(cli):
    url = "postgresql://app:secret@db.test:5432/tradosphere"
    result = cli.run("run-migrations.sh", env={"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    [call] = cli.calls()
    assert (call["cli"], call["argv"]) == ("pnpm", ["db:migrate"])
    assert call["env"]["DATABASE_URL"] == url


def test_test_database_is_migrated_then_seeded(cli):
    result = cli.run("setup-test-db.sh", env={"DATABASE_URL": "postgresql://test:test@postgres:5432/t"})
    assert result.returncode == 0, result.stderr
    assert [call["argv"] for call in cli.calls()] == [["db:migrate"], ["db:seed:test"]]


@pytest.mark.parametrize(
    ("script", "args"),
    [
        pytest.param("deploy-frontend.sh", (), id="frontend-no-environment"),
        pytest.param("deploy-frontend.sh", ("qa",), id="frontend-unknown-environment"),
        pytest.param("deploy-frontend.sh", ("staging", "production"), id="frontend-two-environments"),
        pytest.param("deploy-backend.sh", (), id="backend-no-environment"),
        pytest.param("deploy-backend.sh", ("prod",), id="backend-unknown-environment"),
        pytest.param("rollback.sh", (), id="rollback-no-sha"),
        pytest.param("rollback.sh", ("main",), id="rollback-branch-name"),
        pytest.param("rollback.sh", ("abc12",), id="rollback-short-sha"),
        pytest.param("rollback.sh", (SHA + "0",), id="rollback-long-sha"),
        pytest.param("run-migrations.sh", ("staging",), id="migrations-argument"),
        pytest.param("setup-test-db.sh", ("x",), id="test-db-argument"),
    ],
)
def test_bad_arguments_print_the_usage_and_exit_2(cli, script, args):
    result = cli.run(script, *args, env={"DATABASE_URL": "postgresql://x@y/z"})
    assert result.returncode == 2
    assert result.stderr.startswith(f"usage: {script}")
    assert cli.calls() == []


@pytest.mark.parametrize(
    ("script", "args", "missing", "connection_env", "connection"),
    [
        pytest.param("deploy-frontend.sh", ("staging",), "VERCEL_TOKEN", {}, "vercel", id="frontend-default"),
        pytest.param(
            "deploy-frontend.sh",
            ("production",),
            "VERCEL_TOKEN",
            {"VERCEL_CONNECTION": "vercel_prod"},
            "vercel_prod",
            id="frontend-named-connection",
        ),
        pytest.param("deploy-backend.sh", ("staging",), "RAILWAY_TOKEN", {}, "railway", id="backend"),
        pytest.param("rollback.sh", (SHA,), "RAILWAY_TOKEN", {}, "railway", id="rollback-railway"),
    ],
)
def test_a_missing_token_names_the_connection_before_any_cli_runs(
    cli, script, args, missing, connection_env, connection
):
    result = cli.run(script, *args, env=connection_env, without=(missing,))
    assert result.returncode == 1
    assert f"{missing} is not set" in result.stderr
    assert f"airflow connections add {connection} --conn-type generic --conn-password" in result.stderr
    assert cli.calls() == []


def test_a_missing_database_url_names_the_database_connection(cli):
    result = cli.run("run-migrations.sh", env={"DATABASE_CONNECTION": "tradosphere_staging_db"})
    assert result.returncode == 1
    assert "airflow connections add tradosphere_staging_db --conn-uri" in result.stderr
    assert cli.calls() == []


@pytest.mark.parametrize(
    ("script", "args", "cli_name", "service", "line"),
    [
        pytest.param(
            "deploy-frontend.sh", ("staging",), "vercel", "Vercel", "getaddrinfo ENOTFOUND api.vercel.com", id="vercel"
        ),
        pytest.param("deploy-backend.sh", ("production",), "railway", "Railway", "dns error", id="railway"),
        pytest.param("rollback.sh", (SHA,), "vercel", "Vercel", "ENOTFOUND", id="rollback-vercel"),
    ],
)
def test_an_unreachable_service_is_named(cli, script, args, cli_name, service, line):
    result = cli.run(script, *args, env={"FAKE_CLI_MODE": "unreachable"})
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: could not reach {service}: ")
    assert line in last
    assert cli.calls()[-1]["cli"] == cli_name


def test_a_rejected_request_is_not_called_unreachable(cli):
    result = cli.run("deploy-frontend.sh", "staging", env={"FAKE_CLI_MODE": "rejected"})
    assert result.returncode == 1
    assert "could not reach" not in result.stderr
    assert "the Vercel CLI failed (exit 1) running 'vercel deploy'" in result.stderr
    assert "The specified token is not valid" in result.stdout


def test_rollback_stops_before_vercel_when_railway_is_not_installed(cli):
    (cli.bin_dir / "railway").unlink()
    if shutil.which("railway", path="/usr/bin:/bin"):
        pytest.skip("a railway executable is installed on this machine")
    result = cli.run("rollback.sh", SHA)
    assert result.returncode == 1
    assert "the Railway CLI is not installed in this image" in result.stderr
    assert cli.calls() == []


def test_scripts_are_strict_and_executable():
    for script in sorted(SCRIPTS.glob("*.sh")):
        text = script.read_text()
        assert "set -euo pipefail" in text, script.name
        assert os.access(script, os.X_OK), f"{script.name} is not executable"
