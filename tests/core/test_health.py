"""`/healthz` against the real database and Redis, and against ones that are down or hung."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from core.tasks import HEARTBEAT_KEY

REPO_ROOT = Path(__file__).resolve().parents[2]
# Well above the 2 s broker timeouts and the database connect timeout, well below "hangs".
BOUND_SECONDS = 15

# Runs one request to /healthz in a fresh interpreter, whose settings read DATABASE_URL
# from the environment, so the database really is unreachable (nothing is patched).
HEALTHZ_IN_SUBPROCESS = """
import json, time
import django
django.setup()
from django.test import Client
started = time.monotonic()
response = Client().get("/healthz")
print(json.dumps({
    "status_code": response.status_code,
    "body": response.json(),
    "seconds": time.monotonic() - started,
}))
"""


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never answers: a hung server, not a dead one
    (a dead one refuses at once and would not show whether timeouts are set)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield server.getsockname()[1]


def healthz_in_subprocess(database_url: str) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
    }
    result = subprocess.run(
        [sys.executable, "-c", HEALTHZ_IN_SUBPROCESS],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=BOUND_SECONDS * 4,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def no_heartbeat() -> Iterator[None]:
    cache.delete(HEARTBEAT_KEY)
    yield
    cache.delete(HEARTBEAT_KEY)


def record_heartbeat(at) -> None:
    cache.set(HEARTBEAT_KEY, at.isoformat(), timeout=None)


@pytest.mark.django_db
def test_healthz_is_ok_when_database_and_broker_answer(client, no_heartbeat):
    record_heartbeat(timezone.now())

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok"},
        "worker": "ok",
    }
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_only_answers_get(client):
    response = client.post("/healthz")

    assert response.status_code == 405


@pytest.mark.django_db
@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_healthz_is_503_when_the_broker_is_unreachable(client):
    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"] == {"database": "ok", "broker": "unavailable"}
    assert elapsed < BOUND_SECONDS


@pytest.mark.django_db
def test_healthz_is_503_within_bounded_time_when_the_broker_hangs(client, silent_server):
    with override_settings(CELERY_BROKER_URL=f"redis://127.0.0.1:{silent_server}/0"):
        started = time.monotonic()
        response = client.get("/healthz")
        elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "unavailable"
    assert elapsed < BOUND_SECONDS


def test_healthz_is_503_when_the_database_is_unreachable():
    outcome = healthz_in_subprocess("postgres://postgres@127.0.0.1:1/x")

    assert outcome["status_code"] == 503
    assert outcome["body"]["status"] == "unavailable"
    assert outcome["body"]["checks"] == {"database": "unavailable", "broker": "ok"}
    assert outcome["seconds"] < BOUND_SECONDS


def test_healthz_is_503_within_bounded_time_when_the_database_hangs(silent_server):
    outcome = healthz_in_subprocess(f"postgres://postgres@127.0.0.1:{silent_server}/x")

    assert outcome["status_code"] == 503
    assert outcome["body"]["checks"]["database"] == "unavailable"
    assert outcome["seconds"] < BOUND_SECONDS


@pytest.mark.django_db
def test_a_worker_heartbeat_older_than_the_limit_is_reported_stale_but_web_stays_ready(
    client, no_heartbeat, settings
):
    settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS = 20 * 60
    ran_at = timezone.now()
    record_heartbeat(ran_at)

    with time_machine.travel(ran_at + dt.timedelta(minutes=19), tick=False):
        fresh = client.get("/healthz")
        call_command("worker_health", stdout=io.StringIO())
    with time_machine.travel(ran_at + dt.timedelta(minutes=21), tick=False):
        stale = client.get("/healthz")
        with pytest.raises(CommandError, match="worker stale"):
            call_command("worker_health")

    assert fresh.json()["worker"] == "ok"
    assert stale.json()["worker"] == "stale"
    # a load balancer keeps the web server: its database and broker answer
    assert stale.status_code == 200
    assert stale.json()["status"] == "ok"


@pytest.mark.django_db
def test_a_worker_that_never_ran_a_heartbeat_fails_its_health_check(client, no_heartbeat):
    assert client.get("/healthz").json()["worker"] == "unknown"
    with pytest.raises(CommandError, match="worker unknown"):
        call_command("worker_health")
