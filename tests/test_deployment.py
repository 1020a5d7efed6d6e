"""The container set-up: docker-compose.yml and the Dockerfile are parsed (no Docker engine
here), and the commands they run — gunicorn with its config, collectstatic, the web health
check — are run for real against the production settings."""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
APP_SERVICES = ("web", "worker", "beat")
VENV_BIN = Path(sys.executable).parent

# What the operator provides (compose refuses to start without them) and where the real
# services are on this machine.
OPERATOR_ENV = {
    "SECRET_KEY": "deployment-test-" + "k" * 60,
    "ALLOWED_HOSTS": "duikou.example.gov.cn",
    "POSTGRES_PASSWORD": "not-used-here",
}
LOCAL_SERVICES = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "REDIS_URL": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")
    logical: list[str] = []
    pending = ""
    for line in text.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        logical.append(pending + line.strip())
        pending = ""
    return [
        (instruction.upper(), arguments.strip())
        for instruction, _, arguments in (entry.partition(" ") for entry in logical)
    ]


def instructions(dockerfile: list[tuple[str, str]], name: str) -> list[str]:
    return [arguments for instruction, arguments in dockerfile if instruction == name]


def exec_form(arguments: str) -> list[str]:
    parsed = json.loads(arguments)
    assert isinstance(parsed, list), "use the exec (JSON) form so signals reach the process"
    return parsed


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, enough for this file."""

    def substitute(match: re.Match[str]) -> str:
        name, operator, argument = match.group(1), match.group(2), match.group(3)
        if variables.get(name):
            return variables[name]
        if operator == "-":
            return argument
        raise AssertionError(f"compose would refuse to start: {name} is unset ({argument})")

    return re.sub(r"\$\{(\w+)(?::([-?])([^}]*))?\}", substitute, value)


def app_environment(compose: dict) -> dict[str, str]:
    """The web/worker/beat environment as compose would hand it over, pointed at the local
    PostgreSQL and Redis instead of the `db` and `redis` containers."""
    raw = compose["services"]["web"]["environment"]
    env = {key: interpolate(str(value), OPERATOR_ENV) for key, value in raw.items()}
    env.pop("MEDIA_ROOT")
    return {**os.environ, **env, **LOCAL_SERVICES}


def gunicorn_command(dockerfile: list[tuple[str, str]]) -> list[str]:
    (cmd,) = instructions(dockerfile, "CMD")
    command = exec_form(cmd)
    assert command[0] == "gunicorn"
    return [str(VENV_BIN / "gunicorn"), *command[1:]]


# --- docker-compose.yml ----------------------------------------------------------------


def test_compose_defines_the_five_services(compose):
    assert set(compose["services"]) == {"db", "redis", "web", "worker", "beat"}


def test_web_worker_and_beat_share_one_image_and_one_environment(compose):
    services = compose["services"]
    web = services["web"]

    assert web["image"]
    assert web["build"]["context"] == "."
    assert web["build"].get("dockerfile", "Dockerfile") == "Dockerfile"
    for name in ("worker", "beat"):
        assert services[name]["image"] == web["image"]
        assert services[name]["build"] == web["build"]
        assert services[name]["environment"] == web["environment"]
        assert services[name]["volumes"] == web["volumes"]


def test_app_services_run_production_settings_against_db_and_redis(compose):
    for name in APP_SERVICES:
        env = compose["services"][name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
        assert "@db:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:6379/")
        # required, never defaulted: compose stops with an error when they are missing
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")
        assert env["ALLOWED_HOSTS"].startswith("${ALLOWED_HOSTS:?")


def test_compose_refuses_to_start_without_a_secret_key(compose):
    raw = compose["services"]["web"]["environment"]["SECRET_KEY"]

    with pytest.raises(AssertionError, match="SECRET_KEY is unset"):
        interpolate(raw, {})
    assert interpolate(raw, {"SECRET_KEY": "s3cret"}) == "s3cret"


def test_db_is_postgres_15_with_a_volume_and_a_readiness_check(compose):
    db = compose["services"]["db"]

    assert db["image"].split(":")[0] == "postgres"
    assert db["image"].split(":")[1].split(".")[0].split("-")[0] == "15"
    assert "pgdata:/var/lib/postgresql/data" in db["volumes"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert db["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")


def test_redis_is_redis_7_with_a_health_check(compose):
    redis = compose["services"]["redis"]

    assert redis["image"].split(":")[1].startswith("7")
    assert "ping" in redis["healthcheck"]["test"]


def test_app_services_wait_for_healthy_dependencies(compose):
    services = compose["services"]
    for name in APP_SERVICES:
        depends_on = services[name]["depends_on"]
        assert depends_on["db"]["condition"] == "service_healthy"
        assert depends_on["redis"]["condition"] == "service_healthy"
    # web applies the migrations; worker and beat start only once it is healthy
    for name in ("worker", "beat"):
        assert services[name]["depends_on"]["web"]["condition"] == "service_healthy"


def test_web_migrates_then_runs_the_images_gunicorn_command(compose, dockerfile):
    command = compose["services"]["web"]["command"]
    assert command[:2] == ["sh", "-c"]
    migrate, _, server = command[2].partition("&&")

    assert shlex.split(migrate) == ["python", "manage.py", "migrate", "--noinput"]
    server_argv = shlex.split(server)
    assert server_argv[0] == "exec"
    (cmd,) = instructions(dockerfile, "CMD")
    assert server_argv[1:] == exec_form(cmd)


def test_web_health_check_calls_healthz(compose):
    web = compose["services"]["web"]

    assert "/healthz" in " ".join(web["healthcheck"]["test"])
    assert web["ports"] == ["127.0.0.1:8000:8000"]


def test_worker_and_beat_run_celery_for_the_config_app(compose):
    worker = compose["services"]["worker"]["command"]
    beat = compose["services"]["beat"]["command"]

    assert worker[:4] == ["celery", "-A", "config", "worker"]
    assert beat[:4] == ["celery", "-A", "config", "beat"]
    # beat must write its schedule somewhere the non-root user may write
    schedule = beat[beat.index("--schedule") + 1]
    assert schedule.startswith("/tmp/")  # noqa: S108  (inside the container)


def test_data_lives_in_named_volumes(compose):
    assert {"pgdata", "media"} <= set(compose["volumes"])
    for name in APP_SERVICES:
        assert "media:/app/media" in compose["services"][name]["volumes"]


# --- Dockerfile ------------------------------------------------------------------------


def test_image_is_python_311_slim(dockerfile):
    assert instructions(dockerfile, "FROM") == ["python:3.11-slim"]


def test_image_installs_the_project_and_collects_static_files(dockerfile):
    runs = instructions(dockerfile, "RUN")

    assert any(re.search(r"\bpip install \.(\s|$)", run) for run in runs)
    collect = next(run for run in runs if "collectstatic" in run)
    assert "SECRET_KEY=" in collect
    assert "ALLOWED_HOSTS=" in collect
    env = " ".join(instructions(dockerfile, "ENV"))
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in env


def test_image_runs_as_a_non_root_user(dockerfile):
    users = instructions(dockerfile, "USER")

    assert users
    assert users[-1] not in {"root", "0"}
    names = [instruction for instruction, _ in dockerfile]
    assert names.index("USER") < names.index("CMD")


def test_image_command_is_gunicorn_serving_config_wsgi(dockerfile):
    command = exec_form(instructions(dockerfile, "CMD")[0])

    assert command[0] == "gunicorn"
    assert command[-1] == "config.wsgi"


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image():
    ignored = {
        line.strip()
        for line in (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }

    assert {".git", ".env", ".venv", "media", "staticfiles"} <= ignored
    assert not {"locale", "templates", "static", "config", "pyproject.toml"} & ignored


def test_gunicorn_runs_the_measured_worker_model_recycled_with_jitter(dockerfile, compose):
    """Compose hands over GUNICORN_* empty unless the operator sets them: the defaults of
    config/gunicorn.py (README, "Choosing the worker model")."""
    result = subprocess.run(
        [*gunicorn_command(dockerfile)[:-1], "--print-config", "config.wsgi"],
        cwd=REPO_ROOT,
        env=app_environment(compose),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    config = dict(
        (part.strip() for part in line.split("=", 1))
        for line in result.stdout.splitlines()
        if "=" in line
    )

    assert config["workers"] == "2"
    assert config["worker_class"] == "gthread"
    assert config["threads"] == "4"
    assert config["keepalive"] == "0"
    assert int(config["max_requests"]) > 0
    assert 0 < int(config["max_requests_jitter"]) < int(config["max_requests"])
    assert config["bind"] == "['0.0.0.0:8000']"


def test_gunicorn_loads_config_wsgi_with_the_compose_environment(dockerfile, compose):
    result = subprocess.run(
        [*gunicorn_command(dockerfile)[:-1], "--check-config", "config.wsgi"],
        cwd=REPO_ROOT,
        env=app_environment(compose),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr


def test_gunicorn_check_fails_without_a_secret_key(dockerfile, compose):
    # the check above can fail: the production settings refuse to load without SECRET_KEY
    env = {k: v for k, v in app_environment(compose).items() if k != "SECRET_KEY"}
    env["DJANGO_READ_DOT_ENV"] = "false"
    result = subprocess.run(
        [*gunicorn_command(dockerfile)[:-1], "--check-config", "config.wsgi"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_collectstatic_succeeds_with_production_settings_as_in_the_build(tmp_path, compose):
    # The image build runs this; a missing file referenced from CSS breaks it (manifest
    # storage), so run it here the same way. Slow (~40 s: compressing every file).
    env = {
        **app_environment(compose),
        "SECRET_KEY": "collectstatic-build-only-not-a-secret",
        "ALLOWED_HOSTS": "localhost",
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())
    assert "css/site.css" in manifest["paths"]
    assert "admin/css/base.css" in manifest["paths"]


# --- the web health check against a real gunicorn ---------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn_serving(dockerfile: list[tuple[str, str]], env: dict[str, str]) -> Iterator[int]:
    """The image's gunicorn command on a free local port with one worker (the rest of its
    configuration as in the image); yields the port once it accepts connections."""
    port = free_port()
    process = subprocess.Popen(
        [*gunicorn_command(dockerfile), "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not listen within 30 s"
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def run_web_health_check(compose: dict, port: int, env: dict[str, str]):
    """The compose health check command, verbatim but for the port."""
    test = compose["services"]["web"]["healthcheck"]["test"]
    assert test[0] == "CMD"
    argv = [sys.executable if arg == "python" else arg for arg in test[1:]]
    argv = [arg.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for arg in argv]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_web_health_check_passes_against_the_production_server(compose, dockerfile):
    env = app_environment(compose)
    with gunicorn_serving(dockerfile, env) as port:
        result = run_web_health_check(compose, port, env)

    assert result.returncode == 0, result.stderr


def test_web_health_check_fails_when_the_broker_is_down(compose, dockerfile):
    env = {**app_environment(compose), "REDIS_URL": "redis://127.0.0.1:1/0"}
    with gunicorn_serving(dockerfile, env) as port:
        result = run_web_health_check(compose, port, env)

    assert result.returncode != 0
    assert "HTTP Error 503" in result.stderr
