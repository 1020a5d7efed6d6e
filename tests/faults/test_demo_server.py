"""`make demo`'s server (runserver, a thread per request, development settings) does not
keep a database connection per finished thread: a burst of parallel requests leaves no
more connections than threads still serving (issue 22: 20 concurrent requests left dozens
of idle connections, and the shared server answered `too many clients`)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection

from tests.faults.servers import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
BURST = 20


def demo_server_connections(application_name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
            [application_name],
        )
        return cursor.fetchone()[0]


@pytest.fixture
def demo_server(db) -> Iterator[tuple[str, str]]:
    """runserver with the demo's settings (config.settings.local) on the test database;
    yields its address and the application_name its connections carry."""
    port = free_port()
    application_name = f"demo-burst-{os.getpid()}"
    database = connection.settings_dict["NAME"]
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("CONN_MAX_AGE", "DEBUG")},
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_READ_DOT_ENV": "false",
        "DATABASE_URL": (
            f"postgres://postgres@127.0.0.1:5432/{database}?application_name={application_name}"
        ),
        "CELERY_TASK_ALWAYS_EAGER": "true",
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=5).close()  # noqa: S310
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        yield base, application_name
    finally:
        process.terminate()
        process.wait(timeout=20)
        with connection.cursor() as cursor:  # whatever the outcome, free the test database
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %s",
                [application_name],
            )


def get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310
        return response.status


def test_a_burst_of_parallel_requests_leaves_no_idle_connection_behind(demo_server):
    base, application_name = demo_server

    with ThreadPoolExecutor(max_workers=BURST) as pool:
        statuses = list(pool.map(get, [f"{base}/healthz"] * BURST))
    # every response is sent; the server's request threads finish right after
    deadline = time.monotonic() + 5
    while (left := demo_server_connections(application_name)) and time.monotonic() < deadline:
        time.sleep(0.1)

    assert statuses == [200] * BURST
    assert left == 0
