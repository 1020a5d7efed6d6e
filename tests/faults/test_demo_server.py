"""`make demo` against PostgreSQL: its server (runserver, a thread per request, development
settings) does not keep a database connection per finished thread, so a burst of parallel
requests leaves no more connections than threads still serving (issue 22: 20 concurrent
requests left dozens of idle connections, and the shared server answered `too many
clients`); a DATABASE_URL naming a database that does not exist yet is created, and one
that cannot be reached is one line saying what to do, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg2
import pytest
from django.db import connection
from psycopg2 import sql

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


def run_demo_database(database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "scripts/demo_database.py"],
        cwd=REPO_ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def database_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


@pytest.fixture
def missing_database(db) -> Iterator[str]:
    name = f"{connection.settings_dict['NAME']}_demo_{os.getpid()}"
    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    admin.autocommit = True
    drop = sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
    with admin.cursor() as cursor:
        cursor.execute(drop)
    try:
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(drop)
        admin.close()


def test_demo_creates_the_database_that_database_url_names(missing_database):
    url = f"postgres://postgres@127.0.0.1:5432/{missing_database}?conn_max_age=0"

    result = run_demo_database(url)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == url
    assert database_exists(missing_database)
    # and a second run finds it there
    assert run_demo_database(url).returncode == 0


def test_demo_says_in_one_line_what_to_do_when_database_url_cannot_be_reached():
    result = subprocess.run(
        ["bash", "scripts/demo.sh"],
        cwd=REPO_ROOT,
        env={**os.environ, "DATABASE_URL": "postgres://postgres@127.0.0.1:1/pairing_demo"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("ERROR: PostgreSQL at 127.0.0.1:1")
    assert "DATABASE_URL" in errors[0]
