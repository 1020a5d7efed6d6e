"""A Celery worker as production runs it (prefork pool, production settings, connections
kept across tasks with CELERY_DB_REUSE_MAX=200) survives a PostgreSQL restart by itself,
and the worker health check tells a worker that cannot run tasks from one that can."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from celery import Celery

from tests.faults.servers import ThrowawayPostgres, ThrowawayRedis

pytestmark = pytest.mark.fault

REPO_ROOT = Path(__file__).resolve().parents[2]
HEARTBEAT = "core.tasks.heartbeat"
# after the restart, every task must succeed within this many seconds of the server
# accepting connections again
RECOVERY_SECONDS = 15
MAX_AGE_SECONDS = 10


def production_environment(database_url: str, redis_url: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "DJANGO_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_READ_DOT_ENV": "false",
        "SECRET_KEY": "fault-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "localhost",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CACHE_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "CELERY_DB_REUSE_MAX": "200",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }


@pytest.fixture
def worker(
    throwaway_postgres: ThrowawayPostgres, throwaway_redis: ThrowawayRedis, tmp_path: Path
) -> Iterator[Celery]:
    """`celery -A config worker` (prefork, two processes) against the throwaway servers;
    yields a client app on the same broker."""
    env = production_environment(throwaway_postgres.url(), throwaway_redis.url)
    log = (tmp_path / "worker.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            "2",
            "--loglevel",
            "INFO",
            "--without-mingle",
            "--without-gossip",
            "-n",
            f"fault-{os.getpid()}@%h",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its pool processes share its process group
    )
    client = Celery("fault-client", broker=throwaway_redis.url, backend=throwaway_redis.url)
    client.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"])
    try:
        yield client
    finally:
        client.close()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()
        print((tmp_path / "worker.log").read_text(errors="replace")[-4000:])


def heartbeats(client: Celery, count: int, timeout: float = 30) -> list[str]:
    """Sends `count` heartbeats at once (both pool processes take some) and returns each
    one's state."""
    results = [client.send_task(HEARTBEAT, args=[f"fault-{i}"]) for i in range(count)]
    states = []
    for result in results:
        result.get(timeout=timeout, propagate=False)
        states.append(result.state)
        result.forget()
    return states


def worker_health(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The worker container's health check command (docker-compose.yml), past the ping."""
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    check = " ".join(compose["services"]["worker"]["healthcheck"]["test"])
    assert "python manage.py worker_health" in check
    return subprocess.run(
        [sys.executable, "manage.py", "worker_health"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_worker_reusing_connections_recovers_from_a_postgresql_restart_by_itself(
    worker: Celery, throwaway_postgres: ThrowawayPostgres
):
    # given a worker whose two pool processes each hold a database connection
    assert heartbeats(worker, 1, timeout=90) == ["SUCCESS"]  # (waits for the worker to start)
    assert heartbeats(worker, 8) == ["SUCCESS"] * 8

    # when PostgreSQL restarts, cutting every connection
    throwaway_postgres.restart("fast")
    restarted = time.monotonic()

    # then the next tasks succeed, without anyone restarting the worker
    states = heartbeats(worker, 12, timeout=RECOVERY_SECONDS)
    assert states == ["SUCCESS"] * 12, states
    assert time.monotonic() - restarted < RECOVERY_SECONDS
    # and keep succeeding
    assert heartbeats(worker, 8) == ["SUCCESS"] * 8


def test_worker_health_check_fails_while_no_task_succeeds_and_passes_again_after(
    worker: Celery, throwaway_postgres: ThrowawayPostgres, throwaway_redis: ThrowawayRedis
):
    env = {
        **production_environment(throwaway_postgres.url(), throwaway_redis.url),
        # above the few seconds `manage.py` takes to start
        "WORKER_HEARTBEAT_MAX_AGE_SECONDS": str(MAX_AGE_SECONDS),
    }
    assert heartbeats(worker, 1, timeout=90) == ["SUCCESS"]
    last_success = time.monotonic()
    assert worker_health(env).returncode == 0

    # when the database is down, no heartbeat succeeds
    throwaway_postgres.stop("fast")
    assert set(heartbeats(worker, 2)) == {"FAILURE"}
    time.sleep(max(0.0, last_success + MAX_AGE_SECONDS + 1 - time.monotonic()))
    failed = worker_health(env)

    # then the worker's health check fails, saying why
    assert failed.returncode == 1
    assert "worker stale" in failed.stderr

    # and passes once the worker runs tasks again
    throwaway_postgres.start()
    assert heartbeats(worker, 4) == ["SUCCESS"] * 4
    assert worker_health(env).returncode == 0
